//! The inbox list's per-agent fields: `my_unread` counts the customer's
//! messages this staff member has neither read nor answered, and
//! `waiting_since` is the customer's first unanswered message.

use crate::harness::*;
use serde_json::{json, Value};

fn row(client: &Client, cid: i64) -> Value {
    let list = client.get("/api/v1/conversations?status=inbox&limit=50");
    let found = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == cid);
    found
        .cloned()
        .unwrap_or_else(|| panic!("conversation {cid} not listed: {list}"))
}

#[test]
fn unread_counts_are_per_agent_and_waiting_time_ends_with_an_answer() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (st, v) = admin.call(
        "POST",
        "/api/v1/users",
        Some(json!({"type": "agent", "first_name": "Ann", "email": "ann@example.com", "password": "agentpass1"})),
    );
    assert_eq!(st, 201, "{v}");
    let ann = s.login("ann@example.com", "agentpass1");
    let (visitor, _) = s.visitor("Vic");

    let first = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hello"}}),
    );
    let cid = first["conversation"]["id"].as_i64().unwrap();
    let widget_path = format!("/api/v1/widget/conversations/{cid}/messages");
    let second = visitor.post(&widget_path, json!({"body": "anyone there?"}));

    // Nobody has read or answered: two unread for each, waiting since the first.
    for who in [&admin, &ann] {
        let r = row(who, cid);
        assert_eq!(r["my_unread"], 2, "{r}");
        assert_eq!(r["waiting_since"], first["message"]["created_at"], "{r}");
    }

    // The admin reads: only the admin's count drops.
    let read = format!("/api/v1/conversations/{cid}/read");
    admin.post(&read, json!({"message_id": second["message"]["id"]}));
    assert_eq!(row(&admin, cid)["my_unread"], 0);
    assert_eq!(row(&ann, cid)["my_unread"], 2);
    // The single conversation answers the same for its reader.
    let one = admin.get(&format!("/api/v1/conversations/{cid}"));
    assert_eq!(one["conversation"]["my_unread"], 0, "{one}");

    // An internal note is not an answer.
    let staff_path = format!("/api/v1/conversations/{cid}/messages");
    admin.post(&staff_path, json!({"body": "looking", "private": true}));
    assert_eq!(
        row(&ann, cid)["waiting_since"],
        first["message"]["created_at"]
    );

    // Ann answers: her own reply settles her count; nobody waits any more.
    ann.post(&staff_path, json!({"body": "hi, Ann here"}));
    let r = row(&ann, cid);
    assert_eq!(r["my_unread"], 0, "{r}");
    assert_eq!(r["waiting_since"], Value::Null, "{r}");
    assert_eq!(row(&admin, cid)["waiting_since"], Value::Null);

    // The customer writes again: waiting from that message, one unread each.
    let third = visitor.post(&widget_path, json!({"body": "thanks, one more thing"}));
    for who in [&admin, &ann] {
        let r = row(who, cid);
        assert_eq!(r["my_unread"], 1, "{r}");
        assert_eq!(r["waiting_since"], third["message"]["created_at"], "{r}");
    }

    // A visitor's own view carries neither field.
    let mine = visitor.get(&format!("/api/v1/widget/conversations/{cid}"));
    let text = mine.to_string();
    assert!(
        !text.contains("my_unread") && !text.contains("waiting_since"),
        "{text}"
    );
}

#[test]
fn a_search_answers_the_newest_matching_message_of_each_row() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (visitor, _) = s.visitor("Pat");
    let first = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "my parcel is late"}}),
    );
    let cid = first["conversation"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/widget/conversations/{cid}/messages");
    let newer = visitor.post(&path, json!({"body": "the parcel number is 42"}));
    visitor.post(&path, json!({"body": "thanks"}));

    let list = admin.get("/api/v1/conversations?status=inbox&search=parcel");
    let found = &list["conversations"][0];
    assert_eq!(found["id"], cid, "{list}");
    assert_eq!(found["match"]["id"], newer["message"]["id"], "{found}");
    assert_eq!(found["match"]["body"], "the parcel number is 42");
    assert_eq!(found["last_message"]["body"], "thanks");
    // Without a search, no match.
    assert!(row(&admin, cid).get("match").is_none());
    // A visitor's own list never carries one.
    let mine = visitor.get("/api/v1/widget/conversations?search=parcel");
    assert!(!mine.to_string().contains("\"match\""), "{mine}");
}

#[test]
fn the_row_facts_stop_at_the_newest_hundred_messages() {
    let s = Server::start_with(&[("FRONTPORCH_RATE_LIMITS", "off")]);
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (visitor, _) = s.visitor("Chatty");
    let first = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "0"}}),
    );
    let cid = first["conversation"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/widget/conversations/{cid}/messages");
    let mut sent = vec![first["message"].clone()];
    for i in 1..105 {
        sent.push(visitor.post(&path, json!({"body": i.to_string()}))["message"].clone());
    }
    let r = row(&admin, cid);
    assert_eq!(r["my_unread"], 100, "counted among the newest 100 only");
    // The wait is measured from the oldest message looked at (a lower bound).
    assert_eq!(r["waiting_since"], sent[5]["created_at"], "{r}");
}
