//! Webhook body formats other than Standard Webhooks. Pure functions: the
//! store asks which events a format carries, the delivery workers render
//! the bodies when they send.
//!
//! Support Board (GB Talk): `{"function": NAME, "key": SECRET, "sender-url":
//! URL, "data": ...}` with the payloads its documentation gives.

use serde_json::{json, Value};

/// The Support Board webhook names Frontporch sends, and the event each comes from.
pub const SUPPORT_BOARD: &[(&str, &str)] = &[
    ("message.created", "message-sent"),
    ("conversation.created", "new-conversation-created"),
    ("conversation.status", "conversation-status-updated"),
    ("message.deleted", "message-deleted"),
    ("user.deleted", "user-deleted"),
];

pub fn support_board_name(kind: &str) -> Option<&'static str> {
    SUPPORT_BOARD
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, n)| *n)
}

/// What a Support Board endpoint gets for an event. `owner` is the
/// conversation's user and `user` renders a user's details
/// (first_name, last_name, profile_image, user_type) when needed.
pub fn support_board_body(
    kind: &str,
    data: &Value,
    conversation_id: Option<i64>,
    owner: Option<i64>,
    key: &str,
    sender_url: &str,
    user: &dyn Fn(i64) -> Option<Value>,
) -> Option<String> {
    let name = support_board_name(kind)?;
    let s = |v: &Value| match v {
        Value::Null => Value::String(String::new()),
        Value::String(_) => v.clone(),
        other => Value::String(other.to_string()),
    };
    let payload = match name {
        "message-sent" => {
            let m = &data["message"];
            json!({
                "user_id": s(&m["user_id"]), "conversation_user_id": owner.map_or(Value::Null, |o| Value::String(o.to_string())),
                "conversation_id": s(&m["conversation_id"]), "conversation_status": "-1",
                "message_id": s(&m["id"]), "message": m["body"],
            })
        }
        "new-conversation-created" => {
            let c = &data["conversation"];
            let u = c["user_id"].as_i64().and_then(user).unwrap_or(Value::Null);
            json!({ "details": {
                "user_id": s(&c["user_id"]), "first_name": u["first_name"], "last_name": u["last_name"],
                "profile_image": u["profile_image"], "user_type": u["user_type"], "id": s(&c["id"]), "title": c["title"],
                "conversation_time": c["created_at"].as_str().map(|t| t.replace('T', " ").chars().take(19).collect::<String>()),
                "conversation_status_code": s(&c["status"]), "department": s(&c["department_id"]), "agent_id": s(&c["agent_id"]),
            }})
        }
        "conversation-status-updated" => json!({
            "conversation_id": conversation_id.map(|c| c.to_string()), "status_code": s(&data["status"]),
        }),
        "message-deleted" => s(&data["message_id"]),
        "user-deleted" => s(&data["user_id"]),
        _ => return None,
    };
    Some(
        json!({ "function": name, "key": key, "sender-url": sender_url, "data": payload })
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_sent_has_the_documented_shape() {
        let data = json!({ "message": { "id": 2574, "user_id": 947, "conversation_id": 1057, "body": "Hello! How are you?" } });
        let body = support_board_body(
            "message.created",
            &data,
            Some(1057),
            Some(947),
            "k",
            "https://example.com",
            &|_| None,
        )
        .unwrap();
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            v,
            json!({
                "function": "message-sent", "key": "k", "sender-url": "https://example.com",
                "data": { "user_id": "947", "conversation_user_id": "947", "conversation_id": "1057",
                          "conversation_status": "-1", "message_id": "2574", "message": "Hello! How are you?" }
            })
        );
        assert!(
            support_board_body("settings.updated", &data, None, None, "k", "", &|_| None).is_none()
        );
    }
}
