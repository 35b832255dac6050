//! Telegram, through the Bot API (https://core.telegram.org/bots/api):
//! updates arrive by webhook (`setWebhook` with a `secret_token`, echoed
//! in `X-Telegram-Bot-Api-Secret-Token`), messages leave with
//! `sendMessage` / `sendPhoto` / `sendDocument`, files come with `getFile`
//! and then `/file/bot<token>/<file_path>`. Telegram reports no delivery
//! or read state to bots.

use super::*;
use crate::error;
use serde_json::json;

pub const PLATFORM: Platform = Platform {
    name: "telegram",
    label: "Telegram",
    sources: &["tg"],
    fields: &[
        Field {
            name: "bot_token",
            secret: true,
            required: true,
        },
        Field {
            name: "secret_token",
            secret: true,
            required: true,
        },
    ],
    api_base: "https://api.telegram.org",
    caps: Caps {
        max_text: 4096,
        media: true,
        reply_window_hours: None,
        statuses: false,
        templates: false,
    },
    handshake: None,
    verify,
    parse,
    ack: ("application/json", "{}"),
    send,
    media,
    register: Some(register),
};

/// `setWebhook` with our URL and the secret token Telegram will echo.
fn register(http: &dyn Http, c: &Config, url: &str) -> Sent {
    let body = json!({ "url": url, "secret_token": c.get("secret_token"),
                       "allowed_updates": ["message"] });
    Sent::judge(
        http.call(Request::new(
            "POST",
            method(c, "setWebhook"),
            Body::Json(body),
        )),
        |_| Vec::new(),
    )
}

fn verify(c: &Config, r: &Inbound) -> Result<()> {
    let want = c.get("secret_token");
    let got = r.header("x-telegram-bot-api-secret-token").unwrap_or("");
    if want.is_empty() || !same(want.as_bytes(), got.as_bytes()) {
        return Err(error::CHANNEL_SIGNATURE.err());
    }
    Ok(())
}

/// One update (https://core.telegram.org/bots/api#update): a `message`
/// (edits, channel posts and the rest are not conversations).
fn parse(_: &Config, r: &Inbound) -> Result<Vec<Event>> {
    let u = r.json()?;
    if !u.is_object() {
        return Err(error::CHANNEL_PAYLOAD.with("an update is an object"));
    }
    let Some(m) = u.get("message").filter(|m| m.is_object()) else {
        return Ok(Vec::new());
    };
    // A group's chat id is the group's: its members would all become one
    // contact. Only one-to-one chats with the bot are conversations.
    if m["chat"]["type"].as_str().is_some_and(|t| t != "private") {
        return Ok(Vec::new());
    }
    let chat = m["chat"]["id"]
        .as_i64()
        .ok_or_else(|| error::CHANNEL_PAYLOAD.with("message.chat.id is missing"))?;
    let message_id = m["message_id"]
        .as_i64()
        .ok_or_else(|| error::CHANNEL_PAYLOAD.with("message.message_id is missing"))?;
    let text = m["text"].as_str().or(m["caption"].as_str()).unwrap_or("");
    let mut media = Vec::new();
    // The largest size of a photo is the last one.
    if let Some(p) = m["photo"].as_array().and_then(|a| a.last()) {
        media.extend(file_ref(p, Some("image/jpeg"), None));
    }
    for kind in ["document", "video", "audio", "voice", "animation"] {
        let f = &m[kind];
        if f.is_object() {
            media.extend(file_ref(
                f,
                f["mime_type"].as_str(),
                f["file_name"].as_str(),
            ));
        }
    }
    if text.is_empty() && media.is_empty() {
        // A sticker, a location, a poll: nothing to show yet.
        return Ok(Vec::new());
    }
    let from = &m["from"];
    let mut extra = Map::new();
    extra.insert("chat_id".into(), json!(chat.to_string()));
    if let Some(u) = from["username"].as_str() {
        extra.insert("username".into(), json!(u));
    }
    Ok(vec![Event::Message(InMessage {
        source: "tg",
        id: format!("{chat}:{message_id}"),
        from: chat.to_string(),
        first_name: from["first_name"].as_str().unwrap_or("").into(),
        last_name: from["last_name"].as_str().unwrap_or("").into(),
        phone: None,
        text: text.into(),
        media,
        extra,
    })])
}

fn file_ref(f: &Value, content_type: Option<&str>, name: Option<&str>) -> Option<MediaRef> {
    Some(MediaRef {
        id: f["file_id"].as_str()?.to_string(),
        content_type: content_type.map(str::to_string),
        name: name.map(str::to_string),
    })
}

fn method(c: &Config, name: &str) -> String {
    format!("{}/bot{}/{name}", c.api_base(), c.get("bot_token"))
}

/// `sendMessage`, or one `sendPhoto`/`sendDocument` per file with the text
/// as the first one's caption (Telegram takes a URL and fetches it).
fn send(http: &dyn Http, c: &Config, m: &Outgoing) -> Sent {
    let chat = m
        .extra
        .get("chat_id")
        .and_then(Value::as_str)
        .unwrap_or(&m.to);
    let mut calls = Vec::new();
    if m.media.is_empty() || m.text.chars().count() > 1024 {
        calls.push(("sendMessage", json!({ "chat_id": chat, "text": m.text })));
    }
    for (i, f) in m.media.iter().enumerate() {
        let (name, field) = if f.content_type.starts_with("image/") {
            ("sendPhoto", "photo")
        } else {
            ("sendDocument", "document")
        };
        let mut body = json!({ "chat_id": chat, field: f.url });
        if i == 0 && calls.is_empty() && !m.text.is_empty() {
            body["caption"] = json!(m.text);
        }
        calls.push((name, body));
    }
    let sends = calls.into_iter().map(|(name, body)| {
        Sent::judge(
            http.call(Request::new("POST", method(c, name), Body::Json(body))),
            |v| {
                v["result"]["message_id"]
                    .as_i64()
                    .map(|id| vec![format!("{chat}:{id}")])
                    .unwrap_or_default()
            },
        )
    });
    in_order(sends, false)
}

fn media(http: &dyn Http, c: &Config, f: &MediaRef) -> std::result::Result<Fetched, String> {
    let url = format!(
        "{}?file_id={}",
        method(c, "getFile"),
        percent_encoding::utf8_percent_encode(&f.id, percent_encoding::NON_ALPHANUMERIC)
    );
    let info = http.call(Request::new("GET", url, Body::None))?;
    let v = info.json();
    let path = v["result"]["file_path"]
        .as_str()
        .ok_or_else(|| format!("getFile answered {}: {}", info.status, info.text()))?;
    let mut req = Request::new(
        "GET",
        format!("{}/file/bot{}/{path}", c.api_base(), c.get("bot_token")),
        Body::None,
    );
    req.limit = usize::MAX;
    let file = http.call(req)?;
    if file.status != 200 {
        return Err(format!("the file answered {}", file.status));
    }
    Ok(Fetched {
        bytes: file.body,
        content_type: f.content_type.clone().or(Some(file.content_type)),
        name: f.name.clone().or_else(|| file_name(path)),
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::Recorder;
    use super::*;

    fn config() -> Config {
        let mut m = Map::new();
        m.insert("bot_token".into(), json!("123:ABC"));
        m.insert("secret_token".into(), json!("s3cret-token"));
        m.insert("api_base".into(), json!("http://127.0.0.1:9/"));
        Config(m)
    }

    fn update(body: Value, token: &str) -> Inbound {
        Inbound {
            headers: vec![("x-telegram-bot-api-secret-token".into(), token.to_string())],
            body: body.to_string().into_bytes(),
            ..Default::default()
        }
    }

    #[test]
    fn secret_token_is_checked() {
        let c = config();
        assert!(verify(&c, &update(json!({}), "s3cret-token")).is_ok());
        assert!(verify(&c, &update(json!({}), "wrong")).is_err());
        assert!(verify(&c, &Inbound::default()).is_err());
        // No secret configured: nothing is accepted.
        assert!(verify(&Config::default(), &update(json!({}), "")).is_err());
    }

    #[test]
    fn a_message_with_a_photo() {
        let u = json!({"update_id": 10, "message": {
            "message_id": 7, "date": 1, "caption": "Voilà 🚲",
            "from": {"id": 42, "first_name": "Zoë", "last_name": "Ünal", "username": "zoe"},
            "chat": {"id": 42, "type": "private"},
            "photo": [{"file_id": "small"}, {"file_id": "big"}]}});
        let ev = parse(&config(), &update(u, "")).unwrap();
        let Event::Message(m) = &ev[0] else { panic!() };
        assert_eq!(
            (m.id.as_str(), m.from.as_str(), m.text.as_str()),
            ("42:7", "42", "Voilà 🚲")
        );
        assert_eq!(
            (m.first_name.as_str(), m.last_name.as_str()),
            ("Zoë", "Ünal")
        );
        assert_eq!(m.media[0].id, "big");
        assert_eq!(m.extra["chat_id"], "42");
        // Not a message: nothing; not JSON: an error.
        assert!(parse(
            &config(),
            &update(json!({"update_id": 1, "edited_message": {}}), "")
        )
        .unwrap()
        .is_empty());
        assert!(parse(
            &config(),
            &Inbound {
                body: b"{".to_vec(),
                ..Default::default()
            }
        )
        .is_err());
    }

    #[test]
    fn send_message_request() {
        let http = Recorder::answering(vec![Recorder::json(
            200,
            json!({"ok": true, "result": {"message_id": 99}}),
        )]);
        let mut extra = Map::new();
        extra.insert("chat_id".into(), json!("42"));
        let out = Outgoing {
            to: "42".into(),
            extra,
            text: "Hello".into(),
            ..Default::default()
        };
        let Sent::Ok { ids, .. } = send(&http, &config(), &out) else {
            panic!()
        };
        assert_eq!(ids, vec!["42:99"]);
        let req = &http.requests.lock().unwrap()[0];
        assert_eq!(req.url, "http://127.0.0.1:9/bot123:ABC/sendMessage");
        let Body::Json(b) = &req.body else { panic!() };
        assert_eq!(b, &json!({"chat_id": "42", "text": "Hello"}));
    }

    #[test]
    fn register_sets_the_webhook_with_the_secret() {
        let http = Recorder::answering(vec![Recorder::json(
            200,
            json!({"ok": true, "result": true, "description": "Webhook was set"}),
        )]);
        let sent = register(&http, &config(), "https://chat.example/channels/telegram");
        assert!(matches!(sent, Sent::Ok { .. }));
        let req = &http.requests.lock().unwrap()[0];
        assert_eq!(req.url, "http://127.0.0.1:9/bot123:ABC/setWebhook");
        let Body::Json(b) = &req.body else { panic!() };
        assert_eq!(b["url"], "https://chat.example/channels/telegram");
        assert_eq!(b["secret_token"], "s3cret-token");
    }

    #[test]
    fn refusals_and_outages() {
        let refuse = Recorder::answering(vec![Recorder::json(
            400,
            json!({"ok": false, "description": "Bad Request: chat not found"}),
        )]);
        let out = Outgoing {
            to: "1".into(),
            text: "x".into(),
            ..Default::default()
        };
        assert!(matches!(
            send(&refuse, &config(), &out),
            Sent::Failed {
                retry: false,
                status: Some(400),
                ..
            }
        ));
        let down = Recorder::answering(vec![Err("connection refused".into())]);
        assert!(matches!(
            send(&down, &config(), &out),
            Sent::Failed { retry: true, .. }
        ));
    }
}
