//! ChatShipper (Web1on1) webhooks: endpoints subscribe to its event names
//! (`message.create.<contact|agent|system>.<type>`, `message.update`,
//! `conversation.create`, `conversation.update`, or `prefix.*`); each of our
//! events fires at most one, sent as ChatShipper's envelope `{id,
//! timestamp, event, organization, activity, data: {conversation,
//! message}}` and signed `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the
//! body>` with the endpoint's secret. The body is rendered at send time
//! from the event row, so it holds what the event holds: the message as
//! ChatShipper shows it, and the conversation's id and contact (not its
//! participants, meta or organization, which the event does not carry).

use super::{wants, Format, Outgoing};
use crate::error::{self, Result};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha1::Sha1;

pub const FORMAT: Format = Format {
    name: "chatshipper",
    check_kinds,
    secret,
    rows,
    body,
    headers,
};

/// ChatShipper's twelve message types; any other reads `chat`.
const TYPES: &[&str] = &[
    "chat", "card", "postback", "mention", "tag", "search", "command", "form", "field", "results",
    "report", "status",
];

/// Our events that are ChatShipper's `conversation.update`.
const CONVERSATION_UPDATES: &[&str] = &[
    "conversation.participant",
    "conversation.queued",
    "conversation.dequeued",
    "conversation.status",
    "conversation.assigned",
    "conversation.extra",
    "conversation.title",
    "conversation.imported",
    "conversation.results",
    "conversation.form",
];

/// Our events that are ChatShipper's `message.update`.
const MESSAGE_UPDATES: &[&str] = &["message.liked", "message.commented", "message.updated"];

/// The ChatShipper event an event of ours is, if any.
pub fn event_name(kind: &str, data: &Value) -> Option<String> {
    match kind {
        "message.created" => {
            let m = &data["message"];
            Some(format!("message.create.{}.{}", role(m), message_type(m)))
        }
        "conversation.created" => Some("conversation.create".into()),
        k if MESSAGE_UPDATES.contains(&k) => Some("message.update".into()),
        k if CONVERSATION_UPDATES.contains(&k) => Some("conversation.update".into()),
        _ => None,
    }
}

/// Who sent a message (our message JSON), as the event name says it:
/// contacts, agents (and admins), and the system (the bot, commands).
fn role(m: &Value) -> &'static str {
    match m["sender"]["type"].as_str() {
        _ if m["payload"]["type"] == "command" => "system",
        Some("visitor" | "lead" | "user") => "contact",
        Some("agent" | "admin") => "agent",
        _ => "system",
    }
}

fn message_type(m: &Value) -> &str {
    match m["payload"]["type"].as_str() {
        Some(t) if TYPES.contains(&t) => t,
        _ => "chat",
    }
}

/// Only names of events this format sends (or patterns of them).
fn check_kinds(kinds: &[String]) -> Result<()> {
    for k in kinds {
        if !known(k) {
            return Err(error::INVALID_EVENT_KIND.with(format!(
                "{k} is not a ChatShipper event Frontporch sends (message.create.<contact|agent|system>.<type>, \
                 message.update, conversation.create, conversation.update, a prefix with .*, or *)"
            )));
        }
    }
    Ok(())
}

fn known(kind: &str) -> bool {
    let stem = kind.strip_suffix(".*").unwrap_or(kind);
    if kind == "*" {
        return true;
    }
    let parts: Vec<&str> = stem.split('.').collect();
    let wildcard = stem.len() < kind.len();
    match parts.as_slice() {
        ["message"] | ["conversation"] => wildcard,
        ["message", "create"] => wildcard,
        ["message", "create", role] => wildcard && ["contact", "agent", "system"].contains(role),
        ["message", "create", role, t] => {
            !wildcard && ["contact", "agent", "system"].contains(role) && TYPES.contains(t)
        }
        ["message", "update"] | ["conversation", "create" | "update"] => !wildcard,
        _ => false,
    }
}

/// The admin's secret key, or a generated one.
fn secret(key: Option<String>) -> String {
    key.unwrap_or_else(|| crate::util::random_token("", 24))
}

/// One row per event the endpoint wants, its body rendered from the event
/// (empty payload: the store's `{type, timestamp, data}`).
fn rows(kind: &str, data: &Value, kinds: &[String]) -> Vec<String> {
    match event_name(kind, data) {
        Some(name) if wants(kinds, &name) => vec![String::new()],
        _ => Vec::new(),
    }
}

/// The envelope, from the store's rendering of the event (its id, time,
/// actor and data), with the message's links signed.
fn body(o: &Outgoing) -> String {
    let signed = (o.sign)(o.payload, "/data/data/message");
    let stored: Value =
        serde_json::from_str(signed.as_deref().unwrap_or(o.payload)).unwrap_or_default();
    let owner = o.event.and_then(|e| e.3);
    envelope(&stored, owner, o.sender_url).to_string()
}

fn sid(v: &Value) -> Value {
    match v {
        Value::Number(n) => Value::String(n.to_string()),
        other => other.clone(),
    }
}

/// ChatShipper's envelope for one stored event (`{type, timestamp, data:
/// {id, kind, conversation_id, actor_id, data}}`).
pub fn envelope(stored: &Value, owner: Option<i64>, sender_url: &str) -> Value {
    let ev = &stored["data"];
    let kind = ev["kind"].as_str().unwrap_or_default();
    let data = &ev["data"];
    let name = event_name(kind, data).unwrap_or_else(|| kind.to_string());
    let base = sender_url.trim_end_matches('/');
    let conversation = json!({
        "id": sid(&ev["conversation_id"]),
        "type": "contact",
        "contact": owner.map(|o| o.to_string()),
    });
    let m = &data["message"];
    let message = m.is_object().then(|| message(m, owner));
    let (verb, object) = match &message {
        Some(msg) if name.starts_with("message.create") => (
            "Create",
            format!("{base}/v2/messages/{}", msg["id"].as_str().unwrap_or("")),
        ),
        _ => (
            if name.ends_with(".create") {
                "Create"
            } else {
                "Update"
            },
            format!(
                "{base}/v2/conversations/{}",
                conversation["id"].as_str().unwrap_or("")
            ),
        ),
    };
    let actor = ev["actor_id"].as_i64();
    let mut out = json!({
        "id": sid(&ev["id"]),
        "timestamp": stored["timestamp"],
        "event": name,
        "organization": null,
        "activity": {
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": verb,
            "actor": { "id": actor.map(|a| format!("{base}/v2/users/{a}")), "type": "Person" },
            "object": { "id": object, "type": "Object" },
            "published": stored["timestamp"],
            "summary": format!("{kind} in conversation {}", conversation["id"].as_str().unwrap_or("")),
        },
        "data": { "conversation": conversation },
    });
    if let Some(msg) = message {
        out["data"]["message"] = msg;
    }
    if !matches!(kind, "message.created" | "conversation.created") {
        // What changed, as our event says it (participant flags, status...).
        out["data"]["change"] = json!({ "kind": kind, "data": data });
    }
    out
}

/// Our message JSON (`Message::to_json`) as ChatShipper shows a message.
fn message(m: &Value, owner: Option<i64>) -> Value {
    let role = match m["sender"]["type"].as_str() {
        _ if owner.is_some() && m["user_id"].as_i64() == owner => "contact",
        Some("visitor" | "lead" | "user") => "contact",
        Some("agent" | "admin") => "agent",
        _ => "bot",
    };
    json!({
        "id": sid(&m["id"]),
        "conversation": sid(&m["conversation_id"]),
        "type": message_type(m),
        "role": role,
        "user": sid(&m["user_id"]),
        "text": m["body"],
        "meta": m["payload"]["meta"].as_object().cloned().unwrap_or_default(),
        "attachments": m["attachments"],
        "createdAt": m["created_at"],
        "updatedAt": if m["edited_at"].is_string() { &m["edited_at"] } else { &m["created_at"] },
    })
}

/// `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>`.
fn headers(body: &str, secret: &str) -> Vec<(&'static str, String)> {
    let mut mac =
        Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    vec![("X-Hub-Signature", format!("sha1={hex}"))]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names() {
        let msg = |sender: &str, payload: Value| json!({ "message": { "sender": { "type": sender }, "payload": payload } });
        let name = |k, d: Value| event_name(k, &d);
        assert_eq!(
            name("message.created", msg("visitor", json!({}))).as_deref(),
            Some("message.create.contact.chat")
        );
        assert_eq!(
            name("message.created", msg("admin", json!({"type": "card"}))).as_deref(),
            Some("message.create.agent.card")
        );
        assert_eq!(
            name("message.created", msg("agent", json!({"type": "command"}))).as_deref(),
            Some("message.create.system.command")
        );
        assert_eq!(
            name("message.created", msg("bot", json!({"type": "weird"}))).as_deref(),
            Some("message.create.system.chat")
        );
        assert_eq!(
            name("conversation.participant", json!({})).as_deref(),
            Some("conversation.update")
        );
        assert_eq!(
            name("message.liked", json!({})).as_deref(),
            Some("message.update")
        );
        assert_eq!(
            name("conversation.created", json!({})).as_deref(),
            Some("conversation.create")
        );
        assert_eq!(name("user.login", json!({})), None);
    }

    #[test]
    fn subscriptions() {
        for ok in [
            "*",
            "message.*",
            "message.create.*",
            "message.create.contact.*",
            "message.create.contact.chat",
            "message.update",
            "conversation.*",
            "conversation.update",
        ] {
            assert!(check_kinds(&[ok.to_string()]).is_ok(), "{ok}");
        }
        for bad in [
            "message.created",
            "message.create",
            "message.create.bot.chat",
            "message.create.contact.event",
            "conversation.delete",
            "user.*",
            "message.update.*",
        ] {
            assert!(check_kinds(&[bad.to_string()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_signature_is_hmac_sha1_hex() {
        // RFC 2202 test case 2.
        let h = headers("what do ya want for nothing?", "Jefe");
        assert_eq!(
            h,
            vec![(
                "X-Hub-Signature",
                "sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79".to_string()
            )]
        );
    }

    #[test]
    fn the_envelope_of_a_contact_message() {
        let stored = json!({ "type": "message.created", "timestamp": "2026-12-01T10:00:00.000Z",
            "data": { "id": 42, "kind": "message.created", "conversation_id": 7, "actor_id": 9,
                "data": { "message": { "id": 5, "conversation_id": 7, "user_id": 9,
                    "sender": { "type": "visitor" }, "body": "Hi", "payload": { "meta": { "a": 1 } },
                    "attachments": [], "created_at": "2026-12-01T10:00:00.000Z", "edited_at": null } } } });
        let e = envelope(&stored, Some(9), "https://chat.example.com/");
        assert_eq!(e["id"], "42");
        assert_eq!(e["event"], "message.create.contact.chat");
        assert_eq!(e["timestamp"], "2026-12-01T10:00:00.000Z");
        assert_eq!(
            e["data"]["conversation"],
            json!({ "id": "7", "type": "contact", "contact": "9" })
        );
        assert_eq!(e["data"]["message"]["id"], "5");
        assert_eq!(e["data"]["message"]["role"], "contact");
        assert_eq!(e["data"]["message"]["meta"], json!({ "a": 1 }));
        assert_eq!(e["activity"]["type"], "Create");
        assert_eq!(
            e["activity"]["object"]["id"],
            "https://chat.example.com/v2/messages/5"
        );
        assert_eq!(
            e["activity"]["actor"]["id"],
            "https://chat.example.com/v2/users/9"
        );
    }
}
