//! Faults an operator meets: a full disk, a data directory whose database
//! went missing, a webhook receiver that is gone for good.

use crate::harness::*;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A small tmpfs mounted for one test (the tests run as root), unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// None (with the reason printed) when this machine does not let us mount.
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = TempDir::new("tmpfs");
        let path = dir.0.clone();
        std::mem::forget(dir); // removed after unmounting
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs(path)),
            Ok(o) => {
                eprintln!(
                    "SKIPPED: cannot mount a tmpfs (needs root): {}",
                    String::from_utf8_lossy(&o.stderr).trim()
                );
                let _ = std::fs::remove_dir_all(&path);
                None
            }
            Err(e) => {
                eprintln!("SKIPPED: cannot run mount: {e}");
                let _ = std::fs::remove_dir_all(&path);
                None
            }
        }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes zeros into `path` until the file system refuses more.
fn fill(path: &Path) {
    let mut f = std::fs::File::create(path).unwrap();
    for chunk in [1 << 16, 4096, 512, 1] {
        let buf = vec![0u8; chunk];
        while f.write_all(&buf).is_ok() {}
    }
    let _ = f.sync_all();
}

fn metric(s: &Server, name: &str) -> u64 {
    let (st, _, text) = s.anon().raw("GET", "/metrics", None, &[]);
    assert_eq!(st, 200);
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in /metrics"))
        .trim()
        .parse()
        .unwrap()
}

/// Every message id of a conversation, paging back through its history.
fn message_ids(c: &Client, cid: i64) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut before = i64::MAX;
    loop {
        let page = c.get(&format!(
            "/api/v1/conversations/{cid}/messages?limit=200&before={before}"
        ));
        let got: Vec<i64> = page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_i64().unwrap())
            .collect();
        if got.is_empty() {
            return ids;
        }
        before = *got.iter().min().unwrap();
        ids.extend(got);
    }
}

#[test]
fn a_full_disk_refuses_writes_with_507_keeps_reads_and_recovers() {
    let Some(fs) = Tmpfs::mount("12m") else {
        return;
    };
    let data = fs.0.join("data");
    let mut s = Server::start_in(data.clone(), &[("FRONTPORCH_RATE_LIMITS", "off")]);
    let admin = s.client(&s.admin_token());
    let (visitor, _) = s.visitor("Dana");
    let cid = visitor.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/conversations/{cid}/messages");
    let mut acknowledged = vec![
        admin.post(&path, json!({"body": "before"}))["message"]["id"]
            .as_i64()
            .unwrap(),
    ];
    assert_eq!(metric(&s, "frontporch_disk_full"), 0);

    // Fill the disk, then write until the database runs out of room (the
    // WAL may still have some slack).
    let filler = fs.0.join("filler");
    fill(&filler);
    let big = "x".repeat(8000);
    let mut refused = None;
    for _ in 0..600 {
        let (st, hs, text) =
            admin.raw("POST", &path, Some(json!({ "body": big }).to_string()), &[]);
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if st == 201 {
            acknowledged.push(v["message"]["id"].as_i64().unwrap());
            continue;
        }
        refused = Some((st, hs, v));
        break;
    }
    let (st, hs, v) = refused.expect("a full disk never refused a write");
    assert_eq!(st, 507, "{v}");
    assert_eq!(v["error"]["code"], "disk_full", "{v}");
    assert!(header(&hs, "retry-after").is_some(), "{hs:?}");

    // Reads still work; the state shows in /healthz and /metrics.
    assert_eq!(message_ids(&admin, cid).len(), acknowledged.len());
    let h = s.anon().get("/healthz");
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(h["disk_full"], true, "{h}");
    assert_eq!(metric(&s, "frontporch_disk_full"), 1);
    assert!(metric(&s, "frontporch_disk_full_refused_writes_total") >= 1);

    // An upload is refused the same way, and leaves no part-file behind.
    let Auth::Bearer(token) = admin.auth.clone() else {
        unreachable!()
    };
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.resize(256 * 1024, b' ');
    let resp = agent()
        .post(s.url("/api/v1/uploads?name=big.pdf"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/pdf")
        .send(&pdf[..])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 507);
    let uploads: Vec<_> = std::fs::read_dir(data.join("uploads"))
        .map(|d| d.flatten().collect())
        .unwrap_or_default();
    assert!(uploads.is_empty(), "{uploads:?}");

    // Space comes back: writes succeed again without a restart.
    std::fs::remove_file(&filler).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (st, _, text) = admin.raw(
            "POST",
            &path,
            Some(json!({"body": "after"}).to_string()),
            &[],
        );
        if st == 201 {
            let v: Value = serde_json::from_str(&text).unwrap();
            acknowledged.push(v["message"]["id"].as_i64().unwrap());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "writes never recovered: {st} {text}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(metric(&s, "frontporch_disk_full"), 0);
    assert_eq!(s.anon().get("/healthz")["status"], "ok");

    // Nothing acknowledged was lost, even across a crash.
    s.kill_and_restart();
    let admin = s.client(&s.admin_token());
    let mut got = message_ids(&admin, cid);
    got.sort();
    acknowledged.sort();
    assert_eq!(got, acknowledged);
}

/// Runs `frontporch serve` on `data` and waits (bounded) until it exits or
/// listens: (exited, success, stderr). A server that listens is killed.
fn serve_exits(data: &Path, args: &[&str]) -> (bool, bool, String) {
    use std::io::{BufRead, Read};
    let mut child = Command::new(bin())
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(args)
        .env("FRONTPORCH_BCRYPT_COST", "4")
        .env("FRONTPORCH_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("FRONTPORCH_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let (tx, listening) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            if line.starts_with("listening on ") {
                let _ = tx.send(());
            }
        }
    });
    // Refusing takes milliseconds; 30 s is a generous bound on a stalled box.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break Some(st);
        }
        if listening.try_recv().is_ok() || Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut err);
    (status.is_some(), status.is_some_and(|s| s.success()), err)
}

fn remove_db(data: &Path) {
    for f in ["frontporch.db", "frontporch.db-wal", "frontporch.db-shm"] {
        let _ = std::fs::remove_file(data.join(f));
    }
}

#[test]
fn a_missing_database_in_a_used_data_directory_refuses_to_start_without_init() {
    let dir = TempDir::new("lostdb");
    let data = dir.0.join("data");
    let mut s = Server::start_in(data.clone(), &[]);
    let admin = s.client(&s.admin_token());
    let Auth::Bearer(token) = admin.auth.clone() else {
        unreachable!()
    };
    let resp = agent()
        .post(s.url("/api/v1/uploads?name=notes.txt"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "text/plain")
        .send(&b"kept across the loss of the database"[..])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    assert!(data.join(".frontporch-install").exists());

    // The database is gone, the uploads and the marker are not: refuse.
    remove_db(&data);
    let (exited, ok, err) = serve_exits(&data, &[]);
    assert!(
        exited,
        "it started on an empty database in a used directory"
    );
    assert!(!ok && err.contains("earlier Frontporch install"), "{err}");
    assert!(err.contains("--init") && err.contains("uploads/"), "{err}");
    assert!(!data.join("frontporch.db").exists());
    // CLI commands too (they would create the database just the same).
    let (ok, _, err) = cli(&["token", "create", "--name", "x"], &data);
    assert!(!ok && err.contains("earlier Frontporch install"), "{err}");

    // The marker alone is enough to tell.
    std::fs::remove_dir_all(data.join("uploads")).unwrap();
    let (exited, ok, err) = serve_exits(&data, &[]);
    assert!(
        exited && !ok && err.contains(".frontporch-install"),
        "{err}"
    );

    // Told to, it starts over with a new first admin, and then starts as usual.
    std::fs::create_dir_all(data.join("uploads")).unwrap();
    std::fs::write(data.join("uploads").join("old"), b"x").unwrap();
    let (exited, _, err) = serve_exits(&data, &["--init"]);
    assert!(!exited, "--init did not start: {err}");
    assert!(data.join("frontporch.db").exists());
    assert!(
        data.join("uploads").join("old").exists(),
        "--init removed files"
    );
    let s = restart(s, &[]);
    assert!(!s.stdout_lines.iter().any(|l| l.starts_with("first admin:")));
    s.client(&s.admin_token()).get("/api/v1/conversations");
}

/// Stops `s` and starts a new server on its data (kept) with `env`.
fn restart(mut s: Server, env: &[(&str, &str)]) -> Server {
    let _ = s.child.kill();
    let _ = s.child.wait();
    let data = s.data.clone();
    std::mem::forget(s); // its Drop would remove the data
    Server::start_in(data, env)
}

#[test]
fn a_new_or_empty_data_directory_still_starts() {
    let dir = TempDir::new("fresh");
    // An empty uploads/ (made by hand or by a package) is not an install.
    std::fs::create_dir_all(dir.0.join("uploads")).unwrap();
    std::fs::create_dir_all(dir.0.join("lost+found")).unwrap();
    // Nor are files that are not Frontporch's.
    std::fs::write(dir.0.join(".gitkeep"), b"").unwrap();
    let s = Server::start_in(dir.0.clone(), &[]);
    assert_eq!(s.anon().get("/healthz")["status"], "ok");
}

/// A webhook receiver on loopback answering whatever status `status` holds;
/// counts what it receives by `webhook-id`.
struct Receiver {
    server: std::sync::Arc<tiny_http::Server>,
    status: std::sync::Arc<std::sync::atomic::AtomicU16>,
    ok_ids: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// webhook-ids answered 500 whatever `status` says.
    reject: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Receiver {
    fn start(status: u16) -> Receiver {
        use std::sync::{atomic::AtomicU16, atomic::Ordering, Arc, Mutex};
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let status = Arc::new(AtomicU16::new(status));
        let ok_ids = Arc::new(Mutex::new(Vec::new()));
        let reject = Arc::new(Mutex::new(Vec::<String>::new()));
        let (srv, st, ids, rj) = (
            server.clone(),
            status.clone(),
            ok_ids.clone(),
            reject.clone(),
        );
        std::thread::spawn(move || {
            for rq in srv.incoming_requests() {
                let id = rq
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("webhook-id"))
                    .map(|h| h.value.to_string())
                    .unwrap_or_default();
                let mut code = st.load(Ordering::SeqCst);
                if rj.lock().unwrap().contains(&id) {
                    code = 500;
                }
                if (200..300).contains(&code) {
                    ids.lock().unwrap().push(id);
                }
                let _ = rq.respond(tiny_http::Response::empty(code));
            }
        });
        Receiver {
            server,
            status,
            ok_ids,
            reject,
        }
    }
    fn url(&self) -> String {
        let port = self.server.server_addr().to_ip().unwrap().port();
        format!("http://127.0.0.1:{port}/hook")
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

/// Polls `f` every 100 ms until it returns Some, for at most `secs`.
fn wait_for<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_dead_webhook_endpoint_is_disabled_after_the_retry_window_and_can_be_revived() {
    let s = Server::start_with(&[
        ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1"),
        ("FRONTPORCH_RETRY_BASE_MS", "100"),
        ("FRONTPORCH_RETRY_WINDOW_MS", "2000"),
        ("FRONTPORCH_POLL_SECONDS", "2"),
    ]);
    let admin = s.client(&s.admin_token());
    let receiver = Receiver::start(500);
    let w = admin.post(
        "/api/v1/webhooks",
        json!({ "url": receiver.url(), "events": ["message.created"] }),
    );
    let wid = w["webhook"]["id"].as_i64().unwrap();
    let cursor = admin.get("/api/v1/events?after=0")["cursor"]
        .as_i64()
        .unwrap();
    let (visitor, _) = s.visitor("Rita");
    let cid = visitor.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();
    visitor.post(
        &format!("/api/v1/widget/conversations/{cid}/messages"),
        json!({"body": "is anyone there?"}),
    );

    // After failing for the whole window, the endpoint is turned off, with
    // the reason and the time, and admins hear of it live.
    let endpoint = |admin: &Client| -> Value {
        admin.get("/api/v1/webhooks")["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == wid)
            .unwrap()
            .clone()
    };
    let ep = wait_for(60, "the endpoint to be disabled", || {
        let ep = endpoint(&admin);
        (ep["active"] == false).then_some(ep)
    });
    let reason = ep["disabled_reason"].as_str().unwrap();
    assert!(
        reason.contains("retry window") && reason.contains("HTTP 500"),
        "{ep}"
    );
    assert!(ep["disabled_at"].is_string(), "{ep}");
    let mut after = cursor;
    let event = wait_for(60, "a webhook.disabled event", || {
        let batch = admin.get(&format!("/api/v1/events?after={after}"));
        after = batch["cursor"].as_i64().unwrap();
        batch["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "webhook.disabled")
            .cloned()
    });
    assert_eq!(event["data"]["webhook"]["id"], wid, "{event}");
    assert!(event["data"]["webhook"]["disabled_reason"].is_string());
    let deliveries = admin.get(&format!("/api/v1/webhooks/{wid}/deliveries"))["deliveries"]
        .as_array()
        .unwrap()
        .clone();
    assert!(!deliveries.is_empty());
    assert!(
        deliveries.iter().all(|d| d["state"] == "dead"),
        "{deliveries:?}"
    );
    assert!(deliveries[0]["attempts"].as_i64().unwrap() > 1);

    // The receiver comes back: re-enable, replay, and it gets everything.
    receiver
        .status
        .store(204, std::sync::atomic::Ordering::SeqCst);
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/webhooks/{wid}"),
        Some(json!({"active": true})),
    );
    assert_eq!(st, 200, "{v}");
    let ep = endpoint(&admin);
    assert_eq!(ep["active"], true);
    assert!(
        ep["disabled_reason"].is_null() && ep["disabled_at"].is_null(),
        "{ep}"
    );
    for d in &deliveries {
        let path = format!("/api/v1/deliveries/{}/replay", d["id"]);
        assert_eq!(admin.call("POST", &path, None).0, 202);
    }
    wait_for(60, "the replayed deliveries", || {
        let got = receiver.ok_ids.lock().unwrap().clone();
        deliveries
            .iter()
            .all(|d| got.contains(&format!("msg_{}", d["id"])))
            .then_some(())
    });
}

#[test]
fn an_endpoint_that_took_a_delivery_within_the_window_stays_active() {
    let s = Server::start_with(&[
        ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1"),
        ("FRONTPORCH_RETRY_BASE_MS", "100"),
        ("FRONTPORCH_RETRY_WINDOW_MS", "2000"),
    ]);
    let admin = s.client(&s.admin_token());
    let receiver = Receiver::start(204);
    let w = admin.post(
        "/api/v1/webhooks",
        json!({ "url": receiver.url(), "events": ["message.created"] }),
    );
    let wid = w["webhook"]["id"].as_i64().unwrap();
    let (visitor, _) = s.visitor("Ivo");
    let cid = visitor.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();
    let post = |body: &str| {
        visitor.post(
            &format!("/api/v1/widget/conversations/{cid}/messages"),
            json!({ "body": body }),
        );
    };
    // The receiver refuses the first delivery (the first outbox row) for
    // good and takes the next one.
    receiver.reject.lock().unwrap().push("msg_1".into());
    post("first");
    post("second");
    wait_for(60, "the first delivery to die", || {
        let d = admin.get("/api/v1/deliveries/1")["delivery"].clone();
        assert_eq!(d["endpoint_id"], wid);
        (d["state"] == "dead").then_some(())
    });
    let eps = admin.get("/api/v1/webhooks");
    let ep = eps["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == wid)
        .unwrap();
    assert_eq!(ep["active"], true, "{ep}");
    assert!(receiver
        .ok_ids
        .lock()
        .unwrap()
        .contains(&"msg_2".to_string()));
}
