//! Messaging platforms, out: the queries of the channel outbox rows
//! (`outbox.channel` = a platform name, no endpoint) and what queueing a
//! reply reads about its conversation.

use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

/// A conversation's source code and extra data, if it exists.
pub fn route(conn: &Connection, conversation_id: i64) -> Result<Option<(String, Value)>> {
    Ok(conn
        .prepare_cached("SELECT source, extra FROM conversations WHERE id = ?1")?
        .query_row([conversation_id], |r| {
            let extra: Option<String> = r.get(1)?;
            Ok((
                r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                extra
                    .and_then(|e| serde_json::from_str(&e).ok())
                    .unwrap_or(Value::Null),
            ))
        })
        .optional()?)
}

/// When the conversation's own user last wrote in it (ms), if ever.
pub fn last_contact_message_at(conn: &Connection, conversation_id: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT created_at FROM messages WHERE conversation_id = ?1 AND by_owner = 1
             AND deleted_at IS NULL ORDER BY id DESC LIMIT 1",
        )?
        .query_row([conversation_id], |r| r.get(0))
        .optional()?)
}

/// A platform row ready to send.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: i64,
    pub channel: String,
    pub payload: String,
    pub attempts: i64,
    pub created_at: i64,
}

/// Up to `limit` pending rows of the platforms named in `channels`, due by
/// `now`, oldest first; a row waits while an older row of its conversation
/// is still pending (the parts of a long reply leave in order).
pub fn due(conn: &Connection, channels: &[&str], now: i64, limit: usize) -> Result<Vec<Due>> {
    let names = serde_json::to_string(channels)?;
    let mut st = conn.prepare_cached(
        "SELECT o.id, o.channel, o.payload, o.attempts, o.created_at FROM outbox o
         WHERE o.next_attempt_at <= ?1
           -- The oldest pending row of each conversation (a row without one
           -- is its own group): one pass over the pending rows, where a
           -- NOT EXISTS per row grew with the square of the backlog.
           AND o.id IN (
             SELECT min(p.id) FROM outbox p
             WHERE p.endpoint_id IS NULL AND p.state = 'pending'
               AND p.channel IN (SELECT value FROM json_each(?2))
             GROUP BY p.channel, coalesce(json_extract(p.payload, '$.conversation_id'), -p.id))
         ORDER BY o.next_attempt_at, o.id LIMIT ?3",
    )?;
    let rows = st.query_map(params![now, names, limit as i64], |r| {
        Ok(Due {
            id: r.get(0)?,
            channel: r.get(1)?,
            payload: r.get(2)?,
            attempts: r.get(3)?,
            created_at: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Pending platform rows (what waits for `delivery/channels.rs`).
pub fn pending_count(conn: &Connection, channels: &[&str]) -> Result<i64> {
    let names = serde_json::to_string(channels)?;
    Ok(conn.query_row(
        "SELECT count(*) FROM outbox WHERE state = 'pending' AND endpoint_id IS NULL
           AND channel IN (SELECT value FROM json_each(?1))",
        [names],
        |r| r.get(0),
    )?)
}

/// Puts rows off until `at` (ms): a caller about to send them itself keeps
/// the lane from sending them at the same time; if the caller dies, the
/// lane sends them then.
pub fn defer(tx: &super::Tx, ids: &[i64], at: i64) -> Result<()> {
    let mut st = tx.conn.prepare_cached(
        "UPDATE outbox SET next_attempt_at = ?2 WHERE id = ?1 AND state = 'pending'",
    )?;
    for id in ids {
        st.execute(params![id, at])?;
    }
    Ok(())
}

/// One pending platform row, by id.
pub fn pending_row(conn: &Connection, id: i64) -> Result<Option<Due>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, channel, payload, attempts, created_at FROM outbox
             WHERE id = ?1 AND endpoint_id IS NULL AND state = 'pending'",
        )?
        .query_row([id], |r| {
            Ok(Due {
                id: r.get(0)?,
                channel: r.get(1)?,
                payload: r.get(2)?,
                attempts: r.get(3)?,
                created_at: r.get(4)?,
            })
        })
        .optional()?)
}

/// Whether a notification row of `channel` for this conversation went to
/// `to` since `since` (queued, whatever became of it).
pub fn notified_since(
    conn: &Connection,
    channel: &str,
    conversation_id: i64,
    to: &str,
    since: i64,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM outbox WHERE endpoint_id IS NULL AND channel = ?1
                AND created_at >= ?4 AND json_extract(payload, '$.kind') = 'notification'
                AND json_extract(payload, '$.conversation_id') = ?2 AND json_extract(payload, '$.to') = ?3)",
        )?
        .query_row(params![channel, conversation_id, to, since], |r| r.get(0))?)
}
