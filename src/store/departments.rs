//! Departments.

use super::found;
use super::tx::Tx;
use crate::error::{self, Error, Result};
use rusqlite::{params, Connection, Row};
use serde_json::{json, Value};

fn to_json(r: &Row) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, i64>(0)?, "name": r.get::<_, String>(1)?, "color": r.get::<_, Option<String>>(2)?,
        "created_at": crate::util::rfc3339(r.get(3)?),
    }))
}

fn taken(e: rusqlite::Error) -> Error {
    match Error::from(e) {
        err if err.is(&error::CONFLICT) => error::NAME_TAKEN.err(),
        err => err,
    }
}

pub fn list(conn: &Connection) -> Result<Vec<Value>> {
    let mut st =
        conn.prepare_cached("SELECT id, name, color, created_at FROM departments ORDER BY name")?;
    let rows = st.query_map([], to_json)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Value> {
    found(
        conn.query_row(
            "SELECT id, name, color, created_at FROM departments WHERE id = ?1",
            [id],
            to_json,
        ),
        "department",
    )
}

pub fn insert(tx: &Tx, name: &str, color: Option<&str>) -> Result<Value> {
    tx.conn
        .execute(
            "INSERT INTO departments (name, color, created_at) VALUES (?1, ?2, ?3)",
            params![name, color, tx.now],
        )
        .map_err(taken)?;
    get(tx.conn, tx.conn.last_insert_rowid())
}

pub fn update(tx: &Tx, id: i64, name: Option<&str>, color: Option<&str>) -> Result<Value> {
    get(tx.conn, id)?;
    tx.conn
        .execute(
            "UPDATE departments SET name = coalesce(?2, name), color = coalesce(?3, color) WHERE id = ?1",
            params![id, name, color],
        )
        .map_err(taken)?;
    get(tx.conn, id)
}

pub fn delete(tx: &Tx, id: i64) -> Result<()> {
    get(tx.conn, id)?;
    tx.conn
        .execute("DELETE FROM departments WHERE id = ?1", [id])?;
    Ok(())
}

/// A department's categories (ChatShipper's organization categories: a
/// category's slot is its index), migration 014.
#[allow(dead_code)] // read by `/set @category`, being built
pub fn categories(conn: &Connection, id: i64) -> Result<Vec<String>> {
    let raw: String = found(
        conn.query_row(
            "SELECT categories FROM departments WHERE id = ?1",
            [id],
            |r| r.get(0),
        ),
        "department",
    )?;
    Ok(serde_json::from_str(&raw).unwrap_or_default())
}
