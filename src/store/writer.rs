//! The single writer thread. It owns the only read-write connection, runs
//! queued jobs together in one transaction (each in its own SAVEPOINT, so a
//! failing job undoes only itself), commits once, and only then answers the
//! jobs and publishes the new events.

use super::events::{self, Event};
use super::tx::{FanOut, Tx};
use crate::error::{self, Error, Result};
use rusqlite::Connection;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Called on the writer thread after each commit with the events it made
/// visible (in id order).
pub type CommitHook = Box<dyn Fn(&[Arc<Event>]) + Send>;

type Reply = Box<dyn FnOnce(Result<()>) + Send>;
type Job = Box<dyn FnOnce(&mut Tx) -> (bool, Reply) + Send>;

enum Msg {
    Job(Job),
    Shutdown(SyncSender<()>),
}

#[derive(Clone)]
pub struct Handle {
    tx: Arc<Mutex<Option<Sender<Msg>>>>,
}

/// Most jobs in one transaction; the rest wait for the next commit.
const MAX_BATCH: usize = 1024;

/// `truncate_on_stop`: whether a graceful stop folds the WAL into the
/// database; not when another process (Litestream) owns checkpoints, since a
/// truncated WAL would force it to start a new generation.
pub fn start(
    conn: Connection,
    on_commit: CommitHook,
    fan_out: FanOut,
    truncate_on_stop: bool,
) -> Result<Handle> {
    let (tx, rx) = mpsc::channel();
    let last = events::max_id(&conn)?;
    std::thread::Builder::new()
        .name("store-writer".into())
        .spawn(move || run(conn, rx, on_commit, fan_out, last, truncate_on_stop))
        .map_err(|e| Error::internal(format!("cannot start writer: {e}")))?;
    Ok(Handle {
        tx: Arc::new(Mutex::new(Some(tx))),
    })
}

impl Handle {
    pub fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Tx) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (reply_tx, reply_rx) = mpsc::sync_channel::<Result<T>>(1);
        let job: Job = Box::new(move |tx: &mut Tx| {
            let result = f(tx);
            let ok = result.is_ok();
            let reply: Reply = Box::new(move |commit: Result<()>| {
                let _ = reply_tx.send(commit.and(result));
            });
            (ok, reply)
        });
        let sender = self.tx.lock().unwrap().clone();
        match sender {
            Some(s) if s.send(Msg::Job(job)).is_ok() => {}
            _ => return Err(error::SHUTTING_DOWN.err()),
        }
        let result = reply_rx
            .recv()
            .unwrap_or_else(|_| Err(Error::internal("writer stopped before answering")));
        if matches!(&result, Err(e) if e.is_disk_full()) {
            crate::metrics::METRICS
                .disk_full_refused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        result
    }

    pub fn shutdown(&self) {
        let sender = self.tx.lock().unwrap().take();
        if let Some(s) = sender {
            let (done_tx, done_rx) = mpsc::sync_channel(1);
            if s.send(Msg::Shutdown(done_tx)).is_ok() {
                let _ = done_rx.recv();
            }
        }
    }
}

/// How long the writer may wait to grow a batch, and below what size.
const LINGER: Duration = Duration::from_micros(400);
const LINGER_BELOW: usize = 16;

/// Recent commit pace: "busy" means more than 400 commits a second lately.
struct Pace {
    window_start: Instant,
    commits: u32,
    busy: bool,
}

impl Pace {
    fn busy(&mut self) -> bool {
        if self.window_start.elapsed() > Duration::from_millis(50) {
            self.busy = self.commits >= 20;
            self.commits = 0;
            self.window_start = Instant::now();
        }
        self.busy
    }
    fn commit(&mut self) {
        self.commits += 1;
    }
}

fn run(
    conn: Connection,
    rx: Receiver<Msg>,
    on_commit: CommitHook,
    fan_out: FanOut,
    mut last_published: i64,
    truncate_on_stop: bool,
) {
    let mut pace = Pace {
        window_start: Instant::now(),
        commits: 0,
        busy: false,
    };
    let mut batch: Vec<Job> = Vec::new();
    let mut stop: Option<SyncSender<()>> = None;
    loop {
        // Idle: wake every second to publish events other processes (CLI
        // commands) committed, so the realtime cursor never skips one.
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(Msg::Job(j)) => batch.push(j),
            Ok(Msg::Shutdown(done)) => stop = Some(done),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        // Under load, linger a moment for more jobs: small batches cost more
        // per job (every commit rewrites the same hot pages and fsyncs), which
        // leaves less CPU for the requests that would fill the next batch.
        // When writes are rare, nothing waits.
        let linger_until = (!batch.is_empty() && pace.busy()).then(|| Instant::now() + LINGER);
        while stop.is_none() && batch.len() < MAX_BATCH {
            let next = match linger_until {
                Some(until) if batch.len() < LINGER_BELOW => {
                    match until.checked_duration_since(Instant::now()) {
                        Some(left) => rx.recv_timeout(left).map_err(|_| ()),
                        None => rx.try_recv().map_err(|_| ()),
                    }
                }
                _ => rx.try_recv().map_err(|_| ()),
            };
            match next {
                Ok(Msg::Job(j)) => batch.push(j),
                Ok(Msg::Shutdown(done)) => stop = Some(done),
                Err(()) => break,
            }
        }
        if !batch.is_empty() {
            pace.commit();
            commit_batch(
                &conn,
                std::mem::take(&mut batch),
                &on_commit,
                fan_out,
                &mut last_published,
            );
        } else {
            publish(&conn, &on_commit, &mut last_published);
        }
        if let Some(done) = stop.take() {
            // Answer whatever raced in behind the shutdown message.
            let rest: Vec<Job> = rx
                .try_iter()
                .filter_map(|m| match m {
                    Msg::Job(j) => Some(j),
                    Msg::Shutdown(_) => None,
                })
                .collect();
            if !rest.is_empty() {
                commit_batch(&conn, rest, &on_commit, fan_out, &mut last_published);
            }
            if truncate_on_stop {
                let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
            }
            let _ = done.send(());
            return;
        }
    }
}

/// Runs a batch in one transaction, commits, publishes the new events, and
/// only then answers the callers: a client holding a 2xx can count on the
/// realtime hub already having the event it caused.
fn commit_batch(
    conn: &Connection,
    jobs: Vec<Job>,
    on_commit: &CommitHook,
    fan_out: FanOut,
    last_published: &mut i64,
) {
    let started = std::time::Instant::now();
    let count = jobs.len() as u64;
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // Dropping the jobs unrun answers each caller with an error.
        log::error!("writer could not begin a transaction: {e}");
        return;
    }
    let now = crate::util::now_ms();
    let mut replies: Vec<Reply> = Vec::with_capacity(jobs.len());
    let mut wrote = false;
    for job in jobs {
        if let Err(e) = exec(conn, "SAVEPOINT job") {
            log::error!("savepoint failed: {e}");
        }
        let changes_before = conn.total_changes();
        let mut tx = Tx { conn, now, fan_out };
        let (ok, reply) =
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut tx))) {
                Ok(r) => r,
                Err(_) => {
                    log::error!("a write job panicked; it was rolled back");
                    let reply: Reply = Box::new(|_| {});
                    (false, reply)
                }
            };
        if !ok {
            let _ = exec(conn, "ROLLBACK TO job");
        }
        // Only a job that changed rows shows that pages reached the disk; a
        // no-op UPDATE commits on a full disk too.
        wrote |= ok && conn.total_changes() > changes_before;
        let _ = exec(conn, "RELEASE job");
        replies.push(reply);
    }
    let committed = super::search::index_new_messages(conn)
        .and_then(|_| exec(conn, "COMMIT").map(|_| ()).map_err(Error::from));
    if committed.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    use crate::metrics::METRICS;
    use std::sync::atomic::Ordering::Relaxed;
    METRICS.write_batches.fetch_add(1, Relaxed);
    METRICS.write_jobs.fetch_add(count, Relaxed);
    METRICS
        .write_busy_micros
        .fetch_add(started.elapsed().as_micros() as u64, Relaxed);
    if committed.is_ok() {
        // A job's changes reached the disk: space is back, if it was gone.
        if wrote {
            crate::metrics::set_disk_full(false);
        }
        publish(conn, on_commit, last_published);
    }
    for reply in replies {
        reply(committed.clone());
    }
}

/// Runs a statement from the statement cache (no re-parsing per job).
fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<usize> {
    conn.prepare_cached(sql)?.execute([])
}

fn publish(conn: &Connection, on_commit: &CommitHook, last_published: &mut i64) {
    match events::since(conn, *last_published, 100_000) {
        Ok(evs) if !evs.is_empty() => {
            *last_published = evs.last().unwrap().id;
            let evs: Vec<Arc<Event>> = evs.into_iter().map(Arc::new).collect();
            on_commit(&evs);
        }
        Ok(_) => {}
        Err(e) => log::error!("cannot read new events: {e}"),
    }
}
