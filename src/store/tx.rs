//! What the writer and the per-table queries share: `Tx`, the open
//! transaction a write job gets, and `FanOut`, the decision the store is
//! handed about which webhook outbox rows an event makes. A leaf: it
//! imports no other store module, so `writer` (which runs jobs and reads
//! `events`) and the queries (which take a `Tx`) do not import each other.

use rusqlite::Connection;
use serde_json::Value;

/// What a job hands to its closure: the open transaction plus helpers that
/// keep invariants (every change appends an event, webhooks go to the outbox).
pub struct Tx<'c> {
    pub conn: &'c Connection,
    pub now: i64,
    /// Given to `Store::open`; `Tx::emit` asks it for every event.
    pub(super) fan_out: FanOut,
}

/// The outbox rows event `kind` (with `data`) makes for one active webhook
/// endpoint of body format `format` subscribed to `kinds`: one row per
/// payload returned, none when it does not subscribe. An empty payload means
/// "the Standard Webhooks body, rendered from the event when sent"
/// (`outbox::BODY`); any other is the format's own (Support Board: the
/// webhook name). The decision lives above the store (`webhook_formats`).
pub type FanOut = fn(kind: &str, data: &Value, format: &str, kinds: &[String]) -> Vec<String>;
