//! Staff presence reaches every open widget: the `presence` event is public
//! (every visitor's stream, whatever their conversations), live and from the
//! database for an old cursor.

use crate::harness::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

fn presence_events(batch: &Value) -> Vec<Value> {
    batch["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "presence")
        .cloned()
        .collect()
}

#[test]
fn presence_changes_wake_every_visitor_and_reach_staff() {
    let s = Server::start_with(&[("FRONTPORCH_POLL_SECONDS", "30")]);
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    // One visitor with a conversation, one without any.
    let (talking, _) = s.visitor("Tala");
    talking.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hello"}}),
    );
    let (browsing, _) = s.visitor("Bruno");
    let cursor = |c: &Client| {
        c.get("/api/v1/events?after=9007199254740991")["cursor"]
            .as_i64()
            .unwrap()
    };
    let (ct, cb, ca) = (cursor(&talking), cursor(&browsing), cursor(&admin));
    let (wt, wb) = (talking.poll_events(ct), browsing.poll_events(cb));
    std::thread::sleep(Duration::from_millis(300)); // both parked
    let started = Instant::now();
    let (st, _) = admin.call("PUT", "/api/v1/me/presence", Some(json!({"online": true})));
    assert_eq!(st, 200);
    for got in [wt.join().unwrap(), wb.join().unwrap()] {
        // Woken, not timed out.
        assert!(started.elapsed() < Duration::from_secs(20));
        let p = presence_events(&got);
        assert_eq!(p.len(), 1, "{got}");
        assert_eq!(p[0]["data"]["online"], true);
        assert_eq!(p[0]["data"]["available"], true);
    }
    // Staff see it too.
    let staff = admin.get(&format!("/api/v1/events?after={ca}"));
    assert_eq!(presence_events(&staff)[0]["data"]["available"], true);

    // Going away: nobody left to answer.
    let cb = cursor(&browsing);
    admin.call("PUT", "/api/v1/me/presence", Some(json!({"online": false})));
    let got = browsing.get(&format!("/api/v1/events?after={cb}"));
    assert_eq!(presence_events(&got)[0]["data"]["available"], false);
    // A repeated toggle to the same state is no event.
    let cb = cursor(&browsing);
    admin.call("PUT", "/api/v1/me/presence", Some(json!({"online": false})));
    let (st, _) = admin.call("PUT", "/api/v1/me/presence", Some(json!({"online": true})));
    assert_eq!(st, 200);
    let got = browsing.get(&format!("/api/v1/events?after={cb}"));
    assert_eq!(presence_events(&got).len(), 1, "{got}");
}

#[test]
fn an_old_visitor_cursor_gets_public_events_from_the_database() {
    let mut s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (visitor, _) = s.visitor("Vera");
    let (other, _) = s.visitor("Otto");
    other.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "not for Vera"}}),
    );
    admin.call("PUT", "/api/v1/me/presence", Some(json!({"online": true})));
    // After a restart the ring is empty: `after=0` is read from the database.
    s.kill_and_restart();
    let got = visitor.get("/api/v1/events?after=0");
    let p = presence_events(&got);
    assert_eq!(p.len(), 1, "{got}");
    assert_eq!(p[0]["data"]["available"], true);
    // Still only the public events and the visitor's own.
    assert!(!got.to_string().contains("not for Vera"), "{got}");
}
