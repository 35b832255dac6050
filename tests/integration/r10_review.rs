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

/// The smallest valid PNG (1x1, transparent).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Uploads through the widget as visitor `token`: the canonical link.
fn visitor_upload(s: &Server, token: &str, name: &str, ct: &str, bytes: &[u8]) -> String {
    let resp = agent()
        .post(s.url(&format!("/api/v1/widget/uploads?name={name}")))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", ct)
        .send(bytes)
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let v: serde_json::Value =
        serde_json::from_str(&resp.into_body().read_to_string().unwrap()).unwrap();
    let url = v["attachment"]["url"].as_str().unwrap();
    let url = url.split('?').next().unwrap();
    url.strip_prefix(&s.url("")).unwrap_or(url).to_string()
}

#[test]
fn a_staff_avatar_is_never_a_customers_file_whichever_route_sets_it() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let ann_id = admin.post(
        "/api/v1/users",
        json!({"type": "agent", "first_name": "Ann", "email": "ann@example.com", "password": "agentpass1"}),
    )["user"]["id"]
        .as_i64()
        .unwrap();
    let ann = s.login("ann@example.com", "agentpass1");
    let (visitor, _) = s.visitor("Carl");
    let Auth::Bearer(token) = &visitor.auth else {
        unreachable!()
    };
    let photo = visitor_upload(&s, token, "passport.png", "image/png", PNG);
    let doc = visitor_upload(&s, token, "contract.pdf", "application/pdf", b"%PDF-1.4 x");

    // PATCH /me refuses them; /users/{own id} and an admin's edit must too.
    let edits: [(&Client, String); 2] = [
        (&ann, format!("/api/v1/users/{ann_id}")),
        (&admin, format!("/api/v1/users/{ann_id}")),
    ];
    for (who, path) in edits.iter() {
        for pic in [&photo, &doc] {
            let (st, body) = who.call("PATCH", path, Some(json!({"avatar": pic})));
            assert_eq!(st, 400, "{path} {pic}: {body}");
            assert_eq!(body["error"]["code"], "invalid_avatar");
        }
    }
    let (st, body) = admin.call(
        "POST",
        "/api/v1/users",
        Some(
            json!({"type": "agent", "first_name": "Bo", "email": "bo@example.com",
            "password": "agentpass1", "avatar": photo}),
        ),
    );
    assert_eq!(st, 400, "{body}");
    // Nothing changed: the widget's team shows no picture of the customer's.
    let config = s.anon().get("/api/v1/widget/config");
    assert!(
        !config.to_string().contains(photo.trim_start_matches('/')),
        "{config}"
    );
    // Ann's own image still works through either route.
    let (st, body) = ann.call(
        "PATCH",
        &format!("/api/v1/users/{ann_id}"),
        Some(json!({"avatar": ""})),
    );
    assert_eq!(st, 200, "{body}");
}
