//! Text messages (issue 12), as email has them: `send-sms` (the row, the
//! SMS template per language), SMS notifications (`sms.notifications`: a
//! contact who left gets the agent's reply, offline agents with a phone
//! get new conversations), bounded once per conversation and recipient.
//! Twilio's API is a loopback fake.

use super::fake_platform::{Fake, Reply};
use super::harness::{Client, Server};
use super::support_board::sb_with;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const PHONE: &str = "+15305431221";

fn server() -> (Server, Client, String) {
    let s = Server::start_with(&[
        ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1"),
        ("FRONTPORCH_RETRY_BASE_MS", "200"),
    ]);
    let token = s.admin_token();
    let admin = s.client(&token);
    (s, admin, token)
}

/// Twilio answering as its Messages resource does.
fn twilio() -> Fake {
    Fake::start(|c| {
        Reply::json(
            201,
            json!({"sid": "SM1f0e8ae6ade43cb3c0ce4525424e404f", "status": "queued",
                   "to": c.field("To"), "from": "+15104564545", "body": c.field("Body"),
                   "account_sid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"}),
        )
    })
}

fn configure(admin: &Client, fake: &Fake, more: Value) {
    let mut v = json!({"channels.twilio": {
        "account_sid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "auth_token": "twilio-token",
        "from": "+15104564545", "api_base": fake.base()}});
    for (k, x) in more.as_object().unwrap() {
        v[k] = x.clone();
    }
    let (st, r) = admin.call("PUT", "/api/v1/settings", Some(v));
    assert_eq!(st, 200, "{r}");
}

/// The Twilio rows of the delivery log, oldest first.
fn rows(admin: &Client) -> Vec<Value> {
    let mut d: Vec<Value> = admin.get("/api/v1/channels/deliveries")["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["channel"] == "twilio")
        .cloned()
        .collect();
    d.reverse();
    d
}

fn wait_rows(admin: &Client, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let r = rows(admin);
        if pred(&r) {
            return r;
        }
        assert!(Instant::now() < deadline, "rows: {r:#?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn sms_settings_are_checked() {
    let (_s, admin, _) = server();
    for bad in [
        json!({"sms.templates": {"default": {"user": {"subject": "x"}}}}),
        json!({"sms.templates": {"default": {"user": {"body": "x".repeat(1601)}}}}),
        json!({"sms.notifications": {"contacts": "yes"}}),
        json!({"sms.notifications": {"every_minutes": 100000}}),
    ] {
        let (st, v) = admin.call("PUT", "/api/v1/settings", Some(bad.clone()));
        assert_eq!(st, 400, "{bad}: {v}");
        let code = v["error"]["code"].as_str().unwrap();
        assert!(
            ["invalid_channel_settings", "too_long"].contains(&code),
            "{v}"
        );
    }
}

#[test]
fn send_sms_queues_a_row_in_the_template() {
    let (s, admin, token) = server();
    let fake = twilio();
    configure(
        &admin,
        &fake,
        json!({"sms.templates": {"default": {"user": {"body": "Frontporch: {message}"}}}}),
    );
    // The answer is Twilio's (or, unreachable, "queued"): here the row.
    sb_with(
        &s,
        &token,
        &[
            ("function", "send-sms"),
            ("to", PHONE),
            ("message", "Hello 👋"),
        ],
    );
    sb_with(
        &s,
        &token,
        &[
            ("function", "send-sms"),
            ("to", PHONE),
            ("message", "Plain"),
            ("template", "false"),
        ],
    );
    let r = wait_rows(&admin, |r| r.len() == 2);
    assert_eq!(r[0]["payload"]["kind"], "api");
    assert_eq!(r[0]["payload"]["to"], PHONE);
    assert_eq!(r[0]["payload"]["text"], "Frontporch: Hello 👋");
    assert_eq!(r[1]["payload"]["text"], "Plain");
    // Missing arguments come first.
    let v = sb_with(&s, &token, &[("function", "send-sms"), ("to", PHONE)]);
    assert_eq!(v["response"], "missing-arguments", "{v}");
}

#[test]
fn a_contact_who_left_gets_the_reply_by_sms_once_per_window() {
    let (s, admin, _) = server();
    let fake = twilio();
    configure(
        &admin,
        &fake,
        json!({"sms.notifications": {"contacts": true},
               "sms.templates": {"fr": {"user": {"body": "{agent_name} : {message}"}}}}),
    );
    let agent = s.login(super::harness::ADMIN_EMAIL, super::harness::ADMIN_PASSWORD);
    let u = admin.post(
        "/api/v1/users",
        json!({"type": "user", "first_name": "Cleo", "phone": PHONE, "language": "fr"}),
    );
    let uid = u["user"]["id"].as_i64().unwrap();
    let c = admin.post(
        "/api/v1/conversations",
        json!({"user_id": uid, "title": "Order 7"}),
    );
    let cid = c["conversation"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/conversations/{cid}/messages");
    agent.post(&path, json!({"body": "Votre colis est parti 📦"}));
    agent.post(&path, json!({"body": "Suivi : 123"}));
    agent.post(&path, json!({"body": "note", "private": true}));
    let r = wait_rows(&admin, |r| !r.is_empty());
    std::thread::sleep(Duration::from_millis(1500));
    let r = if r.len() == 1 { rows(&admin) } else { r };
    assert_eq!(r.len(), 1, "one per window: {r:#?}");
    let p = &r[0]["payload"];
    assert_eq!(p["kind"], "notification");
    assert_eq!(p["to"], PHONE);
    assert_eq!(p["recipient_id"], uid);
    assert_eq!(p["conversation_id"], cid);
    let text = p["text"].as_str().unwrap();
    assert!(text.ends_with(" : Votre colis est parti 📦"), "{text}");
    // A conversation of a platform (here SMS itself) is answered through
    // it: no notification on top.
    let token = s.admin_token();
    let tx = super::support_board::succeed(
        &s,
        &token,
        &[
            ("function", "new-conversation"),
            ("user_id", &uid.to_string()),
            ("source", "tx"),
        ],
    );
    let tx_id = tx["details"]["id"]
        .as_i64()
        .unwrap_or_else(|| tx["details"]["id"].as_str().unwrap().parse().unwrap());
    agent.post(
        &format!("/api/v1/conversations/{tx_id}/messages"),
        json!({"body": "Par SMS"}),
    );
    let r = wait_rows(&admin, |r| r.len() == 2);
    assert_eq!(r[1]["payload"]["kind"], "reply", "{r:#?}");
    assert_eq!(r[1]["payload"]["text"], "Par SMS");
    assert_eq!(r[1]["payload"]["to"], PHONE, "the contact's phone");
}

#[test]
fn offline_agents_with_a_phone_get_new_conversations() {
    let (s, admin, _) = server();
    let fake = twilio();
    configure(
        &admin,
        &fake,
        json!({"sms.notifications": {"agents": true}, "email.notifications": {"agents": false}}),
    );
    // An agent with a phone (offline: never logged in), one without.
    let a = admin.post(
        "/api/v1/users",
        json!({"type": "agent", "first_name": "Ada", "email": "ada@example.com",
               "phone": "+15104560000", "password": "long enough pw"}),
    );
    assert!(a["user"]["id"].is_i64(), "{a}");
    let (visitor, _) = s.visitor("Tara");
    visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "Is the shop open?"}}),
    );
    let r = wait_rows(&admin, |r| !r.is_empty());
    std::thread::sleep(Duration::from_millis(500));
    let r = if r.len() == 1 { rows(&admin) } else { r };
    assert_eq!(r.len(), 1, "only the agent with a phone: {r:#?}");
    let p = &r[0]["payload"];
    assert_eq!(p["kind"], "notification");
    assert_eq!(p["to"], "+15104560000");
    let text = p["text"].as_str().unwrap();
    assert!(text.contains("Is the shop open?"), "{text}");
    assert!(text.contains("/admin/chat?dialogID="), "{text}");
}

/// An `sms` automation: sent to the user's phone once Twilio is
/// configured; before, a clear `sms-not-configured`.
#[test]
fn sms_automations_text_the_user() {
    let (s, admin, token) = server();
    let u = admin.post(
        "/api/v1/users",
        json!({"type": "user", "first_name": "Cleo", "phone": PHONE}),
    );
    let uid = u["user"]["id"].as_i64().unwrap().to_string();
    let auto =
        json!({"type": "sms", "message": "Hi {user_name}, your cart misses you 🛒"}).to_string();
    let pairs = [
        ("function", "automations-run"),
        ("automation", auto.as_str()),
        ("user_id", uid.as_str()),
    ];
    let v = sb_with(&s, &token, &pairs);
    assert_eq!(v["response"], "sms-not-configured", "{v}");
    let fake = twilio();
    configure(&admin, &fake, json!({}));
    let v = sb_with(&s, &token, &pairs);
    assert_eq!(v["response"], true, "{v}");
    let r = wait_rows(&admin, |r| !r.is_empty());
    assert_eq!(r[0]["payload"]["kind"], "automation");
    assert_eq!(r[0]["payload"]["to"], PHONE);
    assert_eq!(r[0]["payload"]["text"], "Hi Cleo, your cart misses you 🛒");
}
