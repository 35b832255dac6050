//! Webhook formats: the one place a surface registers how its webhooks are
//! subscribed to, which ones an event fires, and what their bodies look
//! like. The store writes the outbox rows `fan_out` decides (it is handed
//! that function at open); the desk checks new endpoints against their
//! format; the delivery workers render each body when they send it. Pure
//! functions, no I/O: what a body needs from the data comes in `Outgoing`.
//!
//! A new format (Chat2Desk, ChatShipper...) is one file here with its
//! `FORMAT`, listed in `FORMATS`.

mod chat2desk;
mod chatshipper;
mod standard;
mod support_board;

use crate::error::Result;
use crate::store::users::User;
use serde_json::Value;

/// A webhook body format, as an endpoint's `format` names it.
pub struct Format {
    /// The endpoint's `format` value.
    pub name: &'static str,
    /// Refuses subscriptions this format has no webhook for (the desk has
    /// already checked their spelling).
    pub check_kinds: fn(kinds: &[String]) -> Result<()>,
    /// A new endpoint's secret, from the key the admin gave, if any.
    pub secret: fn(key: Option<String>) -> String,
    /// The payloads of the outbox rows an event makes for an endpoint
    /// subscribed to `kinds`: one row each ("" = the Standard Webhooks body
    /// rendered from the event, `store::outbox::BODY`).
    pub rows: fn(kind: &str, data: &Value, kinds: &[String]) -> Vec<String>,
    /// The body sent for one outbox row.
    pub body: fn(&Outgoing) -> String,
    /// Headers of the format's own beside the Standard Webhooks ones
    /// (ChatShipper's `X-Hub-Signature`), from the body and the secret.
    pub headers: fn(body: &str, secret: &str) -> Vec<(&'static str, String)>,
}

/// No headers of a format's own.
fn no_headers(_: &str, _: &str) -> Vec<(&'static str, String)> {
    Vec::new()
}

/// What a format renders a row's body from, at send time.
pub struct Outgoing<'a> {
    /// The row's body as the store reads it: its payload, or the Standard
    /// Webhooks body rendered from its event when the payload is empty.
    pub payload: &'a str,
    /// The causing event: kind, payload, conversation, conversation owner.
    pub event: Option<&'a (String, String, Option<i64>, Option<i64>)>,
    /// The endpoint's secret.
    pub secret: &'a str,
    /// This server's public URL.
    pub sender_url: &'a str,
    /// Signs the upload links of the message at a JSON pointer of a JSON
    /// text (None when there is nothing to sign).
    pub sign: &'a dyn Fn(&str, &str) -> Option<String>,
    /// A user, for formats whose bodies show one.
    pub user: &'a dyn Fn(i64) -> Option<User>,
    /// A contact's platform identities, (source, id) (Chat2Desk's client).
    pub identities: &'a dyn Fn(i64) -> Vec<(String, String)>,
    /// A conversation's source (Chat2Desk's `transport`).
    pub source: &'a dyn Fn(i64) -> Option<String>,
}

/// Every format; the first is the default.
pub const FORMATS: &[&Format] = &[
    &standard::FORMAT,
    &support_board::FORMAT,
    &chatshipper::FORMAT,
    &chat2desk::FORMAT,
];

/// The format an endpoint names (Standard Webhooks for any it does not).
pub fn find(name: &str) -> Option<&'static Format> {
    FORMATS.iter().copied().find(|f| f.name == name)
}

fn find_or_standard(name: &str) -> &'static Format {
    find(name).unwrap_or(FORMATS[0])
}

/// The store's fan-out (`store::FanOut`): the outbox rows event `kind`
/// makes for one endpoint of format `format` subscribed to `kinds`.
pub fn fan_out(kind: &str, data: &Value, format: &str, kinds: &[String]) -> Vec<String> {
    (find_or_standard(format).rows)(kind, data, kinds)
}

/// The body sent for a row of an endpoint of format `format`.
pub fn body(format: &str, row: &Outgoing) -> String {
    (find_or_standard(format).body)(row)
}

/// The headers of a row's body beside the Standard Webhooks ones.
pub fn headers(format: &str, body: &str, secret: &str) -> Vec<(&'static str, String)> {
    (find_or_standard(format).headers)(body, secret)
}

/// Whether subscriptions `kinds` take `name`: itself, `*`, or a `prefix.*`.
pub fn wants(kinds: &[String], name: &str) -> bool {
    kinds.iter().any(|k| {
        k == "*"
            || k == name
            || k.strip_suffix(".*")
                .is_some_and(|p| name.strip_prefix(p).is_some_and(|r| r.starts_with('.')))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn kind_matching() {
        let wants = |kinds: &[&str], name| {
            let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
            super::wants(&kinds, name)
        };
        assert!(wants(&["*"], "message.created"));
        assert!(wants(&["message.*"], "message.created"));
        assert!(!wants(&["message.*"], "messages.x"));
        assert!(wants(&["conversation.status"], "conversation.status"));
        assert!(!wants(&["conversation.status"], "message.created"));
        assert!(!wants(&[], "message.created"));
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = super::FORMATS.iter().map(|f| f.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), super::FORMATS.len());
    }
}
