//! Our records in Chat2Desk's field names: a client (a contact), a message,
//! a tag, a request. Chat2Desk's dialog and request are both our
//! conversation, so `dialog_id` = `request_id` = its id; the external
//! channel is `channel_id` 1 with transport `external`.

use crate::desk::conversations::Conversation;
use crate::desk::messages::Message;
use crate::desk::users::User;
use serde_json::{json, Value};

/// Our one channel, as Chat2Desk numbers channels.
pub(super) const CHANNEL_ID: i64 = 1;

/// Chat2Desk's transport for a conversation's source (the same table as
/// `webhook_formats/chat2desk.rs`, which may not import the API).
pub(super) fn transport(source: &str) -> &str {
    match source {
        "" | "widget" => "widget",
        "c2d" | "api" | "tj" => "external",
        "em" => "email",
        "tx" => "sms",
        "wa" => "whatsapp",
        "fb" => "facebook",
        "ig" => "insta_direct",
        "tg" => "telegram",
        "vb" => "viber",
        "wc" => "wechat",
        "ln" => "line",
        other => other,
    }
}

/// A client: `name` is our name (`nickname` sets it; `assigned_name` is
/// always null), `phone` the phone or, for a client known by the
/// integrator's id, `[external] <id>` (as Chat2Desk shows non-phone
/// transports), `client_phone` the phone, `comment` the custom field.
pub(super) fn client(u: &User, identity: Option<&str>, tags: &[Value]) -> Value {
    let shown_phone = match (&u.phone, identity) {
        (Some(p), _) if !p.is_empty() => Some(p.clone()),
        (_, Some(id)) if !id.starts_with("phone:") => Some(format!("[external] {id}")),
        _ => None,
    };
    json!({
        "id": u.id,
        "name": u.name(),
        "assigned_name": null,
        "phone": shown_phone,
        "client_phone": u.phone,
        "email": u.email,
        "avatar": u.profile_image,
        "comment": u.custom.get("comment"),
        "extra_comment_1": null, "extra_comment_2": null, "extra_comment_3": null,
        "region_id": null, "country_id": null,
        "external_id": u.external_id,
        "custom_fields": u.custom,
        "tags": tags.iter().map(tag).collect::<Vec<_>>(),
        "channels": [{ "id": CHANNEL_ID, "transports": identity.map_or_else(Vec::new, |_| vec!["external"]) }],
    })
}

/// A tag: ours has a group name, not a group id.
pub(super) fn tag(t: &Value) -> Value {
    json!({
        "id": t["id"], "group_id": null, "group_name": t["group_name"], "label": t["label"],
        "description": t["description"], "bg_color": t["bg_color"], "text_color": t["text_color"],
    })
}

/// A message: `type` from_client (a contact's: the conversation's, or
/// another taking part in it, a TalkJS one, then `client_id` is theirs),
/// to_client (staff), autoreply (a bot's), comment (an internal note);
/// links of files in `attachments` (`photo` / `pdf` the first of each).
pub(super) fn message(m: &Message, conv: &Conversation, attachments: &Value) -> Value {
    let sender_type = m.sender.as_ref().map(|s| s.0.as_str()).unwrap_or("");
    let from_client =
        m.user_id == Some(conv.user_id) || matches!(sender_type, "visitor" | "lead" | "user");
    let client_id = match m.user_id {
        Some(id) if from_client => id,
        _ => conv.user_id,
    };
    let kind = if m.private {
        "comment"
    } else if from_client {
        "from_client"
    } else if m.payload.get("bot").is_some() {
        "autoreply"
    } else {
        "to_client"
    };
    let staff = matches!(sender_type, "agent" | "admin");
    let list: Vec<Value> = attachments
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| json!({ "name": a["name"], "link": a["url"] }))
        .collect();
    let first = |pred: &dyn Fn(&Value) -> bool| {
        attachments
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| pred(a))
            .map(|a| a["url"].clone())
    };
    json!({
        "id": m.id,
        "text": m.body,
        "photo": first(&|a| a["type"].as_str().is_some_and(|t| t.starts_with("image/"))),
        "video": first(&|a| a["type"].as_str().is_some_and(|t| t.starts_with("video/"))),
        "audio": first(&|a| a["type"].as_str().is_some_and(|t| t.starts_with("audio/"))),
        "pdf": first(&|a| a["type"] == "application/pdf"),
        "coordinates": m.payload["c2d"]["location"].as_array().map(|l| {
            l.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",")
        }),
        "transport": transport(&conv.source),
        "type": kind,
        "read": i64::from(m.read_at.is_some()),
        "created": crate::util::rfc3339(m.created_at),
        "remote_id": m.payload["channel"]["id"],
        "recipient_status": null,
        "operator_id": if staff { m.user_id } else { None },
        "channel_id": CHANNEL_ID,
        "dialog_id": conv.id,
        "client_id": client_id,
        "request_id": conv.id,
        "attachments": list,
        "is_new": 0,
        "extra_data": {},
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn transports() {
        assert_eq!(super::transport("c2d"), "external");
        assert_eq!(super::transport(""), "widget");
        assert_eq!(super::transport("tg"), "telegram");
    }
}
