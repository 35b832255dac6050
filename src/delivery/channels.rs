//! Messaging platforms out: the platform outbox rows (channel = a
//! platform's name, endpoint_id NULL; payload as `desk::channel_out`
//! writes it) go through their own lane, one thread apart from webhooks
//! and email. Each row becomes a `channels::Outgoing` (our upload links
//! made absolute and signed for `links::MAIL_TTL_SECS`), sent with the
//! platform's `send` through `PlatformHttp` (the SSRF guard, timeouts,
//! bounded answers). What the platform calls temporary is retried with the
//! webhooks' backoff, the rest is dead (and the inbox told:
//! `message.failed`); every attempt is recorded with the platform's
//! answer, and a success records the platform's ids of the message (so its
//! status reports find it) and emits `channel.sent`. Rows of a platform
//! with no setting wait; a row waits while an older row of its
//! conversation is pending (parts leave in order).

use super::platform_http::PlatformHttp;
use super::{backoff_ms, Settings};
use crate::channels::{self, Config, Link, Outgoing, Platform, Sent, Template};
use crate::metrics::METRICS;
use crate::store::channel_out::{self as rows, Due};
use crate::store::events::Audience;
use crate::store::outbox::{self, Attempt, Outcome};
use crate::store::{settings, Store};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// Rows taken per look at the outbox.
const BATCH: usize = 8;
/// A row is retried at least this many times, whatever its age (it may
/// have waited for its platform to be configured).
const MIN_ATTEMPTS: i64 = 5;

/// The lane: its thread waits for a wake-up or the next second.
pub struct Lane {
    wake: Mutex<bool>,
    cv: Condvar,
    stopping: AtomicBool,
    busy: AtomicBool,
}

impl Default for Lane {
    fn default() -> Self {
        Lane::new()
    }
}

impl Lane {
    pub fn new() -> Lane {
        Lane {
            wake: Mutex::new(false),
            cv: Condvar::new(),
            stopping: AtomicBool::new(false),
            busy: AtomicBool::new(false),
        }
    }

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

    /// The lane's loop: send what is due for the configured platforms.
    pub fn run(&self, store: Store, settings: Settings) {
        let http = PlatformHttp::new(settings.allow_private);
        let all: Vec<&str> = channels::PLATFORMS.iter().map(|p| p.name).collect();
        let mut last_count = Instant::now() - Duration::from_secs(2);
        while !self.stopping.load(Ordering::Relaxed) {
            if last_count.elapsed() >= Duration::from_secs(1) {
                if let Ok(n) = store.read(|c| rows::pending_count(c, &all)) {
                    METRICS
                        .channel_outbox_depth
                        .store(n as u64, Ordering::Relaxed);
                }
                last_count = Instant::now();
            }
            let configs = configured(&store, settings.links.public_url());
            let names: Vec<&str> = configs.iter().map(|(p, _)| p.name).collect();
            let mut sent_any = false;
            if !names.is_empty() {
                let now = crate::util::now_ms();
                let due = store
                    .read(|c| rows::due(c, &names, now, BATCH))
                    .unwrap_or_default();
                for row in due {
                    if self.stopping.load(Ordering::Relaxed) {
                        break;
                    }
                    let Some((p, config)) = configs.iter().find(|(p, _)| p.name == row.channel)
                    else {
                        continue;
                    };
                    self.busy.store(true, Ordering::Relaxed);
                    send_row(&store, &settings, &http, p, config, row);
                    self.busy.store(false, Ordering::Relaxed);
                    sent_any = true;
                }
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

/// The platforms whose setting is there (read each round: a change in
/// Settings → Channels applies to the next row).
fn configured(store: &Store, public_url: &str) -> Vec<(&'static Platform, Config)> {
    channels::PLATFORMS
        .iter()
        .filter_map(|p| {
            let key = format!("channels.{}", p.name);
            let setting = store.read(|c| settings::get(c, &key)).ok()?;
            let c = crate::channels::Config::load(p, setting, public_url).ok()?;
            Some((*p, c))
        })
        .collect()
}

/// A row's payload as the platform's `Outgoing`: links to our uploads
/// (in the text and the media) absolute and signed until `exp`.
pub fn outgoing(settings: &Settings, payload: &Value, exp: i64) -> Outgoing {
    let s = |k: &str| payload[k].as_str().unwrap_or("").to_string();
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect()
    };
    let media = payload["media"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| {
            Some(Link {
                name: m["name"].as_str().unwrap_or("file").to_string(),
                url: absolute(settings, &settings.links.sign(m["url"].as_str()?, exp)),
                content_type: m["content_type"].as_str().unwrap_or("").to_string(),
            })
        })
        .collect();
    let t = &payload["template"];
    let template = t.is_object().then(|| Template {
        name: t["name"].as_str().unwrap_or("").to_string(),
        language: t["language"].as_str().unwrap_or("").to_string(),
        header: strings(&t["header"]),
        body: strings(&t["body"]),
        buttons: strings(&t["buttons"]),
    });
    Outgoing {
        to: s("to"),
        source: s("source"),
        extra: payload["extra"].as_object().cloned().unwrap_or_default(),
        text: super::email::sign_links(settings, &s("text"), exp),
        media,
        template,
        reference: payload["message"].as_i64().map(|m| m.to_string()),
    }
}

fn absolute(settings: &Settings, url: &str) -> String {
    if url.starts_with('/') {
        format!("{}{url}", settings.links.public_url())
    } else {
        url.to_string()
    }
}

/// Records on the message that it could not be delivered, as a status
/// report of failure does (`desk::channels`): `payload.channel.failed`,
/// and `message.updated` so the inbox shows it on the message.
fn mark_failed(
    tx: &mut crate::store::Tx,
    platform: &str,
    conversation: Option<i64>,
    message_id: i64,
    why: &str,
) -> crate::error::Result<()> {
    use crate::store::messages;
    let Ok(m) = messages::get(tx.conn, message_id) else {
        return Ok(()); // deleted since
    };
    let mut payload = m.payload.as_object().cloned().unwrap_or_default();
    let channel = payload
        .entry("channel")
        .or_insert_with(|| json!({ "platform": platform }));
    if let Some(c) = channel.as_object_mut() {
        c.insert("failed".into(), json!(why));
    }
    let payload = serde_json::to_string(&payload)?;
    let m = messages::annotate(tx, message_id, &m.attachments.to_string(), &payload)?;
    let audience = if m.private {
        Audience::Staff
    } else {
        Audience::Everyone
    };
    tx.emit(
        "message.updated",
        conversation,
        None,
        audience,
        json!({ "message": m.to_json() }),
    )?;
    Ok(())
}

/// Sends one pending row now, from the caller's thread (Support Board's
/// send functions answer the platform's reply), under `timeout`; recorded
/// as the lane records it. None when the row is not pending any more or
/// its platform has no setting.
pub fn send_now(
    store: &Store,
    settings: &Settings,
    outbox_id: i64,
    timeout: Duration,
) -> Option<Sent> {
    let row = store
        .read(|c| rows::pending_row(c, outbox_id))
        .ok()
        .flatten()?;
    let (p, config) = configured(store, settings.links.public_url())
        .into_iter()
        .find(|(p, _)| p.name == row.channel)?;
    let http = PlatformHttp::with_timeout(settings.allow_private, timeout);
    Some(send_row(store, settings, &http, p, &config, row))
}

/// Sends one row and records the attempt, and then `channel.sent` (and
/// the platform's ids) or, when it is dead, `message.failed`.
fn send_row(
    store: &Store,
    settings: &Settings,
    http: &PlatformHttp,
    p: &Platform,
    config: &Config,
    row: Due,
) -> Sent {
    let payload: Value = serde_json::from_str(&row.payload).unwrap_or(Value::Null);
    // Fixed by the row, so every retry sends the same links.
    let exp = row.created_at / 1000 + crate::links::MAIL_TTL_SECS;
    let out = outgoing(settings, &payload, exp);
    let started = Instant::now();
    // Telegram's token is in the URL its errors may echo: hidden in all we keep.
    let sent = (p.send)(http, config, &out).hide_secrets(p, config);
    let duration_ms = started.elapsed().as_millis() as i64;
    let now = crate::util::now_ms();
    let (attempt, outcome) = match &sent {
        Sent::Ok { response, .. } => (
            Attempt {
                status_code: Some(200),
                error: None,
                duration_ms,
                response: Some(response.to_string().chars().take(1024).collect()),
            },
            Outcome::Delivered,
        ),
        Sent::Failed {
            status,
            text,
            retry,
        } => {
            METRICS.delivery_failures.fetch_add(1, Ordering::Relaxed);
            log::warn!("{} row {} failed: {text}", p.name, row.id);
            let give_up = row.attempts + 1 >= MIN_ATTEMPTS
                && now - row.created_at >= settings.retry_window_ms;
            let outcome = if !retry || give_up {
                Outcome::Dead
            } else {
                Outcome::RetryAt(now + backoff_ms(settings.retry_base_ms, row.attempts + 1))
            };
            (
                Attempt {
                    status_code: *status,
                    error: Some(text.chars().take(512).collect()),
                    duration_ms,
                    response: Some(text.chars().take(1024).collect()),
                },
                outcome,
            )
        }
    };
    let platform = p.name;
    let answer = sent.clone();
    let r = store.write(move |tx| {
        outbox::record(tx, row.id, &attempt, outcome)?;
        let conversation = payload["conversation_id"].as_i64();
        let message = payload["message"].as_i64();
        match (&sent, outcome) {
            (Sent::Ok { ids, response }, _) => {
                for id in ids.iter().take(50) {
                    crate::store::channels::record(tx, platform, id, "out", conversation, message)?;
                }
                tx.emit(
                    "channel.sent",
                    conversation,
                    None,
                    Audience::Staff,
                    json!({
                        "platform": platform, "outbox_id": row.id, "kind": payload["kind"],
                        "to": payload["to"], "message": payload["text"], "message_id": message,
                        "conversation_id": conversation, "recipient_id": payload["recipient_id"],
                        "ids": ids, "response": response,
                    }),
                )?;
            }
            (Sent::Failed { text, .. }, Outcome::Dead) => {
                if let Some(id) = message {
                    let why: String = text.chars().take(512).collect();
                    mark_failed(tx, platform, conversation, id, &why)?;
                    tx.emit(
                        "message.failed",
                        conversation,
                        None,
                        Audience::Staff,
                        json!({ "message_id": id, "platform": platform, "outbox_id": row.id,
                                "error": text.chars().take(512).collect::<String>() }),
                    )?;
                }
            }
            _ => {}
        }
        Ok(())
    });
    if let Err(e) = r {
        // The row stays pending and due: it is sent again (at least once).
        log::error!("cannot record {} row: {e}", p.name);
        std::thread::sleep(Duration::from_secs(5));
    }
    answer
}
