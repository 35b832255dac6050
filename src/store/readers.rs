//! A small pool of read-only connections. WAL lets them read a consistent
//! snapshot while the writer commits.

use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::{Condvar, Mutex};

pub struct ReaderPool {
    idle: Mutex<Vec<Connection>>,
    available: Condvar,
}

impl ReaderPool {
    pub fn open(path: &Path, size: usize) -> rusqlite::Result<ReaderPool> {
        let mut conns = Vec::with_capacity(size);
        for _ in 0..size {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )?;
            conn.busy_timeout(std::time::Duration::from_secs(5))?;
            conn.execute_batch(
                "PRAGMA query_only = ON; PRAGMA cache_size = -8000; PRAGMA temp_store = MEMORY;",
            )?;
            conn.set_prepared_statement_cache_capacity(64);
            conns.push(conn);
        }
        Ok(ReaderPool {
            idle: Mutex::new(conns),
            available: Condvar::new(),
        })
    }

    pub fn with<T>(&self, f: impl FnOnce(&Connection) -> T) -> T {
        let conn = {
            let mut idle = self.idle.lock().unwrap();
            loop {
                if let Some(c) = idle.pop() {
                    break c;
                }
                idle = self.available.wait(idle).unwrap();
            }
        };
        // Return the connection even if `f` panics.
        struct Back<'a>(&'a ReaderPool, Option<Connection>);
        impl Drop for Back<'_> {
            fn drop(&mut self) {
                if let Some(c) = self.1.take() {
                    self.0.idle.lock().unwrap().push(c);
                    self.0.available.notify_one();
                }
            }
        }
        let back = Back(self, Some(conn));
        f(back.1.as_ref().unwrap())
    }
}
