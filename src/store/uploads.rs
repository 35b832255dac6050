//! Metadata of uploaded files (the bytes are files on disk).

use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension};

#[derive(Debug, Clone)]
pub struct Upload {
    pub token: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

pub fn insert(tx: &Tx, u: &Upload, user_id: i64) -> Result<()> {
    tx.conn.execute(
        "INSERT INTO uploads (token, name, content_type, size, user_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![u.token, u.name, u.content_type, u.size, user_id, tx.now],
    )?;
    Ok(())
}

pub fn by_token(conn: &Connection, token: &str) -> Result<Option<Upload>> {
    Ok(conn
        .prepare_cached("SELECT token, name, content_type, size FROM uploads WHERE token = ?1")?
        .query_row([token], |r| {
            Ok(Upload {
                token: r.get(0)?,
                name: r.get(1)?,
                content_type: r.get(2)?,
                size: r.get(3)?,
            })
        })
        .optional()?)
}

/// Whether a visitor may read an upload: they sent it, or it is attached to
/// a message they can see in one of their own conversations. The scan runs
/// over that visitor's conversations only (`conversations_user`).
pub fn visible_to_visitor(conn: &Connection, token: &str, user_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM uploads WHERE token = ?1 AND user_id = ?2)
                 OR EXISTS(SELECT 1 FROM conversations c JOIN messages m ON m.conversation_id = c.id
                           WHERE c.user_id = ?2 AND m.private = 0 AND m.deleted_at IS NULL
                             AND instr(m.attachments, ?3) > 0)",
        )?
        .query_row(params![token, user_id, format!("/uploads/{token}/")], |r| {
            r.get(0)
        })?)
}

/// An upload's type and who sent it (an avatar must be one's own image).
pub fn type_and_owner(conn: &Connection, token: &str) -> Result<Option<(String, Option<i64>)>> {
    Ok(conn
        .prepare_cached("SELECT content_type, user_id FROM uploads WHERE token = ?1")?
        .query_row([token], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}
