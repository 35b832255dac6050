//! Webhook sending, signed the Standard Webhooks way: headers `webhook-id`
//! (stable across retries), `webhook-timestamp` and `webhook-signature:
//! v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed by the base64
//! part of the endpoint's `whsec_` secret.

use super::{backoff_ms, Settings};
use crate::metrics::METRICS;
use crate::store::outbox::{self, Attempt, Due, Outcome};
use crate::store::{webhooks, Store};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::io::Read;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// One shared agent: connect and total timeouts, no redirects, and the
/// private-address guard unless allowed.
pub fn agent(allow_private: bool) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(5)))
        .timeout_global(Some(Duration::from_secs(15)))
        .max_redirects(0)
        .http_status_as_error(false)
        .user_agent(concat!("Frontporch-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build();
    let connector = ureq::unversioned::transport::DefaultConnector::new();
    if allow_private {
        ureq::Agent::with_parts(
            config,
            connector,
            ureq::unversioned::resolver::DefaultResolver::default(),
        )
    } else {
        ureq::Agent::with_parts(config, connector, super::guard::GuardedResolver::default())
    }
}

/// `v1,<signature>` for a message.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> String {
    let key = secret.strip_prefix("whsec_").unwrap_or(secret);
    let key = base64::engine::general_purpose::STANDARD
        .decode(key)
        .unwrap_or_else(|_| key.as_bytes().to_vec());
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
    mac.update(format!("{msg_id}.{timestamp}.{body}").as_bytes());
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

/// The result of one attempt, recorded later together with others.
pub struct Finished {
    pub id: i64,
    pub endpoint_id: i64,
    pub attempt: Attempt,
    pub outcome: Outcome,
    /// The receiver answered 410 Gone: disable the endpoint.
    pub gone: bool,
    /// Given up after the whole retry window, with this reason: disable the
    /// endpoint if nothing reached it in that time either.
    pub expired: Option<String>,
}

/// Sends one delivery and decides what happens next; records nothing.
pub fn deliver(store: &Store, agent: &ureq::Agent, settings: &Settings, due: &Due) -> Finished {
    // Attachment links leave for another platform: signed for days, with an
    // expiry fixed by the row, so that every retry sends the same bytes.
    let exp = due.created_at / 1000 + crate::links::MAIL_TTL_SECS;
    let body = crate::webhook_formats::body(
        &due.format,
        &crate::webhook_formats::Outgoing {
            payload: &due.payload,
            event: due.event.as_ref(),
            secret: &due.secret,
            sender_url: &settings.sender_url,
            sign: &|json, pointer| settings.links.sign_at(json, pointer, exp),
            user: &|id| {
                store
                    .read(|c| crate::store::users::find(c, id))
                    .ok()
                    .flatten()
            },
            identities: &|id| {
                store
                    .read(|c| crate::store::channels::identities_of(c, id))
                    .unwrap_or_default()
            },
            source: &|id| {
                store
                    .read(|c| crate::store::conversations::get(c, id))
                    .ok()
                    .map(|c| c.source)
            },
        },
    );
    let msg_id = format!("msg_{}", due.id);
    let ts = crate::util::now_ms() / 1000;
    let signature = sign(&due.secret, &msg_id, ts, &body);
    let started = Instant::now();
    let mut request = agent
        .post(&due.url)
        .header("content-type", "application/json")
        .header("webhook-id", &msg_id)
        .header("webhook-timestamp", &ts.to_string())
        .header("webhook-signature", &signature);
    for (name, value) in crate::webhook_formats::headers(&due.format, &body, &due.secret) {
        request = request.header(name, &value);
    }
    let result = request.send(body.as_bytes());
    let duration_ms = started.elapsed().as_millis() as i64;
    let (status, error, excerpt) = match result {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let mut buf = Vec::new();
            let _ = resp
                .into_body()
                .into_reader()
                .take(512)
                .read_to_end(&mut buf);
            (
                Some(status),
                None,
                Some(String::from_utf8_lossy(&buf).into_owned()),
            )
        }
        Err(e) => (None, Some(e.to_string()), None),
    };
    let ok = status.is_some_and(|s| (200..300).contains(&s));
    if !ok {
        METRICS.delivery_failures.fetch_add(1, Ordering::Relaxed);
        let why = error
            .clone()
            .unwrap_or_else(|| format!("HTTP {}", status.unwrap_or(0)));
        log::warn!("webhook {msg_id} to {} failed: {why}", due.url);
    }
    let gone = status == Some(410);
    let now = crate::util::now_ms();
    let expired = !ok && !gone && now - due.created_at >= settings.retry_window_ms;
    let outcome = if ok {
        Outcome::Delivered
    } else if gone || expired {
        Outcome::Dead
    } else {
        Outcome::RetryAt(now + backoff_ms(settings.retry_base_ms, due.attempts + 1))
    };
    let expired = expired.then(|| {
        let why = error
            .clone()
            .unwrap_or_else(|| format!("HTTP {}", status.unwrap_or(0)));
        format!(
            "every delivery failed for {} (the retry window); last error: {why}",
            window_text(settings.retry_window_ms)
        )
    });
    Finished {
        id: due.id,
        endpoint_id: due.endpoint_id,
        attempt: Attempt {
            status_code: status,
            error,
            duration_ms,
            response: excerpt,
        },
        outcome,
        gone,
        expired,
    }
}

/// "3 days", "90 seconds": the retry window as people say it.
fn window_text(ms: i64) -> String {
    let s = ms / 1000;
    let (n, unit) = match s {
        _ if s >= 2 * 86_400 => (s / 86_400, "days"),
        _ if s >= 2 * 3_600 => (s / 3_600, "hours"),
        _ if s >= 2 * 60 => (s / 60, "minutes"),
        _ => (s, "seconds"),
    };
    match n {
        1 => format!("1 {}", unit.trim_end_matches('s')),
        _ => format!("{n} {unit}"),
    }
}

/// Records finished attempts in one write job: one job per batch of
/// deliveries, not per delivery, keeps the writer's group commits large.
/// False when they could not be recorded (they stay due and are sent again).
pub fn record(store: &Store, done: Vec<Finished>) -> bool {
    let n = done.len();
    let r = store.write(move |tx| {
        for f in &done {
            outbox::record(tx, f.id, &f.attempt, f.outcome)?;
        }
        // After every result is in, so that a success in this same batch
        // counts as a sign of life.
        for f in &done {
            let reason = match &f.expired {
                _ if f.gone => Some("receiver answered 410 Gone"),
                // Standard Webhooks: disable an endpoint that has failed
                // continuously for the window, rather than retry for ever.
                Some(why) if webhooks::failing_since(tx.conn, f.endpoint_id, f.id)? => {
                    Some(why.as_str())
                }
                _ => None,
            };
            if let Some(reason) = reason {
                disable(tx, f.endpoint_id, reason)?;
            }
        }
        Ok(())
    });
    match r {
        Ok(()) => true,
        // A full disk is logged once, where it is detected.
        Err(e) if e.is_disk_full() => false,
        Err(e) => {
            log::error!("cannot record {n} deliveries: {e}");
            false
        }
    }
}

/// Disables an endpoint and tells the admins (the inbox shows a notice).
fn disable(tx: &mut crate::store::Tx, endpoint_id: i64, reason: &str) -> crate::error::Result<()> {
    if let Some(ep) = webhooks::disable(tx, endpoint_id, reason)? {
        log::warn!("webhook endpoint {} ({}) disabled: {reason}", ep.id, ep.url);
        tx.emit(
            "webhook.disabled",
            None,
            None,
            crate::store::events::Audience::Admins,
            serde_json::json!({ "webhook": ep.to_json() }),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn window_is_said_plainly() {
        assert_eq!(super::window_text(3 * 24 * 3600 * 1000), "3 days");
        assert_eq!(super::window_text(1500), "1 second");
        assert_eq!(super::window_text(300_000), "5 minutes");
    }

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // From the Standard Webhooks specification's reference tests.
        let sig = super::sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
