//! Messaging platforms in (issue 12): `POST /channels/<name>` with Telegram
//! as the platform, its API a loopback fake (`fake_platform.rs`).

use super::fake_platform::{conversations_of, messages, Fake, Reply};
use super::harness::{Client, Server};
use super::support_board::succeed;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECRET: &str = "s3cret-Token_1";
const BOT: &str = "123456:ABC-def";

fn start() -> (Server, Client, String) {
    let server = Server::start_with(&[("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1")]);
    let token = server.admin_token();
    let admin = server.client(&token);
    (server, admin, token)
}

/// Saves `channels.telegram` with `api_base` pointing at the fake.
fn configure(admin: &Client, api_base: &str) {
    admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "channels.telegram": {
            "bot_token": BOT, "secret_token": SECRET, "api_base": api_base } })),
    );
}

/// A Telegram update (https://core.telegram.org/bots/api#update) as the
/// Bot API posts it to a webhook.
fn update(update_id: i64, message_id: i64, chat: i64, text: &str) -> Value {
    json!({ "update_id": update_id, "message": {
        "message_id": message_id, "date": 1733068800,
        "from": { "id": chat, "is_bot": false, "first_name": "Zoë", "last_name": "Ünal 🌻",
                  "username": "zoe_u", "language_code": "fr" },
        "chat": { "id": chat, "first_name": "Zoë", "type": "private" },
        "text": text } })
}

/// Posts to `/channels/<name>` with Telegram's secret header (when given).
fn post(server: &Server, name: &str, body: &Value, secret: Option<&str>) -> (u16, String) {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(s) = secret {
        headers.push(("x-telegram-bot-api-secret-token", s));
    }
    let (st, _, text) = server.anon().raw(
        "POST",
        &format!("/channels/{name}"),
        Some(body.to_string()),
        &headers,
    );
    (st, text)
}

fn code(text: &str) -> String {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    v["error"]["code"].as_str().unwrap_or("").to_string()
}

/// Every conversation and message there is: (conversations, messages).
fn counts(admin: &Client) -> (usize, usize) {
    let convs = admin.get("/api/v1/conversations?limit=100&status=0,1,2,3,4");
    let list = convs["conversations"].as_array().unwrap().clone();
    let messages = list
        .iter()
        .map(|c| {
            let id = c["id"].as_i64().unwrap();
            admin.get(&format!("/api/v1/conversations/{id}/messages?limit=200"))["messages"]
                .as_array()
                .unwrap()
                .len()
        })
        .sum();
    (list.len(), messages)
}

#[test]
fn refusals_store_nothing() {
    let (server, admin, _) = start();
    let u = update(1, 1, 42, "hello");
    let (st, text) = post(&server, "fax", &u, Some(SECRET));
    assert_eq!(
        (st, code(&text).as_str()),
        (404, "unknown_channel"),
        "{text}"
    );
    let (st, text) = post(&server, "telegram", &u, Some(SECRET));
    assert_eq!(
        (st, code(&text).as_str()),
        (404, "channel_not_configured"),
        "{text}"
    );
    configure(&admin, "http://127.0.0.1:9");
    let before = counts(&admin);
    for secret in [Some("wrong"), Some(""), None] {
        let (st, text) = post(&server, "telegram", &u, secret);
        assert_eq!((st, code(&text).as_str()), (403, "bad_signature"), "{text}");
    }
    // A verified request that cannot be read: 400, nothing stored.
    let (st, _, text) = server.anon().raw(
        "POST",
        "/channels/telegram",
        Some("{not json".into()),
        &[("x-telegram-bot-api-secret-token", SECRET)],
    );
    assert_eq!((st, code(&text).as_str()), (400, "invalid_channel_payload"));
    assert_eq!(counts(&admin), before, "a refused request stored something");
    assert!(conversations_of(&admin, "tg").is_empty());
    // Telegram has no handshake: GET is not allowed.
    let (st, _, text) = server.anon().raw("GET", "/channels/telegram", None, &[]);
    assert_eq!((st, code(&text).as_str()), (405, "method_not_allowed"));
    // Junk from one address is cut off (429 with Retry-After) before it
    // can cost more than a signature check.
    let limited = (0..400).find_map(|_| {
        let (st, headers, _) = server.anon().raw(
            "POST",
            "/channels/telegram",
            Some(u.to_string()),
            &[("x-telegram-bot-api-secret-token", "junk")],
        );
        (st == 429).then_some(headers)
    });
    let headers = limited.expect("never rate limited");
    assert!(super::harness::header(&headers, "retry-after").is_some());
    assert_eq!(counts(&admin), before);
}

#[test]
fn a_message_becomes_a_conversation_once() {
    let (server, admin, token) = start();
    configure(&admin, "http://127.0.0.1:9");
    let text = "Bonjour ! Ça marche ? 🚲✨ 你好";
    let u = update(100, 7, 4242, text);
    let (st, body) = post(&server, "telegram", &u, Some(SECRET));
    assert_eq!((st, body.as_str()), (200, "{}"));
    let convs = conversations_of(&admin, "tg");
    assert_eq!(convs.len(), 1, "{convs:?}");
    let c = &convs[0];
    assert_eq!(c["source"], "tg");
    assert_eq!(c["extra"]["chat_id"], "4242");
    let cid = c["id"].as_i64().unwrap();
    let msgs = messages(&admin, cid);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["body"], text);
    let user = admin.get(&format!("/api/v1/users/{}", c["user_id"]));
    let user = if user["user"].is_object() {
        user["user"].clone()
    } else {
        user
    };
    assert_eq!(
        (user["first_name"].as_str(), user["last_name"].as_str()),
        (Some("Zoë"), Some("Ünal 🌻"))
    );
    assert_eq!(user["type"], "user");

    // Telegram delivers the same update again: stored once.
    let (st, _) = post(&server, "telegram", &u, Some(SECRET));
    assert_eq!(st, 200);
    assert_eq!(messages(&admin, cid).len(), 1);
    // A second message of the same chat: the same conversation.
    let (st, _) = post(
        &server,
        "telegram",
        &update(101, 8, 4242, "encore"),
        Some(SECRET),
    );
    assert_eq!(st, 200);
    assert_eq!(conversations_of(&admin, "tg").len(), 1);
    let bodies: Vec<_> = messages(&admin, cid)
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(bodies, vec![text.to_string(), "encore".into()]);
    // Another chat: another contact and conversation.
    post(&server, "telegram", &update(102, 1, 77, "hi"), Some(SECRET));
    let convs = conversations_of(&admin, "tg");
    assert_eq!(convs.len(), 2);
    assert_ne!(convs[0]["user_id"], convs[1]["user_id"]);

    // Support Board's get-conversation shows the extra data as stored.
    let sb = succeed(
        &server,
        &token,
        &[
            ("function", "get-conversation"),
            ("conversation_id", &cid.to_string()),
        ],
    );
    assert_eq!(sb["messages"][0]["message"], text, "{sb}");
    // The id telegram-send-message takes: "the ID is the extra value".
    assert_eq!(
        (
            sb["details"]["source"].as_str(),
            sb["details"]["extra"].as_str()
        ),
        (Some("tg"), Some("4242")),
        "{sb}"
    );
    let uid = c["user_id"].as_i64().unwrap().to_string();
    let user = succeed(
        &server,
        &token,
        &[
            ("function", "get-user"),
            ("user_id", &uid),
            ("extra", "true"),
        ],
    );
    assert!(
        user["details"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["slug"] == "telegram-id" && d["value"] == "4242"),
        "{user}"
    );
}

/// The smallest file `infer` takes for a JPEG: the SOI marker, a JFIF
/// APP0 segment, then the end marker.
const JPEG: &[u8] = &[
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0xff, 0xd9,
];

/// Telegram's Bot API for files: `getFile` answers the file's path, then
/// `/file/bot<token>/<path>` the bytes (https://core.telegram.org/bots/api#getfile).
/// `files`: file_id -> (path, content type, bytes); `up`: whether it answers.
fn telegram_files(
    files: Vec<(&'static str, &'static str, &'static str, Vec<u8>)>,
    up: Arc<AtomicBool>,
) -> Fake {
    Fake::start(move |c| {
        if !up.load(Ordering::SeqCst) {
            return Reply::json(503, json!({"ok": false, "description": "try later"}));
        }
        if c.path() == format!("/bot{BOT}/getFile") {
            let id = c.url.split("file_id=").nth(1).unwrap_or("");
            return match files.iter().find(|f| f.0 == id) {
                Some(f) => Reply::json(
                    200,
                    json!({"ok": true, "result": {"file_id": id, "file_unique_id": "u",
                                                "file_size": f.3.len(), "file_path": f.1}}),
                ),
                None => Reply::json(
                    400,
                    json!({"ok": false, "description": "Bad Request: invalid file_id"}),
                ),
            };
        }
        match files
            .iter()
            .find(|f| c.path() == format!("/file/bot{BOT}/{}", f.1))
        {
            Some(f) => Reply::bytes(f.2, &f.3),
            None => Reply::json(404, json!({"ok": false})),
        }
    })
}

/// An update whose message has a photo (sizes, the largest last) and,
/// when given, a document.
fn photo_update(update_id: i64, message_id: i64, document: Option<Value>) -> Value {
    let mut u = update(update_id, message_id, 555, "");
    let m = u["message"].as_object_mut().unwrap();
    m.remove("text");
    m.insert("caption".into(), json!("Regardez 📷 ça"));
    m.insert(
        "photo".into(),
        json!([{"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90},
               {"file_id": "big", "file_unique_id": "b", "width": 800, "height": 800}]),
    );
    if let Some(d) = document {
        m.insert("document".into(), d);
    }
    u
}

/// The only Telegram message, once `done` says it is complete (up to 60 s).
fn wait_message(admin: &Client, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let convs = conversations_of(admin, "tg");
        if let Some(c) = convs.first() {
            let m = messages(admin, c["id"].as_i64().unwrap()).remove(0);
            if done(&m) {
                return m;
            }
            assert!(Instant::now() < deadline, "never complete: {m}");
        }
        assert!(Instant::now() < deadline, "no conversation");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The first event of `kind` about message `id`, paged from the start
/// (None after the last page).
fn event_about(admin: &Client, kind: &str, id: &Value) -> Option<Value> {
    let mut after = 0;
    loop {
        let page = admin.get(&format!("/api/v1/events?after={after}"));
        let events = page["events"].as_array().cloned().unwrap_or_default();
        if let Some(e) = events
            .iter()
            .find(|e| e["kind"] == kind && &e["data"]["message"]["id"] == id)
        {
            return Some(e.clone());
        }
        after = events.last()?["id"].as_i64().unwrap();
    }
}

fn media_states(m: &Value) -> Vec<String> {
    m["payload"]["channel"]["media"]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|f| f["state"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_photo_is_fetched_after_the_commit() {
    let (server, admin, _) = start();
    let fake = telegram_files(
        vec![("big", "photos/file_9.jpg", "image/jpeg", JPEG.to_vec())],
        Arc::new(AtomicBool::new(true)),
    );
    configure(&admin, &fake.base());
    let (st, _) = post(
        &server,
        "telegram",
        &photo_update(1, 70, None),
        Some(SECRET),
    );
    assert_eq!(st, 200);
    let m = wait_message(&admin, |m| media_states(m) == ["stored"]);
    assert_eq!(m["body"], "Regardez 📷 ça");
    let a = &m["attachments"][0];
    assert_eq!(
        (a["type"].as_str(), a["size"].as_u64()),
        (Some("image/jpeg"), Some(JPEG.len() as u64))
    );
    let url = a["url"].as_str().unwrap();
    let path = url.trim_start_matches(&server.base);
    let (st, _, bytes) = admin.raw_bytes("GET", path, None, &[]);
    assert_eq!((st, bytes.as_slice()), (200, JPEG));
    // The requests Telegram's API requires: getFile for the largest size, then the file.
    let calls = fake.calls();
    assert_eq!(calls[0].method, "GET");
    assert_eq!(calls[0].url, format!("/bot{BOT}/getFile?file_id=big"));
    assert_eq!(calls[1].url, format!("/file/bot{BOT}/photos/file_9.jpg"));
    // The inbox heard of it.
    let updated = event_about(&admin, "message.updated", &m["id"]).expect("message.updated");
    assert_eq!(
        updated["data"]["message"]["attachments"][0]["type"],
        "image/jpeg"
    );
}

#[test]
fn a_file_too_large_or_of_a_refused_type_is_left_out() {
    let server = Server::start_with(&[
        ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1"),
        ("FRONTPORCH_MAX_UPLOAD", "4096"),
    ]);
    let admin = server.client(&server.admin_token());
    let mut big = JPEG[..20].to_vec();
    big.resize(10_000, 0);
    big.extend_from_slice(&[0xff, 0xd9]);
    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".repeat(8);
    let fake = telegram_files(
        vec![
            ("big", "photos/file_1.jpg", "image/jpeg", big),
            (
                "doc",
                "documents/file_2.exe",
                "application/octet-stream",
                exe,
            ),
        ],
        Arc::new(AtomicBool::new(true)),
    );
    configure(&admin, &fake.base());
    let doc = json!({"file_id": "doc", "file_unique_id": "d", "file_name": "setup.exe",
                     "mime_type": "application/x-msdownload"});
    let (st, _) = post(
        &server,
        "telegram",
        &photo_update(1, 71, Some(doc)),
        Some(SECRET),
    );
    assert_eq!(st, 200);
    let m = wait_message(&admin, |m| {
        media_states(m).iter().all(|s| s != "pending") && !media_states(m).is_empty()
    });
    assert_eq!(media_states(&m), ["left_out", "left_out"], "{m}");
    assert_eq!(m["body"], "Regardez 📷 ça", "the message is kept");
    assert_eq!(m["attachments"], json!([]));
    let media = &m["payload"]["channel"]["media"];
    assert!(
        media[0]["reason"].as_str().unwrap().contains("4096"),
        "{media}"
    );
    assert_eq!(media[1]["name"], "setup.exe");
    // Nothing of either was stored.
    let stored = std::fs::read_dir(server.data.join("uploads"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(stored, 0);
}

#[test]
fn a_pending_fetch_survives_a_restart() {
    let mut server = Server::start_with(&[
        ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1"),
        ("FRONTPORCH_RETRY_BASE_MS", "300"),
    ]);
    let token = server.admin_token();
    let admin = server.client(&token);
    let up = Arc::new(AtomicBool::new(false));
    let fake = telegram_files(
        vec![("big", "photos/file_3.jpg", "image/jpeg", JPEG.to_vec())],
        up.clone(),
    );
    configure(&admin, &fake.base());
    let (st, _) = post(
        &server,
        "telegram",
        &photo_update(1, 72, None),
        Some(SECRET),
    );
    assert_eq!(st, 200);
    // Telegram does not answer yet: the file stays pending.
    fake.wait_for(30, |c| c.path().ends_with("/getFile"));
    assert_eq!(media_states(&wait_message(&admin, |_| true)), ["pending"]);
    server.kill_and_restart();
    up.store(true, Ordering::SeqCst);
    let admin = server.client(&token);
    let m = wait_message(&admin, |m| media_states(m) == ["stored"]);
    assert_eq!(m["attachments"][0]["type"], "image/jpeg");
    assert_eq!(
        messages(&admin, m["conversation_id"].as_i64().unwrap()).len(),
        1
    );
}

#[test]
fn a_voice_note_is_kept() {
    let (server, admin, _) = start();
    let ogg = b"OggS\0\x02\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\x01\x13OpusHead\x01\x01".to_vec();
    let fake = telegram_files(
        // Telegram names a voice note's type with the codec, as WhatsApp does.
        vec![(
            "v1",
            "voice/file_3.oga",
            "audio/ogg; codecs=opus",
            ogg.clone(),
        )],
        Arc::new(AtomicBool::new(true)),
    );
    configure(&admin, &fake.base());
    let mut u = update(1, 71, 555, "");
    let m = u["message"].as_object_mut().unwrap();
    m.remove("text");
    m.insert(
        "voice".into(),
        json!({"file_id": "v1", "file_unique_id": "u", "duration": 2, "mime_type": "audio/ogg; codecs=opus"}),
    );
    let (st, _) = post(&server, "telegram", &u, Some(SECRET));
    assert_eq!(st, 200);
    let m = wait_message(&admin, |m| media_states(m) != ["pending"]);
    assert_eq!(media_states(&m), ["stored"], "{m:#}");
    let a = &m["attachments"][0];
    assert_eq!(
        (a["type"].as_str(), a["size"].as_u64()),
        (Some("audio/ogg"), Some(ogg.len() as u64))
    );
}
