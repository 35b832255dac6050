//! Bounds on what one client can make the server hold (patch set, see
//! PATCHES.md): connections, time, and the size of a request head.

use std::io::Cursor;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::{Response, StatusCode};

/// The limits a `Server` applies to every connection.
#[derive(Clone)]
pub struct Limits {
    /// Connections open at once; past it a new one is answered 503 and closed.
    pub max_connections: usize,
    /// `Retry-After` seconds on that 503.
    pub retry_after: u32,
    /// A request head must arrive within this, counted from its first byte.
    /// It is also how long an idle keep-alive connection waits for the next
    /// request (not while an earlier response on it is still being produced,
    /// such as a parked long-poll or an event stream).
    pub header_timeout: Duration,
    /// Longest wait for the next bytes of a request body.
    pub body_idle_timeout: Duration,
    /// A request body must arrive within this, counted from the end of its head.
    pub body_timeout: Duration,
    /// Longest a write to the client may block.
    pub write_timeout: Duration,
    /// Request line plus header lines, in bytes (414 or 431 beyond).
    pub max_head_bytes: usize,
    /// Header fields (431 beyond).
    pub max_headers: usize,
    /// Bodies up to this size (with a `Content-Length`, or chunked) are read
    /// whole on the connection's own thread, under the body timeouts, before
    /// the request is handed over: a slow client then holds no handler.
    /// Larger bodies are read by the handler (`Request::body_streamed`).
    pub max_buffered_body: usize,
    /// The response for errors the server answers itself (400, 408, 414,
    /// 431, 503); the default has an empty body.
    pub error_response: fn(StatusCode) -> Response<Cursor<Vec<u8>>>,
    /// Open connections; shared by every `Server` built with clones of these
    /// limits, so servers restarted on the same listener share the cap.
    pub open_connections: Arc<AtomicUsize>,
    /// Connections accepted so far, shared like `open_connections`: when it
    /// moves, an accept loop is alive (even if no handler is free to answer).
    pub accepted: Arc<AtomicUsize>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 10_000,
            retry_after: 2,
            header_timeout: Duration::from_secs(10),
            body_idle_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(120),
            write_timeout: Duration::from_secs(30),
            max_head_bytes: 32 * 1024,
            max_headers: 100,
            max_buffered_body: 1024,
            error_response: |status| Response::from_data(Vec::new()).with_status_code(status),
            open_connections: Arc::new(AtomicUsize::new(0)),
            accepted: Arc::new(AtomicUsize::new(0)),
        }
    }
}

/// One open connection, counted in `Limits::open_connections` until both
/// halves of its socket are dropped.
pub(crate) struct Slot(Arc<AtomicUsize>);

impl Slot {
    /// A slot, unless `max` are taken.
    pub(crate) fn take(open: &Arc<AtomicUsize>, max: usize) -> Option<Arc<Slot>> {
        open.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < max).then_some(n + 1)
        })
        .ok()
        .map(|_| Arc::new(Slot(open.clone())))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}
