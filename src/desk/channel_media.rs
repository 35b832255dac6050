//! Media files of platform messages, fetched after the message's commit.
//! The import job writes one outbox row per file (channel `media`, no
//! endpoint), so a fetch pending at a crash is done after the restart.

use std::sync::{Condvar, Mutex};

/// The outbox channel of media fetches.
pub const CHANNEL: &str = "media";

static WAKE: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());

/// Tells the fetcher that rows are waiting.
pub fn wake() {
    *WAKE.0.lock().unwrap() = true;
    WAKE.1.notify_all();
}
