//! Macros and their runs (migration 015: `macros`, `macro_runs`).

use super::found;
use super::tx::Tx;
use crate::error::{self, Error, Result};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{json, Value};

/// The most macros an install may define.
pub const MAX: i64 = 200;

const COLS: &str = "id, name, actions, position, created_at, updated_at";

/// A macro as every reader gets it.
fn to_json(r: &Row) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, i64>(0)?, "name": r.get::<_, String>(1)?,
        "steps": super::json_col(r.get(2)?), "position": r.get::<_, i64>(3)?,
        "created_at": crate::util::rfc3339(r.get(4)?),
        "updated_at": crate::util::rfc3339(r.get(5)?),
    }))
}

/// Every macro, by position then name.
pub fn list(conn: &Connection) -> Result<Vec<Value>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM macros ORDER BY position, name COLLATE NOCASE"
    ))?;
    let rows = st.query_map([], to_json)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Value> {
    found(
        conn.query_row(
            &format!("SELECT {COLS} FROM macros WHERE id = ?1"),
            [id],
            to_json,
        ),
        "macro",
    )
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM macros", [], |r| r.get(0))?)
}

fn taken(e: rusqlite::Error) -> Error {
    if e.to_string().contains("macros.name") {
        error::MACRO_EXISTS.err()
    } else {
        e.into()
    }
}

pub fn insert(tx: &Tx, name: &str, steps: &Value, position: i64) -> Result<Value> {
    tx.conn
        .execute(
            "INSERT INTO macros (name, actions, position, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
            params![name, steps.to_string(), position, tx.now],
        )
        .map_err(taken)?;
    get(tx.conn, tx.conn.last_insert_rowid())
}

pub fn update(tx: &Tx, id: i64, name: &str, steps: &Value, position: i64) -> Result<Value> {
    let n = tx
        .conn
        .execute(
            "UPDATE macros SET name = ?2, actions = ?3, position = ?4, updated_at = ?5 WHERE id = ?1",
            params![id, name, steps.to_string(), position, tx.now],
        )
        .map_err(taken)?;
    if n == 0 {
        return Err(Error::not_found("macro"));
    }
    get(tx.conn, id)
}

pub fn delete(tx: &Tx, id: i64) -> Result<()> {
    let n = tx.conn.execute("DELETE FROM macros WHERE id = ?1", [id])?;
    if n == 0 {
        return Err(Error::not_found("macro"));
    }
    Ok(())
}

/// Records a run; its id.
pub fn insert_run(
    tx: &Tx,
    macro_id: i64,
    conversation_id: i64,
    user_id: i64,
    result: &Value,
) -> Result<i64> {
    tx.conn.execute(
        "INSERT INTO macro_runs (macro_id, conversation_id, user_id, result, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![macro_id, conversation_id, user_id, result.to_string(), tx.now],
    )?;
    Ok(tx.conn.last_insert_rowid())
}

/// Rewrites a run's result (its `post` answers, after the commit).
pub fn set_run_result(tx: &Tx, id: i64, result: &Value) -> Result<()> {
    tx.conn.execute(
        "UPDATE macro_runs SET result = ?2 WHERE id = ?1",
        params![id, result.to_string()],
    )?;
    Ok(())
}

/// A conversation's newest runs (at most `limit`), newest first.
pub fn runs(conn: &Connection, conversation_id: i64, limit: i64) -> Result<Vec<Value>> {
    let mut st = conn.prepare_cached(
        "SELECT id, macro_id, user_id, result, created_at FROM macro_runs
         WHERE conversation_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = st.query_map(params![conversation_id, limit], |r| {
        Ok(json!({
            "id": r.get::<_, i64>(0)?, "macro_id": r.get::<_, Option<i64>>(1)?,
            "user_id": r.get::<_, Option<i64>>(2)?, "result": super::json_col(r.get(3)?),
            "created_at": crate::util::rfc3339(r.get(4)?),
        }))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A request's quality score, if it was asked: `{score, scale}`.
pub fn score(conn: &Connection, conversation_id: i64) -> Result<Option<Value>> {
    Ok(conn
        .prepare_cached("SELECT score, scale FROM scores WHERE conversation_id = ?1")?
        .query_row([conversation_id], |r| {
            Ok(json!({ "score": r.get::<_, Option<i64>>(0)?, "scale": r.get::<_, i64>(1)? }))
        })
        .optional()?)
}
