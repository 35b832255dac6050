//! Metadata of uploaded files (the bytes are files on disk).

use super::writer::Tx;
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
