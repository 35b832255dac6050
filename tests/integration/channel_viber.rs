//! Viber end to end (issue 12): callbacks in through `/channels/viber`,
//! signed as Viber signs them (hex HMAC-SHA256 of the body with the auth
//! token, computed here), the webhook check, delivered and seen reports,
//! and replies and Support Board's `viber-send-message` reaching a
//! loopback Viber API that checks the exact send_message request.

use super::fake_platform::{conversations_of, messages, until, Call, Fake, Reply};
use super::harness::{Client, Server};
use super::support_board::succeed;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const TOKEN: &str = "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9";
const VIBER_ID: &str = "01234567890A=";
/// Viber's tokens are 64-bit numbers: above 2^53, so a float would lose them.
const FIRST_TOKEN: u64 = 5741311803571721087;

/// The smallest valid PNG (1x1, transparent).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

fn start() -> (Server, Client, String) {
    let s = Server::start_with(&[
        ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1"),
        ("FRONTPORCH_RETRY_BASE_MS", "200"),
    ]);
    let token = s.admin_token();
    let admin = s.client(&token);
    (s, admin, token)
}

/// Viber's API: send_message answers status 0 and a new message_token.
fn viber() -> Fake {
    let n = Arc::new(AtomicU64::new(0));
    Fake::start(move |c: &Call| {
        if c.path() == "/media/photo.png" {
            return Reply::bytes("image/png", PNG);
        }
        if c.path() == "/pa/set_webhook" {
            return Reply::json(
                200,
                json!({"status": 0, "status_message": "ok", "chat_hostname": "SN-CHAT-01_",
                       "event_types": ["delivered", "seen", "failed", "subscribed",
                                       "unsubscribed", "conversation_started"]}),
            );
        }
        if c.path() == "/pa/send_message" {
            let t = FIRST_TOKEN + n.fetch_add(1, Ordering::SeqCst);
            return Reply::json(
                200,
                json!({"status": 0, "status_message": "ok", "message_token": t,
                       "chat_hostname": "SN-CHAT-05_", "billing_status": 1}),
            );
        }
        Reply::json(200, json!({"status": 3, "status_message": "badData"}))
    })
}

fn configure(admin: &Client, fake: &Fake) {
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({"channels.viber": {
            "auth_token": TOKEN, "sender_name": "Frontporch Café", "api_base": fake.base()}})),
    );
    assert_eq!(st, 200, "{v}");
}

/// X-Viber-Content-Signature: hex HMAC-SHA256 of the body, keyed by the token.
fn sign(body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(TOKEN.as_bytes()).unwrap();
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn post(s: &Server, v: &Value, signature: Option<&str>) -> (u16, String) {
    let body = v.to_string();
    let sig = signature
        .map(str::to_string)
        .unwrap_or_else(|| sign(body.as_bytes()));
    let (st, _, text) = s.anon().raw(
        "POST",
        "/channels/viber",
        Some(body),
        &[
            ("content-type", "application/json"),
            ("x-viber-content-signature", &sig),
        ],
    );
    (st, text)
}

/// The `message` callback of Viber's documentation, with our text.
fn message(token: u64, text: &str) -> Value {
    json!({
        "event": "message", "timestamp": 1457764197627u64, "message_token": token,
        "sender": {"id": VIBER_ID, "name": "Zoë Ünal", "avatar": "http://avatar.example.com",
                   "country": "UA", "language": "uk", "api_version": 10},
        "message": {"type": "text", "text": text, "tracking_data": "tracking data"}
    })
}

#[test]
fn viber_in_reply_out_delivered_and_seen() {
    let (s, admin, _) = start();
    let fake = viber();
    configure(&admin, &fake);

    // The check Viber makes when the webhook is set: 200, nothing stored.
    let check = json!({"event": "webhook", "timestamp": 1457764197627u64,
                       "chat_hostname": "SN-172_", "message_token": 241256543215u64});
    let (st, body) = post(&s, &check, None);
    assert_eq!(st, 200, "{body}");
    assert!(conversations_of(&admin, "vb").is_empty());

    let text = "Привіт! Чи можна замовити каву? ☕🇺🇦";
    let m = message(4912661846655238145, text);
    // Wrongly signed (another key, none): 403, nothing stored.
    let other = sign(b"another body");
    for bad in ["", other.as_str()] {
        let (st, body) = post(&s, &m, Some(bad));
        assert_eq!(st, 403, "{body}");
        assert!(body.contains("bad_signature"), "{body}");
    }
    assert!(conversations_of(&admin, "vb").is_empty());

    let (st, body) = post(&s, &m, None);
    assert_eq!(st, 200, "{body}");
    let convs = conversations_of(&admin, "vb");
    assert_eq!(convs.len(), 1, "{convs:?}");
    let c = &convs[0];
    assert_eq!(c["source"], "vb");
    let cid = c["id"].as_i64().unwrap();
    assert_eq!(messages(&admin, cid)[0]["body"], text);
    let user = admin.get(&format!("/api/v1/users/{}", c["user_id"]));
    let user = if user["user"].is_object() {
        user["user"].clone()
    } else {
        user
    };
    assert!(
        user.to_string().contains("Zoë"),
        "the sender's name: {user}"
    );
    // Viber delivers the callback again: stored once.
    let (st, _) = post(&s, &m, None);
    assert_eq!(st, 200);
    assert_eq!(messages(&admin, cid).len(), 1);

    // The agent's reply reaches send_message with the token header.
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/messages"),
        Some(json!({"body": "Так, звичайно! 😊"})),
    );
    assert_eq!(st, 201, "{v}");
    let mid = v["message"]["id"].as_i64().unwrap();
    let call = fake.wait_for(60, |c| c.path() == "/pa/send_message");
    assert_eq!(call.method, "POST");
    assert_eq!(call.header("x-viber-auth-token"), Some(TOKEN));
    assert_eq!(
        call.json(),
        json!({"receiver": VIBER_ID, "min_api_version": 1,
               "sender": {"name": "Frontporch Café"},
               "type": "text", "text": "Так, звичайно! 😊"})
    );

    // Viber reports it delivered, then seen, naming the token as a number.
    let msg = |admin: &Client| {
        messages(admin, cid)
            .into_iter()
            .find(|m| m["id"] == mid)
            .unwrap()
    };
    let report = |event: &str| {
        json!({"event": event, "timestamp": 1457764197627u64, "chat_hostname": "SN-375_",
               "message_token": FIRST_TOKEN, "user_id": VIBER_ID})
    };
    until("delivered", || {
        let (st, body) = post(&s, &report("delivered"), None);
        assert_eq!(st, 200, "{body}");
        (msg(&admin)["delivered"] == true).then_some(())
    });
    let (st, _) = post(&s, &report("seen"), None);
    assert_eq!(st, 200);
    until("read", || (msg(&admin)["read"] == true).then_some(()));
    // A delivered report after seen does not move it back.
    post(&s, &report("delivered"), None);
    assert_eq!(msg(&admin)["read"], true);

    // Another reply that Viber could not deliver: the reason on the message.
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/messages"),
        Some(json!({"body": "Ще щось?"})),
    );
    assert_eq!(st, 201, "{v}");
    let second = v["message"]["id"].as_i64().unwrap();
    let failed = json!({"event": "failed", "timestamp": 1457764197627u64,
        "message_token": FIRST_TOKEN + 1, "user_id": VIBER_ID,
        "desc": "user is not subscribed"});
    let why = until("the failure on the message", || {
        let (st, body) = post(&s, &failed, None);
        assert_eq!(st, 200, "{body}");
        let m = messages(&admin, cid)
            .into_iter()
            .find(|m| m["id"] == second)
            .unwrap();
        m["payload"]["channel"]["failed"]
            .as_str()
            .map(str::to_string)
    });
    assert!(why.contains("user is not subscribed"), "{why}");
}

#[test]
fn viber_send_message_reaches_viber() {
    let (s, admin, token) = start();
    let fake = viber();
    configure(&admin, &fake);
    let r = succeed(
        &s,
        &token,
        &[
            ("function", "viber-send-message"),
            ("viber_id", VIBER_ID),
            ("message", "Ваше замовлення готове ✅"),
        ],
    );
    let call = fake.wait_for(60, |c| c.path() == "/pa/send_message");
    assert_eq!(call.header("x-viber-auth-token"), Some(TOKEN));
    let b = call.json();
    assert_eq!(
        (&b["receiver"], &b["type"], &b["text"]),
        (
            &json!(VIBER_ID),
            &json!("text"),
            &json!("Ваше замовлення готове ✅")
        )
    );
    // Viber's answer, as the seed shows it.
    assert_eq!(r["status"], 0, "{r}");
    assert_eq!(r["message_token"], json!(FIRST_TOKEN), "{r}");
}

#[test]
fn a_picture_is_fetched_into_the_message() {
    let (s, admin, _) = start();
    let fake = viber();
    configure(&admin, &fake);
    let mut m = message(4912661846655238146, "");
    m["message"] = json!({"type": "picture", "text": "Ось фото 📷",
        "media": format!("{}/media/photo.png", fake.base()),
        "thumbnail": format!("{}/media/thumb.png", fake.base())});
    let (st, body) = post(&s, &m, None);
    assert_eq!(st, 200, "{body}");
    let cid = conversations_of(&admin, "vb")[0]["id"].as_i64().unwrap();
    assert_eq!(messages(&admin, cid)[0]["body"], "Ось фото 📷");
    let get = fake.wait_for(60, |c| c.path() == "/media/photo.png");
    assert_eq!(get.method, "GET");
    let files = until("the attachment", || {
        let a = messages(&admin, cid)[0]["attachments"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        (!a.is_empty()).then_some(a)
    });
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].to_string().contains("photo.png"), "{files:?}");
}

#[test]
fn register_sets_viber_s_webhook_to_our_url() {
    let s = Server::start_with(&[
        ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1"),
        ("FRONTPORCH_PUBLIC_URL", "https://chat.example.com"),
    ]);
    let admin = s.client(&s.admin_token());
    let fake = viber();
    configure(&admin, &fake);
    let (st, v) = admin.call("POST", "/api/v1/channels/viber/register", Some(json!({})));
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["ok"], true, "{v}");
    let call = fake.wait_for(30, |c| c.path() == "/pa/set_webhook");
    assert_eq!(call.header("x-viber-auth-token"), Some(TOKEN));
    assert_eq!(
        call.json(),
        json!({"url": "https://chat.example.com/channels/viber",
               "event_types": ["delivered", "seen", "failed", "conversation_started"],
               "send_name": true, "send_photo": true})
    );
}
