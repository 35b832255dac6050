//! LINE, through the Messaging API
//! (https://developers.line.biz/en/reference/messaging-api/): events
//! arrive by webhook signed with `X-Line-Signature` (base64 HMAC-SHA256 of
//! the raw body under the channel secret), messages leave with the push
//! API (`POST /v2/bot/message/push`, bearer channel access token, an
//! `X-Line-Retry-Key` so a retried send is not delivered twice), files
//! come from the content host (`GET /v2/bot/message/{id}/content` on
//! api-data.line.me). LINE reports no delivery or read state to bots.
//!
//! Replies use push, not the reply API: a reply token lives a short
//! while after the user's message, and an agent answers later.

use super::*;
use crate::error;
use serde_json::json;

/// The content host (media download), apart from the API host.
const DATA_BASE: &str = "https://api-data.line.me";

/// Most message objects in one push request.
const MAX_PER_PUSH: usize = 5;

pub const PLATFORM: Platform = Platform {
    name: "line",
    label: "LINE",
    sources: &["ln"],
    fields: &[
        Field {
            name: "channel_access_token",
            secret: true,
            required: true,
        },
        Field {
            name: "channel_secret",
            secret: true,
            required: true,
        },
        // The content host; defaults to api-data.line.me, or to `api_base`
        // when that was changed (a test's loopback API serves both).
        Field {
            name: "data_base",
            secret: false,
            required: false,
        },
    ],
    api_base: "https://api.line.me",
    caps: Caps {
        max_text: 5000,
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

/// https://developers.line.biz/en/docs/messaging-api/verify-webhook-signature/:
/// base64(HMAC-SHA256(channel secret, raw body)) in `X-Line-Signature`.
fn verify(c: &Config, r: &Inbound) -> Result<()> {
    use base64::Engine;
    let secret = c.get("channel_secret");
    let got = r.header("x-line-signature").unwrap_or("");
    let want =
        base64::engine::general_purpose::STANDARD.encode(hmac_sha256(secret.as_bytes(), &r.body));
    if secret.is_empty() || !same(want.as_bytes(), got.trim().as_bytes()) {
        return Err(error::CHANNEL_SIGNATURE.err());
    }
    Ok(())
}

/// `{destination, events: [...]}`: each `message` event from a user
/// (https://developers.line.biz/en/reference/messaging-api/#message-event).
/// The console's "Verify" sends an empty `events`: nothing, answered 200.
/// Follow, unfollow, postback, unsend and group or room messages are left
/// out (a conversation here is one person).
fn parse(_: &Config, r: &Inbound) -> Result<Vec<Event>> {
    let body = r.json()?;
    let events = body["events"]
        .as_array()
        .ok_or_else(|| error::CHANNEL_PAYLOAD.with("events is missing"))?;
    let mut out = Vec::new();
    for e in events {
        if e["type"] != "message" || e["source"]["type"] != "user" {
            continue;
        }
        out.extend(message(e)?.map(Event::Message));
    }
    Ok(out)
}

/// One message event. Its id is `message.id`: a redelivered event
/// (`deliveryContext.isRedelivery`) carries the same message, so the same
/// id, whatever the delivery; it is also the id the content API names.
/// (`webhookEventId` repeats too, but names the event, not the message.)
fn message(e: &Value) -> Result<Option<InMessage>> {
    let m = &e["message"];
    let need = |v: &Value, what: &str| {
        v.as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| error::CHANNEL_PAYLOAD.with(format!("{what} is missing")))
    };
    let id = need(&m["id"], "message.id")?;
    let from = need(&e["source"]["userId"], "source.userId")?;
    let mut media = Vec::new();
    let text = match m["type"].as_str().unwrap_or("") {
        "text" => m["text"].as_str().unwrap_or("").to_string(),
        kind @ ("image" | "video" | "audio" | "file") => {
            media.push(content_ref(&id, kind, m));
            String::new()
        }
        "sticker" => {
            let words = m["keywords"]
                .as_array()
                .map(|k| {
                    k.iter()
                        .filter_map(Value::as_str)
                        .take(3)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            if words.is_empty() {
                "[Sticker]".to_string()
            } else {
                format!("[Sticker: {words}]")
            }
        }
        "location" => location(m),
        _ => return Ok(None),
    };
    if text.is_empty() && media.is_empty() {
        return Ok(None);
    }
    Ok(Some(InMessage {
        source: "ln",
        id,
        from,
        text,
        media,
        ..Default::default()
    }))
}

/// A file of a message: LINE's own (`contentProvider.type` "line", and
/// every `file`) is fetched by message id; an external one by its URL.
fn content_ref(id: &str, kind: &str, m: &Value) -> MediaRef {
    let external = m["contentProvider"]["type"] == "external";
    let url = m["contentProvider"]["originalContentUrl"].as_str();
    let name = m["fileName"].as_str().map(str::to_string);
    match (external, url) {
        (true, Some(url)) => MediaRef {
            id: url.to_string(),
            content_type: None,
            name: name.or_else(|| file_name(url)),
        },
        _ => MediaRef {
            id: id.to_string(),
            content_type: None,
            name: name.or_else(|| match kind {
                "image" => Some(format!("{id}.jpg")),
                "video" => Some(format!("{id}.mp4")),
                "audio" => Some(format!("{id}.m4a")),
                _ => None,
            }),
        },
    }
}

fn location(m: &Value) -> String {
    let mut lines = vec!["[Location]".to_string()];
    for key in ["title", "address"] {
        if let Some(s) = m[key].as_str().filter(|s| !s.is_empty()) {
            lines.push(s.to_string());
        }
    }
    if let (Some(lat), Some(lng)) = (m["latitude"].as_f64(), m["longitude"].as_f64()) {
        lines.push(format!("{lat}, {lng}"));
    }
    lines.join("\n")
}

fn bearer(c: &Config) -> String {
    format!("Bearer {}", c.get("channel_access_token"))
}

fn data_base(c: &Config) -> &str {
    match c.get("data_base").trim_end_matches('/') {
        "" if c.api_base() != PLATFORM.api_base => c.api_base(),
        "" => DATA_BASE,
        set => set,
    }
}

/// The message objects of one outgoing message: the text, then each file:
/// a JPEG or PNG as an image message (LINE shows only those inline; it
/// fetches `originalContentUrl` itself), any other file as a link
/// appended to the text (video and audio messages need a preview image
/// and a duration we do not have).
/// https://developers.line.biz/en/reference/messaging-api/#message-objects
fn messages(m: &Outgoing) -> Vec<Value> {
    let mut text = m.text.clone();
    let mut images = Vec::new();
    for f in &m.media {
        if matches!(f.content_type.as_str(), "image/jpeg" | "image/png") {
            images.push(json!({ "type": "image", "originalContentUrl": f.url,
                                "previewImageUrl": f.url }));
        } else {
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&format!("{}: {}", f.name, f.url));
        }
    }
    let mut out = Vec::new();
    if !text.is_empty() {
        // The lane keeps text within caps.max_text; links may push it over.
        for part in chunks(&text, PLATFORM.caps.max_text) {
            out.push(json!({ "type": "text", "text": part }));
        }
    }
    out.extend(images);
    out
}

fn chunks(text: &str, max: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(max).map(|c| c.iter().collect()).collect()
}

/// The retry key of one push call: a UUID derived from our reference (the
/// outbox row's message) and the call's body, so every retry of the same
/// row sends the same key and LINE delivers it once, while the parts of a
/// split message (same reference, other text) get their own keys.
/// https://developers.line.biz/en/docs/messaging-api/retrying-api-request/
fn retry_key(reference: &str, body: &Value) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(reference.as_bytes());
    h.update([0]);
    h.update(body.to_string().as_bytes());
    let digest = h.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Uuid::new_v8(bytes).hyphenated().to_string()
}

/// `POST /v2/bot/message/push`, at most five message objects a call
/// (https://developers.line.biz/en/reference/messaging-api/#send-push-message).
/// The ids are `sentMessages[].id`.
fn send(http: &dyn Http, c: &Config, m: &Outgoing) -> Sent {
    let all = messages(m);
    if all.is_empty() {
        return Sent::Failed {
            status: None,
            text: "nothing to send".into(),
            retry: false,
        };
    }
    // Without a retry key a retry would send the first parts again: final
    // once something went out. With one, LINE answers the parts it took
    // with 409 and sends only the rest.
    let keyed = m.reference.as_deref().is_some_and(|r| !r.is_empty());
    let sends = all.chunks(MAX_PER_PUSH).map(|batch| {
        let body = json!({ "to": m.to, "messages": batch });
        let mut req = Request::new(
            "POST",
            format!("{}/v2/bot/message/push", c.api_base()),
            Body::Json(body.clone()),
        )
        .header("Authorization", bearer(c));
        if let Some(r) = m.reference.as_deref().filter(|r| !r.is_empty()) {
            req = req.header("X-Line-Retry-Key", retry_key(r, &body));
        }
        judge(http.call(req))
    });
    in_order(sends, keyed)
}

/// The usual reading, and two of LINE's own: a 409 "The retry key is
/// already accepted" means an earlier try of this very request went out,
/// so it is sent (the answer carries that try's `sentMessages`); a 429
/// "You have reached your monthly limit." is final (the quota resets
/// next month, long after any retry).
fn judge(answer: std::result::Result<Response, String>) -> Sent {
    let ids = |v: &Value| -> Vec<String> {
        v["sentMessages"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|m| m["id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    if let Ok(r) = &answer {
        let body = r.json();
        let accepted = body["message"]
            .as_str()
            .is_some_and(|m| m.contains("already accepted"));
        if r.status == 409 && accepted {
            return Sent::Ok {
                ids: ids(&body),
                response: body,
            };
        }
        let quota = body["message"]
            .as_str()
            .is_some_and(|m| m.contains("monthly limit"));
        if r.status == 429 && quota {
            return Sent::Failed {
                status: Some(429),
                text: r.text().chars().take(512).collect(),
                retry: false,
            };
        }
    }
    Sent::judge(answer, ids)
}

/// A file a user sent: LINE's content API with the bearer token, or an
/// external provider's URL without it (the token is LINE's alone).
/// https://developers.line.biz/en/reference/messaging-api/#get-content
fn media(http: &dyn Http, c: &Config, f: &MediaRef) -> std::result::Result<Fetched, String> {
    let external = f.id.starts_with("https://") || f.id.starts_with("http://");
    let mut req = if external {
        Request::new("GET", f.id.clone(), Body::None)
    } else {
        let id = percent_encoding::utf8_percent_encode(&f.id, percent_encoding::NON_ALPHANUMERIC);
        Request::new(
            "GET",
            format!("{}/v2/bot/message/{id}/content", data_base(c)),
            Body::None,
        )
        .header("Authorization", bearer(c))
    };
    req.limit = usize::MAX;
    let file = http.call(req)?;
    if file.status != 200 {
        // 202: a video or audio file LINE is still preparing; later.
        return Err(format!("the content answered {}", file.status));
    }
    Ok(Fetched {
        content_type: f.content_type.clone().or(Some(file.content_type)),
        name: f.name.clone(),
        bytes: file.body,
    })
}

/// `PUT /v2/bot/channel/webhook/endpoint` with our URL
/// (https://developers.line.biz/en/reference/messaging-api/#set-webhook-endpoint-url).
fn register(http: &dyn Http, c: &Config, url: &str) -> Sent {
    Sent::judge(
        http.call(
            Request::new(
                "PUT",
                format!("{}/v2/bot/channel/webhook/endpoint", c.api_base()),
                Body::Json(json!({ "endpoint": url })),
            )
            .header("Authorization", bearer(c)),
        ),
        |_| Vec::new(),
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::Recorder;
    use super::*;

    fn config() -> Config {
        let mut m = Map::new();
        m.insert("channel_access_token".into(), json!("tok/en+="));
        m.insert(
            "channel_secret".into(),
            json!("4065415af4324c402286d732539ccc79"),
        );
        m.insert("api_base".into(), json!("http://127.0.0.1:9/"));
        Config(m)
    }

    fn signed(body: &str, signature: &str) -> Inbound {
        Inbound {
            headers: vec![("x-line-signature".into(), signature.to_string())],
            body: body.as_bytes().to_vec(),
            ..Default::default()
        }
    }

    /// A body and its signature published with a LINE bot's tests
    /// (github.com/elderica/echobot, t/webhook.t; LINE's docs give no
    /// example vector), byte for byte, trailing newline included.
    const ECHOBOT_BODY: &str = r#"{
  "events": [
    {
      "replyToken": "00000000000000000000000000000000",
      "type": "message",
      "timestamp": 1539273157200,
      "source": {
        "type": "user",
        "userId": "Udeadbeefdeadbeefdeadbeefdeadbeef"
      },
      "message": {
        "id": "100001",
        "type": "text",
        "text": "Hello, world"
      }
    },
    {
      "replyToken": "ffffffffffffffffffffffffffffffff",
      "type": "message",
      "timestamp": 1539273157200,
      "source": {
        "type": "user",
        "userId": "Udeadbeefdeadbeefdeadbeefdeadbeef"
      },
      "message": {
        "id": "100002",
        "type": "sticker",
        "packageId": "1",
        "stickerId": "1"
      }
    }
  ]
}
"#;
    const ECHOBOT_SIGNATURE: &str = "/BmZra24sAw16Zt6Dmu21ernw3NuBqeYVWs3w09F6BU=";

    #[test]
    fn signature_of_a_published_example() {
        let c = config();
        assert!(verify(&c, &signed(ECHOBOT_BODY, ECHOBOT_SIGNATURE)).is_ok());
        // One byte changed, another secret, no header: refused.
        let tampered = ECHOBOT_BODY.replace("world", "World");
        assert!(verify(&c, &signed(&tampered, ECHOBOT_SIGNATURE)).is_err());
        let mut other = config();
        other.0.insert("channel_secret".into(), json!("other"));
        assert!(verify(&other, &signed(ECHOBOT_BODY, ECHOBOT_SIGNATURE)).is_err());
        assert!(verify(&c, &Inbound::default()).is_err());
        // No secret configured: nothing is accepted.
        assert!(verify(&Config::default(), &signed("", "")).is_err());
        let ev = parse(&c, &signed(ECHOBOT_BODY, ECHOBOT_SIGNATURE)).unwrap();
        assert_eq!(ev.len(), 2);
        let Event::Message(m) = &ev[1] else { panic!() };
        assert_eq!((m.id.as_str(), m.text.as_str()), ("100002", "[Sticker]"));
    }

    fn event(message: Value) -> Value {
        // The shape of the reference's message event example.
        json!({"destination": "xxxxxxxxxx", "events": [{
            "replyToken": "nHuyWiB7yP5Zw52FIkcQobQuGDXCTA", "type": "message",
            "mode": "active", "timestamp": 1462629479859_i64,
            "source": {"type": "user", "userId": "U4af4980629"},
            "webhookEventId": "01FZ74A0TDDPYRVKNK77XKC3ZR",
            "deliveryContext": {"isRedelivery": false},
            "message": message}]})
    }

    fn parsed(body: Value) -> Vec<Event> {
        parse(&config(), &signed(&body.to_string(), "")).unwrap()
    }

    #[test]
    fn text_in_japanese_with_emoji() {
        let ev = parsed(event(json!({"id": "444573844083572737", "type": "text",
            "quoteToken": "q3Plxr4AgKd", "text": "こんにちは 🍣 (love)"})));
        let Event::Message(m) = &ev[0] else { panic!() };
        assert_eq!(m.source, "ln");
        assert_eq!(m.id, "444573844083572737");
        assert_eq!(m.from, "U4af4980629");
        assert_eq!(m.text, "こんにちは 🍣 (love)");
        assert!(m.media.is_empty());
    }

    #[test]
    fn redelivery_keeps_the_message_id() {
        let mut again = event(json!({"id": "444573844083572737", "type": "text", "text": "hi"}));
        again["events"][0]["deliveryContext"]["isRedelivery"] = json!(true);
        let Event::Message(m) = &parsed(again)[0] else {
            panic!()
        };
        assert_eq!(m.id, "444573844083572737");
    }

    #[test]
    fn media_by_provider() {
        let Event::Message(m) = &parsed(event(json!({"id": "325708", "type": "image",
            "contentProvider": {"type": "line"}})))[0]
        else {
            panic!()
        };
        assert_eq!(m.media[0].id, "325708");
        assert_eq!(m.media[0].name.as_deref(), Some("325708.jpg"));
        let Event::Message(m) = &parsed(event(json!({"id": "325709", "type": "video",
            "duration": 60000, "contentProvider": {"type": "external",
            "originalContentUrl": "https://example.com/clip.mp4",
            "previewImageUrl": "https://example.com/clip.jpg"}})))[0]
        else {
            panic!()
        };
        assert_eq!(m.media[0].id, "https://example.com/clip.mp4");
        let Event::Message(m) = &parsed(event(json!({"id": "325710", "type": "file",
            "fileName": "見積書.pdf", "fileSize": 2138})))[0]
        else {
            panic!()
        };
        assert_eq!(
            (m.media[0].id.as_str(), m.media[0].name.as_deref()),
            ("325710", Some("見積書.pdf"))
        );
    }

    #[test]
    fn location_as_text_and_what_is_left_out() {
        let Event::Message(m) = &parsed(event(json!({"id": "1", "type": "location",
            "title": "東京タワー", "address": "東京都港区芝公園4-2-8",
            "latitude": 35.65910807942215_f64, "longitude": 139.70372892916203_f64})))[0]
        else {
            panic!()
        };
        assert!(m
            .text
            .starts_with("[Location]\n東京タワー\n東京都港区芝公園4-2-8\n35.659"));
        // The console's verification: no events. A follow, a group message:
        // nothing. Not JSON, or no events: an error.
        assert!(parsed(json!({"destination": "U1", "events": []})).is_empty());
        let mut follow = event(json!({}));
        follow["events"][0]["type"] = json!("follow");
        assert!(parsed(follow).is_empty());
        let mut group = event(json!({"id": "2", "type": "text", "text": "hi"}));
        group["events"][0]["source"] = json!({"type": "group", "groupId": "C1", "userId": "U1"});
        assert!(parsed(group).is_empty());
        assert!(parse(&config(), &signed("{", "")).is_err());
        assert!(parse(&config(), &signed("{}", "")).is_err());
        let no_user = event(json!({"id": "3", "type": "text", "text": "hi"}));
        let mut no_user = no_user;
        no_user["events"][0]["source"] = json!({"type": "user"});
        assert!(parse(&config(), &signed(&no_user.to_string(), "")).is_err());
    }

    fn outgoing(text: &str, media: Vec<Link>) -> Outgoing {
        Outgoing {
            to: "U4af4980629".into(),
            source: "ln".into(),
            text: text.into(),
            media,
            reference: Some("m-42".into()),
            ..Default::default()
        }
    }

    fn link(name: &str, ct: &str) -> Link {
        Link {
            name: name.into(),
            url: format!("https://chat.example/uploads/{name}?sig=1"),
            content_type: ct.into(),
        }
    }

    #[test]
    fn push_request() {
        let http = Recorder::answering(vec![Recorder::json(
            200,
            json!({"sentMessages": [{"id": "461230966842064897", "quoteToken": "IStG5h1Tz7"},
                                    {"id": "461230966842064898", "quoteToken": "a"}]}),
        )]);
        let out = outgoing(
            "ありがとう 🙏",
            vec![link("a.png", "image/png"), link("b.pdf", "application/pdf")],
        );
        let Sent::Ok { ids, response } = send(&http, &config(), &out) else {
            panic!()
        };
        assert_eq!(ids, vec!["461230966842064897", "461230966842064898"]);
        assert_eq!(response["sentMessages"][0]["quoteToken"], "IStG5h1Tz7");
        let req = &http.requests.lock().unwrap()[0];
        assert_eq!(
            (req.method, req.url.as_str()),
            ("POST", "http://127.0.0.1:9/v2/bot/message/push")
        );
        let header = |n: &str| {
            req.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.clone())
        };
        assert_eq!(header("authorization").unwrap(), "Bearer tok/en+=");
        let Body::Json(b) = &req.body else { panic!() };
        let key = header("x-line-retry-key").unwrap();
        assert_eq!(key, retry_key("m-42", b));
        assert!(uuid::Uuid::parse_str(&key).is_ok());
        assert_eq!(
            b,
            &json!({"to": "U4af4980629", "messages": [
                {"type": "text", "text":
                    "ありがとう 🙏\nb.pdf: https://chat.example/uploads/b.pdf?sig=1"},
                {"type": "image", "originalContentUrl": "https://chat.example/uploads/a.png?sig=1",
                 "previewImageUrl": "https://chat.example/uploads/a.png?sig=1"}]})
        );
    }

    #[test]
    fn retry_keys_repeat_per_request_and_differ_per_part() {
        let a = retry_key("m-42", &json!({"text": "part 1"}));
        assert_eq!(a, retry_key("m-42", &json!({"text": "part 1"})));
        assert_ne!(a, retry_key("m-42", &json!({"text": "part 2"})));
        assert_ne!(a, retry_key("m-43", &json!({"text": "part 1"})));
    }

    #[test]
    fn five_messages_a_call() {
        let media = (0..7)
            .map(|i| link(&format!("{i}.jpg"), "image/jpeg"))
            .collect();
        let http = Recorder::default();
        assert!(matches!(
            send(&http, &config(), &outgoing("hi", media)),
            Sent::Ok { .. }
        ));
        let reqs = http.requests.lock().unwrap();
        let count = |r: &Request| match &r.body {
            Body::Json(b) => b["messages"].as_array().unwrap().len(),
            _ => 0,
        };
        assert_eq!(reqs.iter().map(count).collect::<Vec<_>>(), vec![5, 3]);
        assert_ne!(reqs[0].headers, reqs[1].headers);
    }

    #[test]
    fn accepted_retry_key_is_sent_and_errors_judged() {
        let conflict = Recorder::answering(vec![Recorder::json(
            409,
            json!({"message": "The retry key is already accepted",
                   "sentMessages": [{"id": "461230966842064897", "quoteToken": "x"}]}),
        )]);
        let Sent::Ok { ids, .. } = send(&conflict, &config(), &outgoing("hi", vec![])) else {
            panic!()
        };
        assert_eq!(ids, vec!["461230966842064897"]);
        let refuse = Recorder::answering(vec![Recorder::json(
            400,
            json!({"message": "The request body has 1 error(s)"}),
        )]);
        assert!(matches!(
            send(&refuse, &config(), &outgoing("hi", vec![])),
            Sent::Failed {
                retry: false,
                status: Some(400),
                ..
            }
        ));
        let quota = Recorder::answering(vec![Recorder::json(
            429,
            json!({"message": "You have reached your monthly limit."}),
        )]);
        assert!(matches!(
            send(&quota, &config(), &outgoing("hi", vec![])),
            Sent::Failed { retry: false, .. }
        ));
        for answer in [
            Recorder::json(429, json!({"message": "Too many requests"})),
            Recorder::json(500, json!({})),
            Err("connection refused".into()),
        ] {
            let http = Recorder::answering(vec![answer]);
            assert!(matches!(
                send(&http, &config(), &outgoing("hi", vec![])),
                Sent::Failed { retry: true, .. }
            ));
        }
        // A second call failing after a first went out: retried only with a
        // retry key (LINE then skips the first).
        let media: Vec<Link> = (0..6)
            .map(|i| link(&format!("{i}.png"), "image/png"))
            .collect();
        let half = || {
            Recorder::answering(vec![
                Recorder::json(200, json!({"sentMessages": [{"id": "1"}]})),
                Recorder::json(503, json!({})),
            ])
        };
        assert!(matches!(
            send(&half(), &config(), &outgoing("", media.clone())),
            Sent::Failed { retry: true, .. }
        ));
        let mut unkeyed = outgoing("", media);
        unkeyed.reference = None;
        let http = half();
        assert!(matches!(
            send(&http, &config(), &unkeyed),
            Sent::Failed { retry: false, .. }
        ));
        assert!(http.requests.lock().unwrap()[0]
            .headers
            .iter()
            .all(|(k, _)| k != "X-Line-Retry-Key"));
    }

    #[test]
    fn content_download() {
        let http = Recorder::answering(vec![Ok(Response {
            status: 200,
            content_type: "image/jpeg".into(),
            body: vec![0xff, 0xd8],
            headers: Vec::new(),
        })]);
        let f = MediaRef {
            id: "325708".into(),
            name: Some("325708.jpg".into()),
            ..Default::default()
        };
        let got = media(&http, &config(), &f).unwrap();
        assert_eq!(got.bytes, vec![0xff, 0xd8]);
        assert_eq!(got.content_type.as_deref(), Some("image/jpeg"));
        let req = &http.requests.lock().unwrap()[0];
        // api_base was changed, so the content host follows it.
        assert_eq!(req.url, "http://127.0.0.1:9/v2/bot/message/325708/content");
        assert_eq!(
            req.headers,
            vec![("Authorization".to_string(), "Bearer tok/en+=".to_string())]
        );
        // The real hosts by default; an external file without the token.
        let mut real = config();
        real.0.remove("api_base");
        let real = Config::of(&PLATFORM, Some(Value::Object(real.0))).unwrap();
        assert_eq!(data_base(&real), "https://api-data.line.me");
        let http = Recorder::default();
        let ext = MediaRef {
            id: "https://example.com/clip.mp4".into(),
            ..Default::default()
        };
        media(&http, &real, &ext).unwrap();
        let req = &http.requests.lock().unwrap()[0];
        assert_eq!(req.url, "https://example.com/clip.mp4");
        assert!(req.headers.is_empty());
        let preparing = Recorder::answering(vec![Ok(Response {
            status: 202,
            ..Default::default()
        })]);
        assert!(media(&preparing, &config(), &f).is_err());
    }

    #[test]
    fn register_sets_the_endpoint() {
        let http = Recorder::default();
        let sent = register(&http, &config(), "https://chat.example/channels/line");
        assert!(matches!(sent, Sent::Ok { .. }));
        let req = &http.requests.lock().unwrap()[0];
        assert_eq!(
            (req.method, req.url.as_str()),
            ("PUT", "http://127.0.0.1:9/v2/bot/channel/webhook/endpoint")
        );
        let Body::Json(b) = &req.body else { panic!() };
        assert_eq!(
            b,
            &json!({"endpoint": "https://chat.example/channels/line"})
        );
    }
}
