//! The IMAP poller: one thread, started by `serve`. Each round it re-reads
//! `email.imap`; when set, it polls the mailbox, then waits `poll_seconds`
//! (a round that left messages waiting goes again at once). A server that
//! is down is logged and tried again next round.

use crate::desk::Desk;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How often an unconfigured mailbox is looked for again.
const IDLE: Duration = Duration::from_secs(5);

pub fn start(desk: Arc<Desk>, max_upload: usize, stop: &'static AtomicBool) {
    let spawned = std::thread::Builder::new()
        .name("imap-poller".into())
        .stack_size(1 << 20)
        .spawn(move || run(&desk, max_upload, stop));
    if let Err(e) = spawned {
        log::error!("cannot start the IMAP poller: {e}");
    }
}

fn run(desk: &Desk, max_upload: usize, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        let wait = match desk.imap_setting() {
            Ok(Some(s)) => {
                let every = Duration::from_secs(s.poll_seconds());
                match desk.poll_mailbox(max_upload) {
                    Ok(r) => {
                        if r.imported + r.ignored + r.failed > 0 {
                            log::info!(
                                "mailbox: {} imported, {} ignored, {} failed",
                                r.imported,
                                r.ignored,
                                r.failed
                            );
                        }
                        if r.more {
                            Duration::ZERO
                        } else {
                            every
                        }
                    }
                    Err(e) => {
                        log::warn!("mailbox: {e}");
                        every
                    }
                }
            }
            Ok(None) => IDLE,
            Err(e) => {
                log::warn!("mailbox settings: {e}");
                IDLE
            }
        };
        sleep(wait, stop);
    }
}

/// Sleeps `d` in short steps, so a stop is noticed soon.
fn sleep(d: Duration, stop: &AtomicBool) {
    let step = Duration::from_millis(200);
    let mut left = d;
    while !left.is_zero() && !stop.load(Ordering::SeqCst) {
        let s = left.min(step);
        std::thread::sleep(s);
        left -= s;
    }
}
