//! Report rows that no other table records: article searches and views,
//! automation runs, direct messages, and rows added through `reports-update`.

use super::writer::Tx;
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

/// One message of a conversation started in a report's range, for the
/// conversation and agent reports.
#[derive(Debug, Clone)]
pub struct Timeline {
    pub conversation_id: i64,
    pub conversation_at: i64,
    pub at: i64,
    pub by_owner: bool,
    /// The agent or admin who wrote it, if one did.
    pub staff_id: Option<i64>,
}

/// The visible messages of the conversations created in `[from, to)`,
/// by conversation then time.
pub fn timelines(conn: &Connection, from: i64, to: i64) -> Result<Vec<Timeline>> {
    let mut st = conn.prepare_cached(
        "SELECT c.id, c.created_at, m.created_at, m.by_owner,
                CASE WHEN u.user_type IN ('agent', 'admin') THEN u.id END
         FROM conversations c
         JOIN messages m ON m.conversation_id = c.id AND m.private = 0 AND m.deleted_at IS NULL
         LEFT JOIN users u ON u.id = m.user_id
         WHERE c.created_at >= ?1 AND c.created_at < ?2
         ORDER BY c.id, m.id",
    )?;
    let rows = st.query_map(params![from, to], |r| {
        Ok(Timeline {
            conversation_id: r.get(0)?,
            conversation_at: r.get(1)?,
            at: r.get(2)?,
            by_owner: r.get(3)?,
            staff_id: r.get(4)?,
        })
    })?;
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
    let mut st = conn.prepare_cached(
        "SELECT coalesce(c.agent_id, (SELECT m.user_id FROM messages m JOIN users u ON u.id = m.user_id
                                      WHERE m.conversation_id = c.id AND u.user_type IN ('agent', 'admin')
                                      ORDER BY m.id DESC LIMIT 1)),
                json_extract(c.extra, '$.rating.rating') AS r
         FROM conversations c
         WHERE c.created_at >= ?1 AND c.created_at < ?2 AND r IS NOT NULL",
    )?;
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
