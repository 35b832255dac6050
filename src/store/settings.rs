//! Key/value settings with JSON values.

use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection};
use serde_json::{Map, Value};

pub fn all(conn: &Connection) -> Result<Map<String, Value>> {
    let mut st = conn.prepare_cached("SELECT key, value FROM settings ORDER BY key")?;
    let rows = st.query_map([], |r| {
        Ok((r.get::<_, String>(0)?, super::json_col(r.get(1)?)))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Sets a value; `null` removes the key.
pub fn set(tx: &Tx, key: &str, value: &Value) -> Result<()> {
    if value.is_null() {
        tx.conn
            .execute("DELETE FROM settings WHERE key = ?1", [key])?;
    } else {
        tx.conn.execute(
            "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            params![key, value.to_string(), tx.now],
        )?;
    }
    Ok(())
}

pub fn get(conn: &Connection, key: &str) -> Result<Option<Value>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
        .query_row([key], |r| r.get::<_, String>(0))
        .optional()?
        .map(super::json_col))
}
