//! Blocks (`/block`, migration 014): a contact and the address they last
//! wrote from may not start sessions or post; lifting deletes the row.
//! Also each contact's `users.last_ip`.

use super::found;
use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{json, Value};

const COLS: &str = "b.id, b.user_id, b.ip, b.reason, b.conversation_id, b.created_by, b.created_at,
    trim(coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, ''))";

fn to_json(r: &Row) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, i64>(0)?, "user_id": r.get::<_, Option<i64>>(1)?,
        "ip": r.get::<_, Option<String>>(2)?, "reason": r.get::<_, String>(3)?,
        "conversation_id": r.get::<_, Option<i64>>(4)?, "created_by": r.get::<_, Option<i64>>(5)?,
        "created_at": crate::util::rfc3339(r.get(6)?),
        "user_name": r.get::<_, String>(7)?,
    }))
}

pub fn get(conn: &Connection, id: i64) -> Result<Value> {
    found(
        conn.query_row(
            &format!(
                "SELECT {COLS} FROM blocks b LEFT JOIN users u ON u.id = b.user_id WHERE b.id = ?1"
            ),
            [id],
            to_json,
        ),
        "block",
    )
}

/// Blocks, newest first.
pub fn list(conn: &Connection, limit: i64, offset: i64) -> Result<Vec<Value>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM blocks b LEFT JOIN users u ON u.id = b.user_id ORDER BY b.id DESC LIMIT ?1 OFFSET ?2"
    ))?;
    let rows = st.query_map(params![limit, offset], to_json)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn insert(
    tx: &Tx,
    user_id: i64,
    ip: Option<&str>,
    reason: &str,
    conversation_id: i64,
    created_by: i64,
) -> Result<Value> {
    tx.conn.execute(
        "INSERT INTO blocks (user_id, ip, reason, conversation_id, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![user_id, ip, reason, conversation_id, created_by, tx.now],
    )?;
    get(tx.conn, tx.conn.last_insert_rowid())
}

pub fn delete(tx: &Tx, id: i64) -> Result<()> {
    tx.conn.execute("DELETE FROM blocks WHERE id = ?1", [id])?;
    Ok(())
}

/// The block that holds user `user_id` or address `ip`, if any.
pub fn blocking(conn: &Connection, user_id: Option<i64>, ip: Option<&str>) -> Result<Option<i64>> {
    let mut by_user = conn.prepare_cached("SELECT id FROM blocks WHERE user_id = ?1 LIMIT 1")?;
    if let Some(u) = user_id {
        if let Some(id) = by_user.query_row([u], |r| r.get(0)).optional()? {
            return Ok(Some(id));
        }
    }
    let mut by_ip = conn.prepare_cached("SELECT id FROM blocks WHERE ip = ?1 LIMIT 1")?;
    match ip.filter(|i| !i.is_empty()) {
        Some(ip) => Ok(by_ip.query_row([ip], |r| r.get(0)).optional()?),
        None => Ok(None),
    }
}

pub fn last_ip(conn: &Connection, user_id: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT last_ip FROM users WHERE id = ?1")?
        .query_row([user_id], |r| r.get(0))
        .optional()?
        .flatten())
}

pub fn set_last_ip(tx: &Tx, user_id: i64, ip: &str) -> Result<()> {
    tx.conn
        .prepare_cached("UPDATE users SET last_ip = ?2 WHERE id = ?1 AND last_ip IS NOT ?2")?
        .execute(params![user_id, ip])?;
    Ok(())
}
