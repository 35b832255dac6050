//! The Support Board web API driven as its PHP client does: form-encoded
//! POSTs to /script/include/api.php (first cut: users, conversations, messages).

use crate::harness::*;
use serde_json::Value;

/// `http_build_query` of `pairs`, POSTed like the seed's PHP client.
pub fn sb(s: &Server, pairs: &[(&str, &str)]) -> Value {
    let body: String = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let resp = agent()
        .post(s.url("/script/include/api.php"))
        .header("content-type", "application/x-www-form-urlencoded")
        .send(body)
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    serde_json::from_str(&resp.into_body().read_to_string().unwrap()).unwrap()
}

/// One call with the token in front of `pairs`.
pub fn sb_with(s: &Server, token: &str, pairs: &[(&str, &str)]) -> Value {
    let mut all = vec![("token", token)];
    all.extend_from_slice(pairs);
    sb(s, &all)
}

/// One call that must succeed; its `response`.
pub fn succeed(s: &Server, token: &str, pairs: &[(&str, &str)]) -> Value {
    let v = sb_with(s, token, pairs);
    assert_eq!(v["success"], true, "{pairs:?}: {v}");
    v["response"].clone()
}

/// The setup every Support Board test shares: a server and an admin API
/// token. Derefs to the `Server`.
pub struct Sb {
    server: Server,
    token: String,
}

impl Sb {
    pub fn start(env: &[(&str, &str)]) -> Sb {
        let server = Server::start_with(env);
        let token = server.admin_token();
        Sb { server, token }
    }

    /// The admin token.
    pub fn t(&self) -> &str {
        &self.token
    }

    /// One function that must succeed; its `response`.
    pub fn call(&self, pairs: &[(&str, &str)]) -> Value {
        succeed(&self.server, &self.token, pairs)
    }

    /// One function, the whole envelope.
    pub fn raw(&self, pairs: &[(&str, &str)]) -> Value {
        sb_with(&self.server, &self.token, pairs)
    }
}

impl std::ops::Deref for Sb {
    type Target = Server;
    fn deref(&self) -> &Server {
        &self.server
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            b' ' => "+".into(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn users_conversations_and_messages_through_api_php() {
    let s = Sb::start(&[("FRONTPORCH_POLL_SECONDS", "20")]);
    let t = s.t();
    let rest = s.client(t);

    // Security and unknown functions.
    assert_eq!(
        sb(
            &s,
            &[
                ("token", "nope"),
                ("function", "get-user"),
                ("user_id", "1")
            ]
        )
        .to_string(),
        r#"{"success":false,"response":"security-error"}"#
    );
    let v = sb(&s, &[("token", t), ("function", "no-such-thing")]);
    assert_eq!(
        (v["success"].as_bool(), v["response"].as_str()),
        (Some(false), Some("function-not-supported"))
    );

    // add-user with PHP-style nested extra.
    let v = sb(
        &s,
        &[
            ("token", t),
            ("function", "add-user"),
            ("first_name", "Bianca"),
            ("last_name", "Santos"),
            ("email", "bianca@example.com"),
            ("extra[phone][0]", "3203057977"),
            ("extra[phone][1]", "Phone"),
            ("extra[location][0]", "New York"),
            ("extra[location][1]", "Location"),
        ],
    );
    assert_eq!(v["success"], true, "{v}");
    let uid = v["response"].as_i64().unwrap();
    let dup = sb(
        &s,
        &[
            ("token", t),
            ("function", "add-user"),
            ("email", "bianca@example.com"),
        ],
    );
    assert_eq!(dup["response"], "duplicate-email");
    let bad = sb(
        &s,
        &[
            ("token", t),
            ("function", "add-user"),
            ("user_type", "wizard"),
        ],
    );
    assert_eq!(bad["response"], "invalid-user-type");

    let u = sb(
        &s,
        &[
            ("token", t),
            ("function", "get-user"),
            ("user_id", &uid.to_string()),
            ("extra", "true"),
        ],
    );
    let r = &u["response"];
    assert_eq!(r["id"], uid.to_string());
    assert_eq!(r["user_type"], "user");
    assert!(r["creation_time"].as_str().unwrap().len() == 19);
    assert!(r["details"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["slug"] == "phone" && d["value"] == "3203057977"));
    assert_eq!(
        sb(
            &s,
            &[
                ("token", t),
                ("function", "get-user"),
                ("user_id", "999999")
            ]
        )["response"],
        false
    );
    let users = sb(
        &s,
        &[
            ("token", t),
            ("function", "get-users"),
            ("user_types", r#"["user"]"#),
            ("search", "bianca"),
        ],
    );
    assert_eq!(users["response"].as_array().unwrap().len(), 1);

    // A conversation and a message, visible through REST and the realtime stream.
    let c = sb(
        &s,
        &[
            ("token", t),
            ("function", "new-conversation"),
            ("user_id", &uid.to_string()),
            ("title", "Order"),
        ],
    );
    assert_eq!(c["response"]["details"]["conversation_status_code"], "0");
    let cid = c["response"]["details"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        sb(
            &s,
            &[
                ("token", t),
                ("function", "new-conversation"),
                ("user_id", "999999")
            ]
        )["response"],
        "user-not-found"
    );
    let cursor = rest.get("/api/v1/events?after=0")["cursor"]
        .as_i64()
        .unwrap();
    let waiter = rest.poll_events(cursor);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let m = sb(
        &s,
        &[
            ("token", t),
            ("function", "send-message"),
            ("user_id", &uid.to_string()),
            ("conversation_id", &cid),
            ("message", "Where is my order?"),
            (
                "attachments",
                r#"[["label.pdf","https://example.com/label.pdf"]]"#,
            ),
        ],
    );
    assert_eq!(m["response"]["status"], "success", "{m}");
    let got = waiter.join().unwrap();
    assert!(got.to_string().contains("Where is my order?"));
    let hist = rest.get(&format!("/api/v1/conversations/{cid}/messages"));
    assert_eq!(hist["messages"][0]["attachments"][0]["name"], "label.pdf");
    assert_eq!(
        sb(
            &s,
            &[
                ("token", t),
                ("function", "send-message"),
                ("conversation_id", &cid)
            ]
        )["response"],
        "missing-user-id-or-message"
    );

    let g = sb(
        &s,
        &[
            ("token", t),
            ("function", "get-conversation"),
            ("conversation_id", &cid),
        ],
    );
    assert_eq!(
        g["response"]["messages"][0]["message"],
        "Where is my order?"
    );
    assert_eq!(
        g["response"]["messages"][0]["attachments"],
        r#"[["label.pdf","https://example.com/label.pdf"]]"#
    );
    assert_eq!(g["response"]["details"]["title"], "Order");
    let none = sb(
        &s,
        &[
            ("token", t),
            ("function", "get-conversation"),
            ("conversation_id", "999999"),
        ],
    );
    assert_eq!(
        none["response"].to_string(),
        r#"{"messages":[],"details":""}"#
    );

    // Status changes, including the documented error.
    assert_eq!(
        sb(
            &s,
            &[
                ("token", t),
                ("function", "update-conversation-status"),
                ("conversation_id", &cid),
                ("status_code", "9")
            ]
        )["response"],
        "invalid-status-code"
    );
    assert_eq!(
        sb(
            &s,
            &[
                ("token", t),
                ("function", "update-conversation-status"),
                ("conversation_id", &cid),
                ("status_code", "3")
            ]
        )["response"],
        true
    );
    let list = sb(
        &s,
        &[
            ("token", t),
            ("function", "get-conversations"),
            ("status_code", "3"),
        ],
    );
    assert_eq!(list["response"][0]["conversation_id"], cid.as_str());
    assert_eq!(list["response"][0]["conversation_status_code"], "3");
    // conversation_status_code=skip leaves the status alone.
    sb(
        &s,
        &[
            ("token", t),
            ("function", "send-message"),
            ("user_id", &uid.to_string()),
            ("conversation_id", &cid),
            ("message", "one more"),
            ("conversation_status_code", "skip"),
        ],
    );
    assert_eq!(
        rest.get(&format!("/api/v1/conversations/{cid}"))["conversation"]["status"],
        3
    );
    // JSON bodies work too, as the jQuery client can send them.
    let resp = agent()
        .post(s.url("/api.php"))
        .header("content-type", "application/json")
        .send(serde_json::json!({"token": t, "function": "get-bot-id"}).to_string())
        .unwrap();
    let v: Value = serde_json::from_str(&resp.into_body().read_to_string().unwrap()).unwrap();
    assert_eq!(v["success"], true);

    // More of the user and conversation functions.
    let u = uid.to_string();
    let call = |pairs: &[(&str, &str)]| s.raw(pairs)["response"].clone();
    assert_eq!(call(&[("function", "count-users")])["user"], "1");
    assert_eq!(
        call(&[
            ("function", "current-url"),
            ("user_id", &u),
            ("url", "https://shop.example.com/cart")
        ]),
        true
    );
    assert_eq!(
        call(&[("function", "current-url"), ("user_id", &u)]),
        "https://shop.example.com/cart"
    );
    assert_eq!(
        call(&[("function", "get-user-language"), ("user_id", &u)]),
        false
    );
    assert_eq!(
        call(&[("function", "update-user-to-lead"), ("user_id", &u)]),
        true
    );
    assert_eq!(
        rest.get(&format!("/api/v1/users/{uid}"))["user"]["type"],
        "lead"
    );
    let mine = call(&[("function", "get-user-conversations"), ("user_id", &u)]);
    assert_eq!(mine[0]["conversation_id"], cid.as_str());
    assert_eq!(
        call(&[("function", "search-conversations"), ("search", "order")])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        call(&[("function", "count-conversations"), ("status_code", "3")]),
        1
    );
    let newer = call(&[
        ("function", "get-new-messages"),
        ("conversation_id", &cid),
        ("datetime", "0"),
    ]);
    assert_eq!(newer.as_array().unwrap().len(), 2);
    let first_id = newer[0]["id"].as_str().unwrap().to_string();
    let after = call(&[
        ("function", "get-new-messages"),
        ("conversation_id", &cid),
        ("datetime", &first_id),
    ]);
    assert_eq!(after.as_array().unwrap().len(), 1);
    assert_eq!(
        call(&[
            ("function", "update-message"),
            ("message_id", &first_id),
            ("message", "Where is my parcel?")
        ]),
        true
    );
    assert_eq!(
        rest.get(&format!("/api/v1/conversations/{cid}/messages"))["messages"][0]["body"],
        "Where is my parcel?"
    );
    // Attachments and payload change only when given.
    assert_eq!(
        call(&[
            ("function", "update-message"),
            ("message_id", &first_id),
            ("message", "Where is my parcel? (photo)"),
            (
                "attachments",
                r#"[["parcel.jpg", "https://example.com/parcel.jpg"]]"#
            ),
            ("payload", r#"{"order": 1234}"#),
        ]),
        true
    );
    let m = &rest.get(&format!("/api/v1/conversations/{cid}/messages"))["messages"][0];
    assert_eq!(m["attachments"][0]["url"], "https://example.com/parcel.jpg");
    assert_eq!(m["payload"], serde_json::json!({"order": 1234}));
    call(&[
        ("function", "update-message"),
        ("message_id", &first_id),
        ("message", "Where is my parcel?"),
    ]);
    let m = &rest.get(&format!("/api/v1/conversations/{cid}/messages"))["messages"][0];
    assert_eq!(m["attachments"][0]["name"], "parcel.jpg");
    let v = s.raw(&[
        ("function", "update-message"),
        ("message_id", &first_id),
        ("message", "x"),
        ("attachments", r#"[["a", "javascript:alert(1)"]]"#),
    ]);
    assert_eq!(v["response"], "invalid-attachment");
    assert_eq!(
        call(&[("function", "delete-message"), ("message_id", &first_id)]),
        true
    );
    assert_eq!(
        rest.get(&format!("/api/v1/conversations/{cid}/messages"))["messages"][0]["deleted"],
        true
    );
    assert_eq!(
        call(&[
            ("function", "get-user-from-conversation"),
            ("conversation_id", &cid)
        ])["email"],
        "bianca@example.com"
    );
    let dept = rest.post("/api/v1/departments", serde_json::json!({"name": "Sales"}))["department"]
        ["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        call(&[
            ("function", "update-conversation-department"),
            ("conversation_id", &cid),
            ("department", &dept.to_string())
        ]),
        true
    );
    assert_eq!(
        rest.get(&format!("/api/v1/conversations/{cid}"))["conversation"]["department_id"],
        dept
    );
    assert_eq!(
        call(&[
            ("function", "update-conversation-department"),
            ("conversation_id", &cid),
            ("department", "false")
        ]),
        true
    );
    assert_eq!(
        rest.get(&format!("/api/v1/conversations/{cid}"))["conversation"]["department_id"],
        Value::Null
    );
    let admin_id = call(&[("function", "get-agents-ids")])[0].as_i64().unwrap();
    assert_eq!(
        call(&[
            ("function", "get-agent"),
            ("agent_id", &admin_id.to_string())
        ])["user_type"],
        "admin"
    );
    assert_eq!(
        call(&[
            ("function", "update-conversation-agent"),
            ("conversation_id", &cid),
            ("agent_id", &admin_id.to_string())
        ]),
        true
    );
    assert_eq!(
        rest.get(&format!("/api/v1/conversations/{cid}"))["conversation"]["agent_id"],
        admin_id
    );
    assert_eq!(call(&[("function", "agents-online")]), false);
    assert_eq!(call(&[("function", "count-conversations")]), 1);

    assert_eq!(
        sb(
            &s,
            &[
                ("token", t),
                ("function", "delete-user"),
                ("user_id", &uid.to_string())
            ]
        )["response"],
        true
    );
    assert_eq!(
        rest.call("GET", &format!("/api/v1/conversations/{cid}"), None)
            .0,
        404
    );
}

#[test]
fn ratings_settings_replies_read_marks_and_typing() {
    let s = Sb::start(&[("FRONTPORCH_POLL_SECONDS", "20")]);
    let t = s.t();
    let rest = s.client(t);
    let uid = s
        .call(&[
            ("function", "add-user"),
            ("first_name", "Lea"),
            ("user_type", "lead"),
        ])
        .as_i64()
        .unwrap()
        .to_string();
    let cid = s.call(&[("function", "new-conversation"), ("user_id", &uid)])["details"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let admin_id = s.call(&[("function", "get-agents-ids")])[0]
        .as_i64()
        .unwrap()
        .to_string();
    s.call(&[
        ("function", "update-conversation-agent"),
        ("conversation_id", &cid),
        ("agent_id", &admin_id),
    ]);

    // Ratings, counted per agent.
    let settings = format!(r#"{{"settings":{{"conversation_id":"{cid}","rating":"1"}}}}"#);
    assert_eq!(
        s.call(&[("function", "set-rating"), ("settings", &settings)]),
        true
    );
    assert_eq!(
        s.call(&[("function", "get-rating"), ("user_id", &admin_id)]),
        serde_json::json!([1, 0])
    );

    // Settings and saved replies.
    assert_eq!(
        s.call(&[
            ("function", "save-settings"),
            (
                "settings",
                r#"{"chat-greeting":"Hi!","saved_replies":[{"shortcut":"hello","text":"Hello! How can I help?"}]}"#
            )
        ]),
        true
    );
    assert_eq!(
        s.call(&[("function", "get-setting"), ("setting", "chat-greeting")]),
        "Hi!"
    );
    assert_eq!(
        s.call(&[("function", "get-settings")])["chat-greeting"],
        "Hi!"
    );
    assert_eq!(
        s.call(&[("function", "saved-replies")]),
        serde_json::json!([{"reply-name": "hello", "reply-text": "Hello! How can I help?"}])
    );

    // Read marks from message ids.
    let mid = s.call(&[
        ("function", "send-message"),
        ("user_id", &uid),
        ("conversation_id", &cid),
        ("message", "unread yet"),
    ])["message-id"]
        .to_string();
    assert_eq!(
        rest.get(&format!("/api/v1/conversations/{cid}"))["conversation"]["unread"],
        1
    );
    s.call(&[
        ("function", "update-messages-status"),
        ("message_ids", &format!("[{mid}]")),
    ]);
    assert_eq!(
        rest.get(&format!("/api/v1/conversations/{cid}"))["conversation"]["unread"],
        0
    );

    // Typing on behalf of the user reaches waiting staff.
    let cursor = rest.get("/api/v1/events?after=0")["cursor"]
        .as_i64()
        .unwrap();
    let waiter = rest.poll_events(cursor);
    std::thread::sleep(std::time::Duration::from_millis(200));
    s.call(&[
        ("function", "set-typing"),
        ("user_id", &uid),
        ("conversation_id", &cid),
    ]);
    assert_eq!(waiter.join().unwrap()["events"][0]["kind"], "typing");

    // New users since an id; deleting leads.
    assert!(s
        .call(&[("function", "get-new-users"), ("datetime", "0")])
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["id"] == uid.as_str()));
    assert_eq!(s.call(&[("function", "delete-leads")]), true);
    assert_eq!(
        s.call(&[("function", "get-user"), ("user_id", &uid)]),
        false
    );
}

#[test]
fn notes_agents_in_conversation_and_user_details() {
    let s = Sb::start(&[]);
    let uid = s
        .call(&[
            ("function", "add-user"),
            ("first_name", "Nina"),
            ("email", "nina@example.com"),
            ("extra[phone][0]", "555-1234"),
            ("extra[phone][1]", "Phone"),
        ])
        .as_i64()
        .unwrap()
        .to_string();
    let cid = s.call(&[("function", "new-conversation"), ("user_id", &uid)])["details"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let admin_id = s.call(&[("function", "get-agents-ids")])[0]
        .as_i64()
        .unwrap()
        .to_string();
    s.call(&[
        ("function", "send-message"),
        ("user_id", &admin_id),
        ("conversation_id", &cid),
        ("message", "Hi Nina"),
    ]);
    let agents = s.call(&[
        ("function", "get-agents-in-conversation"),
        ("conversation_id", &cid),
    ]);
    assert_eq!(agents[&cid][0]["id"].to_string(), admin_id);

    let note = s.call(&[
        ("function", "add-note"),
        ("conversation_id", &cid),
        ("user_id", &admin_id),
        ("name", "VIP"),
        ("message", "Call back Friday"),
    ]);
    let notes = s.call(&[("function", "get-notes"), ("conversation_id", &cid)]);
    assert_eq!(notes[0]["name"], "VIP");
    assert_eq!(notes[0]["message"], "Call back Friday");
    // Notes stay internal: the conversation's history through get-conversation as a visitor would not show them.
    assert_eq!(
        s.call(&[
            ("function", "delete-note"),
            ("conversation_id", &cid),
            ("note_id", &note.to_string())
        ]),
        true
    );
    assert_eq!(
        s.call(&[("function", "get-notes"), ("conversation_id", &cid)]),
        serde_json::json!([])
    );

    let details = s.call(&[
        ("function", "get-users-with-details"),
        ("details", r#"["email","phone"]"#),
        ("user_ids", &uid),
    ]);
    assert_eq!(details["email"][0]["value"], "nina@example.com");
    assert_eq!(details["phone"][0]["value"], "555-1234");
}

#[test]
fn delivery_functions_say_they_are_not_configured() {
    let s = Sb::start(&[]);
    let t = s.t();
    let with_email = s
        .call(&[
            ("function", "add-user"),
            ("first_name", "Em"),
            ("email", "em@example.com"),
        ])
        .to_string();
    let without_email = s
        .call(&[("function", "add-user"), ("first_name", "No")])
        .to_string();
    for (function, args, code) in [
        (
            "send-email",
            vec![("recipient_id", with_email.as_str()), ("message", "hi")],
            "email-not-configured",
        ),
        (
            "send-email",
            vec![("recipient_id", without_email.as_str()), ("message", "hi")],
            "user-email-not-found",
        ),
        (
            "send-email",
            vec![("recipient_id", "999999"), ("message", "hi")],
            "user-or-sender-not-found",
        ),
        (
            "send-email",
            vec![
                ("recipient_id", with_email.as_str()),
                ("message", "hi"),
                ("sender_id", "999999"),
            ],
            "user-or-sender-not-found",
        ),
        (
            "send-email",
            vec![("recipient_id", with_email.as_str())],
            "missing-user-id-or-message",
        ),
        (
            "send-custom-email",
            vec![("to", "a@example.com"), ("subject", "s"), ("message", "m")],
            "email-not-configured",
        ),
        (
            "send-sms",
            vec![("to", "+15305431221"), ("message", "hi")],
            "sms-not-configured",
        ),
        (
            "whatsapp-send-message",
            vec![("to", "+39321305455"), ("message", "hi")],
            "whatsapp-not-configured",
        ),
        (
            "telegram-send-message",
            vec![("chat_id", "42"), ("message", "hi")],
            "telegram-not-configured",
        ),
        (
            "whatsapp-send-template",
            vec![("to", "+39321305455"), ("template_name", "welcome")],
            "whatsapp-not-configured",
        ),
        (
            "messenger-send-message",
            vec![("psid", "1"), ("facebook_page_id", "2"), ("message", "hi")],
            "messenger-not-configured",
        ),
        (
            "viber-send-message",
            vec![("viber_id", "1"), ("message", "hi")],
            "viber-not-configured",
        ),
        (
            "line-send-message",
            vec![("line_id", "1"), ("message", "hi")],
            "line-not-configured",
        ),
        (
            "wechat-send-message",
            vec![("open_id", "1"), ("message", "hi")],
            "wechat-not-configured",
        ),
        (
            "messaging-platforms-send-message",
            vec![("conversation_id", "1"), ("message", "hi")],
            "messaging-platform-not-configured",
        ),
    ] {
        let mut pairs = vec![("token", t), ("function", function)];
        pairs.extend(args);
        let v = sb(&s, &pairs);
        assert_eq!(
            (v["success"].as_bool(), v["response"].as_str()),
            (Some(false), Some(code)),
            "{function}"
        );
    }
    let v = sb(
        &s,
        &[
            ("token", t),
            ("function", "send-sms"),
            ("message", "no number"),
        ],
    );
    assert_eq!(v["response"], "missing-arguments");
    let v = sb(
        &s,
        &[
            ("token", t),
            ("function", "messenger-send-message"),
            ("message", "no page"),
            ("psid", "1"),
        ],
    );
    assert_eq!(v["response"], "missing-arguments");
}

#[test]
fn transcripts_direct_messages_and_typing_state() {
    let s = Sb::start(&[]);
    let uid = s
        .call(&[("function", "add-user"), ("first_name", "Tess")])
        .as_i64()
        .unwrap()
        .to_string();
    // A direct message opens a conversation for a user who has none.
    assert_eq!(
        s.call(&[
            ("function", "direct-message"),
            ("user_ids", &format!("[{uid}]")),
            ("message", "Your order shipped, \"today\"")
        ]),
        true
    );
    let convs = s.call(&[("function", "get-user-conversations"), ("user_id", &uid)]);
    let cid = convs[0]["conversation_id"].as_str().unwrap().to_string();
    assert_eq!(convs[0]["message"], "Your order shipped, \"today\"");

    // Transcript as CSV, at an unguessable URL, with quotes escaped.
    let url = s.call(&[
        ("function", "transcript"),
        ("conversation_id", &cid),
        ("type", "csv"),
    ]);
    let url = url.as_str().unwrap();
    assert!(
        url.starts_with("/uploads/")
            && url.contains("&sig=")
            && url
                .split('?')
                .next()
                .unwrap()
                .ends_with(&format!("conversation-{cid}.csv")),
        "{url}"
    );
    let body = agent()
        .get(s.url(url))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(body.starts_with("date,user,message,attachments"));
    assert!(
        body.contains(r#""Your order shipped, ""today""""#),
        "{body}"
    );
    assert_eq!(
        s.call(&[("function", "transcript"), ("conversation_id", "999999")]),
        false
    );

    // Typing state.
    assert_eq!(
        s.call(&[
            ("function", "is-typing"),
            ("user_id", &uid),
            ("conversation_id", &cid)
        ]),
        false
    );
    s.call(&[
        ("function", "set-typing"),
        ("user_id", &uid),
        ("conversation_id", &cid),
    ]);
    assert_eq!(
        s.call(&[
            ("function", "is-typing"),
            ("user_id", &uid),
            ("conversation_id", &cid)
        ]),
        true
    );
    assert_eq!(
        s.call(&[("function", "is-agent-typing"), ("conversation_id", &cid)]),
        false
    );
    let admin_id = s.call(&[("function", "get-agents-ids")])[0]
        .as_i64()
        .unwrap()
        .to_string();
    s.call(&[
        ("function", "set-typing"),
        ("user_id", &admin_id),
        ("conversation_id", &cid),
    ]);
    assert_eq!(
        s.call(&[("function", "is-agent-typing"), ("conversation_id", &cid)])["id"],
        admin_id.as_str()
    );
}
