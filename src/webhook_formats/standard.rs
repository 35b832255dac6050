//! Standard Webhooks: endpoints subscribe to event kinds; each event is one
//! row whose body `{type, timestamp, data}` the store renders from the event
//! (`store::outbox::BODY`), the event being its `data`.

use super::{wants, Format, Outgoing};
use serde_json::Value;

pub const FORMAT: Format = Format {
    name: "standard",
    check_kinds: |_| Ok(()),
    secret,
    rows,
    body,
    headers: super::no_headers,
};

/// A generated signing secret, `whsec_` and base64 (the admin's key is not
/// used).
fn secret(_: Option<String>) -> String {
    format!(
        "whsec_{}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            crate::util::random_bytes(24)
        )
    )
}

fn rows(kind: &str, _: &Value, kinds: &[String]) -> Vec<String> {
    if wants(kinds, kind) {
        vec![String::new()]
    } else {
        Vec::new()
    }
}

/// The store's body, with the event's message links signed.
pub fn body(o: &Outgoing) -> String {
    (o.sign)(o.payload, "/data/data/message").unwrap_or_else(|| o.payload.to_string())
}
