//! LINE end to end: events signed as LINE signs them reach the inbox, an
//! agent's reply leaves by the push API, Support Board's
//! `line-send-message` too, all against a loopback stand-in for LINE.

use crate::fake_platform::{conversations_of, messages, Call, Fake, Reply};
use crate::harness::*;
use crate::support_board::Sb;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const SECRET: &str = "8c570fa6dd201bb328f1c1eac23a96d8";
const TOKEN: &str = "line-access-token/abc+=";
const USER: &str = "U4af4980629a1b2c3d4e5f60718293a4b";

/// A 1×1 PNG: what LINE's content host answers for the image.
pub const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90\x77\x53\xde\x00\x00\x00\x0c\x49\x44\x41\x54\x78\x9c\x63\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

/// `X-Line-Signature`: base64 of HMAC-SHA256 of the raw body under the
/// channel secret, written here apart from the server's code.
fn sign(secret: &str, body: &str) -> String {
    use base64::Engine;
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// LINE's API: the push answers with ids, the content host with the PNG.
fn line_api() -> Fake {
    Fake::start(|c: &Call| match (c.method.as_str(), c.path()) {
        ("POST", "/v2/bot/message/push") => Reply::json(
            200,
            json!({"sentMessages": [{"id": "482193476123456789", "quoteToken": "IStG5h1Tz7b"}]}),
        ),
        ("GET", p) if p.starts_with("/v2/bot/message/") && p.ends_with("/content") => {
            Reply::bytes("image/png", PNG)
        }
        _ => Reply::json(404, json!({"message": "Not found"})),
    })
}

fn setup() -> (Sb, Fake, Client) {
    let line = line_api();
    let sb = Sb::start(&[("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1")]);
    let admin = sb.client(sb.t());
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({"channels.line": {
            "channel_access_token": TOKEN, "channel_secret": SECRET,
            "api_base": line.base()}})),
    );
    assert_eq!(st, 200, "{v}");
    (sb, line, admin)
}

/// A message event as LINE's reference shows it.
fn event(message: Value, redelivery: bool) -> String {
    json!({"destination": "U0bot0000000000000000000000000000", "events": [{
        "replyToken": "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA", "type": "message", "mode": "active",
        "timestamp": 1462629479859_i64, "source": {"type": "user", "userId": USER},
        "webhookEventId": "01FZ74A0TDDPYRVKNK77XKC3ZR",
        "deliveryContext": {"isRedelivery": redelivery}, "message": message}]})
    .to_string()
}

fn post(sb: &Sb, body: &str, signature: &str) -> (u16, String) {
    let (st, _, text) = sb.anon().raw(
        "POST",
        "/channels/line",
        Some(body.to_string()),
        &[("x-line-signature", signature)],
    );
    (st, text)
}

/// The first message of `cid` with a file, once the fetch added it.
pub fn wait_for_attachment(admin: &Client, cid: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let m = messages(admin, cid);
        if let Some(f) = m
            .iter()
            .find(|m| m["attachments"].as_array().is_some_and(|a| !a.is_empty()))
        {
            return f.clone();
        }
        assert!(Instant::now() < deadline, "no attachment: {m:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn line_inbound() {
    let (sb, line, admin) = setup();

    // The console's "Verify": no events, signed; answered 200, nothing stored.
    let verify = r#"{"destination":"U0bot0000000000000000000000000000","events":[]}"#;
    assert_eq!(post(&sb, verify, &sign(SECRET, verify)).0, 200);

    // A bad or missing signature: 403, nothing stored.
    let hello = event(
        json!({"id": "468789577898262530", "type": "text",
               "quoteToken": "q3Plxr4AgKd", "text": "こんにちは！予約できますか？ 🍣🙏"}),
        false,
    );
    assert_eq!(post(&sb, &hello, &sign("another-secret", &hello)).0, 403);
    assert_eq!(post(&sb, &hello, "").0, 403);
    assert!(conversations_of(&admin, "ln").is_empty());

    // Signed: one conversation, source ln, the text as sent.
    let (st, text) = post(&sb, &hello, &sign(SECRET, &hello));
    assert_eq!(st, 200, "{text}");
    let convs = conversations_of(&admin, "ln");
    assert_eq!(convs.len(), 1);
    let cid = convs[0]["id"].as_i64().unwrap();
    assert_eq!(convs[0]["source"], "ln");
    let msgs = messages(&admin, cid);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["body"], "こんにちは！予約できますか？ 🍣🙏");

    // LINE redelivers the same event (isRedelivery: true): stored once.
    let again = event(
        json!({"id": "468789577898262530", "type": "text",
               "quoteToken": "q3Plxr4AgKd", "text": "こんにちは！予約できますか？ 🍣🙏"}),
        true,
    );
    assert_eq!(post(&sb, &again, &sign(SECRET, &again)).0, 200);
    assert_eq!(messages(&admin, cid).len(), 1);

    // An image LINE holds: fetched from the content host with the token,
    // and added to the message.
    let image = event(
        json!({"id": "468789577898262531", "type": "image",
               "contentProvider": {"type": "line"}}),
        false,
    );
    assert_eq!(post(&sb, &image, &sign(SECRET, &image)).0, 200);
    let fetch = line.wait_for(30, |c| c.path().ends_with("/content"));
    assert_eq!(fetch.path(), "/v2/bot/message/468789577898262531/content");
    assert_eq!(
        fetch.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let with_file = wait_for_attachment(&admin, cid);
    assert_eq!(conversations_of(&admin, "ln").len(), 1, "same conversation");
    assert_eq!(with_file["conversation_id"], cid);
}

#[test]
fn line_reply_by_push() {
    let (sb, line, admin) = setup();
    let hello = event(
        json!({"id": "468789577898262540", "type": "text", "text": "空いている席はありますか？ 🙂"}),
        false,
    );
    assert_eq!(post(&sb, &hello, &sign(SECRET, &hello)).0, 200);
    let cid = conversations_of(&admin, "ln")[0]["id"].as_i64().unwrap();

    // The agent's reply leaves by the push API, to the user, with a retry key.
    let reply = "ご予約ありがとうございます 😊";
    admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({"body": reply}),
    );
    let push = line.wait_for(30, |c| c.path() == "/v2/bot/message/push");
    assert_eq!(push.method, "POST");
    assert_eq!(
        push.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let key = push.header("x-line-retry-key").expect("a retry key");
    assert_eq!(key.len(), 36, "{key}");
    assert_eq!(
        push.json(),
        json!({"to": USER, "messages": [{"type": "text", "text": reply}]})
    );
}

#[test]
fn line_send_message_function() {
    let (sb, line, _) = setup();
    let v = sb.call(&[
        ("function", "line-send-message"),
        ("line_id", USER),
        ("message", "Hello from Support Board ✨"),
    ]);
    let push = line.wait_for(30, |c| c.path() == "/v2/bot/message/push");
    assert_eq!(
        push.json()["messages"][0],
        json!({"type": "text", "text": "Hello from Support Board ✨"})
    );
    assert_eq!(push.json()["to"], USER);
    // The seed's answer: LINE's own, with its sentMessages.
    assert_eq!(v["sentMessages"][0]["id"], "482193476123456789", "{v}");
}
