//! WhatsApp Cloud API end to end (issue 12): Meta's handshake, signed
//! notifications in, statuses, replies out to a loopback Graph API.

use super::fake_platform::{conversations_of, messages, Call, Fake, Reply};
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
    assert!(conversations_of(&admin, "wa").is_empty());

    let (st, body) = post(&server, &n, None);
    assert_eq!(st, 200, "{body}");
    let convs = conversations_of(&admin, "wa");
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
    // The phone number id whatsapp-send-message takes as phone_id.
    assert_eq!(sb["details"]["extra"], PHONE_ID, "{sb}");
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
        let cid = conversations_of(&admin, "wa")[0]["id"].as_i64().unwrap();
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

/// The Graph API's `POST /{phone_number_id}/messages`, answering as the
/// Cloud API does, each message a new `wamid.OUT<n>`; a wrong token 401.
fn graph() -> Fake {
    let n = std::sync::atomic::AtomicUsize::new(0);
    Fake::start(move |c: &Call| {
        if c.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return Reply::json(
                401,
                json!({"error": {"message": "Invalid OAuth access token", "code": 190}}),
            );
        }
        if c.method != "POST" || !c.path().ends_with("/messages") {
            return Reply::json(
                404,
                json!({"error": {"message": "Unknown path", "code": 803}}),
            );
        }
        let i = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let to = c.json()["to"].clone();
        Reply::json(
            200,
            json!({"messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to}],
            "messages": [{"id": format!("wamid.OUT{i}")}]}),
        )
    })
}

fn sends(fake: &Fake) -> Vec<Call> {
    fake.calls()
        .into_iter()
        .filter(|c| c.path().ends_with("/messages"))
        .collect()
}

/// Posts `status` for `wamid` until the message shows `field` (the lane
/// records the wamid just after the API answers), up to 60 s.
fn report_until(
    server: &Server,
    admin: &Client,
    cid: i64,
    mid: i64,
    wamid: &str,
    status: &str,
    field: &str,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert_eq!(post(server, &statuses(wamid, status), None).0, 200);
        let m = messages(admin, cid)
            .into_iter()
            .find(|m| m["id"] == mid)
            .unwrap();
        if m[field] == true {
            return;
        }
        assert!(Instant::now() < deadline, "{status} never showed: {m}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn an_agent_reply_reaches_the_api_and_its_statuses_move_it() {
    let (server, admin, _) = start();
    let fake = graph();
    configure(&admin, &format!("{}/v25.0", fake.base()));
    let n = text_message(
        "wamid.IN1",
        "16505551234",
        "Sheena Nelson",
        "Hola, ¿tienen talla M?",
    );
    assert_eq!(post(&server, &n, None).0, 200);
    let cid = conversations_of(&admin, "wa")[0]["id"].as_i64().unwrap();

    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/messages"),
        Some(json!({"body": "¡Sí! Talla M en azul 💙 https://shop.example/m"})),
    );
    assert_eq!(st, 201, "{v}");
    let mid = v["message"]["id"].as_i64().unwrap();
    let call = fake.wait_for(30, |c| c.path().ends_with("/messages"));
    assert_eq!(call.method, "POST");
    assert_eq!(call.path(), format!("/v25.0/{PHONE_ID}/messages"));
    assert_eq!(
        call.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(
        call.json(),
        json!({"messaging_product": "whatsapp", "recipient_type": "individual",
               "to": "16505551234", "type": "text",
               "text": {"preview_url": false, "body": "¡Sí! Talla M en azul 💙 https://shop.example/m"}})
    );

    let m = |admin: &Client| {
        messages(admin, cid)
            .into_iter()
            .find(|m| m["id"] == mid)
            .unwrap()
    };
    assert_eq!(
        (
            m(&admin)["delivered"].as_bool(),
            m(&admin)["read"].as_bool()
        ),
        (Some(false), Some(false))
    );
    report_until(
        &server,
        &admin,
        cid,
        mid,
        "wamid.OUT1",
        "delivered",
        "delivered",
    );
    assert_eq!(m(&admin)["read"], false);
    report_until(&server, &admin, cid, mid, "wamid.OUT1", "read", "read");
    // Statuses only move forward; a status of a message not ours changes nothing.
    assert_eq!(
        post(&server, &statuses("wamid.OUT1", "delivered"), None).0,
        200
    );
    assert_eq!(
        post(&server, &statuses("wamid.SOMEONE_ELSES", "read"), None).0,
        200
    );
    let after = m(&admin);
    assert_eq!(
        (after["delivered"].as_bool(), after["read"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(sends(&fake).len(), 1, "one reply, one request");
}

#[test]
fn outside_the_window_free_text_is_refused_and_a_template_goes() {
    let (server, admin, _) = start();
    let fake = graph();
    configure(&admin, &format!("{}/v25.0", fake.base()));
    let question = "¿Siguen abiertos? 🕘";
    assert_eq!(
        post(
            &server,
            &text_message("wamid.OLD", "16505551234", "Ana Ruiz", question),
            None
        )
        .0,
        200
    );
    let cid = conversations_of(&admin, "wa")[0]["id"].as_i64().unwrap();
    // The customer wrote 25 hours ago.
    let db = rusqlite::Connection::open(server.data.join("frontporch.db")).unwrap();
    db.busy_timeout(Duration::from_secs(30)).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let moved = db
        .execute(
            "UPDATE messages SET created_at = ?2 WHERE body = ?1",
            rusqlite::params![question, now - 25 * 3600 * 1000],
        )
        .unwrap();
    assert_eq!(moved, 1);
    let before = messages(&admin, cid).len();

    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/messages"),
        Some(json!({"body": "Sí, hasta las 21h"})),
    );
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["error"]["code"], "reply_window_closed");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("24 hours"),
        "{v}"
    );
    assert_eq!(messages(&admin, cid).len(), before, "nothing stored");

    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({"channels.whatsapp.templates": [
            {"name": "store_hours", "language": "es", "text": "Hola {{1}}, abrimos de {{2}}."}]})),
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/template"),
        Some(json!({"name": "store_hours", "language": "es", "parameters": ["Ana", "9h a 21h"]})),
    );
    assert_eq!(st, 201, "{v}");
    let call = fake.wait_for(30, |c| c.path().ends_with("/messages"));
    assert_eq!(call.path(), format!("/v25.0/{PHONE_ID}/messages"));
    assert_eq!(
        call.json(),
        json!({"messaging_product": "whatsapp", "recipient_type": "individual",
               "to": "16505551234", "type": "template",
               "template": {"name": "store_hours", "language": {"code": "es"},
                            "components": [{"type": "body", "parameters": [
                                {"type": "text", "text": "Ana"}, {"type": "text", "text": "9h a 21h"}]}]}})
    );
    assert_eq!(sends(&fake).len(), 1, "the refused text never left");
}

#[test]
fn support_board_whatsapp_send_message_and_template() {
    let (server, admin, token) = start();
    let fake = graph();
    configure(&admin, &format!("{}/v25.0", fake.base()));
    let r = succeed(
        &server,
        &token,
        &[
            ("function", "whatsapp-send-message"),
            ("to", "+39321305455"),
            ("message", "Ciao! Il tuo ordine è pronto 📦"),
            ("phone_id", "555000111"),
        ],
    );
    assert_eq!(r["messages"][0]["id"], "wamid.OUT1", "{r}");
    let call = fake.wait_for(30, |c| c.path().ends_with("/messages"));
    assert_eq!(call.path(), "/v25.0/555000111/messages");
    let b = call.json();
    assert_eq!(
        (b["to"].as_str(), b["type"].as_str()),
        (Some("+39321305455"), Some("text"))
    );
    assert_eq!(b["text"]["body"], "Ciao! Il tuo ordine è pronto 📦");

    let r = succeed(
        &server,
        &token,
        &[
            ("function", "whatsapp-send-template"),
            ("to", "+39321305455"),
            ("template_name", "order_update"),
            ("template_languages", "it,en_US"),
            (
                "parameters",
                r#"["Ordine 42", "Giulia,martedì", "track/42"]"#,
            ),
        ],
    );
    assert_eq!(r["messages"][0]["id"], "wamid.OUT2", "{r}");
    let calls = sends(&fake);
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].path(), format!("/v25.0/{PHONE_ID}/messages"));
    assert_eq!(
        calls[1].json()["template"],
        json!({"name": "order_update", "language": {"code": "it"}, "components": [
            {"type": "header", "parameters": [{"type": "text", "text": "Ordine 42"}]},
            {"type": "body", "parameters": [{"type": "text", "text": "Giulia"}, {"type": "text", "text": "martedì"}]},
            {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "track/42"}]}]})
    );
}
