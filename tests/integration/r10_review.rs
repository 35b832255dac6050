//! Review of issue 10's last round: acknowledgements that change nothing
//! cost no write (every open inbox acknowledges every contact message).

use crate::harness::*;
use serde_json::json;

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

#[test]
fn repeated_delivered_acknowledgements_are_not_writes() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (visitor, _) = s.visitor("Ada");
    let r = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hello"}}),
    );
    let cid = r["conversation"]["id"].as_i64().unwrap();
    let mid = r["message"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/conversations/{cid}/delivered");
    let first = admin.post(&path, json!({"message_id": mid}));
    assert_eq!(first["marked"], json!([mid]));

    // The same acknowledgement from 30 more inboxes: nothing new to mark.
    let before = metric(&s, "frontporch_write_jobs_total");
    for _ in 0..30 {
        let r = admin.post(&path, json!({"message_id": mid}));
        assert_eq!(r["marked"], json!([]));
    }
    let jobs = metric(&s, "frontporch_write_jobs_total") - before;
    // Other writes (presence, housekeeping) may run meanwhile: a few, not 30.
    assert!(
        jobs < 10,
        "{jobs} write jobs for 30 acknowledgements that changed nothing"
    );

    // Still in scope: a visitor cannot acknowledge someone else's thread.
    let (other, _) = s.visitor("Eve");
    let (st, body) = other.call(
        "POST",
        &format!("/api/v1/widget/conversations/{cid}/delivered"),
        Some(json!({"message_id": mid})),
    );
    assert_eq!(st, 404, "{body}");
}
