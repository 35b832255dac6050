//! Schema versions by `PRAGMA user_version`.
//!
//! A fresh database gets `schema.sql` (the whole current schema) and the
//! latest version number. An existing one runs each migration after its
//! version in its own transaction. Adding a migration: append its SQL to
//! `MIGRATIONS` and make the same change in `schema.sql`.

use rusqlite::Connection;

/// Migration N (1-based) upgrades version N to N+1. Version 1 is the first schema.
const MIGRATIONS: &[&str] = &[];

pub const SCHEMA: &str = include_str!("../../schema.sql");

pub fn latest_version() -> i64 {
    1 + MIGRATIONS.len() as i64
}

pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version == 0 {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have created it between our read and our lock.
        let again: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if again == 0 {
            tx.execute_batch(SCHEMA)?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", latest_version()))?;
        }
        return tx.commit();
    }
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let from = i as i64 + 1;
        if version > from {
            continue;
        }
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if current == from {
            tx.execute_batch(sql)?;
            tx.execute_batch(&format!("PRAGMA user_version = {}", from + 1))?;
        }
        tx.commit()?;
    }
    Ok(())
}
