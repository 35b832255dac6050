//! Process-wide counters for `/metrics` (Prometheus text format).

use std::sync::atomic::{AtomicU64, Ordering};

pub struct Metrics {
    pub requests: AtomicU64,
    pub responses_4xx: AtomicU64,
    pub responses_5xx: AtomicU64,
    pub messages: AtomicU64,
    pub delivery_failures: AtomicU64,
    pub outbox_depth: AtomicU64,
    pub email_outbox_depth: AtomicU64,
    pub channel_outbox_depth: AtomicU64,
    pub accept_restarts: AtomicU64,
    pub write_batches: AtomicU64,
    pub write_jobs: AtomicU64,
    pub write_busy_micros: AtomicU64,
    /// 1 while writes fail for lack of disk space.
    pub disk_full: AtomicU64,
    pub disk_full_refused: AtomicU64,
}

pub static METRICS: Metrics = Metrics {
    requests: AtomicU64::new(0),
    responses_4xx: AtomicU64::new(0),
    responses_5xx: AtomicU64::new(0),
    messages: AtomicU64::new(0),
    delivery_failures: AtomicU64::new(0),
    outbox_depth: AtomicU64::new(0),
    email_outbox_depth: AtomicU64::new(0),
    channel_outbox_depth: AtomicU64::new(0),
    accept_restarts: AtomicU64::new(0),
    write_batches: AtomicU64::new(0),
    write_jobs: AtomicU64::new(0),
    write_busy_micros: AtomicU64::new(0),
    disk_full: AtomicU64::new(0),
    disk_full_refused: AtomicU64::new(0),
};

/// Enters or leaves the disk-full state, logging only the transitions: a
/// full disk refuses every write, and one line per request would flood the
/// log (on the same full disk).
pub fn set_disk_full(full: bool) {
    let was = METRICS.disk_full.swap(full as u64, Ordering::Relaxed) == 1;
    if full && !was {
        log::error!(
            "disk full: writes are refused (507 disk_full) until space is freed; reads go on"
        );
    } else if !full && was {
        log::info!("disk space is back: writes succeed again");
    }
}

pub fn disk_full() -> bool {
    METRICS.disk_full.load(Ordering::Relaxed) == 1
}

impl Metrics {
    /// Renders the counters plus the gauges the caller knows.
    pub fn render(&self, waiting: usize, streams: usize, events_published: u64) -> String {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let rows: [(&str, &str, &str, u64); 17] = [
            (
                "frontporch_http_requests_total",
                "counter",
                "HTTP requests received.",
                g(&self.requests),
            ),
            (
                "frontporch_http_responses_4xx_total",
                "counter",
                "Responses with a 4xx status.",
                g(&self.responses_4xx),
            ),
            (
                "frontporch_http_responses_5xx_total",
                "counter",
                "Responses with a 5xx status.",
                g(&self.responses_5xx),
            ),
            (
                "frontporch_messages_total",
                "counter",
                "Messages accepted since start.",
                g(&self.messages),
            ),
            (
                "frontporch_events_published_total",
                "counter",
                "Events published to realtime clients.",
                events_published,
            ),
            (
                "frontporch_waiting_clients",
                "gauge",
                "Long-poll requests parked for events.",
                waiting as u64,
            ),
            (
                "frontporch_sse_streams",
                "gauge",
                "Open SSE streams.",
                streams as u64,
            ),
            (
                "frontporch_outbox_depth",
                "gauge",
                "Webhook outbox rows waiting to be delivered.",
                g(&self.outbox_depth),
            ),
            (
                "frontporch_email_outbox_depth",
                "gauge",
                "Emails waiting to be sent (they wait while no SMTP server is configured).",
                g(&self.email_outbox_depth),
            ),
            (
                "frontporch_channel_outbox_depth",
                "gauge",
                "Messaging platform messages waiting to be sent (they wait while their platform is not configured).",
                g(&self.channel_outbox_depth),
            ),
            (
                "frontporch_delivery_failures_total",
                "counter",
                "Failed delivery attempts.",
                g(&self.delivery_failures),
            ),
            (
                "frontporch_accept_restarts_total",
                "counter",
                "Times the accept loop was restarted.",
                g(&self.accept_restarts),
            ),
            (
                "frontporch_write_batches_total",
                "counter",
                "Group commits by the writer.",
                g(&self.write_batches),
            ),
            (
                "frontporch_write_jobs_total",
                "counter",
                "Write jobs committed by the writer.",
                g(&self.write_jobs),
            ),
            (
                "frontporch_write_busy_microseconds_total",
                "counter",
                "Time the writer spent running batches, COMMIT included.",
                g(&self.write_busy_micros),
            ),
            (
                "frontporch_disk_full",
                "gauge",
                "1 while writes are refused because the disk is full.",
                g(&self.disk_full),
            ),
            (
                "frontporch_disk_full_refused_writes_total",
                "counter",
                "Writes refused because the disk was full.",
                g(&self.disk_full_refused),
            ),
        ];
        let mut out = String::new();
        for (name, kind, help, value) in rows {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
            ));
        }
        out
    }
}
