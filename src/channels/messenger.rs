//! Messenger and Instagram, through one Facebook Page (the Messenger
//! Platform, and the Instagram Messaging API of the Instagram account
//! linked to that page; developers.facebook.com/docs/messenger-platform).
//! Webhooks are Meta's (`meta::handshake`, `meta::verify`): `object: page`
//! (Messenger, source `fb`) and `object: instagram` (source `ig`), each
//! entry with `messaging[]` events: `message`, `postback`, `delivery`,
//! `read` (developers.facebook.com/docs/messenger-platform/reference/webhook-events).
//! Messages leave with the Send API, `POST /{page_id}/messages`, for both
//! (developers.facebook.com/docs/messenger-platform/reference/send-api).
//!
//! Reply window: `messaging_type: RESPONSE` within 24 hours of the
//! customer's last message; after that, only a human agent may answer, for
//! 7 days, with `MESSAGE_TAG` + `HUMAN_AGENT` (the outbox refuses after
//! 168 hours). The module does not know the customer's last message time,
//! so it sends `RESPONSE` and, when Meta answers that the message is
//! outside the allowed window, sends it again tagged `HUMAN_AGENT`.
//!
//! Read receipts: Messenger reports a read as a time (`read.watermark`:
//! every message before it was read), not as message ids, and a status
//! report names one message; so a Messenger read without a `mid` reports
//! nothing. Instagram's `read` names the `mid`: it is reported. Deliveries
//! (`delivery.mids`) are reported per message.

use super::meta;
use super::*;
use crate::error;
use serde_json::json;

pub const PLATFORM: Platform = Platform {
    name: "messenger",
    label: "Messenger and Instagram",
    sources: &["fb", "ig"],
    fields: &[
        Field {
            name: "page_id",
            secret: false,
            required: true,
        },
        Field {
            name: "page_access_token",
            secret: true,
            required: true,
        },
        Field {
            name: "app_secret",
            secret: true,
            required: true,
        },
        Field {
            name: "verify_token",
            secret: true,
            required: true,
        },
        Field {
            name: "instagram_id",
            secret: false,
            required: false,
        },
    ],
    api_base: "https://graph.facebook.com/v25.0",
    caps: Caps {
        // Messenger's limit; Instagram's is 1000 bytes, so `send` cuts an
        // Instagram text into several messages itself.
        max_text: 2000,
        media: true,
        reply_window_hours: Some(168),
        statuses: true,
        templates: false,
    },
    handshake: Some(meta::handshake),
    verify: meta::verify,
    parse,
    ack: ("text/plain", "EVENT_RECEIVED"),
    send,
    media,
    register: None,
};

/// Instagram's longest text message, in bytes.
const IG_MAX_BYTES: usize = 1000;

/// Messenger's `metadata` is at most 1000 characters.
const MAX_METADATA: usize = 1000;

fn parse(c: &Config, r: &Inbound) -> Result<Vec<Event>> {
    let v = r.json()?;
    if !v.is_object() {
        return Err(error::CHANNEL_PAYLOAD.with("a notification is an object"));
    }
    let source = match v["object"].as_str() {
        Some("page") => "fb",
        Some("instagram") => "ig",
        _ => return Ok(Vec::new()),
    };
    let entries = v["entry"]
        .as_array()
        .ok_or_else(|| error::CHANNEL_PAYLOAD.with("entry is missing"))?;
    let mut events = Vec::new();
    for entry in entries {
        // Only `messaging`: `standby` is for the app that does not own the
        // thread (handover protocol), `changes` are feed and comment events.
        for e in entry["messaging"].as_array().into_iter().flatten() {
            events.extend(event(c, source, entry, e)?);
        }
    }
    Ok(events)
}

/// One `messaging[]` event.
fn event(c: &Config, source: &'static str, entry: &Value, e: &Value) -> Result<Vec<Event>> {
    let sender = e["sender"]["id"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| error::CHANNEL_PAYLOAD.with("messaging[].sender.id is missing"))?;
    let account = entry["id"]
        .as_str()
        .or(e["recipient"]["id"].as_str())
        .unwrap_or("");
    if let Some(d) = e.get("delivery") {
        return Ok(mids(d).map(|id| status(id, State::Delivered)).collect());
    }
    if let Some(read) = e.get("read") {
        // A Messenger read is a watermark (a time): no message to name.
        return Ok(read["mid"]
            .as_str()
            .map(|id| status(id, State::Read))
            .into_iter()
            .collect());
    }
    let (id, text, media) = if let Some(m) = e.get("message").filter(|m| m.is_object()) {
        // Our own sends come back as echoes (and on Instagram as messages
        // from our account): they are already in the conversation.
        if m["is_echo"].as_bool() == Some(true)
            || m["is_deleted"].as_bool() == Some(true)
            || sender == account
        {
            return Ok(Vec::new());
        }
        let mid = m["mid"]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| error::CHANNEL_PAYLOAD.with("message.mid is missing"))?;
        let (text, media) = message_content(m);
        (mid.to_string(), text, media)
    } else if let Some(p) = e.get("postback").filter(|p| p.is_object()) {
        // A tapped button says its title. Older postbacks have no `mid`:
        // the sender and time name them as uniquely.
        let id = p["mid"].as_str().map(str::to_string).unwrap_or_else(|| {
            format!("postback:{sender}:{}", e["timestamp"].as_i64().unwrap_or(0))
        });
        let title = p["title"].as_str().filter(|t| !t.is_empty());
        let text = title.or(p["payload"].as_str()).unwrap_or("").to_string();
        (id, text, Vec::new())
    } else {
        // Reactions, opt-ins, referrals, policy notices: not messages.
        return Ok(Vec::new());
    };
    if text.is_empty() && media.is_empty() {
        return Ok(Vec::new());
    }
    let mut extra = Map::new();
    if source == "ig" {
        extra.insert("instagram_id".into(), json!(account));
        if !c.get("page_id").is_empty() {
            extra.insert("page_id".into(), json!(c.get("page_id")));
        }
    } else {
        extra.insert("page_id".into(), json!(account));
    }
    Ok(vec![Event::Message(InMessage {
        source,
        id,
        from: sender.to_string(),
        text,
        media,
        extra,
        ..Default::default()
    })])
}

fn status(id: &str, state: State) -> Event {
    Event::Status(StatusReport {
        id: id.to_string(),
        state,
        error: None,
    })
}

fn mids(d: &Value) -> impl Iterator<Item = &str> {
    d["mids"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
}

/// A message's text and files: attachments whose `payload.url` is a file
/// (image, video, audio, file; an Instagram story mention) are fetched;
/// shared links, reels and posts are added to the text as links.
fn message_content(m: &Value) -> (String, Vec<MediaRef>) {
    let mut text = m["text"].as_str().unwrap_or("").to_string();
    let mut media = Vec::new();
    for a in m["attachments"].as_array().into_iter().flatten().take(10) {
        let Some(url) = a["payload"]["url"]
            .as_str()
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        else {
            continue;
        };
        match a["type"].as_str().unwrap_or("") {
            "image" | "video" | "audio" | "file" | "story_mention" => media.push(MediaRef {
                id: url.to_string(),
                content_type: None,
                name: file_name(url),
            }),
            _ => {
                let title = a["payload"]["title"].as_str().or(a["title"].as_str());
                let line = match title {
                    Some(t) if !t.is_empty() => format!("{t} {url}"),
                    _ => url.to_string(),
                };
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(&line);
            }
        }
    }
    (text, media)
}

/// The message objects of one reply: the text (in pieces of at most 1000
/// bytes on Instagram), then each file by URL (the Send API takes one
/// attachment per message).
fn messages(m: &Outgoing) -> Vec<Value> {
    let ig = m.source == "ig";
    let mut out: Vec<Value> = Vec::new();
    if !m.text.is_empty() {
        let pieces = if ig {
            split_bytes(&m.text, IG_MAX_BYTES)
        } else {
            vec![m.text.clone()]
        };
        out.extend(pieces.into_iter().map(|t| json!({ "text": t })));
    }
    for f in &m.media {
        let kind = match f.content_type.split('/').next().unwrap_or("") {
            "image" => "image",
            "video" => "video",
            "audio" => "audio",
            _ => "file",
        };
        out.push(json!({ "attachment": { "type": kind,
                                         "payload": { "url": f.url, "is_reusable": false } } }));
    }
    // Our message id rides along on Messenger (it comes back in the echo);
    // an API caller may name it (Support Board's `metadata`).
    let reference = m.reference.as_deref().or_else(|| {
        m.extra
            .get("metadata")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    });
    if let (Some(reference), false) = (reference, ig) {
        let r: String = reference.chars().take(MAX_METADATA).collect();
        for o in &mut out {
            o["metadata"] = json!(r);
        }
    }
    out
}

/// `text` in pieces of at most `max` bytes, cut between characters, at a
/// line break or space when there is one in the piece's second half.
fn split_bytes(text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while rest.len() > max {
        let mut cut = max;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if let Some(space) = rest[..cut].rfind(['\n', ' ']).filter(|&i| i >= cut / 2) {
            cut = space + 1;
        }
        out.push(rest[..cut].trim_end().to_string());
        rest = &rest[cut..];
    }
    if !rest.is_empty() {
        out.push(rest.to_string());
    }
    out
}

/// Meta's answer that a `RESPONSE` came after the 24-hour window
/// (Messenger: code 10, subcode 2018278; Instagram: 2534022).
fn outside_window(r: &std::result::Result<Response, String>) -> bool {
    let Ok(r) = r else { return false };
    meta::graph_error(r).is_some_and(|(code, sub, message)| {
        code == 10
            && (sub == 2018278 || sub == 2534022 || message.contains("outside of allowed window"))
    })
}

/// The Send API for each part, to the customer's PSID/IGSID, as the page
/// the conversation came through (its `page_id`, else the configured one).
fn send(http: &dyn Http, c: &Config, m: &Outgoing) -> Sent {
    let page = m
        .extra
        .get("page_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or(c.get("page_id"));
    let refuse = |text: &str| Sent::Failed {
        status: None,
        text: text.into(),
        retry: false,
    };
    if m.to.trim().is_empty() {
        return refuse("no recipient");
    }
    let parts = messages(m);
    if parts.is_empty() {
        return refuse("nothing to send");
    }
    let url = format!("{}/{}/messages", c.api_base(), meta::segment(page));
    let post = |body: Value| {
        http.call(meta::call(
            c,
            "page_access_token",
            "POST",
            url.clone(),
            Body::Json(body),
        ))
    };
    // Once Meta said the window is closed, the rest go tagged at once.
    let tagged = std::cell::Cell::new(false);
    meta::send_all(
        parts,
        |message| {
            let body = |human: bool| {
                let mut b = json!({ "recipient": { "id": m.to.trim() }, "message": message });
                if human {
                    b["messaging_type"] = json!("MESSAGE_TAG");
                    b["tag"] = json!("HUMAN_AGENT");
                } else {
                    b["messaging_type"] = json!("RESPONSE");
                }
                b
            };
            if !tagged.get() {
                let answer = post(body(false));
                if !outside_window(&answer) {
                    return answer;
                }
                tagged.set(true);
            }
            post(body(true))
        },
        |v| {
            v["message_id"]
                .as_str()
                .map(str::to_string)
                .into_iter()
                .collect()
        },
    )
}

/// An attachment's `payload.url` is a public CDN URL: fetched as it is,
/// without the page token.
fn media(http: &dyn Http, _: &Config, f: &MediaRef) -> std::result::Result<Fetched, String> {
    if !(f.id.starts_with("https://") || f.id.starts_with("http://")) {
        return Err("not a URL".into());
    }
    let mut req = Request::new("GET", f.id.clone(), Body::None);
    req.limit = meta::MEDIA_LIMIT;
    let r = http.call(req)?;
    if r.status != 200 {
        return Err(format!("the attachment answered {}", r.status));
    }
    Ok(Fetched {
        content_type: f
            .content_type
            .clone()
            .or(Some(r.content_type.clone()).filter(|t| !t.is_empty())),
        name: f.name.clone().or_else(|| file_name(&f.id)),
        bytes: r.body,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::Recorder;
    use super::*;

    fn config() -> Config {
        let mut m = Map::new();
        for (k, v) in [
            ("page_id", "1234567890"),
            ("page_access_token", "EAApage"),
            ("app_secret", "s3cret"),
            ("verify_token", "vt"),
            ("instagram_id", "17841400000000000"),
            ("api_base", "http://127.0.0.1:9/v25.0"),
        ] {
            m.insert(k.into(), json!(v));
        }
        Config(m)
    }

    fn post(body: Value) -> Inbound {
        Inbound {
            body: body.to_string().into_bytes(),
            ..Default::default()
        }
    }

    fn page(messaging: Value) -> Value {
        json!({"object": "page", "entry": [{"id": "1234567890", "time": 1458692752478i64, "messaging": messaging}]})
    }

    fn instagram(messaging: Value) -> Value {
        json!({"object": "instagram", "entry": [{"id": "17841400000000000", "time": 1569262486134i64, "messaging": messaging}]})
    }

    fn msgs(ev: &[Event]) -> Vec<&InMessage> {
        ev.iter()
            .filter_map(|e| match e {
                Event::Message(m) => Some(m),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_messenger_text_and_attachments() {
        // The documented `messages` event
        // (developers.facebook.com/docs/messenger-platform/reference/webhook-events/messages).
        let ev = parse(&config(), &post(page(json!([
            {"sender": {"id": "PSID-1"}, "recipient": {"id": "1234567890"}, "timestamp": 1458692752478i64,
             "message": {"mid": "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P",
                         "text": "Grüß Gott! 🇦🇹 Où est ma commande ?",
                         "quick_reply": {"payload": "X"}}},
            {"sender": {"id": "PSID-1"}, "recipient": {"id": "1234567890"}, "timestamp": 1458692752479i64,
             "message": {"mid": "m_2", "attachments": [
                {"type": "image", "payload": {"url": "https://scontent.xx.fbcdn.net/v/t1.15752-9/photo_n.jpg?_nc_cat=1"}},
                {"type": "fallback", "payload": {"url": "https://example.com/article", "title": "Un article"}}]}}
        ])))).unwrap();
        let ms = msgs(&ev);
        assert_eq!(ms.len(), 2);
        let m = ms[0];
        assert_eq!((m.source, m.from.as_str()), ("fb", "PSID-1"));
        assert!(m.id.starts_with("m_AG5Hz2U"));
        assert_eq!(m.text, "Grüß Gott! 🇦🇹 Où est ma commande ?");
        assert_eq!(
            m.extra,
            json!({"page_id": "1234567890"})
                .as_object()
                .unwrap()
                .clone()
        );
        assert_eq!(
            ms[1].media[0].id,
            "https://scontent.xx.fbcdn.net/v/t1.15752-9/photo_n.jpg?_nc_cat=1"
        );
        assert_eq!(ms[1].media[0].name.as_deref(), Some("photo_n.jpg"));
        assert_eq!(ms[1].text, "Un article https://example.com/article");
    }

    #[test]
    fn an_instagram_message_names_the_account_and_the_page() {
        let ev = parse(&config(), &post(instagram(json!([
            {"sender": {"id": "IGSID-7"}, "recipient": {"id": "17841400000000000"}, "timestamp": 1569262485349i64,
             "message": {"mid": "aWdfZAG1faWQ6MTpJR01lc3NhZA", "text": "Привет 👋"}}
        ])))).unwrap();
        let m = msgs(&ev)[0];
        assert_eq!(
            (m.source, m.from.as_str(), m.text.as_str()),
            ("ig", "IGSID-7", "Привет 👋")
        );
        assert_eq!(m.extra["instagram_id"], "17841400000000000");
        assert_eq!(m.extra["page_id"], "1234567890");
    }

    #[test]
    fn echoes_and_other_events_are_left_out() {
        let ev = parse(&config(), &post(page(json!([
            {"sender": {"id": "1234567890"}, "recipient": {"id": "PSID-1"}, "timestamp": 1,
             "message": {"is_echo": true, "app_id": 1517776481860111i64, "metadata": "42", "mid": "m_echo", "text": "our reply"}},
            {"sender": {"id": "PSID-1"}, "recipient": {"id": "1234567890"}, "timestamp": 2,
             "reaction": {"mid": "m_x", "action": "react", "emoji": "❤"}},
            {"sender": {"id": "PSID-1"}, "recipient": {"id": "1234567890"}, "timestamp": 3,
             "optin": {"ref": "x"}}
        ])))).unwrap();
        assert!(ev.is_empty(), "{ev:?}");
        // Instagram echoes our own account's messages.
        let ev = parse(&config(), &post(instagram(json!([
            {"sender": {"id": "17841400000000000"}, "recipient": {"id": "IGSID-7"}, "timestamp": 1,
             "message": {"mid": "m_own", "text": "our reply", "is_echo": true}}
        ])))).unwrap();
        assert!(ev.is_empty());
        // Not a page or Instagram notification; unreadable ones.
        let c = config();
        assert!(parse(&c, &post(json!({"object": "user", "entry": []})))
            .unwrap()
            .is_empty());
        assert!(parse(&c, &post(json!({"object": "page"}))).is_err());
        assert!(parse(
            &c,
            &post(page(json!([{"message": {"mid": "m", "text": "x"}}])))
        )
        .is_err());
        assert!(parse(
            &c,
            &post(page(
                json!([{"sender": {"id": "P"}, "message": {"text": "x"}}])
            ))
        )
        .is_err());
    }

    #[test]
    fn postbacks_are_their_title() {
        let ev = parse(&config(), &post(page(json!([
            {"sender": {"id": "PSID-1"}, "recipient": {"id": "1234567890"}, "timestamp": 1527459824,
             "postback": {"mid": "m_pb", "title": "Parler à quelqu'un", "payload": "HUMAN"}},
            {"sender": {"id": "PSID-1"}, "recipient": {"id": "1234567890"}, "timestamp": 1527459825,
             "postback": {"title": "", "payload": "GET_STARTED"}}
        ])))).unwrap();
        let ms = msgs(&ev);
        assert_eq!(
            (ms[0].id.as_str(), ms[0].text.as_str()),
            ("m_pb", "Parler à quelqu'un")
        );
        assert_eq!(
            (ms[1].id.as_str(), ms[1].text.as_str()),
            ("postback:PSID-1:1527459825", "GET_STARTED")
        );
    }

    #[test]
    fn deliveries_per_mid_and_reads_that_name_one() {
        // developers.facebook.com/.../webhook-events/message-deliveries and message-reads
        let ev = parse(&config(), &post(page(json!([
            {"sender": {"id": "PSID-1"}, "recipient": {"id": "1234567890"},
             "delivery": {"mids": ["mid.1458668856218:ed81099e15d3f4f233", "m_2"], "watermark": 1458668856253i64}},
            {"sender": {"id": "PSID-1"}, "recipient": {"id": "1234567890"},
             "delivery": {"watermark": 1458668856253i64}},
            {"sender": {"id": "PSID-1"}, "recipient": {"id": "1234567890"}, "timestamp": 1458668856463i64,
             "read": {"watermark": 1458668856253i64}}
        ])))).unwrap();
        assert_eq!(
            ev,
            vec![
                status("mid.1458668856218:ed81099e15d3f4f233", State::Delivered),
                status("m_2", State::Delivered),
            ]
        );
        let ev = parse(&config(), &post(instagram(json!([
            {"sender": {"id": "IGSID-7"}, "recipient": {"id": "17841400000000000"}, "timestamp": 1,
             "read": {"mid": "m_ig_out"}}
        ])))).unwrap();
        assert_eq!(ev, vec![status("m_ig_out", State::Read)]);
    }

    fn sent(mid: &str) -> std::result::Result<Response, String> {
        Recorder::json(200, json!({"recipient_id": "PSID-1", "message_id": mid}))
    }

    fn bodies(http: &Recorder) -> Vec<Value> {
        http.requests
            .lock()
            .unwrap()
            .iter()
            .map(|r| match &r.body {
                Body::Json(b) => b.clone(),
                _ => panic!(),
            })
            .collect()
    }

    fn reply(source: &str, text: &str) -> Outgoing {
        let mut extra = Map::new();
        extra.insert("page_id".into(), json!("1234567890"));
        Outgoing {
            to: "PSID-1".into(),
            source: source.into(),
            extra,
            text: text.into(),
            reference: Some("42".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_reply_within_the_window() {
        let http = Recorder::answering(vec![sent("m_out1"), sent("m_out2")]);
        let mut out = reply("fb", "Merci ! 😊");
        out.media = vec![Link {
            name: "devis.pdf".into(),
            url: "https://chat.example/uploads/t/devis.pdf?exp=1&sig=x".into(),
            content_type: "application/pdf".into(),
        }];
        let Sent::Ok { ids, response } = send(&http, &config(), &out) else {
            panic!()
        };
        assert_eq!(ids, vec!["m_out1", "m_out2"]);
        assert_eq!(response["message_id"], "m_out2");
        let reqs = http.requests.lock().unwrap();
        assert_eq!(
            (reqs[0].method, reqs[0].url.as_str()),
            ("POST", "http://127.0.0.1:9/v25.0/1234567890/messages")
        );
        assert!(reqs[0]
            .headers
            .contains(&("authorization".into(), "Bearer EAApage".into())));
        drop(reqs);
        let b = bodies(&http);
        assert_eq!(
            b[0],
            json!({"recipient": {"id": "PSID-1"}, "messaging_type": "RESPONSE",
                                "message": {"text": "Merci ! 😊", "metadata": "42"}})
        );
        assert_eq!(
            b[1]["message"],
            json!({"attachment": {"type": "file",
            "payload": {"url": "https://chat.example/uploads/t/devis.pdf?exp=1&sig=x", "is_reusable": false}},
            "metadata": "42"})
        );
    }

    #[test]
    fn after_the_window_a_human_agent_reply() {
        let closed = Recorder::json(
            400,
            json!({"error": {
            "message": "(#10) This message is sent outside of allowed window. Learn more about the new policy here: https://developers.facebook.com/docs/messenger-platform/policy-overview",
            "type": "OAuthException", "code": 10, "error_subcode": 2018278, "fbtrace_id": "A"}}),
        );
        let http = Recorder::answering(vec![closed, sent("m_tagged"), sent("m_tagged2")]);
        let mut out = reply("fb", "Désolé pour l'attente");
        out.media = vec![Link {
            name: "a.png".into(),
            url: "https://x/a.png".into(),
            content_type: "image/png".into(),
        }];
        let Sent::Ok { ids, .. } = send(&http, &config(), &out) else {
            panic!()
        };
        assert_eq!(ids, vec!["m_tagged", "m_tagged2"]);
        let b = bodies(&http);
        assert_eq!(b.len(), 3);
        assert_eq!(b[0]["messaging_type"], "RESPONSE");
        for tagged in &b[1..] {
            assert_eq!(
                (tagged["messaging_type"].as_str(), tagged["tag"].as_str()),
                (Some("MESSAGE_TAG"), Some("HUMAN_AGENT"))
            );
        }
        assert_eq!(b[1]["message"]["text"], "Désolé pour l'attente");
        assert_eq!(b[2]["message"]["attachment"]["type"], "image");
        // Past the human-agent week too: Meta refuses the tag; final.
        let week = Recorder::json(
            400,
            json!({"error": {"message": "(#10) This message is sent outside of allowed window.", "code": 10, "error_subcode": 2018278}}),
        );
        let http = Recorder::answering(vec![week.clone(), week]);
        assert!(matches!(
            send(&http, &config(), &reply("fb", "x")),
            Sent::Failed {
                retry: false,
                status: Some(400),
                ..
            }
        ));
    }

    #[test]
    fn instagram_text_in_pieces_of_1000_bytes_without_metadata() {
        let long = format!("{} {}", "é".repeat(450), "🙂".repeat(200));
        let http = Recorder::answering(vec![sent("a"), sent("b"), sent("c")]);
        let Sent::Ok { ids, .. } = send(&http, &config(), &reply("ig", &long)) else {
            panic!()
        };
        let b = bodies(&http);
        let texts: Vec<&str> = b
            .iter()
            .map(|b| b["message"]["text"].as_str().unwrap())
            .collect();
        assert!(
            texts.iter().all(|t| t.len() <= IG_MAX_BYTES),
            "{:?}",
            texts.iter().map(|t| t.len()).collect::<Vec<_>>()
        );
        assert_eq!(texts.concat().replace(' ', ""), long.replace(' ', ""));
        assert_eq!(ids.len(), texts.len());
        assert!(b.iter().all(|b| b["message"].get("metadata").is_none()));
        assert_eq!(b[0]["recipient"]["id"], "PSID-1");
        // An API caller's metadata when the row names no message of ours.
        let http = Recorder::answering(vec![sent("a")]);
        let mut api = reply("fb", "x");
        api.reference = None;
        api.extra.insert("metadata".into(), json!("sb-7"));
        send(&http, &config(), &api);
        assert_eq!(bodies(&http)[0]["message"]["metadata"], "sb-7");
        // Messenger keeps the text whole.
        let http = Recorder::answering(vec![sent("a")]);
        send(&http, &config(), &reply("fb", &"x".repeat(2000)));
        assert_eq!(bodies(&http).len(), 1);
    }

    #[test]
    fn refusals_and_outages() {
        let invalid = Recorder::answering(vec![Recorder::json(
            400,
            json!({"error": {
            "message": "(#100) No matching user found", "type": "OAuthException", "code": 100, "error_subcode": 2018001}}),
        )]);
        assert!(matches!(
            send(&invalid, &config(), &reply("fb", "x")),
            Sent::Failed { retry: false, .. }
        ));
        let limited = Recorder::answering(vec![Recorder::json(
            400,
            json!({"error": {"message": "(#613) Calls to this api have exceeded the rate limit.", "code": 613}}),
        )]);
        assert!(matches!(
            send(&limited, &config(), &reply("fb", "x")),
            Sent::Failed { retry: true, .. }
        ));
        let down = Recorder::answering(vec![Err("refused".into())]);
        assert!(matches!(
            send(&down, &config(), &reply("fb", "x")),
            Sent::Failed { retry: true, .. }
        ));
        // The page of the conversation, else the configured one.
        let http = Recorder::answering(vec![sent("a")]);
        let mut out = reply("fb", "x");
        out.extra.clear();
        send(&http, &config(), &out);
        assert_eq!(
            http.requests.lock().unwrap()[0].url,
            "http://127.0.0.1:9/v25.0/1234567890/messages"
        );
    }

    #[test]
    fn attachments_are_fetched_from_their_url_without_the_token() {
        let http = Recorder::answering(vec![Ok(Response {
            status: 200,
            content_type: "image/jpeg".into(),
            body: vec![0xff, 0xd8, 0xff],
            headers: Vec::new(),
        })]);
        let f = media(
            &http,
            &config(),
            &MediaRef {
                id: "https://scontent.xx.fbcdn.net/v/photo_n.jpg?x=1".into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            (f.content_type.as_deref(), f.name.as_deref()),
            (Some("image/jpeg"), Some("photo_n.jpg"))
        );
        let req = http.requests.lock().unwrap()[0].clone();
        assert_eq!(
            (req.method, req.url.as_str()),
            ("GET", "https://scontent.xx.fbcdn.net/v/photo_n.jpg?x=1")
        );
        assert!(req.headers.is_empty());
        assert_eq!(req.limit, meta::MEDIA_LIMIT);
        assert!(media(
            &http,
            &config(),
            &MediaRef {
                id: "file:///etc/passwd".into(),
                ..Default::default()
            }
        )
        .is_err());
    }

    #[test]
    fn split_bytes_cuts_between_characters() {
        assert_eq!(split_bytes("abc", 10), vec!["abc"]);
        assert_eq!(split_bytes("aaaa bbbb", 6), vec!["aaaa", "bbbb"]);
        let parts = split_bytes(&"😀".repeat(5), 6);
        assert_eq!(parts, vec!["😀", "😀", "😀", "😀", "😀"]);
    }
}
