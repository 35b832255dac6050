//! Operations: health, metrics, OpenAPI, headers, graceful shutdown, and
//! surviving accept errors (tiny_http's accept loop dying on EMFILE).

use crate::harness::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn health_metrics_openapi_and_headers() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (visitor, _) = s.visitor("M");
    visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "count me"}}),
    );
    assert_eq!(s.anon().get("/healthz")["status"], "ok");
    let (st, headers, text) = s.anon().raw("GET", "/metrics", None, &[]);
    assert_eq!(st, 200);
    for name in [
        "frontporch_http_requests_total",
        "frontporch_messages_total",
        "frontporch_waiting_clients",
        "frontporch_outbox_depth",
        "frontporch_delivery_failures_total",
    ] {
        assert!(
            text.contains(&format!("\n{name} ")),
            "{name} missing:\n{text}"
        );
    }
    assert!(header(&headers, "content-type")
        .unwrap()
        .starts_with("text/plain"));
    let doc: Value = admin.get("/api/v1/openapi.json");
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/conversations/{id}/messages"]["post"].is_object());
    let (_, headers, _) = admin.raw("GET", "/api/v1/conversations", None, &[]);
    assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"));
    assert_eq!(header(&headers, "cache-control"), Some("no-store"));
    assert!(header(&headers, "content-security-policy")
        .unwrap()
        .contains("frame-ancestors 'none'"));
}

#[test]
fn sigterm_answers_waiters_and_exits_cleanly() {
    let mut s = Server::start_with(&[("FRONTPORCH_POLL_SECONDS", "60")]);
    let admin = s.client(&s.admin_token());
    let cursor = admin.get("/api/v1/events?after=0")["cursor"]
        .as_i64()
        .unwrap();
    let waiter = {
        let admin = admin.clone();
        std::thread::spawn(move || {
            admin.call("GET", &format!("/api/v1/events?after={cursor}"), None)
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    unsafe { libc::kill(s.pid(), libc::SIGTERM) };
    let status = s.child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(started.elapsed() < Duration::from_secs(15));
    let (st, v) = waiter.join().unwrap();
    assert_eq!(st, 200);
    assert_eq!(v["events"], json!([]));
    // Restarts fine on the same data (the Drop of `s` cleans up).
    s.kill_and_restart();
    assert_eq!(s.anon().get("/healthz")["status"], "ok");
}

/// With a tiny open-file limit, a burst of connections makes accept() fail
/// with EMFILE, which ends tiny_http's accept loop; the server must notice,
/// start a new one, and answer again once the burst is gone.
#[test]
fn survives_accept_errors_from_running_out_of_file_descriptors() {
    let d = TempDir::new("emfile");
    let mut cmd = Command::new(bin());
    cmd.args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(&d.0)
        .env("FRONTPORCH_BCRYPT_COST", "4")
        .env("FRONTPORCH_ADMIN_PASSWORD", "adminpass1")
        .env("FRONTPORCH_HTTP_WORKERS", "4")
        .env("RUST_LOG", "off")
        .stdout(Stdio::piped());
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 64,
                rlim_max: 64,
            };
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let l = lines.next().unwrap().unwrap();
        if let Some(u) = l.strip_prefix("listening on ") {
            break u.to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let addr = base.trim_start_matches("http://").to_string();
    // Hold far more connections than the limit allows.
    let held: Vec<TcpStream> = (0..120)
        .filter_map(|_| TcpStream::connect(&addr).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    drop(held);
    // It answers again, and says it restarted its accept loop.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut metrics = String::new();
    while Instant::now() < deadline {
        if let Ok(mut t) = TcpStream::connect(&addr) {
            let _ = t.set_read_timeout(Some(Duration::from_secs(3)));
            let _ = t.write_all(b"GET /metrics HTTP/1.0\r\n\r\n");
            let mut buf = String::new();
            let _ = t.read_to_string(&mut buf);
            if buf.starts_with("HTTP/1.1 200") || buf.starts_with("HTTP/1.0 200") {
                metrics = buf;
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(!metrics.is_empty(), "server stopped answering after EMFILE");
    // Whether accept itself failed (the accept loop is restarted) or only
    // splitting a socket did (that connection is dropped), it answers; the
    // restart counter is there either way.
    assert!(
        metrics.contains("frontporch_accept_restarts_total "),
        "{metrics}"
    );
}
