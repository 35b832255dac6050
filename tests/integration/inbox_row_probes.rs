//! The inbox row facts (`my_unread`, `waiting_since`) read from index probes
//! (store/staff_reads.rs): the cases a rewrite could get wrong — notes,
//! deleted messages, bot replies, and an agent's own message unmarked.

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

/// (my_unread, waiting_since) of `cid` for `who`.
fn facts(who: &Client, cid: i64) -> (Value, Value) {
    let r = row(who, cid);
    (r["my_unread"].clone(), r["waiting_since"].clone())
}

fn user(admin: &Client, body: Value) -> i64 {
    let (st, v) = admin.call("POST", "/api/v1/users", Some(body));
    assert_eq!(st, 201, "{v}");
    v["user"]["id"].as_i64().unwrap_or_else(|| panic!("{v}"))
}

#[test]
fn notes_deletions_bot_replies_and_own_messages_give_the_right_row() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    user(
        &admin,
        json!({"type": "agent", "first_name": "Ann", "email": "ann@example.com", "password": "agentpass1"}),
    );
    let bot = user(&admin, json!({"type": "bot", "first_name": "Robo"}));
    let ann = s.login("ann@example.com", "agentpass1");
    let (visitor, _) = s.visitor("Vic");

    let first = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hello"}}),
    );
    let (v1, cid) = (
        first["message"].clone(),
        first["conversation"]["id"].as_i64().unwrap(),
    );
    let widget = format!("/api/v1/widget/conversations/{cid}/messages");
    let staff = format!("/api/v1/conversations/{cid}/messages");
    let at = |m: &Value| m["created_at"].clone();
    visitor.post(&widget, json!({"body": "anyone?"}));

    // Ann's note, unmarked: her own message settles her count, the wait goes on.
    ann.post(&staff, json!({"body": "on it", "private": true}));
    assert_eq!(facts(&ann, cid), (json!(0), at(&v1)));
    assert_eq!(facts(&admin, cid), (json!(2), at(&v1)));

    // A bot reply answers the customer but is nobody's unread message.
    let reply = admin.post(&staff, json!({"body": "A bot here", "user_id": bot}));
    let reply_id = reply["message"]["id"].as_i64().unwrap();
    assert_eq!(facts(&admin, cid), (json!(2), Value::Null));
    assert_eq!(facts(&ann, cid), (json!(0), Value::Null));

    // A deleted customer message is neither unread nor waiting.
    let v3 = visitor.post(&widget, json!({"body": "oops"}))["message"].clone();
    assert_eq!(facts(&admin, cid), (json!(3), at(&v3)));
    let (st, e) = admin.call("DELETE", &format!("{staff}/{}", v3["id"]), None);
    assert!(st < 300, "{st} {e}");
    assert_eq!(facts(&admin, cid), (json!(2), Value::Null));
    assert_eq!(facts(&ann, cid), (json!(0), Value::Null));

    // A deleted answer answers nothing: the wait goes back to the first message.
    let v4 = visitor.post(&widget, json!({"body": "still there?"}))["message"].clone();
    assert_eq!(facts(&ann, cid), (json!(1), at(&v4)));
    let (st, e) = admin.call("DELETE", &format!("{staff}/{reply_id}"), None);
    assert!(st < 300, "{st} {e}");
    assert_eq!(facts(&admin, cid), (json!(3), at(&v1)));

    // Ann answers, then deletes her answer: what she wrote she has read.
    let mine = ann.post(&staff, json!({"body": "here!"}));
    assert_eq!(facts(&ann, cid), (json!(0), Value::Null));
    let (st, e) = ann.call(
        "DELETE",
        &format!("{staff}/{}", mine["message"]["id"]),
        None,
    );
    assert!(st < 300, "{st} {e}");
    assert_eq!(facts(&ann, cid), (json!(0), at(&v1)));
    assert_eq!(facts(&admin, cid), (json!(3), at(&v1)));
}
