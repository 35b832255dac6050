//! Agents as people: an agent edits their own profile (name, avatar,
//! colour) and nobody else's; the widget config tells who answers and how
//! soon they typically reply, from real first-response times.

use crate::harness::*;
use serde_json::{json, Value};

/// The smallest valid PNG (1x1, transparent).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// Creates an agent (as the admin) and logs them in.
fn agent_login(s: &Server, admin: &Client, name: &str, email: &str) -> (Client, i64) {
    let v = admin.post(
        "/api/v1/users",
        json!({"type": "agent", "first_name": name, "email": email, "password": "agentpass1"}),
    );
    (
        s.login(email, "agentpass1"),
        v["user"]["id"].as_i64().unwrap(),
    )
}

/// Uploads a file as a logged-in staff member; the attachment's url.
fn upload(s: &Server, c: &Client, name: &str, content_type: &str, bytes: &[u8]) -> String {
    let Auth::Session { cookie, csrf } = &c.auth else {
        unreachable!()
    };
    let resp = agent()
        .post(s.url(&format!("/api/v1/uploads?name={name}")))
        .header("cookie", cookie)
        .header("x-csrf-token", csrf)
        .header("content-type", content_type)
        .send(bytes)
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let v: Value = serde_json::from_str(&resp.into_body().read_to_string().unwrap()).unwrap();
    // Signed for the uploader; stored (and sent back to staff) canonical.
    let url = v["attachment"]["url"].as_str().unwrap();
    url.split('?').next().unwrap().to_string()
}

#[test]
fn an_agent_edits_their_own_profile_only() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (ann, ann_id) = agent_login(&s, &admin, "Ann", "ann@example.com");
    let (bob, bob_id) = agent_login(&s, &admin, "Bob", "bob@example.com");

    // A default colour, derived from the id, before anyone picks one.
    let me = ann.get("/api/v1/me");
    assert!(me["user"]["color"].as_str().unwrap().starts_with('#'));

    let pic = upload(&s, &ann, "me.png", "image/png", PNG);
    let (st, v) = ann.call(
        "PATCH",
        "/api/v1/me",
        Some(json!({"first_name": "Ann", "last_name": "Lee", "avatar": pic, "color": "#123abc"})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["user"]["id"], ann_id);
    assert_eq!(v["user"]["name"], "Ann Lee");
    assert_eq!(v["user"]["avatar"], pic.as_str());
    assert_eq!(v["user"]["color"], "#123abc");

    // Bob cannot take Ann's picture, nor a file that is not an image.
    let text = upload(&s, &bob, "notes.txt", "text/plain", b"hello");
    for (body, code) in [
        (json!({"avatar": pic}), "invalid_avatar"),
        (json!({"avatar": text}), "invalid_avatar"),
        (
            json!({"avatar": "https://elsewhere.example/a.png"}),
            "invalid_avatar",
        ),
        (json!({"color": "red"}), "invalid_color"),
        (json!({"color": "#12345"}), "invalid_color"),
        (json!({"first_name": ""}), "missing_name"),
        (json!({"first_name": "x".repeat(101)}), "too_long"),
        (
            json!({"user_id": ann_id, "first_name": "Eve"}),
            "invalid_field",
        ),
        (json!({"type": "admin"}), "invalid_field"),
    ] {
        let (st, v) = bob.call("PATCH", "/api/v1/me", Some(body.clone()));
        assert!((400..500).contains(&st), "{body}: {st} {v}");
        assert_eq!(v["error"]["code"], code, "{body}: {v}");
    }
    // Nothing of that changed anyone: Bob is still Bob, Ann still Ann.
    let bob_now = admin.get(&format!("/api/v1/users/{bob_id}"))["user"].clone();
    assert_eq!(bob_now["name"], "Bob");
    assert_eq!(bob_now["avatar"], Value::Null);
    let ann_now = admin.get(&format!("/api/v1/users/{ann_id}"))["user"].clone();
    assert_eq!(ann_now["name"], "Ann Lee");
    assert_eq!(ann_now["color"], "#123abc");
    // An agent still cannot edit another agent through the users API.
    let (st, _) = bob.call(
        "PATCH",
        &format!("/api/v1/users/{ann_id}"),
        Some(json!({"first_name": "Eve"})),
    );
    assert_eq!(st, 403);
    // An API token is nobody: it has no profile.
    let token = s.client(&s.admin_token());
    let (st, v) = token.call("PATCH", "/api/v1/me", Some(json!({"first_name": "Bot"})));
    assert_eq!(st, 403, "{v}");
    // A visitor has no staff profile either.
    let (visitor, _) = s.visitor("Vic");
    let (st, _) = visitor.call("PATCH", "/api/v1/me", Some(json!({"first_name": "Ann"})));
    assert!(st == 401 || st == 403, "{st}");

    // Removing the picture and the colour: back to initials on the default.
    let (st, v) = ann.call(
        "PATCH",
        "/api/v1/me",
        Some(json!({"avatar": "", "color": ""})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["user"]["avatar"], Value::Null);
    assert_eq!(v["user"]["color"], me["user"]["color"]);
}

#[test]
fn agent_messages_and_the_widget_show_who_answers() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (ann, ann_id) = agent_login(&s, &admin, "Ann", "ann@example.com");
    let pic = upload(&s, &ann, "me.png", "image/png", PNG);
    ann.call(
        "PATCH",
        "/api/v1/me",
        Some(json!({"first_name": "Annie", "avatar": pic, "color": "#aa0011"})),
    );
    ann.call("PUT", "/api/v1/me/presence", Some(json!({"online": true})));

    let (visitor, _) = s.visitor("Vic");
    let cid = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hello"}}),
    )["conversation"]["id"]
        .as_i64()
        .unwrap();
    ann.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({"body": "hi, Annie here"}),
    );
    let history = visitor.get(&format!("/api/v1/widget/conversations/{cid}/messages"));
    let reply = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["user_id"] == ann_id)
        .unwrap()
        .clone();
    assert_eq!(reply["sender"]["name"], "Annie");
    assert_eq!(reply["sender"]["color"], "#aa0011");
    // Signed for the visitor's <img>.
    let avatar = reply["sender"]["avatar"].as_str().unwrap();
    assert!(avatar.contains(&pic) && avatar.contains("sig="), "{avatar}");

    // The header: online agents first, their avatar signed.
    let cfg = s.anon().get("/api/v1/widget/config");
    let agents = cfg["agents"].as_array().unwrap();
    assert!(!agents.is_empty() && agents.len() <= 3, "{cfg}");
    assert_eq!(agents[0]["name"], "Annie");
    assert_eq!(agents[0]["online"], true);
    assert_eq!(agents[0]["color"], "#aa0011");
    assert!(agents[0]["avatar"].as_str().unwrap().contains("sig="));
    assert!(agents[0].get("email").is_none(), "no email for visitors");
}

/// Moves a message back in time (the API stamps messages with now).
fn backdate(db: &rusqlite::Connection, body: &str, at: i64) {
    let n = db
        .execute(
            "UPDATE messages SET created_at = ?2 WHERE body = ?1",
            rusqlite::params![body, at],
        )
        .unwrap();
    assert_eq!(n, 1, "{body}");
}

#[test]
fn typical_reply_time_is_the_median_first_response() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (ann, _) = agent_login(&s, &admin, "Ann", "ann@example.com");
    // No data yet: nothing to claim. (A fresh server: the cache is empty.)
    let s2 = Server::start();
    assert_eq!(
        s2.anon().get("/api/v1/widget/config")["reply_time"],
        Value::Null
    );
    drop(s2);

    // Conversations: (label, waits) — the customer asks at t, and the agent
    // answers `wait` seconds later (None: unanswered).
    let cases: &[(&str, Option<i64>)] = &[
        ("a", Some(120)),
        ("b", Some(600)),
        ("c", Some(7200)),
        ("d", None),
    ];
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let t = now - 3 * 86_400_000;
    let mut moves = Vec::new();
    for (label, wait) in cases {
        let (visitor, _) = s.visitor(label);
        let cid = visitor.post(
            "/api/v1/widget/conversations",
            json!({"message": {"body": format!("question {label}")}}),
        )["conversation"]["id"]
            .as_i64()
            .unwrap();
        moves.push((format!("question {label}"), t));
        // A note and a follow-up from the customer are no reply.
        ann.post(
            &format!("/api/v1/conversations/{cid}/messages"),
            json!({"body": format!("note {label}"), "private": true}),
        );
        moves.push((format!("note {label}"), t + 5_000));
        if let Some(w) = wait {
            ann.post(
                &format!("/api/v1/conversations/{cid}/messages"),
                json!({"body": format!("answer {label}")}),
            );
            moves.push((format!("answer {label}"), t + w * 1000));
        }
    }
    // Older than 30 days: does not count (it would pull the median down).
    let (old, _) = s.visitor("old");
    let cid = old.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "question old"}}),
    )["conversation"]["id"]
        .as_i64()
        .unwrap();
    ann.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({"body": "answer old"}),
    );
    let long_ago = now - 40 * 86_400_000;
    moves.push(("question old".into(), long_ago));
    moves.push(("answer old".into(), long_ago + 1000));

    let db = rusqlite::Connection::open(s.data.join("frontporch.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(30)).unwrap();
    for (body, at) in &moves {
        backdate(&db, body, *at);
    }
    // The first request computes it: median of 120, 600, 7200.
    let cfg = s.anon().get("/api/v1/widget/config");
    assert_eq!(cfg["reply_time"]["median_seconds"], 600, "{cfg}");
    assert_eq!(cfg["reply_time"]["bucket"], "minutes", "{cfg}");
}
