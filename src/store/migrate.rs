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
    include_str!("../../migrations/012_channels.sql"),
    include_str!("../../migrations/013_push.sql"),
    include_str!("../../migrations/014_commands.sql"),
    include_str!("../../migrations/015_integrations.sql"),
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

    #[test]
    fn migration_11_marks_what_staff_wrote_as_read() {
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch(SCHEMA).unwrap();
        for sql in &MIGRATIONS[..9] {
            c.execute_batch(sql).unwrap();
        }
        c.execute_batch(
            "PRAGMA user_version = 10;
             INSERT INTO users (id, user_type, created_at) VALUES (1, 'visitor', 0), (2, 'agent', 0), (3, 'bot', 0);
             INSERT INTO conversations (id, user_id, created_at, updated_at) VALUES (7, 1, 0, 0);
             INSERT INTO messages (id, conversation_id, user_id, by_owner, private, created_at, deleted_at) VALUES
               (10, 7, 1, 1, 0, 0, NULL), (11, 7, 2, 0, 1, 0, NULL), (12, 7, 2, 0, 0, 0, 5),
               (13, 7, 3, 0, 0, 0, NULL), (14, 7, 1, 1, 0, 0, NULL);
             INSERT INTO staff_reads VALUES (7, 3, 20);",
        )
        .unwrap();
        migrate(&mut c).unwrap();
        let mut st = c
            .prepare("SELECT user_id, last_read_id FROM staff_reads ORDER BY user_id")
            .unwrap();
        let rows: Vec<(i64, i64)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        // The agent's newest message (deleted or not); never the visitor;
        // never lower than what was marked read.
        assert_eq!(rows, [(2, 12), (3, 20)]);
    }
}
