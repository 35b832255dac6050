//! Credentials: API tokens, agent sessions and visitor tokens. Only SHA-256
//! hashes of the secrets are stored.

use super::tx::Tx;
use super::users::{self, User};
use crate::error::{Error, Result};
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::{json, Value};

pub struct ApiToken {
    pub id: i64,
    pub role: String,
    pub user_id: Option<i64>,
}

pub fn insert_token(
    tx: &Tx,
    name: &str,
    role: &str,
    token_hash: &str,
    prefix: &str,
    user_id: Option<i64>,
) -> Result<i64> {
    tx.conn.execute(
        "INSERT INTO api_tokens (name, role, token_hash, prefix, user_id, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![name, role, token_hash, prefix, user_id, tx.now],
    )?;
    Ok(tx.conn.last_insert_rowid())
}

pub fn token_by_hash(conn: &Connection, token_hash: &str) -> Result<Option<ApiToken>> {
    Ok(conn
        .prepare_cached(
            "SELECT id, role, user_id FROM api_tokens WHERE token_hash = ?1 AND revoked_at IS NULL",
        )?
        .query_row([token_hash], |r| {
            Ok(ApiToken {
                id: r.get(0)?,
                role: r.get(1)?,
                user_id: r.get(2)?,
            })
        })
        .optional()?)
}

pub fn list_tokens(conn: &Connection) -> Result<Vec<Value>> {
    let mut st = conn.prepare(
        "SELECT id, name, role, prefix, created_at, revoked_at FROM api_tokens ORDER BY id",
    )?;
    let rows = st.query_map([], |r| {
        Ok(json!({
            "id": r.get::<_, i64>(0)?, "name": r.get::<_, String>(1)?, "role": r.get::<_, String>(2)?,
            "prefix": r.get::<_, String>(3)?, "created_at": crate::util::rfc3339(r.get(4)?),
            "revoked": r.get::<_, Option<i64>>(5)?.is_some(),
        }))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Revokes a token and ends the logins it opened.
pub fn revoke_token(tx: &Tx, id: i64) -> Result<()> {
    let n = tx.conn.execute(
        "UPDATE api_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![id, tx.now],
    )?;
    if n == 0 {
        return Err(Error::not_found("token"));
    }
    tx.conn
        .execute("DELETE FROM sessions WHERE token_id = ?1", [id])?;
    tx.conn
        .execute("DELETE FROM visitor_tokens WHERE token_id = ?1", [id])?;
    Ok(())
}

/// A new staff session; `via_token` is the API token that opened it, if any.
pub fn insert_session(
    tx: &Tx,
    token_hash: &str,
    csrf: &str,
    user_id: i64,
    expires_at: i64,
    via_token: Option<i64>,
) -> Result<()> {
    tx.conn.execute(
        "INSERT INTO sessions (token_hash, csrf_token, user_id, created_at, expires_at, token_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![token_hash, csrf, user_id, tx.now, expires_at, via_token],
    )?;
    // Keep the table small: drop expired sessions while we are here.
    tx.conn
        .execute("DELETE FROM sessions WHERE expires_at < ?1", [tx.now])?;
    Ok(())
}

/// The live session's user and CSRF token; disabled users have none.
pub fn session(conn: &Connection, token_hash: &str, now: i64) -> Result<Option<(User, String)>> {
    let row: Option<(i64, String)> = conn
        .prepare_cached(
            "SELECT user_id, csrf_token FROM sessions WHERE token_hash = ?1 AND expires_at > ?2",
        )?
        .query_row(params![token_hash, now], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match row {
        Some((uid, csrf)) => match users::find(conn, uid)? {
            Some(u) if !u.disabled => Ok(Some((u, csrf))),
            _ => Ok(None),
        },
        None => Ok(None),
    }
}

pub fn delete_session(tx: &Tx, token_hash: &str) -> Result<()> {
    tx.conn
        .execute("DELETE FROM sessions WHERE token_hash = ?1", [token_hash])?;
    Ok(())
}

pub fn delete_sessions_of(tx: &Tx, user_id: i64) -> Result<()> {
    tx.conn
        .execute("DELETE FROM sessions WHERE user_id = ?1", [user_id])?;
    Ok(())
}

/// A new visitor login; `via_token` is the API token that issued it, if any.
pub fn insert_visitor_token(
    tx: &Tx,
    token_hash: &str,
    user_id: i64,
    via_token: Option<i64>,
) -> Result<()> {
    tx.conn.execute(
        "INSERT INTO visitor_tokens (token_hash, user_id, created_at, token_id) VALUES (?1, ?2, ?3, ?4)",
        params![token_hash, user_id, tx.now, via_token],
    )?;
    Ok(())
}

pub fn visitor_by_token(conn: &Connection, token_hash: &str) -> Result<Option<User>> {
    let uid: Option<i64> = conn
        .prepare_cached("SELECT user_id FROM visitor_tokens WHERE token_hash = ?1")?
        .query_row([token_hash], |r| r.get(0))
        .optional()?;
    match uid {
        Some(id) => Ok(users::find(conn, id)?.filter(|u| !u.is_staff() && !u.disabled)),
        None => Ok(None),
    }
}

/// Whether `user_id` has a visitor session (a widget login).
pub fn has_visitor_token(conn: &Connection, user_id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM visitor_tokens WHERE user_id = ?1 LIMIT 1")?
        .query_row([user_id], |_| Ok(()))
        .optional()?
        .is_some())
}

pub fn delete_visitor_token(tx: &Tx, token_hash: &str) -> Result<()> {
    tx.conn.execute(
        "DELETE FROM visitor_tokens WHERE token_hash = ?1",
        [token_hash],
    )?;
    Ok(())
}

/// The API token that opened a login (session or visitor token), if any.
pub fn login_token_id(conn: &Connection, token_hash: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT token_id FROM sessions WHERE token_hash = ?1
             UNION ALL SELECT token_id FROM visitor_tokens WHERE token_hash = ?1",
        )?
        .query_row([token_hash], |r| r.get(0))
        .optional()?
        .flatten())
}

/// Points a visitor token at another user (after verified identification).
pub fn repoint_visitor_token(tx: &Tx, token_hash: &str, user_id: i64) -> Result<()> {
    tx.conn.execute(
        "UPDATE visitor_tokens SET user_id = ?2 WHERE token_hash = ?1",
        params![token_hash, user_id],
    )?;
    Ok(())
}
