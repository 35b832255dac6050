//! Viber, through the REST bot API
//! (https://developers.viber.com/docs/api/rest-bot-api/):
//! - callbacks are JSON, signed in `X-Viber-Content-Signature` with the
//!   hex HMAC-SHA256 of the raw body keyed by the auth token;
//! - `message` (the customer's), `delivered` / `seen` / `failed` (of
//!   ours, by `message_token`), `webhook` (the check Viber makes when the
//!   webhook is set: answered 200 like every callback);
//!   `subscribed`, `unsubscribed` and `conversation_started` (the customer
//!   opened the chat but wrote nothing: there is no message to store and
//!   no welcome message is sent) are left out;
//! - messages leave with `POST /pa/send_message` (header
//!   `X-Viber-Auth-Token`), which answers 200 even for errors: its JSON
//!   `status` is 0 when sent, else one of the documented error codes;
//! - `POST /pa/set_webhook` tells Viber our URL.

use super::*;
use crate::error;
use serde_json::json;

pub const PLATFORM: Platform = Platform {
    name: "viber",
    label: "Viber",
    sources: &["vb"],
    fields: &[
        Field {
            name: "auth_token",
            secret: true,
            required: true,
        },
        // The bot's name shown to the customer (at most 28 characters).
        Field {
            name: "sender_name",
            secret: false,
            required: true,
        },
        Field {
            name: "sender_avatar",
            secret: false,
            required: false,
        },
    ],
    api_base: "https://chatapi.viber.com",
    caps: Caps {
        max_text: 7000,
        media: true,
        reply_window_hours: None,
        statuses: true,
        templates: false,
    },
    handshake: None,
    verify,
    parse,
    // Any 200 will do; a body answering `conversation_started` would be
    // sent as a welcome message, so there is none.
    ack: ("text/plain", ""),
    send,
    media,
    register: Some(register),
};

/// The largest file Viber takes (`file` messages: 50 MB).
const MAX_FILE: u64 = 50_000_000;

fn verify(c: &Config, r: &Inbound) -> Result<()> {
    let token = c.get("auth_token");
    // The header; Viber's own SDKs also accept the signature as `?sig=`.
    let got = r
        .header("x-viber-content-signature")
        .or_else(|| r.query("sig"))
        .unwrap_or("")
        .to_ascii_lowercase();
    let want = hex(&hmac_sha256(token.as_bytes(), &r.body));
    if token.is_empty() || got.is_empty() || !same(want.as_bytes(), got.as_bytes()) {
        return Err(error::CHANNEL_SIGNATURE.err());
    }
    Ok(())
}

/// A `message_token`, a 64-bit number in callbacks and in answers, as the
/// same decimal text in both (never through a float).
fn token(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) if n.is_u64() || n.is_i64() => Some(n.to_string()),
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        _ => None,
    }
}

fn parse(_: &Config, r: &Inbound) -> Result<Vec<Event>> {
    let v = r.json()?;
    let event = v["event"]
        .as_str()
        .ok_or_else(|| error::CHANNEL_PAYLOAD.with("a callback names its event"))?;
    let status = |state: State, error: Option<String>| {
        let id = token(&v["message_token"])
            .ok_or_else(|| error::CHANNEL_PAYLOAD.with("message_token is missing"))?;
        Ok(vec![Event::Status(StatusReport { id, state, error })])
    };
    match event {
        "message" => message(&v),
        "delivered" => status(State::Delivered, None),
        "seen" => status(State::Read, None),
        "failed" => status(
            State::Failed,
            Some(format!(
                "Viber: {}",
                v["desc"].as_str().unwrap_or("not delivered")
            )),
        ),
        // `webhook`, `subscribed`, `unsubscribed`, `conversation_started`,
        // and whatever Viber adds.
        _ => Ok(Vec::new()),
    }
}

/// A `message` callback: text, picture, video, file, url, contact or
/// location; stickers and rich media carry nothing to show.
fn message(v: &Value) -> Result<Vec<Event>> {
    let id = token(&v["message_token"])
        .ok_or_else(|| error::CHANNEL_PAYLOAD.with("message_token is missing"))?;
    let sender = &v["sender"];
    let from = sender["id"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| error::CHANNEL_PAYLOAD.with("sender.id is missing"))?;
    let m = &v["message"];
    let media_url = m["media"].as_str().unwrap_or("");
    let mut text = m["text"].as_str().unwrap_or("").to_string();
    let mut media = Vec::new();
    match m["type"].as_str().unwrap_or("") {
        "picture" | "video" | "file" if !media_url.is_empty() => media.push(MediaRef {
            id: media_url.to_string(),
            content_type: None,
            name: m["file_name"]
                .as_str()
                .map(str::to_string)
                .or_else(|| file_name(media_url)),
        }),
        "url" if text.is_empty() => text = media_url.to_string(),
        "contact" => {
            let c = &m["contact"];
            text = [c["name"].as_str(), c["phone_number"].as_str()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
        }
        "location" => {
            let l = &m["location"];
            if let (Some(lat), Some(lon)) = (l["lat"].as_f64(), l["lon"].as_f64()) {
                text = format!("https://www.openstreetmap.org/?mlat={lat}&mlon={lon}");
            }
        }
        _ => {}
    }
    if text.is_empty() && media.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![Event::Message(InMessage {
        source: "vb",
        id,
        from: from.to_string(),
        first_name: sender["name"].as_str().unwrap_or("").to_string(),
        last_name: String::new(),
        phone: None,
        text,
        media,
        extra: Map::new(),
    })])
}

fn api(c: &Config, method: &str) -> String {
    format!("{}/pa/{method}", c.api_base())
}

fn call(http: &dyn Http, c: &Config, method: &str, body: Value) -> Sent {
    let req = Request::new("POST", api(c, method), Body::Json(body))
        .header("x-viber-auth-token", c.get("auth_token"));
    judge(http.call(req))
}

/// `Sent::judge`, then Viber's `status`: 0 is sent; 12 (tooManyRequests)
/// and codes outside the documented table ("general error") are tried
/// again; the documented others (a bad token, a customer who left, a bad
/// request) are final.
fn judge(answer: std::result::Result<Response, String>) -> Sent {
    match Sent::judge(answer, |v| token(&v["message_token"]).into_iter().collect()) {
        Sent::Ok { ids, response } => match response["status"].as_i64() {
            Some(0) => Sent::Ok { ids, response },
            // Viber's answer as it came (`status`, `status_message`):
            // Support Board's `viber-send-message` answers it so.
            code => Sent::Failed {
                status: Some(200),
                text: response.to_string(),
                retry: match code {
                    Some(12) => true,
                    Some(c) => !(1..=24).contains(&c),
                    None => false,
                },
            },
        },
        failed => failed,
    }
}

fn sender(c: &Config) -> Value {
    let mut s = json!({ "name": c.get("sender_name").chars().take(28).collect::<String>() });
    if !c.get("sender_avatar").is_empty() {
        s["avatar"] = json!(c.get("sender_avatar"));
    }
    s
}

/// The text, then one message per file: a `picture` for JPEG, PNG and GIF,
/// a `video` for MP4, a `file` for the rest (these two need the size; a
/// link whose size cannot be read goes as text).
fn send(http: &dyn Http, c: &Config, m: &Outgoing) -> Sent {
    let base = json!({ "receiver": m.to, "min_api_version": 1, "sender": sender(c) });
    let text = (!m.text.is_empty()).then(|| json!({ "type": "text", "text": m.text }));
    // Each file's body (and its HEAD) only once the part before it went.
    let parts = text
        .into_iter()
        .chain(m.media.iter().map(|f| media_body(http, f)));
    in_order(
        parts.map(|part| call(http, c, "send_message", with(&base, part))),
        false,
    )
}

fn with(base: &Value, fields: Value) -> Value {
    let mut b = base.clone();
    if let (Some(b), Value::Object(f)) = (b.as_object_mut(), fields) {
        b.extend(f);
    }
    b
}

fn media_body(http: &dyn Http, f: &Link) -> Value {
    let ct = f.content_type.as_str();
    if matches!(ct, "image/jpeg" | "image/png" | "image/gif") {
        return json!({ "type": "picture", "text": "", "media": f.url });
    }
    match size(http, &f.url) {
        Some(size) if ct == "video/mp4" => {
            json!({ "type": "video", "media": f.url, "size": size })
        }
        Some(size) if size <= MAX_FILE => json!({
            "type": "file", "media": f.url, "size": size,
            "file_name": f.name.chars().take(256).collect::<String>(),
        }),
        _ => json!({ "type": "text", "text": format!("{}: {}", f.name, f.url) }),
    }
}

/// The file's size: a HEAD's `Content-Length`, else the length of a GET
/// (our own server answers a HEAD of a file over 32 KiB chunked, without
/// a length), read up to Viber's largest file.
fn size(http: &dyn Http, url: &str) -> Option<u64> {
    let head = http.call(Request::new("HEAD", url, Body::None)).ok()?;
    let length = head
        .header("content-length")
        .and_then(|l| l.trim().parse().ok());
    match (head.status, length) {
        (200, Some(n)) => Some(n),
        (200, None) => {
            let mut get = Request::new("GET", url, Body::None);
            get.limit = MAX_FILE as usize;
            let r = http.call(get).ok()?;
            (r.status == 200).then_some(r.body.len() as u64)
        }
        _ => None,
    }
}

/// Viber's media URLs are public (and expire): a plain GET.
fn media(http: &dyn Http, _: &Config, f: &MediaRef) -> std::result::Result<Fetched, String> {
    let mut req = Request::new("GET", f.id.clone(), Body::None);
    req.limit = usize::MAX;
    let file = http.call(req)?;
    if file.status != 200 {
        return Err(format!("the media URL answered {}", file.status));
    }
    Ok(Fetched {
        content_type: f.content_type.clone().or(Some(file.content_type)),
        bytes: file.body,
        name: f.name.clone().or_else(|| file_name(&f.id)),
    })
}

/// `set_webhook` with our URL and the optional events we read (`message`,
/// `subscribed` and `unsubscribed` always come); Viber checks the URL with
/// a `webhook` callback before it answers.
fn register(http: &dyn Http, c: &Config, url: &str) -> Sent {
    call(
        http,
        c,
        "set_webhook",
        json!({ "url": url,
                "event_types": ["delivered", "seen", "failed", "conversation_started"],
                "send_name": true, "send_photo": true }),
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::Recorder;
    use super::*;

    const TOKEN: &str = "445da6az1s345z78-dazcczb2542zv51a-e0vc5fva17480im9";

    fn config() -> Config {
        let mut m = Map::new();
        m.insert("auth_token".into(), json!(TOKEN));
        m.insert("sender_name".into(), json!("Frontporch Support"));
        m.insert("api_base".into(), json!("http://127.0.0.1:9/"));
        Config(m)
    }

    /// Signed as Viber signs: hex HMAC-SHA256 of the body, written out here
    /// with the hmac crate directly rather than the module's helpers.
    fn callback(body: &Value) -> Inbound {
        use hmac::Mac;
        let bytes = body.to_string().into_bytes();
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(TOKEN.as_bytes()).unwrap();
        mac.update(&bytes);
        let sig: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Inbound {
            headers: vec![("x-viber-content-signature".into(), sig)],
            body: bytes,
            ..Default::default()
        }
    }

    /// The `message` callback of Viber's documentation, with other text.
    fn text_message(text: &str) -> Value {
        json!({
            "event": "message", "timestamp": 1457764197627u64,
            "message_token": 4912661846655238145u64,
            "sender": {"id": "01234567890A=", "name": "Zoë Ünal",
                       "avatar": "http://avatar.example.com", "country": "UK",
                       "language": "en", "api_version": 1},
            "message": {"type": "text", "text": text, "tracking_data": "tracking data"}
        })
    }

    #[test]
    fn signatures() {
        let c = config();
        let r = callback(&text_message("hi"));
        assert!(verify(&c, &r).is_ok());
        // Upper-case hex is the same signature.
        let mut upper = r.clone();
        upper.headers[0].1 = upper.headers[0].1.to_uppercase();
        assert!(verify(&c, &upper).is_ok());
        // In the query, as Viber's SDKs accept it.
        let mut query = r.clone();
        query.query = vec![("sig".into(), r.headers[0].1.clone())];
        query.headers.clear();
        assert!(verify(&c, &query).is_ok());
        // A changed body, no signature, another token.
        let mut changed = r.clone();
        changed.body.push(b' ');
        assert!(verify(&c, &changed).is_err());
        let mut none = r.clone();
        none.headers.clear();
        assert!(verify(&c, &none).is_err());
        let mut other = config();
        other.0.insert("auth_token".into(), json!("other"));
        assert!(verify(&other, &r).is_err());
        assert!(verify(&Config::default(), &r).is_err());
    }

    #[test]
    fn a_text_message_with_emoji() {
        let ev = parse(&config(), &callback(&text_message("Привет 👋 café"))).unwrap();
        let Event::Message(m) = &ev[0] else { panic!() };
        assert_eq!(m.source, "vb");
        assert_eq!(m.id, "4912661846655238145");
        assert_eq!(m.from, "01234567890A=");
        assert_eq!(m.first_name, "Zoë Ünal");
        assert_eq!(m.text, "Привет 👋 café");
        assert!(m.media.is_empty());
    }

    #[test]
    fn media_messages() {
        let mut v = text_message("");
        v["message"] = json!({"type": "picture", "text": "Voilà",
            "media": "https://dl-media.viber.com/1/share/2/long/bots/media/abc.jpg",
            "thumbnail": "https://dl-media.viber.com/t.jpg"});
        let ev = parse(&config(), &callback(&v)).unwrap();
        let Event::Message(m) = &ev[0] else { panic!() };
        assert_eq!(m.text, "Voilà");
        assert_eq!(m.media[0].name.as_deref(), Some("abc.jpg"));
        v["message"] = json!({"type": "file", "media": "https://dl-media.viber.com/f",
            "size": 10000, "file_name": "Rechnung März.pdf"});
        let ev = parse(&config(), &callback(&v)).unwrap();
        let Event::Message(m) = &ev[0] else { panic!() };
        assert_eq!(m.media[0].id, "https://dl-media.viber.com/f");
        assert_eq!(m.media[0].name.as_deref(), Some("Rechnung März.pdf"));
        // A sticker: nothing to store.
        v["message"] = json!({"type": "sticker", "sticker_id": 46105});
        assert!(parse(&config(), &callback(&v)).unwrap().is_empty());
    }

    #[test]
    fn statuses_and_ignored_callbacks() {
        let one = |v: Value| match &parse(&config(), &callback(&v)).unwrap()[..] {
            [Event::Status(s)] => s.clone(),
            other => panic!("{other:?}"),
        };
        let delivered = one(json!({"event": "delivered", "timestamp": 1457764197627u64,
            "chat_hostname": "SN-375_", "message_token": 4912661846655238145u64,
            "user_id": "01234567890A="}));
        assert_eq!(
            (delivered.id.as_str(), delivered.state),
            ("4912661846655238145", State::Delivered)
        );
        let seen = one(json!({"event": "seen", "timestamp": 1457764197627u64,
            "message_token": 4912661846655238145u64, "user_id": "01234567890A="}));
        assert_eq!(seen.state, State::Read);
        let failed = one(json!({"event": "failed", "timestamp": 1457764197627u64,
            "message_token": 4912661846655238145u64, "user_id": "01234567890A=",
            "desc": "failure description"}));
        assert_eq!(failed.state, State::Failed);
        assert_eq!(failed.error.as_deref(), Some("Viber: failure description"));
        for ignored in [
            json!({"event": "webhook", "timestamp": 1457764197627u64,
                   "chat_hostname": "SN-172_", "message_token": 241256543215u64}),
            json!({"event": "subscribed", "timestamp": 1457764197627u64,
                   "user": {"id": "01234567890A=", "name": "John"}, "message_token": 1}),
            json!({"event": "conversation_started", "timestamp": 1457764197627u64,
                   "message_token": 4912661846655238145u64, "type": "open",
                   "context": "context information",
                   "user": {"id": "01234567890A="}, "subscribed": false}),
        ] {
            assert!(parse(&config(), &callback(&ignored)).unwrap().is_empty());
        }
        assert!(parse(&config(), &callback(&json!({"no": "event"}))).is_err());
        assert!(parse(&config(), &callback(&json!({"event": "delivered"}))).is_err());
    }

    #[test]
    fn send_text() {
        let http = Recorder::answering(vec![Recorder::json(
            200,
            json!({"status": 0, "status_message": "ok",
                   "message_token": 5741311803571721087u64,
                   "chat_hostname": "SN-CHAT-05_", "billing_status": 1}),
        )]);
        let mut c = config();
        c.0.insert("sender_avatar".into(), json!("https://chat.example/a.png"));
        let out = Outgoing {
            to: "01234567890A=".into(),
            text: "Hello 👋".into(),
            ..Default::default()
        };
        let Sent::Ok { ids, response } = send(&http, &c, &out) else {
            panic!()
        };
        // The token as the statuses will name it.
        assert_eq!(ids, vec!["5741311803571721087"]);
        assert_eq!(response["chat_hostname"], "SN-CHAT-05_");
        let req = &http.requests.lock().unwrap()[0];
        assert_eq!(req.url, "http://127.0.0.1:9/pa/send_message");
        assert_eq!(
            req.headers,
            vec![("x-viber-auth-token".to_string(), TOKEN.to_string())]
        );
        let Body::Json(b) = &req.body else { panic!() };
        assert_eq!(
            b,
            &json!({"receiver": "01234567890A=", "min_api_version": 1,
                    "sender": {"name": "Frontporch Support",
                               "avatar": "https://chat.example/a.png"},
                    "type": "text", "text": "Hello 👋"})
        );
    }

    #[test]
    fn send_files() {
        let head = Ok(Response {
            status: 200,
            content_type: "application/pdf".into(),
            body: Vec::new(),
            headers: vec![("content-length".into(), "12345".into())],
        });
        let ok = |t: u64| Recorder::json(200, json!({"status": 0, "message_token": t}));
        let chunked = Ok(Response {
            status: 200,
            content_type: "video/mp4".into(),
            body: Vec::new(),
            headers: vec![("transfer-encoding".into(), "chunked".into())],
        });
        let video = Ok(Response {
            status: 200,
            content_type: "video/mp4".into(),
            body: vec![0; 40_000],
            headers: Vec::new(),
        });
        // Picture (no HEAD); HEAD then file; HEAD failing then the link as
        // text; HEAD without a length, GET, then video.
        let http = Recorder::answering(vec![
            ok(1),
            head,
            ok(2),
            Err("no answer".into()),
            ok(3),
            chunked,
            video,
            ok(4),
        ]);
        let link = |name: &str, ct: &str| Link {
            name: name.into(),
            url: format!("https://chat.example/uploads/t/{name}?exp=1&sig=s"),
            content_type: ct.into(),
        };
        let out = Outgoing {
            to: "01234567890A=".into(),
            media: vec![
                link("a.jpg", "image/jpeg"),
                link("b.pdf", "application/pdf"),
                link("c.zip", "application/zip"),
                link("d.mp4", "video/mp4"),
            ],
            ..Default::default()
        };
        let Sent::Ok { ids, .. } = send(&http, &config(), &out) else {
            panic!()
        };
        assert_eq!(ids, vec!["1", "2", "3", "4"]);
        let reqs = http.requests.lock().unwrap();
        let body = |i: usize| match &reqs[i].body {
            Body::Json(b) => b.clone(),
            _ => panic!(),
        };
        assert_eq!(body(0)["type"], "picture");
        assert_eq!(
            body(0)["media"],
            "https://chat.example/uploads/t/a.jpg?exp=1&sig=s"
        );
        assert_eq!(
            (reqs[1].method, reqs[1].url.as_str()),
            ("HEAD", "https://chat.example/uploads/t/b.pdf?exp=1&sig=s")
        );
        assert_eq!(
            (&body(2)["type"], &body(2)["size"], &body(2)["file_name"]),
            (&json!("file"), &json!(12345), &json!("b.pdf"))
        );
        assert_eq!(body(4)["type"], "text");
        assert_eq!(
            body(4)["text"],
            "c.zip: https://chat.example/uploads/t/c.zip?exp=1&sig=s"
        );
        assert_eq!((reqs[5].method, reqs[6].method), ("HEAD", "GET"));
        assert_eq!(reqs[6].limit, 50_000_000);
        assert_eq!(
            (&body(7)["type"], &body(7)["size"]),
            (&json!("video"), &json!(40_000))
        );
    }

    #[test]
    fn status_codes_final_or_retried() {
        let out = Outgoing {
            to: "x".into(),
            text: "x".into(),
            ..Default::default()
        };
        let answer = |status: i64, msg: &str| {
            let http = Recorder::answering(vec![Recorder::json(
                200,
                json!({"status": status, "status_message": msg}),
            )]);
            send(&http, &config(), &out)
        };
        match answer(6, "receiverNotSubscribed") {
            Sent::Failed {
                retry: false, text, ..
            } => {
                assert_eq!(
                    text,
                    r#"{"status":6,"status_message":"receiverNotSubscribed"}"#
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            answer(2, "invalidAuthToken"),
            Sent::Failed { retry: false, .. }
        ));
        assert!(matches!(
            answer(12, "tooManyRequests"),
            Sent::Failed { retry: true, .. }
        ));
        assert!(matches!(
            answer(99, "General error"),
            Sent::Failed { retry: true, .. }
        ));
        for outage in [Recorder::json(502, json!({})), Err("refused".into())] {
            let http = Recorder::answering(vec![outage]);
            assert!(matches!(
                send(&http, &config(), &out),
                Sent::Failed { retry: true, .. }
            ));
        }
    }

    #[test]
    fn register_sets_the_webhook() {
        let http = Recorder::answering(vec![Recorder::json(
            200,
            json!({"status": 0, "status_message": "ok",
                   "event_types": ["delivered", "seen", "failed", "subscribed",
                                   "unsubscribed", "conversation_started"]}),
        )]);
        let sent = register(&http, &config(), "https://chat.example/channels/viber");
        assert!(matches!(sent, Sent::Ok { .. }), "{sent:?}");
        let req = &http.requests.lock().unwrap()[0];
        assert_eq!(req.url, "http://127.0.0.1:9/pa/set_webhook");
        assert_eq!(
            req.headers[0],
            ("x-viber-auth-token".to_string(), TOKEN.to_string())
        );
        let Body::Json(b) = &req.body else { panic!() };
        assert_eq!(
            b,
            &json!({"url": "https://chat.example/channels/viber",
                    "event_types": ["delivered", "seen", "failed", "conversation_started"],
                    "send_name": true, "send_photo": true})
        );
        // Viber refusing the URL.
        let http = Recorder::answering(vec![Recorder::json(
            200,
            json!({"status": 1, "status_message": "invalidUrl"}),
        )]);
        assert!(matches!(
            register(&http, &config(), "http://x"),
            Sent::Failed { retry: false, .. }
        ));
    }

    #[test]
    fn media_is_a_plain_get() {
        let http = Recorder::answering(vec![Ok(Response {
            status: 200,
            content_type: "image/jpeg".into(),
            body: b"\xff\xd8\xff".to_vec(),
            headers: Vec::new(),
        })]);
        let f = media(
            &http,
            &config(),
            &MediaRef {
                id: "https://dl-media.viber.com/abc.jpg".into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(f.name.as_deref(), Some("abc.jpg"));
        assert_eq!(f.content_type.as_deref(), Some("image/jpeg"));
        let req = &http.requests.lock().unwrap()[0];
        assert_eq!(
            (req.method, req.url.as_str()),
            ("GET", "https://dl-media.viber.com/abc.jpg")
        );
        assert!(req.headers.is_empty());
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;
        proptest! {
            #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
            #[test]
            fn never_panics(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
                let r = Inbound { body, ..Default::default() };
                let _ = verify(&config(), &r);
                let _ = parse(&config(), &r);
            }
            #[test]
            fn never_panics_on_callback_like(
                event in "(message|delivered|seen|failed|webhook|x)",
                kind in "(text|picture|video|file|url|contact|location|sticker)",
                token in prop_oneof![Just(json!(1)), Just(json!(-1)), Just(json!(1.5)),
                                     Just(json!("t")), Just(json!(null)), Just(json!(u64::MAX))],
                field in prop_oneof![Just(json!("x")), Just(json!(1)), Just(json!({})), Just(json!(null))],
            ) {
                let v = json!({"event": event, "message_token": token,
                    "sender": {"id": field.clone(), "name": field.clone()},
                    "message": {"type": kind, "text": field.clone(), "media": field.clone(),
                                "contact": field.clone(), "location": {"lat": field.clone(), "lon": 1}}});
                let _ = parse(&config(), &callback(&v));
            }
        }
    }
}
