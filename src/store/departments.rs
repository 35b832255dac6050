//! Departments.

use super::found;
use super::tx::Tx;
use crate::error::{self, Error, Result};
use rusqlite::{params, Connection, Row};
use serde_json::{json, Value};

const COLS: &str = "id, name, color, created_at, parent_id, categories, routing";

fn to_json(r: &Row) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, i64>(0)?, "name": r.get::<_, String>(1)?, "color": r.get::<_, Option<String>>(2)?,
        "created_at": crate::util::rfc3339(r.get(3)?),
        "parent_id": r.get::<_, Option<i64>>(4)?,
        "categories": super::json_col(r.get(5)?),
        "routing": routing_json(&r.get::<_, String>(6)?),
    }))
}

/// A department's routing rule with its defaults filled in (migration 014
/// stores `{}` for "none").
pub fn routing_json(raw: &str) -> Value {
    let v: Value = serde_json::from_str(raw).unwrap_or(Value::Null);
    json!({
        "policy": v["policy"].as_str().unwrap_or("none"),
        "capacity": v["capacity"].as_i64().unwrap_or(DEFAULT_CAPACITY),
    })
}

/// Open conversations per agent a round-robin rule allows by default.
pub const DEFAULT_CAPACITY: i64 = 10;

/// The tree fields of a department (migration 014); `None`: unchanged.
#[derive(Debug, Default, Clone)]
pub struct Tree {
    /// `Some(None)`: no parent.
    pub parent_id: Option<Option<i64>>,
    pub categories: Option<Vec<String>>,
    /// `{"policy", "capacity"}`, checked by the desk.
    pub routing: Option<Value>,
}

fn taken(e: rusqlite::Error) -> Error {
    match Error::from(e) {
        err if err.is(&error::CONFLICT) => error::NAME_TAKEN.err(),
        err => err,
    }
}

pub fn list(conn: &Connection) -> Result<Vec<Value>> {
    let mut st = conn.prepare_cached(&format!("SELECT {COLS} FROM departments ORDER BY name"))?;
    let rows = st.query_map([], to_json)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Value> {
    found(
        conn.query_row(
            &format!("SELECT {COLS} FROM departments WHERE id = ?1"),
            [id],
            to_json,
        ),
        "department",
    )
}

pub fn insert(tx: &Tx, name: &str, color: Option<&str>, tree: &Tree) -> Result<Value> {
    tx.conn
        .execute(
            "INSERT INTO departments (name, color, created_at) VALUES (?1, ?2, ?3)",
            params![name, color, tx.now],
        )
        .map_err(taken)?;
    let id = tx.conn.last_insert_rowid();
    set_tree(tx, id, tree)?;
    get(tx.conn, id)
}

pub fn update(
    tx: &Tx,
    id: i64,
    name: Option<&str>,
    color: Option<&str>,
    tree: &Tree,
) -> Result<Value> {
    get(tx.conn, id)?;
    tx.conn
        .execute(
            "UPDATE departments SET name = coalesce(?2, name), color = coalesce(?3, color) WHERE id = ?1",
            params![id, name, color],
        )
        .map_err(taken)?;
    set_tree(tx, id, tree)?;
    get(tx.conn, id)
}

fn set_tree(tx: &Tx, id: i64, tree: &Tree) -> Result<()> {
    if let Some(parent) = tree.parent_id {
        tx.conn.execute(
            "UPDATE departments SET parent_id = ?2 WHERE id = ?1",
            params![id, parent],
        )?;
    }
    if let Some(c) = &tree.categories {
        tx.conn.execute(
            "UPDATE departments SET categories = ?2 WHERE id = ?1",
            params![id, serde_json::to_string(c)?],
        )?;
    }
    if let Some(r) = &tree.routing {
        tx.conn.execute(
            "UPDATE departments SET routing = ?2 WHERE id = ?1",
            params![id, r.to_string()],
        )?;
    }
    Ok(())
}

/// `id` and its ancestors, nearest first, at most `max` of them (a
/// longer chain, or a cycle, stops there: callers check depth with it).
pub fn lineage(conn: &Connection, id: i64, max: usize) -> Result<Vec<i64>> {
    let mut st = conn.prepare_cached("SELECT parent_id FROM departments WHERE id = ?1")?;
    let mut out = vec![id];
    let mut at = id;
    while out.len() < max {
        let parent: Option<i64> = match st.query_row([at], |r| r.get(0)) {
            Ok(p) => p,
            Err(rusqlite::Error::QueryReturnedNoRows) => None,
            Err(e) => return Err(e.into()),
        };
        match parent {
            Some(p) if !out.contains(&p) => {
                out.push(p);
                at = p;
            }
            _ => break,
        }
    }
    Ok(out)
}

/// The deepest chain of descendants below `id` (0: a leaf), counted up
/// to `max` levels; `Err`-free even on a cycle (bounded by `max`).
pub fn depth_below(conn: &Connection, id: i64, max: usize) -> Result<usize> {
    let mut st = conn.prepare_cached("SELECT id FROM departments WHERE parent_id = ?1")?;
    let mut level = vec![id];
    for depth in 0..max {
        let mut next = Vec::new();
        for d in &level {
            let rows = st.query_map([d], |r| r.get::<_, i64>(0))?;
            for r in rows {
                next.push(r?);
            }
        }
        if next.is_empty() {
            return Ok(depth);
        }
        level = next;
    }
    Ok(max)
}

pub fn delete(tx: &Tx, id: i64) -> Result<()> {
    get(tx.conn, id)?;
    tx.conn
        .execute("DELETE FROM departments WHERE id = ?1", [id])?;
    Ok(())
}

/// A department's categories (ChatShipper's organization categories: a
/// category's slot is its index), migration 014.
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
