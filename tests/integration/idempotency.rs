//! A client-chosen `client_id` on a message makes its POST idempotent: a
//! repeat from the same sender answers the first message (200), never a
//! second one; other senders and other conversations are not affected.

use crate::harness::*;
use serde_json::json;

#[test]
fn a_repeated_client_id_answers_the_first_message() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (visitor, _) = s.visitor("V");

    // Opening a conversation with a first message, twice: one conversation.
    let first = json!({"message": {"body": "hello", "client_id": "c-1"}});
    let (st, a) = visitor.call("POST", "/api/v1/widget/conversations", Some(first.clone()));
    assert_eq!(st, 201, "{a}");
    let (st, b) = visitor.call("POST", "/api/v1/widget/conversations", Some(first));
    assert_eq!(st, 200, "{b}");
    assert_eq!(a["conversation"]["id"], b["conversation"]["id"]);
    assert_eq!(a["message"]["id"], b["message"]["id"]);
    assert_eq!(a["message"]["client_id"], "c-1");
    let cid = a["conversation"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/widget/conversations/{cid}/messages");

    // A visitor's message, sent three times.
    let body = json!({"body": "second", "client_id": "c-2"});
    let (st, m1) = visitor.call("POST", &path, Some(body.clone()));
    assert_eq!(st, 201, "{m1}");
    for _ in 0..2 {
        let (st, again) = visitor.call("POST", &path, Some(body.clone()));
        assert_eq!(st, 200, "{again}");
        assert_eq!(again["message"]["id"], m1["message"]["id"]);
        assert_eq!(again["message"]["body"], "second");
    }
    // Without a client id, two posts are two messages.
    visitor.post(&path, json!({"body": "third"}));
    visitor.post(&path, json!({"body": "third"}));

    // Staff: the key is per sender, so the visitor's "c-2" is free for the admin.
    let staff_path = format!("/api/v1/conversations/{cid}/messages");
    let reply = json!({"body": "an answer", "client_id": "c-2"});
    let (st, r1) = admin.call("POST", &staff_path, Some(reply.clone()));
    assert_eq!(st, 201, "{r1}");
    let (st, r2) = admin.call("POST", &staff_path, Some(reply));
    assert_eq!(st, 200, "{r2}");
    assert_eq!(r1["message"]["id"], r2["message"]["id"]);
    assert_ne!(r1["message"]["id"], m1["message"]["id"]);

    let all = admin.get(&format!("/api/v1/conversations/{cid}/messages?limit=50"));
    let bodies: Vec<&str> = all["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["hello", "second", "third", "third", "an answer"]);

    // One message.created event per message, none for the repeats.
    let events = admin.get("/api/v1/events?after=0");
    let created = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "message.created")
        .count();
    assert_eq!(created, 5, "{events}");

    // The same key in another conversation of the visitor is a new message.
    let (st, other) = visitor.call(
        "POST",
        "/api/v1/widget/conversations",
        Some(json!({"message": {"body": "elsewhere"}})),
    );
    assert_eq!(st, 201, "{other}");
    let oid = other["conversation"]["id"].as_i64().unwrap();
    let (st, o) = visitor.call(
        "POST",
        &format!("/api/v1/widget/conversations/{oid}/messages"),
        Some(json!({"body": "again", "client_id": "c-2"})),
    );
    assert_eq!(st, 201, "{o}");
    assert_ne!(o["message"]["id"], m1["message"]["id"]);

    // Another visitor cannot reach the first visitor's message by its key.
    let (intruder, _) = s.visitor("I");
    let (st, v) = intruder.call(
        "POST",
        &path,
        Some(json!({"body": "x", "client_id": "c-2"})),
    );
    assert_eq!(st, 404, "{v}");
}

#[test]
fn staff_opening_a_conversation_twice_with_one_client_id_opens_one() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (_, uid) = s.visitor("V");
    let body =
        json!({"user_id": uid, "message": {"body": "we wrote first", "client_id": "open-1"}});
    let (st, a) = admin.call("POST", "/api/v1/conversations", Some(body.clone()));
    assert_eq!(st, 201, "{a}");
    let (st, b) = admin.call("POST", "/api/v1/conversations", Some(body));
    assert_eq!(st, 200, "{b}");
    assert_eq!(a["conversation"]["id"], b["conversation"]["id"]);
    assert_eq!(a["message"]["id"], b["message"]["id"]);
    let list = admin.get(&format!("/api/v1/conversations?status=all&user_id={uid}"));
    assert_eq!(list["conversations"].as_array().unwrap().len(), 1, "{list}");
}

#[test]
fn a_bad_client_id_is_refused() {
    let s = Server::start();
    let (visitor, _) = s.visitor("V");
    for bad in [
        json!(""),
        json!("has space"),
        json!("x".repeat(65)),
        json!("é"),
        json!(7),
    ] {
        let (st, v) = visitor.call(
            "POST",
            "/api/v1/widget/conversations",
            Some(json!({"message": {"body": "hi", "client_id": bad}})),
        );
        assert_eq!(st, 400, "{bad}: {v}");
        assert!(
            v["error"]["code"] == "invalid_id" || v["error"]["code"] == "invalid_field",
            "{v}"
        );
    }
    let list = visitor.get("/api/v1/widget/conversations");
    assert_eq!(list["conversations"].as_array().unwrap().len(), 0, "{list}");
}
