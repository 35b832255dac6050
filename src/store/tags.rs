//! Tags (migration 015): admin-managed labels with colours, on clients
//! (`client_tags`) and on requests, our conversations (`request_tags`).

use super::found;
use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{json, Value};
use std::collections::HashMap;

const COLS: &str = "t.id, t.label, t.group_name, t.description, t.bg_color, t.text_color";

/// A tag as every surface starts from (Chat2Desk's field names).
fn to_json(r: &Row) -> rusqlite::Result<Value> {
    tag_at(r, 0)
}

/// The tag whose `COLS` start at column `i`.
fn tag_at(r: &Row, i: usize) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, i64>(i)?, "label": r.get::<_, String>(i + 1)?,
        "group_name": r.get::<_, String>(i + 2)?, "description": r.get::<_, String>(i + 3)?,
        "bg_color": r.get::<_, String>(i + 4)?, "text_color": r.get::<_, String>(i + 5)?,
    }))
}

pub fn get(conn: &Connection, id: i64) -> Result<Value> {
    found(
        conn.query_row(
            &format!("SELECT {COLS} FROM tags t WHERE t.id = ?1"),
            [id],
            to_json,
        ),
        "tag",
    )
}

/// What a tag is put on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A client (a contact): `users.id`.
    Client(i64),
    /// A request (a conversation): `conversations.id`.
    Request(i64),
}

impl Target {
    fn table(self) -> (&'static str, &'static str, i64) {
        match self {
            Target::Client(id) => ("client_tags", "user_id", id),
            Target::Request(id) => ("request_tags", "conversation_id", id),
        }
    }
}

/// Puts tag `tag_id` on `target`; false when it was already there.
pub fn add(tx: &Tx, target: Target, tag_id: i64, by: Option<i64>) -> Result<bool> {
    let (table, col, id) = target.table();
    let n = tx.conn.execute(
        &format!("INSERT OR IGNORE INTO {table} ({col}, tag_id, created_by, created_at) VALUES (?1, ?2, ?3, ?4)"),
        params![id, tag_id, by, tx.now],
    )?;
    Ok(n == 1)
}

/// Takes tag `tag_id` off `target`; false when it was not there.
pub fn remove(tx: &Tx, target: Target, tag_id: i64) -> Result<bool> {
    let (table, col, id) = target.table();
    let n = tx.conn.execute(
        &format!("DELETE FROM {table} WHERE {col} = ?1 AND tag_id = ?2"),
        params![id, tag_id],
    )?;
    Ok(n == 1)
}

/// The tags on `target`, in the order they were put on.
pub fn of(conn: &Connection, target: Target) -> Result<Vec<Value>> {
    let (table, col, id) = target.table();
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM {table} x JOIN tags t ON t.id = x.tag_id WHERE x.{col} = ?1 ORDER BY x.created_at, t.id"
    ))?;
    let rows = st.query_map([id], to_json)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Every tag, by group then label.
pub fn list(conn: &Connection) -> Result<Vec<Value>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM tags t ORDER BY t.group_name COLLATE NOCASE, t.label COLLATE NOCASE"
    ))?;
    let rows = st.query_map([], to_json)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM tags", [], |r| r.get(0))?)
}

/// A tag's fields as checked by the desk.
pub struct NewTag<'a> {
    pub label: &'a str,
    pub group_name: &'a str,
    pub description: &'a str,
    pub bg_color: &'a str,
    pub text_color: &'a str,
}

/// Inserts a tag; None when another has the label (any case).
pub fn insert(tx: &Tx, t: &NewTag) -> Result<Option<Value>> {
    let n = tx.conn.execute(
        "INSERT OR IGNORE INTO tags (label, group_name, description, bg_color, text_color, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![t.label, t.group_name, t.description, t.bg_color, t.text_color, tx.now],
    )?;
    if n == 0 {
        return Ok(None);
    }
    get(tx.conn, tx.conn.last_insert_rowid()).map(Some)
}

/// Changes a tag's fields; None when another has the label (any case).
pub fn update(tx: &Tx, id: i64, t: &NewTag) -> Result<Option<Value>> {
    get(tx.conn, id)?;
    let taken: Option<i64> = tx
        .conn
        .query_row(
            "SELECT id FROM tags WHERE label = ?1 AND id != ?2",
            params![t.label, id],
            |r| r.get(0),
        )
        .optional()?;
    if taken.is_some() {
        return Ok(None);
    }
    tx.conn.execute(
        "UPDATE tags SET label = ?2, group_name = ?3, description = ?4, bg_color = ?5,
                text_color = ?6, updated_at = ?7 WHERE id = ?1",
        params![
            id,
            t.label,
            t.group_name,
            t.description,
            t.bg_color,
            t.text_color,
            tx.now
        ],
    )?;
    get(tx.conn, id).map(Some)
}

/// Deletes a tag (off every client and request, by the cascade).
pub fn delete(tx: &Tx, id: i64) -> Result<()> {
    get(tx.conn, id)?;
    tx.conn.execute("DELETE FROM tags WHERE id = ?1", [id])?;
    Ok(())
}

/// The request tags of several conversations in one query (a list page):
/// conversation id → its tags, in the order they were put on.
pub fn of_requests(conn: &Connection, ids: &[i64]) -> Result<HashMap<i64, Vec<Value>>> {
    let mut out: HashMap<i64, Vec<Value>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let mut st = conn.prepare_cached(&format!(
        "SELECT x.conversation_id, {COLS} FROM request_tags x JOIN tags t ON t.id = x.tag_id
         WHERE x.conversation_id IN (SELECT value FROM json_each(?1))
         ORDER BY x.conversation_id, x.created_at, t.id"
    ))?;
    let list = serde_json::to_string(ids)?;
    let rows = st.query_map([list], |r| Ok((r.get::<_, i64>(0)?, tag_at(r, 1)?)))?;
    for row in rows {
        let (id, tag) = row?;
        out.entry(id).or_default().push(tag);
    }
    Ok(out)
}
