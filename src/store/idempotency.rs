//! `Idempotency-Key` (migration 015's `idempotency_keys`): the first
//! answer to a request, kept 24 hours under (scope, key), so a retried
//! request answers it again instead of acting twice. The caller writes it
//! in the write job of what it answers.

use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension};

/// How long a key is kept (ms).
pub const TTL_MS: i64 = 24 * 3600 * 1000;
/// Expired keys removed per `put`, so pruning is bounded per write.
const PRUNE_BATCH: i64 = 100;

/// A stored answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub fingerprint: String,
    pub status: u16,
    pub response: String,
}

/// The live (not expired) answer stored under (scope, key), if any.
pub fn get(conn: &Connection, now: i64, scope: &str, key: &str) -> Result<Option<Stored>> {
    Ok(conn
        .prepare_cached(
            "SELECT fingerprint, status, response FROM idempotency_keys
             WHERE scope = ?1 AND key = ?2 AND created_at > ?3",
        )?
        .query_row(params![scope, key, now - TTL_MS], |r| {
            Ok(Stored {
                fingerprint: r.get(0)?,
                status: r.get(1)?,
                response: r.get(2)?,
            })
        })
        .optional()?)
}

/// Stores an answer (replacing an expired one), and prunes a bounded
/// batch of expired keys.
pub fn put(tx: &Tx, scope: &str, key: &str, s: &Stored) -> Result<()> {
    tx.conn
        .prepare_cached(
            "INSERT INTO idempotency_keys (scope, key, fingerprint, status, response, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (scope, key) DO UPDATE SET fingerprint = excluded.fingerprint,
               status = excluded.status, response = excluded.response,
               created_at = excluded.created_at",
        )?
        .execute(params![
            scope,
            key,
            s.fingerprint,
            s.status,
            s.response,
            tx.now
        ])?;
    prune(tx)
}

/// Removes up to `PRUNE_BATCH` expired keys, oldest first.
pub fn prune(tx: &Tx) -> Result<()> {
    tx.conn
        .prepare_cached(
            "DELETE FROM idempotency_keys WHERE (scope, key) IN (
               SELECT scope, key FROM idempotency_keys WHERE created_at <= ?1
               ORDER BY created_at LIMIT ?2)",
        )?
        .execute(params![tx.now - TTL_MS, PRUNE_BATCH])?;
    Ok(())
}
