//! Users, conversations and messages in TalkJS's shapes: string ids,
//! `createdAt` in Unix milliseconds, every key present (`null` when
//! unset), `participants` as a map `{userId: {access, notify}}`, message
//! ids `msg_<our id>`, a message's `type` and `custom` from its payload.

use crate::desk::messages::Message;
use crate::desk::talkjs::{talk_id, TalkConversation, TalkUser};
use crate::desk::users::UserType;
use serde_json::{json, Value};

/// TalkJS's message id for ours.
pub fn message_id(id: i64) -> String {
    format!("msg_{id}")
}

/// Our message id in a TalkJS one (`msg_12`), if it is one.
pub fn parse_message_id(s: &str) -> Option<i64> {
    s.strip_prefix("msg_")?
        .parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
}

fn list_or_null(v: &[String]) -> Value {
    if v.is_empty() {
        Value::Null
    } else {
        json!(v)
    }
}

pub fn user(u: &TalkUser) -> Value {
    let e = &u.extra;
    json!({
        "id": talk_id(u.user.id, u.user.external_id.as_deref()),
        "name": u.user.name(),
        "email": list_or_null(&e.emails),
        "phone": list_or_null(&e.phones),
        "photoUrl": e.photo_url,
        "headerPhotoUrl": null,
        "welcomeMessage": e.welcome_message,
        "role": e.role.as_deref().unwrap_or("default"),
        "locale": e.locale,
        "custom": e.custom,
        "availabilityText": null,
        "pushTokens": null,
        "createdAt": u.user.created_at,
    })
}

/// A conversation; `last_attachments`: its last message's attachments,
/// signed for the reader.
pub fn conversation(c: &TalkConversation, last_attachments: Option<&Value>) -> Value {
    let participants: serde_json::Map<String, Value> = c
        .members
        .iter()
        .map(|(_, id, _)| (id.clone(), json!({ "access": "ReadWrite", "notify": true })))
        .collect();
    json!({
        "id": c.tj.ext_id,
        "subject": (!c.conv.title.is_empty()).then_some(&c.conv.title),
        "topicId": null,
        "photoUrl": c.tj.photo_url,
        "welcomeMessages": c.tj.welcome_messages,
        "custom": c.tj.custom,
        "participants": participants,
        "lastMessage": c.last.as_ref().map(|m| message(m, c, last_attachments)),
        "createdAt": c.conv.created_at,
    })
}

/// A message; `attachments` are its attachments signed for the reader
/// (TalkJS shows one: the first).
pub fn message(m: &Message, c: &TalkConversation, attachments: Option<&Value>) -> Value {
    let talkjs = m.payload.get("talkjs");
    let bot = matches!(m.sender, Some((UserType::Bot, ..))) || m.user_id.is_none();
    let kind = match talkjs.and_then(|t| t["type"].as_str()) {
        Some(t) => t,
        None if bot => "SystemMessage",
        None => "UserMessage",
    };
    let sender = match (kind, m.user_id) {
        ("UserMessage", Some(uid)) => Some(
            c.member_id(uid)
                .map(str::to_string)
                .unwrap_or_else(|| talk_id(uid, None)),
        ),
        _ => None,
    };
    let attachment = attachments
        .and_then(|a| a.get(0))
        .map(|a| json!({ "url": a["url"], "size": a.get("size").cloned().unwrap_or(json!(0)) }));
    json!({
        "id": message_id(m.id),
        "conversationId": c.tj.ext_id,
        "type": kind,
        "senderId": sender,
        "text": m.body,
        "readBy": [],
        "origin": if talkjs.is_some() { "rest" } else { "web" },
        "location": null,
        "attachment": attachment,
        "custom": talkjs.and_then(|t| t.get("custom")).cloned().unwrap_or_else(|| json!({})),
        "referencedMessageId": talkjs.and_then(|t| t.get("referencedMessageId")).cloned(),
        "createdAt": m.created_at,
        "editedAt": m.edited_at,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn message_ids_round_trip() {
        assert_eq!(super::parse_message_id(&super::message_id(42)), Some(42));
        assert_eq!(super::parse_message_id("msg_x"), None);
        assert_eq!(super::parse_message_id("42"), None);
    }
}
