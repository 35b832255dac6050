//! Likes and comments on messages (`/action like`, `/action comment`;
//! tables `message_likes` and `message_comments` of migration 014).

use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection};

/// Adds `user_id`'s like to a message; false when they liked it already.
pub fn like(tx: &Tx, message_id: i64, user_id: i64) -> Result<bool> {
    let n = tx.conn.execute(
        "INSERT OR IGNORE INTO message_likes (message_id, user_id, created_at) VALUES (?1, ?2, ?3)",
        params![message_id, user_id, tx.now],
    )?;
    Ok(n == 1)
}

/// Whether `user_id` likes the message.
pub fn likes_it(conn: &Connection, message_id: i64, user_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM message_likes WHERE message_id = ?1 AND user_id = ?2")?
        .exists(params![message_id, user_id])?)
}

/// Who likes a message, first likes first (at most 100 are ever stored).
pub fn likes(conn: &Connection, message_id: i64) -> Result<Vec<i64>> {
    let mut st = conn.prepare_cached(
        "SELECT user_id FROM message_likes WHERE message_id = ?1
         ORDER BY created_at, user_id LIMIT 1000",
    )?;
    let rows = st.query_map([message_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A comment on a message.
#[derive(Debug, Clone)]
pub struct Comment {
    pub message_id: i64,
    pub user_id: Option<i64>,
    /// The `/action comment` note that made it.
    pub command_id: Option<i64>,
    pub text: String,
    pub created_at: i64,
}

fn comment_row(r: &rusqlite::Row) -> rusqlite::Result<Comment> {
    Ok(Comment {
        message_id: r.get(0)?,
        user_id: r.get(1)?,
        command_id: r.get(2)?,
        text: r.get(3)?,
        created_at: r.get(4)?,
    })
}

pub fn add_comment(tx: &Tx, c: &Comment) -> Result<()> {
    tx.conn
        .prepare_cached(
            "INSERT INTO message_comments (message_id, user_id, command_id, text, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            c.message_id,
            c.user_id,
            c.command_id,
            c.text,
            tx.now
        ])?;
    Ok(())
}

/// A message's comments, oldest first (at most 10 are ever stored).
pub fn comments(conn: &Connection, message_id: i64) -> Result<Vec<Comment>> {
    let mut st = conn.prepare_cached(
        "SELECT message_id, user_id, command_id, text, created_at FROM message_comments
         WHERE message_id = ?1 ORDER BY id LIMIT 1000",
    )?;
    let rows = st.query_map([message_id], comment_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The likes (message, user) of a conversation's messages, at most `limit`.
pub fn likes_in(conn: &Connection, conversation_id: i64, limit: i64) -> Result<Vec<(i64, i64)>> {
    let mut st = conn.prepare_cached(
        "SELECT l.message_id, l.user_id FROM message_likes l
         JOIN messages m ON m.id = l.message_id
         WHERE m.conversation_id = ?1 ORDER BY l.message_id, l.created_at, l.user_id LIMIT ?2",
    )?;
    let rows = st.query_map(params![conversation_id, limit], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The comments on a conversation's messages, at most `limit`.
pub fn comments_in(conn: &Connection, conversation_id: i64, limit: i64) -> Result<Vec<Comment>> {
    let mut st = conn.prepare_cached(
        "SELECT c.message_id, c.user_id, c.command_id, c.text, c.created_at FROM message_comments c
         JOIN messages m ON m.id = c.message_id
         WHERE m.conversation_id = ?1 ORDER BY c.message_id, c.id LIMIT ?2",
    )?;
    let rows = st.query_map(params![conversation_id, limit], comment_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
