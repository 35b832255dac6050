//! `/import`: what merging one conversation's messages into another reads
//! and writes (copies keep their time, sender, text, files and flags).

use super::json_col;
use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection};
use serde_json::Value;

/// One message as it is copied.
#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    pub user_id: Option<i64>,
    pub body: String,
    pub attachments: String,
    pub payload: Value,
    pub private: bool,
    pub by_owner: bool,
    pub created_at: i64,
    pub read_at: Option<i64>,
    pub delivered_at: Option<i64>,
    pub edited_at: Option<i64>,
}

/// A conversation's messages that are not deleted.
pub fn count(conn: &Connection, conversation_id: i64) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM messages WHERE conversation_id = ?1 AND deleted_at IS NULL",
        [conversation_id],
        |r| r.get(0),
    )?)
}

/// Up to `limit` of a conversation's messages (not deleted) after id
/// `after`, in id order.
pub fn page(conn: &Connection, conversation_id: i64, after: i64, limit: i64) -> Result<Vec<Row>> {
    let mut st = conn.prepare_cached(
        "SELECT id, user_id, body, attachments, payload, private, by_owner, created_at,
                read_at, delivered_at, edited_at
         FROM messages WHERE conversation_id = ?1 AND id > ?2 AND deleted_at IS NULL
         ORDER BY id LIMIT ?3",
    )?;
    let rows = st.query_map(params![conversation_id, after, limit], |r| {
        Ok(Row {
            id: r.get(0)?,
            user_id: r.get(1)?,
            body: r.get(2)?,
            attachments: r.get(3)?,
            payload: json_col(r.get(4)?),
            private: r.get(5)?,
            by_owner: r.get(6)?,
            created_at: r.get(7)?,
            read_at: r.get(8)?,
            delivered_at: r.get(9)?,
            edited_at: r.get(10)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Writes a copy of `row` into conversation `target` with `payload`; its id.
pub fn copy(tx: &Tx, target: i64, row: &Row, by_owner: bool, payload: &Value) -> Result<i64> {
    tx.conn
        .prepare_cached(
            "INSERT INTO messages (conversation_id, user_id, body, attachments, payload, private,
                 by_owner, created_at, read_at, delivered_at, edited_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )?
        .execute(params![
            target,
            row.user_id,
            row.body,
            row.attachments,
            payload.to_string(),
            row.private,
            by_owner,
            row.created_at,
            row.read_at,
            row.delivered_at,
            row.edited_at
        ])?;
    Ok(tx.conn.last_insert_rowid())
}

/// Replaces a message's payload (nothing else: not an edit).
pub fn set_payload(tx: &Tx, id: i64, payload: &Value) -> Result<()> {
    tx.conn
        .prepare_cached("UPDATE messages SET payload = ?2 WHERE id = ?1")?
        .execute(params![id, payload.to_string()])?;
    Ok(())
}

/// Whether a conversation was imported elsewhere already (a message of it
/// names its copy).
pub fn transferred(conn: &Connection, conversation_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM messages WHERE conversation_id = ?1
               AND json_extract(payload, '$.meta._target') IS NOT NULL LIMIT 1",
        )?
        .exists([conversation_id])?)
}
