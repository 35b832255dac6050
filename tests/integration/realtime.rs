//! Realtime by cursor: long-poll, SSE, reconnecting, scoping, typing, and
//! that a stalled client does not hold up the others.

use crate::harness::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn kinds(batch: &Value) -> Vec<String> {
    batch["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn long_poll_waiter_receives_a_message_posted_by_another_client() {
    let s = Server::start_with(&[("FRONTPORCH_POLL_SECONDS", "30")]);
    let admin = s.client(&s.admin_token());
    let (visitor, _) = s.visitor("Wanda");
    let cid = visitor.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();
    let cursor = admin.get("/api/v1/events?after=0")["cursor"]
        .as_i64()
        .unwrap();
    let vcursor = visitor.get("/api/v1/events?after=0")["cursor"]
        .as_i64()
        .unwrap();

    let waiter = admin.poll_events(cursor);
    let vwaiter = visitor.poll_events(vcursor);
    std::thread::sleep(Duration::from_millis(300)); // both are parked now
    let started = Instant::now();
    admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({"body": "reply from agent"}),
    );
    let got = waiter.join().unwrap();
    let vgot = vwaiter.join().unwrap();
    // Well before the 30 s poll time: they were woken, not timed out.
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(got["events"][0]["kind"], "message.created");
    assert_eq!(
        got["events"][0]["data"]["message"]["body"],
        "reply from agent"
    );
    assert_eq!(
        vgot["events"][0]["data"]["message"]["body"],
        "reply from agent"
    );
    assert!(got["cursor"].as_i64().unwrap() > cursor);
}

#[test]
fn long_poll_times_out_with_the_cursor() {
    let s = Server::start_with(&[("FRONTPORCH_POLL_SECONDS", "1")]);
    let admin = s.client(&s.admin_token());
    let now = admin.get("/api/v1/events?after=0")["cursor"]
        .as_i64()
        .unwrap();
    let started = Instant::now();
    let got = admin.get(&format!("/api/v1/events?after={now}"));
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(got["events"], json!([]));
    assert_eq!(got["cursor"], now);
}

#[test]
fn reconnecting_with_the_last_cursor_loses_nothing_even_across_restarts() {
    let mut s = Server::start();
    let token = s.admin_token();
    let admin = s.client(&token);
    let (visitor, _) = s.visitor("Rita");
    let cid = visitor.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();
    let start = admin.get("/api/v1/events?after=0")["cursor"]
        .as_i64()
        .unwrap();
    let vstart = visitor.get("/api/v1/events?after=0")["cursor"]
        .as_i64()
        .unwrap();
    for i in 0..30 {
        admin.post(
            &format!("/api/v1/conversations/{cid}/messages"),
            json!({"body": format!("n{i}")}),
        );
    }
    // Restart: the ring is gone, so old cursors are served from the database.
    s.kill_and_restart();
    let admin = s.client(&token);
    for (client, from) in [(&admin, start), (&visitor, vstart)] {
        let mut cursor = from;
        let mut bodies = Vec::new();
        loop {
            let b = client.get(&format!("/api/v1/events?after={cursor}"));
            let evs = b["events"].as_array().unwrap();
            if evs.is_empty() {
                break;
            }
            for e in evs {
                if e["kind"] == "message.created" {
                    bodies.push(e["data"]["message"]["body"].as_str().unwrap().to_string());
                }
            }
            cursor = b["cursor"].as_i64().unwrap();
            if bodies.len() == 30 {
                break;
            }
        }
        let want: Vec<String> = (0..30).map(|i| format!("n{i}")).collect();
        assert_eq!(bodies, want);
    }
}

#[test]
fn visitors_see_only_their_own_events_and_typing_is_live() {
    let s = Server::start_with(&[("FRONTPORCH_POLL_SECONDS", "20")]);
    let admin = s.client(&s.admin_token());
    let (a, _) = s.visitor("A");
    let (b, _) = s.visitor("B");
    let ca = a.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();
    let cb = b.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();
    admin.post(
        &format!("/api/v1/conversations/{ca}/messages"),
        json!({"body": "for A"}),
    );
    admin.post(
        &format!("/api/v1/conversations/{cb}/messages"),
        json!({"body": "for B"}),
    );
    admin.post(
        &format!("/api/v1/conversations/{ca}/messages"),
        json!({"body": "note about A", "private": true}),
    );
    let ea = a.get("/api/v1/events?after=0").to_string();
    assert!(
        ea.contains("for A") && !ea.contains("for B") && !ea.contains("note about A"),
        "{ea}"
    );
    // Admin-only events (tokens) are not shown to visitors either.
    assert!(!ea.contains("token.created"));

    // Typing: the agent, parked, hears the visitor typing; not stored.
    let cursor = admin.get("/api/v1/events?after=0")["cursor"]
        .as_i64()
        .unwrap();
    let waiter = admin.poll_events(cursor);
    std::thread::sleep(Duration::from_millis(300));
    let (st, _) = a.call(
        "POST",
        &format!("/api/v1/widget/conversations/{ca}/typing"),
        Some(json!({"typing": true})),
    );
    assert_eq!(st, 204);
    let got = waiter.join().unwrap();
    assert_eq!(kinds(&got), ["typing"]);
    assert_eq!(got["events"][0]["conversation_id"], ca);
    assert_eq!(got["events"][0]["data"]["typing"], true);
    assert_eq!(got["cursor"], cursor); // ephemeral: the cursor does not move
}

/// Opens an SSE stream and returns a reader positioned after the headers.
pub(crate) fn sse(s: &Server, token: &str, extra: &str) -> BufReader<TcpStream> {
    let addr = s.base.trim_start_matches("http://");
    let mut t = TcpStream::connect(addr).unwrap();
    write!(t, "GET /api/v1/events/stream{extra} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n").unwrap();
    let mut r = BufReader::new(t);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    loop {
        line.clear();
        r.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if line.to_ascii_lowercase().starts_with("content-type") {
            assert!(line.contains("text/event-stream"));
        }
    }
    r
}

/// Reads SSE frames until one carrying `needle`; returns (last id, data lines seen).
pub(crate) fn read_until(r: &mut BufReader<TcpStream>, needle: &str) -> (i64, Vec<String>) {
    r.get_ref()
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut id = 0;
    let mut seen = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        assert!(r.read_line(&mut line).unwrap() > 0, "stream closed");
        if let Some(v) = line.strip_prefix("id: ") {
            id = v.trim().parse().unwrap();
        }
        if let Some(d) = line.strip_prefix("data: ") {
            seen.push(d.trim().to_string());
            if d.contains(needle) {
                return (id, seen);
            }
        }
    }
}

#[test]
fn sse_streams_events_and_resumes_from_last_event_id() {
    let s = Server::start();
    let token = s.admin_token();
    let admin = s.client(&token);
    let (visitor, _) = s.visitor("S");
    let cid = visitor.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();
    let mut stream = sse(&s, &token, "");
    admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({"body": "sse one"}),
    );
    let (id, _) = read_until(&mut stream, "sse one");
    drop(stream);
    admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({"body": "sse two (while away)"}),
    );
    let mut again = {
        let addr = s.base.trim_start_matches("http://");
        let mut t = TcpStream::connect(addr).unwrap();
        write!(t, "GET /api/v1/events/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nLast-Event-ID: {id}\r\n\r\n").unwrap();
        BufReader::new(t)
    };
    let (_, seen) = read_until(&mut again, "sse two");
    assert!(
        !seen.iter().any(|d| d.contains("sse one")),
        "replayed an event before Last-Event-ID"
    );
}

#[test]
fn a_stalled_client_does_not_delay_the_others() {
    let s = Server::start_with(&[("FRONTPORCH_POLL_SECONDS", "20")]);
    let token = s.admin_token();
    let admin = s.client(&token);
    let (visitor, _) = s.visitor("Busy");
    let cid = visitor.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();
    // Stalled clients: SSE streams and a long-poll whose sockets are never read.
    let stalled: Vec<TcpStream> = (0..4)
        .map(|_| {
            let addr = s.base.trim_start_matches("http://");
            let mut t = TcpStream::connect(addr).unwrap();
            write!(t, "GET /api/v1/events/stream?after=0 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\r\n").unwrap();
            t
        })
        .collect();
    // Enough data to fill their socket buffers many times over.
    let big = "z".repeat(8000);
    let mut cursor = admin.get("/api/v1/events?after=0")["cursor"]
        .as_i64()
        .unwrap();
    let mut received = 0;
    let mut slowest = Duration::ZERO;
    for i in 0..120 {
        let waiter = admin.poll_events(cursor);
        std::thread::sleep(Duration::from_millis(5));
        let t0 = Instant::now();
        admin.post(
            &format!("/api/v1/conversations/{cid}/messages"),
            json!({"body": format!("{i} {big}")}),
        );
        let got = waiter.join().unwrap();
        slowest = slowest.max(t0.elapsed());
        cursor = got["cursor"].as_i64().unwrap();
        received += got["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "message.created")
            .count();
    }
    // Every poll was answered by an event, never by the 20 s timeout.
    assert_eq!(received, 120);
    assert!(
        slowest < Duration::from_secs(15),
        "slowest delivery {slowest:?}"
    );
    drop(stalled);
    assert_eq!(s.anon().get("/healthz")["status"], "ok");
}
