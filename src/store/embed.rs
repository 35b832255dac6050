//! Embed tokens (migration 015's `embed_tokens`): short-lived, single-use
//! logins for the embedded inbox, stored as SHA-256 hashes.

use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, OptionalExtension};

/// A new embed token for `user_id`, opened by the API token `token_id`.
pub fn insert(
    tx: &Tx,
    token_hash: &str,
    user_id: i64,
    token_id: Option<i64>,
    expires_at: i64,
) -> Result<()> {
    // Keep the table small: spent and expired tokens go while we are here.
    tx.conn.execute(
        "DELETE FROM embed_tokens WHERE expires_at < ?1 OR used_at IS NOT NULL",
        [tx.now],
    )?;
    tx.conn.execute(
        "INSERT INTO embed_tokens (token_hash, user_id, token_id, expires_at, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![token_hash, user_id, token_id, expires_at, tx.now],
    )?;
    Ok(())
}

/// Spends a token: marks it used and answers (user id, API token id) when
/// it was live (unused, unexpired, its API token not revoked); `None`
/// otherwise, and then nothing changes.
pub fn take(tx: &Tx, token_hash: &str) -> Result<Option<(i64, Option<i64>)>> {
    Ok(tx
        .conn
        .query_row(
            "UPDATE embed_tokens SET used_at = ?2
             WHERE token_hash = ?1 AND used_at IS NULL AND expires_at > ?2
               AND (token_id IS NULL OR token_id IN
                    (SELECT id FROM api_tokens WHERE revoked_at IS NULL))
             RETURNING user_id, token_id",
            params![token_hash, tx.now],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}
