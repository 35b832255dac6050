//! Issue 8, items 1–3: no request can stop the server or hold it forever.
//! Raw TcpStreams against the real binary; every wait is bounded.

use crate::harness::{ends_while, Server};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn connect(s: &Server) -> TcpStream {
    let t = TcpStream::connect(s.base.trim_start_matches("http://")).unwrap();
    t.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    t
}

/// Reads one response head and its Content-Length body (bounded by the
/// socket's read timeout). Empty when the server closed without answering.
fn read_response(t: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        match t.read(&mut byte) {
            Ok(1) => got.push(byte[0]),
            _ => return String::from_utf8_lossy(&got).into_owned(),
        }
    }
    let head = String::from_utf8_lossy(&got).into_owned();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    let _ = t.read_exact(&mut body);
    head + &String::from_utf8_lossy(&body)
}

/// Sends a whole request on a new connection and returns the answer.
fn exchange(s: &Server, request: &[u8]) -> String {
    let mut t = connect(s);
    // The server may answer and close before reading all of an oversized request.
    let _ = t.write_all(request);
    read_response(&mut t)
}

fn healthz_ok(s: &Server) -> bool {
    exchange(
        s,
        b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .starts_with("HTTP/1.1 200")
}

/// True once the server has closed `t` (EOF or reset), waiting at most `bound`.
/// Anything the server sends first (a 408, say) is read and ignored.
fn closed_within(t: &mut TcpStream, bound: Duration) -> bool {
    let deadline = Instant::now() + bound;
    t.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut buf = [0u8; 4096];
    ends_while(
        || Instant::now() < deadline,
        || t.read(&mut buf).map(|n| n == 0),
    )
}

fn status_line(resp: &str) -> &str {
    resp.lines().next().unwrap_or("")
}

/// Item 1: a request declaring a huge body it never sends must not abort the
/// process (tiny_http drained it into `vec![0; Content-Length]`), and an
/// unread remainder too large to drain closes the connection instead.
#[test]
fn huge_content_length_neither_kills_nor_holds_the_server() {
    let mut s = Server::start();
    let resp = exchange(
        &s,
        b"POST /api/v1/widget/session HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
          Content-Length: 999999999999\r\n\r\n{\"first_name\"",
    );
    assert!(status_line(&resp).starts_with("HTTP/1.1 413"), "{resp}");
    // The process used to abort right after answering.
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        assert!(s.child.try_wait().unwrap().is_none(), "the server died");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(healthz_ok(&s), "no answer after the huge Content-Length");
    assert!(s.child.try_wait().unwrap().is_none(), "the server died");

    // A smaller lie (200 MB) on a keep-alive connection: answered, then the
    // connection is closed rather than drained for as long as the client likes.
    let mut t = connect(&s);
    t.write_all(
        b"POST /api/v1/widget/session HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
          Content-Length: 200000000\r\n\r\n{\"first_name\"",
    )
    .unwrap();
    let resp = read_response(&mut t);
    assert!(status_line(&resp).starts_with("HTTP/1.1 413"), "{resp}");
    assert!(
        closed_within(&mut t, Duration::from_secs(20)),
        "the connection stayed open to drain 200 MB"
    );
    assert!(healthz_ok(&s));
}

/// Item 2: headers trickled slowly, an idle keep-alive connection and a body
/// that stops coming are all closed after their timeouts (set to 1 s here),
/// while a parked long-poll and an SSE stream outlive those timeouts.
#[test]
fn slow_heads_bodies_and_idle_connections_time_out_but_waiters_do_not() {
    let s = Server::start_with(&[
        ("FRONTPORCH_HEADER_TIMEOUT", "1"),
        ("FRONTPORCH_BODY_TIMEOUT", "1"),
        ("FRONTPORCH_POLL_SECONDS", "3"),
    ]);
    let (visitor, _) = s.visitor("Waits");
    let token = match &visitor.auth {
        crate::harness::Auth::Bearer(t) => t.clone(),
        _ => unreachable!(),
    };

    // Slowloris: one more header line every 300 ms, never the blank line.
    let mut t = connect(&s);
    t.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut closed = false;
    t.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    while Instant::now() < deadline && !closed {
        if t.write_all(b"X-Slow: 1\r\n").is_err() {
            closed = true;
            break;
        }
        let mut buf = [0u8; 256];
        closed = match t.read(&mut buf) {
            Ok(_) => true, // EOF, or the 408 before closing
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        };
    }
    assert!(closed, "a trickled request head was never cut off");

    // An idle connection, before any request and after one.
    let mut idle = connect(&s);
    assert!(
        closed_within(&mut idle, Duration::from_secs(20)),
        "idle connection kept"
    );
    let mut kept = connect(&s);
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    assert!(status_line(&read_response(&mut kept)).starts_with("HTTP/1.1 200"));
    assert!(
        closed_within(&mut kept, Duration::from_secs(20)),
        "idle keep-alive kept"
    );

    // A body that stops halfway.
    let mut slow = connect(&s);
    slow.write_all(
        b"POST /api/v1/widget/session HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"first_na",
    )
    .unwrap();
    assert!(
        closed_within(&mut slow, Duration::from_secs(20)),
        "stalled body kept"
    );

    // A long-poll parked for 3 s (past both timeouts) is still answered.
    let mut poll = connect(&s);
    let get = |path: &str| {
        format!("GET {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n\r\n")
    };
    poll.write_all(get("/api/v1/events?after=0").as_bytes())
        .unwrap();
    let first = read_response(&mut poll);
    assert!(status_line(&first).starts_with("HTTP/1.1 200"), "{first}");
    let body = &first[first.find("\r\n\r\n").unwrap() + 4..];
    let cursor = serde_json::from_str::<serde_json::Value>(body).unwrap()["cursor"]
        .as_i64()
        .unwrap();
    let started = Instant::now();
    poll.write_all(get(&format!("/api/v1/events?after={cursor}")).as_bytes())
        .unwrap();
    let parked = read_response(&mut poll);
    assert!(
        status_line(&parked).starts_with("HTTP/1.1 200"),
        "{parked:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the poll was not parked"
    );

    // An SSE stream open past both timeouts still delivers events.
    let mut sse = connect(&s);
    sse.write_all(get("/api/v1/events/stream").as_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let conv = visitor.post(
        "/api/v1/widget/conversations",
        serde_json::json!({"message": {"body": "still there?"}}),
    );
    assert!(conv["conversation"]["id"].is_i64(), "{conv}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    sse.set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    while Instant::now() < deadline && !String::from_utf8_lossy(&seen).contains("still there?") {
        match sse.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
    }
    let seen = String::from_utf8_lossy(&seen);
    assert!(seen.contains("still there?"), "the stream was cut: {seen}");
}

/// Item 2: a header line or a head larger than the cap, or too many header
/// fields, get 431, and a request line larger than it 414 (tiny_http
/// buffered any size).
#[test]
fn oversized_request_heads_get_431() {
    let s = Server::start();
    let big = format!(
        "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
        "a".repeat(100_000)
    );
    let resp = exchange(&s, big.as_bytes());
    assert!(
        status_line(&resp).starts_with("HTTP/1.1 431"),
        "{:.200}",
        resp
    );
    assert!(resp.contains("\"error\""), "{resp}");

    let mut many = String::from("GET /healthz HTTP/1.1\r\nHost: t\r\n");
    for i in 0..200 {
        many.push_str(&format!("X-H{i}: v\r\n"));
    }
    many.push_str("\r\n");
    let resp = exchange(&s, many.as_bytes());
    assert!(status_line(&resp).starts_with("HTTP/1.1 431"), "{resp}");

    let long_path = format!(
        "GET /healthz?{} HTTP/1.1\r\nHost: t\r\n\r\n",
        "q".repeat(100_000)
    );
    let resp = exchange(&s, long_path.as_bytes());
    assert!(
        status_line(&resp).starts_with("HTTP/1.1 414"),
        "{:.200}",
        resp
    );
    assert!(healthz_ok(&s));
}

/// Item 2: beyond FRONTPORCH_MAX_CONNECTIONS, a new connection gets 503 with
/// Retry-After instead of another thread; a freed slot serves again.
#[test]
fn connections_beyond_the_cap_get_503() {
    let s = Server::start_with(&[("FRONTPORCH_MAX_CONNECTIONS", "5")]);
    let held: Vec<TcpStream> = (0..5).map(|_| connect(&s)).collect();
    std::thread::sleep(Duration::from_millis(500));
    let resp = exchange(&s, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
    assert!(status_line(&resp).starts_with("HTTP/1.1 503"), "{resp}");
    assert!(resp.to_ascii_lowercase().contains("retry-after:"), "{resp}");
    assert!(resp.contains("too_many_connections"), "{resp}");
    drop(held);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !healthz_ok(&s) {
        assert!(Instant::now() < deadline, "slots were not freed");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Item 3: bytes that are not ASCII in the request line or a header get a
/// 400 answer, not a dropped connection.
#[test]
fn invalid_utf8_in_path_or_header_gets_400() {
    let s = Server::start();
    let resp = exchange(&s, b"GET /healthz\xff\xfe HTTP/1.1\r\nHost: t\r\n\r\n");
    assert!(status_line(&resp).starts_with("HTTP/1.1 400"), "{resp:?}");
    assert!(resp.contains("\"error\""), "{resp}");
    let resp = exchange(
        &s,
        b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Name: \xc3\x28\r\n\r\n",
    );
    assert!(status_line(&resp).starts_with("HTTP/1.1 400"), "{resp:?}");
    assert!(resp.contains("\"error\""), "{resp}");
    assert!(healthz_ok(&s));
}

/// Sends `request` on a new connection and reads the answer, waiting at most
/// `bound` for it (empty when none came).
fn exchange_within(s: &Server, request: &[u8], bound: Duration) -> String {
    let mut t = connect(s);
    t.set_read_timeout(Some(bound)).unwrap();
    let _ = t.write_all(request);
    read_response(&mut t)
}

fn metric(s: &Server, name: &str) -> f64 {
    let resp = exchange(
        s,
        b"GET /metrics HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    );
    resp.lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {resp}"))
}

/// Connections that each sent a request head and then trickle their body, a
/// byte at a time every 500 ms, until the server answers or `stop` is set.
/// The join handle gives back what each one was answered.
fn trickle(
    conns: Vec<TcpStream>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<Vec<String>> {
    std::thread::spawn(move || {
        let mut answers = vec![Vec::new(); conns.len()];
        let mut done = vec![false; conns.len()];
        for c in &conns {
            c.set_nonblocking(true).unwrap();
        }
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            for (i, mut c) in conns.iter().enumerate() {
                if done[i] {
                    continue;
                }
                let mut buf = [0u8; 4096];
                match c.read(&mut buf) {
                    Ok(0) => done[i] = true,
                    Ok(n) => {
                        answers[i].extend_from_slice(&buf[..n]);
                        done[i] = true;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        done[i] = c.write(b" ").is_err();
                    }
                    Err(e) => {
                        answers[i].extend_from_slice(format!("error: {e}").as_bytes());
                        done[i] = true;
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        answers
            .into_iter()
            .map(|a| String::from_utf8_lossy(&a).into_owned())
            .collect()
    })
}

/// H1: 70 request bodies trickled a byte at a time (more than the 64 handler
/// threads) and 20 trickled uploads must not stop the server: bodies up to
/// FRONTPORCH_MAX_BODY are read before a handler is involved, and only a
/// quarter of the handlers may wait on an upload's body (503 beyond). The
/// watchdog must not take busy clients for a dead accept loop either.
#[test]
fn slow_bodies_and_uploads_do_not_take_the_handlers() {
    let s = Server::start();
    let open = |path: &str, len: usize| {
        let mut t = connect(&s);
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
             Content-Length: {len}\r\n\r\n{{"
        );
        t.write_all(head.as_bytes()).unwrap();
        t
    };
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let bodies: Vec<TcpStream> = (0..70)
        .map(|_| open("/api/v1/widget/session", 5000))
        .collect();
    let uploads: Vec<TcpStream> = (0..20)
        .map(|_| open("/api/v1/widget/uploads", 2 << 20))
        .collect();
    let bodies = trickle(bodies, stop.clone());
    let uploads = trickle(uploads, stop.clone());
    std::thread::sleep(Duration::from_secs(1));

    let bound = Duration::from_secs(5);
    let health = exchange_within(
        &s,
        b"GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        bound,
    );
    assert!(
        status_line(&health).starts_with("HTTP/1.1 200"),
        "/healthz: {health:?}"
    );
    let session = exchange_within(
        &s,
        b"POST /api/v1/widget/session HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
          Content-Length: 22\r\nConnection: close\r\n\r\n{\"first_name\":\"Quick\"}",
        bound,
    );
    assert!(
        status_line(&session).starts_with("HTTP/1.1 201"),
        "session: {session:?}"
    );

    // Long enough for the watchdog to probe a few times.
    std::thread::sleep(Duration::from_secs(7));
    assert_eq!(metric(&s, "frontporch_accept_restarts_total"), 0.0);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let bodies = bodies.join().unwrap();
    let uploads = uploads.join().unwrap();
    assert!(
        bodies.iter().all(String::is_empty),
        "a trickled body was answered: {bodies:?}"
    );
    // 64 handlers: 16 may wait on upload bodies, the other 4 get 503.
    let refused: Vec<&String> = uploads
        .iter()
        .filter(|a| status_line(a).starts_with("HTTP/1.1 503"))
        .collect();
    assert_eq!(refused.len(), 4, "{uploads:?}");
    for a in refused {
        assert!(a.to_ascii_lowercase().contains("retry-after:"), "{a}");
        assert!(a.contains("\"error\""), "{a}");
    }
    assert!(healthz_ok(&s));
}

/// H1: when every handler is busy (here: two handlers, each hashing a
/// password slowly), the watchdog's probe goes unanswered, but the accept
/// loop is alive: it must not start another tiny_http server each time.
#[test]
fn busy_handlers_are_not_a_dead_accept_loop() {
    let s = Server::start_with(&[
        ("FRONTPORCH_HTTP_WORKERS", "2"),
        ("FRONTPORCH_BCRYPT_COST", "13"),
        ("FRONTPORCH_RATE_LIMITS", "off"),
    ]);
    let body = r#"{"email":"nobody@example.com","password":"xyz"}"#;
    let login = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let started = Instant::now();
    let logins: Vec<_> = (0..40)
        .map(|_| {
            let mut t = connect(&s);
            t.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
            t.write_all(login.as_bytes()).unwrap();
            std::thread::spawn(move || read_response(&mut t))
        })
        .collect();
    for l in logins {
        let resp = l.join().unwrap();
        assert!(status_line(&resp).starts_with("HTTP/1.1 401"), "{resp:?}");
    }
    // The handlers were busy long enough for two probes in a row to fail.
    assert!(
        started.elapsed() > Duration::from_secs(6),
        "the hashes were too fast to keep the handlers busy"
    );
    assert_eq!(metric(&s, "frontporch_accept_restarts_total"), 0.0);
}

/// Lingering close: a client that writes its whole (oversized) request before
/// reading must get the 413 or 431, not a reset connection.
#[test]
fn refused_requests_are_read_by_clients_that_write_everything_first() {
    let s = Server::start();
    let body = vec![b'y'; 8 << 20];
    let mut t = connect(&s);
    let head = format!(
        "POST /api/v1/widget/session HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    );
    t.write_all(head.as_bytes()).unwrap();
    t.write_all(&body).expect("the server reset the connection");
    let resp = read_response(&mut t);
    assert!(status_line(&resp).starts_with("HTTP/1.1 413"), "{resp:?}");
    assert!(resp.contains("body_too_large"), "{resp}");

    let mut t = connect(&s);
    let head = format!(
        "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
        "a".repeat(4 << 20)
    );
    t.write_all(head.as_bytes())
        .expect("the server reset the connection");
    let resp = read_response(&mut t);
    assert!(status_line(&resp).starts_with("HTTP/1.1 431"), "{resp:?}");
    assert!(healthz_ok(&s));
}

/// H1: a body read before the handler may come after `100 Continue` or in
/// chunks; both still reach the handler whole.
#[test]
fn continue_and_chunked_bodies_are_read_before_the_handler() {
    let s = Server::start();
    let body = format!(r#"{{"first_name":"{}"}}"#, "C".repeat(40));
    let mut t = connect(&s);
    let head = format!(
        "POST /api/v1/widget/session HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    t.write_all(head.as_bytes()).unwrap();
    let cont = read_response(&mut t);
    assert!(status_line(&cont).starts_with("HTTP/1.1 100"), "{cont:?}");
    t.write_all(body.as_bytes()).unwrap();
    let resp = read_response(&mut t);
    assert!(status_line(&resp).starts_with("HTTP/1.1 201"), "{resp}");

    let (a, b) = body.split_at(10);
    let chunked = format!(
        "POST /api/v1/widget/session HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
        a.len(),
        b.len()
    );
    let resp = exchange(&s, chunked.as_bytes());
    assert!(status_line(&resp).starts_with("HTTP/1.1 201"), "{resp}");
    assert!(resp.contains(&"C".repeat(40)), "{resp}");

    let broken = "POST /api/v1/widget/session HTTP/1.1\r\nHost: t\r\n\
                  Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n";
    let resp = exchange(&s, broken.as_bytes());
    assert!(status_line(&resp).starts_with("HTTP/1.1 400"), "{resp}");
}
