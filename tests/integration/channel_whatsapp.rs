//! WhatsApp Cloud API end to end (issue 12): Meta's handshake, signed
//! notifications in, statuses, replies out to a loopback Graph API.

use super::fake_platform::{Call, Fake, Reply};
use super::harness::{Client, Server};
use super::support_board::succeed;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const APP_SECRET: &str = "wa-app-sëcret";
const VERIFY: &str = "verify-me-42";
const TOKEN: &str = "EAAGm0PX4ZCpsBAtoken";
const PHONE_ID: &str = "106540352242922";

fn start() -> (Server, Client, String) {
    let server = Server::start_with(&[("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1")]);
    let token = server.admin_token();
    let admin = server.client(&token);
    (server, admin, token)
}

fn configure(admin: &Client, api_base: &str) {
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "channels.whatsapp": {
            "phone_number_id": PHONE_ID, "access_token": TOKEN, "app_secret": APP_SECRET,
            "verify_token": VERIFY, "business_account_id": "102290129340398",
            "api_base": api_base } })),
    );
    assert!(st < 300, "{st} {v}");
}

/// Meta's signature, written here independently of the server's code:
/// `sha256=` + hex HMAC-SHA256(app secret, raw body).
fn sign(body: &[u8]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(APP_SECRET.as_bytes()).unwrap();
    mac.update(body);
    let tag = mac.finalize().into_bytes();
    format!(
        "sha256={}",
        tag.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

fn post(server: &Server, body: &Value, signature: Option<&str>) -> (u16, String) {
    let raw = body.to_string();
    let good = sign(raw.as_bytes());
    let mut headers = vec![("content-type", "application/json")];
    match signature {
        Some(s) => headers.push(("x-hub-signature-256", s)),
        None => headers.push(("x-hub-signature-256", good.as_str())),
    }
    let (st, _, text) =
        server
            .anon()
            .raw("POST", "/channels/whatsapp", Some(raw.clone()), &headers);
    (st, text)
}

/// A notification as the Cloud API posts it (the documented shape).
fn notification(value: Value) -> Value {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398",
           "changes": [{"field": "messages", "value": value}]}]})
}

fn text_message(wamid: &str, from: &str, name: &str, text: &str) -> Value {
    notification(json!({"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_ID},
        "contacts": [{"profile": {"name": name}, "wa_id": from}],
        "messages": [{"from": from, "id": wamid, "timestamp": "1749416383", "type": "text",
                      "text": {"body": text}}]}))
}

fn statuses(wamid: &str, status: &str) -> Value {
    notification(json!({"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_ID},
        "statuses": [{"id": wamid, "status": status, "timestamp": "1750263773",
                      "recipient_id": "16505551234"}]}))
}

fn wa_conversations(admin: &Client) -> Vec<Value> {
    admin.get("/api/v1/conversations?source=wa&limit=100")["conversations"]
        .as_array()
        .unwrap()
        .clone()
}

fn messages(admin: &Client, cid: i64) -> Vec<Value> {
    admin.get(&format!("/api/v1/conversations/{cid}/messages?limit=200"))["messages"]
        .as_array()
        .unwrap()
        .clone()
}

fn code(text: &str) -> String {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    v["error"]["code"].as_str().unwrap_or("").to_string()
}

#[test]
fn handshake_with_the_verify_token() {
    let (server, admin, _) = start();
    configure(&admin, "http://127.0.0.1:9");
    let get = |q: &str| {
        server
            .anon()
            .raw("GET", &format!("/channels/whatsapp?{q}"), None, &[])
    };
    let (st, _, body) = get(&format!(
        "hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=1158201444"
    ));
    assert_eq!((st, body.as_str()), (200, "1158201444"));
    let (st, _, body) = get("hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1158201444");
    assert_eq!((st, code(&body).as_str()), (403, "bad_signature"), "{body}");
    assert!(!body.contains("1158201444"));
}

#[test]
fn a_signed_message_is_stored_once_and_a_bad_signature_nothing() {
    let (server, admin, token) = start();
    configure(&admin, "http://127.0.0.1:9");
    let text = "Does it come in another color? ¿Y en añil? 🎨 你好";
    let n = text_message(
        "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRB",
        "16505551234",
        "Zoë Ünal",
        text,
    );

    // Forged or unsigned: 403, nothing stored.
    for sig in ["sha256=00", "sha1=abc", ""] {
        let (st, body) = post(&server, &n, Some(sig));
        assert_eq!((st, code(&body).as_str()), (403, "bad_signature"), "{body}");
    }
    assert!(wa_conversations(&admin).is_empty());

    let (st, body) = post(&server, &n, None);
    assert_eq!(st, 200, "{body}");
    let convs = wa_conversations(&admin);
    assert_eq!(convs.len(), 1, "{convs:?}");
    let c = &convs[0];
    assert_eq!(c["source"], "wa");
    assert_eq!(c["extra"]["phone_number_id"], PHONE_ID);
    let cid = c["id"].as_i64().unwrap();
    assert_eq!(messages(&admin, cid)[0]["body"], text);
    let user = admin.get(&format!("/api/v1/users/{}", c["user_id"]));
    let user = if user["user"].is_object() {
        user["user"].clone()
    } else {
        user
    };
    assert_eq!(
        (user["first_name"].as_str(), user["last_name"].as_str()),
        (Some("Zoë"), Some("Ünal"))
    );
    assert_eq!(user["phone"], "+16505551234", "{user}");

    // Meta delivers the same notification again: one message.
    let (st, _) = post(&server, &n, None);
    assert_eq!(st, 200);
    assert_eq!(messages(&admin, cid).len(), 1);

    let sb = succeed(
        &server,
        &token,
        &[
            ("function", "get-conversation"),
            ("conversation_id", &cid.to_string()),
        ],
    );
    assert_eq!(sb["messages"][0]["message"], text, "{sb}");
}

/// The smallest JPEG `infer` takes.
const JPEG: &[u8] = &[
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0xff, 0xd9,
];

#[test]
fn an_image_is_fetched_by_its_media_id() {
    let (server, admin, _) = start();
    // GET /{media-id} answers a URL (here on the fake too), fetched with the token.
    let fake = Fake::start(|c: &Call| {
        if c.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return Reply::json(
                401,
                json!({"error": {"message": "Invalid OAuth access token", "code": 190}}),
            );
        }
        match c.path() {
            "/v25.0/1037543291543636" => {
                let host = c.header("host").unwrap_or("");
                Reply::json(
                    200,
                    json!({"messaging_product": "whatsapp",
                    "url": format!("http://{host}/whatsapp_business/attachments/?mid=1037543291543636&ext=1"),
                    "mime_type": "image/jpeg", "sha256": "x", "file_size": JPEG.len(), "id": "1037543291543636"}),
                )
            }
            "/whatsapp_business/attachments/" => Reply::bytes("image/jpeg", JPEG),
            _ => Reply::json(404, json!({})),
        }
    });
    configure(&admin, &format!("{}/v25.0", fake.base()));
    let n = notification(json!({"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_ID},
        "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}],
        "messages": [{"from": "16505551234", "id": "wamid.IMG", "timestamp": "1", "type": "image",
                      "image": {"caption": "Voilà 📷", "mime_type": "image/jpeg", "sha256": "x",
                                "id": "1037543291543636"}}]}));
    assert_eq!(post(&server, &n, None).0, 200);
    let deadline = Instant::now() + Duration::from_secs(60);
    let m = loop {
        let cid = wa_conversations(&admin)[0]["id"].as_i64().unwrap();
        let m = messages(&admin, cid).remove(0);
        if m["attachments"].as_array().is_some_and(|a| !a.is_empty()) {
            break m;
        }
        assert!(Instant::now() < deadline, "never fetched: {m}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(m["body"], "Voilà 📷");
    assert_eq!(m["attachments"][0]["type"], "image/jpeg");
    let calls = fake.calls();
    assert_eq!(calls[0].method, "GET");
    assert_eq!(calls[0].path(), "/v25.0/1037543291543636");
}
