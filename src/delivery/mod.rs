//! Delivery: a small pool of workers sends outbox rows (webhooks; email
//! in its own lane, `email.rs`; SMS and platforms join here), retries
//! with exponential backoff and jitter, and records every attempt.

pub mod channels;
pub mod email;
pub mod guard;
pub mod platform_http;
pub mod push;
pub mod webhook;
pub mod webpush;

pub use guard::check_url;

use crate::metrics::METRICS;
use crate::store::outbox::{self, Due};
use crate::store::Store;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// Most deliveries under way to one endpoint at once.
const PER_ENDPOINT: usize = 2;
/// Pause after results could not be recorded (a full disk, say).
const RECORD_RETRY: Duration = Duration::from_secs(5);

pub struct Delivery {
    wake: Mutex<bool>,
    cv: Condvar,
    /// Rows handed to workers and not yet recorded: outbox id -> (endpoint
    /// id, still sending). Recorded rows leave; only sending ones count
    /// against an endpoint's concurrency.
    in_flight: Mutex<HashMap<i64, (i64, bool)>>,
    stopping: std::sync::atomic::AtomicBool,
    workers: Mutex<Vec<std::thread::JoinHandle<()>>>,
    /// Email rows: a lane of their own (`email.rs`).
    email: Arc<email::Lane>,
    /// Messaging platform rows: a lane of their own (`channels.rs`).
    channels: Arc<channels::Lane>,
    /// What `send_channel_now` sends with.
    direct: (Store, Settings),
    /// Web Push rows: a lane of their own (`push.rs`).
    push: Arc<push::Lane>,
}

#[derive(Clone)]
pub struct Settings {
    pub workers: usize,
    pub allow_private: bool,
    pub retry_base_ms: i64,
    pub retry_window_ms: i64,
    /// This server's public URL (Support Board webhooks' `sender-url`).
    pub sender_url: String,
    /// Signs the upload links in message events (`links`).
    pub links: Arc<crate::links::Links>,
    /// Where uploads are read from (email attachments).
    pub data_dir: std::path::PathBuf,
}

impl Delivery {
    pub fn start(store: Store, settings: Settings) -> Arc<Delivery> {
        let d = Arc::new(Delivery {
            wake: Mutex::new(false),
            cv: Condvar::new(),
            in_flight: Mutex::new(HashMap::new()),
            stopping: std::sync::atomic::AtomicBool::new(false),
            workers: Mutex::new(Vec::new()),
            email: Arc::new(email::Lane::new()),
            channels: Arc::new(channels::Lane::new()),
            direct: (store.clone(), settings.clone()),
            push: Arc::new(push::Lane::default()),
        });
        let agent = webhook::agent(settings.allow_private);
        let (tx, rx) = mpsc::sync_channel::<Due>(settings.workers * 2);
        let rx = Arc::new(Mutex::new(rx));
        // Workers send; one recorder writes their results in batches.
        let (done_tx, done_rx) = mpsc::channel::<webhook::Finished>();
        let mut handles = Vec::new();
        for i in 0..settings.workers {
            let store = store.clone();
            let (d, rx, agent, settings, done_tx) = (
                d.clone(),
                rx.clone(),
                agent.clone(),
                settings.clone(),
                done_tx.clone(),
            );
            handles.push(
                std::thread::Builder::new()
                    .name(format!("delivery-{i}"))
                    .stack_size(512 * 1024)
                    .spawn(move || loop {
                        let job = rx.lock().unwrap().recv();
                        let Ok(due) = job else { return };
                        let finished = webhook::deliver(&store, &agent, &settings, &due);
                        // Sent: the endpoint may take the next one while this is recorded.
                        if let Some(e) = d.in_flight.lock().unwrap().get_mut(&due.id) {
                            e.1 = false;
                        }
                        d.notify();
                        if done_tx.send(finished).is_err() {
                            return;
                        }
                    })
                    .expect("spawn delivery worker"),
            );
        }
        drop(done_tx);
        {
            let (d, store) = (d.clone(), store.clone());
            handles.push(
                std::thread::Builder::new()
                    .name("delivery-record".into())
                    .stack_size(512 * 1024)
                    .spawn(move || {
                        while let Ok(first) = done_rx.recv() {
                            let mut done = vec![first];
                            done.extend(done_rx.try_iter().take(511));
                            let ids: Vec<i64> = done.iter().map(|f| f.id).collect();
                            if !webhook::record(&store, done) {
                                // The rows stay pending and due: pause before
                                // releasing them, or a full disk would have
                                // them re-sent in a tight loop.
                                std::thread::sleep(RECORD_RETRY);
                            }
                            // Only now may the dispatcher pick these rows again.
                            let mut busy = d.in_flight.lock().unwrap();
                            for id in ids {
                                busy.remove(&id);
                            }
                            drop(busy);
                            d.notify();
                        }
                    })
                    .expect("spawn delivery recorder"),
            );
        }
        let email_store = store.clone();
        let channels_store = store.clone();
        {
            let (lane, store, settings) = (d.push.clone(), store.clone(), settings.clone());
            handles.push(
                std::thread::Builder::new()
                    .name("delivery-push".into())
                    .stack_size(512 * 1024)
                    .spawn(move || lane.run(store, settings))
                    .expect("spawn push lane"),
            );
        }
        let dispatcher = {
            let d = d.clone();
            std::thread::Builder::new()
                .name("delivery-dispatch".into())
                .spawn(move || d.dispatch(store, tx))
                .expect("spawn dispatcher")
        };
        handles.push(dispatcher);
        {
            let (lane, store, settings) = (d.email.clone(), email_store, settings.clone());
            handles.push(
                std::thread::Builder::new()
                    .name("delivery-email".into())
                    .stack_size(512 * 1024)
                    .spawn(move || lane.run(store, settings))
                    .expect("spawn email lane"),
            );
        }
        {
            let (lane, store, settings) = (d.channels.clone(), channels_store, settings.clone());
            handles.push(
                std::thread::Builder::new()
                    .name("delivery-channels".into())
                    .stack_size(512 * 1024)
                    .spawn(move || lane.run(store, settings))
                    .expect("spawn channels lane"),
            );
        }
        *d.workers.lock().unwrap() = handles;
        d
    }

    /// Sends a platform row now (Support Board's send functions), under
    /// `timeout`: the platform's answer, or None (not pending, or its
    /// platform has no setting).
    pub fn send_channel_now(
        &self,
        outbox_id: i64,
        timeout: Duration,
    ) -> Option<crate::channels::Sent> {
        let (store, settings) = &self.direct;
        channels::send_now(store, settings, outbox_id, timeout)
    }

    /// Something may be due: look now rather than at the next tick.
    pub fn notify(&self) {
        *self.wake.lock().unwrap() = true;
        self.cv.notify_one();
        self.email.notify();
        self.channels.notify();
        self.push.notify();
    }

    /// Hands due rows to the workers, endpoint by endpoint. A slow or
    /// stalled receiver holds at most PER_ENDPOINT workers, and its backlog
    /// is never scanned while it is full, so it cannot hold up the others.
    fn dispatch(&self, store: Store, tx: mpsc::SyncSender<Due>) {
        let mut last_count = std::time::Instant::now() - Duration::from_secs(2);
        while !self.stopping.load(Ordering::Relaxed) {
            // Counting pending rows costs O(depth): refresh the gauge once a second.
            if last_count.elapsed() >= Duration::from_secs(1) {
                if let Ok(n) = store.read(outbox::pending_count) {
                    METRICS.outbox_depth.store(n as u64, Ordering::Relaxed);
                }
                if let Ok(n) = store.read(outbox::pending_email_count) {
                    METRICS
                        .email_outbox_depth
                        .store(n as u64, Ordering::Relaxed);
                }
                last_count = std::time::Instant::now();
            }
            let now = crate::util::now_ms();
            let endpoints = store.read(outbox::pending_endpoints).unwrap_or_else(|e| {
                log::error!("cannot read the outbox: {e}");
                Vec::new()
            });
            let mut sent_any = false;
            let mut next_due = now + 1000;
            for (endpoint, due_at) in endpoints {
                if due_at > now {
                    next_due = next_due.min(due_at);
                    continue;
                }
                let (busy, sending) = {
                    let f = self.in_flight.lock().unwrap();
                    let sending = f.values().filter(|(ep, on)| *on && *ep == endpoint).count();
                    (f.keys().copied().collect::<Vec<i64>>(), sending)
                };
                if sending >= PER_ENDPOINT {
                    continue;
                }
                let due = store
                    .read(|c| outbox::due(c, endpoint, now, PER_ENDPOINT - sending, &busy))
                    .unwrap_or_default();
                for d in due {
                    self.in_flight
                        .lock()
                        .unwrap()
                        .insert(d.id, (d.endpoint_id, true));
                    sent_any = true;
                    if tx.send(d).is_err() {
                        return;
                    }
                }
            }
            if sent_any {
                continue;
            }
            let wait = (next_due - crate::util::now_ms()).clamp(5, 1000);
            let mut woken = self.wake.lock().unwrap();
            if !*woken {
                woken = self
                    .cv
                    .wait_timeout(woken, Duration::from_millis(wait as u64))
                    .unwrap()
                    .0;
            }
            *woken = false;
        }
    }

    /// Stops taking new rows and waits (bounded) for sends under way.
    pub fn shutdown(&self) {
        self.stopping.store(true, Ordering::Relaxed);
        self.email.stop();
        self.channels.stop();
        self.push.stop();
        self.notify();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while (!self.in_flight.lock().unwrap().is_empty()
            || self.email.busy()
            || self.channels.busy()
            || self.push.busy())
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Delay before retry number `attempts` (1-based): base·2^(n-1), at most six
/// hours, with ±20% jitter so a recovering receiver is not hit all at once.
pub fn backoff_ms(base_ms: i64, attempts: i64) -> i64 {
    let exp = (attempts - 1).clamp(0, 30) as u32;
    let delay = base_ms.saturating_mul(1i64 << exp).min(6 * 3600 * 1000);
    let jitter = delay / 5;
    delay - jitter + crate::util::random_below((2 * jitter + 1) as u64) as i64
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_and_caps() {
        for n in 1..40 {
            let d = super::backoff_ms(1000, n);
            let nominal = (1000i64 << (n - 1).min(30)).min(6 * 3600 * 1000);
            assert!(
                d >= nominal * 8 / 10 && d <= nominal * 12 / 10,
                "attempt {n}: {d}"
            );
        }
    }
}
