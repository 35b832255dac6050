//! Quality scores (migration 015's `scores`): one row per request
//! (conversation) once its client was asked, the score when they answer.

use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{json, Value};

/// A request's score row.
#[derive(Debug, Clone)]
pub struct Score {
    pub conversation_id: i64,
    pub user_id: Option<i64>,
    pub scale: i64,
    pub score: Option<i64>,
    pub asked_at: i64,
    pub scored_at: Option<i64>,
}

impl Score {
    pub fn to_json(&self) -> Value {
        json!({
            "conversation_id": self.conversation_id, "user_id": self.user_id, "scale": self.scale, "score": self.score,
            "asked_at": crate::util::rfc3339(self.asked_at),
            "scored_at": self.scored_at.map(crate::util::rfc3339),
        })
    }
}

const COLS: &str = "conversation_id, user_id, scale, score, asked_at, scored_at";

fn from_row(r: &Row) -> rusqlite::Result<Score> {
    Ok(Score {
        conversation_id: r.get(0)?,
        user_id: r.get(1)?,
        scale: r.get(2)?,
        score: r.get(3)?,
        asked_at: r.get(4)?,
        scored_at: r.get(5)?,
    })
}

pub fn get(conn: &Connection, conversation_id: i64) -> Result<Option<Score>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLS} FROM scores WHERE conversation_id = ?1"
        ))?
        .query_row([conversation_id], from_row)
        .optional()?)
}

/// Records that the client of a request was asked; false when they
/// already were (a request is asked once, whatever its status does next).
pub fn ask(tx: &Tx, conversation_id: i64, user_id: i64, scale: i64) -> Result<bool> {
    let n = tx.conn.execute(
        "INSERT OR IGNORE INTO scores (conversation_id, user_id, scale, asked_at) VALUES (?1, ?2, ?3, ?4)",
        params![conversation_id, user_id, scale, tx.now],
    )?;
    Ok(n == 1)
}

/// Records the score of an asked request; false when it has one.
pub fn set(tx: &Tx, conversation_id: i64, score: i64) -> Result<bool> {
    let n = tx.conn.execute(
        "UPDATE scores SET score = ?2, scored_at = ?3 WHERE conversation_id = ?1 AND score IS NULL",
        params![conversation_id, score, tx.now],
    )?;
    Ok(n == 1)
}

/// The score row of the client's newest request with `source`, if that
/// request was asked (the client's requests newest first, by the index
/// `conversations_user`, until one has that source).
pub fn newest_of(conn: &Connection, user_id: i64, source: &str) -> Result<Option<Score>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLS} FROM scores WHERE conversation_id =
               (SELECT id FROM conversations WHERE user_id = ?1 AND source = ?2 ORDER BY id DESC LIMIT 1)"
        ))?
        .query_row(params![user_id, source], from_row)
        .optional()?)
}

/// The scores given in `[from, to)`: (scored at, score, scale), by the
/// partial index `scores_scored`.
pub fn given_between(conn: &Connection, from: i64, to: i64) -> Result<Vec<(i64, i64, i64)>> {
    let mut st = conn.prepare_cached(
        "SELECT scored_at, score, scale FROM scores
         WHERE score IS NOT NULL AND scored_at >= ?1 AND scored_at < ?2 ORDER BY scored_at",
    )?;
    let rows = st.query_map(params![from, to], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
