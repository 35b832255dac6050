//! Review r13b (issue 13: `/block`, `/import`, `/action`, touchpoints,
//! `/notify`): the holes found and closed, each with its test.

use super::harness::{Client, Server};
use serde_json::{json, Value};

fn command(admin: &Client, cid: i64, text: &str, meta: Value) -> (u16, Value) {
    admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/commands"),
        Some(json!({ "text": text, "meta": meta })),
    )
}

/// A visitor with a conversation: (client, user id, conversation id).
fn visitor_with_conversation(s: &Server, name: &str, text: &str) -> (Client, i64, i64) {
    let (visitor, vid) = s.visitor(name);
    let v = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": text}}),
    );
    (visitor, vid, v["conversation"]["id"].as_i64().unwrap())
}

/// A blocked visitor keeps their token: every write of the widget API
/// (files, typing, ratings, transcripts, identify, profile, automations,
/// forms, read marks) is refused like a post, not only posts and sessions.
#[test]
fn a_blocked_visitor_can_write_nothing_through_the_widget_api() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (visitor, _, cid) = visitor_with_conversation(&s, "Mallory", "hello");
    let (st, v) = command(&admin, cid, "/block spam", json!({}));
    assert_eq!(st, 201, "{v}");
    let c = format!("/api/v1/widget/conversations/{cid}");
    let writes: Vec<(&str, String, Value)> = vec![
        ("POST", format!("{c}/typing"), json!({"typing": true})),
        (
            "POST",
            format!("{c}/rating"),
            json!({"rating": -1, "comment": "spam"}),
        ),
        (
            "POST",
            format!("{c}/transcript"),
            json!({"email": "victim@example.com"}),
        ),
        ("POST", format!("{c}/read"), json!({})),
        ("POST", format!("{c}/delivered"), json!({})),
        ("PUT", format!("{c}/forms/1"), json!({})),
        (
            "POST",
            "/api/v1/widget/identify".into(),
            json!({"email": "m@example.com"}),
        ),
        (
            "PATCH",
            "/api/v1/widget/me".into(),
            json!({"first_name": "Spam"}),
        ),
        ("POST", "/api/v1/widget/uploads".into(), json!({})),
        ("POST", "/api/v1/widget/automations/run".into(), json!({})),
        ("POST", "/api/v1/articles/ratings".into(), json!({})),
    ];
    for (method, path, body) in writes {
        let (st, v) = visitor.call(method, &path, Some(body));
        assert_eq!(st, 403, "{method} {path}: {v}");
        assert_eq!(v["error"]["code"], "blocked", "{method} {path}: {v}");
    }
    // Reading their own thread (where the widget says they are blocked)
    // and ending the session still work.
    assert_eq!(visitor.call("GET", &c, None).0, 200);
    assert_eq!(
        visitor.call("DELETE", "/api/v1/widget/session", None).0,
        204
    );
}
