//! Review A of issue 14 (TalkJS, Chat2Desk, the embedded inbox): defects
//! found after the merge, each with the test that showed it.

use crate::harness::*;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A loopback webhook receiver answering 200: the bodies it got.
struct Receiver {
    got: Arc<Mutex<Vec<String>>>,
    server: Arc<tiny_http::Server>,
}

impl Receiver {
    fn start() -> Receiver {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let (srv, g) = (server.clone(), got.clone());
        std::thread::spawn(move || {
            for mut rq in srv.incoming_requests() {
                let mut body = String::new();
                rq.as_reader().read_to_string(&mut body).unwrap();
                g.lock().unwrap().push(body);
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
    /// Waits (generously) for `n` bodies with `hook_type` = `hook`.
    fn wait_for(&self, hook: &str, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got: Vec<Value> = self
                .got
                .lock()
                .unwrap()
                .iter()
                .map(|b| serde_json::from_str::<Value>(b).unwrap())
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

/// The number of outbox rows an endpoint has (written in the job of
/// their event, so counted without waiting).
fn rows(admin: &Client, endpoint: i64) -> usize {
    admin.get(&format!("/api/v1/webhooks/{endpoint}/deliveries?limit=200"))["deliveries"]
        .as_array()
        .unwrap()
        .len()
}

/// Chat2Desk creates a client when it first writes: an anonymous widget
/// session is no `new_client`; its first conversation is (beside its
/// `new_request`), once; a client made by the external channel is one at
/// once.
#[test]
fn new_client_fires_when_a_widget_visitor_first_writes_not_for_a_session() {
    let s = Server::start_with(&[("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1")]);
    let token = s.admin_token();
    let admin = s.client(&token);
    let rx = Receiver::start();
    let (st, w) = admin.call(
        "POST",
        "/api/v1/webhooks",
        Some(json!({ "url": rx.url(), "format": "chat2desk", "events": ["new_client", "new_request"] })),
    );
    assert_eq!(st, 201, "{w}");
    let ep = w["webhook"]["id"].as_i64().unwrap();

    let (visitor, vid) = s.visitor("Anna");
    assert_eq!(rows(&admin, ep), 0, "a widget session is not a client yet");

    let (st, v) = visitor.call(
        "POST",
        "/api/v1/widget/conversations",
        Some(json!({ "message": { "body": "hello" } })),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(rows(&admin, ep), 2, "new_request and new_client");
    let nc = rx.wait_for("new_client", 1);
    assert_eq!(nc.len(), 1);
    assert_eq!(nc[0]["id"], vid);
    assert_eq!(nc[0]["name"], "Anna");
    assert_eq!(nc[0]["channels"][0]["id"], 1);
    let nr = rx.wait_for("new_request", 1);
    assert_eq!(nr[0]["client_id"], vid);

    // Its second request is no new client.
    let cid = v["conversation"]["id"].as_i64().unwrap();
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/conversations/{cid}"),
        Some(json!({ "status": 3 })),
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = visitor.call(
        "POST",
        "/api/v1/widget/conversations",
        Some(json!({ "message": { "body": "again" } })),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(rows(&admin, ep), 3, "only its new_request");

    // The external channel's client is one when it first writes.
    let (st, _, v) = s.anon().raw(
        "POST",
        "/v1/messages/inbox",
        Some(
            json!({ "body": "hi", "from_client": { "id": "ext-1", "nickname": "Peter" } })
                .to_string(),
        ),
        &[("authorization", &token)],
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(rows(&admin, ep), 5, "new_client and new_request");
    assert_eq!(rx.wait_for("new_client", 2).len(), 2);

    // A lead the host site knows (its external_id) first writes in a
    // TalkJS conversation: a new client then too.
    let (st, v) = admin.call(
        "POST",
        "/api/v1/users",
        Some(json!({ "first_name": "Lea", "type": "lead", "external_id": "lea-1" })),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(rows(&admin, ep), 5, "a lead is no client yet");
    let lea = v["user"]["id"].as_i64().unwrap();
    let app = admin.get("/api/v1/settings")["settings"]["talkjs.app_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, _, v) = s.anon().raw(
        "PUT",
        &format!("/v1/{app}/conversations/lea-chat"),
        Some(json!({ "participants": ["lea-1"] }).to_string()),
        &[("authorization", &format!("Bearer {token}"))],
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(rows(&admin, ep), 7, "new_client and new_request");
    assert!(rx.wait_for("new_client", 3).iter().any(|b| b["id"] == lea));
}

/// Two identical TalkJS POSTs with one `Idempotency-Key`, sent at once,
/// store one message and answer the same ids (the check and the store
/// are one write job).
#[test]
fn two_posts_with_one_idempotency_key_at_once_store_one_message() {
    let s = Server::start();
    let token = s.admin_token();
    let admin = s.client(&token);
    let app = admin.get("/api/v1/settings")["settings"]["talkjs.app_id"]
        .as_str()
        .unwrap()
        .to_string();
    let bearer = format!("Bearer {token}");
    let call = |method: &str, path: &str, body: Value, key: Option<&str>| {
        let mut headers = vec![("authorization", bearer.as_str())];
        if let Some(k) = key {
            headers.push(("idempotency-key", k));
        }
        let (st, _, v) = s.anon().raw(
            method,
            &format!("/v1/{app}{path}"),
            Some(body.to_string()),
            &headers,
        );
        (st, v)
    };
    assert_eq!(
        call("PUT", "/users/u1", json!({ "name": "Ann" }), None).0,
        200
    );
    let (st, v) = call(
        "PUT",
        "/conversations/c1",
        json!({ "participants": ["u1"] }),
        None,
    );
    assert_eq!(st, 200, "{v}");
    let body = json!([{ "text": "once", "sender": "u1", "type": "UserMessage" }]);
    let answers: Vec<(u16, String)> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                sc.spawn(|| {
                    call(
                        "POST",
                        "/conversations/c1/messages",
                        body.clone(),
                        Some("k-1"),
                    )
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (st, v) in &answers {
        assert_eq!(*st, 200, "{v}");
        assert_eq!(v, &answers[0].1);
    }
    let (st, list) = call("GET", "/conversations/c1/messages", Value::Null, None);
    assert_eq!(st, 200, "{list}");
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
}

/// An embed token spent by four requests at once gives one session: the
/// others are 401 `embed_token_invalid`.
#[test]
fn an_embed_token_spent_at_once_gives_one_session() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let v = admin.post(
        "/api/v1/embed-tokens",
        json!({ "email": ADMIN_EMAIL, "ttl_s": 60 }),
    );
    let token = v["token"].as_str().unwrap().to_string();
    let body = json!({ "token": token }).to_string();
    let answers: Vec<(u16, String)> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..4)
            .map(|_| {
                sc.spawn(|| {
                    let (st, _, text) =
                        s.anon()
                            .raw("POST", "/api/v1/auth/embed", Some(body.clone()), &[]);
                    (st, text)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let ok: Vec<_> = answers.iter().filter(|(st, _)| *st == 200).collect();
    assert_eq!(ok.len(), 1, "{answers:?}");
    for (st, text) in answers.iter().filter(|(st, _)| *st != 200) {
        assert_eq!(*st, 401, "{text}");
        assert!(text.contains("embed_token_invalid"), "{text}");
    }
}

/// Chat2Desk's `GET /v1/messages` of a TalkJS conversation of two
/// contacts: the one who is not its owner writes `from_client` with their
/// own `client_id`, not a `to_client` to the owner.
#[test]
fn a_non_owner_contacts_message_reads_as_from_that_client() {
    let s = Server::start();
    let token = s.admin_token();
    let admin = s.client(&token);
    let app = admin.get("/api/v1/settings")["settings"]["talkjs.app_id"]
        .as_str()
        .unwrap()
        .to_string();
    let bearer = format!("Bearer {token}");
    let call = |method: &str, path: &str, body: Option<Value>, auth: &str| {
        let (st, _, v) = s.anon().raw(
            method,
            path,
            body.map(|b| b.to_string()),
            &[("authorization", auth)],
        );
        assert_eq!(st, 200, "{method} {path}: {v}");
        serde_json::from_str::<Value>(&v).unwrap()
    };
    for (id, name) in [("ann", "Ann"), ("bob", "Bob")] {
        call(
            "PUT",
            &format!("/v1/{app}/users/{id}"),
            Some(json!({ "name": name })),
            &bearer,
        );
    }
    call(
        "PUT",
        &format!("/v1/{app}/conversations/deal"),
        Some(json!({ "participants": ["ann", "bob"] })),
        &bearer,
    );
    call(
        "POST",
        &format!("/v1/{app}/conversations/deal/messages"),
        Some(
            json!([{ "text": "from Ann", "sender": "ann", "type": "UserMessage" },
                    { "text": "from Bob", "sender": "bob", "type": "UserMessage" }]),
        ),
        &bearer,
    );
    let list = admin.get("/api/v1/conversations");
    let conv = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["source"] == "tj")
        .unwrap_or_else(|| panic!("{list}"))
        .clone();
    let (cid, ann) = (
        conv["id"].as_i64().unwrap(),
        conv["user_id"].as_i64().unwrap(),
    );
    let v = call(
        "GET",
        &format!("/v1/messages?dialog_id={cid}"),
        None,
        &token,
    );
    let by = |text: &str| {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["text"] == text)
            .unwrap_or_else(|| panic!("{v}"))
            .clone()
    };
    let (a, b) = (by("from Ann"), by("from Bob"));
    assert_eq!(
        (a["type"].clone(), a["client_id"].clone()),
        (json!("from_client"), json!(ann))
    );
    assert_eq!(b["type"], "from_client", "{b}");
    assert_ne!(b["client_id"], json!(ann), "{b}");
    assert_eq!(b["operator_id"], Value::Null);
}
