//! Bad input gets a clear 4xx JSON error and changes nothing.

use crate::harness::*;
use serde_json::{json, Value};

/// Body, extra headers, expected status and error code.
type Case<'a> = (Option<String>, Vec<(&'a str, &'a str)>, u16, &'a str);

fn error_code(text: &str) -> String {
    let v: Value = serde_json::from_str(text).unwrap_or_else(|_| panic!("not JSON: {text:?}"));
    v["error"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error.code: {text}"))
        .to_string()
}

#[test]
fn malformed_requests_are_refused_and_change_nothing() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (visitor, _) = s.visitor("V");
    let cid = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "first"}}),
    )["conversation"]["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/conversations/{cid}/messages");
    let events_before = admin.get("/api/v1/events?after=0")["cursor"]
        .as_i64()
        .unwrap();

    let long = "x".repeat(10_001);
    let cases: Vec<Case> = vec![
        (Some("{not json".into()), vec![], 400, "invalid_json"),
        (Some(r#"{"body": 42}"#.into()), vec![], 400, "invalid_field"),
        (
            Some(r#"{"body": "x", "colour": "red"}"#.into()),
            vec![],
            400,
            "invalid_field",
        ),
        (Some(r#"{"body": ""}"#.into()), vec![], 400, "empty_message"),
        (
            Some(json!({"body": long}).to_string()),
            vec![],
            400,
            "too_long",
        ),
        (
            Some(r#"{"body": "x"}"#.into()),
            vec![("content-type", "text/html")],
            415,
            "unsupported_media_type",
        ),
        (Some(r#"[1,2]"#.into()), vec![], 400, "invalid_field"),
        (
            Some(
                json!({"body": "x", "attachments": [{"name": "a", "url": "javascript:alert(1)"}]})
                    .to_string(),
            ),
            vec![],
            400,
            "invalid_attachment",
        ),
    ];
    for (body, headers, status, code) in cases {
        let (st, _, text) = admin.raw("POST", &path, body.clone(), &headers);
        assert_eq!(st, status, "{body:?} -> {text}");
        assert_eq!(error_code(&text), code, "{body:?}");
    }
    // Invalid UTF-8 in the body.
    let bad_utf8 = unsafe {
        String::from_utf8_unchecked(vec![
            b'{', b'"', b'b', b'o', b'd', b'y', b'"', b':', b'"', 0xff, 0xfe, b'"', b'}',
        ])
    };
    let (st, _, text) = admin.raw("POST", &path, Some(bad_utf8), &[]);
    assert_eq!((st, error_code(&text).as_str()), (400, "invalid_utf8"));
    // Oversized body: 413 before it is read.
    let big = format!(r#"{{"body": "{}"}}"#, "y".repeat(2 << 20));
    let (st, _, text) = admin.raw("POST", &path, Some(big), &[]);
    assert_eq!((st, error_code(&text).as_str()), (413, "body_too_large"));
    // Ids that do not exist, or are not ids at all.
    assert_eq!(
        admin
            .call(
                "POST",
                "/api/v1/conversations/999999/messages",
                Some(json!({"body": "x"}))
            )
            .0,
        404
    );
    assert_eq!(admin.call("GET", "/api/v1/conversations/abc", None).0, 404);
    assert_eq!(admin.call("GET", "/api/v1/nothing-here", None).0, 404);
    assert_eq!(admin.call("PUT", "/api/v1/conversations", None).0, 405);
    assert_eq!(
        admin.call("GET", "/api/v1/conversations?limit=0", None).0,
        400
    );
    assert_eq!(
        admin
            .call("GET", "/api/v1/conversations?status=bogus", None)
            .0,
        400
    );
    assert_eq!(
        admin
            .call(
                "POST",
                "/api/v1/conversations",
                Some(json!({"user_id": 99999}))
            )
            .0,
        400
    );
    assert_eq!(
        admin
            .call(
                "POST",
                "/api/v1/users",
                Some(json!({"email": "not-an-email"}))
            )
            .0,
        400
    );
    assert_eq!(
        admin
            .call("POST", "/api/v1/users", Some(json!({"type": "wizard"})))
            .0,
        400
    );

    // Nothing changed: one message, no new events.
    let hist = admin.get(&path);
    assert_eq!(hist["messages"].as_array().unwrap().len(), 1);
    assert_eq!(
        admin.get("/api/v1/events?after=0")["cursor"]
            .as_i64()
            .unwrap(),
        events_before
    );
    // And the server is still fine.
    assert_eq!(s.anon().get("/healthz")["status"], "ok");
}

#[test]
fn visitor_sessions_and_messages_are_rate_limited() {
    let s = Server::start();
    let (v, _) = s.visitor("Chatty");
    let cid = v.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();
    let mut statuses = Vec::new();
    let mut retry = None;
    for i in 0..40 {
        let (st, h, _) = v.raw(
            "POST",
            &format!("/api/v1/widget/conversations/{cid}/messages"),
            Some(json!({"body": format!("m{i}")}).to_string()),
            &[],
        );
        statuses.push(st);
        if st == 429 {
            retry = header(&h, "retry-after").map(String::from);
        }
    }
    assert!(
        statuses.contains(&201) && statuses.contains(&429),
        "{statuses:?}"
    );
    assert!(retry.is_some());
    let mut session_statuses = Vec::new();
    for _ in 0..40 {
        session_statuses.push(
            s.anon()
                .call("POST", "/api/v1/widget/session", Some(json!({})))
                .0,
        );
    }
    assert!(session_statuses.contains(&429), "{session_statuses:?}");
}
