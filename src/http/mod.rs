//! The HTTP server around tiny_http 0.12 (vendored with a patch set,
//! `vendor/tiny_http/PATCHES.md`), and what contains its weaknesses:
//!
//! - The patched tiny_http bounds what a client can hold: head, body and
//!   write timeouts, a head size cap, a connection cap, a bounded drain of
//!   unread bodies. `limits` sets them from the configuration; `early_error`
//!   gives the errors tiny_http answers itself our JSON error shape.
//! - tiny_http's accept loop ends for good on its first accept error (EMFILE,
//!   ECONNABORTED...) and then only tells `recv()` once. Each tiny_http
//!   `Server` here gets a forwarder thread; when it reports an accept error,
//!   a new `Server` is built on a clone of the same listening socket. A
//!   watchdog also probes `/healthz` over loopback and does the same if
//!   accepting has silently stopped (a panic in the accept thread).
//! - It spawns a thread per connection (up to the connection cap): we raise
//!   the open-file limit and make those threads' stacks small (RUST_MIN_STACK,
//!   in main).
//! - Bodies up to FRONTPORCH_MAX_BODY arrive whole on tiny_http's connection
//!   thread before a worker sees the request; only larger (upload) bodies are
//!   read by a worker, a quarter of the workers at most (`Streaming`).
//! - Bodies are read under a size limit (413); long-poll requests are parked
//!   in the realtime hub, not on a worker thread; SSE gets its own small thread.

pub mod ratelimit;
pub mod request;
pub mod response;

use crate::api::{self, Reply};
use crate::app::App;
use crate::error::{self, Error};
use crate::metrics::METRICS;
use crate::realtime::{Batch, Credential, Poll, Viewer};
use request::Ctx;
use response::Resp;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Server {
    pub addr: SocketAddr,
    /// Requests being handled right now (not parked ones).
    in_flight: Arc<AtomicUsize>,
    stopping: Arc<AtomicBool>,
}

/// Starts serving `listener` with `workers` handler threads.
pub fn serve(app: Arc<App>, listener: TcpListener, workers: usize) -> std::io::Result<Server> {
    let addr = listener.local_addr()?;
    no_delay(&listener);
    let (tx, rx) = mpsc::channel::<tiny_http::Request>();
    let rx = Arc::new(Mutex::new(rx));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let stopping = Arc::new(AtomicBool::new(false));
    for i in 0..workers {
        let (app, rx, in_flight) = (app.clone(), rx.clone(), in_flight.clone());
        std::thread::Builder::new()
            .name(format!("http-{i}"))
            .stack_size(1 << 20)
            .spawn(move || worker(app, rx, in_flight))?;
    }
    let supervisor = Supervisor {
        listener,
        tx,
        restarts: Mutex::new(Vec::new()),
        limits: limits(&app.config),
    };
    let supervisor = Arc::new(supervisor);
    supervisor.start_server()?;
    {
        let s = supervisor.clone();
        let stopping = stopping.clone();
        std::thread::Builder::new()
            .name("accept-watchdog".into())
            .stack_size(256 * 1024)
            .spawn(move || s.watch(addr, stopping))?;
    }
    Ok(Server {
        addr,
        in_flight,
        stopping,
    })
}

impl Server {
    /// Waits (bounded) for requests being handled to finish.
    pub fn drain(&self, timeout: Duration) {
        self.stopping.store(true, Ordering::SeqCst);
        let deadline = std::time::Instant::now() + timeout;
        while self.in_flight.load(Ordering::SeqCst) > 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// tiny_http writes through a 1 KiB buffer, so any larger response goes out
/// in several writes; with Nagle's algorithm on, the rest waits for the
/// client's delayed ACK (40 ms). Linux copies TCP_NODELAY from the listening
/// socket to each accepted one, and tiny_http never touches it.
fn no_delay(listener: &TcpListener) {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: setsockopt on a valid socket with a pointer to a local int.
    let r = unsafe {
        libc::setsockopt(
            listener.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            &on as *const libc::c_int as *const libc::c_void,
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if r != 0 {
        log::warn!(
            "cannot set TCP_NODELAY: {}",
            std::io::Error::last_os_error()
        );
    }
}

struct Supervisor {
    listener: TcpListener,
    tx: Sender<tiny_http::Request>,
    /// Signals from forwarders whose accept loop died.
    restarts: Mutex<Vec<std::time::Instant>>,
    /// Shared by every tiny_http server built here, so that servers started
    /// after an accept error count the connections older ones still hold.
    limits: tiny_http::Limits,
}

/// tiny_http's (patched) limits from the configuration.
fn limits(c: &crate::config::Config) -> tiny_http::Limits {
    let secs = Duration::from_secs;
    tiny_http::Limits {
        max_connections: c.max_connections,
        header_timeout: secs(c.header_timeout),
        body_idle_timeout: secs(c.body_timeout),
        body_timeout: secs(c.body_timeout * 4),
        write_timeout: secs(c.write_timeout),
        max_head_bytes: c.max_header_bytes,
        // Bodies a handler accepts, but for uploads, arrive whole before a
        // handler thread sees the request: a slow client holds none.
        max_buffered_body: c.max_body,
        error_response: early_error,
        ..tiny_http::Limits::default()
    }
}

/// The JSON error body for what tiny_http answers by itself, before a
/// request reaches a handler.
fn early_error(status: tiny_http::StatusCode) -> tiny_http::Response<std::io::Cursor<Vec<u8>>> {
    let entry = match status.0 {
        408 => error::REQUEST_TIMEOUT,
        414 => error::URI_TOO_LONG,
        431 => error::HEADERS_TOO_LARGE,
        503 => error::TOO_MANY_CONNECTIONS,
        _ => error::MALFORMED_REQUEST,
    };
    Resp::json(status.0, &response::error_body(&entry.err())).into_tiny()
}

impl Supervisor {
    /// A new tiny_http server on a clone of the listening socket, with a
    /// forwarder feeding its requests to the workers.
    fn start_server(self: &Arc<Self>) -> std::io::Result<()> {
        let listener = self.listener.try_clone()?;
        let server =
            tiny_http::Server::from_listener_with_limits(listener, None, self.limits.clone())
                .map_err(|e| std::io::Error::other(e.to_string()))?;
        let (tx, me) = (self.tx.clone(), self.clone());
        std::thread::Builder::new()
            .name("http-forward".into())
            .stack_size(256 * 1024)
            .spawn(move || loop {
                match server.recv() {
                    Ok(rq) => {
                        if tx.send(rq).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.to_string() == "thread unblocked" => return,
                    Err(e) => {
                        // The accept loop is gone; connections it already took
                        // still deliver requests here, so keep forwarding.
                        log::error!("accept loop stopped ({e}); starting a new one");
                        let me = me.clone();
                        let _ = std::thread::Builder::new()
                            .stack_size(256 * 1024)
                            .spawn(move || me.restart());
                    }
                }
            })?;
        Ok(())
    }

    /// Starts a new accept loop, retrying until it can (EMFILE persists until
    /// file descriptors free up), backing off when restarts come fast.
    fn restart(self: &Arc<Self>) {
        loop {
            let pause = {
                let mut r = self.restarts.lock().unwrap();
                let now = std::time::Instant::now();
                r.retain(|t| now.duration_since(*t) < Duration::from_secs(10));
                r.push(now);
                Duration::from_millis((50u64 << r.len().min(6)).min(2000))
            };
            std::thread::sleep(pause);
            match self.start_server() {
                Ok(()) => {
                    METRICS.accept_restarts.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                Err(e) => log::error!("cannot restart the accept loop yet: {e}"),
            }
        }
    }

    /// Probes the server over loopback every two seconds, at once after any
    /// panic (unpatched tiny_http's accept thread panicked when it could not
    /// clone an accepted socket under EMFILE; kept for anything like it).
    /// Two failures in a row, or one right after a panic, while no connection
    /// was accepted during the probe, mean nobody is accepting: start a new
    /// accept loop. (A probe that was accepted but not answered means busy
    /// handlers; a new server each time would only pile up threads.)
    fn watch(self: Arc<Self>, addr: SocketAddr, stopping: Arc<AtomicBool>) {
        let mut target = addr;
        if target.ip().is_unspecified() {
            target.set_ip(if addr.is_ipv4() {
                [127, 0, 0, 1].into()
            } else {
                std::net::Ipv6Addr::LOCALHOST.into()
            });
        }
        let mut failures = 0;
        loop {
            for _ in 0..20 {
                if PANICKED.load(Ordering::Relaxed) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            if stopping.load(Ordering::Relaxed) {
                return;
            }
            let after_panic = PANICKED.swap(false, Ordering::Relaxed);
            let accepted = self.limits.accepted.load(Ordering::Relaxed);
            if probe(target) {
                failures = 0;
            } else if self.limits.accepted.load(Ordering::Relaxed) != accepted {
                // Connections (the probe's among them) are being accepted:
                // the handlers are busy, and another server would not help.
                log::warn!("the health probe was accepted but not answered in time: handlers busy");
                failures = 0;
            } else {
                failures += 1;
                if failures >= 2 || after_panic {
                    log::error!("nobody is accepting connections; starting a new accept loop");
                    failures = 0;
                    self.restart();
                }
            }
        }
    }
}

/// Set by the panic hook; the watchdog probes right away when it is.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// Keeps the default panic report and tells the watchdog.
pub fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICKED.store(true, Ordering::Relaxed);
        previous(info);
    }));
}

fn probe(addr: SocketAddr) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /healthz HTTP/1.0\r\nHost: watchdog\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 12];
    s.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.")
}

fn worker(
    app: Arc<App>,
    rx: Arc<Mutex<Receiver<tiny_http::Request>>>,
    in_flight: Arc<AtomicUsize>,
) {
    loop {
        let rq = match rx.lock().unwrap().recv() {
            Ok(rq) => rq,
            Err(_) => return,
        };
        in_flight.fetch_add(1, Ordering::SeqCst);
        handle(&app, rq);
        in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

pub fn respond(rq: tiny_http::Request, resp: Resp) {
    match resp.status {
        400..=499 => METRICS.responses_4xx.fetch_add(1, Ordering::Relaxed),
        500..=599 => METRICS.responses_5xx.fetch_add(1, Ordering::Relaxed),
        _ => 0,
    };
    let _ = rq.respond(resp.into_tiny());
}

fn handle(app: &Arc<App>, mut rq: tiny_http::Request) {
    METRICS.requests.fetch_add(1, Ordering::Relaxed);
    // Uploads may be larger than other bodies.
    let limit = if rq
        .url()
        .split('?')
        .next()
        .unwrap_or("")
        .ends_with("/uploads")
    {
        app.config.max_upload
    } else {
        app.config.max_body
    };
    // Only a body larger than FRONTPORCH_MAX_BODY (an upload) is still on
    // the wire here; a quarter of the handlers at most wait on one.
    let streaming = if rq.body_streamed() && rq.body_length().is_none_or(|n| n <= limit) {
        match Streaming::enter(app.config.http_workers) {
            Some(s) => Some(s),
            None => {
                let busy = Resp::error(&busy_uploads()).with_header("Connection", "close");
                return respond(rq, busy);
            }
        }
    } else {
        None
    };
    let ctx = match Ctx::read(&mut rq, limit, app.config.trust_proxy) {
        Ok(c) => c,
        Err(e) => return respond(rq, Resp::error(&e).with_header("Connection", "close")),
    };
    drop(streaming);
    if let Some(page) = api::pages::serve(app, &ctx) {
        return respond(rq, page);
    }
    let reply = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| api::dispatch(app, &ctx)))
        .unwrap_or_else(|_| Err(Error::internal("the request handler panicked")));
    log::debug!("{} {} from {}", ctx.method, ctx.path, ctx.ip);
    match reply {
        Ok(Reply::Resp(r)) => {
            if ctx.method == "POST" && ctx.path.ends_with("/messages") && r.status == 201 {
                METRICS.messages.fetch_add(1, Ordering::Relaxed);
            }
            respond(rq, r)
        }
        Ok(Reply::Poll {
            viewer,
            me,
            cred,
            after,
        }) => poll(app, rq, viewer, me, &cred, after),
        Ok(Reply::Stream {
            viewer,
            me,
            cred,
            after,
        }) => stream(app, rq, viewer, me, &cred, after),
        Err(e) => respond(rq, Resp::error(&e)),
    }
}

/// Handlers reading a request body from the client right now.
static STREAMING: AtomicUsize = AtomicUsize::new(0);

/// One handler's turn at reading a body from the client (`STREAMING`).
struct Streaming;

impl Streaming {
    /// A turn, unless a quarter of the `workers` hold one.
    fn enter(workers: usize) -> Option<Streaming> {
        let max = (workers / 4).max(1);
        STREAMING
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| Streaming)
    }
}

impl Drop for Streaming {
    fn drop(&mut self) {
        STREAMING.fetch_sub(1, Ordering::AcqRel);
    }
}

fn busy_uploads() -> Error {
    error::TOO_MANY_UPLOADS.err().retry_in(2)
}

fn busy() -> Error {
    error::TOO_MANY_WAITERS.err().retry_in(2)
}

/// Long-poll: answered now if events are there, else parked in the hub.
fn poll(
    app: &Arc<App>,
    rq: tiny_http::Request,
    viewer: Viewer,
    me: i64,
    cred: &Credential,
    after: i64,
) {
    let hub = &app.desk.hub;
    let (waiting, streams) = hub.waiting();
    if waiting + streams >= app.config.max_waiters {
        return respond(rq, Resp::error(&busy()));
    }
    let links = app.desk.links.clone();
    let mut reply: crate::realtime::Reply = Box::new(move |mut batch: Batch| {
        if batch.revoked {
            let e = error::REVOKED.err();
            return respond(rq, Resp::error(&e));
        }
        for e in &mut batch.events {
            if let Some(signed) = signed_event(&links, e) {
                *e = Arc::from(signed);
            }
        }
        respond(rq, Resp::raw_json(200, batch.to_json()))
    });
    let mut cursor = after;
    // A cursor older than the ring: read the database until it catches up.
    for _ in 0..4 {
        match hub.poll(viewer, me, cred, cursor, reply) {
            Poll::Answered | Poll::Parked => return,
            Poll::NeedsDb(r) => match app.desk.events_after(viewer, cursor) {
                Ok((events, next)) if !events.is_empty() => {
                    return r(Batch {
                        events: events.into_iter().map(|(_, j)| j).collect(),
                        cursor: next,
                        revoked: false,
                    })
                }
                Ok((_, next)) => {
                    cursor = next;
                    reply = r;
                }
                Err(e) => {
                    log::error!("events from the database: {e}");
                    return r(Batch {
                        events: vec![],
                        cursor,
                        revoked: false,
                    });
                }
            },
        }
    }
    reply(Batch {
        events: vec![],
        cursor,
        revoked: false,
    })
}

/// An SSE response body: whole frames, as HTTP/1.1 chunks when `chunked`.
struct SseBody {
    w: Box<dyn Write + Send>,
    chunked: bool,
}

impl SseBody {
    fn frame(&mut self, text: &str) -> std::io::Result<()> {
        if self.chunked {
            write!(self.w, "{:x}\r\n{text}\r\n", text.len())
        } else {
            self.w.write_all(text.as_bytes())
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }

    /// The last chunk: the client sees the response end (and, with
    /// `Connection: close`, closes the connection).
    fn end(mut self) {
        if self.chunked {
            let _ = self.w.write_all(b"0\r\n\r\n").and_then(|_| self.w.flush());
        }
    }
}

/// An event as it leaves for one client: the ring holds it with canonical
/// upload links, and each delivery signs them afresh (`links`), so a cached
/// event never hands out a stale link. None when it holds no upload link.
fn signed_event(links: &crate::links::Links, json: &str) -> Option<String> {
    links.sign_at(json, "/data/message", links.frame_exp())
}

/// Server-sent events: a small thread per stream writes events as the hub
/// hands them over, with a comment line every 15 s to keep proxies open.
/// A revoked credential drops the stream from the hub, which ends the thread.
fn stream(
    app: &Arc<App>,
    rq: tiny_http::Request,
    viewer: Viewer,
    me: i64,
    cred: &Credential,
    after: i64,
) {
    let Ok((backlog, last, rx)) = app.desk.hub.stream(viewer, me, cred, after) else {
        return respond(rq, Resp::error(&busy()));
    };
    let app = app.clone();
    // HTTP/1.1 streams are chunked so the server can end one (a revoked
    // credential, a stalled client) with the last chunk; 1.0 only closes.
    let chunked = *rq.http_version() >= tiny_http::HTTPVersion(1, 1);
    let spawned = std::thread::Builder::new().name("sse".into()).stack_size(128 * 1024).spawn(move || {
        let mut w = SseBody { w: rq.into_writer(), chunked };
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n\
             X-Accel-Buffering: no\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n{}\r\n",
            if chunked { "Transfer-Encoding: chunked\r\n" } else { "" }
        );
        if w.w.write_all(head.as_bytes()).and_then(|_| w.frame("retry: 2000\n\n")).and_then(|_| w.flush()).is_err() {
            return;
        }
        let links = app.desk.links.clone();
        let write = |w: &mut SseBody, id: Option<i64>, json: &str| -> std::io::Result<()> {
            let signed = signed_event(&links, json);
            let json = signed.as_deref().unwrap_or(json);
            match id {
                Some(id) => w.frame(&format!("id: {id}\ndata: {json}\n\n")),
                None => w.frame(&format!("data: {json}\n\n")),
            }
        };
        let mut sent = after;
        let backlog = match backlog {
            Some(b) => b,
            None => {
                // Older than the ring: replay from the database up to `last`.
                let mut out = Vec::new();
                while sent < last {
                    match app.desk.events_after(viewer, sent) {
                        Ok((evs, next)) => {
                            out.extend(evs.into_iter().map(|(id, j)| (Some(id), j)));
                            if next <= sent {
                                break;
                            }
                            sent = next;
                        }
                        Err(_) => return,
                    }
                }
                out
            }
        };
        for (id, json) in backlog {
            if write(&mut w, id, &json).is_err() {
                return;
            }
        }
        if sent > after && w.frame(&format!(": caught up to {sent}\n\n")).is_err() {
            return;
        }
        if w.flush().is_err() {
            return;
        }
        loop {
            match rx.recv_timeout(Duration::from_secs(15)) {
                Ok((_, json)) if json.is_empty() => continue,
                Ok((id, json)) => {
                    if id.is_some_and(|i| i <= sent) {
                        continue;
                    }
                    if write(&mut w, id, &json).and_then(|_| w.flush()).is_err() {
                        return;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if w.frame(": keepalive\n\n").and_then(|_| w.flush()).is_err() {
                        return;
                    }
                }
                // The hub dropped this stream: its credential was revoked or
                // it fell too far behind. End the response.
                Err(mpsc::RecvTimeoutError::Disconnected) => return w.end(),
            }
        }
    });
    if let Err(e) = spawned {
        log::error!("cannot start an SSE thread: {e}");
    }
}
