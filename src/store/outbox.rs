//! The outbox: rows that must leave the box, and the record of each attempt.

use super::found;
use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{json, Value};

/// A row's body: its own payload, or, when empty, the Standard Webhooks
/// body `{type, timestamp, data}` rendered from its event (the timestamp is
/// the event's, so retries send the same bytes).
const BODY: &str = "CASE WHEN o.payload <> '' OR ev.id IS NULL THEN o.payload ELSE json_object(
        'type', ev.kind,
        'timestamp', strftime('%Y-%m-%dT%H:%M:%fZ', ev.created_at / 1000.0, 'unixepoch'),
        'data', json_object('id', ev.id, 'kind', ev.kind, 'conversation_id', ev.conversation_id,
                            'actor_id', ev.actor_id, 'data', json(ev.payload))) END";

pub fn insert(
    tx: &Tx,
    channel: &str,
    endpoint_id: Option<i64>,
    event_id: Option<i64>,
    payload: &str,
) -> Result<i64> {
    tx.conn
        .prepare_cached(
            "INSERT INTO outbox (channel, endpoint_id, event_id, payload, next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        )?
        .execute(params![channel, endpoint_id, event_id, payload, tx.now])?;
    Ok(tx.conn.last_insert_rowid())
}

/// A webhook delivery ready to send.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: i64,
    pub endpoint_id: i64,
    pub url: String,
    pub secret: String,
    pub payload: String,
    pub attempts: i64,
    pub created_at: i64,
    /// The endpoint's body format (`standard`, `support_board`).
    pub format: String,
    /// The causing event: kind, payload, conversation, conversation owner.
    pub event: Option<(String, String, Option<i64>, Option<i64>)>,
}

/// Up to `limit` pending rows of one active endpoint due by `now`, oldest
/// first, leaving out the ids in `busy`.
pub fn due(
    conn: &Connection,
    endpoint_id: i64,
    now: i64,
    limit: usize,
    busy: &[i64],
) -> Result<Vec<Due>> {
    let mut st = conn.prepare_cached(
        &format!("SELECT o.id, o.endpoint_id, e.url, e.secret, {BODY}, o.attempts, o.created_at,
                e.format, ev.kind, ev.payload, ev.conversation_id, ev.visitor_id
         FROM outbox o JOIN webhook_endpoints e ON e.id = o.endpoint_id LEFT JOIN events ev ON ev.id = o.event_id
         WHERE o.endpoint_id = ?1 AND o.state = 'pending' AND o.next_attempt_at <= ?2 AND e.active = 1
         ORDER BY o.next_attempt_at, o.id LIMIT ?3"),
    )?;
    let rows = st.query_map(
        params![endpoint_id, now, (limit + busy.len()) as i64],
        |r| {
            Ok(Due {
                id: r.get(0)?,
                endpoint_id: r.get(1)?,
                url: r.get(2)?,
                secret: r.get(3)?,
                payload: r.get(4)?,
                attempts: r.get(5)?,
                created_at: r.get(6)?,
                format: r.get(7)?,
                event: match r.get::<_, Option<String>>(8)? {
                    Some(kind) => Some((kind, r.get(9)?, r.get(10)?, r.get(11)?)),
                    None => None,
                },
            })
        },
    )?;
    let mut out = Vec::new();
    for row in rows {
        let d = row?;
        if !busy.contains(&d.id) && out.len() < limit {
            out.push(d);
        }
    }
    Ok(out)
}

/// Active webhook endpoints with pending rows, and when each next falls due.
pub fn pending_endpoints(conn: &Connection) -> Result<Vec<(i64, i64)>> {
    let mut st = conn.prepare_cached(
        "SELECT e.id, (SELECT min(o.next_attempt_at) FROM outbox o WHERE o.endpoint_id = e.id AND o.state = 'pending')
         FROM webhook_endpoints e WHERE e.active = 1",
    )?;
    let rows = st.query_map([], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        if let (id, Some(at)) = row? {
            out.push((id, at));
        }
    }
    Ok(out)
}

/// Pending webhook rows (the other channels' rows have no endpoint and
/// wait for their own lanes: `pending_email_count`, ...).
pub fn pending_count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM outbox WHERE state = 'pending' AND endpoint_id IS NOT NULL",
        [],
        |r| r.get(0),
    )?)
}

pub fn pending_email_count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM outbox WHERE state = 'pending' AND endpoint_id IS NULL AND channel = 'email'",
        [],
        |r| r.get(0),
    )?)
}

/// An email row ready to send.
#[derive(Debug, Clone)]
pub struct DueEmail {
    pub id: i64,
    pub payload: String,
    pub attempts: i64,
    pub created_at: i64,
}

/// Up to `limit` pending email rows due by `now`, oldest first.
pub fn due_email(conn: &Connection, now: i64, limit: usize) -> Result<Vec<DueEmail>> {
    let mut st = conn.prepare_cached(
        "SELECT id, payload, attempts, created_at FROM outbox
         WHERE endpoint_id IS NULL AND state = 'pending' AND next_attempt_at <= ?1 AND channel = 'email'
         ORDER BY next_attempt_at, id LIMIT ?2",
    )?;
    let rows = st.query_map(params![now, limit as i64], |r| {
        Ok(DueEmail {
            id: r.get(0)?,
            payload: r.get(1)?,
            attempts: r.get(2)?,
            created_at: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Up to `limit` pending endpoint-less rows of `channel` (a lane of its
/// own: `media` fetches, ...) due by `now`, oldest first.
pub fn due_of(conn: &Connection, channel: &str, now: i64, limit: usize) -> Result<Vec<DueEmail>> {
    let mut st = conn.prepare_cached(
        "SELECT id, payload, attempts, created_at FROM outbox
         WHERE endpoint_id IS NULL AND state = 'pending' AND next_attempt_at <= ?1 AND channel = ?3
         ORDER BY next_attempt_at, id LIMIT ?2",
    )?;
    let rows = st.query_map(params![now, limit as i64, channel], |r| {
        Ok(DueEmail {
            id: r.get(0)?,
            payload: r.get(1)?,
            attempts: r.get(2)?,
            created_at: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Email deliveries, newest first, with ids below `before`, each with the
/// server's last reply (`reply`).
pub fn list_email(conn: &Connection, before: i64, limit: i64) -> Result<Vec<Value>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {} WHERE o.endpoint_id IS NULL AND o.channel = 'email' AND o.id < ?1 ORDER BY o.id DESC LIMIT ?2",
        cols()
    ))?;
    let mut rows = st
        .query_map(params![before, limit], delivery_json)?
        .collect::<rusqlite::Result<Vec<Value>>>()?;
    let mut last = conn.prepare_cached(
        "SELECT response FROM delivery_attempts WHERE outbox_id = ?1 ORDER BY id DESC LIMIT 1",
    )?;
    for r in &mut rows {
        let id = r["id"].as_i64().unwrap_or(0);
        let reply: Option<Option<String>> = last.query_row([id], |x| x.get(0)).optional()?;
        r["reply"] = json!(reply.flatten());
    }
    Ok(rows)
}

/// Messaging platform deliveries (rows of the channels in `channels`),
/// newest first, with ids below `before`, each with the platform's last
/// reply (`reply`).
pub fn list_channel(
    conn: &Connection,
    channels: &[&str],
    before: i64,
    limit: i64,
) -> Result<Vec<Value>> {
    let names = serde_json::to_string(channels)?;
    let mut st = conn.prepare_cached(&format!(
        "SELECT {} WHERE o.endpoint_id IS NULL AND o.channel IN (SELECT value FROM json_each(?3))
         AND o.id < ?1 ORDER BY o.id DESC LIMIT ?2",
        cols().replacen(" FROM outbox o", ", o.channel FROM outbox o", 1)
    ))?;
    let mut rows = st
        .query_map(params![before, limit, names], |r| {
            let mut v = delivery_json(r)?;
            v["channel"] = json!(r.get::<_, String>(10)?);
            Ok(v)
        })?
        .collect::<rusqlite::Result<Vec<Value>>>()?;
    let mut last = conn.prepare_cached(
        "SELECT response FROM delivery_attempts WHERE outbox_id = ?1 ORDER BY id DESC LIMIT 1",
    )?;
    for r in &mut rows {
        let id = r["id"].as_i64().unwrap_or(0);
        let reply: Option<Option<String>> = last.query_row([id], |x| x.get(0)).optional()?;
        r["reply"] = json!(reply.flatten());
    }
    Ok(rows)
}

/// Whether a notification email for this conversation went to `to`
/// since `since` (queued, whatever became of it).
pub fn notified_since(
    conn: &Connection,
    conversation_id: i64,
    to: &str,
    since: i64,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM outbox WHERE endpoint_id IS NULL AND channel = 'email'
                AND created_at >= ?3 AND json_extract(payload, '$.kind') = 'notification'
                AND json_extract(payload, '$.conversation_id') = ?1 AND json_extract(payload, '$.to') = ?2)",
        )?
        .query_row(params![conversation_id, to, since], |r| r.get(0))?)
}

pub struct Attempt {
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub response: Option<String>,
}

#[derive(Clone, Copy)]
pub enum Outcome {
    Delivered,
    RetryAt(i64),
    Dead,
}

pub fn record(tx: &Tx, outbox_id: i64, attempt: &Attempt, outcome: Outcome) -> Result<()> {
    tx.conn
        .prepare_cached(
            "INSERT INTO delivery_attempts (outbox_id, attempted_at, status_code, error, duration_ms, response)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![outbox_id, tx.now, attempt.status_code, attempt.error, attempt.duration_ms, attempt.response])?;
    let (state, next, delivered) = match outcome {
        Outcome::Delivered => ("delivered", tx.now, Some(tx.now)),
        Outcome::RetryAt(at) => ("pending", at, None),
        Outcome::Dead => ("dead", tx.now, None),
    };
    let error = attempt.error.clone().or_else(|| {
        attempt
            .status_code
            .filter(|c| !(200..300).contains(c))
            .map(|c| format!("HTTP {c}"))
    });
    tx.conn
        .prepare_cached(
            "UPDATE outbox SET state = ?2, attempts = attempts + 1, next_attempt_at = ?3,
                 delivered_at = ?4, last_error = ?5 WHERE id = ?1",
        )?
        .execute(params![outbox_id, state, next, delivered, error])?;
    Ok(())
}

fn delivery_json(r: &Row) -> rusqlite::Result<Value> {
    let payload: String = r.get(4)?;
    Ok(json!({
        "id": r.get::<_, i64>(0)?,
        "endpoint_id": r.get::<_, Option<i64>>(1)?,
        "event_id": r.get::<_, Option<i64>>(2)?,
        "state": r.get::<_, String>(3)?,
        "payload": serde_json::from_str::<Value>(&payload).unwrap_or(Value::String(payload)),
        "attempts": r.get::<_, i64>(5)?,
        "next_attempt_at": crate::util::rfc3339(r.get(6)?),
        "created_at": crate::util::rfc3339(r.get(7)?),
        "delivered_at": r.get::<_, Option<i64>>(8)?.map(crate::util::rfc3339),
        "last_error": r.get::<_, Option<String>>(9)?,
    }))
}

/// Columns for `delivery_json`, over `outbox o LEFT JOIN events ev`.
fn cols() -> String {
    format!(
        "o.id, o.endpoint_id, o.event_id, o.state, {BODY}, o.attempts, o.next_attempt_at, o.created_at, \
         o.delivered_at, o.last_error FROM outbox o LEFT JOIN events ev ON ev.id = o.event_id"
    )
}

/// An endpoint's deliveries, newest first, with ids below `before`.
pub fn list_for_endpoint(
    conn: &Connection,
    endpoint_id: i64,
    before: i64,
    limit: i64,
) -> Result<Vec<Value>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {} WHERE o.endpoint_id = ?1 AND o.id < ?2 ORDER BY o.id DESC LIMIT ?3",
        cols()
    ))?;
    let rows = st.query_map(params![endpoint_id, before, limit], delivery_json)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One delivery with every attempt.
pub fn get(conn: &Connection, id: i64) -> Result<Value> {
    let mut v = found(
        conn.query_row(
            &format!("SELECT {} WHERE o.id = ?1", cols()),
            [id],
            delivery_json,
        ),
        "delivery",
    )?;
    let mut st = conn.prepare_cached(
        "SELECT attempted_at, status_code, error, duration_ms, response FROM delivery_attempts
         WHERE outbox_id = ?1 ORDER BY id",
    )?;
    let attempts = st
        .query_map([id], |r| {
            Ok(json!({
                "attempted_at": crate::util::rfc3339(r.get(0)?),
                "status_code": r.get::<_, Option<i64>>(1)?,
                "error": r.get::<_, Option<String>>(2)?,
                "duration_ms": r.get::<_, i64>(3)?,
                "response": r.get::<_, Option<String>>(4)?,
            }))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    v["attempt_log"] = Value::Array(attempts);
    Ok(v)
}

/// Sends a delivery again (same webhook-id), whatever its state.
pub fn replay(tx: &Tx, id: i64) -> Result<()> {
    let n = tx.conn.execute(
        "UPDATE outbox SET state = 'pending', next_attempt_at = ?2, created_at = ?2 WHERE id = ?1",
        params![id, tx.now],
    )?;
    if n == 0 {
        return Err(crate::error::Error::not_found("delivery"));
    }
    Ok(())
}
