//! Support Board (GB Talk) webhooks: endpoints subscribe to its webhook
//! names; an event fires several (one row each, the name as the row's
//! payload), each sent as `{"function": NAME, "key": SECRET, "sender-url":
//! URL, "data": ...}` with the payloads its documentation gives.

use super::{wants, Format, Outgoing};
use crate::error::{self, Result};
use serde_json::{json, Value};

pub const FORMAT: Format = Format {
    name: "support_board",
    check_kinds,
    secret,
    rows,
    body,
    headers: super::no_headers,
};

/// Only the names Frontporch sends, or `*`.
fn check_kinds(kinds: &[String]) -> Result<()> {
    let mut names: Vec<&str> = SUPPORT_BOARD.iter().map(|(_, n)| *n).collect();
    names.dedup();
    match kinds
        .iter()
        .find(|k| *k != "*" && !names.contains(&k.as_str()))
    {
        Some(k) => Err(error::INVALID_EVENT_KIND.with(format!(
            "{k} is not a Support Board webhook Frontporch sends ({})",
            names.join(", ")
        ))),
        None => Ok(()),
    }
}

/// The admin's secret key, or a generated one.
fn secret(key: Option<String>) -> String {
    key.unwrap_or_else(|| crate::util::random_token("", 18))
}

fn rows(kind: &str, data: &Value, kinds: &[String]) -> Vec<String> {
    support_board_names(kind, data)
        .into_iter()
        .filter(|n| wants(kinds, n))
        .map(String::from)
        .collect()
}

/// The row's webhook, rendered from its event with the message links
/// signed (a row without its event is sent as the store renders it).
fn body(o: &Outgoing) -> String {
    let Some((_, payload, conversation, owner)) = o.event else {
        return super::standard::body(o);
    };
    let signed = (o.sign)(payload, "/message");
    let data: Value =
        serde_json::from_str(signed.as_deref().unwrap_or(payload)).unwrap_or_default();
    let user = |id: i64| {
        (o.user)(id).map(|u| {
            json!({ "first_name": u.first_name, "last_name": u.last_name,
                "email": u.email.unwrap_or_default(),
                "profile_image": u.profile_image.unwrap_or_default(), "user_type": u.user_type })
        })
    };
    support_board_body(
        o.payload,
        &data,
        *conversation,
        *owner,
        o.secret,
        o.sender_url,
        &user,
    )
    .unwrap_or_default()
}

/// The Support Board webhook names, and the event each comes from.
/// `email-sent` and `sms-sent` come from deliveries of the email and text
/// message channels (`sms-sent`: `channel.sent` of platform `twilio`).
pub const SUPPORT_BOARD: &[(&str, &str)] = &[
    ("message.created", "message-sent"),
    ("message.created", "new-messages-received"),
    ("message.created", "bot-message"),
    ("message.deleted", "message-deleted"),
    ("conversation.created", "new-conversation-created"),
    ("conversation.created", "new-conversation-received"),
    ("conversation.status", "conversation-status-updated"),
    ("user.login", "login"),
    ("user.identified", "login"),
    ("user.created", "registration"),
    ("user.email_added", "new-email-address"),
    ("user.deleted", "user-deleted"),
    ("form.submitted", "rich-message"),
    ("email.sent", "email-sent"),
    ("channel.sent", "sms-sent"),
];

/// The Support Board webhooks an event fires. Only contacts' messages are
/// "received", only the bot's are "bot-message", and only contacts log in
/// or register.
pub fn support_board_names(kind: &str, data: &Value) -> Vec<&'static str> {
    let sender = data["message"]["sender"]["type"].as_str().unwrap_or("");
    let contact = |t: &str| matches!(t, "visitor" | "lead" | "user");
    SUPPORT_BOARD
        .iter()
        .filter(|(k, _)| *k == kind)
        .map(|(_, n)| *n)
        .filter(|n| match *n {
            "new-messages-received" => contact(sender) && data["message"]["private"] != true,
            "bot-message" => sender == "bot",
            "login" => kind == "user.identified" || data["contact"] == true,
            "sms-sent" => data["platform"] == "twilio",
            "registration" => data["user"]["type"] == "user",
            _ => true,
        })
        .collect()
}

/// What a Support Board endpoint gets for webhook `name` of an event.
/// `owner` is the conversation's user and `user` renders a user's details
/// (first_name, last_name, email, profile_image, user_type) when needed.
#[allow(clippy::too_many_arguments)]
pub fn support_board_body(
    name: &str,
    data: &Value,
    conversation_id: Option<i64>,
    owner: Option<i64>,
    key: &str,
    sender_url: &str,
    user: &dyn Fn(i64) -> Option<Value>,
) -> Option<String> {
    let s = |v: &Value| match v {
        Value::Null => Value::String(String::new()),
        Value::String(_) => v.clone(),
        other => Value::String(other.to_string()),
    };
    // RFC 3339 to Support Board's "YYYY-MM-DD HH:MM:SS".
    let time = |v: &Value| {
        v.as_str()
            .map(|t| t.replace('T', " ").chars().take(19).collect::<String>())
    };
    let m = &data["message"];
    let payload = match name {
        "message-sent" => json!({
            "user_id": s(&m["user_id"]), "conversation_user_id": owner.map_or(Value::Null, |o| Value::String(o.to_string())),
            "conversation_id": s(&m["conversation_id"]), "conversation_status": "-1",
            "message_id": s(&m["id"]), "message": m["body"],
        }),
        "new-messages-received" => {
            let u = m["user_id"].as_i64().and_then(user).unwrap_or(Value::Null);
            let attachments: Vec<Value> = m["attachments"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| json!([a["name"], a["url"]]))
                .collect();
            json!([{ "details": {
                "id": s(&m["id"]), "user_id": s(&m["user_id"]), "message": m["body"],
                "creation_time": time(&m["created_at"]),
                "attachments": if attachments.is_empty() { String::new() } else { Value::Array(attachments).to_string() },
                "status_code": "0", "conversation_id": s(&m["conversation_id"]),
                "first_name": u["first_name"], "last_name": u["last_name"], "profile_image": u["profile_image"],
                "user_type": u["user_type"],
                "full_name": format!("{} {}", u["first_name"].as_str().unwrap_or(""), u["last_name"].as_str().unwrap_or("")).trim(),
            }}])
        }
        "bot-message" => json!({
            "response": { "messages": [{ "message": m["body"] }] },
            "message": m["body"], "conversation_id": m["conversation_id"],
        }),
        "new-conversation-created" | "new-conversation-received" => {
            let c = &data["conversation"];
            let u = c["user_id"].as_i64().and_then(user).unwrap_or(Value::Null);
            json!({ "details": {
                "user_id": s(&c["user_id"]), "first_name": u["first_name"], "last_name": u["last_name"],
                "profile_image": u["profile_image"], "user_type": u["user_type"], "id": s(&c["id"]), "title": c["title"],
                "conversation_time": time(&c["created_at"]),
                "conversation_status_code": s(&c["status"]), "department": s(&c["department_id"]), "agent_id": s(&c["agent_id"]),
            }})
        }
        "conversation-status-updated" => json!({
            "conversation_id": conversation_id.map(|c| c.to_string()), "status_code": s(&data["status"]),
        }),
        "login" => {
            let id = data["user_id"]
                .as_i64()
                .or_else(|| data["user"]["id"].as_i64())?;
            let u = user(id)?;
            json!({ "details": {
                "id": id.to_string(), "profile_image": u["profile_image"], "first_name": u["first_name"],
                "last_name": u["last_name"], "email": u["email"], "user_type": u["user_type"], "token": "",
            }})
        }
        "registration" => {
            let u = &data["user"];
            let pair = |v: &Value, label: &str| json!([s(v), label]);
            let extra: serde_json::Map<String, Value> = u["custom"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), pair(v, k)))
                .chain(
                    u["phone"]
                        .as_str()
                        .map(|p| ("phone".to_string(), pair(&json!(p), "Phone"))),
                )
                .collect();
            // The password never leaves the server.
            json!({
                "user": {
                    "profile_image": pair(&u["avatar"], "Profile image"), "first_name": pair(&u["first_name"], "First name"),
                    "last_name": pair(&u["last_name"], "Last name"), "email": pair(&u["email"], "Email"),
                    "user_type": pair(&u["type"], ""),
                },
                "extra": extra,
            })
        }
        "new-email-address" => json!({ "name": data["name"], "email": data["email"] }),
        "message-deleted" => s(&data["message_id"]),
        "user-deleted" => s(&data["user_id"]),
        "rich-message" => json!({ "result": true, "data": data["data"], "id": data["id"] }),
        "email-sent" => {
            json!({ "recipient_id": s(&data["recipient_id"]), "message": data["message"] })
        }
        "sms-sent" => {
            json!({ "recipent_id": s(&data["recipient_id"]), "message": data["message"], "response": data["response"] })
        }
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
            "message-sent",
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
        let from = |t: &str| json!({ "message": { "sender": { "type": t }, "private": false } });
        assert_eq!(
            support_board_names("message.created", &from("lead")),
            ["message-sent", "new-messages-received"]
        );
        assert_eq!(
            support_board_names("message.created", &from("agent")),
            ["message-sent"]
        );
        assert_eq!(
            support_board_names("message.created", &from("bot")),
            ["message-sent", "bot-message"]
        );
        assert!(support_board_names("user.login", &json!({ "user_id": 1 })).is_empty());
    }

    #[test]
    fn email_and_sms_sent_have_the_documented_shapes() {
        let body = |name: &str, data: Value| -> Value {
            let b =
                support_board_body(name, &data, None, None, "k", "https://x", &|_| None).unwrap();
            serde_json::from_str::<Value>(&b).unwrap()["data"].clone()
        };
        assert_eq!(
            body(
                "email-sent",
                json!({ "recipient_id": 957, "message": "Hello! How can I help you?" })
            ),
            json!({ "recipient_id": "957", "message": "Hello! How can I help you?" })
        );
        // The seed spells it "recipent_id" here; integrations read that.
        assert_eq!(
            body(
                "sms-sent",
                json!({ "recipient_id": 947, "message": "Hi", "response": { "sid": "SM1", "status": "queued" } })
            ),
            json!({ "recipent_id": "947", "message": "Hi", "response": { "sid": "SM1", "status": "queued" } })
        );
        assert_eq!(
            support_board_names("email.sent", &json!({})),
            ["email-sent"]
        );
        assert_eq!(
            support_board_names("channel.sent", &json!({"platform": "twilio"})),
            ["sms-sent"]
        );
        // Other platforms' sends are not text messages.
        assert!(support_board_names("channel.sent", &json!({"platform": "telegram"})).is_empty());
        assert!(support_board_names("sms.sent", &json!({})).is_empty());
    }
}
