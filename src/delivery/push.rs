//! Web Push out: the `push` outbox rows (endpoint_id NULL; the payload
//! names a subscription and carries the notification) go through their own
//! lane, one thread, like email. Each attempt encrypts the notification for
//! the device (`webpush::encrypt`), signs a VAPID header for the push
//! service's origin and POSTs it through the SSRF-guarded agent (RFC 8030
//! §5: `TTL`, `Urgency`, `Content-Encoding: aes128gcm`). 2xx is delivered;
//! 404 and 410 mean the subscription is gone (RFC 8030 §7.3): the row dies
//! and the device is removed; 429, 5xx and connection failures are retried
//! with the webhooks' backoff within the message's TTL; other answers are
//! final. Every attempt is recorded in `delivery_attempts`.

use super::{backoff_ms, webpush, Settings};
use crate::metrics::METRICS;
use crate::store::events::Audience;
use crate::store::outbox::{self, Attempt, Outcome};
use crate::store::push::{self as store_push, DuePush, Subscription};
use crate::store::{settings, Store};
use serde::Deserialize;
use serde_json::{json, Value};
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Rows taken per look at the outbox.
const BATCH: usize = 16;
/// A row is tried at least this many times within its TTL.
const MIN_ATTEMPTS: i64 = 3;
/// `push.subject`: the operator's contact in the VAPID JWT (`mailto:` or
/// an https URL); the public URL when unset.
pub const SUBJECT_KEY: &str = "push.subject";

/// A `push` outbox row's payload.
#[derive(Deserialize, Clone, Debug, Default)]
#[serde(default)]
pub struct Payload {
    pub subscription_id: i64,
    pub user_id: i64,
    /// `message`, `assigned` or `api` (Support Board's push-notification).
    pub kind: String,
    pub conversation_id: Option<i64>,
    /// `high` or `normal` (RFC 8030 §5.3).
    pub urgency: String,
    /// Seconds the push service may hold the message (RFC 8030 §5.2).
    pub ttl: i64,
    /// What the service worker shows: title, body, conversation_id, url.
    pub notification: Value,
}

/// The push lane: its thread waits for a wake-up or the next second.
pub struct Lane {
    wake: Mutex<bool>,
    cv: Condvar,
    stopping: AtomicBool,
    busy: AtomicBool,
}

impl Default for Lane {
    fn default() -> Self {
        Lane {
            wake: Mutex::new(false),
            cv: Condvar::new(),
            stopping: AtomicBool::new(false),
            busy: AtomicBool::new(false),
        }
    }
}

impl Lane {
    pub fn notify(&self) {
        *self.wake.lock().unwrap() = true;
        self.cv.notify_one();
    }

    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
        self.notify();
    }

    pub fn busy(&self) -> bool {
        self.busy.load(Ordering::Relaxed)
    }

    pub fn run(&self, store: Store, settings: Settings) {
        let agent = super::webhook::agent(settings.allow_private);
        while !self.stopping.load(Ordering::Relaxed) {
            let now = crate::util::now_ms();
            let due = store
                .read(|c| store_push::due_push(c, now, BATCH))
                .unwrap_or_default();
            let sent_any = !due.is_empty();
            for row in due {
                if self.stopping.load(Ordering::Relaxed) {
                    break;
                }
                self.busy.store(true, Ordering::Relaxed);
                send_row(&store, &agent, &settings, row);
                self.busy.store(false, Ordering::Relaxed);
            }
            if sent_any {
                continue;
            }
            let mut woken = self.wake.lock().unwrap();
            if !*woken {
                woken = self
                    .cv
                    .wait_timeout(woken, Duration::from_secs(1))
                    .unwrap()
                    .0;
            }
            *woken = false;
        }
    }
}

/// What one attempt came to.
struct Answer {
    status: Option<u16>,
    text: String,
    /// Failed before sending, in a way no retry mends (a message too
    /// large, a key that does not parse).
    permanent: bool,
}

/// The JWT's `sub`: the setting when it is a `mailto:` or https URL, else
/// the public URL.
fn subject(store: &Store, settings: &Settings) -> String {
    let chosen = store
        .read(|c| settings::get(c, SUBJECT_KEY))
        .ok()
        .flatten()
        .and_then(|v| v.as_str().map(str::to_string))
        .filter(|s| s.starts_with("mailto:") || s.starts_with("https://"));
    chosen.unwrap_or_else(|| settings.sender_url.clone())
}

/// Encrypts, signs and POSTs one message.
fn post(
    store: &Store,
    agent: &ureq::Agent,
    settings: &Settings,
    sub: &Subscription,
    p: &Payload,
) -> Answer {
    let failed = |text: String| Answer {
        status: None,
        text,
        permanent: true,
    };
    let Ok(Some((private, public))) = store.read(store_push::vapid) else {
        return failed("no VAPID key".into());
    };
    let body = match webpush::encrypt(
        &sub.p256dh,
        &sub.auth,
        p.notification.to_string().as_bytes(),
    ) {
        Ok(b) => b,
        Err(e) => return failed(e),
    };
    let auth = match webpush::vapid_authorization(
        &private,
        &public,
        &sub.endpoint,
        &subject(store, settings),
        crate::util::now_ms() / 1000,
    ) {
        Ok(a) => a,
        Err(e) => return failed(e),
    };
    let urgency = if p.urgency == "high" {
        "high"
    } else {
        "normal"
    };
    let result = agent
        .post(&sub.endpoint)
        .header("TTL", &p.ttl.clamp(0, 28 * 24 * 3600).to_string())
        .header("Urgency", urgency)
        .header("Content-Encoding", "aes128gcm")
        .header("Content-Type", "application/octet-stream")
        .header("Authorization", &auth)
        .send(&body[..]);
    match result {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let mut buf = Vec::new();
            let _ = resp
                .into_body()
                .into_reader()
                .take(512)
                .read_to_end(&mut buf);
            Answer {
                status: Some(status),
                text: String::from_utf8_lossy(&buf).into_owned(),
                permanent: false,
            }
        }
        Err(e) => Answer {
            status: None,
            text: e.to_string(),
            permanent: false,
        },
    }
}

/// Sends one row and records the attempt; a gone device is removed.
fn send_row(store: &Store, agent: &ureq::Agent, settings: &Settings, row: DuePush) {
    let p: Payload = serde_json::from_str(&row.payload).unwrap_or_default();
    let started = Instant::now();
    let sub = store
        .read(|c| store_push::get(c, p.subscription_id))
        .ok()
        .flatten();
    let answer = match &sub {
        Some(sub) => post(store, agent, settings, sub, &p),
        None => Answer {
            status: None,
            text: "the device was removed".into(),
            permanent: true,
        },
    };
    let duration_ms = started.elapsed().as_millis() as i64;
    let now = crate::util::now_ms();
    let ok = answer.status.is_some_and(|s| (200..300).contains(&s));
    let gone = matches!(answer.status, Some(404 | 410));
    let temporary = !answer.permanent && matches!(answer.status, None | Some(429 | 500..=599));
    let expired = row.attempts + 1 >= MIN_ATTEMPTS
        && now - row.created_at >= (p.ttl * 1000).min(settings.retry_window_ms);
    let outcome = if ok {
        Outcome::Delivered
    } else if temporary && !expired {
        Outcome::RetryAt(now + backoff_ms(settings.retry_base_ms, row.attempts + 1))
    } else {
        Outcome::Dead
    };
    if !ok {
        METRICS.delivery_failures.fetch_add(1, Ordering::Relaxed);
        log::warn!(
            "push {} failed: {:?} {}",
            row.id,
            answer.status,
            answer.text
        );
    }
    let attempt = Attempt {
        status_code: answer.status,
        error: (!ok).then(|| answer.text.chars().take(512).collect()),
        duration_ms,
        response: Some(answer.text.chars().take(512).collect()),
    };
    let r = store.write(move |tx| {
        outbox::record(tx, row.id, &attempt, outcome)?;
        if let Some(sub) = sub.filter(|_| gone) {
            if store_push::delete(tx, sub.id)? {
                tx.emit(
                    "push.unsubscribed",
                    None,
                    None,
                    Audience::Staff,
                    json!({ "subscription_id": sub.id, "user_id": sub.user_id, "reason": "gone" }),
                )?;
            }
        }
        Ok(())
    });
    if let Err(e) = r {
        // The row stays pending and due: it is sent again (at least once).
        log::error!("cannot record push {}: {e}", row.id);
        std::thread::sleep(Duration::from_secs(5));
    }
}
