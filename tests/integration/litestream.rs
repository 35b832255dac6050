//! Continuous replication with Litestream: the checkpoint option that leaves
//! the WAL to it, and a drill that loses the whole box under load and
//! restores the replica elsewhere.
//!
//! The drill needs Litestream's release binary, which tests/run.sh installs
//! from npm into tests/litestream/ (or set LITESTREAM_BIN). Without it the
//! drill says so and passes, unless FRONTPORCH_REQUIRE_LITESTREAM=1 (run.sh
//! sets it where it installed the binary, so CI never skips silently).

use crate::harness::*;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Litestream copies new WAL frames to its shadow WAL every MONITOR and
/// ships them to the replica every SYNC: together, the promised loss window.
const MONITOR: Duration = Duration::from_millis(250);
const SYNC: Duration = Duration::from_secs(1);
/// This machine stalls up to ~0.7 s at random; Litestream stalls with it.
const STALLS: Duration = Duration::from_millis(1500);

fn db_size(data: &Path) -> u64 {
    std::fs::metadata(data.join("frontporch.db")).unwrap().len()
}

/// Posts `n` messages of about 2 KB into a new conversation.
fn write_some(s: &Server, token: &str, n: usize) {
    let admin = s.client(token);
    let (visitor, _) = s.visitor("Pages");
    let cid = visitor.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();
    for i in 0..n {
        admin.post(
            &format!("/api/v1/conversations/{cid}/messages"),
            json!({ "body": format!("{i} {}", "x".repeat(2000)) }),
        );
    }
}

/// With FRONTPORCH_CHECKPOINTS=litestream the server never copies WAL pages
/// into the database file (Litestream does, holding its read lock), while by
/// default its own checkpointer does within seconds.
#[test]
fn checkpoints_can_be_left_to_litestream() {
    let s = Server::start_with(&[("FRONTPORCH_CHECKPOINTS", "litestream")]);
    let token = s.admin_token();
    let before = db_size(&s.data);
    write_some(&s, &token, 300);
    // Longer than several checkpoint periods of the default mode.
    for _ in 0..40 {
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(
            db_size(&s.data),
            before,
            "the server checkpointed although checkpoints were left to Litestream"
        );
    }
    let wal = std::fs::metadata(s.data.join("frontporch.db-wal")).unwrap();
    assert!(wal.len() > 600_000, "the writes are in the WAL");
    // A graceful stop leaves the WAL to Litestream too (a truncated WAL
    // would force it to start a new generation).
    let mut s = s;
    unsafe { libc::kill(s.pid(), libc::SIGTERM) };
    let deadline = Instant::now() + Duration::from_secs(30);
    while s.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "no exit within 30 s of SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(db_size(&s.data), before, "the stop checkpointed");

    // The default: the server's own checkpointer moves the pages (bounded wait).
    let s = Server::start();
    let token = s.admin_token();
    let before = db_size(&s.data);
    write_some(&s, &token, 300);
    let deadline = Instant::now() + Duration::from_secs(30);
    while db_size(&s.data) <= before {
        assert!(Instant::now() < deadline, "no checkpoint within 30 s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn an_unknown_checkpoint_mode_is_refused() {
    let dir = TempDir::new("ckpt");
    let (ok, err) = run_bounded(
        Command::new(bin())
            .args(["serve", "--addr", "127.0.0.1:0", "--data"])
            .arg(&dir.0)
            .env("FRONTPORCH_CHECKPOINTS", "sometimes"),
        Duration::from_secs(30),
    );
    assert!(!ok);
    assert!(err.contains("FRONTPORCH_CHECKPOINTS"), "{err}");
}

fn litestream_bin() -> Option<PathBuf> {
    let p = match std::env::var_os("LITESTREAM_BIN") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/litestream/node_modules/@flydotio/litestream-linux-x64/litestream"),
    };
    p.is_file().then_some(p)
}

/// A child process killed (SIGKILL) on drop, so a failing drill leaves none.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs a command to its end, at most `limit`; returns (success, stderr).
fn run_bounded(cmd: &mut Command, limit: Duration) -> (bool, String) {
    let err = TempDir::new("cmd-err");
    let log = err.0.join("stderr");
    let mut child = Killed(
        cmd.stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + limit;
    let ok = loop {
        if let Some(st) = child.0.try_wait().unwrap() {
            break st.success();
        }
        assert!(
            Instant::now() < deadline,
            "{cmd:?} ran longer than {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    (ok, std::fs::read_to_string(&log).unwrap_or_default())
}

/// Whether the replica holds a snapshot yet (Litestream 0.3's file layout:
/// generations/<id>/snapshots/<index>.snapshot.lz4).
fn has_snapshot(replica: &Path) -> bool {
    let Ok(gens) = std::fs::read_dir(replica.join("generations")) else {
        return false;
    };
    gens.flatten().any(|g| {
        std::fs::read_dir(g.path().join("snapshots"))
            .map(|mut d| d.next().is_some())
            .unwrap_or(false)
    })
}

/// The drill: Frontporch under load with Litestream replicating to a file
/// replica; the box is lost (both killed -9 at once); the replica is restored
/// into a new directory and Frontporch starts on it. Every message
/// acknowledged longer than the loss window before the kill is there, and the
/// restored database passes integrity_check.
#[test]
fn litestream_replica_restores_every_message_older_than_the_sync_interval() {
    let Some(litestream) = litestream_bin() else {
        assert!(
            std::env::var("FRONTPORCH_REQUIRE_LITESTREAM").as_deref() != Ok("1"),
            "litestream is required but missing: run tests/run.sh or npm ci in tests/litestream"
        );
        eprintln!(
            "SKIPPED the Litestream drill: no litestream binary (npm ci in tests/litestream)"
        );
        return;
    };
    let s = Server::start_with(&[("FRONTPORCH_CHECKPOINTS", "litestream")]);
    let token = s.admin_token();
    let work = TempDir::new("litestream");
    let replica = work.0.join("replica");
    let config = work.0.join("litestream.yml");
    std::fs::write(
        &config,
        format!(
            "dbs:\n  - path: {}\n    monitor-interval: {}ms\n    replicas:\n      - type: file\n        path: {}\n        sync-interval: {}s\n",
            s.data.join("frontporch.db").display(),
            MONITOR.as_millis(),
            replica.display(),
            SYNC.as_secs()
        ),
    )
    .unwrap();
    let ls_log = work.0.join("litestream.log");
    let mut ls = Killed(
        Command::new(&litestream)
            .args(["replicate", "-config"])
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&ls_log).unwrap())
            .spawn()
            .unwrap(),
    );
    let log_text = || std::fs::read_to_string(&ls_log).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !has_snapshot(&replica) {
        assert!(
            Instant::now() < deadline,
            "no snapshot after 30 s; litestream: {}",
            log_text()
        );
        assert!(
            ls.0.try_wait().unwrap().is_none(),
            "litestream exited: {}",
            log_text()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Load: several clients post into two conversations, noting each ack's time.
    let mut cids = Vec::new();
    for name in ["Ada", "Grace"] {
        let (visitor, _) = s.visitor(name);
        cids.push(
            visitor.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let acked = Arc::new(Mutex::new(Vec::<(i64, String, Instant)>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for t in 0..6 {
        let (acked, stop) = (acked.clone(), stop.clone());
        let (base, token, cid) = (s.base.clone(), token.clone(), cids[t % 2]);
        threads.push(std::thread::spawn(move || {
            let agent = agent();
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let body = format!("t{t}-{i}");
                let sent = agent
                    .post(format!("{base}/api/v1/conversations/{cid}/messages"))
                    .header("authorization", format!("Bearer {token}"))
                    .header("content-type", "application/json")
                    .send(json!({ "body": body }).to_string());
                match sent {
                    Ok(r) if r.status().as_u16() == 201 => {
                        acked.lock().unwrap().push((cid, body, Instant::now()))
                    }
                    Ok(_) => {}
                    // The server is gone: nothing more will be acknowledged.
                    Err(_) => return,
                }
                i += 1;
            }
        }));
    }
    std::thread::sleep(Duration::from_secs(4));

    // The box is lost: the server and Litestream die together, mid-load.
    let killed_at = Instant::now();
    unsafe {
        libc::kill(s.pid(), libc::SIGKILL);
        libc::kill(ls.0.id() as i32, libc::SIGKILL);
    }
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let _ = ls.0.wait();
    let acked = acked.lock().unwrap().clone();
    let window = MONITOR + SYNC + STALLS;
    let must_have: Vec<&(i64, String, Instant)> = acked
        .iter()
        .filter(|(_, _, at)| killed_at.duration_since(*at) > window)
        .collect();
    assert!(
        must_have.len() > 20,
        "too few messages acknowledged before the window: {} of {}",
        must_have.len(),
        acked.len()
    );

    // Restore elsewhere, from the replica alone.
    let restored = TempDir::new("restored");
    let restored_data = restored.0.join("data");
    std::fs::create_dir_all(&restored_data).unwrap();
    let db = restored_data.join("frontporch.db");
    let (ok, err) = run_bounded(
        Command::new(&litestream)
            .args(["restore", "-o"])
            .arg(&db)
            .arg(format!("file://{}", replica.display())),
        Duration::from_secs(30),
    );
    assert!(ok, "litestream restore failed: {err}");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let check: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
    }

    let s2 = Server::start_in(restored_data, &[]);
    let admin2 = s2.client(&token);
    let mut stored = std::collections::HashSet::new();
    for cid in &cids {
        stored.extend(message_bodies(&admin2, *cid).into_iter().map(|b| (*cid, b)));
    }
    let lost: Vec<&String> = must_have
        .iter()
        .filter(|(cid, b, _)| !stored.contains(&(*cid, b.clone())))
        .map(|(_, b, _)| b)
        .collect();
    // How far behind the replica really was, for the record.
    let oldest_missing = acked
        .iter()
        .filter(|(cid, b, _)| !stored.contains(&(*cid, b.clone())))
        .map(|(_, _, at)| killed_at.duration_since(*at))
        .max();
    eprintln!(
        "litestream drill: {} acknowledged, {} restored, oldest missing ack {:?} before the kill",
        acked.len(),
        stored.len(),
        oldest_missing
    );
    assert!(
        lost.is_empty(),
        "{} messages acknowledged more than {window:?} before the kill are missing, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );
}
