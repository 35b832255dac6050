//! Webhooks: signed Standard Webhooks deliveries, retries across a receiver
//! outage and a server crash, 410 disabling, replay, the private-address guard.

use crate::harness::*;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

/// A webhook receiver on loopback answering `status` to everything.
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    server: Arc<tiny_http::Server>,
}

impl Receiver {
    fn start(addr: &str, status: u16) -> Receiver {
        let server = Arc::new(tiny_http::Server::http(addr).unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let (srv, g) = (server.clone(), got.clone());
        std::thread::spawn(move || {
            for mut rq in srv.incoming_requests() {
                let h = |n: &'static str| {
                    rq.headers()
                        .iter()
                        .find(|x| x.field.equiv(n))
                        .map(|x| x.value.to_string())
                        .unwrap_or_default()
                };
                let (id, timestamp, signature) = (
                    h("webhook-id"),
                    h("webhook-timestamp"),
                    h("webhook-signature"),
                );
                let mut body = String::new();
                rq.as_reader().read_to_string(&mut body).unwrap();
                g.lock().unwrap().push(Received {
                    id,
                    timestamp,
                    signature,
                    body,
                });
                let _ = rq.respond(tiny_http::Response::from_string("ok").with_status_code(status));
            }
        });
        Receiver { got, server }
    }
    fn port(&self) -> u16 {
        self.server.server_addr().to_ip().unwrap().port()
    }
    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
    fn wait_for(&self, n: usize, secs: u64) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if self.received().len() >= n {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.received()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

/// Verifies a delivery the way a receiver would (Standard Webhooks).
fn verify(secret: &str, r: &Received) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", r.id, r.timestamp, r.body).as_bytes());
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    r.signature.split(' ').any(|s| s == expected)
}

const ALLOW: (&str, &str) = ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1");
const FAST_RETRY: (&str, &str) = ("FRONTPORCH_RETRY_BASE_MS", "200");

#[test]
fn receiver_down_then_up_across_a_server_crash_gets_every_event_signed() {
    // Reserve a port, then leave it closed: the receiver is "down".
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut s = Server::start_with(&[ALLOW, FAST_RETRY]);
    let token = s.admin_token();
    let admin = s.client(&token);
    let (st, w) = admin.call(
        "POST",
        "/api/v1/webhooks",
        Some(json!({"url": format!("http://127.0.0.1:{port}/hook"), "events": ["message.*"]})),
    );
    assert_eq!(st, 201, "{w}");
    let secret = w["webhook"]["secret"].as_str().unwrap().to_string();
    let wid = w["webhook"]["id"].as_i64().unwrap();
    assert!(secret.starts_with("whsec_"));
    assert!(
        !admin.get("/api/v1/webhooks").to_string().contains(&secret),
        "secret must not be listed"
    );

    let (visitor, _) = s.visitor("Hook");
    let cid = visitor.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();
    for i in 0..5 {
        admin.post(
            &format!("/api/v1/conversations/{cid}/messages"),
            json!({"body": format!("hook {i}")}),
        );
    }
    // Let some attempts fail, then crash the server.
    std::thread::sleep(Duration::from_millis(700));
    let log = admin.get(&format!("/api/v1/webhooks/{wid}/deliveries"));
    assert_eq!(log["deliveries"].as_array().unwrap().len(), 5);
    assert!(log["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["state"] == "pending"));
    s.kill_and_restart();
    let admin = s.client(&token);
    // The receiver comes up; retries after the restart deliver everything.
    let rx = Receiver::start(&format!("127.0.0.1:{port}"), 200);
    let got = rx.wait_for(5, 30);
    let mut by_body: BTreeMap<String, Received> = BTreeMap::new();
    for r in &got {
        assert!(verify(&secret, r), "bad signature on {r:?}");
        let v: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(v["type"], "message.created");
        by_body.insert(
            v["data"]["data"]["message"]["body"]
                .as_str()
                .unwrap()
                .to_string(),
            r.clone(),
        );
    }
    let want: Vec<String> = (0..5).map(|i| format!("hook {i}")).collect();
    assert_eq!(by_body.keys().cloned().collect::<Vec<_>>(), want);
    // Delivery log: delivered, with the failed attempts recorded.
    std::thread::sleep(Duration::from_millis(300));
    let log = admin.get(&format!("/api/v1/webhooks/{wid}/deliveries"));
    let first = &log["deliveries"].as_array().unwrap()[0];
    assert_eq!(first["state"], "delivered");
    assert!(first["attempts"].as_i64().unwrap() >= 2, "{first}");
    let did = first["id"].as_i64().unwrap();
    let detail = admin.get(&format!("/api/v1/deliveries/{did}"));
    let attempts = detail["delivery"]["attempt_log"].as_array().unwrap();
    assert!(attempts[0]["status_code"].is_null() && attempts[0]["error"].is_string());
    assert_eq!(attempts.last().unwrap()["status_code"], 200);

    // Replay sends it again with the same webhook-id.
    let before = rx.received().len();
    let (st, _) = admin.call("POST", &format!("/api/v1/deliveries/{did}/replay"), None);
    assert_eq!(st, 202);
    let got = rx.wait_for(before + 1, 10);
    let replayed = got.last().unwrap();
    assert_eq!(replayed.id, format!("msg_{did}"));
    assert!(verify(&secret, replayed));
    assert_eq!(got.iter().filter(|r| r.id == replayed.id).count(), 2);
}

#[test]
fn gone_disables_the_endpoint_and_filters_apply() {
    let s = Server::start_with(&[ALLOW, FAST_RETRY]);
    let admin = s.client(&s.admin_token());
    let gone = Receiver::start("127.0.0.1:0", 410);
    let ok = Receiver::start("127.0.0.1:0", 204);
    let w1 = admin.post(
        "/api/v1/webhooks",
        json!({"url": format!("http://127.0.0.1:{}/", gone.port())}),
    );
    let w2 = admin.post("/api/v1/webhooks", json!({"url": format!("http://127.0.0.1:{}/", ok.port()), "events": ["conversation.created"]}));
    let (visitor, _) = s.visitor("G");
    visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hello"}}),
    );
    gone.wait_for(1, 10);
    let got = ok.wait_for(1, 10);
    std::thread::sleep(Duration::from_millis(500));
    // Only the subscribed kind reached the filtered endpoint.
    assert!(got
        .iter()
        .all(|r| r.body.contains("\"type\":\"conversation.created\"")));
    assert_eq!(ok.received().len(), 1);
    let list = admin.get("/api/v1/webhooks");
    let find = |id: &Value| {
        list["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["id"] == *id)
            .unwrap()
            .clone()
    };
    let g = find(&w1["webhook"]["id"]);
    assert_eq!(g["active"], false);
    assert!(g["disabled_reason"].as_str().unwrap().contains("410"));
    assert_eq!(find(&w2["webhook"]["id"])["active"], true);
    // No more attempts at the disabled endpoint.
    let n = gone.received().len();
    visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "again"}}),
    );
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(gone.received().len(), n);
}

#[test]
fn private_addresses_are_refused_unless_allowed() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    for url in [
        "http://127.0.0.1:9/x",
        "http://localhost/x",
        "http://10.0.0.5/",
        "http://169.254.169.254/latest",
        "http://[::1]/",
    ] {
        let (st, v) = admin.call("POST", "/api/v1/webhooks", Some(json!({"url": url})));
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (400, Some("private_address")),
            "{url}"
        );
    }
    let (st, v) = admin.call(
        "POST",
        "/api/v1/webhooks",
        Some(json!({"url": "ftp://example.com/"})),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("invalid_url"))
    );
    assert_eq!(admin.get("/api/v1/webhooks")["webhooks"], json!([]));
}

#[test]
fn support_board_format_webhooks_carry_the_documented_bodies() {
    let s = Server::start_with(&[
        ALLOW,
        FAST_RETRY,
        ("FRONTPORCH_PUBLIC_URL", "https://chat.example.com"),
    ]);
    let admin = s.client(&s.admin_token());
    let rx = Receiver::start("127.0.0.1:0", 200);
    let (st, w) = admin.call(
        "POST",
        "/api/v1/webhooks",
        Some(json!({"url": format!("http://127.0.0.1:{}/sb", rx.port()), "format": "support_board", "secret": "my-key",
                    "events": ["message-sent", "new-conversation-created", "conversation-status-updated", "user-deleted"]})),
    );
    assert_eq!(st, 201, "{w}");
    assert_eq!(admin.call("POST", "/api/v1/webhooks", Some(json!({"url": "http://127.0.0.1:9/", "format": "support_board", "events": ["no-such-hook"]}))).0, 400);

    let (visitor, vid) = s.visitor("Don");
    let c = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "Hello! How are you?"}}),
    );
    let cid = c["conversation"]["id"].as_i64().unwrap();
    let mid = c["message"]["id"].as_i64().unwrap();
    admin.call(
        "PATCH",
        &format!("/api/v1/conversations/{cid}"),
        Some(json!({"status": 3})),
    );
    admin.call("DELETE", &format!("/api/v1/users/{vid}"), None);
    let got = rx.wait_for(4, 15);
    let bodies: Vec<Value> = got
        .iter()
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    let find = |f: &str| {
        bodies
            .iter()
            .find(|b| b["function"] == f)
            .unwrap_or_else(|| panic!("no {f} in {bodies:?}"))
            .clone()
    };
    let sent = find("message-sent");
    assert_eq!(sent["key"], "my-key");
    assert_eq!(sent["sender-url"], "https://chat.example.com");
    assert_eq!(
        sent["data"],
        json!({"user_id": vid.to_string(), "conversation_user_id": vid.to_string(), "conversation_id": cid.to_string(),
        "conversation_status": "-1", "message_id": mid.to_string(), "message": "Hello! How are you?"})
    );
    let created = find("new-conversation-created");
    assert_eq!(created["data"]["details"]["id"], cid.to_string());
    assert_eq!(created["data"]["details"]["first_name"], "Don");
    assert_eq!(
        find("conversation-status-updated")["data"],
        json!({"conversation_id": cid.to_string(), "status_code": "3"})
    );
    assert_eq!(find("user-deleted")["data"], vid.to_string());
}

#[test]
fn support_board_webhooks_for_contacts_bots_logins_and_forms() {
    use crate::support_board::succeed;
    let s = Server::start_with(&[ALLOW, FAST_RETRY]);
    let token = s.admin_token();
    let admin = s.client(&token);
    let rx = Receiver::start("127.0.0.1:0", 200);
    let (st, w) = admin.call(
        "POST",
        "/api/v1/webhooks",
        Some(json!({"url": format!("http://127.0.0.1:{}/sb", rx.port()), "format": "support_board", "secret": "k2", "events": ["*"]})),
    );
    assert_eq!(st, 201, "{w}");

    // A visitor fills in the pre-chat form and writes.
    let (st, v) = s.anon().call(
        "POST",
        "/api/v1/widget/session",
        Some(json!({"first_name": "Don", "last_name": "John", "email": "don@example.com", "custom": {"site-url": "www.example.com"}})),
    );
    assert_eq!(st, 201, "{v}");
    let vid = v["user"]["id"].as_i64().unwrap();
    let visitor = s.client(v["token"].as_str().unwrap());
    let c = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "Hello! How are you?"}}),
    );
    let cid = c["conversation"]["id"].as_i64().unwrap();
    // The bot answers (an API token acting for nobody speaks as the bot).
    let bot_mid = admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({"body": "Hi! How are you doing?"}),
    )["message"]["id"]
        .as_i64()
        .unwrap();
    // A deleted message.
    let typo = admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({"body": "typo"}),
    )["message"]["id"]
        .as_i64()
        .unwrap();
    let (st, _) = admin.call(
        "DELETE",
        &format!("/api/v1/conversations/{cid}/messages/{typo}"),
        None,
    );
    assert_eq!(st, 204);
    // A registered user, and a contact login.
    let uid = succeed(
        &s,
        &token,
        &[
            ("function", "add-user"),
            ("first_name", "Reg"),
            ("email", "reg@example.com"),
            ("user_type", "user"),
            ("extra[phone][0]", "+02123456789"),
            ("extra[phone][1]", "Phone"),
        ],
    )
    .as_i64()
    .unwrap();
    succeed(
        &s,
        &token,
        &[("function", "login"), ("user_id", &uid.to_string())],
    );

    let names = [
        "rich-message",
        "new-email-address",
        "new-conversation-created",
        "new-conversation-received",
        "new-messages-received",
        "bot-message",
        "registration",
        "login",
        "message-deleted",
    ];
    let deadline = Instant::now() + Duration::from_secs(15);
    let bodies = loop {
        let bodies: Vec<Value> = rx
            .received()
            .iter()
            .map(|r| serde_json::from_str(&r.body).unwrap())
            .collect();
        if names
            .iter()
            .all(|n| bodies.iter().any(|b| b["function"] == *n))
            && bodies
                .iter()
                .filter(|b| b["function"] == "message-sent")
                .count()
                >= 3
            || Instant::now() > deadline
        {
            break bodies;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let find = |f: &str| {
        bodies
            .iter()
            .find(|b| b["function"] == f)
            .unwrap_or_else(|| panic!("no {f} in {bodies:?}"))["data"]
            .clone()
    };
    assert_eq!(
        find("rich-message"),
        json!({"result": true, "id": "prechat", "data": {"type": "inputs", "result": {
            "first_name": ["Don", "First name"], "last_name": ["John", "Last name"],
            "email": ["don@example.com", "Email"], "site-url": ["www.example.com", "site-url"]}}})
    );
    assert_eq!(
        find("new-email-address"),
        json!({"name": "Don John", "email": "don@example.com"})
    );
    let received = find("new-messages-received");
    let d = &received[0]["details"];
    assert_eq!(d["user_id"], vid.to_string());
    assert_eq!(d["conversation_id"], cid.to_string());
    assert_eq!(d["message"], "Hello! How are you?");
    assert_eq!(d["full_name"], "Don John");
    assert_eq!(d["user_type"], "lead");
    assert_eq!(d["creation_time"].as_str().unwrap().len(), 19);
    // Two bot messages were posted (the answer and the typo), and up to two
    // deliveries run at once per endpoint: pick the answer's by its text.
    let bot = bodies
        .iter()
        .find(|b| {
            b["function"] == "bot-message" && b["data"]["message"] == "Hi! How are you doing?"
        })
        .unwrap_or_else(|| panic!("no bot-message for the answer in {bodies:?}"))["data"]
        .clone();
    assert_eq!(bot["conversation_id"], cid);
    assert_eq!(
        bot["response"]["messages"],
        json!([{"message": "Hi! How are you doing?"}])
    );
    assert_eq!(
        find("new-conversation-received")["details"]["id"],
        cid.to_string()
    );
    let reg = find("registration");
    assert_eq!(reg["user"]["first_name"], json!(["Reg", "First name"]));
    assert_eq!(reg["user"]["email"], json!(["reg@example.com", "Email"]));
    assert_eq!(reg["extra"]["phone"], json!(["+02123456789", "Phone"]));
    assert!(reg["user"].get("password").is_none());
    let login = find("login");
    assert_eq!(login["details"]["id"], uid.to_string());
    assert_eq!(login["details"]["email"], "reg@example.com");
    assert_eq!(find("message-deleted"), typo.to_string());
    assert_ne!(typo, bot_mid);
    // Each delivery is counted once: one registration, two bot messages.
    let count = |f: &str| bodies.iter().filter(|b| b["function"] == f).count();
    assert_eq!((count("registration"), count("bot-message")), (1, 2));
    assert_eq!(count("message-sent"), 3, "every message is a sent one");
}
