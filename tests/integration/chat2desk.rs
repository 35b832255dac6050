//! Chat2Desk (issue 14, part B): the external channel's `messages/inbox`
//! (raw `Authorization: <token>`, Chat2Desk's envelope), the conversation
//! in the inbox, an agent's reply out as the `outbox` webhook at a
//! loopback receiver, each hook of the `chat2desk` webhook format fired
//! once with its shape, dedupe by `external_id`, bad input refused with
//! nothing stored, and the reads an integrator needs next.

use crate::harness::*;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One call a receiver got: its headers (lower-case names) and body.
type Call = (BTreeMap<String, String>, String);

/// A loopback webhook receiver answering 200.
struct Receiver {
    got: Arc<Mutex<Vec<Call>>>,
    server: Arc<tiny_http::Server>,
}

impl Receiver {
    fn start() -> Receiver {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let (srv, g) = (server.clone(), got.clone());
        std::thread::spawn(move || {
            for mut rq in srv.incoming_requests() {
                let headers = rq
                    .headers()
                    .iter()
                    .map(|h| {
                        (
                            h.field.as_str().as_str().to_ascii_lowercase(),
                            h.value.to_string(),
                        )
                    })
                    .collect();
                let mut body = String::new();
                rq.as_reader().read_to_string(&mut body).unwrap();
                g.lock().unwrap().push((headers, body));
                let _ = rq.respond(tiny_http::Response::from_string("ok"));
            }
        });
        Receiver { got, server }
    }
    fn url(&self) -> String {
        format!(
            "http://127.0.0.1:{}/c2d",
            self.server.server_addr().to_ip().unwrap().port()
        )
    }
    /// The bodies received so far, parsed.
    fn bodies(&self) -> Vec<Value> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|(_, b)| serde_json::from_str(b).unwrap())
            .collect()
    }
    /// Waits (generously) until a body with `hook_type` = `hook` arrived.
    fn wait_for(&self, hook: &str, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got: Vec<Value> = self
                .bodies()
                .into_iter()
                .filter(|b| b["hook_type"] == hook)
                .collect();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

/// A request with Chat2Desk's raw `Authorization: <token>`.
fn c2d(s: &Server, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let (st, _, text) = s.anon().raw(
        method,
        path,
        body.map(|b| b.to_string()),
        &[("authorization", token)],
    );
    (
        st,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

const HOOKS: &[&str] = &[
    "inbox",
    "outbox",
    "new_client",
    "new_request",
    "close_dialog",
    "dialog_transferred",
    "client_updated",
    "add_tag_to_client",
    "add_tag_to_request",
];

fn counts(r: &Receiver) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for b in r.bodies() {
        *m.entry(b["hook_type"].as_str().unwrap_or("?").to_string())
            .or_insert(0) += 1;
    }
    m
}

#[test]
fn inbox_reply_outbox_and_every_hook_once() {
    let s = Server::start_with(&[("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1")]);
    let token = s.admin_token();
    let admin = s.client(&token);
    let agent = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let me = agent.get("/api/v1/me")["user"]["id"].as_i64().unwrap();
    let rx = Receiver::start();
    let events = [HOOKS, &["delete_tag_from_client"]].concat();
    let (st, w) = admin.call(
        "POST",
        "/api/v1/webhooks",
        Some(json!({ "url": rx.url(), "events": events, "format": "chat2desk" })),
    );
    assert_eq!(st, 201, "{w}");
    let secret = w["webhook"]["secret"].as_str().unwrap().to_string();
    // Chat2Desk's names only.
    let (st, _) = admin.call(
        "POST",
        "/api/v1/webhooks",
        Some(json!({ "url": rx.url(), "events": ["message.created"], "format": "chat2desk" })),
    );
    assert_eq!(st, 400);
    // Nor by a later change of its subscriptions.
    let id = w["webhook"]["id"].as_i64().unwrap();
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/webhooks/{id}"),
        Some(json!({ "events": ["message.created"] })),
    );
    assert_eq!(st, 400, "{v}");

    // A new client's message, as real clients nest it (`from_client`, `body`).
    let msg = json!({ "channel_id": 12345, "body": "Hello, I need help",
        "from_client": { "id": "ext-user-42", "nickname": "Peter" }, "external_id": "my-msg-1" });
    let (st, v) = c2d(&s, &token, "POST", "/v1/messages/inbox", Some(msg.clone()));
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["status"], "success");
    let d = &v["data"];
    let (mid, client, cid) = (
        d["message_id"].as_i64().unwrap(),
        d["client_id"].as_i64().unwrap(),
        d["dialog_id"].as_i64().unwrap(),
    );
    assert_eq!(d["request_id"], cid);
    assert_eq!(
        (
            d["channel_id"].clone(),
            d["transport"].clone(),
            d["type"].clone()
        ),
        (json!(1), json!("external"), json!("from_client"))
    );

    // The same external id again: the first one's ids, nothing stored.
    let (st, again) = c2d(&s, &token, "POST", "/v1/messages/inbox", Some(msg));
    assert_eq!(st, 200, "{again}");
    assert_eq!(again["data"]["message_id"], mid);
    assert_eq!(message_bodies(&admin, cid).len(), 1);

    // It is in the inbox, from the new contact, on the Chat2Desk channel.
    let list = admin.get("/api/v1/conversations");
    let row = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == cid)
        .expect("the request is in the inbox")
        .clone();
    assert_eq!(row["source"], "c2d");
    assert_eq!(row["user_id"], client);
    let contact = admin.get(&format!("/api/v1/users/{client}"))["user"].clone();
    assert_eq!(contact["name"], "Peter");

    // The client's first message: `inbox` with the exact field list.
    let inbox = rx.wait_for("inbox", 1);
    assert_eq!(inbox.len(), 1, "{:?}", rx.bodies());
    let b = &inbox[0];
    let keys: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "message_id",
            "type",
            "text",
            "transport",
            "client_id",
            "operator_id",
            "dialog_id",
            "channel_id",
            "photo",
            "coordinates",
            "audio",
            "pdf",
            "client",
            "request_id",
            "attachments",
            "is_new_request",
            "is_new_client",
            "extra_data",
            "hook_type",
            "event_time"
        ]
    );
    assert_eq!(b["message_id"], mid);
    assert_eq!(b["text"], "Hello, I need help");
    assert_eq!(b["transport"], "external");
    assert_eq!(b["client"]["phone"], "[external] ext-user-42");
    assert_eq!(b["client"]["name"], "Peter");
    assert_eq!(
        (b["is_new_client"].clone(), b["is_new_request"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(b["extra_data"], json!({ "external_id": "my-msg-1" }));

    // An agent's reply through REST goes out as `outbox`, for the integrator.
    let reply = agent.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({ "body": "Hi Peter, how can I help?" }),
    );
    let reply_id = reply["message"]["id"].as_i64().unwrap();
    let outbox = rx.wait_for("outbox", 1);
    assert_eq!(outbox.len(), 1, "{:?}", rx.bodies());
    let o = &outbox[0];
    let mut expected = json!({
        "message_id": reply_id, "type": "to_client", "text": "Hi Peter, how can I help?",
        "transport": "external", "client_id": client, "operator_id": me, "dialog_id": cid,
        "channel_id": 1, "photo": null, "coordinates": null, "audio": null, "pdf": null,
        "client": { "id": client, "phone": "[external] ext-user-42", "client_phone": null,
            "name": "Peter", "assigned_name": null, "external_id": null },
        "hook_type": "outbox", "request_id": cid, "attachments": [],
        "is_new_request": false, "is_new_client": false, "extra_data": {},
    });
    expected["event_time"] = o["event_time"].clone();
    assert_eq!(o, &expected);
    let t = o["event_time"].as_str().unwrap();
    assert!(t.len() == 20 && t.ends_with('Z'), "{t}");
    // Signed the Standard Webhooks way.
    let (headers, raw) = rx
        .got
        .lock()
        .unwrap()
        .iter()
        .find(|(_, b)| b.contains("\"outbox\""))
        .cloned()
        .unwrap();
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(
        format!(
            "{}.{}.{raw}",
            headers["webhook-id"], headers["webhook-timestamp"]
        )
        .as_bytes(),
    );
    let sig = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    assert_eq!(headers["webhook-signature"], sig);

    // A second message continues the same request.
    let (st, v) = c2d(
        &s,
        &token,
        "POST",
        "/v1/messages/inbox",
        Some(
            json!({ "id": "ext-user-42", "text": "Thanks", "image": "https://cdn.example.com/p.jpg" }),
        ),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (
            v["data"]["dialog_id"].clone(),
            v["data"]["client_id"].clone()
        ),
        (json!(cid), json!(client))
    );
    let second = rx.wait_for("inbox", 2);
    assert_eq!(second[1]["is_new_request"], false);
    assert_eq!(second[1]["text"], "Thanks\nhttps://cdn.example.com/p.jpg");

    // client_updated, tags on the client and the request, a transfer, close.
    let (st, v) = c2d(
        &s,
        &token,
        "PUT",
        &format!("/v1/clients/{client}"),
        Some(json!({ "nickname": "Peter Smith", "comment": "VIP buyer" })),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["data"]["name"], "Peter Smith");
    assert_eq!(v["data"]["comment"], "VIP buyer");
    let tag = admin.post(
        "/api/v1/tags",
        json!({ "label": "VIP", "bg_color": "#ff0000", "text_color": "#ffffff" }),
    )["tag"]["id"]
        .as_i64()
        .unwrap();
    for (t, id) in [("client", client), ("request", cid)] {
        let (st, v) = c2d(
            &s,
            &token,
            "POST",
            "/v1/tags/assign_to",
            Some(json!({ "tag_ids": [tag], "assignee_type": t, "assignee_id": id })),
        );
        assert_eq!(st, 200, "{v}");
    }
    let (st, v) = c2d(&s, &token, "GET", &format!("/v1/clients/{client}"), None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["data"]["tags"][0]["label"], "VIP");
    let (st, v) = c2d(
        &s,
        &token,
        "DELETE",
        &format!("/v1/tags/{tag}/delete_from"),
        Some(json!({ "client_id": client })),
    );
    assert_eq!((st, v["data"]["removed"].clone()), (200, json!(1)), "{v}");
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/conversations/{cid}"),
        Some(json!({ "agent_id": me })),
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = c2d(
        &s,
        &token,
        "PUT",
        "/v1/requests/close",
        Some(json!({ "request_id": cid })),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["data"]["closed"], json!([cid]));

    for h in &HOOKS[2..] {
        assert_eq!(rx.wait_for(h, 1).len(), 1, "{h}: {:?}", rx.bodies());
    }
    let updated = &rx.wait_for("client_updated", 1)[0];
    assert_eq!(updated["id"], client);
    assert_eq!(updated["name"], "Peter Smith");
    assert_eq!(
        updated["channels"],
        json!([{ "id": 1, "transports": ["external"] }])
    );
    let new_client = &rx.wait_for("new_client", 1)[0];
    assert_eq!(
        (new_client["id"].clone(), new_client["name"].clone()),
        (json!(client), json!("Peter"))
    );
    let new_request = &rx.wait_for("new_request", 1)[0];
    assert_eq!(
        (
            new_request["dialog_id"].clone(),
            new_request["request_id"].clone(),
            new_request["client_id"].clone()
        ),
        (json!(cid), json!(cid), json!(client))
    );
    let on_client = &rx.wait_for("add_tag_to_client", 1)[0];
    assert_eq!(
        (on_client["id"].clone(), on_client["client_id"].clone()),
        (json!(tag), json!(client))
    );
    assert_eq!(
        (on_client["label"].clone(), on_client["bg_color"].clone()),
        (json!("VIP"), json!("#ff0000"))
    );
    let on_request = &rx.wait_for("add_tag_to_request", 1)[0];
    assert_eq!(
        (on_request["id"].clone(), on_request["request_id"].clone()),
        (json!(tag), json!(cid))
    );
    let moved = &rx.wait_for("dialog_transferred", 1)[0];
    assert_eq!(
        (moved["dialog_id"].clone(), moved["operator_id"].clone()),
        (json!(cid), json!(me))
    );
    let closed = &rx.wait_for("close_dialog", 1)[0];
    assert_eq!(
        (closed["dialog_id"].clone(), closed["client_id"].clone()),
        (json!(cid), json!(client))
    );

    // Each once (two client messages: two `inbox`): nothing more arrives.
    std::thread::sleep(Duration::from_millis(1500));
    let mut want: BTreeMap<String, usize> = HOOKS.iter().map(|h| (h.to_string(), 1)).collect();
    want.insert("inbox".into(), 2);
    want.insert("delete_tag_from_client".into(), 1);
    assert_eq!(counts(&rx), want);

    // The messages read back in Chat2Desk's shape, newest first.
    let (st, v) = c2d(
        &s,
        &token,
        "GET",
        &format!("/v1/messages?dialog_id={cid}&limit=2"),
        None,
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["meta"]["total"], 3);
    assert_eq!(v["data"][0]["type"], "from_client");
    assert_eq!(v["data"][1]["type"], "to_client");
    assert_eq!(v["data"][1]["operator_id"], me);
    let (st, v) = c2d(&s, &token, "GET", "/v1/tags", None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["data"][0]["label"], "VIP");
}

#[test]
fn bad_input_is_refused_and_stores_nothing() {
    let s = Server::start();
    let token = s.admin_token();
    let admin = s.client(&token);
    let users = || {
        admin.get("/api/v1/users?limit=200")["users"]
            .as_array()
            .unwrap()
            .len()
    };
    let conversations = || {
        admin.get("/api/v1/conversations?limit=100")["conversations"]
            .as_array()
            .unwrap()
            .len()
    };
    let (u0, c0) = (users(), conversations());
    for (bad, code) in [
        (
            json!({ "id": "a", "phone": "79001234567", "text": "hi" }),
            "c2d_client",
        ),
        (
            json!({ "from_client": { "id": "a" }, "phone": "79001234567", "body": "hi" }),
            "c2d_client",
        ),
        (json!({ "text": "hi" }), "c2d_client"),
        (
            json!({ "from_client": { "nickname": "x" }, "body": "hi" }),
            "c2d_client",
        ),
        (json!({ "id": "a", "text": "  " }), "empty_message"),
        (json!({ "id": "a" }), "empty_message"),
        (
            json!({ "id": "a", "text": "hi", "image": "javascript:alert(1)" }),
            "invalid_url",
        ),
        (
            json!({ "id": "a", "text": "hi", "surprise": 1 }),
            "invalid_field",
        ),
    ] {
        let (st, v) = c2d(&s, &token, "POST", "/v1/messages/inbox", Some(bad.clone()));
        assert_eq!(st, 400, "{bad}: {v}");
        assert_eq!(
            (v["status"].clone(), v["code"].clone()),
            (json!("error"), json!(code)),
            "{bad}"
        );
        assert!(v["message"].is_string() && v["errors"].is_object(), "{v}");
    }
    // A bad token, or none: 401 in the envelope.
    let ok = json!({ "id": "a", "text": "hi" });
    let (st, v) = c2d(
        &s,
        "not-a-token",
        "POST",
        "/v1/messages/inbox",
        Some(ok.clone()),
    );
    assert_eq!((st, v["status"].clone()), (401, json!("error")), "{v}");
    let (st, _, _) = s
        .anon()
        .raw("POST", "/v1/messages/inbox", Some(ok.to_string()), &[]);
    assert_eq!(st, 401);
    assert_eq!((users(), conversations()), (u0, c0), "nothing stored");

    // `Bearer <token>` is tolerated; a phone names the client too.
    let (st, v) = c2d(
        &s,
        &format!("Bearer {token}"),
        "POST",
        "/v1/messages/inbox",
        Some(json!({ "phone": "+7 900 123-45-67", "nickname": "Ann", "text": "hi" })),
    );
    assert_eq!(st, 200, "{v}");
    let client = v["data"]["client_id"].as_i64().unwrap();
    let (st, v) = c2d(&s, &token, "GET", &format!("/v1/clients/{client}"), None);
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (v["data"]["phone"].clone(), v["data"]["name"].clone()),
        (json!("79001234567"), json!("Ann"))
    );
    // A blocked contact's message is dropped, as every channel drops it.
    let conv = admin.get(&format!("/api/v1/conversations?user_id={client}"))["conversations"][0]
        ["id"]
        .as_i64()
        .unwrap();
    let (st, b) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{conv}/commands"),
        Some(json!({ "text": "/block spam", "meta": {} })),
    );
    assert_eq!(st, 201, "{b}");
    let before = message_bodies(&admin, conv);
    let (st, v) = c2d(
        &s,
        &token,
        "POST",
        "/v1/messages/inbox",
        Some(json!({ "phone": "79001234567", "text": "let me in" })),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["data"]["message_id"], Value::Null);
    assert_eq!(message_bodies(&admin, conv), before);

    // Staff are not clients; ids out of scope are 404 in the envelope.
    let me = admin.get("/api/v1/me")["user"]["id"].as_i64().unwrap();
    for path in [
        format!("/v1/clients/{me}"),
        "/v1/clients/abc".to_string(),
        "/v1/clients/999999".to_string(),
    ] {
        let (st, v) = c2d(&s, &token, "GET", &path, None);
        assert_eq!(
            (st, v["status"].clone()),
            (404, json!("error")),
            "{path}: {v}"
        );
    }
}

/// A reply in a Chat2Desk conversation leaves only by the `outbox`
/// webhook: not by a touchpoint (email here), and no "you have a reply"
/// email beside it, though the contact has an address and SMTP is set.
#[test]
fn a_reply_to_a_chat2desk_client_is_queued_nowhere_else() {
    let s = Server::start();
    let token = s.admin_token();
    let admin = s.client(&token);
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(
            json!({ "email.smtp": { "host": "127.0.0.1", "port": 9, "security": "none",
                "username": "", "password": "", "from_address": "support@frontporch.test",
                "from_name": "Support" },
            "email.notifications": { "agents": false, "contacts": true, "every_minutes": 0 } }),
        ),
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = c2d(
        &s,
        &token,
        "POST",
        "/v1/messages/inbox",
        Some(json!({ "id": "crm-7", "nickname": "Zoe", "text": "Where is my order?" })),
    );
    assert_eq!(st, 200, "{v}");
    let (client, cid) = (
        v["data"]["client_id"].as_i64().unwrap(),
        v["data"]["dialog_id"].as_i64().unwrap(),
    );
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/users/{client}"),
        Some(json!({ "email": "zoe@example.com" })),
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/conversations/{cid}"),
        Some(json!({ "extra": { "_touchpoint": "email" } })),
    );
    assert_eq!(st, 200, "{v}");
    let agent = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    agent.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({ "body": "It ships tomorrow" }),
    );
    let queued = admin.get("/api/v1/email/deliveries")["deliveries"].clone();
    assert_eq!(queued, json!([]), "nothing leaves by email");
}
