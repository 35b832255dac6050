//! Messaging platforms out (issue 12, contract items 1 and 5): the
//! `channels.<name>` settings (checked, secrets write-only), the test send,
//! an agent's reply in a Telegram conversation reaching the platform's API
//! (a loopback fake checking the exact request), split into parts, retried,
//! dead with `message.failed`, and WhatsApp's reply window.

use super::fake_platform::{Call, Fake, Reply};
use super::harness::{Client, Server};
use super::support_board::succeed;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOKEN: &str = "123456:ABC-DEF_ghi";

/// A server that may reach loopback platforms, with fast retries.
fn server() -> (Server, Client, String) {
    let s = Server::start_with(&[
        ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1"),
        ("FRONTPORCH_RETRY_BASE_MS", "200"),
    ]);
    let token = s.admin_token();
    let admin = s.client(&token);
    (s, admin, token)
}

/// Telegram answering `sendMessage` as the Bot API does.
fn telegram_ok(c: &Call) -> Reply {
    let v = c.json();
    Reply::json(
        200,
        json!({"ok": true, "result": {"message_id": 2030, "chat": {"id": v["chat_id"]},
               "date": 1699621061, "text": v["text"]}}),
    )
}

fn configure(admin: &Client, fake: &Fake) {
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({"channels.telegram": {
            "bot_token": TOKEN, "secret_token": "tg-secret", "api_base": fake.base()}})),
    );
    assert_eq!(st, 200, "{v}");
}

/// A Telegram conversation (source `tg`, its chat id in extra) of a new
/// contact who wrote in it; its id.
fn tg_conversation(s: &Server, token: &str, chat: &str) -> i64 {
    let user = succeed(
        s,
        token,
        &[
            ("function", "add-user"),
            ("first_name", "Zoë"),
            ("user_type", "user"),
        ],
    );
    let uid = user
        .as_i64()
        .unwrap_or_else(|| user.as_str().unwrap().parse().unwrap());
    let extra = json!({ "chat_id": chat }).to_string();
    let c = succeed(
        s,
        token,
        &[
            ("function", "new-conversation"),
            ("user_id", &uid.to_string()),
            ("source", "tg"),
            ("extra", &extra),
        ],
    );
    let cid: i64 = c["details"]["id"]
        .as_i64()
        .unwrap_or_else(|| c["details"]["id"].as_str().unwrap().parse().unwrap());
    succeed(
        s,
        token,
        &[
            ("function", "send-message"),
            ("user_id", &uid.to_string()),
            ("conversation_id", &cid.to_string()),
            ("message", "Bonjour 🚲"),
        ],
    );
    cid
}

/// A Telegram conversation opened the way Telegram opens one: an update
/// posted to our inbound route, signed with the secret token; its id.
fn inbound_conversation(s: &Server, admin: &Client, chat: i64) -> i64 {
    let update = json!({ "update_id": 1, "message": {
        "message_id": 7, "date": 1733068800,
        "from": { "id": chat, "is_bot": false, "first_name": "Zoë", "language_code": "fr" },
        "chat": { "id": chat, "first_name": "Zoë", "type": "private" },
        "text": "Bonjour 🚲" } });
    let (st, _, body) = s.anon().raw(
        "POST",
        "/channels/telegram",
        Some(update.to_string()),
        &[
            ("content-type", "application/json"),
            ("x-telegram-bot-api-secret-token", "tg-secret"),
        ],
    );
    assert_eq!(st, 200, "{body}");
    let list = admin.get("/api/v1/conversations?source=tg&limit=10");
    list["conversations"][0]["id"].as_i64().unwrap()
}

fn reply(admin: &Client, cid: i64, body: &str) -> (u16, Value) {
    admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/messages"),
        Some(json!({ "body": body })),
    )
}

/// Waits (generously) for `pred` over the channel deliveries.
fn wait_deliveries(admin: &Client, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let d = admin.get("/api/v1/channels/deliveries")["deliveries"]
            .as_array()
            .unwrap()
            .clone();
        if pred(&d) {
            return d;
        }
        assert!(Instant::now() < deadline, "deliveries: {d:#?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn settings_are_checked_and_secrets_write_only() {
    let (s, admin, token) = server();
    let fake = Fake::start(telegram_ok);
    configure(&admin, &fake);
    let all = admin.get("/api/v1/settings");
    assert_eq!(
        all["settings"]["channels.telegram"]["bot_token_set"], true,
        "{all}"
    );
    assert_eq!(
        all["settings"]["channels.telegram"]["secret_token_set"],
        true
    );
    assert!(
        !all.to_string().contains(TOKEN),
        "the token is never read back: {all}"
    );
    assert!(!all.to_string().contains("tg-secret"));
    // The export leaves them out too.
    let file = succeed(&s, &token, &[("function", "export-settings")]);
    let url = file.as_str().unwrap().to_string();
    let url = if url.starts_with('/') {
        s.url(&url)
    } else {
        url
    };
    let exported = super::harness::agent()
        .get(&url)
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(exported.contains("bot_token_set"), "{exported}");
    assert!(!exported.contains(TOKEN), "{exported}");
    // A save without the secrets keeps them: the test send still carries the token.
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({"channels.telegram": {"bot_token_set": true, "api_base": fake.base()}})),
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = admin.call(
        "POST",
        "/api/v1/channels/telegram/test",
        Some(json!({"to": "42", "text": "Test ✓"})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["ok"], true, "{v}");
    let call = fake.wait_for(10, |c| c.path().ends_with("/sendMessage"));
    assert_eq!(call.method, "POST");
    assert_eq!(call.path(), format!("/bot{TOKEN}/sendMessage"));
    assert_eq!(call.json(), json!({"chat_id": "42", "text": "Test ✓"}));
    assert_eq!(
        v["response"]["result"]["text"], "Test ✓",
        "the platform's reply: {v}"
    );
    // Bad values: 400, nothing changed.
    for bad in [
        json!({"channels.telegram": {"bot_token": "x", "api_base": "ftp://example.com"}}),
        json!({"channels.telegram": {"bot_token": 5}}),
        json!({"channels.telegram": {"password": "x"}}),
        json!({"channels.fax": {"x": "y"}}),
        // A new API host must be sent with the secrets again.
        json!({"channels.telegram": {"api_base": "http://127.0.0.2:9"}}),
    ] {
        let (st, v) = admin.call("PUT", "/api/v1/settings", Some(bad.clone()));
        assert_eq!(st, 400, "{bad}: {v}");
        assert_eq!(v["error"]["code"], "invalid_channel_settings", "{v}");
    }
    // Agents do not configure platforms.
    let (st, _) = s.anon().call(
        "POST",
        "/api/v1/channels/telegram/test",
        Some(json!({"to": "42"})),
    );
    assert!(st == 401 || st == 403, "{st}");
    // The platform refusing: its error, answered.
    let refuse = Fake::start(|_| {
        Reply::json(
            400,
            json!({"ok": false, "error_code": 400, "description": "Bad Request: chat not found"}),
        )
    });
    configure(&admin, &refuse);
    let (st, v) = admin.call(
        "POST",
        "/api/v1/channels/telegram/test",
        Some(json!({"to": "1", "text": "x"})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["ok"], false);
    assert!(
        v["error"].as_str().unwrap().contains("chat not found"),
        "{v}"
    );
    // Nothing recorded.
    assert!(admin.get("/api/v1/channels/deliveries")["deliveries"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn a_reply_reaches_telegram_in_parts_and_in_order() {
    let (s, admin, _) = server();
    let fake = Fake::start(telegram_ok);
    configure(&admin, &fake);
    let cid = inbound_conversation(&s, &admin, 148766722);
    let (st, v) = reply(&admin, cid, "Hello from the desk 👋");
    assert_eq!(st, 201, "{v}");
    let call = fake.wait_for(30, |c| c.path().ends_with("/sendMessage"));
    assert_eq!(call.path(), format!("/bot{TOKEN}/sendMessage"));
    assert_eq!(
        call.json(),
        json!({"chat_id": "148766722", "text": "Hello from the desk 👋"})
    );
    // 5001 characters: two messages, in order, cut at a space.
    let first = "a".repeat(4000);
    let second = "b".repeat(1000);
    let (st, _) = reply(&admin, cid, &format!("{first} {second}"));
    assert_eq!(st, 201);
    let deadline = Instant::now() + Duration::from_secs(30);
    let texts = loop {
        let texts: Vec<String> = fake
            .calls()
            .iter()
            .map(|c| c.json()["text"].as_str().unwrap_or("").to_string())
            .collect();
        if texts.len() >= 3 {
            break texts;
        }
        assert!(Instant::now() < deadline, "{texts:?}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(texts[1], first);
    assert_eq!(texts[2], second);
    let d = wait_deliveries(&admin, |d| {
        d.len() == 3 && d.iter().all(|r| r["state"] == "delivered")
    });
    assert_eq!(d[0]["channel"], "telegram");
    assert_eq!(d[0]["payload"]["part"], 2);
    assert_eq!(d[0]["payload"]["parts"], 2);
    // Private notes and the contact's own messages stay home.
    let (st, _) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/messages"),
        Some(json!({"body": "note", "private": true})),
    );
    assert_eq!(st, 201);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(fake.calls().len(), 3);
}

#[test]
fn outages_are_retried_refusals_are_dead_and_the_inbox_told() {
    let (s, admin, token) = server();
    let n = Arc::new(AtomicUsize::new(0));
    let seen = n.clone();
    let fake = Fake::start(move |c| {
        let text = c.json()["text"].as_str().unwrap_or("").to_string();
        if text == "refuse me" {
            return Reply::json(
                400,
                json!({"ok": false, "error_code": 400,
                "description": "Bad Request: chat not found"}),
            );
        }
        // The first try of everything else finds the platform down.
        if seen.fetch_add(1, Ordering::SeqCst) == 0 {
            return Reply::json(
                500,
                json!({"ok": false, "error_code": 500, "description": "Internal Server Error"}),
            );
        }
        telegram_ok(c)
    });
    configure(&admin, &fake);
    let cid = tg_conversation(&s, &token, "42");
    let (st, _) = reply(&admin, cid, "after an outage");
    assert_eq!(st, 201);
    let d = wait_deliveries(&admin, |d| {
        d.first().is_some_and(|r| r["state"] == "delivered")
    });
    let full = admin.get(&format!("/api/v1/deliveries/{}", d[0]["id"]));
    let log = full["delivery"]["attempt_log"].as_array().cloned().unwrap();
    assert_eq!(log.len(), 2, "{full}");
    assert_eq!(log[0]["status_code"], 500);
    assert!(
        log[1]["response"].as_str().unwrap().contains("\"ok\":true"),
        "{full}"
    );
    // A refusal is final: dead, and `message.failed` names the message.
    let (st, v) = reply(&admin, cid, "refuse me");
    assert_eq!(st, 201);
    let mid = v["message"]["id"].as_i64().unwrap();
    let d = wait_deliveries(&admin, |d| d.first().is_some_and(|r| r["state"] == "dead"));
    assert_eq!(d[0]["attempts"], 1);
    assert!(
        d[0]["reply"].as_str().unwrap().contains("chat not found"),
        "{d:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ev = admin.get("/api/v1/events?after=0");
        let failed = ev["events"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["kind"] == "message.failed" || e["type"] == "message.failed");
        if let Some(e) = failed {
            let data = if e["data"].is_object() { &e["data"] } else { e };
            assert_eq!(data["message_id"], mid, "{e}");
            assert!(data["error"].as_str().unwrap().contains("chat not found"));
            break;
        }
        assert!(Instant::now() < deadline, "{ev}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // The inbox shows it on the message, as a platform's failure report.
    let msgs = admin.get(&format!("/api/v1/conversations/{cid}/messages"));
    let m = msgs["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == mid)
        .unwrap()
        .clone();
    assert!(
        m["payload"]["channel"]["failed"]
            .as_str()
            .unwrap()
            .contains("chat not found"),
        "{m}"
    );
}

#[test]
fn rows_wait_for_their_platform_to_be_configured() {
    let (s, admin, token) = server();
    let cid = tg_conversation(&s, &token, "7");
    let (st, _) = reply(&admin, cid, "queued before setup");
    assert_eq!(st, 201);
    let d = wait_deliveries(&admin, |d| d.len() == 1);
    assert_eq!(d[0]["state"], "pending");
    assert_eq!(d[0]["attempts"], 0);
    let fake = Fake::start(telegram_ok);
    configure(&admin, &fake);
    let call = fake.wait_for(30, |c| c.path().ends_with("/sendMessage"));
    assert_eq!(call.json()["text"], "queued before setup");
}

#[test]
fn whatsapp_free_text_outside_the_window_is_refused_and_templates_go() {
    let (s, admin, token) = server();
    let user = succeed(
        &s,
        &token,
        &[
            ("function", "add-user"),
            ("first_name", "Ana"),
            ("user_type", "user"),
        ],
    );
    let uid = user
        .as_i64()
        .unwrap_or_else(|| user.as_str().unwrap().parse().unwrap());
    let c = succeed(
        &s,
        &token,
        &[
            ("function", "new-conversation"),
            ("user_id", &uid.to_string()),
            ("source", "wa"),
            ("extra", r#"{"phone_number_id": "1055"}"#),
        ],
    );
    let cid: i64 = c["details"]["id"]
        .as_i64()
        .unwrap_or_else(|| c["details"]["id"].as_str().unwrap().parse().unwrap());
    let before = admin.get(&format!("/api/v1/conversations/{cid}/messages"));
    // The customer never wrote: the window is closed.
    let (st, v) = reply(&admin, cid, "free text");
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["error"]["code"], "reply_window_closed");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("24 hours"),
        "{v}"
    );
    assert_eq!(
        admin.get(&format!("/api/v1/conversations/{cid}/messages")),
        before,
        "nothing stored"
    );
    // A template not listed: 400; listed: stored and queued.
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/template"),
        Some(json!({"name": "order_update", "language": "en_US", "parameters": ["Ana"]})),
    );
    assert_eq!(st, 400, "{v}");
    assert_eq!(v["error"]["code"], "unknown_template");
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({"channels.whatsapp.templates": [
            {"name": "order_update", "language": "en_US", "text": "Hello {{1}}, your order shipped."}]})),
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/template"),
        Some(json!({"name": "order_update", "language": "en_US", "parameters": ["Ana"]})),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["message"]["body"], "Hello Ana, your order shipped.");
    let d = wait_deliveries(&admin, |d| d.len() == 1);
    assert_eq!(d[0]["channel"], "whatsapp");
    assert_eq!(d[0]["payload"]["template"]["name"], "order_update");
    assert_eq!(d[0]["payload"]["template"]["body"], json!(["Ana"]));
    // A platform without templates has none.
    let tg = tg_conversation(&s, &token, "9");
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{tg}/template"),
        Some(json!({"name": "order_update"})),
    );
    assert_eq!(st, 409, "{v}");
}

/// Support Board's `telegram-send-message`: the row is committed, tried at
/// once, and the answer is Telegram's own; a platform that cannot be
/// reached answers `queued` and the lane delivers later.
#[test]
fn support_board_telegram_send_message() {
    let (s, admin, token) = server();
    let down = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let is_down = down.clone();
    let fake = Fake::start(move |c| {
        if is_down.load(Ordering::SeqCst) {
            return Reply::json(502, json!({"ok": false, "description": "Bad Gateway"}));
        }
        telegram_ok(c)
    });
    configure(&admin, &fake);
    let r = succeed(
        &s,
        &token,
        &[
            ("function", "telegram-send-message"),
            ("chat_id", "148766722"),
            ("message", "Hello! 👋"),
        ],
    );
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["result"]["message_id"], 2030);
    let call = fake.wait_for(5, |c| c.path().ends_with("/sendMessage"));
    assert_eq!(call.path(), format!("/bot{TOKEN}/sendMessage"));
    assert_eq!(
        call.json(),
        json!({"chat_id": "148766722", "text": "Hello! 👋"})
    );
    // Recorded as a direct send (kind api) in the delivery log.
    let d = wait_deliveries(&admin, |d| d.len() == 1);
    assert_eq!(d[0]["state"], "delivered");
    assert_eq!(d[0]["payload"]["kind"], "api");
    assert_eq!(d[0]["payload"]["to"], "148766722");
    // Down: queued, then delivered once it is back.
    down.store(true, Ordering::SeqCst);
    let r = succeed(
        &s,
        &token,
        &[
            ("function", "telegram-send-message"),
            ("chat_id", "42"),
            ("message", "later"),
        ],
    );
    assert_eq!(r["status"], "queued", "{r}");
    down.store(false, Ordering::SeqCst);
    let d = wait_deliveries(&admin, |d| d.len() == 2 && d[0]["state"] == "delivered");
    assert!(d[0]["attempts"].as_i64().unwrap() >= 2, "{d:?}");
    // Missing arguments first; the platforms without a setting keep
    // answering their not-configured error.
    let v = super::support_board::sb_with(
        &s,
        &token,
        &[("function", "telegram-send-message"), ("message", "x")],
    );
    assert_eq!(v["success"], false);
    assert_eq!(v["response"], "missing-arguments", "{v}");
    for (function, args, code) in [
        (
            "send-sms",
            vec![("to", "+15305431221"), ("message", "x")],
            "sms-not-configured",
        ),
        (
            "whatsapp-send-message",
            vec![("to", "+39321305455"), ("message", "x")],
            "whatsapp-not-configured",
        ),
        (
            "whatsapp-send-template",
            vec![("to", "+39321305455"), ("template_name", "hello")],
            "whatsapp-not-configured",
        ),
        (
            "messenger-send-message",
            vec![("psid", "1"), ("facebook_page_id", "2"), ("message", "x")],
            "messenger-not-configured",
        ),
        (
            "viber-send-message",
            vec![("viber_id", "1"), ("message", "x")],
            "viber-not-configured",
        ),
        (
            "line-send-message",
            vec![("line_id", "1"), ("message", "x")],
            "line-not-configured",
        ),
        (
            "wechat-send-message",
            vec![("open_id", "1"), ("message", "x")],
            "wechat-not-configured",
        ),
    ] {
        let mut pairs = vec![("function", function)];
        pairs.extend(args);
        let v = super::support_board::sb_with(&s, &token, &pairs);
        assert_eq!(v["success"], false, "{function}: {v}");
        assert_eq!(v["response"], code, "{function}: {v}");
    }
}

/// `messaging-platforms-send-message`: stored in the conversation as the
/// caller, sent through the conversation's platform.
#[test]
fn support_board_messaging_platforms_send_message() {
    let (s, admin, token) = server();
    let fake = Fake::start(telegram_ok);
    configure(&admin, &fake);
    let cid = inbound_conversation(&s, &admin, 555);
    let r = succeed(
        &s,
        &token,
        &[
            ("function", "messaging-platforms-send-message"),
            ("conversation_id", &cid.to_string()),
            ("message", "Réponse ✓"),
        ],
    );
    assert_eq!(r, true);
    let call = fake.wait_for(30, |c| c.path().ends_with("/sendMessage"));
    assert_eq!(call.json(), json!({"chat_id": "555", "text": "Réponse ✓"}));
    let msgs = admin.get(&format!("/api/v1/conversations/{cid}/messages"));
    assert!(msgs.to_string().contains("Réponse ✓"), "stored: {msgs}");
    // A widget conversation is no platform's.
    let (visitor, _) = s.visitor("Web");
    let c = visitor.post(
        "/api/v1/widget/conversations",
        json!({ "message": { "body": "hi" } }),
    );
    let web = c["conversation"]["id"].as_i64().unwrap().to_string();
    let v = super::support_board::sb_with(
        &s,
        &token,
        &[
            ("function", "messaging-platforms-send-message"),
            ("conversation_id", &web),
            ("message", "x"),
        ],
    );
    assert_eq!(v["response"], "messaging-platform-not-configured", "{v}");
}

/// The smallest valid PNG (1x1, transparent).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A file leaves as media: its link made absolute (the public URL) and
/// signed, so the platform can fetch it.
#[test]
fn an_attachment_leaves_as_media_with_a_signed_absolute_link() {
    let s = Server::start_with(&[
        ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1"),
        ("FRONTPORCH_PUBLIC_URL", "https://chat.example"),
    ]);
    let token = s.admin_token();
    let admin = s.client(&token);
    let fake = Fake::start(|c| {
        Reply::json(
            200,
            json!({"ok": true, "result": {"message_id": 5, "chat": {"id": c.json()["chat_id"]}}}),
        )
    });
    configure(&admin, &fake);
    let cid = inbound_conversation(&s, &admin, 77);
    let resp = super::harness::agent()
        .post(s.url("/api/v1/uploads?name=photo.png"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "image/png")
        .send(PNG)
        .unwrap();
    let up: Value = serde_json::from_str(&resp.into_body().read_to_string().unwrap()).unwrap();
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/messages"),
        Some(json!({"body": "Voilà", "attachments": [up["attachment"]]})),
    );
    assert_eq!(st, 201, "{v}");
    let call = fake.wait_for(30, |c| c.path().ends_with("/sendPhoto"));
    let b = call.json();
    assert_eq!(b["chat_id"], "77");
    assert_eq!(b["caption"], "Voilà");
    let url = b["photo"].as_str().unwrap();
    assert!(url.starts_with("https://chat.example/uploads/"), "{url}");
    assert!(
        url.contains("exp=") && url.contains("sig="),
        "signed: {url}"
    );
}

#[test]
fn register_tells_telegram_our_inbound_url() {
    let fake = Fake::start(|_| {
        Reply::json(
            200,
            json!({"ok": true, "result": true, "description": "Webhook was set"}),
        )
    });
    let s = Server::start_with(&[
        ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1"),
        ("FRONTPORCH_PUBLIC_URL", "https://chat.example.com"),
    ]);
    let admin = s.client(&s.admin_token());
    // Not configured yet, then no such platform.
    let (st, v) = admin.call("POST", "/api/v1/channels/telegram/register", None);
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (404, Some("channel_not_configured"))
    );
    let (st, _) = admin.call("POST", "/api/v1/channels/fax/register", None);
    assert_eq!(st, 404);
    configure(&admin, &fake);
    let platforms = admin.get("/api/v1/channels")["platforms"].clone();
    let tg = platforms
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "telegram")
        .unwrap();
    assert_eq!(tg["register"], true);
    let v = admin.post("/api/v1/channels/telegram/register", json!({}));
    assert_eq!(v["ok"], true, "{v}");
    let call = fake.wait_for(5, |c| c.path().ends_with("/setWebhook"));
    assert_eq!(call.path(), format!("/bot{TOKEN}/setWebhook"));
    let body = call.json();
    assert_eq!(body["url"], "https://chat.example.com/channels/telegram");
    assert_eq!(body["secret_token"], "tg-secret");
    // An agent may not.
    let t = admin.post("/api/v1/tokens", json!({"name": "desk", "role": "agent"}));
    let agent = s.client(t["token"]["secret"].as_str().unwrap());
    let (st, _) = agent.call("POST", "/api/v1/channels/telegram/register", None);
    assert_eq!(st, 403);

    // Without a public URL the server cannot say where it is.
    let (s2, admin2, _) = server();
    configure(&admin2, &fake);
    let (st, v) = admin2.call("POST", "/api/v1/channels/telegram/register", None);
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("public_url_unknown"))
    );
    drop(s2);
}
