//! Keyword bots and when each last ran per request (migration 015:
//! `keyword_bots`, `keyword_bot_runs`).

use super::found;
use super::tx::Tx;
use crate::error::{Error, Result};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{json, Value};

/// The most keyword bots an install may define.
pub const MAX: i64 = 100;

const COLS: &str = "id, name, keywords, actions, cooldown_s, enabled, created_at, updated_at";

fn to_json(r: &Row) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, i64>(0)?, "name": r.get::<_, String>(1)?,
        "keywords": super::json_col(r.get(2)?), "steps": super::json_col(r.get(3)?),
        "cooldown_s": r.get::<_, i64>(4)?, "enabled": r.get::<_, bool>(5)?,
        "created_at": crate::util::rfc3339(r.get(6)?),
        "updated_at": crate::util::rfc3339(r.get(7)?),
    }))
}

/// Every bot (or only the enabled ones), by id.
pub fn list(conn: &Connection, enabled_only: bool) -> Result<Vec<Value>> {
    let filter = if enabled_only {
        "WHERE enabled = 1"
    } else {
        ""
    };
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM keyword_bots {filter} ORDER BY id LIMIT {MAX}"
    ))?;
    let rows = st.query_map([], to_json)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Value> {
    found(
        conn.query_row(
            &format!("SELECT {COLS} FROM keyword_bots WHERE id = ?1"),
            [id],
            to_json,
        ),
        "keyword bot",
    )
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM keyword_bots", [], |r| r.get(0))?)
}

/// A bot's fields as checked by the desk.
pub struct Fields<'a> {
    pub name: &'a str,
    pub keywords: &'a Value,
    pub steps: &'a Value,
    pub cooldown_s: i64,
    pub enabled: bool,
}

pub fn insert(tx: &Tx, f: &Fields) -> Result<Value> {
    tx.conn.execute(
        "INSERT INTO keyword_bots (name, keywords, actions, cooldown_s, enabled, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![f.name, f.keywords.to_string(), f.steps.to_string(), f.cooldown_s, f.enabled, tx.now],
    )?;
    get(tx.conn, tx.conn.last_insert_rowid())
}

pub fn update(tx: &Tx, id: i64, f: &Fields) -> Result<Value> {
    let n = tx.conn.execute(
        "UPDATE keyword_bots SET name = ?2, keywords = ?3, actions = ?4, cooldown_s = ?5, enabled = ?6, updated_at = ?7
         WHERE id = ?1",
        params![id, f.name, f.keywords.to_string(), f.steps.to_string(), f.cooldown_s, f.enabled, tx.now],
    )?;
    if n == 0 {
        return Err(Error::not_found("keyword bot"));
    }
    get(tx.conn, id)
}

pub fn delete(tx: &Tx, id: i64) -> Result<()> {
    let n = tx
        .conn
        .execute("DELETE FROM keyword_bots WHERE id = ?1", [id])?;
    if n == 0 {
        return Err(Error::not_found("keyword bot"));
    }
    Ok(())
}

/// When bot `bot_id` last ran in the conversation (ms), if ever.
pub fn last_run(conn: &Connection, conversation_id: i64, bot_id: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT ran_at FROM keyword_bot_runs WHERE conversation_id = ?1 AND bot_id = ?2",
        )?
        .query_row(params![conversation_id, bot_id], |r| r.get(0))
        .optional()?)
}

pub fn set_run(tx: &Tx, conversation_id: i64, bot_id: i64) -> Result<()> {
    tx.conn.execute(
        "INSERT INTO keyword_bot_runs (conversation_id, bot_id, ran_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (conversation_id, bot_id) DO UPDATE SET ran_at = excluded.ran_at",
        params![conversation_id, bot_id, tx.now],
    )?;
    Ok(())
}
