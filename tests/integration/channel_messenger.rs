//! Messenger and Instagram end to end (issue 12): page and instagram
//! notifications signed as Meta signs them, echoes left out, deliveries
//! and reads, replies out to a loopback Graph API (RESPONSE, then
//! HUMAN_AGENT once Meta says the 24-hour window closed).

use super::fake_platform::{conversations_of, messages, Call, Fake, Reply};
use super::harness::{Client, Server};
use super::support_board::succeed;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const APP_SECRET: &str = "fb-äpp-secret";
const VERIFY: &str = "fb-verify-7";
const PAGE_TOKEN: &str = "EAAPageToken123";
const PAGE: &str = "1234567890";
const IG: &str = "17841400000000000";

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
        Some(json!({ "channels.messenger": {
            "page_id": PAGE, "page_access_token": PAGE_TOKEN, "app_secret": APP_SECRET,
            "verify_token": VERIFY, "instagram_id": IG, "api_base": api_base } })),
    );
    assert!(st < 300, "{st} {v}");
}

/// `sha256=` + hex HMAC-SHA256(app secret, raw body), computed here.
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

fn post_signed(server: &Server, body: &Value, signature: Option<&str>) -> (u16, String) {
    let raw = body.to_string();
    let good = sign(raw.as_bytes());
    let sig = signature.unwrap_or(&good);
    let (st, _, text) = server.anon().raw(
        "POST",
        "/channels/messenger",
        Some(raw.clone()),
        &[
            ("content-type", "application/json"),
            ("x-hub-signature-256", sig),
        ],
    );
    (st, text)
}

fn post(server: &Server, body: &Value) {
    let (st, text) = post_signed(server, body, None);
    assert_eq!(st, 200, "{text}");
}

fn page(messaging: Value) -> Value {
    json!({"object": "page", "entry": [{"id": PAGE, "time": 1458692752478i64, "messaging": messaging}]})
}

fn instagram(messaging: Value) -> Value {
    json!({"object": "instagram", "entry": [{"id": IG, "time": 1569262486134i64, "messaging": messaging}]})
}

fn fb_text(psid: &str, mid: &str, text: &str) -> Value {
    page(
        json!([{"sender": {"id": psid}, "recipient": {"id": PAGE}, "timestamp": 1458692752478i64,
                 "message": {"mid": mid, "text": text}}]),
    )
}

fn ig_text(igsid: &str, mid: &str, text: &str) -> Value {
    instagram(
        json!([{"sender": {"id": igsid}, "recipient": {"id": IG}, "timestamp": 1569262485349i64,
                      "message": {"mid": mid, "text": text}}]),
    )
}

#[test]
fn page_and_instagram_messages_in_echoes_left_out() {
    let (server, admin, token) = start();
    configure(&admin, "http://127.0.0.1:9");
    // Meta's subscription handshake.
    let (st, _, body) = server.anon().raw(
        "GET",
        &format!(
            "/channels/messenger?hub.mode=subscribe&hub.verify_token={VERIFY}&hub.challenge=987654"
        ),
        None,
        &[],
    );
    assert_eq!((st, body.as_str()), (200, "987654"));
    let (st, _, _) = server.anon().raw(
        "GET",
        "/channels/messenger?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=987654",
        None,
        &[],
    );
    assert_eq!(st, 403);

    let text = "Grüß Gott! Où est ma commande ? 🚚 返品";
    let n = fb_text("PSID-24", "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM", text);
    let (st, body) = post_signed(&server, &n, Some("sha256=deadbeef"));
    assert_eq!(st, 403, "{body}");
    assert!(conversations_of(&admin, "fb").is_empty());

    post(&server, &n);
    post(&server, &n); // Meta redelivers: stored once.
    let fb = conversations_of(&admin, "fb");
    assert_eq!(fb.len(), 1, "{fb:?}");
    assert_eq!(fb[0]["extra"]["page_id"], PAGE);
    let cid = fb[0]["id"].as_i64().unwrap();
    let bodies: Vec<Value> = messages(&admin, cid)
        .iter()
        .map(|m| m["body"].clone())
        .collect();
    assert_eq!(bodies, vec![json!(text)]);

    // Our own message, echoed back: nothing new.
    post(
        &server,
        &page(
            json!([{"sender": {"id": PAGE}, "recipient": {"id": "PSID-24"},
        "timestamp": 1458692752479i64,
        "message": {"is_echo": true, "app_id": 1517776481860111i64, "metadata": "1",
                    "mid": "m_echo", "text": "sent from the page inbox"}}]),
        ),
    );
    assert_eq!(messages(&admin, cid).len(), 1);

    // Instagram, through the same page: its own source and conversation.
    post(
        &server,
        &ig_text(
            "IGSID-5",
            "aWdfZAG1faWQ6MTpJR01lc3NhZA",
            "Привет! Есть размер S? 🙏",
        ),
    );
    let ig = conversations_of(&admin, "ig");
    assert_eq!(ig.len(), 1, "{ig:?}");
    assert_eq!(ig[0]["extra"]["instagram_id"], IG);
    assert_eq!(ig[0]["extra"]["page_id"], PAGE);
    let igc = ig[0]["id"].as_i64().unwrap();
    assert_eq!(
        messages(&admin, igc)[0]["body"],
        "Привет! Есть размер S? 🙏"
    );
    assert_ne!(ig[0]["user_id"], fb[0]["user_id"]);

    // Support Board's get-conversation: the page id messenger-send-message takes.
    for (c, source) in [(cid, "fb"), (igc, "ig")] {
        let sb = succeed(
            &server,
            &token,
            &[
                ("function", "get-conversation"),
                ("conversation_id", &c.to_string()),
            ],
        );
        assert_eq!(
            (
                sb["details"]["source"].as_str(),
                sb["details"]["extra"].as_str()
            ),
            (Some(source), Some(PAGE)),
            "{sb}"
        );
    }
}

/// The Send API: each message a new `m_OUT<n>`; while `closed`, a
/// `RESPONSE` gets Meta's "outside of allowed window" refusal.
fn send_api(closed: Arc<AtomicBool>) -> Fake {
    let n = AtomicUsize::new(0);
    Fake::start(move |c: &Call| {
        if c.header("authorization") != Some(&format!("Bearer {PAGE_TOKEN}")) {
            return Reply::json(
                401,
                json!({"error": {"message": "Invalid OAuth access token", "code": 190}}),
            );
        }
        let b = c.json();
        if closed.load(Ordering::SeqCst) && b["messaging_type"] == "RESPONSE" {
            return Reply::json(
                400,
                json!({"error": {
                "message": "(#10) This message is sent outside of allowed window.",
                "type": "OAuthException", "code": 10, "error_subcode": 2018278, "fbtrace_id": "AbC"}}),
            );
        }
        let i = n.fetch_add(1, Ordering::SeqCst) + 1;
        Reply::json(
            200,
            json!({"recipient_id": b["recipient"]["id"], "message_id": format!("m_OUT{i}")}),
        )
    })
}

fn sends(fake: &Fake) -> Vec<Call> {
    fake.calls()
        .into_iter()
        .filter(|c| c.path().ends_with("/messages"))
        .collect()
}

fn wait_sends(fake: &Fake, n: usize) -> Vec<Call> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let s = sends(fake);
        if s.len() >= n {
            return s;
        }
        assert!(Instant::now() < deadline, "only {} sends: {s:?}", s.len());
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn reply(admin: &Client, cid: i64, body: &str) -> i64 {
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/messages"),
        Some(json!({ "body": body })),
    );
    assert_eq!(st, 201, "{v}");
    v["message"]["id"].as_i64().unwrap()
}

/// Posts `event` until message `mid` of `cid` shows `field`, up to 60 s
/// (the lane records the platform's id just after the API answers).
fn report_until(server: &Server, admin: &Client, cid: i64, mid: i64, event: &Value, field: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        post(server, event);
        let m = messages(admin, cid)
            .into_iter()
            .find(|m| m["id"] == mid)
            .unwrap();
        if m[field] == true {
            return;
        }
        assert!(Instant::now() < deadline, "{field} never showed: {m}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn replies_leave_through_the_page_and_deliveries_and_reads_come_back() {
    let (server, admin, _) = start();
    let closed = Arc::new(AtomicBool::new(false));
    let fake = send_api(closed.clone());
    configure(&admin, &format!("{}/v25.0", fake.base()));
    post(&server, &fb_text("PSID-24", "m_in_1", "Bonjour 👋"));
    let cid = conversations_of(&admin, "fb")[0]["id"].as_i64().unwrap();

    let mid = reply(&admin, cid, "Bonjour ! Votre colis part demain 📦");
    let call = &wait_sends(&fake, 1)[0];
    assert_eq!(
        (call.method.as_str(), call.path()),
        ("POST", format!("/v25.0/{PAGE}/messages").as_str())
    );
    assert_eq!(
        call.header("authorization"),
        Some(format!("Bearer {PAGE_TOKEN}").as_str())
    );
    assert_eq!(
        call.json(),
        json!({"recipient": {"id": "PSID-24"}, "messaging_type": "RESPONSE",
               "message": {"text": "Bonjour ! Votre colis part demain 📦", "metadata": mid.to_string()}})
    );
    // Messenger reports the delivery by mid.
    let delivery = page(
        json!([{"sender": {"id": "PSID-24"}, "recipient": {"id": PAGE},
        "delivery": {"mids": ["m_OUT1"], "watermark": 1458668856253i64}}]),
    );
    report_until(&server, &admin, cid, mid, &delivery, "delivered");

    // Past 24 hours Meta refuses RESPONSE: the reply goes again as a human agent's.
    closed.store(true, Ordering::SeqCst);
    reply(&admin, cid, "Désolé pour l'attente, voici le suivi.");
    let calls = wait_sends(&fake, 3);
    assert_eq!(calls[1].json()["messaging_type"], "RESPONSE");
    let tagged = calls[2].json();
    assert_eq!(
        (tagged["messaging_type"].as_str(), tagged["tag"].as_str()),
        (Some("MESSAGE_TAG"), Some("HUMAN_AGENT"))
    );
    assert_eq!(
        tagged["message"]["text"],
        "Désolé pour l'attente, voici le suivi."
    );
    closed.store(false, Ordering::SeqCst);

    // Instagram: the reply leaves through the same page; its read names the mid.
    post(&server, &ig_text("IGSID-5", "m_ig_in", "Merci 🙏"));
    let igc = conversations_of(&admin, "ig")[0]["id"].as_i64().unwrap();
    let igm = reply(&admin, igc, "Avec plaisir ✨");
    let call = &wait_sends(&fake, 4)[3];
    assert_eq!(call.path(), format!("/v25.0/{PAGE}/messages"));
    let b = call.json();
    assert_eq!(
        (b["recipient"]["id"].as_str(), b["message"]["text"].as_str()),
        (Some("IGSID-5"), Some("Avec plaisir ✨"))
    );
    let read = instagram(
        json!([{"sender": {"id": "IGSID-5"}, "recipient": {"id": IG},
        "timestamp": 1569262486134i64, "read": {"mid": "m_OUT3"}}]),
    );
    report_until(&server, &admin, igc, igm, &read, "read");
}

#[test]
fn support_board_messenger_send_message() {
    let (server, admin, token) = start();
    let fake = send_api(Arc::new(AtomicBool::new(false)));
    configure(&admin, &format!("{}/v25.0", fake.base()));
    let r = succeed(
        &server,
        &token,
        &[
            ("function", "messenger-send-message"),
            ("psid", "89995542233"),
            ("facebook_page_id", "5550001"),
            ("message", "Votre rendez-vous est confirmé ✅"),
            ("metadata", "321"),
        ],
    );
    assert_eq!(
        r,
        json!({"recipient_id": "89995542233", "message_id": "m_OUT1"})
    );
    let call = &wait_sends(&fake, 1)[0];
    assert_eq!(call.path(), "/v25.0/5550001/messages");
    assert_eq!(
        call.json(),
        json!({"recipient": {"id": "89995542233"}, "messaging_type": "RESPONSE",
               "message": {"text": "Votre rendez-vous est confirmé ✅", "metadata": "321"}})
    );
}

/// The smallest JPEG `infer` takes.
const JPEG: &[u8] = &[
    0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0x01, 0x01, 0x00, 0x00, 0x01,
    0x00, 0x01, 0x00, 0x00, 0xff, 0xd9,
];

#[test]
fn an_attachment_is_fetched_from_its_cdn_url_without_the_token() {
    let (server, admin, _) = start();
    let cdn = Fake::start(|c: &Call| match c.path() {
        "/v/t1.15752-9/photo_n.jpg" => Reply::bytes("image/jpeg", JPEG),
        _ => Reply::json(404, json!({})),
    });
    configure(&admin, "http://127.0.0.1:9");
    let url = format!("{}/v/t1.15752-9/photo_n.jpg?_nc_cat=1&oh=x", cdn.base());
    post(
        &server,
        &page(
            json!([{"sender": {"id": "PSID-9"}, "recipient": {"id": PAGE},
        "timestamp": 1458692752480i64,
        "message": {"mid": "m_photo", "text": "Regardez 📷",
                    "attachments": [{"type": "image", "payload": {"url": url}}]}}]),
        ),
    );
    let cid = conversations_of(&admin, "fb")[0]["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let m = loop {
        let m = messages(&admin, cid).remove(0);
        if m["attachments"].as_array().is_some_and(|a| !a.is_empty()) {
            break m;
        }
        assert!(Instant::now() < deadline, "never fetched: {m}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(m["body"], "Regardez 📷");
    assert_eq!(m["attachments"][0]["type"], "image/jpeg");
    let call = &cdn.calls()[0];
    assert_eq!(call.method, "GET");
    assert_eq!(call.url, "/v/t1.15752-9/photo_n.jpg?_nc_cat=1&oh=x");
    assert_eq!(
        call.header("authorization"),
        None,
        "the page token stays with Graph"
    );
}
