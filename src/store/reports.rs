//! Report rows that no other table records: article searches and views,
//! automation runs, direct messages, and rows added through `reports-update`.

use super::messages::LAST_STAFF_SENDER;
use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection};

#[derive(Debug, Clone, Default)]
pub struct Row {
    pub name: String,
    pub value: Option<String>,
    pub external_id: Option<String>,
    pub extra: Option<String>,
    pub created_at: i64,
}

pub fn add(tx: &Tx, r: &Row) -> Result<()> {
    tx.conn
        .prepare_cached(
            "INSERT INTO reports (name, value, external_id, extra, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![r.name, r.value, r.external_id, r.extra, tx.now])?;
    Ok(())
}

/// Rows named `name` created in `[from, to)`, oldest first.
pub fn between(conn: &Connection, name: &str, from: i64, to: i64) -> Result<Vec<Row>> {
    let mut st = conn.prepare_cached(
        "SELECT name, value, external_id, extra, created_at FROM reports
         WHERE name = ?1 AND created_at >= ?2 AND created_at < ?3 ORDER BY created_at",
    )?;
    let rows = st.query_map(params![name, from, to], |r| {
        Ok(Row {
            name: r.get(0)?,
            value: r.get(1)?,
            external_id: r.get(2)?,
            extra: r.get(3)?,
            created_at: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A conversation started in a report's range, summed up from its visible
/// messages.
#[derive(Debug, Clone)]
pub struct Span {
    pub conversation_id: i64,
    pub conversation_at: i64,
    /// The contact's first message.
    pub first_owner_at: Option<i64>,
    pub first_at: i64,
    pub last_at: i64,
    /// Whether an agent or admin wrote in it.
    pub answered: bool,
    /// The first agent reply after the contact's first message: (agent, time).
    pub first_reply: Option<(i64, i64)>,
}

/// A message, not an internal note, not deleted.
const VISIBLE: &str = "m.conversation_id = c.id AND m.private = 0 AND m.deleted_at IS NULL";
/// ...written by an agent or admin.
const BY_STAFF: &str =
    "m.by_owner = 0 AND m.user_id IN (SELECT id FROM users WHERE user_type IN ('agent', 'admin'))";

/// The conversations created in `[from, to)` that have messages, each
/// summed up by a few index probes that stop at the first match (first and
/// last message, first contact message, first agent reply), so a report
/// costs per conversation, not per message.
pub fn spans(conn: &Connection, from: i64, to: i64) -> Result<Vec<Span>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT s.id, s.created_at, o.created_at, f.created_at, l.created_at,
                EXISTS (SELECT 1 FROM messages m, conversations c WHERE c.id = s.id AND {VISIBLE} AND {BY_STAFF}),
                r.user_id, r.created_at
         FROM (SELECT c.id, c.created_at,
                 (SELECT m.id FROM messages m WHERE {VISIBLE} ORDER BY m.id LIMIT 1) AS first_id,
                 (SELECT m.id FROM messages m WHERE {VISIBLE} ORDER BY m.id DESC LIMIT 1) AS last_id,
                 (SELECT m.id FROM messages m WHERE {VISIBLE} AND m.by_owner = 1 ORDER BY m.id LIMIT 1) AS owner_id
               FROM conversations c WHERE c.created_at >= ?1 AND c.created_at < ?2) s
         JOIN messages f ON f.id = s.first_id
         JOIN messages l ON l.id = s.last_id
         LEFT JOIN messages o ON o.id = s.owner_id
         LEFT JOIN messages r ON r.id = (
             SELECT m.id FROM messages m, conversations c
             WHERE c.id = s.id AND {VISIBLE} AND {BY_STAFF} AND m.id > s.owner_id ORDER BY m.id LIMIT 1)"
    ))?;
    let rows = st.query_map(params![from, to], |r| {
        let reply: (Option<i64>, Option<i64>) = (r.get(6)?, r.get(7)?);
        Ok(Span {
            conversation_id: r.get(0)?,
            conversation_at: r.get(1)?,
            first_owner_at: r.get(2)?,
            first_at: r.get(3)?,
            last_at: r.get(4)?,
            answered: r.get(5)?,
            first_reply: match reply {
                (Some(who), Some(at)) => Some((who, at)),
                _ => None,
            },
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// (conversation, agent) for every agent or admin who wrote in a
/// conversation created in `[from, to)`.
pub fn staff_in_conversations(conn: &Connection, from: i64, to: i64) -> Result<Vec<(i64, i64)>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT DISTINCT c.id, m.user_id FROM conversations c JOIN messages m ON {VISIBLE} AND {BY_STAFF}
         WHERE c.created_at >= ?1 AND c.created_at < ?2"
    ))?;
    let rows = st.query_map(params![from, to], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// (id, creation time) of the conversations created in `[from, to)`.
pub fn conversations(conn: &Connection, from: i64, to: i64) -> Result<Vec<(i64, i64)>> {
    let mut st = conn.prepare_cached(
        "SELECT id, created_at FROM conversations WHERE created_at >= ?1 AND created_at < ?2",
    )?;
    let rows = st.query_map(params![from, to], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Creation times of contacts of `user_type` created in `[from, to)`.
pub fn user_times(conn: &Connection, user_type: &str, from: i64, to: i64) -> Result<Vec<i64>> {
    let mut st = conn.prepare_cached(
        "SELECT created_at FROM users WHERE user_type = ?3 AND created_at >= ?1 AND created_at < ?2",
    )?;
    let rows = st.query_map(params![from, to, user_type], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A contact attribute (`language`, or a custom field such as `country`,
/// `browser`, `os`) of the contacts created in `[from, to)`, with counts.
pub fn contact_attribute(
    conn: &Connection,
    attribute: &str,
    from: i64,
    to: i64,
) -> Result<Vec<(String, i64)>> {
    let expr = match attribute {
        "language" => "language",
        "country" => "json_extract(custom, '$.country')",
        "browser" => "json_extract(custom, '$.browser')",
        "os" => "json_extract(custom, '$.os')",
        _ => return Ok(vec![]),
    };
    let mut st = conn.prepare_cached(&format!(
        "SELECT {expr} AS v, count(*) FROM users
         WHERE user_type IN ('visitor', 'lead', 'user') AND created_at >= ?1 AND created_at < ?2
           AND v IS NOT NULL AND v != ''
         GROUP BY v ORDER BY count(*) DESC, v"
    ))?;
    let rows = st.query_map(params![from, to], |r| {
        Ok((r.get::<_, rusqlite::types::Value>(0)?, r.get(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (v, n) = row?;
        let text = match v {
            rusqlite::types::Value::Text(t) => t,
            rusqlite::types::Value::Integer(i) => i.to_string(),
            rusqlite::types::Value::Real(f) => f.to_string(),
            _ => continue,
        };
        out.push((text, n));
    }
    Ok(out)
}

/// Ratings given to conversations created in `[from, to)`: (agent, rating);
/// the agent is the assigned one, else the last one who replied.
pub fn conversation_ratings(
    conn: &Connection,
    from: i64,
    to: i64,
) -> Result<Vec<(Option<i64>, i64)>> {
    // The assigned agent, else the last one who wrote.
    let mut st = conn.prepare_cached(&format!(
        "SELECT coalesce(c.agent_id, {LAST_STAFF_SENDER}),
                json_extract(c.extra, '$.rating.rating') AS r
         FROM conversations c
         WHERE c.created_at >= ?1 AND c.created_at < ?2 AND r IS NOT NULL"
    ))?;
    let rows = st.query_map(params![from, to], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Article ratings given in `[from, to)`: (article id, rating).
pub fn article_ratings(conn: &Connection, from: i64, to: i64) -> Result<Vec<(String, i64)>> {
    let mut st = conn.prepare_cached(
        "SELECT article_id, rating FROM article_ratings WHERE created_at >= ?1 AND created_at < ?2 ORDER BY id",
    )?;
    let rows = st.query_map(params![from, to], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
