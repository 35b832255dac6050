//! Automations (one row per automation and language) and who each one
//! already ran for.

use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Automation {
    pub id: String,
    /// emails, sms, messages, popups or design.
    pub kind: String,
    /// `""` is the default language.
    pub language: String,
    /// The automation's own fields (name, message, conditions...).
    pub data: Value,
}

pub fn all(conn: &Connection) -> Result<Vec<Automation>> {
    let mut st = conn.prepare_cached(
        "SELECT id, type, language, data FROM automations ORDER BY language, position",
    )?;
    let rows = st.query_map([], |r| {
        Ok(Automation {
            id: r.get(0)?,
            kind: r.get(1)?,
            language: r.get(2)?,
            data: super::json_col(r.get(3)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn replace_all(tx: &Tx, list: &[Automation]) -> Result<()> {
    tx.conn.execute("DELETE FROM automations", [])?;
    let mut st = tx.conn.prepare_cached(
        "INSERT INTO automations (id, type, language, position, data) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for (i, a) in list.iter().enumerate() {
        st.execute(params![
            a.id,
            a.kind,
            a.language,
            i as i64,
            a.data.to_string()
        ])?;
    }
    Ok(())
}

/// When the automation last ran for the user, if it did.
pub fn last_run(conn: &Connection, automation_id: &str, user_id: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT created_at FROM automation_runs WHERE automation_id = ?1 AND user_id = ?2",
        )?
        .query_row(params![automation_id, user_id], |r| r.get(0))
        .optional()?)
}

pub fn mark_ran(tx: &Tx, automation_id: &str, user_id: i64) -> Result<()> {
    tx.conn
        .prepare_cached(
            "INSERT INTO automation_runs (automation_id, user_id, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (automation_id, user_id) DO UPDATE SET created_at = excluded.created_at",
        )?
        .execute(params![automation_id, user_id, tx.now])?;
    Ok(())
}
