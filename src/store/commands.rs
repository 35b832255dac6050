//! Talkus dot commands defined by admins (`commands`, migration 014).

use super::found;
use super::tx::Tx;
use crate::error::{self, Error, Result};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct Command {
    pub id: i64,
    /// Without the dot; unique whatever its case.
    pub name: String,
    /// `message`, `server`, `client`, `alias`, `open_url`, `redirect`.
    pub kind: String,
    /// The text, URL, script or target command's name.
    pub value: String,
    /// Server commands: signs their POST like a webhook. Never shown
    /// after creation.
    pub secret: Option<String>,
    pub description: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Command {
    /// As a reader sees it: never the secret, and the value of server and
    /// client commands only for admins (`full`).
    pub fn to_json(&self, full: bool) -> Value {
        let hidden = !full && matches!(self.kind.as_str(), "server" | "client");
        json!({
            "id": self.id, "name": self.name, "kind": self.kind,
            "value": if hidden { Value::Null } else { json!(self.value) },
            "description": self.description,
            "created_at": crate::util::rfc3339(self.created_at),
            "updated_at": crate::util::rfc3339(self.updated_at),
        })
    }
}

/// The most commands an install may define.
pub const MAX: i64 = 500;

const COLS: &str = "id, name, kind, value, secret, description, created_at, updated_at";

fn from_row(r: &Row) -> rusqlite::Result<Command> {
    Ok(Command {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        value: r.get(3)?,
        secret: r.get(4)?,
        description: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
    })
}

/// Every command, by name.
pub fn list(conn: &Connection) -> Result<Vec<Command>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM commands ORDER BY name COLLATE NOCASE LIMIT {MAX}"
    ))?;
    let rows = st.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT COUNT(*) FROM commands", [], |r| r.get(0))?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Command> {
    found(
        conn.query_row(
            &format!("SELECT {COLS} FROM commands WHERE id = ?1"),
            [id],
            from_row,
        ),
        "command",
    )
}

/// The command named `name`, whatever its case.
pub fn by_name(conn: &Connection, name: &str) -> Result<Option<Command>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLS} FROM commands WHERE name = ?1"),
            [name],
            from_row,
        )
        .optional()?)
}

/// The aliases whose target is `name`.
pub fn aliases_of(conn: &Connection, name: &str) -> Result<Vec<String>> {
    let mut st = conn.prepare_cached(
        "SELECT name FROM commands WHERE kind = 'alias' AND value = ?1 COLLATE NOCASE LIMIT 20",
    )?;
    let rows = st.query_map([name], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A command's writable fields.
pub struct Fields<'a> {
    pub name: &'a str,
    pub kind: &'a str,
    pub value: &'a str,
    pub description: &'a str,
}

pub fn insert(tx: &Tx, f: &Fields, secret: Option<&str>) -> Result<Command> {
    tx.conn
        .execute(
            "INSERT INTO commands (name, kind, value, secret, description, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
            params![f.name, f.kind, f.value, secret, f.description, tx.now],
        )
        .map_err(taken)?;
    get(tx.conn, tx.conn.last_insert_rowid())
}

/// Rewrites a command; `secret` is kept unless given (a new server command).
pub fn update(tx: &Tx, id: i64, f: &Fields, secret: Option<&str>) -> Result<Command> {
    tx.conn
        .execute(
            "UPDATE commands SET name = ?2, kind = ?3, value = ?4, description = ?5,
               secret = CASE WHEN ?3 <> 'server' THEN NULL ELSE COALESCE(?6, secret) END,
               updated_at = ?7
             WHERE id = ?1",
            params![id, f.name, f.kind, f.value, f.description, secret, tx.now],
        )
        .map_err(taken)?;
    get(tx.conn, id)
}

pub fn delete(tx: &Tx, id: i64) -> Result<()> {
    if tx
        .conn
        .execute("DELETE FROM commands WHERE id = ?1", [id])?
        == 0
    {
        return Err(Error::not_found("command"));
    }
    Ok(())
}

/// The name is taken (names are unique whatever their case).
fn taken(e: rusqlite::Error) -> Error {
    if e.to_string().contains("commands.name") {
        error::COMMAND_EXISTS.err()
    } else {
        e.into()
    }
}
