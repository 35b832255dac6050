//! Where each request is in the self-service menu (migration 015:
//! `menu_state`).

use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension};

/// A request's place in the menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// `offered` (waiting for a choice) or `done`.
    pub state: String,
    /// Unknown answers since it was offered.
    pub misses: i64,
}

pub fn get(conn: &Connection, conversation_id: i64) -> Result<Option<State>> {
    Ok(conn
        .prepare_cached("SELECT state, misses FROM menu_state WHERE conversation_id = ?1")?
        .query_row([conversation_id], |r| {
            Ok(State {
                state: r.get(0)?,
                misses: r.get(1)?,
            })
        })
        .optional()?)
}

pub fn set(tx: &Tx, conversation_id: i64, state: &str, misses: i64) -> Result<()> {
    tx.conn.execute(
        "INSERT INTO menu_state (conversation_id, state, misses, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (conversation_id) DO UPDATE SET state = excluded.state,
           misses = excluded.misses, updated_at = excluded.updated_at",
        params![conversation_id, state, misses, tx.now],
    )?;
    Ok(())
}

/// Whether the contact has a conversation besides this one (then they
/// are no new client).
pub fn has_other_conversation(
    conn: &Connection,
    user_id: i64,
    conversation_id: i64,
) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM conversations WHERE user_id = ?1 AND id != ?2 LIMIT 1")?
        .query_row(params![user_id, conversation_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// A conversation's source (`""` is the web widget).
pub fn source(conn: &Connection, conversation_id: i64) -> Result<String> {
    Ok(conn
        .prepare_cached("SELECT source FROM conversations WHERE id = ?1")?
        .query_row([conversation_id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten()
        .unwrap_or_default())
}
