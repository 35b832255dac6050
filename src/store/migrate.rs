//! Schema versions by `PRAGMA user_version`.
//!
//! A fresh database gets `schema.sql` (version 1) and then every migration;
//! an existing one runs each migration after its version. Each step is its
//! own transaction. Adding a migration: a new `migrations/NNN_*.sql` file,
//! appended to `MIGRATIONS`. Never edit a shipped migration or `schema.sql`.

use rusqlite::Connection;

/// Migration N (1-based) upgrades version N to N+1. Version 1 is the first schema.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/002_articles_automations_reports.sql"),
    include_str!("../../migrations/003_token_logins.sql"),
    include_str!("../../migrations/004_webhook_disabled_at.sql"),
    include_str!("../../migrations/005_transcript_events.sql"),
    include_str!("../../migrations/006_message_client_id.sql"),
    include_str!("../../migrations/007_message_delivered.sql"),
    include_str!("../../migrations/008_agent_profile.sql"),
    include_str!("../../migrations/009_staff_reads.sql"),
    include_str!("../../migrations/010_email_in.sql"),
    include_str!("../../migrations/011_list_indexes.sql"),
];

pub const SCHEMA: &str = include_str!("../../schema.sql");

#[cfg(test)]
fn latest_version() -> i64 {
    1 + MIGRATIONS.len() as i64
}

pub fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let mut version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version == 0 {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have created it between our read and our lock.
        let again: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if again == 0 {
            tx.execute_batch(SCHEMA)?;
            tx.execute_batch("PRAGMA user_version = 1")?;
        }
        tx.commit()?;
        version = 1;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn version(c: &Connection) -> i64 {
        c.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn fresh_and_old_databases_reach_the_latest_version() {
        let mut fresh = Connection::open_in_memory().unwrap();
        migrate(&mut fresh).unwrap();
        assert_eq!(version(&fresh), latest_version());

        let mut old = Connection::open_in_memory().unwrap();
        old.execute_batch(SCHEMA).unwrap();
        old.execute_batch("PRAGMA user_version = 1").unwrap();
        migrate(&mut old).unwrap();
        assert_eq!(version(&old), latest_version());
        let tables = |c: &Connection| -> Vec<String> {
            let mut st = c
                .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                .unwrap();
            st.query_map([], |r| r.get(0))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap()
        };
        assert_eq!(tables(&fresh), tables(&old));
        // Running again changes nothing.
        migrate(&mut old).unwrap();
        assert_eq!(version(&old), latest_version());
    }
}
