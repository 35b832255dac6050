//! Durability: kill -9 while clients post; every acknowledged message is
//! there after restart and the database passes integrity_check.

use crate::harness::*;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[test]
fn kill_9_loses_no_acknowledged_message() {
    let mut s = Server::start();
    let token = s.admin_token();
    let admin = s.client(&token);
    let (visitor, _) = s.visitor("Crash");
    let cid = visitor.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for t in 0..8 {
        let (admin, acked, stop) = (admin.clone(), acked.clone(), stop.clone());
        threads.push(std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let body = format!("t{t}-{i}");
                let (st, _, _) = admin.raw(
                    "POST",
                    &format!("/api/v1/conversations/{cid}/messages"),
                    Some(json!({"body": body}).to_string()),
                    &[],
                );
                if st == 201 {
                    acked.lock().unwrap().push(body);
                }
                i += 1;
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(1500));
    // SIGKILL mid-load (the clients keep posting into the dead port).
    unsafe { libc::kill(s.pid(), libc::SIGKILL) };
    std::thread::sleep(Duration::from_millis(200));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 20,
        "too few messages were acknowledged: {}",
        acked.len()
    );
    s.kill_and_restart();
    let admin = s.client(&token);
    let stored = message_bodies(&admin, cid);
    let lost: Vec<&String> = acked.iter().filter(|b| !stored.contains(*b)).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged messages lost, e.g. {:?}",
        lost.len(),
        &lost[..lost.len().min(5)]
    );
    // The file itself is sound.
    let conn = rusqlite::Connection::open(s.data.join("frontporch.db")).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    // Every message has its event.
    let (msgs, evs): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT count(*) FROM messages WHERE conversation_id = ?1),
                    (SELECT count(*) FROM events WHERE kind = 'message.created' AND conversation_id = ?1)",
            [cid],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(msgs, evs);
}
