//! The store: one SQLite file, one writer thread (the only read-write
//! connection, group commit), a pool of read-only connections, and the
//! queries per table. No SQL lives outside this module.

pub mod install;
mod migrate;
mod readers;
mod tx;
mod writer;

pub mod articles;
pub mod auth;
pub mod automations;
pub mod blocks;
pub mod channel_out;
pub mod channels;
pub mod commands;
pub mod conversations;
pub mod departments;
pub mod email;
pub mod embed;
pub mod events;
pub mod forms;
pub mod idempotency;
pub mod keyword_bots;
pub mod macros;
pub mod menu;
pub mod messages;
pub mod outbox;
pub mod participants;
pub mod push;
pub mod reports;
pub mod routing;
pub mod scores;
pub mod search;
pub mod settings;
pub mod staff_reads;
pub mod tags;
pub mod talkjs;
// `/import` and `/action` (issue 13).
pub mod imports;
pub mod message_actions;
pub mod uploads;
pub mod users;
pub mod webhooks;

use crate::config::{Checkpoints, Durability};
use crate::error::{self, Error, Result};
use rusqlite::Connection;
use std::path::Path;
use std::sync::Arc;

pub use events::Event;
pub use tx::{FanOut, Tx};
pub use writer::CommitHook;

#[derive(Clone)]
pub struct Store {
    writer: writer::Handle,
    readers: Arc<readers::ReaderPool>,
}

/// Opens a read-write connection with the pragmas every writer needs.
/// busy_timeout first, so that the following pragmas wait rather than fail
/// while another process (a CLI command, Litestream) holds the lock.
/// No connection checkpoints on commit: that is the checkpointer's job (ours
/// or Litestream's), off the commit path, and a checkpoint from a CLI command
/// must not restart the WAL under Litestream.
pub fn open_rw(path: &Path, durability: Durability) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = {};
         PRAGMA foreign_keys = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -16000;
         PRAGMA wal_autocheckpoint = 0;",
        durability.pragma()
    ))?;
    conn.set_prepared_statement_cache_capacity(128);
    Ok(conn)
}

impl Store {
    /// Opens (creating and migrating as needed) and starts the writer thread
    /// (and the checkpointer, unless another process checkpoints).
    /// `fan_out` decides the webhook outbox rows of every event.
    pub fn open(
        path: &Path,
        durability: Durability,
        checkpoints: Checkpoints,
        on_commit: CommitHook,
        fan_out: FanOut,
    ) -> Result<Store> {
        let conn = Store::open_migrated(path, durability)?;
        if checkpoints == Checkpoints::Own {
            start_checkpointer(path, durability)?;
        }
        let writer = writer::start(conn, on_commit, fan_out, checkpoints == Checkpoints::Own)?;
        let readers = Arc::new(readers::ReaderPool::open(path, 4)?);
        Ok(Store { writer, readers })
    }

    /// A migrated read-write connection, for CLI commands that run beside a
    /// server (SQLite's locking keeps them apart from its writer).
    pub fn open_migrated(path: &Path, durability: Durability) -> Result<Connection> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::internal(format!("cannot create {}: {e}", dir.display())))?;
        }
        let mut conn = open_rw(path, durability)?;
        migrate::migrate(&mut conn)?;
        if let Some(dir) = path.parent() {
            if let Err(e) = install::mark(dir) {
                log::warn!("cannot write {}: {e}", dir.join(install::MARKER).display());
            }
        }
        Ok(conn)
    }

    /// Runs `f` in the writer's next group commit and returns its result once
    /// that commit is durable. An `Err` from `f` rolls back only `f`'s work.
    pub fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Tx) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.writer.run(f)
    }

    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        self.readers.with(f)
    }

    /// Stops taking jobs, finishes the queued ones, commits and returns.
    pub fn shutdown(&self) {
        self.writer.shutdown();
    }
}

/// Copies committed pages from the WAL into the database file every second
/// (PASSIVE: it never blocks the writer or readers), so the writer's commits
/// do not pay for checkpoints.
fn start_checkpointer(path: &Path, durability: Durability) -> Result<()> {
    let conn = open_rw(path, durability)?;
    std::thread::Builder::new()
        .name("store-checkpoint".into())
        .stack_size(256 * 1024)
        .spawn(move || {
            // Log when checkpoints start and stop failing, not every second
            // (a full disk fails them all).
            let mut failing = false;
            loop {
                std::thread::sleep(std::time::Duration::from_secs(1));
                match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    Err(e) if !failing => {
                        log::warn!("checkpoint failed: {e} (logged again once it works)");
                        failing = true;
                    }
                    Ok(()) if failing => {
                        log::info!("checkpoints work again");
                        failing = false;
                    }
                    _ => {}
                }
            }
        })
        .map_err(|e| Error::internal(format!("cannot start the checkpointer: {e}")))?;
    Ok(())
}

/// Writes a consistent copy of the database to `dest` while others use it.
pub fn backup(conn: &Connection, dest: &Path) -> Result<()> {
    if dest.exists() {
        return Err(error::EXISTS.with(format!("{} already exists", dest.display())));
    }
    conn.execute("VACUUM INTO ?1", [dest.to_string_lossy()])?;
    Ok(())
}

/// Maps "no row" to a not-found error naming `what`.
pub(crate) fn found<T>(r: rusqlite::Result<T>, what: &str) -> Result<T> {
    match r {
        Ok(v) => Ok(v),
        Err(rusqlite::Error::QueryReturnedNoRows) => Err(Error::not_found(what)),
        Err(e) => Err(e.into()),
    }
}

/// JSON text column to a value (invalid JSON reads as null rather than failing).
pub(crate) fn json_col(s: String) -> serde_json::Value {
    serde_json::from_str(&s).unwrap_or(serde_json::Value::Null)
}
