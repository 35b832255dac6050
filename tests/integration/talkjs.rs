//! TalkJS's REST API (`/v1/{appId}`): the seed's three requests verbatim,
//! repeated (idempotent: same state, no new events), read back; partial
//! updates; messages in array order, all or nothing; Idempotency-Key;
//! the app id, the token; a user's conversations (only those with messages).

use crate::harness::*;
use serde_json::{json, Value};

struct Tj {
    s: Server,
    admin: Client,
    /// The admin API token: TalkJS's "secret key".
    token: String,
    app: String,
}

impl Tj {
    fn start() -> Tj {
        let s = Server::start();
        let token = s.admin_token();
        let admin = s.client(&token);
        let app = admin.get("/api/v1/settings")["settings"]["talkjs.app_id"]
            .as_str()
            .expect("talkjs.app_id is generated on first start")
            .to_string();
        Tj {
            s,
            admin,
            token,
            app,
        }
    }

    /// A request as the seed's curl sends it: `Content-Type:
    /// application/json`, `Authorization: Bearer <secret>`, the body as text.
    fn curl(&self, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        self.curl_with(method, path, body, &[])
    }

    fn curl_with(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let path = format!("/v1/{}{path}", self.app);
        let mut hs = vec![("content-type", "application/json")];
        hs.extend_from_slice(headers);
        let (st, _, text) = self.admin.raw(method, &path, body.map(str::to_string), &hs);
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (st, v)
    }

    fn ok(&self, method: &str, path: &str, body: Option<&str>) -> Value {
        let (st, v) = self.curl(method, path, body);
        assert_eq!(st, 200, "{method} {path}: {v}");
        v
    }

    /// The newest event id the admin can see, and the kinds after `after`.
    fn events(&self, after: i64) -> (i64, Vec<String>) {
        let v = self.admin.get("/api/v1/events?after=0");
        let kinds = v["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["id"].as_i64().unwrap() > after)
            .map(|e| e["kind"].as_str().unwrap_or_default().to_string())
            .collect();
        (v["cursor"].as_i64().unwrap(), kinds)
    }

    fn put_user(&self, id: &str, name: &str) {
        self.ok(
            "PUT",
            &format!("/users/{id}"),
            Some(&json!({ "name": name }).to_string()),
        );
    }

    fn messages(&self, conv: &str, query: &str) -> Vec<Value> {
        self.ok(
            "GET",
            &format!("/conversations/{conv}/messages{query}"),
            None,
        )["data"]
            .as_array()
            .unwrap()
            .clone()
    }
}

// The seed's three example requests, verbatim (its curl -d bodies).
const ALICE: &str = r#"{ "name":"Alice", "email": ["alice@example.com"], "photoUrl": "https://yoursite.com/userpictures/12081.png", "welcomeMessage": "Hey there! :-)", "role": "buyer" }"#;
const BOB: &str = r#"{ "name":"Bob", "email": ["bob@example.com"], "photoUrl": "https://yoursite.com/userpictures/8029.png", "welcomeMessage": "Hi! :-)", "role": "seller" }"#;
const CONVERSATION: &str = r#"{ "participants": ["12081", "8029"], "subject": "What a lovely day!", "custom": { "category": "order_inquiry" } }"#;
const MESSAGE: &str = r#"[{ "text": "Hello Alice!", "sender": "8029", "type": "UserMessage" }]"#;

#[test]
fn the_seeds_requests_are_idempotent_and_read_back() {
    let t = Tj::start();
    // The conversation holds no message yet: the user's list is empty.
    for _ in 0..2 {
        t.ok("PUT", "/users/12081", Some(ALICE));
        t.ok("PUT", "/users/8029", Some(BOB));
    }
    let (before_conv, _) = t.events(0);
    assert_eq!(
        t.ok("PUT", "/conversations/order_391_fc", Some(CONVERSATION)),
        json!({})
    );
    let (after_conv, kinds) = t.events(before_conv);
    assert!(
        kinds.contains(&"conversation.created".to_string()),
        "{kinds:?}"
    );
    assert_eq!(
        t.ok("GET", "/users/12081/conversations", None)["data"],
        json!([]),
        "a conversation without messages is not listed"
    );

    // Repeats: the same answer, nothing written, no event.
    assert_eq!(t.ok("PUT", "/users/12081", Some(ALICE)), json!({}));
    assert_eq!(t.ok("PUT", "/users/8029", Some(BOB)), json!({}));
    assert_eq!(
        t.ok("PUT", "/conversations/order_391_fc", Some(CONVERSATION)),
        json!({})
    );
    assert_eq!(
        t.events(after_conv),
        (after_conv, vec![]),
        "a repeat emits nothing"
    );

    let posted = t.ok(
        "POST",
        "/conversations/order_391_fc/messages",
        Some(MESSAGE),
    );
    let first = posted[0]["id"].as_str().unwrap().to_string();
    assert!(first.starts_with("msg_"), "{posted}");
    assert_eq!(posted.as_array().unwrap().len(), 1);

    // Read back: the users, the conversation, its message.
    let alice = t.ok("GET", "/users/12081", None);
    assert_eq!(alice["id"], "12081");
    assert_eq!(alice["name"], "Alice");
    assert_eq!(alice["email"], json!(["alice@example.com"]));
    assert_eq!(
        alice["photoUrl"],
        "https://yoursite.com/userpictures/12081.png"
    );
    assert_eq!(alice["welcomeMessage"], "Hey there! :-)");
    assert_eq!(alice["role"], "buyer");
    assert_eq!(alice["custom"], json!({}));
    assert!(
        alice["createdAt"].as_i64().unwrap() > 1_600_000_000_000,
        "ms"
    );

    let conv = t.ok("GET", "/conversations/order_391_fc", None);
    assert_eq!(conv["id"], "order_391_fc");
    assert_eq!(conv["subject"], "What a lovely day!");
    assert_eq!(conv["custom"], json!({ "category": "order_inquiry" }));
    assert_eq!(
        conv["participants"],
        json!({ "12081": { "access": "ReadWrite", "notify": true },
                "8029": { "access": "ReadWrite", "notify": true } })
    );
    assert_eq!(conv["lastMessage"]["text"], "Hello Alice!");
    assert_eq!(conv["lastMessage"]["senderId"], "8029");
    assert_eq!(conv["lastMessage"]["id"], first.as_str());

    let msgs = t.messages("order_391_fc", "");
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["type"], "UserMessage");
    assert_eq!(msgs[0]["conversationId"], "order_391_fc");
    assert_eq!(msgs[0]["origin"], "rest");

    // Both participants now list it.
    for user in ["12081", "8029"] {
        let list = t.ok("GET", &format!("/users/{user}/conversations"), None);
        assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
        assert_eq!(list["data"][0]["id"], "order_391_fc");
    }

    // Our side: a `tj` conversation owned by the first participant, both
    // participants as members; the REST list shows it in the inbox.
    let ours = t.admin.get("/api/v1/conversations?source=tj")["conversations"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0]["title"], "What a lovely day!");
    assert!(
        ours[0]["status"].as_i64().unwrap() <= 2,
        "in the inbox: {}",
        ours[0]
    );
    let full = t
        .admin
        .get(&format!("/api/v1/conversations/{}", ours[0]["id"]));
    let names: Vec<&str> = full["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Alice") && names.contains(&"Bob"),
        "{names:?}"
    );
    assert_eq!(full["user"]["external_id"], "12081");
}

#[test]
fn a_later_put_changes_only_the_fields_sent() {
    let t = Tj::start();
    t.ok("PUT", "/users/12081", Some(ALICE));
    t.ok("PUT", "/users/8029", Some(BOB));
    t.ok("PUT", "/conversations/order_391_fc", Some(CONVERSATION));
    let (cursor, _) = t.events(0);

    t.ok(
        "PUT",
        "/users/12081",
        Some(r#"{"locale": "fr-FR", "custom": {"country": "ca"}}"#),
    );
    let alice = t.ok("GET", "/users/12081", None);
    assert_eq!(alice["locale"], "fr-FR");
    assert_eq!(alice["custom"], json!({ "country": "ca" }));
    assert_eq!(alice["name"], "Alice", "unchanged");
    assert_eq!(alice["role"], "buyer", "unchanged");
    assert_eq!(alice["email"], json!(["alice@example.com"]), "unchanged");
    let (cursor2, kinds) = t.events(cursor);
    assert_eq!(kinds, vec!["user.updated"]);

    // null clears.
    t.ok("PUT", "/users/12081", Some(r#"{"welcomeMessage": null}"#));
    assert_eq!(
        t.ok("GET", "/users/12081", None)["welcomeMessage"],
        Value::Null
    );

    t.ok(
        "PUT",
        "/conversations/order_391_fc",
        Some(r#"{"photoUrl": "https://example.com/p.png"}"#),
    );
    let conv = t.ok("GET", "/conversations/order_391_fc", None);
    assert_eq!(conv["photoUrl"], "https://example.com/p.png");
    assert_eq!(conv["subject"], "What a lovely day!", "unchanged");
    assert_eq!(
        conv["custom"],
        json!({ "category": "order_inquiry" }),
        "unchanged"
    );
    // Participants are only added.
    t.put_user("777", "Carol");
    t.ok(
        "PUT",
        "/conversations/order_391_fc",
        Some(r#"{"participants": ["777"]}"#),
    );
    let conv = t.ok("GET", "/conversations/order_391_fc", None);
    let mut ids: Vec<_> = conv["participants"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    ids.sort();
    assert_eq!(ids, vec!["12081", "777", "8029"]);
    let (_, kinds) = t.events(cursor2);
    assert!(
        kinds.contains(&"conversation.participant".to_string()),
        "{kinds:?}"
    );

    // Bad fields: 400 in TalkJS's shape, nothing changes.
    let (st, v) = t.curl("PUT", "/users/12081", Some(r#"{"custom": {"n": 5}}"#));
    assert_eq!(st, 400, "{v}");
    assert_eq!(v["errorCode"], "INVALID_FIELD");
    assert!(v["reasons"][0].as_str().unwrap().contains("string"), "{v}");
    let (st, _) = t.curl("PUT", "/users/12081", Some(r#"{"email": ["a@b.c","a@b.c","a@b.c","a@b.c","a@b.c","a@b.c","a@b.c","a@b.c","a@b.c","a@b.c","a@b.c"]}"#));
    assert_eq!(st, 400, "at most 10 emails");
    let long = "x".repeat(256);
    let (st, _) = t.curl("PUT", &format!("/users/{long}"), Some(r#"{"name": "X"}"#));
    assert_eq!(st, 400, "ids are at most 255 characters");
    assert_eq!(
        t.ok("GET", "/users/12081", None)["custom"],
        json!({ "country": "ca" })
    );

    // An unknown participant: 400, and nothing changes.
    let (st, v) = t.curl(
        "PUT",
        "/conversations/order_391_fc",
        Some(r#"{"participants": ["nobody"], "subject": "Changed"}"#),
    );
    assert_eq!(st, 400, "{v}");
    assert_eq!(v["errorCode"], "UNKNOWN_PARTICIPANT");
    assert_eq!(
        t.ok("GET", "/conversations/order_391_fc", None)["subject"],
        "What a lovely day!"
    );
    let (st, _) = t.curl("GET", "/conversations/nope", None);
    assert_eq!(st, 404);
}

#[test]
fn messages_keep_their_order_and_a_bad_one_rejects_the_array() {
    let t = Tj::start();
    t.ok("PUT", "/users/12081", Some(ALICE));
    t.ok("PUT", "/users/8029", Some(BOB));
    t.put_user("999", "Mallory");
    t.ok("PUT", "/conversations/order_391_fc", Some(CONVERSATION));

    let batch = json!([
        { "text": "one", "sender": "12081", "type": "UserMessage", "custom": { "k": "v" } },
        { "text": "two", "sender": "8029", "type": "UserMessage" },
        { "text": "Order shipped", "type": "SystemMessage" },
        { "text": "four", "sender": "12081", "type": "UserMessage" },
    ]);
    let ids = t.ok(
        "POST",
        "/conversations/order_391_fc/messages",
        Some(&batch.to_string()),
    );
    assert_eq!(ids.as_array().unwrap().len(), 4);
    // Newest first, as TalkJS lists them.
    let msgs = t.messages("order_391_fc", "");
    let texts: Vec<&str> = msgs.iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, vec!["four", "Order shipped", "two", "one"]);
    assert_eq!(msgs[1]["type"], "SystemMessage");
    assert_eq!(msgs[1]["senderId"], Value::Null);
    assert_eq!(msgs[3]["custom"], json!({ "k": "v" }));
    assert_eq!(msgs[3]["senderId"], "12081");
    let ids: Vec<&str> = ids
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    let listed: Vec<&str> = msgs
        .iter()
        .rev()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids, listed,
        "the answer's ids are the messages, in the order sent"
    );

    // Paging: limit and startingAfter (older than that message).
    let page = t.messages("order_391_fc", "?limit=2");
    assert_eq!(page.len(), 2);
    let next = t.messages(
        "order_391_fc",
        &format!("?limit=2&startingAfter={}", page[1]["id"].as_str().unwrap()),
    );
    let texts: Vec<&str> = next.iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, vec!["two", "one"]);
    let (st, _) = t.curl(
        "GET",
        "/conversations/order_391_fc/messages?limit=101",
        None,
    );
    assert_eq!(st, 400);

    // Each bad array is refused whole: nothing of it is stored, no event.
    let (cursor, _) = t.events(0);
    let bad = [
        (
            json!([{ "text": "ok", "sender": "12081", "type": "UserMessage" },
                { "text": "not a participant", "sender": "999", "type": "UserMessage" }]),
            "SENDER_NOT_PARTICIPANT",
        ),
        (
            json!([{ "text": "ok", "sender": "12081", "type": "UserMessage" },
                { "text": "system with a sender", "sender": "8029", "type": "SystemMessage" }]),
            "SYSTEM_MESSAGE_SENDER",
        ),
        (
            json!([{ "text": "ok", "sender": "12081", "type": "UserMessage" },
                { "text": "no type", "sender": "8029" }]),
            "INVALID_MESSAGE_TYPE",
        ),
        (
            json!([{ "text": "ok", "sender": "12081", "type": "UserMessage" },
                { "text": "", "sender": "8029", "type": "UserMessage" }]),
            "EMPTY_MESSAGE",
        ),
        (
            json!([{ "text": "ok", "sender": "12081", "type": "UserMessage", "colour": "red" }]),
            "INVALID_FIELD",
        ),
        (
            json!([{ "text": "ok", "sender": "12081", "type": "UserMessage", "custom": { "n": 1 } }]),
            "INVALID_FIELD",
        ),
        (json!([]), "TOO_MANY"),
        (
            Value::Array(vec![
                json!({ "text": "x", "sender": "12081", "type": "UserMessage" });
                11
            ]),
            "TOO_MANY",
        ),
        (
            json!({ "text": "not an array", "sender": "12081", "type": "UserMessage" }),
            "INVALID_FIELD",
        ),
    ];
    for (body, code) in bad {
        let (st, v) = t.curl(
            "POST",
            "/conversations/order_391_fc/messages",
            Some(&body.to_string()),
        );
        assert_eq!(st, 400, "{body}: {v}");
        assert_eq!(v["errorCode"], code, "{body}: {v}");
    }
    let (st, v) = t.curl("POST", "/conversations/nope/messages", Some(MESSAGE));
    assert_eq!(st, 404, "{v}");
    assert_eq!(t.messages("order_391_fc", "").len(), 4, "nothing stored");
    assert_eq!(t.events(cursor), (cursor, vec![]), "no event");
}

#[test]
fn an_idempotency_key_posts_once() {
    let t = Tj::start();
    t.ok("PUT", "/users/12081", Some(ALICE));
    t.ok("PUT", "/users/8029", Some(BOB));
    t.ok("PUT", "/conversations/order_391_fc", Some(CONVERSATION));
    let key = [("idempotency-key", "retry-7f3a")];
    let post = |body: &str| {
        t.curl_with(
            "POST",
            "/conversations/order_391_fc/messages",
            Some(body),
            &key,
        )
    };

    let (st, first) = post(MESSAGE);
    assert_eq!(st, 200, "{first}");
    let (st, again) = post(MESSAGE);
    assert_eq!(st, 200, "{again}");
    assert_eq!(again, first, "the retry answers the first answer");
    assert_eq!(t.messages("order_391_fc", "").len(), 1, "posted once");

    // The same key with another request: 422, nothing posted.
    let (st, v) =
        post(r#"[{ "text": "Something else", "sender": "8029", "type": "UserMessage" }]"#);
    assert_eq!(st, 422, "{v}");
    assert_eq!(v["errorCode"], "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(t.messages("order_391_fc", "").len(), 1);

    // Per message: an idempotencyKey seen before is not posted again and
    // answers the first message's id.
    let m = r#"[{ "text": "Once", "sender": "12081", "type": "UserMessage", "idempotencyKey": "m-1" }]"#;
    let a = t.ok("POST", "/conversations/order_391_fc/messages", Some(m));
    let b = t.ok("POST", "/conversations/order_391_fc/messages", Some(m));
    assert_eq!(a, b);
    assert_eq!(t.messages("order_391_fc", "").len(), 2);
}

#[test]
fn the_app_id_and_the_token_are_checked() {
    let t = Tj::start();
    // No token, a bad token, a visitor's token: 401 in TalkJS's shape.
    let path = format!("/v1/{}/users/12081", t.app);
    let (st, _, body) = t.s.anon().raw("PUT", &path, Some(ALICE.into()), &[]);
    assert_eq!(st, 401, "{body}");
    assert!(body.contains("\"errorCode\":\"UNAUTHORIZED\""), "{body}");
    let (st, _, _) =
        t.s.client("not-a-token")
            .raw("PUT", &path, Some(ALICE.into()), &[]);
    assert_eq!(st, 401);
    let (visitor, _) = t.s.visitor("V");
    let (st, _, _) = visitor.raw("GET", &path, None, &[]);
    assert_eq!(st, 401);
    // Another app id: 404, nothing created.
    let (st, _, body) = t
        .admin
        .raw("PUT", "/v1/wrongapp/users/12081", Some(ALICE.into()), &[]);
    assert_eq!(st, 404, "{body}");
    assert!(body.contains("APP_NOT_FOUND"), "{body}");
    let (st, _) = t.curl("GET", "/users/12081", None);
    assert_eq!(st, 404, "nothing was created");
    // The app id is generated (letters and digits), and read-only.
    assert!(
        t.app.len() >= 8 && t.app.chars().all(|c| c.is_ascii_alphanumeric()),
        "{}",
        t.app
    );
    let (st, v) = t.admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "talkjs.app_id": "mine" })),
    );
    assert_eq!(st, 400, "{v}");
    assert_eq!(v["error"]["code"], "read_only_setting");
    // Saving back what was read is no change, and fine.
    let (st, v) = t.admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "talkjs.app_id": t.app })),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        t.s.client(&t.token).get("/api/v1/settings")["settings"]["talkjs.app_id"],
        t.app.as_str()
    );
}

#[test]
fn a_staff_members_id_is_read_only_and_joins_as_agent() {
    let t = Tj::start();
    let agent = t.admin.post(
        "/api/v1/users",
        json!({"type": "agent", "first_name": "Sam", "email": "sam@example.com",
               "password": "agentpass1", "external_id": "staff-1"}),
    );
    let (st, v) = t.curl("PUT", "/users/staff-1", Some(r#"{"name": "Mallory"}"#));
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["errorCode"], "STAFF_PROFILE");
    assert_eq!(t.ok("GET", "/users/staff-1", None)["name"], "Sam");
    t.ok("PUT", "/users/12081", Some(ALICE));
    // A conversation of staff only has no owner.
    let (st, v) = t.curl(
        "PUT",
        "/conversations/c1",
        Some(r#"{"participants": ["staff-1"]}"#),
    );
    assert_eq!(st, 400, "{v}");
    assert_eq!(v["errorCode"], "MISSING_PARTICIPANTS");
    // Staff first: the contact still owns it; the agent takes part as agent.
    t.ok(
        "PUT",
        "/conversations/c1",
        Some(r#"{"participants": ["staff-1", "12081"]}"#),
    );
    // The agent's message opens it (waiting for the contact).
    t.ok(
        "POST",
        "/conversations/c1/messages",
        Some(r#"[{"text": "We are on it", "sender": "staff-1", "type": "UserMessage"}]"#),
    );
    assert_eq!(t.messages("c1", "")[0]["senderId"], "staff-1");
    let ours = &t.admin.get("/api/v1/conversations?source=tj")["conversations"][0];
    assert_eq!(ours["status"], 1, "{ours}");
    let full = t
        .admin
        .get(&format!("/api/v1/conversations/{}", ours["id"]));
    assert_eq!(full["user"]["external_id"], "12081");
    let sam = full["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == agent["user"]["id"])
        .expect("the agent takes part")
        .clone();
    assert_eq!(sam["flags"], "agent");
}

#[test]
fn a_users_conversations_are_those_with_messages() {
    let t = Tj::start();
    for (id, name) in [("1", "Ann"), ("2", "Ben"), ("3", "Cid")] {
        t.put_user(id, name);
    }
    let conv = |id: &str, who: &[&str]| {
        let body = json!({ "participants": who }).to_string();
        t.ok("PUT", &format!("/conversations/{id}"), Some(&body));
    };
    conv("empty", &["1", "2"]);
    conv("talked", &["1", "2"]);
    conv("later", &["3", "1"]);
    conv("not-mine", &["2", "3"]);
    for (c, sender) in [("talked", "2"), ("later", "3"), ("not-mine", "3")] {
        let body = json!([{ "text": "hi", "sender": sender, "type": "UserMessage" }]).to_string();
        t.ok("POST", &format!("/conversations/{c}/messages"), Some(&body));
    }
    let ids = |q: &str| -> Vec<String> {
        t.ok("GET", &format!("/users/1/conversations{q}"), None)["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(""),
        vec!["later", "talked"],
        "latest activity first, no empty one"
    );
    assert_eq!(ids("?limit=1"), vec!["later"]);
    assert_eq!(ids("?limit=1&startingAfter=later"), vec!["talked"]);
    let (st, _) = t.curl("GET", "/users/nobody/conversations", None);
    assert_eq!(st, 404);
}
