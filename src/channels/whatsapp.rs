//! WhatsApp, through Meta's Cloud API (Graph API v25.0;
//! developers.facebook.com/docs/whatsapp/cloud-api). Webhooks are Meta's
//! (`meta::handshake`, `meta::verify`); the `messages` field carries
//! customers' messages and the statuses of ours
//! (developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages);
//! messages leave with `POST /{phone_number_id}/messages` (text, media by
//! `link`, templates); media comes with `GET /{media-id}`. Free text may
//! be sent only within 24 hours of the customer's last message (the
//! outbox enforces `reply_window_hours`); outside it, templates.

use super::meta;
use super::*;
use crate::error;
use serde_json::json;

pub const PLATFORM: Platform = Platform {
    name: "whatsapp",
    label: "WhatsApp",
    sources: &["wa"],
    fields: &[
        Field {
            name: "phone_number_id",
            secret: false,
            required: true,
        },
        Field {
            name: "access_token",
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
            name: "business_account_id",
            secret: false,
            required: false,
        },
    ],
    api_base: "https://graph.facebook.com/v25.0",
    caps: Caps {
        max_text: 4096,
        media: true,
        reply_window_hours: Some(24),
        statuses: true,
        templates: true,
    },
    handshake: Some(meta::handshake),
    verify: meta::verify,
    parse,
    ack: ("text/plain", "EVENT_RECEIVED"),
    send,
    media,
    register: None,
};

/// The longest caption of an image, video or document.
const MAX_CAPTION: usize = 1024;

/// A `whatsapp_business_account` notification: every entry's `messages`
/// changes. Other objects and fields (account updates, template reviews)
/// are not conversations.
fn parse(_: &Config, r: &Inbound) -> Result<Vec<Event>> {
    let v = r.json()?;
    if !v.is_object() {
        return Err(error::CHANNEL_PAYLOAD.with("a notification is an object"));
    }
    if v["object"] != "whatsapp_business_account" {
        return Ok(Vec::new());
    }
    let entries = v["entry"]
        .as_array()
        .ok_or_else(|| error::CHANNEL_PAYLOAD.with("entry is missing"))?;
    let mut events = Vec::new();
    for change in entries
        .iter()
        .filter_map(|e| e["changes"].as_array())
        .flatten()
    {
        if change["field"].as_str().is_some_and(|f| f != "messages") {
            continue;
        }
        let value = &change["value"];
        for m in value["messages"].as_array().into_iter().flatten() {
            events.extend(message(value, m)?.map(Event::Message));
        }
        for s in value["statuses"].as_array().into_iter().flatten() {
            events.extend(status(s)?.map(Event::Status));
        }
    }
    Ok(events)
}

/// One customer message; None for what is not shown (reactions, system
/// notices, unsupported types).
fn message(value: &Value, m: &Value) -> Result<Option<InMessage>> {
    let need = |field: &str| {
        m[field]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| error::CHANNEL_PAYLOAD.with(format!("messages[].{field} is missing")))
    };
    let id = need("id")?;
    // `from` is the customer's number (wa_id). A customer who took a
    // username may come without it, named by their business-scoped user
    // id (BSUID) only: that is then their identity.
    let phone = m["from"].as_str().filter(|s| !s.is_empty());
    let from = match phone {
        Some(p) => p,
        None => m["from_user_id"]
            .as_str()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| error::CHANNEL_PAYLOAD.with("messages[].from is missing"))?,
    };
    let (text, media) = content(m);
    if text.is_empty() && media.is_empty() {
        return Ok(None);
    }
    let name = value["contacts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["wa_id"] == from || c["user_id"] == from)
        .and_then(|c| c["profile"]["name"].as_str())
        .unwrap_or("");
    let (first, last) = name.trim().split_once(' ').unwrap_or((name.trim(), ""));
    let mut extra = Map::new();
    if let Some(pid) = value["metadata"]["phone_number_id"].as_str() {
        extra.insert("phone_number_id".into(), json!(pid));
    }
    Ok(Some(InMessage {
        source: "wa",
        id: id.to_string(),
        from: from.to_string(),
        first_name: first.to_string(),
        last_name: last.trim().to_string(),
        phone: phone.map(|p| format!("+{}", p.trim_start_matches('+'))),
        text,
        media,
        extra,
    }))
}

/// A message's text and files, by `type`.
fn content(m: &Value) -> (String, Vec<MediaRef>) {
    let kind = m["type"].as_str().unwrap_or("");
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    match kind {
        "text" => (s(&m["text"]["body"]), Vec::new()),
        "image" | "video" | "audio" | "document" | "sticker" => {
            let f = &m[kind];
            let media = f["id"]
                .as_str()
                .map(|id| MediaRef {
                    id: id.to_string(),
                    content_type: f["mime_type"].as_str().map(str::to_string),
                    name: f["filename"]
                        .as_str()
                        .map(|n| n.chars().take(100).collect()),
                })
                .into_iter()
                .collect();
            (s(&f["caption"]), media)
        }
        "location" => (location(&m["location"]), Vec::new()),
        // A tap on a reply button or a list row: its title is what the
        // customer "said".
        "interactive" => {
            let i = &m["interactive"];
            let reply = &i[i["type"].as_str().unwrap_or("")];
            (s(&reply["title"]), Vec::new())
        }
        // A template's quick-reply button.
        "button" => (s(&m["button"]["text"]), Vec::new()),
        "contacts" => (contacts(&m["contacts"]), Vec::new()),
        _ => (String::new(), Vec::new()),
    }
}

fn location(l: &Value) -> String {
    let (lat, lon) = (l["latitude"].as_f64(), l["longitude"].as_f64());
    let mut parts: Vec<String> = ["name", "address"]
        .iter()
        .filter_map(|k| l[*k].as_str().filter(|s| !s.is_empty()).map(str::to_string))
        .collect();
    if let (Some(lat), Some(lon)) = (lat, lon) {
        parts.push(format!(
            "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
        ));
    }
    if parts.is_empty() {
        return String::new();
    }
    format!("📍 {}", parts.join("\n"))
}

/// Shared contact cards, as lines of name and numbers.
fn contacts(cards: &Value) -> String {
    cards
        .as_array()
        .into_iter()
        .flatten()
        .take(20)
        .map(|c| {
            let phones: Vec<&str> = c["phones"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p["phone"].as_str())
                .collect();
            format!(
                "👤 {} {}",
                c["name"]["formatted_name"].as_str().unwrap_or(""),
                phones.join(", ")
            )
            .trim()
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A status of a message we sent (its `wamid`).
fn status(s: &Value) -> Result<Option<StatusReport>> {
    let id = s["id"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| error::CHANNEL_PAYLOAD.with("statuses[].id is missing"))?;
    let state = match s["status"].as_str() {
        Some("sent") => State::Sent,
        Some("delivered") => State::Delivered,
        Some("read") | Some("played") => State::Read,
        Some("failed") => State::Failed,
        _ => return Ok(None),
    };
    let error = (state == State::Failed).then(|| {
        let e = &s["errors"][0];
        let parts: Vec<&str> = [&e["title"], &e["message"], &e["error_data"]["details"]]
            .into_iter()
            .filter_map(|v| v.as_str().filter(|t| !t.is_empty()))
            .collect();
        let mut parts = parts;
        parts.dedup();
        let text = match e["code"].as_i64() {
            Some(code) => format!("({code}) {}", parts.join(": ")),
            None => parts.join(": "),
        };
        meta::clip(text.trim())
    });
    Ok(Some(StatusReport {
        id: id.to_string(),
        state,
        error,
    }))
}

/// The message kind a file leaves as: what WhatsApp shows inline
/// (JPEG/PNG images, MP4/3GPP video, audio), else a document.
fn kind_of(content_type: &str) -> &'static str {
    match content_type {
        "image/jpeg" | "image/png" => "image",
        "video/mp4" | "video/3gpp" => "video",
        t if t.starts_with("audio/") => "audio",
        _ => "document",
    }
}

/// The request bodies of one message: a template alone, or the text and
/// each file (the text as the first file's caption when it can be one).
fn bodies(m: &Outgoing) -> Vec<Value> {
    let to = m.to.trim();
    // A business-scoped user id (`CC.digits`) is a recipient, not a number.
    let base = if to.contains('.') {
        json!({ "messaging_product": "whatsapp", "recipient_type": "individual", "recipient": to })
    } else {
        json!({ "messaging_product": "whatsapp", "recipient_type": "individual", "to": to })
    };
    let with = |kind: &str, object: Value| {
        let mut b = base.clone();
        b["type"] = json!(kind);
        b[kind] = object;
        b
    };
    if let Some(t) = &m.template {
        return vec![with("template", template(t))];
    }
    let mut out = Vec::new();
    let caption_first = m
        .media
        .first()
        .is_some_and(|f| kind_of(&f.content_type) != "audio")
        && !m.text.is_empty()
        && m.text.chars().count() <= MAX_CAPTION;
    if !m.text.is_empty() && !caption_first {
        out.push(with(
            "text",
            json!({ "preview_url": false, "body": m.text }),
        ));
    }
    for (i, f) in m.media.iter().enumerate() {
        let kind = kind_of(&f.content_type);
        let mut object = json!({ "link": f.url });
        if i == 0 && caption_first {
            object["caption"] = json!(m.text);
        }
        if kind == "document" && !f.name.is_empty() {
            object["filename"] = json!(f.name);
        }
        out.push(with(kind, object));
    }
    out
}

/// A template message's `template` object: Support Board's three lists
/// (header, body and button parameters) as components.
fn template(t: &Template) -> Value {
    let texts = |ps: &[String]| -> Vec<Value> {
        ps.iter()
            .map(|p| json!({ "type": "text", "text": p }))
            .collect()
    };
    let mut components = Vec::new();
    if !t.header.is_empty() {
        components.push(json!({ "type": "header", "parameters": texts(&t.header) }));
    }
    if !t.body.is_empty() {
        components.push(json!({ "type": "body", "parameters": texts(&t.body) }));
    }
    // A button parameter fills a URL button's variable suffix (quick-reply
    // buttons need none), one per button, in order.
    for (i, p) in t.buttons.iter().enumerate() {
        components.push(
            json!({ "type": "button", "sub_type": "url", "index": i.to_string(),
                                "parameters": [{ "type": "text", "text": p }] }),
        );
    }
    let mut v = json!({ "name": t.name, "language": { "code": t.language } });
    if !components.is_empty() {
        v["components"] = Value::Array(components);
    }
    v
}

/// `POST /{phone_number_id}/messages` for each part, from the number the
/// customer wrote to (the conversation's `phone_number_id`), else the
/// configured one.
fn send(http: &dyn Http, c: &Config, m: &Outgoing) -> Sent {
    let number = m
        .extra
        .get("phone_number_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or(c.get("phone_number_id"));
    let refuse = |text: &str| Sent::Failed {
        status: None,
        text: text.into(),
        retry: false,
    };
    if m.to.trim().is_empty() {
        return refuse("no recipient");
    }
    let bodies = bodies(m);
    if bodies.is_empty() {
        return refuse("nothing to send");
    }
    let url = format!("{}/{}/messages", c.api_base(), meta::segment(number));
    meta::send_all(
        bodies,
        |b| {
            http.call(meta::call(
                c,
                "access_token",
                "POST",
                url.clone(),
                Body::Json(b),
            ))
        },
        |v| {
            v["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m["id"].as_str().map(str::to_string))
                .collect()
        },
    )
}

fn media(http: &dyn Http, c: &Config, f: &MediaRef) -> std::result::Result<Fetched, String> {
    meta::media_by_id(http, c, "access_token", f)
}

/// The approved message templates of the configured WhatsApp Business
/// Account (`business_account_id`), for a template picker:
/// `GET /{business_account_id}/message_templates`, at most 500 (five
/// pages of 100). Each is
/// `{"name", "language", "category", "header", "body", "footer",
///   "buttons": [text], "parameters": {"header": n, "body": n, "buttons": n}}`:
/// `header` is the header's text (or its format, `IMAGE`, ...; null when
/// there is none), `footer` null when there is none, and `parameters`
/// counts the `{{…}}` placeholders each part needs (`buttons`: URL buttons
/// with a variable), the lists `channels::Template` takes.
// Not called yet: the template picker reads `channels.whatsapp.templates`;
// loading them from Meta is the next step (issue 12's note).
#[allow(dead_code)]
pub fn list_templates(http: &dyn Http, c: &Config) -> std::result::Result<Vec<Value>, String> {
    let waba = c.get("business_account_id");
    if waba.is_empty() {
        return Err("channels.whatsapp has no business_account_id".into());
    }
    let mut out = Vec::new();
    let mut after = String::new();
    for _ in 0..5 {
        let mut url = format!(
            "{}/{}/message_templates?fields=name,language,status,category,components&status=APPROVED&limit=100",
            c.api_base(),
            meta::segment(waba)
        );
        if !after.is_empty() {
            url.push_str("&after=");
            url.push_str(&meta::segment(&after));
        }
        let r = http.call(meta::call(c, "access_token", "GET", url, Body::None))?;
        if r.status != 200 {
            return Err(format!(
                "message_templates answered {}: {}",
                r.status,
                meta::clip(&r.text())
            ));
        }
        let v = r.json();
        for t in v["data"].as_array().into_iter().flatten() {
            if t["status"].as_str().is_none_or(|s| s == "APPROVED") {
                out.push(template_summary(t));
            }
        }
        match v["paging"]["cursors"]["after"].as_str() {
            Some(a) if v["paging"]["next"].is_string() => after = a.to_string(),
            _ => break,
        }
    }
    Ok(out)
}

#[allow(dead_code)]
fn template_summary(t: &Value) -> Value {
    let components: Vec<&Value> = t["components"].as_array().into_iter().flatten().collect();
    let part = |kind: &str| {
        components
            .iter()
            .find(|c| {
                c["type"]
                    .as_str()
                    .is_some_and(|k| k.eq_ignore_ascii_case(kind))
            })
            .copied()
    };
    let placeholders = |s: &str| s.matches("{{").count();
    let header = part("HEADER");
    let header_text = header.map(|h| match h["text"].as_str() {
        Some(text) => json!(text),
        None => h["format"].clone(),
    });
    let body = part("BODY").and_then(|b| b["text"].as_str()).unwrap_or("");
    let buttons: Vec<&Value> = part("BUTTONS")
        .and_then(|b| b["buttons"].as_array())
        .into_iter()
        .flatten()
        .collect();
    json!({
        "name": t["name"],
        "language": t["language"],
        "category": t["category"],
        "header": header_text,
        "body": body,
        "footer": part("FOOTER").map(|f| f["text"].clone()),
        "buttons": buttons.iter().map(|b| b["text"].clone()).collect::<Vec<_>>(),
        "parameters": {
            "header": header.and_then(|h| h["text"].as_str()).map_or(0, placeholders),
            "body": placeholders(body),
            "buttons": buttons.iter().filter(|b| b["url"].as_str().is_some_and(|u| u.contains("{{"))).count(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::Recorder;
    use super::*;

    fn config() -> Config {
        let mut m = Map::new();
        for (k, v) in [
            ("phone_number_id", "106540352242922"),
            ("access_token", "EAAtoken"),
            ("app_secret", "s3cret"),
            ("verify_token", "vt"),
            ("business_account_id", "102290129340398"),
            ("api_base", "http://127.0.0.1:9/v25.0/"),
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

    /// The documented notification shape around one `value`.
    fn notification(value: Value) -> Value {
        json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398",
               "changes": [{"field": "messages", "value": value}]}]})
    }

    fn value(messages: Value) -> Value {
        json!({"messaging_product": "whatsapp",
               "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
               "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}],
               "messages": messages})
    }

    fn messages(body: Value) -> Vec<InMessage> {
        parse(&config(), &post(body))
            .unwrap()
            .into_iter()
            .filter_map(|e| match e {
                Event::Message(m) => Some(m),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_documented_text_message() {
        // developers.facebook.com/.../whatsapp/webhooks/reference/messages
        let ms = messages(notification(value(json!([{"from": "16505551234",
            "id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
            "timestamp": "1749416383", "type": "text",
            "text": {"body": "Does it come in another color? ¿Y en añil? 🎨"}}]))));
        let m = &ms[0];
        assert_eq!(
            m.id,
            "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
        );
        assert_eq!((m.source, m.from.as_str()), ("wa", "16505551234"));
        assert_eq!(m.phone.as_deref(), Some("+16505551234"));
        assert_eq!(
            (m.first_name.as_str(), m.last_name.as_str()),
            ("Sheena", "Nelson")
        );
        assert_eq!(m.text, "Does it come in another color? ¿Y en añil? 🎨");
        assert_eq!(m.extra["phone_number_id"], "106540352242922");
        assert!(m.media.is_empty());
    }

    #[test]
    fn media_location_and_replies() {
        let ms = messages(notification(value(json!([
            {"from": "16505551234", "id": "wamid.1", "type": "image",
             "image": {"caption": "Voilà", "mime_type": "image/jpeg", "sha256": "x", "id": "1037543291543636"}},
            {"from": "16505551234", "id": "wamid.2", "type": "document",
             "document": {"filename": "facture.pdf", "mime_type": "application/pdf", "id": "42"}},
            {"from": "16505551234", "id": "wamid.3", "type": "audio",
             "audio": {"mime_type": "audio/ogg; codecs=opus", "id": "43", "voice": true}},
            {"from": "16505551234", "id": "wamid.4", "type": "location",
             "location": {"latitude": 48.8584, "longitude": 2.2945, "name": "Tour Eiffel", "address": "Champ de Mars, Paris"}},
            {"from": "16505551234", "id": "wamid.5", "type": "interactive",
             "interactive": {"type": "button_reply", "button_reply": {"id": "yes", "title": "Oui 👍"}}},
            {"from": "16505551234", "id": "wamid.6", "type": "interactive",
             "interactive": {"type": "list_reply", "list_reply": {"id": "r2", "title": "Mardi", "description": "9h–12h"}}},
            {"from": "16505551234", "id": "wamid.7", "type": "button",
             "button": {"payload": "STOP", "text": "Stop promotions"}},
            {"from": "16505551234", "id": "wamid.8", "type": "sticker",
             "sticker": {"mime_type": "image/webp", "id": "44", "animated": false}},
            {"from": "16505551234", "id": "wamid.9", "type": "reaction",
             "reaction": {"message_id": "wamid.0", "emoji": "❤️"}},
            {"from": "16505551234", "id": "wamid.10", "type": "unsupported",
             "errors": [{"code": 131051, "title": "Message type unknown"}]}
        ]))));
        let by = |id: &str| ms.iter().find(|m| m.id == id).unwrap();
        assert_eq!(by("wamid.1").text, "Voilà");
        assert_eq!(by("wamid.1").media[0].id, "1037543291543636");
        assert_eq!(
            by("wamid.1").media[0].content_type.as_deref(),
            Some("image/jpeg")
        );
        assert_eq!(by("wamid.2").media[0].name.as_deref(), Some("facture.pdf"));
        assert_eq!(by("wamid.3").media[0].id, "43");
        let loc = &by("wamid.4").text;
        assert!(
            loc.starts_with("📍 Tour Eiffel\nChamp de Mars, Paris\n"),
            "{loc}"
        );
        assert!(loc.contains("mlat=48.8584&mlon=2.2945"), "{loc}");
        assert_eq!(by("wamid.5").text, "Oui 👍");
        assert_eq!(by("wamid.6").text, "Mardi");
        assert_eq!(by("wamid.7").text, "Stop promotions");
        assert_eq!(by("wamid.8").media[0].id, "44");
        // A reaction and an unsupported message are not shown.
        assert_eq!(ms.len(), 8);
    }

    #[test]
    fn statuses_by_wamid() {
        let v = json!({"messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "statuses": [
            {"id": "wamid.A", "status": "delivered", "timestamp": "1750263773", "recipient_id": "16505551234",
             "pricing": {"billable": true, "pricing_model": "PMP", "category": "utility"}},
            {"id": "wamid.A", "status": "read", "timestamp": "1750263774", "recipient_id": "16505551234"},
            {"id": "wamid.B", "status": "failed", "timestamp": "1750263775", "recipient_id": "16505551234",
             "errors": [{"code": 131047, "title": "Re-engagement message",
                         "message": "Re-engagement message",
                         "error_data": {"details": "Message failed to send because more than 24 hours have passed since the customer last replied to this number."}}]},
            {"id": "wamid.C", "status": "deleted"}
        ]});
        let ev = parse(&config(), &post(notification(v))).unwrap();
        assert_eq!(
            ev[..2],
            [
                Event::Status(StatusReport {
                    id: "wamid.A".into(),
                    state: State::Delivered,
                    error: None
                }),
                Event::Status(StatusReport {
                    id: "wamid.A".into(),
                    state: State::Read,
                    error: None
                }),
            ]
        );
        let Event::Status(failed) = &ev[2] else {
            panic!()
        };
        assert_eq!(failed.state, State::Failed);
        assert_eq!(
            failed.error.as_deref(),
            Some("(131047) Re-engagement message: Message failed to send because more than 24 hours have passed since the customer last replied to this number.")
        );
        assert_eq!(ev.len(), 3);
    }

    #[test]
    fn what_is_not_a_message_and_what_is_unreadable() {
        let c = config();
        assert!(parse(&c, &post(json!({"object": "page", "entry": []})))
            .unwrap()
            .is_empty());
        let templates = json!({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
            {"field": "message_template_status_update", "value": {"event": "APPROVED"}}]}]});
        assert!(parse(&c, &post(templates)).unwrap().is_empty());
        let no_id = notification(value(
            json!([{"from": "1", "type": "text", "text": {"body": "x"}}]),
        ));
        assert!(parse(&c, &post(no_id)).is_err());
        assert!(parse(&c, &post(json!({"object": "whatsapp_business_account"}))).is_err());
        assert!(parse(
            &c,
            &Inbound {
                body: b"[".to_vec(),
                ..Default::default()
            }
        )
        .is_err());
        // A customer known only by a business-scoped user id.
        let bsuid = notification(json!({"metadata": {"phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Zoë"}, "user_id": "US.13491208655302741918"}],
            "messages": [{"from_user_id": "US.13491208655302741918", "id": "wamid.U", "type": "text", "text": {"body": "hi"}}]}));
        let m = &messages(bsuid)[0];
        assert_eq!(
            (m.from.as_str(), m.phone.as_deref(), m.first_name.as_str()),
            ("US.13491208655302741918", None, "Zoë")
        );
    }

    fn sent_ok(wamid: &str) -> std::result::Result<Response, String> {
        Recorder::json(
            200,
            json!({"messaging_product": "whatsapp",
            "contacts": [{"input": "+16505551234", "wa_id": "16505551234"}],
            "messages": [{"id": wamid}]}),
        )
    }

    fn bodies_sent(http: &Recorder) -> Vec<Value> {
        http.requests
            .lock()
            .unwrap()
            .iter()
            .map(|r| match &r.body {
                Body::Json(b) => b.clone(),
                _ => panic!("not JSON"),
            })
            .collect()
    }

    #[test]
    fn text_is_sent_from_the_number_written_to() {
        let http = Recorder::answering(vec![sent_ok("wamid.OUT")]);
        let mut extra = Map::new();
        extra.insert("phone_number_id".into(), json!("999"));
        let out = Outgoing {
            to: "16505551234".into(),
            extra,
            text: "Bonjour 👋 https://example.com".into(),
            ..Default::default()
        };
        let Sent::Ok { ids, response } = send(&http, &config(), &out) else {
            panic!()
        };
        assert_eq!(ids, vec!["wamid.OUT"]);
        assert_eq!(response["messages"][0]["id"], "wamid.OUT");
        let req = http.requests.lock().unwrap()[0].clone();
        assert_eq!(
            (req.method, req.url.as_str()),
            ("POST", "http://127.0.0.1:9/v25.0/999/messages")
        );
        assert!(req
            .headers
            .contains(&("authorization".into(), "Bearer EAAtoken".into())));
        assert_eq!(
            bodies_sent(&http)[0],
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505551234",
                   "type": "text", "text": {"preview_url": false, "body": "Bonjour 👋 https://example.com"}})
        );
    }

    #[test]
    fn files_by_link_with_the_text_as_caption() {
        let link = |name: &str, ct: &str| Link {
            name: name.into(),
            url: format!("https://chat.example/uploads/t/{name}?exp=1&sig=x"),
            content_type: ct.into(),
        };
        let http = Recorder::answering(vec![sent_ok("w1"), sent_ok("w2"), sent_ok("w3")]);
        let out = Outgoing {
            to: "16505551234".into(),
            text: "Voici".into(),
            media: vec![
                link("photo.png", "image/png"),
                link("devis.pdf", "application/pdf"),
                link("note.ogg", "audio/ogg"),
            ],
            ..Default::default()
        };
        let Sent::Ok { ids, .. } = send(&http, &config(), &out) else {
            panic!()
        };
        assert_eq!(ids, vec!["w1", "w2", "w3"]);
        let b = bodies_sent(&http);
        assert_eq!(b[0]["type"], "image");
        assert_eq!(
            b[0]["image"],
            json!({"link": "https://chat.example/uploads/t/photo.png?exp=1&sig=x", "caption": "Voici"})
        );
        assert_eq!(b[1]["document"]["filename"], "devis.pdf");
        assert!(b[1]["document"].get("caption").is_none());
        assert_eq!(b[2]["type"], "audio");
        assert_eq!(
            b[2]["audio"],
            json!({"link": "https://chat.example/uploads/t/note.ogg?exp=1&sig=x"})
        );
        // Audio takes no caption: the text goes first, on its own.
        let http = Recorder::answering(vec![sent_ok("w1"), sent_ok("w2")]);
        let out = Outgoing {
            media: vec![link("note.ogg", "audio/ogg")],
            ..out
        };
        send(&http, &config(), &out);
        let b = bodies_sent(&http);
        assert_eq!(
            (b[0]["type"].as_str(), b[0]["text"]["body"].as_str()),
            (Some("text"), Some("Voici"))
        );
        assert_eq!(b[1]["type"], "audio");
    }

    #[test]
    fn a_template_with_its_parameters() {
        let http = Recorder::answering(vec![sent_ok("wamid.T")]);
        let out = Outgoing {
            to: "+16505551234".into(),
            text: "ignored".into(),
            template: Some(Template {
                name: "order_update".into(),
                language: "fr".into(),
                header: vec!["Commande 42".into()],
                body: vec!["Zoë".into(), "mardi".into()],
                buttons: vec!["track/42".into()],
            }),
            ..Default::default()
        };
        let Sent::Ok { ids, .. } = send(&http, &config(), &out) else {
            panic!()
        };
        assert_eq!(ids, vec!["wamid.T"]);
        assert_eq!(
            bodies_sent(&http)[0],
            json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "+16505551234",
            "type": "template", "template": {"name": "order_update", "language": {"code": "fr"},
            "components": [
                {"type": "header", "parameters": [{"type": "text", "text": "Commande 42"}]},
                {"type": "body", "parameters": [{"type": "text", "text": "Zoë"}, {"type": "text", "text": "mardi"}]},
                {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "track/42"}]}
            ]}})
        );
        // Without parameters: no components at all.
        let http = Recorder::answering(vec![sent_ok("wamid.T")]);
        let out = Outgoing {
            template: Some(Template {
                name: "hello_world".into(),
                language: "en_US".into(),
                ..Default::default()
            }),
            ..out
        };
        send(&http, &config(), &out);
        assert_eq!(
            bodies_sent(&http)[0]["template"],
            json!({"name": "hello_world", "language": {"code": "en_US"}})
        );
    }

    #[test]
    fn refusals_outages_and_partial_sends() {
        let out = Outgoing {
            to: "16505551234".into(),
            text: "x".into(),
            ..Default::default()
        };
        let window = Recorder::answering(vec![Recorder::json(
            400,
            json!({"error": {
            "message": "(#131047) Re-engagement message", "type": "OAuthException", "code": 131047,
            "error_data": {"messaging_product": "whatsapp", "details": "more than 24 hours"}, "fbtrace_id": "A"}}),
        )]);
        let Sent::Failed {
            status,
            text,
            retry,
        } = send(&window, &config(), &out)
        else {
            panic!()
        };
        assert_eq!((status, retry), (Some(400), false));
        assert!(text.contains("Re-engagement"), "{text}");
        let throttled = Recorder::answering(vec![Recorder::json(
            400,
            json!({"error": {
            "message": "(#130429) Rate limit hit", "code": 130429}}),
        )]);
        assert!(matches!(
            send(&throttled, &config(), &out),
            Sent::Failed { retry: true, .. }
        ));
        let down = Recorder::answering(vec![Err("connection refused".into())]);
        assert!(matches!(
            send(&down, &config(), &out),
            Sent::Failed { retry: true, .. }
        ));
        // The first file went out, the second hit an outage: final.
        let link = Link {
            name: "a.pdf".into(),
            url: "https://x/a.pdf".into(),
            content_type: "application/pdf".into(),
        };
        let half = Recorder::answering(vec![sent_ok("w1"), Err("timeout".into())]);
        let two = Outgoing {
            media: vec![link.clone(), link],
            ..out.clone()
        };
        assert!(matches!(
            send(&half, &config(), &two),
            Sent::Failed { retry: false, .. }
        ));
        // Nothing to say, or no one to say it to.
        assert!(matches!(
            send(
                &Recorder::default(),
                &config(),
                &Outgoing {
                    to: "1".into(),
                    ..Default::default()
                }
            ),
            Sent::Failed { retry: false, .. }
        ));
        assert!(matches!(
            send(
                &Recorder::default(),
                &config(),
                &Outgoing {
                    text: "x".into(),
                    ..Default::default()
                }
            ),
            Sent::Failed { retry: false, .. }
        ));
    }

    #[test]
    fn approved_templates_page_by_page() {
        let page1 = json!({"data": [
            {"name": "order_update", "language": "fr", "status": "APPROVED", "category": "UTILITY", "id": "1",
             "components": [
                {"type": "HEADER", "format": "TEXT", "text": "Commande {{1}}"},
                {"type": "BODY", "text": "Bonjour {{1}}, livraison {{2}}."},
                {"type": "FOOTER", "text": "Merci"},
                {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Suivre", "url": "https://x.example/{{1}}"},
                                                {"type": "QUICK_REPLY", "text": "Stop"}]}]},
            {"name": "draft", "language": "en_US", "status": "PENDING", "category": "MARKETING", "components": []}],
            "paging": {"cursors": {"before": "B", "after": "QVFI"}, "next": "https://graph.facebook.com/v25.0/102290129340398/message_templates?after=QVFI"}});
        let page2 = json!({"data": [
            {"name": "hello_world", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
             "components": [{"type": "HEADER", "format": "IMAGE"}, {"type": "BODY", "text": "Hello World"}]}],
            "paging": {"cursors": {"before": "C", "after": "D"}}});
        let http =
            Recorder::answering(vec![Recorder::json(200, page1), Recorder::json(200, page2)]);
        let t = list_templates(&http, &config()).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(
            t[0],
            json!({"name": "order_update", "language": "fr", "category": "UTILITY",
            "header": "Commande {{1}}", "body": "Bonjour {{1}}, livraison {{2}}.", "footer": "Merci",
            "buttons": ["Suivre", "Stop"], "parameters": {"header": 1, "body": 2, "buttons": 1}})
        );
        assert_eq!(
            (t[1]["header"].as_str(), t[1]["footer"].is_null()),
            (Some("IMAGE"), true)
        );
        let reqs = http.requests.lock().unwrap();
        assert_eq!(reqs[0].url, "http://127.0.0.1:9/v25.0/102290129340398/message_templates?fields=name,language,status,category,components&status=APPROVED&limit=100");
        assert!(reqs[1].url.ends_with("&after=QVFI"));
        assert!(reqs[0]
            .headers
            .contains(&("authorization".into(), "Bearer EAAtoken".into())));
        drop(reqs);
        let mut no_waba = config();
        no_waba.0.remove("business_account_id");
        assert!(list_templates(&Recorder::default(), &no_waba).is_err());
        let refused = Recorder::answering(vec![Recorder::json(
            401,
            json!({"error": {"message": "Invalid OAuth access token", "code": 190}}),
        )]);
        assert!(list_templates(&refused, &config())
            .unwrap_err()
            .contains("401"));
    }

    #[test]
    fn handshake_and_signature_are_meta_s() {
        let c = config();
        let hs = PLATFORM.handshake.unwrap();
        let ok = Inbound {
            query: vec![
                ("hub.mode".into(), "subscribe".into()),
                ("hub.verify_token".into(), "vt".into()),
                ("hub.challenge".into(), "77".into()),
            ],
            ..Default::default()
        };
        assert_eq!(hs(&c, &ok).unwrap(), "77");
        let body = notification(value(json!([])));
        let mut r = post(body);
        r.headers.push((
            "x-hub-signature-256".into(),
            format!("sha256={}", hex(&hmac_sha256(b"s3cret", &r.body))),
        ));
        assert!((PLATFORM.verify)(&c, &r).is_ok());
    }
}
