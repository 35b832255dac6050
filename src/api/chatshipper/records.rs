//! Messages and conversations in ChatShipper's shapes: ids as strings,
//! `createdAt` / `updatedAt` in ISO 8601 with milliseconds, a message's
//! `type` and `meta` from its payload, roles `contact`, `agent` and `bot`,
//! and a conversation's status derived from its participants (see README,
//! "ChatShipper API").

use crate::desk::conversations::Conversation;
use crate::desk::messages::Message;
use crate::desk::users::{User, UserType};
use crate::util::rfc3339;
use serde_json::{json, Map, Value};

/// ChatShipper's twelve message types; any other payload type reads `chat`.
pub const TYPES: &[&str] = &[
    "chat", "card", "postback", "mention", "tag", "search", "command", "form", "field", "results",
    "report", "status",
];

/// Keys of `extra` that are conversation properties, not meta.
const PROPERTIES: &[&str] = &["_category", "_touchpoint", "_language"];

fn sid(id: i64) -> Value {
    Value::String(id.to_string())
}

fn opt_sid(id: Option<i64>) -> Value {
    id.map(sid).unwrap_or(Value::Null)
}

/// A message's ChatShipper type.
pub fn message_type(m: &Message) -> &str {
    match m.payload.get("type").and_then(Value::as_str) {
        Some(t) if TYPES.contains(&t) => t,
        _ => "chat",
    }
}

/// Who a message is from, in ChatShipper's words.
pub fn role(m: &Message, owner: i64) -> &'static str {
    match &m.sender {
        _ if m.user_id == Some(owner) => "contact",
        Some((UserType::Agent | UserType::Admin, ..)) => "agent",
        Some((UserType::Bot, ..)) | None => "bot",
        Some(_) => "contact",
    }
}

/// A message as `GET /v2/messages/{id}` shows it. `likes` are user ids,
/// `comments` `{user, message, text}` with numeric ids (as the desk reads them).
pub fn message(m: &Message, conv: &Conversation, likes: &[i64], comments: &[Value]) -> Value {
    let meta = m
        .payload
        .get("meta")
        .filter(|v| v.is_object())
        .cloned()
        .unwrap_or_else(|| json!({}));
    let comments: Vec<Value> = comments
        .iter()
        .map(|c| {
            let s = |k: &str| match &c[k] {
                Value::Number(n) => Value::String(n.to_string()),
                other => other.clone(),
            };
            json!({ "user": s("user"), "message": s("message"), "text": c["text"] })
        })
        .collect();
    json!({
        "id": sid(m.id),
        "conversation": sid(m.conversation_id),
        "organization": opt_sid(conv.department_id),
        "type": message_type(m),
        "role": role(m, conv.user_id),
        "user": opt_sid(m.user_id),
        "text": m.body,
        "meta": meta,
        "likes": likes.iter().map(|l| sid(*l)).collect::<Vec<_>>(),
        "comments": comments,
        "createdAt": rfc3339(m.created_at),
        "updatedAt": rfc3339(m.edited_at.unwrap_or(m.created_at)),
    })
}

/// ChatShipper's status: closed (archived or trashed), else active when
/// some participant accepted it, else queued.
pub fn status(conv: &Conversation, participants: &[Value]) -> &'static str {
    if conv.status.is_closed() {
        "closed"
    } else if participants
        .iter()
        .any(|p| has(p, "accepted") && !has(p, "left"))
    {
        "active"
    } else {
        "queued"
    }
}

fn has(p: &Value, flag: &str) -> bool {
    p["flags"]
        .as_str()
        .is_some_and(|f| f.split(',').any(|x| x.trim() == flag))
}

/// A participant (a desk participant row: the user's fields plus `flags`).
fn participant(p: &Value) -> Value {
    let role = match p["type"].as_str() {
        Some("admin") => "admin",
        Some("agent") => "agent",
        Some("bot") => "bot",
        _ => "contact",
    };
    json!({
        "user": p["id"].as_i64().map(sid).unwrap_or(Value::Null),
        "name": p["name"],
        "role": role,
        "active": has(p, "active"),
        "accepted": has(p, "accepted"),
        "inbox": has(p, "inbox"),
        "follow": has(p, "follow"),
        "left": has(p, "left"),
    })
}

/// What a conversation record is made of, read by the handler.
pub struct ConversationParts<'a> {
    pub conv: &'a Conversation,
    /// The desk's participant rows (user fields and `flags`).
    pub participants: &'a [Value],
    pub contact: Option<&'a User>,
    pub agent: Option<&'a User>,
    pub category: Option<String>,
    pub forms: Vec<Value>,
    pub results: Vec<Value>,
    pub channels: Vec<i64>,
    pub offline: Vec<i64>,
    /// The messages, each rendered, oldest first.
    pub messages: Vec<Value>,
}

/// A conversation as `GET /v2/conversations/{id}` shows it.
pub fn conversation(p: ConversationParts) -> Value {
    let c = p.conv;
    let extra = c.extra.as_object().cloned().unwrap_or_default();
    let mut meta: Map<String, Value> = extra
        .iter()
        .filter(|(k, _)| !PROPERTIES.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    meta.insert("_title".into(), json!(c.title));
    meta.insert(
        "_url".into(),
        json!(p.contact.and_then(|u| u.current_url.clone())),
    );
    meta.insert("_agent".into(), json!(p.agent.map(User::name)));
    meta.insert(
        "_agentAvatar".into(),
        json!(p.agent.and_then(|u| u.profile_image.clone())),
    );
    let staff: Vec<Value> = p
        .participants
        .iter()
        .filter(|u| u["id"].as_i64() != Some(c.user_id))
        .map(participant)
        .collect();
    let messages: Vec<Value> = p
        .messages
        .into_iter()
        .enumerate()
        .map(|(i, mut m)| {
            m["index"] = json!(i);
            m
        })
        .collect();
    json!({
        "id": sid(c.id),
        "name": c.title,
        "type": "contact",
        "status": status(c, p.participants),
        "organization": opt_sid(c.department_id),
        "contact": sid(c.user_id),
        "category": p.category,
        "categoryIndex": extra.get("_category").cloned().unwrap_or(Value::Null),
        "touchpoint": extra.get("_touchpoint").cloned().unwrap_or(Value::Null),
        "language": extra.get("_language").cloned().unwrap_or(Value::Null),
        "meta": meta,
        "participants": staff,
        "forms": p.forms.into_iter().map(ids_as_strings).collect::<Vec<_>>(),
        "results": p.results.into_iter().map(ids_as_strings).collect::<Vec<_>>(),
        "channels": p.channels.into_iter().map(sid).collect::<Vec<_>>(),
        "channelsOffline": p.offline.into_iter().map(sid).collect::<Vec<_>>(),
        "messages": messages,
        "createdAt": rfc3339(c.created_at),
        "updatedAt": rfc3339(c.updated_at),
    })
}

/// A form or result item with its top-level numeric ids written as strings.
fn ids_as_strings(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        for k in ["id", "form", "user", "message", "conversation"] {
            if let Some(Value::Number(n)) = o.get(k) {
                let s = Value::String(n.to_string());
                o.insert(k.into(), s);
            }
        }
    }
    v
}
