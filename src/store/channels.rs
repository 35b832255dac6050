//! Messaging platforms' tables (migration 012): customers' platform
//! identities, and the platforms' message ids both ways.

use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension};

/// The contact with this identity on a platform.
pub fn identity(conn: &Connection, source: &str, external_id: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT user_id FROM channel_identities WHERE source = ?1 AND external_id = ?2",
        )?
        .query_row(params![source, external_id], |r| r.get(0))
        .optional()?)
}

pub fn set_identity(tx: &Tx, source: &str, external_id: &str, user_id: i64) -> Result<()> {
    tx.conn
        .prepare_cached(
            "INSERT INTO channel_identities (source, external_id, user_id, created_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (source, external_id) DO UPDATE SET user_id = excluded.user_id",
        )?
        .execute(params![source, external_id, user_id, tx.now])?;
    Ok(())
}

/// A contact's identities: (source, external id), oldest first.
pub fn identities_of(conn: &Connection, user_id: i64) -> Result<Vec<(String, String)>> {
    let mut st = conn.prepare_cached(
        "SELECT source, external_id FROM channel_identities WHERE user_id = ?1 ORDER BY created_at LIMIT 20",
    )?;
    let rows = st.query_map([user_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A platform message id we know of.
#[derive(Debug, Clone)]
pub struct Known {
    pub direction: String,
    pub conversation_id: Option<i64>,
    pub message_id: Option<i64>,
    pub status: Option<String>,
}

pub fn known(conn: &Connection, platform: &str, provider_id: &str) -> Result<Option<Known>> {
    Ok(conn
        .prepare_cached(
            "SELECT direction, conversation_id, message_id, status FROM channel_messages
             WHERE platform = ?1 AND provider_id = ?2",
        )?
        .query_row(params![platform, provider_id], |r| {
            Ok(Known {
                direction: r.get(0)?,
                conversation_id: r.get(1)?,
                message_id: r.get(2)?,
                status: r.get(3)?,
            })
        })
        .optional()?)
}

/// Records a platform's id of a message (`in`: one it sent us; `out`: one
/// we sent, `sent`). False when the id was known already.
pub fn record(
    tx: &Tx,
    platform: &str,
    provider_id: &str,
    direction: &str,
    conversation_id: Option<i64>,
    message_id: Option<i64>,
) -> Result<bool> {
    let n = tx
        .conn
        .prepare_cached(
            "INSERT INTO channel_messages (platform, provider_id, direction, conversation_id, message_id, status, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, CASE ?3 WHEN 'out' THEN 'sent' END, ?6)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![platform, provider_id, direction, conversation_id, message_id, tx.now])?;
    Ok(n == 1)
}

/// Sets what became of a message we sent.
pub fn set_status(
    tx: &Tx,
    platform: &str,
    provider_id: &str,
    status: &str,
    error: Option<&str>,
) -> Result<()> {
    tx.conn
        .prepare_cached(
            "UPDATE channel_messages SET status = ?3, error = coalesce(?4, error)
             WHERE platform = ?1 AND provider_id = ?2",
        )?
        .execute(params![platform, provider_id, status, error])?;
    Ok(())
}

/// Moves a pending outbox row's next try to `at` without counting a try
/// (a media fetch whose platform has no setting now waits for one).
pub fn postpone(tx: &Tx, outbox_id: i64, at: i64) -> Result<()> {
    tx.conn
        .prepare_cached(
            "UPDATE outbox SET next_attempt_at = ?2 WHERE id = ?1 AND state = 'pending'",
        )?
        .execute(params![outbox_id, at])?;
    Ok(())
}
