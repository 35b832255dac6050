//! Messaging platforms in (issue 12): `POST /channels/<name>` with Telegram
//! as the platform, its API a loopback fake (`fake_platform.rs`).

use super::harness::{Client, Server};
use super::support_board::succeed;
use serde_json::{json, Value};

const SECRET: &str = "s3cret-Token_1";
const BOT: &str = "123456:ABC-def";

fn start() -> (Server, Client, String) {
    let server = Server::start_with(&[("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1")]);
    let token = server.admin_token();
    let admin = server.client(&token);
    (server, admin, token)
}

/// Saves `channels.telegram` with `api_base` pointing at the fake.
fn configure(admin: &Client, api_base: &str) {
    admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "channels.telegram": {
            "bot_token": BOT, "secret_token": SECRET, "api_base": api_base } })),
    );
}

/// A Telegram update (https://core.telegram.org/bots/api#update) as the
/// Bot API posts it to a webhook.
fn update(update_id: i64, message_id: i64, chat: i64, text: &str) -> Value {
    json!({ "update_id": update_id, "message": {
        "message_id": message_id, "date": 1733068800,
        "from": { "id": chat, "is_bot": false, "first_name": "Zoë", "last_name": "Ünal 🌻",
                  "username": "zoe_u", "language_code": "fr" },
        "chat": { "id": chat, "first_name": "Zoë", "type": "private" },
        "text": text } })
}

/// Posts to `/channels/<name>` with Telegram's secret header (when given).
fn post(server: &Server, name: &str, body: &Value, secret: Option<&str>) -> (u16, String) {
    let mut headers = vec![("content-type", "application/json")];
    if let Some(s) = secret {
        headers.push(("x-telegram-bot-api-secret-token", s));
    }
    let (st, _, text) = server.anon().raw(
        "POST",
        &format!("/channels/{name}"),
        Some(body.to_string()),
        &headers,
    );
    (st, text)
}

fn code(text: &str) -> String {
    let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    v["error"]["code"].as_str().unwrap_or("").to_string()
}

/// Every conversation and message there is: (conversations, messages).
fn counts(admin: &Client) -> (usize, usize) {
    let convs = admin.get("/api/v1/conversations?limit=100&status=0,1,2,3,4");
    let list = convs["conversations"].as_array().unwrap().clone();
    let messages = list
        .iter()
        .map(|c| {
            let id = c["id"].as_i64().unwrap();
            admin.get(&format!("/api/v1/conversations/{id}/messages?limit=200"))["messages"]
                .as_array()
                .unwrap()
                .len()
        })
        .sum();
    (list.len(), messages)
}

fn tg_conversations(admin: &Client) -> Vec<Value> {
    admin.get("/api/v1/conversations?source=tg&limit=100")["conversations"]
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

#[test]
fn refusals_store_nothing() {
    let (server, admin, _) = start();
    let u = update(1, 1, 42, "hello");
    let (st, text) = post(&server, "fax", &u, Some(SECRET));
    assert_eq!(
        (st, code(&text).as_str()),
        (404, "unknown_channel"),
        "{text}"
    );
    let (st, text) = post(&server, "telegram", &u, Some(SECRET));
    assert_eq!(
        (st, code(&text).as_str()),
        (404, "channel_not_configured"),
        "{text}"
    );
    configure(&admin, "http://127.0.0.1:9");
    let before = counts(&admin);
    for secret in [Some("wrong"), Some(""), None] {
        let (st, text) = post(&server, "telegram", &u, secret);
        assert_eq!((st, code(&text).as_str()), (403, "bad_signature"), "{text}");
    }
    // A verified request that cannot be read: 400, nothing stored.
    let (st, _, text) = server.anon().raw(
        "POST",
        "/channels/telegram",
        Some("{not json".into()),
        &[("x-telegram-bot-api-secret-token", SECRET)],
    );
    assert_eq!((st, code(&text).as_str()), (400, "invalid_channel_payload"));
    assert_eq!(counts(&admin), before, "a refused request stored something");
    assert!(tg_conversations(&admin).is_empty());
    // Telegram has no handshake: GET is not allowed.
    let (st, _, text) = server.anon().raw("GET", "/channels/telegram", None, &[]);
    assert_eq!((st, code(&text).as_str()), (405, "method_not_allowed"));
}

#[test]
fn a_message_becomes_a_conversation_once() {
    let (server, admin, token) = start();
    configure(&admin, "http://127.0.0.1:9");
    let text = "Bonjour ! Ça marche ? 🚲✨ 你好";
    let u = update(100, 7, 4242, text);
    let (st, body) = post(&server, "telegram", &u, Some(SECRET));
    assert_eq!((st, body.as_str()), (200, "{}"));
    let convs = tg_conversations(&admin);
    assert_eq!(convs.len(), 1, "{convs:?}");
    let c = &convs[0];
    assert_eq!(c["source"], "tg");
    assert_eq!(c["extra"]["chat_id"], "4242");
    let cid = c["id"].as_i64().unwrap();
    let msgs = messages(&admin, cid);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0]["body"], text);
    let user = admin.get(&format!("/api/v1/users/{}", c["user_id"]));
    let user = if user["user"].is_object() {
        user["user"].clone()
    } else {
        user
    };
    assert_eq!(
        (user["first_name"].as_str(), user["last_name"].as_str()),
        (Some("Zoë"), Some("Ünal 🌻"))
    );
    assert_eq!(user["type"], "user");

    // Telegram delivers the same update again: stored once.
    let (st, _) = post(&server, "telegram", &u, Some(SECRET));
    assert_eq!(st, 200);
    assert_eq!(messages(&admin, cid).len(), 1);
    // A second message of the same chat: the same conversation.
    let (st, _) = post(
        &server,
        "telegram",
        &update(101, 8, 4242, "encore"),
        Some(SECRET),
    );
    assert_eq!(st, 200);
    assert_eq!(tg_conversations(&admin).len(), 1);
    let bodies: Vec<_> = messages(&admin, cid)
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(bodies, vec![text.to_string(), "encore".into()]);
    // Another chat: another contact and conversation.
    post(&server, "telegram", &update(102, 1, 77, "hi"), Some(SECRET));
    let convs = tg_conversations(&admin);
    assert_eq!(convs.len(), 2);
    assert_ne!(convs[0]["user_id"], convs[1]["user_id"]);

    // Support Board's get-conversation shows the extra data as stored.
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
