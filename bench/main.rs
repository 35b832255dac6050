//! Frontporch benchmark harness. Run it with `bench/run.sh` (which builds the
//! release binaries first); it prints a Markdown report. Everything is
//! measured in one run on this machine, and compared as ratios against a
//! hello-world tiny_http server and raw SQLite inserts measured the same way.
//!
//! `bench hello ADDR` serves the hello-world ceiling (used by the harness).

mod http;

use http::Conn;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ADMIN: &str = "bench@example.com";
const PASSWORD: &str = "bench-password-1";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("hello") {
        return hello(&args[1]);
    }
    // `bench load ADDR PATH TOKEN`: 64 clients POST messages to PATH for 5 s.
    if args.first().map(String::as_str) == Some("load") {
        let paths: Vec<String> = args[2].split(',').map(String::from).collect();
        println!(
            "{:.0} requests/s",
            load(
                &args[1],
                move |i| paths[i % paths.len()].clone(),
                &args[3],
                5.0
            )
        );
        return;
    }
    raise_nofile();
    let quick = args.iter().any(|a| a == "--quick");
    let only: Vec<&str> = args
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(String::as_str)
        .collect();
    let want = |name: &str| only.is_empty() || only.contains(&name);
    let bin = server_binary();
    println!("# Frontporch benchmark\n");
    println!("- binary: `{}`", bin.display());
    println!(
        "- machine: {} cores, {}",
        num_cpus(),
        first_line("/proc/cpuinfo", "model name").unwrap_or_default()
    );
    println!("- quick mode: {quick}\n");
    if want("size") {
        size(&bin);
    }
    if want("idle") {
        idle(&bin);
    }
    if want("throughput") {
        throughput(&bin, quick);
    }
    if want("latency") {
        latency(&bin, quick);
    }
    if want("capacity") {
        capacity(&bin, quick);
    }
    if want("weak") {
        weaknesses(&bin);
    }
    if want("bigdb") {
        big_db(&bin, quick);
    }
    if want("slowloris") {
        slowloris(&bin);
    }
}

// ---------------------------------------------------------------- helpers

fn server_binary() -> PathBuf {
    // Another build to compare against (an older commit, say).
    if let Some(p) = std::env::var_os("BENCH_SERVER") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().unwrap();
    // target/release/examples/bench -> target/release/frontporch
    let p = exe.parent().unwrap().parent().unwrap().join("frontporch");
    assert!(
        p.exists(),
        "build the server first: cargo build --release ({})",
        p.display()
    );
    p
}

fn num_cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn first_line(file: &str, key: &str) -> Option<String> {
    std::fs::read_to_string(file)
        .ok()?
        .lines()
        .find(|l| l.starts_with(key))
        .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
}

fn raise_nofile() {
    unsafe {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
    }
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(|l| l.split_whitespace().nth(1).unwrap().parse().unwrap())
        })
        .unwrap_or(0)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    if v.is_empty() {
        return f64::NAN;
    }
    v[v.len() / 2]
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

struct Srv {
    child: Child,
    addr: String,
    dir: PathBuf,
    keep: bool,
}

impl Srv {
    fn start(bin: &Path, env: &[(&str, &str)]) -> Srv {
        let dir = std::env::temp_dir().join(format!(
            "frontporch-bench-{}-{}",
            std::process::id(),
            rand_u64()
        ));
        Srv::start_in(bin, dir, env, false)
    }
    fn start_in(bin: &Path, dir: PathBuf, env: &[(&str, &str)], keep: bool) -> Srv {
        let (child, addr, _) = spawn(bin, &dir, env);
        Srv {
            child,
            addr,
            dir,
            keep,
        }
    }
    fn pid(&self) -> u32 {
        self.child.id()
    }
    /// A fresh admin API token, from the CLI beside the running server.
    fn admin_token(&self) -> String {
        let out = Command::new(server_binary())
            .args([
                "token", "create", "--name", "bench", "--role", "admin", "--data",
            ])
            .arg(&self.dir)
            .env("RUST_LOG", "off")
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

impl Drop for Srv {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn rand_u64() -> u64 {
    let mut b = [0u8; 8];
    let _ = getrandom::fill(&mut b);
    u64::from_le_bytes(b)
}

/// Starts the server; returns (child, addr, time until it printed "listening").
/// The caller owns the child and waits for it.
#[allow(clippy::zombie_processes)]
fn spawn(bin: &Path, dir: &Path, env: &[(&str, &str)]) -> (Child, String, Duration) {
    let started = Instant::now();
    let mut cmd = Command::new(bin);
    cmd.args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(dir)
        .env("FRONTPORCH_ADMIN_EMAIL", ADMIN)
        .env("FRONTPORCH_ADMIN_PASSWORD", PASSWORD)
        .env("FRONTPORCH_BCRYPT_COST", "4")
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    loop {
        let l = lines.next().expect("server exited").unwrap();
        if let Some(u) = l.strip_prefix("listening on http://") {
            let took = started.elapsed();
            std::thread::spawn(move || for _ in lines {});
            return (child, u.to_string(), took);
        }
    }
}

fn api(addr: &str, token: &str, method: &str, path: &str, body: Value) -> Value {
    let mut c = Conn::open(addr).unwrap();
    let auth = format!("Bearer {token}");
    let b = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let (st, text) = c
        .call(method, path, &[("Authorization", &auth)], &b)
        .unwrap();
    assert!(st < 300, "{method} {path}: {st} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

// ---------------------------------------------------------------- hello ceiling

/// The HTTP ceiling: tiny_http answering a small JSON body, with as many
/// handler threads as Frontporch has.
fn hello(addr: &str) {
    let server = Arc::new(tiny_http::Server::http(addr).unwrap());
    println!(
        "listening on http://{}",
        server.server_addr().to_ip().unwrap()
    );
    let mut hs = Vec::new();
    for _ in 0..64 {
        let s = server.clone();
        hs.push(std::thread::spawn(move || {
            for mut rq in s.incoming_requests() {
                let mut body = Vec::new();
                let _ = std::io::Read::read_to_end(rq.as_reader(), &mut body);
                let _ = rq.respond(
                    tiny_http::Response::from_string("{\"ok\":true}").with_status_code(201),
                );
            }
        }));
    }
    for h in hs {
        let _ = h.join();
    }
}

// ---------------------------------------------------------------- size, idle

fn size(bin: &Path) {
    let bytes = std::fs::metadata(bin).unwrap().len();
    println!(
        "## Binary\n\nrelease binary (stripped, LTO): **{:.2} MB** ({bytes} bytes)\n",
        bytes as f64 / 1e6
    );
}

fn idle(bin: &Path) {
    let mut rss = Vec::new();
    for _ in 0..3 {
        let s = Srv::start(bin, &[]);
        std::thread::sleep(Duration::from_secs(2));
        rss.push(rss_kb(s.pid()) as f64 / 1024.0);
    }
    println!("## Idle memory\n\nRSS 2 s after start on a fresh database: median **{:.1} MB** (runs: {:?})\n", median(&mut rss), rss.iter().map(|v| format!("{v:.1}")).collect::<Vec<_>>());
}

// ---------------------------------------------------------------- throughput

/// 64 clients on keep-alive connections POST as fast as they can for `secs`.
fn load(
    addr: &str,
    path_for: impl Fn(usize) -> String + Send + Sync + 'static,
    auth: &str,
    secs: f64,
) -> f64 {
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let path_for = Arc::new(path_for);
    let mut hs = Vec::new();
    for i in 0..64 {
        let (stop, count, addr, auth, path_for) = (
            stop.clone(),
            count.clone(),
            addr.to_string(),
            format!("Bearer {auth}"),
            path_for.clone(),
        );
        hs.push(
            std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    let mut c = Conn::open(&addr).unwrap();
                    let path = path_for(i);
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        let body = format!(
                            r#"{{"body":"load test message {i} {n} with a few searchable words"}}"#
                        );
                        match c.call("POST", &path, &[("Authorization", &auth)], &body) {
                            Ok((201, _)) => {
                                count.fetch_add(1, Ordering::Relaxed);
                            }
                            Ok((st, b)) => panic!("unexpected {st}: {b}"),
                            Err(_) => c = Conn::open(&addr).unwrap(),
                        }
                        n += 1;
                    }
                })
                .unwrap(),
        );
    }
    // Warm up one second, then count.
    std::thread::sleep(Duration::from_secs(1));
    let c0 = count.load(Ordering::Relaxed);
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(secs));
    let done = count.load(Ordering::Relaxed) - c0;
    let rate = done as f64 / t0.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for h in hs {
        let _ = h.join();
    }
    rate
}

/// The storage ceiling: the same rows (message + FTS + event + outbox) from
/// 64 threads through one group-committing writer, with synchronous=FULL,
/// without HTTP.
fn storage_ceiling(secs: f64) -> f64 {
    let dir = std::env::temp_dir().join(format!("frontporch-bench-raw-{}", rand_u64()));
    std::fs::create_dir_all(&dir).unwrap();
    let conn = rusqlite::Connection::open(dir.join("raw.db")).unwrap();
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;")
        .unwrap();
    conn.execute_batch(include_str!("../schema.sql")).unwrap();
    conn.execute_batch(
        "INSERT INTO users (id, user_type, created_at) VALUES (1, 'visitor', 0);
         INSERT INTO conversations (id, user_id, created_at, updated_at) VALUES (1, 1, 0, 0);
         INSERT INTO webhook_endpoints (id, url, secret, created_at) VALUES (1, 'http://127.0.0.1:9/', 's', 0);",
    )
    .unwrap();
    type Job = std::sync::mpsc::SyncSender<()>;
    let (tx, rx) = std::sync::mpsc::channel::<(String, Job)>();
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let writer = std::thread::spawn(move || {
        while let Ok(first) = rx.recv() {
            let mut batch = vec![first];
            while let Ok(j) = rx.try_recv() {
                batch.push(j);
            }
            conn.execute_batch("BEGIN IMMEDIATE").unwrap();
            for (body, _) in &batch {
                conn.execute_batch("SAVEPOINT j").unwrap();
                conn.prepare_cached("INSERT INTO messages (conversation_id, user_id, body, created_at) VALUES (1, 1, ?1, 0)").unwrap().execute([body]).unwrap();
                conn.prepare_cached("UPDATE conversations SET updated_at = 1 WHERE id = 1")
                    .unwrap()
                    .execute([])
                    .unwrap();
                conn.prepare_cached("INSERT INTO events (kind, conversation_id, visitor_id, payload, created_at) VALUES ('message.created', 1, 1, ?1, 0)").unwrap().execute([body]).unwrap();
                conn.prepare_cached("INSERT INTO outbox (channel, endpoint_id, payload, next_attempt_at, created_at) VALUES ('webhook', 1, ?1, 0, 0)").unwrap().execute([body]).unwrap();
                conn.execute_batch("RELEASE j").unwrap();
            }
            // Index the batch's messages for search, as the server does.
            conn.execute_batch(
                "INSERT INTO messages_fts(rowid, body) SELECT id, body FROM messages
                   WHERE id > (SELECT last_id FROM search_watermark WHERE name = 'messages');
                 UPDATE search_watermark SET last_id = (SELECT max(id) FROM messages) WHERE name = 'messages';
                 COMMIT",
            )
            .unwrap();
            for (_, reply) in batch {
                let _ = reply.send(());
            }
        }
    });
    let mut hs = Vec::new();
    for i in 0..64 {
        let (tx, stop, count) = (tx.clone(), stop.clone(), count.clone());
        hs.push(std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let (rtx, rrx) = std::sync::mpsc::sync_channel(1);
                tx.send((
                    format!("load test message {i} {n} with a few searchable words"),
                    rtx,
                ))
                .unwrap();
                rrx.recv().unwrap();
                count.fetch_add(1, Ordering::Relaxed);
                n += 1;
            }
        }));
    }
    drop(tx);
    std::thread::sleep(Duration::from_secs(1));
    let c0 = count.load(Ordering::Relaxed);
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs_f64(secs));
    let rate = (count.load(Ordering::Relaxed) - c0) as f64 / t0.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for h in hs {
        let _ = h.join();
    }
    let _ = writer.join();
    let _ = std::fs::remove_dir_all(&dir);
    rate
}

/// A webhook receiver answering 200, so outbox rows are delivered as in production.
fn sink() -> (Arc<tiny_http::Server>, String) {
    let s = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let addr = s.server_addr().to_ip().unwrap().to_string();
    for _ in 0..4 {
        let s = s.clone();
        std::thread::spawn(move || {
            for rq in s.incoming_requests() {
                let _ = rq.respond(tiny_http::Response::empty(200));
            }
        });
    }
    (s, addr)
}

/// A receiver that accepts connections and never answers: deliveries wait
/// on it (up to the 15 s timeout) without using CPU, so ingest can be
/// measured with its outbox rows written but no delivery running on this box.
fn stalled_sink() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            held.push(s);
        }
    });
    addr
}

fn throughput(bin: &Path, quick: bool) {
    let secs = if quick { 3.0 } else { 8.0 };
    let rounds = if quick { 1 } else { 3 };
    let (_sink, sink_addr) = sink();
    let stalled = stalled_sink();
    let (mut hello_r, mut ingest_r, mut both_r, mut drain_r, mut raw_r) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut batches: Vec<(f64, f64)> = Vec::new();
    for _ in 0..rounds {
        // Hello-world ceiling, as a separate process like the server.
        let mut h = Command::new(std::env::current_exe().unwrap())
            .args(["hello", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(h.stdout.take().unwrap()).lines();
        let haddr = lines
            .next()
            .unwrap()
            .unwrap()
            .trim_start_matches("listening on http://")
            .to_string();
        hello_r.push(load(&haddr, |_| "/hello".into(), "x", secs));
        let _ = h.kill();
        let _ = h.wait();

        let s = Srv::start(bin, &[("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1")]);
        let token = s.admin_token();
        let hook = api(
            &s.addr,
            &token,
            "POST",
            "/api/v1/webhooks",
            json!({"url": format!("http://{stalled}/hook")}),
        );
        let hook_path = format!("/api/v1/webhooks/{}", hook["webhook"]["id"]);
        let mut paths = Vec::new();
        for i in 0..64 {
            let u = api(
                &s.addr,
                &token,
                "POST",
                "/api/v1/users",
                json!({"first_name": format!("Load {i}")}),
            );
            let c = api(
                &s.addr,
                &token,
                "POST",
                "/api/v1/conversations",
                json!({"user_id": u["user"]["id"]}),
            );
            paths.push(format!(
                "/api/v1/conversations/{}/messages",
                c["conversation"]["id"]
            ));
        }
        let paths = Arc::new(paths);
        // 1. Ingest: every message with its event, FTS row and outbox row.
        let before = metrics(&s.addr);
        let p = paths.clone();
        ingest_r.push(load(&s.addr, move |i| p[i].clone(), &token, secs));
        let after = metrics(&s.addr);
        let d =
            |k: &str| after.get(k).copied().unwrap_or(0.0) - before.get(k).copied().unwrap_or(0.0);
        batches.push((
            d("frontporch_write_jobs_total") / d("frontporch_write_batches_total"),
            d("frontporch_write_busy_microseconds_total")
                / d("frontporch_write_batches_total")
                / 1000.0,
        ));
        // 2. Drain: point the endpoint at a live receiver; time the backlog.
        std::thread::sleep(Duration::from_millis(1200));
        let backlog = metrics(&s.addr)
            .get("frontporch_outbox_depth")
            .copied()
            .unwrap_or(0.0);
        api(
            &s.addr,
            &token,
            "PATCH",
            &hook_path,
            json!({"url": format!("http://{sink_addr}/hook")}),
        );
        let t0 = Instant::now();
        let deadline = t0 + Duration::from_secs(120);
        let mut left = backlog;
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(250));
            left = metrics(&s.addr)
                .get("frontporch_outbox_depth")
                .copied()
                .unwrap_or(0.0);
            // The few stuck on the stalled receiver wait for their retry.
            if left <= 16.0 {
                break;
            }
        }
        drain_r.push((backlog - left) / t0.elapsed().as_secs_f64());
        // 3. Ingest while delivering to the loopback receiver on the same cores.
        let p = paths.clone();
        both_r.push(load(&s.addr, move |i| p[i].clone(), &token, secs));
        drop(s);

        raw_r.push(storage_ceiling(secs));
    }
    let runs = |v: &Vec<f64>| format!("{:?}", v.iter().map(|x| *x as i64).collect::<Vec<_>>());
    let (h, r) = (median(&mut hello_r.clone()), median(&mut raw_r.clone()));
    let (f, b, dr) = (
        median(&mut ingest_r.clone()),
        median(&mut both_r.clone()),
        median(&mut drain_r.clone()),
    );
    println!("## Message throughput (64 concurrent clients, keep-alive, synchronous=FULL)\n");
    println!("Each accepted message is durable before its 201, with its event, FTS row and one webhook outbox row.\n");
    println!("| what | per second (median of {rounds}) | runs |\n| --- | --- | --- |");
    println!(
        "| tiny_http hello server (HTTP ceiling) | {h:.0} | {} |",
        runs(&hello_r)
    );
    println!(
        "| raw rusqlite group commit, same rows (storage ceiling) | {r:.0} | {} |",
        runs(&raw_r)
    );
    println!(
        "| **Frontporch POST /messages** (webhook receiver elsewhere) | **{f:.0}** | {} |",
        runs(&ingest_r)
    );
    println!(
        "| webhook deliveries drained from the backlog to a loopback receiver | {dr:.0} | {} |",
        runs(&drain_r)
    );
    println!("| POST /messages while delivering each to a loopback receiver on the same 2 cores | {b:.0} | {} |", runs(&both_r));
    println!(
        "\nFrontporch ingest = **{:.0}%** of the HTTP ceiling, {:.0}% of the storage ceiling.\n",
        100.0 * f / h,
        100.0 * f / r
    );
    for (jobs, ms) in batches {
        println!("- writer during ingest: {jobs:.1} jobs per group commit, {ms:.2} ms per commit (jobs + COMMIT)");
    }
    println!();
}

// ---------------------------------------------------------------- latency

/// 1,000 visitors wait on long-polls; an agent answers one of them at a time.
fn latency(bin: &Path, quick: bool) {
    for sync in ["full", "normal"] {
        let s = Srv::start(
            bin,
            &[
                ("FRONTPORCH_POLL_SECONDS", "120"),
                ("FRONTPORCH_TRUST_PROXY", "1"),
                ("FRONTPORCH_SYNC", sync),
            ],
        );
        let token = s.admin_token();
        let n = 1000;
        // Visitors (distinct X-Forwarded-For so the per-IP session and conversation limits do not apply).
        let mut visitors = Vec::new();
        for i in 0..n {
            let mut c = Conn::open(&s.addr).unwrap();
            let ip = format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256);
            let (st, b) = c
                .call(
                    "POST",
                    "/api/v1/widget/session",
                    &[("X-Forwarded-For", &ip)],
                    "{}",
                )
                .unwrap();
            assert_eq!(st, 201, "{b}");
            let v: Value = serde_json::from_str(&b).unwrap();
            let vt = v["token"].as_str().unwrap().to_string();
            let auth = format!("Bearer {vt}");
            let (st, b) = c
                .call(
                    "POST",
                    "/api/v1/widget/conversations",
                    &[("Authorization", &auth), ("X-Forwarded-For", &ip)],
                    "{}",
                )
                .unwrap();
            assert_eq!(st, 201, "{b}");
            let cv: Value = serde_json::from_str(&b).unwrap();
            visitors.push((auth, cv["conversation"]["id"].as_i64().unwrap()));
        }
        let cursor = api(
            &s.addr,
            &token,
            "GET",
            "/api/v1/events?after=0",
            Value::Null,
        )["cursor"]
            .as_i64()
            .unwrap();
        // Each waiter thread re-polls after every answer and records when it got one.
        let received: Arc<Mutex<Vec<Option<Instant>>>> = Arc::new(Mutex::new(vec![None; n]));
        let mut hs = Vec::new();
        for (i, (auth, _)) in visitors.iter().enumerate() {
            let (addr, auth, received) = (s.addr.clone(), auth.clone(), received.clone());
            hs.push(
                std::thread::Builder::new()
                    .stack_size(128 * 1024)
                    .spawn(move || {
                        let mut c = Conn::open(&addr).unwrap();
                        let mut cur = cursor;
                        loop {
                            let Ok((st, b)) = c.call(
                                "GET",
                                &format!("/api/v1/events?after={cur}"),
                                &[("Authorization", &auth)],
                                "",
                            ) else {
                                return;
                            };
                            if st != 200 {
                                return;
                            }
                            let v: Value = serde_json::from_str(&b).unwrap();
                            if v["events"]
                                .as_array()
                                .is_some_and(|e| e.iter().any(|e| e["kind"] == "message.created"))
                            {
                                received.lock().unwrap()[i] = Some(Instant::now());
                            }
                            cur = v["cursor"].as_i64().unwrap();
                        }
                    })
                    .unwrap(),
            );
        }
        // Wait until all are parked.
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let m = metrics(&s.addr);
            if m.get("frontporch_waiting_clients").copied().unwrap_or(0.0) >= n as f64 {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let waiting = metrics(&s.addr)
            .get("frontporch_waiting_clients")
            .copied()
            .unwrap_or(0.0);
        let rounds = if quick { 40 } else { 200 };
        let (mut from_send, mut from_ack) = (Vec::new(), Vec::new());
        let mut agent = Conn::open(&s.addr).unwrap();
        let auth = format!("Bearer {token}");
        for r in 0..rounds {
            let k = (rand_u64() % n as u64) as usize;
            received.lock().unwrap()[k] = None;
            let body = format!(r#"{{"body":"reply {r}"}}"#);
            let t0 = Instant::now();
            let (st, _) = agent
                .call(
                    "POST",
                    &format!("/api/v1/conversations/{}/messages", visitors[k].1),
                    &[("Authorization", &auth)],
                    &body,
                )
                .unwrap();
            let t_ack = Instant::now();
            assert_eq!(st, 201);
            let until = Instant::now() + Duration::from_secs(10);
            loop {
                if let Some(t) = received.lock().unwrap()[k] {
                    from_send.push(t.duration_since(t0).as_secs_f64() * 1000.0);
                    from_ack.push(t.saturating_duration_since(t_ack).as_secs_f64() * 1000.0);
                    break;
                }
                if Instant::now() > until {
                    break;
                }
                std::thread::yield_now();
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        println!(
            "## Delivery latency, {n} visitors waiting (synchronous={})\n",
            sync.to_uppercase()
        );
        println!("{waiting:.0} long-polls parked; an agent answers a random one {rounds} times. POST sent → the waiting visitor has the event:\n");
        println!("| measure | p50 | p90 | p99 (host noise) |\n| --- | --- | --- | --- |");
        println!(
            "| POST sent → delivered (includes the commit) | **{:.2} ms** | {:.2} ms | {:.2} ms |",
            pct(&mut from_send, 0.5),
            pct(&mut from_send, 0.9),
            pct(&mut from_send, 0.99)
        );
        println!(
            "| 201 received → delivered (hub fan-out) | {:.2} ms | {:.2} ms | {:.2} ms |\n",
            pct(&mut from_ack, 0.5),
            pct(&mut from_ack, 0.9),
            pct(&mut from_ack, 0.99)
        );
        drop(s);
        drop(hs);
    }
}

fn metrics(addr: &str) -> std::collections::HashMap<String, f64> {
    let Ok(mut c) = Conn::open(addr) else {
        return Default::default();
    };
    c.set_timeout(Duration::from_secs(5));
    let Ok((_, body)) = c.call("GET", "/metrics", &[], "") else {
        return Default::default();
    };
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            l.split_once(' ')
                .map(|(k, v)| (k.to_string(), v.trim().parse().unwrap_or(0.0)))
        })
        .collect()
}

// ---------------------------------------------------------------- capacity

/// Opens long-polls in steps and reports RSS with that many parked.
fn capacity(bin: &Path, quick: bool) {
    let s = Srv::start(
        bin,
        &[
            ("FRONTPORCH_POLL_SECONDS", "120"),
            ("FRONTPORCH_MAX_WAITERS", "100000"),
        ],
    );
    let token = s.admin_token();
    // The CLI's token.created event reaches the server's hub within a second;
    // wait for it so it does not wake the idle waiters below.
    std::thread::sleep(Duration::from_millis(1500));
    let cursor = api(
        &s.addr,
        &token,
        "GET",
        "/api/v1/events?after=0",
        Value::Null,
    )["cursor"]
        .as_i64()
        .unwrap();
    // tiny_http holds two descriptors per connection (a read and a write
    // half): the open-file limit caps the waiters at about half of it.
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    let fd_cap = (lim.rlim_max as usize).saturating_sub(200) / 2;
    let steps: &[usize] = if quick {
        &[1000, 2000]
    } else {
        &[1000, 5000, 10000, 20000]
    };
    let mut held: Vec<Conn> = Vec::new();
    println!("## Waiting clients held\n");
    println!("Idle long-polls (agent token) parked at once; RSS of the server process. The open-file limit here is {}; tiny_http holds two descriptors per connection, so at most ~{fd_cap} fit.\n", lim.rlim_max);
    println!("| waiting (per /metrics) | server RSS | RSS per waiter |\n| --- | --- | --- |");
    let base = rss_kb(s.pid()) as f64;
    let auth = format!("Bearer {token}");
    let mut max_ok = 0.0;
    let mut last = 0;
    for &target in steps {
        let target = target.min(fd_cap);
        if target <= last {
            break;
        }
        last = target;
        let mut failed = false;
        while held.len() < target {
            match Conn::open(&s.addr) {
                Ok(mut c) => {
                    if c.send(
                        "GET",
                        &format!("/api/v1/events?after={cursor}"),
                        &[("Authorization", &auth)],
                        "",
                    )
                    .is_err()
                    {
                        failed = true;
                        break;
                    }
                    held.push(c);
                }
                Err(e) => {
                    println!("| (client could not open more: {e}) | | |");
                    failed = true;
                    break;
                }
            }
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut waiting = 0.0;
        while Instant::now() < deadline {
            waiting = metrics(&s.addr)
                .get("frontporch_waiting_clients")
                .copied()
                .unwrap_or(0.0);
            if waiting >= held.len() as f64 {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let rss = rss_kb(s.pid()) as f64;
        println!(
            "| {waiting:.0} | {:.1} MB | {:.1} KB |",
            rss / 1024.0,
            (rss - base) / waiting.max(1.0)
        );
        if waiting >= held.len() as f64 {
            max_ok = waiting;
        }
        if failed {
            break;
        }
    }
    println!("\nLargest number held: **{max_ok:.0}** (the load generator's own limits may stop first).\n");
}

// ---------------------------------------------------------------- big database

const WORDS: &[&str] = &[
    "order",
    "refund",
    "shipping",
    "invoice",
    "password",
    "login",
    "account",
    "delivery",
    "price",
    "discount",
    "coupon",
    "broken",
    "return",
    "exchange",
    "warranty",
    "size",
    "color",
    "payment",
    "card",
    "paypal",
    "subscription",
    "cancel",
    "upgrade",
    "plan",
    "team",
    "support",
    "thanks",
    "hello",
    "help",
    "please",
    "when",
    "where",
    "tracking",
    "number",
    "package",
    "arrived",
    "damaged",
    "missing",
    "email",
    "phone",
    "address",
    "change",
    "update",
    "question",
    "problem",
];

fn big_db(bin: &Path, quick: bool) {
    let n_msgs: i64 = if quick { 100_000 } else { 1_000_000 };
    let n_convs: i64 = n_msgs / 100;
    let dir = std::env::temp_dir().join(format!("frontporch-bench-big-{}", rand_u64()));
    // Let the server create the schema and its first admin, then fill it.
    drop(Srv::start_in(bin, dir.clone(), &[], true));
    let t0 = Instant::now();
    {
        let conn = rusqlite::Connection::open(dir.join("frontporch.db")).unwrap();
        conn.execute_batch("PRAGMA synchronous=OFF; BEGIN").unwrap();
        let mut seed = 42u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        {
            let mut u = conn.prepare("INSERT INTO users (user_type, first_name, last_name, email, created_at) VALUES ('lead', ?1, ?2, ?3, ?4)").unwrap();
            let mut c = conn.prepare("INSERT INTO conversations (user_id, status, title, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)").unwrap();
            for i in 0..n_convs {
                u.execute(rusqlite::params![
                    format!("First{i}"),
                    format!("Last{}", i % 997),
                    format!("user{i}@example.com"),
                    i
                ])
                .unwrap();
                let uid = conn.last_insert_rowid();
                c.execute(rusqlite::params![
                    uid,
                    (i % 5),
                    format!("Conversation {i}"),
                    i * 1000
                ])
                .unwrap();
            }
            let mut m = conn.prepare("INSERT INTO messages (conversation_id, user_id, body, by_owner, created_at) VALUES (?1, ?2, ?3, ?4, ?5)").unwrap();
            // Two in three messages from the contact, one from the admin.
            let admin: i64 = conn
                .query_row(
                    "SELECT min(id) FROM users WHERE user_type = 'admin'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            let owner_offset: i64 = conn
                .query_row(
                    "SELECT min(user_id) - min(id) FROM conversations",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            let mut e = conn.prepare("INSERT INTO events (kind, conversation_id, visitor_id, payload, created_at) VALUES ('message.created', ?1, ?2, '{}', ?3)").unwrap();
            let first_conv: i64 = conn
                .query_row("SELECT min(id) FROM conversations", [], |r| r.get(0))
                .unwrap();
            for i in 0..n_msgs {
                let conv = first_conv + (next() % n_convs as u64) as i64;
                let words: Vec<&str> = (0..8)
                    .map(|_| WORDS[(next() % WORDS.len() as u64) as usize])
                    .collect();
                let body = format!("{} {}", words.join(" "), next() % 100_000);
                let owner = conv + owner_offset;
                let by_owner = next() % 3 != 0;
                let sender = if by_owner { owner } else { admin };
                m.execute(rusqlite::params![conv, sender, body, by_owner, i])
                    .unwrap();
                e.execute(rusqlite::params![conv, owner, i]).unwrap();
            }
        }
        conn.execute_batch("COMMIT; PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap();
    }
    let gen = t0.elapsed();
    let db_mb = std::fs::metadata(dir.join("frontporch.db")).unwrap().len() as f64 / 1e6;
    let mut starts = Vec::new();
    for _ in 0..5 {
        let (mut child, _, took) = spawn(bin, &dir, &[]);
        starts.push(took.as_secs_f64() * 1000.0);
        let _ = child.kill();
        let _ = child.wait();
    }
    let s = Srv::start_in(bin, dir.clone(), &[], false);
    let token = s.admin_token();
    let auth = format!("Bearer {token}");
    let mut c = Conn::open(&s.addr).unwrap();
    let mut time = |path: String| -> f64 {
        let t = Instant::now();
        let (st, b) = c
            .call("GET", &path, &[("Authorization", &auth)], "")
            .unwrap();
        assert_eq!(st, 200, "{path}: {b}");
        t.elapsed().as_secs_f64() * 1000.0
    };
    let reps = if quick { 50 } else { 200 };
    let first: i64 = 1; // the server made no conversation before the generated ones
    let mut list: Vec<f64> = (0..reps)
        .map(|_| time("/api/v1/conversations?limit=50".into()))
        .collect();
    let mut list_all: Vec<f64> = (0..reps)
        .map(|_| time("/api/v1/conversations?status=all&limit=50".into()))
        .collect();
    let mut seed = 7u64;
    let mut hist: Vec<f64> = (0..reps)
        .map(|_| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            time(format!(
                "/api/v1/conversations/{}/messages?limit=50",
                first + (seed >> 33) as i64 % n_convs
            ))
        })
        .collect();
    let mut search_rare: Vec<f64> = (0..reps)
        .map(|i| time(format!("/api/v1/search?q={}", 1000 + i * 37)))
        .collect();
    let mut search_word: Vec<f64> = (0..reps)
        .map(|i| time(format!("/api/v1/search?q={}", WORDS[i % WORDS.len()])))
        .collect();
    let mut search_two: Vec<f64> = (0..reps)
        .map(|i| {
            time(format!(
                "/api/v1/search?q=refund+{}",
                WORDS[i % WORDS.len()]
            ))
        })
        .collect();
    // Reports over the whole generated range (its times are the first
    // hours of 1970): every conversation, every message.
    let reports_reps = if quick { 5 } else { 10 };
    let report = |name: &str| {
        format!("/api/v1/reports?name={name}&date_start=1970-01-01&date_end=1970-01-02")
    };
    let mut rep_convs: Vec<f64> = (0..reports_reps)
        .map(|_| time(report("conversations")))
        .collect();
    let mut rep_missed: Vec<f64> = (0..reports_reps)
        .map(|_| time(report("missed-conversations")))
        .collect();
    let mut rep_agents: Vec<f64> = (0..reports_reps)
        .map(|_| time(report("agents-response-time")))
        .collect();
    let mut rep_agent_convs: Vec<f64> = (0..reports_reps)
        .map(|_| time(report("agents-conversations")))
        .collect();
    println!("## Large database ({n_msgs} messages, {n_convs} conversations and contacts, {db_mb:.0} MB)\n");
    println!("Generated in {:.0} s. Start-up (spawn → \"listening\"), 5 runs: median **{:.0} ms** ({:?}).\n", gen.as_secs_f64(), median(&mut starts), starts.iter().map(|v| *v as i64).collect::<Vec<_>>());
    println!("Query latency over HTTP on one keep-alive connection, {reps} requests each:\n");
    println!("| request | p50 | p90 |\n| --- | --- | --- |");
    for (name, v) in [
        ("conversation list, inbox (50)", &mut list),
        ("conversation list, all statuses (50)", &mut list_all),
        ("history page (50 messages)", &mut hist),
        ("search: a rare term (a number)", &mut search_rare),
        ("search: a common word (~1 in 6 messages)", &mut search_word),
        ("search: two common words", &mut search_two),
        (
            "report over every conversation: conversations",
            &mut rep_convs,
        ),
        (
            "report over every conversation: missed-conversations",
            &mut rep_missed,
        ),
        (
            "report over every conversation: agents-response-time",
            &mut rep_agents,
        ),
        (
            "report over every agent message: agents-conversations",
            &mut rep_agent_convs,
        ),
    ] {
        println!(
            "| {name} | **{:.2} ms** | {:.2} ms |",
            pct(v, 0.5),
            pct(v, 0.9)
        );
    }
    println!();
}

// ---------------------------------------------------------------- tiny_http's weaknesses

fn threads(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Threads:"))
                .map(|l| l.split_whitespace().nth(1).unwrap().parse().unwrap())
        })
        .unwrap_or(0)
}

/// What the known tiny_http weaknesses cost, measured: idle connections
/// (a thread each), an endless header, and recovery of the accept loop.
fn weaknesses(bin: &Path) {
    use std::io::Write;
    let s = Srv::start(bin, &[]);
    std::thread::sleep(Duration::from_millis(500));
    let (rss0, th0) = (rss_kb(s.pid()), threads(s.pid()));
    // 1. Connections that never send a request (slowloris): each holds a thread.
    let idle: Vec<std::net::TcpStream> = (0..2000)
        .filter_map(|_| std::net::TcpStream::connect(&s.addr).ok())
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    let (rss1, th1) = (rss_kb(s.pid()), threads(s.pid()));
    drop(idle);
    std::thread::sleep(Duration::from_secs(7)); // tiny_http lets idle pool threads go after 5 s
    let (rss2, th2) = (rss_kb(s.pid()), threads(s.pid()));
    // 2. One client sending a 64 MB header line: tiny_http buffers it all.
    let mut t = std::net::TcpStream::connect(&s.addr).unwrap();
    let _ = t.write_all(b"GET /healthz HTTP/1.1\r\nX-Big: ");
    let chunk = vec![b'a'; 1 << 20];
    for _ in 0..64 {
        if t.write_all(&chunk).is_err() {
            break;
        }
    }
    std::thread::sleep(Duration::from_secs(1));
    let rss3 = rss_kb(s.pid());
    drop(t);
    // 3. The server still answers.
    let ok = Conn::open(&s.addr)
        .and_then(|mut c| c.call("GET", "/healthz", &[], ""))
        .map(|r| r.0 == 200)
        .unwrap_or(false);
    println!("## tiny_http's weaknesses, measured\n");
    println!("| situation | server threads | server RSS |\n| --- | --- | --- |");
    println!(
        "| idle, fresh start | {th0} | {:.1} MB |",
        rss0 as f64 / 1024.0
    );
    println!("| 2,000 connections that never send a request (slowloris) | {th1} | {:.1} MB ({:.1} KB each) |", rss1 as f64 / 1024.0, (rss1 - rss0) as f64 / 2000.0);
    println!(
        "| 7 s after they close | {th2} | {:.1} MB |",
        rss2 as f64 / 1024.0
    );
    println!(
        "| one client streaming a 64 MB header line | | {:.1} MB (+{:.1} MB) |",
        rss3 as f64 / 1024.0,
        (rss3 as f64 - rss2 as f64) / 1024.0
    );
    println!("\nStill answering afterwards: {ok}. Idle connections are closed after FRONTPORCH_HEADER_TIMEOUT (10 s; the first row is taken at 2 s) and a head past FRONTPORCH_MAX_HEADER_BYTES gets 431 (patched tiny_http; before the patch both stayed until the client left).\n");
}

/// True while the server keeps `t` open (reads whatever it sent first).
fn still_open(t: &mut std::net::TcpStream) -> bool {
    use std::io::Read;
    let _ = t.set_nonblocking(true);
    let mut buf = [0u8; 1024];
    loop {
        match t.read(&mut buf) {
            Ok(0) => return false,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return true,
            Err(_) => return false,
        }
    }
}

/// Slow clients, with the default limits: what idle connections cost, and
/// how many slowloris connections the server still holds after a while.
/// Compare builds with `BENCH_SERVER=path/to/frontporch`.
fn slowloris(bin: &Path) {
    use std::io::Write;
    use std::net::TcpStream;
    let s = Srv::start(bin, &[]);
    std::thread::sleep(Duration::from_millis(500));
    let rss0 = rss_kb(s.pid());
    // 1. 2,000 connections that never send a byte, measured after 2 s.
    let idle: Vec<TcpStream> = (0..2000)
        .filter_map(|_| TcpStream::connect(&s.addr).ok())
        .collect();
    std::thread::sleep(Duration::from_secs(2));
    let (rss1, th1) = (rss_kb(s.pid()), threads(s.pid()));
    drop(idle);
    // Idle pool threads leave after 5 s.
    std::thread::sleep(Duration::from_secs(7));
    // 2. 1,000 connections sending one more header line every second, and
    //    20 POSTs that stop halfway through their body.
    let mut heads: Vec<Option<TcpStream>> = (0..1000)
        .map(|_| {
            let mut t = TcpStream::connect(&s.addr).ok()?;
            t.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").ok()?;
            Some(t)
        })
        .collect();
    let mut posts: Vec<Option<TcpStream>> = (0..20)
        .map(|_| {
            let mut t = TcpStream::connect(&s.addr).ok()?;
            t.write_all(
                b"POST /api/v1/widget/session HTTP/1.1\r\nHost: x\r\n\
                  Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"first",
            )
            .ok()?;
            Some(t)
        })
        .collect();
    let start = Instant::now();
    let mut rows = Vec::new();
    for at in [5u64, 15, 40, 65] {
        while start.elapsed() < Duration::from_secs(at) {
            for t in heads.iter_mut() {
                if t.as_mut()
                    .is_some_and(|c| c.write_all(b"X-Slow: 1\r\n").is_err())
                {
                    *t = None;
                }
            }
            std::thread::sleep(Duration::from_secs(1));
        }
        let open = |v: &mut Vec<Option<TcpStream>>| {
            v.iter_mut()
                .filter_map(|t| t.as_mut())
                .map(still_open)
                .filter(|open| *open)
                .count()
        };
        let (h, p) = (open(&mut heads), open(&mut posts));
        rows.push((at, h, p, threads(s.pid()), rss_kb(s.pid())));
    }
    println!("## Slow clients (default limits)\n");
    println!(
        "2,000 connections that never send a byte, after 2 s: {th1} server threads, \
         {:.1} MB RSS ({:.1} KB per connection).\n",
        rss1 as f64 / 1024.0,
        (rss1 as f64 - rss0 as f64) / 2000.0
    );
    println!("| after | trickled heads open (of 1,000) | stalled POSTs open (of 20) | server threads | server RSS |");
    println!("| --- | --- | --- | --- | --- |");
    for (at, h, p, th, rss) in rows {
        println!(
            "| {at} s | {h} | {p} | {th} | {:.1} MB |",
            rss as f64 / 1024.0
        );
    }
    println!();
    drop((heads, posts));
    trickled_bodies(&s);
}

/// 100 request bodies and 20 uploads trickled a byte a second (more than
/// the 64 handlers): how long `/healthz` takes to answer meanwhile.
fn trickled_bodies(s: &Srv) {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    std::thread::sleep(Duration::from_secs(2));
    let open = |path: &str, len: usize| {
        let mut t = TcpStream::connect(&s.addr).ok()?;
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Content-Length: {len}\r\n\r\n{{"
        );
        t.write_all(head.as_bytes()).ok()?;
        Some(t)
    };
    let mut slow: Vec<TcpStream> = (0..100)
        .filter_map(|_| open("/api/v1/widget/session", 5000))
        .chain((0..20).filter_map(|_| open("/api/v1/widget/uploads", 2 << 20)))
        .collect();
    let mut took = Vec::new();
    for _ in 0..20 {
        for t in slow.iter_mut() {
            let _ = t.write_all(b" ");
        }
        std::thread::sleep(Duration::from_millis(500));
        let start = Instant::now();
        let answered = TcpStream::connect(&s.addr).ok().and_then(|mut t| {
            t.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
            t.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .ok()?;
            let mut buf = [0u8; 12];
            t.read_exact(&mut buf).ok()?;
            buf.starts_with(b"HTTP/1.1 200").then_some(())
        });
        if answered.is_some() {
            took.push(start.elapsed().as_secs_f64() * 1000.0);
        }
    }
    println!(
        "100 bodies and 20 uploads trickled a byte every 0.5 s: /healthz answered \
         {} of 20 times within 5 s, median {:.2} ms.\n",
        took.len(),
        median(&mut took)
    );
}
