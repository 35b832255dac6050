//! Message states: "delivered" is acknowledged by the recipient's client
//! (visitor or staff), only for the other side's messages in the caller's
//! own conversations; reading implies delivered. The thread's timeline is
//! stored and read back in the caller's scope.

use crate::harness::*;
use serde_json::{json, Value};

fn msg(c: &Client, path: &str, id: i64) -> Value {
    let all = c.get(path)["messages"].as_array().unwrap().clone();
    all.into_iter().find(|m| m["id"] == id).unwrap()
}

#[test]
fn delivered_is_acknowledged_by_the_recipient_in_scope() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (visitor, _) = s.visitor("Dana");
    let r = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hello"}}),
    );
    let cid = r["conversation"]["id"].as_i64().unwrap();
    let mine = r["message"]["id"].as_i64().unwrap();
    assert_eq!(r["message"]["delivered"], false);
    let reply = admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({"body": "hi there"}),
    )["message"]["id"]
        .as_i64()
        .unwrap();
    let wpath = format!("/api/v1/widget/conversations/{cid}");
    let spath = format!("/api/v1/conversations/{cid}");

    // Another visitor cannot acknowledge it (404, nothing changes).
    let (other, _) = s.visitor("Eve");
    let (st, body) = other.call(
        "POST",
        &format!("{wpath}/delivered"),
        Some(json!({"message_id": reply})),
    );
    assert_eq!(st, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(msg(&admin, &spath, reply)["delivered"], false);
    // Bad input: a clear 4xx.
    let (st, body) = visitor.call("POST", &format!("{wpath}/delivered"), Some(json!({})));
    assert_eq!(st, 400, "{body}");

    // The visitor acknowledging marks staff's message only, never their own.
    let cursor = admin.get("/api/v1/events?after=9007199254740991")["cursor"]
        .as_i64()
        .unwrap();
    let r = visitor.post(&format!("{wpath}/delivered"), json!({"message_id": reply}));
    assert_eq!(r["marked"], json!([reply]));
    let m = msg(&admin, &spath, reply);
    assert_eq!(
        (m["delivered"].clone(), m["read"].clone()),
        (json!(true), json!(false))
    );
    assert!(m["delivered_at"].is_string());
    assert_eq!(msg(&admin, &spath, mine)["delivered"], false);
    let ev = admin.get(&format!("/api/v1/events?after={cursor}"));
    let d = ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "message.delivered")
        .expect("message.delivered event")
        .clone();
    assert_eq!(d["data"]["by"], "visitor");
    assert_eq!(d["data"]["message_ids"], json!([reply]));
    // A repeat marks nothing new.
    let r = visitor.post(&format!("{wpath}/delivered"), json!({"message_id": reply}));
    assert_eq!(r["marked"], json!([]));

    // Staff acknowledging marks the visitor's message.
    let r = admin.post(&format!("{spath}/delivered"), json!({"message_id": mine}));
    assert_eq!(r["marked"], json!([mine]));
    assert_eq!(msg(&visitor, &wpath, mine)["delivered"], true);

    // Read implies delivered.
    let r2 = visitor.post(&format!("{wpath}/messages"), json!({"body": "second"}))["message"]["id"]
        .as_i64()
        .unwrap();
    admin.post(&format!("{spath}/read"), json!({"message_id": r2}));
    let m = msg(&visitor, &wpath, r2);
    assert_eq!(
        (m["delivered"].clone(), m["read"].clone()),
        (json!(true), json!(true))
    );
}

#[test]
fn the_timeline_is_stored_and_scoped() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (visitor, _) = s.visitor("Finn");
    let r = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hello"}}),
    );
    let cid = r["conversation"]["id"].as_i64().unwrap();
    let spath = format!("/api/v1/conversations/{cid}");
    let me = admin.get("/api/v1/me")["user"]["id"].as_i64().unwrap();
    let dept = admin.post("/api/v1/departments", json!({"name": "Sales"}))["department"]["id"]
        .as_i64()
        .unwrap();
    let ch = |patch: Value| {
        let (st, b) = admin.call("PATCH", &spath, Some(patch));
        assert_eq!(st, 200, "{b}");
    };
    ch(json!({"agent_id": me}));
    ch(json!({"department_id": dept}));
    ch(json!({"status": 3}));
    ch(json!({"status": 2}));
    let wpath = format!("/api/v1/widget/conversations/{cid}");

    for (who, path) in [(&admin, &spath), (&visitor, &wpath)] {
        let tl = who.get(path)["timeline"].as_array().unwrap().clone();
        let kinds: Vec<&str> = tl.iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "conversation.assigned",
                "conversation.department",
                "conversation.status",
                "conversation.status"
            ],
            "{tl:?}"
        );
        assert_eq!(tl[0]["data"]["agent_id"], me);
        assert!(tl[0]["data"]["agent_name"].is_string());
        assert_eq!(tl[1]["data"]["department_name"], "Sales");
        assert_eq!(tl[2]["data"]["status"], 3);
        assert_eq!(tl[3]["data"]["previous"], 3);
    }
    // Another visitor sees nothing of it.
    let (other, _) = s.visitor("Gil");
    let (st, _) = other.call("GET", &wpath, None);
    assert_eq!(st, 404);
}
