//! ChatShipper's `/v2`: routes and shapes (ids as strings, its error shape),
//! the participant commands across two agents (`/assign`, `/accept`,
//! `/join`, `/leave`, forwarding), and its webhook format.

use crate::harness::*;
use serde_json::{json, Value};

struct Cs {
    s: Server,
    admin: Client,
    /// The contact and their conversation.
    contact: i64,
    cid: i64,
}

impl Cs {
    fn start() -> Cs {
        let s = Server::start();
        let admin = s.client(&s.admin_token());
        let (_, contact) = s.visitor("Vic");
        let cid = conversation(&admin, contact, "Where is my parcel?");
        Cs {
            s,
            admin,
            contact,
            cid,
        }
    }

    fn agent(&self, name: &str) -> i64 {
        let v = self.admin.post(
            "/api/v1/users",
            json!({"type": "agent", "first_name": name, "email": format!("{name}@example.com"), "password": "agentpass1"}),
        );
        v["user"]["id"].as_i64().unwrap()
    }

    /// `POST /v2/conversations/{cid}/messages` as the admin token.
    fn v2(&self, cid: i64, body: Value) -> (u16, Value) {
        self.admin.call(
            "POST",
            &format!("/v2/conversations/{cid}/messages"),
            Some(body),
        )
    }

    /// A command that must succeed.
    fn command(&self, cid: i64, text: &str, user: Option<i64>, meta: Value) -> Value {
        let mut body = json!({"type": "command", "text": text, "meta": meta});
        if let Some(u) = user {
            body["user"] = json!(u.to_string());
        }
        let (st, v) = self.v2(cid, body);
        assert_eq!(st, 201, "{text}: {v}");
        v
    }

    fn conv(&self, cid: i64) -> Value {
        self.admin.get(&format!("/v2/conversations/{cid}"))
    }

    /// Our REST view: (status number, agent_id).
    fn rest(&self, cid: i64) -> (i64, Option<i64>) {
        let c = &self.admin.get(&format!("/api/v1/conversations/{cid}"))["conversation"];
        (c["status"].as_i64().unwrap(), c["agent_id"].as_i64())
    }

    fn cursor(&self) -> i64 {
        self.admin.get("/api/v1/events?after=0")["cursor"]
            .as_i64()
            .unwrap()
    }

    /// The events after `cursor` of `kind` in conversation `cid`.
    fn events(&self, after: i64, kind: &str, cid: i64) -> Vec<Value> {
        let v = self.admin.get(&format!("/api/v1/events?after={after}"));
        v["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == kind && e["conversation_id"] == cid)
            .cloned()
            .collect()
    }
}

/// A conversation of `contact` with their first message.
fn conversation(admin: &Client, contact: i64, text: &str) -> i64 {
    let v = admin.post(
        "/api/v1/conversations",
        json!({"user_id": contact, "message": {"body": text, "user_id": contact}}),
    );
    v["conversation"]["id"].as_i64().unwrap()
}

/// A participant of a `/v2` conversation, by user id.
fn participant(conv: &Value, user: i64) -> Value {
    conv["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["user"].as_str() == Some(&*user.to_string()))
        .cloned()
        .unwrap_or(Value::Null)
}

fn flags(p: &Value) -> (bool, bool, bool) {
    (
        p["inbox"] == true,
        p["active"] == true,
        p["accepted"] == true,
    )
}

fn not_found(v: &Value, message: &str) {
    assert_eq!(v["error"]["message"], message, "{v}");
    assert_eq!(v["error"]["code"], "not_found", "{v}");
}

#[test]
fn v2_routes_and_shapes() {
    let cs = Cs::start();
    let cid = cs.cid;
    let anon = cs.s.anon();
    for (method, path) in [
        ("GET", format!("/v2/conversations/{cid}")),
        ("GET", "/v2/messages/1".to_string()),
        ("POST", format!("/v2/conversations/{cid}/messages")),
    ] {
        let (st, v) = anon.call(
            method,
            &path,
            Some(json!({"text": "hi"})).filter(|_| method == "POST"),
        );
        assert_eq!(st, 401, "{method} {path}: {v}");
        assert!(v["error"]["message"].is_string(), "{v}");
    }

    // A chat message from the contact, with meta.
    let (st, m) = cs.v2(
        cid,
        json!({"type": "chat", "text": "Any news?", "user": cs.contact.to_string(), "meta": {"intent": "status"}}),
    );
    assert_eq!(st, 201, "{m}");
    assert!(m["id"].is_string(), "{m}");
    assert_eq!(m["conversation"], cid.to_string());
    assert_eq!(m["type"], "chat");
    assert_eq!(m["role"], "contact");
    assert_eq!(m["user"], cs.contact.to_string());
    assert_eq!(m["text"], "Any news?");
    assert_eq!(m["meta"], json!({"intent": "status"}));
    assert_eq!(m["likes"], json!([]));
    assert_eq!(m["comments"], json!([]));
    assert!(m["createdAt"].as_str().unwrap().ends_with('Z'));
    assert!(m["updatedAt"].is_string());
    assert_eq!(m["organization"], Value::Null);
    // Without `user`: the caller (the token sends as the bot); no type: chat.
    let (st, bot) = cs.v2(cid, json!({"text": "Checking"}));
    assert_eq!(st, 201, "{bot}");
    assert_eq!(
        (bot["type"].as_str(), bot["role"].as_str()),
        (Some("chat"), Some("bot"))
    );
    // A chat text that looks like a command is text.
    let (st, lit) = cs.v2(cid, json!({"type": "chat", "text": "/assign"}));
    assert_eq!(
        (st, lit["type"].as_str(), lit["text"].as_str()),
        (201, Some("chat"), Some("/assign"))
    );

    // GET /v2/messages/{id} in the same shape.
    let id = m["id"].as_str().unwrap();
    let got = cs.admin.get(&format!("/v2/messages/{id}"));
    assert_eq!(got, m);

    // Unknown and non-numeric ids: ChatShipper's 404.
    for path in ["/v2/messages/abc", "/v2/messages/999999", "/v2/messages/-3"] {
        let (st, v) = cs.admin.call("GET", path, None);
        assert_eq!(st, 404, "{path}");
        not_found(&v, "Message not found");
    }
    for path in ["/v2/conversations/abc", "/v2/conversations/999999"] {
        let (st, v) = cs.admin.call("GET", path, None);
        assert_eq!(st, 404, "{path}");
        not_found(&v, "Conversation not found");
    }
    for path in [
        "/v2/conversations/5cd8c48d/messages",
        "/v2/conversations/999999/messages",
    ] {
        let (st, v) = cs.admin.call("POST", path, Some(json!({"text": "hi"})));
        assert_eq!(st, 404, "{path}");
        not_found(&v, "Conversation not found");
    }

    // Bad input: 400, and nothing is stored.
    let before = message_bodies(&cs.admin, cid).len();
    let (st, v) = cs.v2(cid, json!({"type": "card", "text": "x"}));
    assert_eq!(st, 400, "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("chat") && msg.contains("command"), "{msg}");
    assert_eq!(v["error"]["code"], "unsupported_message_type");
    let (st, v) = cs.v2(
        cid,
        json!({"type": "command", "text": "/assign", "meta": {"users": "12"}}),
    );
    assert_eq!(st, 400, "{v}");
    assert_eq!(v["error"]["code"], "invalid_users");
    let (st, v) = cs.v2(
        cid,
        json!({"type": "command", "text": "/assign", "meta": {"users": ["999999"]}}),
    );
    assert_eq!(st, 400, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("999999"),
        "{v}"
    );
    let (st, v) = cs.v2(cid, json!({"type": "command", "text": "/nosuch"}));
    assert_eq!(st, 400, "{v}");
    let (st, v) = cs.v2(cid, json!({"type": "chat", "text": "x", "meta": [1]}));
    assert_eq!(st, 400, "{v}");
    let (st, v) = cs.v2(cid, json!({"type": "chat", "text": "x", "user": "abc"}));
    assert_eq!(st, 400, "{v}");
    // An array is checked whole before any of it runs.
    let (st, v) = cs.v2(
        cid,
        json!([{"text": "first"}, {"type": "card", "text": "second"}]),
    );
    assert_eq!(st, 400, "{v}");
    assert_eq!(message_bodies(&cs.admin, cid).len(), before);

    // An array answers an array.
    let (st, v) = cs.v2(
        cid,
        json!([{"text": "one"}, {"type": "command", "text": ">onboard"}]),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(v[0]["text"], "one");
    assert_eq!(v[1]["type"], "command");
    assert_eq!(v[1]["text"], ">onboard");

    // The conversation.
    let c = cs.conv(cid);
    assert_eq!(c["id"], cid.to_string());
    assert_eq!(c["contact"], cs.contact.to_string());
    assert_eq!(c["status"], "queued");
    assert_eq!(c["type"], "contact");
    // The bot wrote (as the token), so it takes part, with no flag.
    let bot = &c["participants"][0];
    assert_eq!(
        (bot["role"].as_str(), flags(bot)),
        (Some("bot"), (false, false, false)),
        "{c}"
    );
    assert_eq!(c["channels"], json!([]));
    assert_eq!(c["channelsOffline"], json!([]));
    assert!(c["meta"].as_object().unwrap().contains_key("_title"), "{c}");
    assert!(c["meta"].as_object().unwrap().contains_key("_agent"), "{c}");
    assert!(c["createdAt"].is_string() && c["updatedAt"].is_string());
    let msgs = c["messages"].as_array().unwrap();
    assert_eq!(msgs[0]["text"], "Where is my parcel?");
    assert_eq!(msgs[0]["role"], "contact");
    for (i, m) in msgs.iter().enumerate() {
        assert_eq!(m["index"], i, "{m}");
        assert!(m["id"].is_string());
    }
    assert!(msgs
        .iter()
        .any(|m| m["type"] == "command" && m["text"] == ">onboard"));
}

/// Puts channel rows on a conversation as the routing of `/notify` does.
fn notified(cs: &Cs, cid: i64, agent: i64) -> Vec<i64> {
    let db = rusqlite::Connection::open(cs.s.data.join("frontporch.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let mut ids = Vec::new();
    for offline in [0, 1] {
        db.execute(
            "INSERT INTO notify_channels (name, kind, user_id, created_at) VALUES ('mail', 'email', ?1, 0)",
            [agent],
        )
        .unwrap();
        let id = db.last_insert_rowid();
        db.execute(
            "INSERT INTO conversation_channels (conversation_id, channel_id, offline, notified_at) VALUES (?1, ?2, ?3, 0)",
            [cid, id, offline],
        )
        .unwrap();
        ids.push(id);
    }
    ids
}

#[test]
fn assign_accept_leave_across_two_agents() {
    let cs = Cs::start();
    let cid = cs.cid;
    let (ann, bob) = (cs.agent("ann"), cs.agent("bob"));

    // /assign: both in their inbox, nobody accepted: queued.
    let at = cs.cursor();
    cs.command(
        cid,
        "/assign",
        None,
        json!({"users": [ann.to_string(), bob]}),
    );
    let c = cs.conv(cid);
    assert_eq!(flags(&participant(&c, ann)), (true, false, false), "{c}");
    assert_eq!(flags(&participant(&c, bob)), (true, false, false), "{c}");
    assert_eq!(participant(&c, ann)["name"], "ann");
    assert_eq!(c["status"], "queued");
    assert_eq!(cs.events(at, "conversation.participant", cid).len(), 2);
    // The invitation shows in Bob's inbox.
    let bob_web = cs.s.login("bob@example.com", "agentpass1");
    let inv = bob_web.get("/api/v1/me/invitations");
    assert_eq!(inv["conversations"][0]["id"], cid, "{inv}");
    // Channels notified while queued.
    let channels = notified(&cs, cid, ann);
    assert_eq!(cs.conv(cid)["channels"], json!([channels[0].to_string()]));
    assert_eq!(
        cs.conv(cid)["channelsOffline"],
        json!([channels[1].to_string()])
    );

    // Bob accepts (his own session, no `user`): live, his, dequeued.
    let at = cs.cursor();
    let (st, v) = bob_web.call(
        "POST",
        &format!("/v2/conversations/{cid}/messages"),
        Some(json!({"type": "command", "text": "/accept"})),
    );
    assert_eq!(st, 201, "{v}");
    let c = cs.conv(cid);
    assert_eq!(flags(&participant(&c, bob)), (false, true, true), "{c}");
    assert_eq!(flags(&participant(&c, ann)), (true, false, false), "{c}");
    assert_eq!(c["status"], "active");
    assert_eq!(c["channels"], json!([]));
    assert_eq!(c["channelsOffline"], json!([]));
    assert_eq!(cs.rest(cid), (0, Some(bob)));
    let dq = cs.events(at, "conversation.dequeued", cid);
    assert_eq!(dq.len(), 1);
    assert_eq!(dq[0]["data"]["channels"], json!(channels));
    assert_eq!(c["meta"]["_agent"], "bob");
    assert!(bob_web.get("/api/v1/me/invitations")["conversations"]
        .as_array()
        .unwrap()
        .is_empty());

    // Ann accepts too; Bob leaves: it passes to Ann and stays active.
    cs.command(cid, "/accept", Some(ann), json!({}));
    assert_eq!(cs.rest(cid), (0, Some(bob)));
    cs.command(cid, "/leave", Some(bob), json!({}));
    let c = cs.conv(cid);
    assert_eq!(flags(&participant(&c, bob)), (false, false, false));
    assert_eq!(participant(&c, bob)["left"], true);
    assert_eq!(c["status"], "active");
    assert_eq!(cs.rest(cid), (0, Some(ann)));

    // Ann leaves (/close): the contact's message is unanswered, so queued again.
    let at = cs.cursor();
    cs.command(cid, "/close", Some(ann), json!({}));
    assert_eq!(cs.conv(cid)["status"], "queued");
    assert_eq!(cs.rest(cid), (2, None));
    assert_eq!(cs.events(at, "conversation.queued", cid).len(), 1);
    // Leaving again, or as someone who never took part: 409.
    let (st, v) = cs.v2(
        cid,
        json!({"type": "command", "text": "/leave", "user": ann.to_string()}),
    );
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["error"]["code"], "not_participant");

    // Bob accepts again and answers; his leaving closes it.
    cs.command(cid, "/accept", Some(bob), json!({}));
    let (st, v) = cs.v2(
        cid,
        json!({"type": "chat", "text": "It ships today", "user": bob.to_string()}),
    );
    assert_eq!((st, v["role"].as_str()), (201, Some("agent")), "{v}");
    cs.command(cid, "/leave", Some(bob), json!({}));
    assert_eq!(cs.conv(cid)["status"], "closed");
    assert_eq!(cs.rest(cid), (3, None));
    // A closed conversation cannot be accepted.
    let (st, v) = cs.v2(
        cid,
        json!({"type": "command", "text": "/accept", "user": ann.to_string()}),
    );
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["error"]["code"], "conversation_closed");
    // Commands are kept as notes of type command.
    let c = cs.conv(cid);
    let commands: Vec<&str> = c["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["type"] == "command")
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        commands,
        ["/assign", "/accept", "/accept", "/leave", "/close", "/accept", "/leave"]
    );
}

#[test]
fn join_is_passive_and_forwarding_works_in_either_order() {
    let cs = Cs::start();
    let (ann, bob) = (cs.agent("ann"), cs.agent("bob"));

    // /join: active, the status stays queued.
    let at = cs.cursor();
    cs.command(cs.cid, "/join", Some(ann), json!({}));
    let c = cs.conv(cs.cid);
    assert_eq!(flags(&participant(&c, ann)), (false, true, false));
    assert_eq!(c["status"], "queued");
    assert_eq!(cs.rest(cs.cid), (2, None));
    let ev = cs.events(at, "conversation.participant", cs.cid);
    assert_eq!(ev[0]["data"]["action"], "joined");
    assert_eq!(ev[0]["data"]["user_id"], ann);

    // Typed into Ann's composer, /accept and /leave run as Ann's commands.
    let ann_web = cs.s.login("ann@example.com", "agentpass1");
    let path = format!("/api/v1/conversations/{}/messages", cs.cid);
    let note = ann_web.post(&path, json!({"body": "/accept"}));
    assert_eq!(note["message"]["private"], true, "{note}");
    let c = cs.conv(cs.cid);
    assert_eq!(flags(&participant(&c, ann)), (false, true, true));
    assert_eq!(
        (c["status"].as_str(), cs.rest(cs.cid)),
        (Some("active"), (0, Some(ann)))
    );
    ann_web.post(&path, json!({"body": "/leave"}));
    let c = cs.conv(cs.cid);
    assert_eq!(participant(&c, ann)["left"], true);
    assert_eq!(c["status"], "queued");

    // Forwarding from Ann to Bob: /leave + /join, in both orders.
    let one = conversation(&cs.admin, cs.contact, "First");
    let two = conversation(&cs.admin, cs.contact, "Second");
    for cid in [one, two] {
        cs.command(cid, "/accept", Some(ann), json!({}));
        let (st, _) = cs.v2(
            cid,
            json!({"type": "chat", "text": "Looking", "user": ann.to_string()}),
        );
        assert_eq!(st, 201);
    }
    cs.command(one, "/leave", Some(ann), json!({}));
    cs.command(one, "/join", Some(bob), json!({}));
    cs.command(two, "/join", Some(bob), json!({}));
    cs.command(two, "/leave", Some(ann), json!({}));
    for cid in [one, two] {
        let c = cs.conv(cid);
        assert_eq!(
            flags(&participant(&c, ann)),
            (false, false, false),
            "{cid}: {c}"
        );
        assert_eq!(participant(&c, ann)["left"], true);
        assert_eq!(
            flags(&participant(&c, bob)),
            (false, true, false),
            "{cid}: {c}"
        );
        // Ann had answered the contact: closed once nobody accepts it.
        assert_eq!(c["status"], "closed", "{cid}");
        assert_eq!(cs.rest(cid), (3, None));
    }
}

/// One request a loopback receiver got: its `X-Hub-Signature` and body.
type Hit = (String, String);

/// A loopback webhook receiver answering 200; the requests it got.
fn receiver() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<Hit>>>) {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for mut rq in server.incoming_requests() {
            let sig = rq
                .headers()
                .iter()
                .find(|h| h.field.equiv("x-hub-signature"))
                .map(|h| h.value.to_string())
                .unwrap_or_default();
            let mut body = String::new();
            rq.as_reader().read_to_string(&mut body).unwrap();
            g.lock().unwrap().push((sig, body));
            let _ = rq.respond(tiny_http::Response::from_string("ok"));
        }
    });
    (port, got)
}

fn hub_signature(secret: &str, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha1={hex}")
}

#[test]
fn chatshipper_webhooks_are_signed_envelopes() {
    let s = Server::start_with(&[
        ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1"),
        ("FRONTPORCH_RETRY_BASE_MS", "200"),
        ("FRONTPORCH_PUBLIC_URL", "https://chat.example.com"),
    ]);
    let admin = s.client(&s.admin_token());
    let (port, got) = receiver();
    let url = format!("http://127.0.0.1:{port}/cs");
    let (st, v) = admin.call(
        "POST",
        "/api/v1/webhooks",
        Some(
            json!({"url": url, "format": "chatshipper", "secret": "s3cret",
            "events": ["message.create.contact.*", "conversation.update"]}),
        ),
    );
    assert_eq!(st, 201, "{v}");
    let (st, v) = admin.call(
        "POST",
        "/api/v1/webhooks",
        Some(json!({"url": url, "format": "chatshipper", "events": ["message.created"]})),
    );
    assert_eq!(st, 400, "{v}");

    let (visitor, vid) = s.visitor("Vic");
    let c = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "Hello there"}}),
    );
    let cid = c["conversation"]["id"].as_i64().unwrap();
    let mid = c["message"]["id"].as_i64().unwrap();
    // An agent's message is not subscribed to; a /join is conversation.update.
    admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({"body": "Hi Vic"}),
    );
    let (st, _) = admin.call(
        "POST",
        &format!("/v2/conversations/{cid}/messages"),
        Some(json!({"type": "command", "text": "/join"})),
    );
    assert_eq!(st, 201);

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while got.lock().unwrap().len() < 3 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let hits = got.lock().unwrap().clone();
    let bodies: Vec<Value> = hits
        .iter()
        .map(|(sig, body)| {
            assert_eq!(*sig, hub_signature("s3cret", body), "{body}");
            serde_json::from_str(body).unwrap()
        })
        .collect();
    // Two sends at once per endpoint: put them back in event order.
    let mut bodies = bodies;
    bodies.sort_by_key(|b| b["id"].as_str().unwrap().parse::<i64>().unwrap());
    let events: Vec<&str> = bodies
        .iter()
        .map(|b| b["event"].as_str().unwrap())
        .collect();
    // The contact's message, the status the agent's reply moved, the /join.
    assert_eq!(
        events,
        [
            "message.create.contact.chat",
            "conversation.update",
            "conversation.update"
        ],
        "{bodies:?}"
    );
    let m = &bodies[0];
    assert!(m["id"].is_string() && m["timestamp"].is_string(), "{m}");
    assert_eq!(m["data"]["message"]["id"], mid.to_string());
    assert_eq!(m["data"]["message"]["text"], "Hello there");
    assert_eq!(m["data"]["message"]["role"], "contact");
    assert_eq!(m["data"]["message"]["user"], vid.to_string());
    assert_eq!(m["data"]["conversation"]["id"], cid.to_string());
    assert_eq!(m["data"]["conversation"]["contact"], vid.to_string());
    assert_eq!(
        m["activity"]["object"]["id"],
        format!("https://chat.example.com/v2/messages/{mid}")
    );
    assert_eq!(bodies[1]["data"]["change"]["kind"], "conversation.status");
    let u = &bodies[2];
    assert_eq!(u["data"]["change"]["kind"], "conversation.participant");
    assert_eq!(u["data"]["change"]["data"]["action"], "joined");
}

/// A batch that fails part way keeps what went before it, and says so.
#[test]
fn a_batch_failing_part_way_names_what_was_posted() {
    let cs = Cs::start();
    let stranger = cs.agent("Stranger");
    let (st, v) = cs.v2(
        cs.cid,
        json!([
            {"type": "chat", "text": "first of the batch"},
            {"type": "command", "text": "/leave", "user": stranger.to_string()},
            {"type": "chat", "text": "never posted"},
        ]),
    );
    assert_eq!(st, 409, "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    let bodies = message_bodies(&cs.admin, cs.cid);
    assert!(bodies.contains("first of the batch"), "{bodies:?}");
    assert!(!bodies.contains("never posted"), "{bodies:?}");
    let first = cs
        .admin
        .get(&format!("/api/v1/conversations/{}/messages", cs.cid))["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["body"] == "first of the batch")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    assert!(
        message.to_lowercase().starts_with("message 2 of 3:")
            && message.ends_with(&format!("posted: {first}")),
        "{message}"
    );
}
