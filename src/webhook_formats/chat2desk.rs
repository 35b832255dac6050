//! Chat2Desk's webhooks: endpoints subscribe to its hook names; each of our
//! events fires at most one, sent as a flat JSON object with `hook_type`
//! and `event_time` (`2019-07-28T23:01:40Z`), in the fields of Chat2Desk's
//! manual (the message list of its `inbox` / `outbox` examples, the client
//! object with `id` and `channels`, tag events with the tag's `id`). Signed
//! with the Standard Webhooks headers every format gets (Chat2Desk's own
//! HMAC scheme is not public), keyed by a generated `whsec_` secret.
//!
//! | our event | hook |
//! | --- | --- |
//! | `message.created`, public, by the conversation's contact | `inbox` |
//! | `message.created`, public, by staff or a bot | `outbox` |
//! | `user.created` of a contact (`user`: made by a channel, an integrator, staff) | `new_client` |
//! | `conversation.created` marked `new_client` (a widget visitor's or lead's first) | `new_client` too |
//! | `user.updated` of a contact | `client_updated` |
//! | `conversation.created` | `new_request` |
//! | `conversation.status` to archive or trash | `close_dialog` |
//! | `conversation.assigned`, `conversation.department` | `dialog_transferred` |
//! | `contact.tag_added` / `_removed` | `add_tag_to_client` / `delete_tag_from_client` |
//! | `conversation.tag_added` / `_removed` | `add_tag_to_request` / `delete_tag_from_request` |

use super::{wants, Format, Outgoing};
use crate::error::{self, Result};
use serde_json::{json, Value};

pub const FORMAT: Format = Format {
    name: "chat2desk",
    check_kinds,
    secret,
    rows,
    body,
    headers: super::no_headers,
};

/// Every hook this format sends.
pub const HOOKS: &[&str] = &[
    "inbox",
    "outbox",
    "new_client",
    "client_updated",
    "new_request",
    "close_dialog",
    "dialog_transferred",
    "add_tag_to_client",
    "add_tag_to_request",
    "delete_tag_from_client",
    "delete_tag_from_request",
];

/// Our one channel, as Chat2Desk numbers channels.
const CHANNEL_ID: i64 = 1;

/// Chat2Desk's transport for a conversation's source (the same table as
/// `api/chat2desk/records.rs`).
fn transport(source: &str) -> &str {
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

fn is_contact(user_type: &str) -> bool {
    matches!(user_type, "visitor" | "lead" | "user")
}

/// The hook an event of ours is, if any.
pub fn hook(kind: &str, data: &Value) -> Option<&'static str> {
    match kind {
        "message.created" => {
            let m = &data["message"];
            if m["private"] == true {
                return None;
            }
            match m["sender"]["type"].as_str() {
                Some(t) if is_contact(t) => Some("inbox"),
                Some("agent" | "admin" | "bot") => Some("outbox"),
                _ => None,
            }
        }
        "user.created" if matches!(data["user"]["type"].as_str()?, "visitor" | "lead") => None,
        "user.created" | "user.updated" if is_contact(data["user"]["type"].as_str()?) => {
            Some(if kind == "user.created" {
                "new_client"
            } else {
                "client_updated"
            })
        }
        "conversation.created" => Some("new_request"),
        "conversation.status" if closed(&data["status"]) && !closed(&data["previous"]) => {
            Some("close_dialog")
        }
        "conversation.assigned" | "conversation.department" => Some("dialog_transferred"),
        "contact.tag_added" => Some("add_tag_to_client"),
        "contact.tag_removed" => Some("delete_tag_from_client"),
        "conversation.tag_added" => Some("add_tag_to_request"),
        "conversation.tag_removed" => Some("delete_tag_from_request"),
        _ => None,
    }
}

/// Archive (3) or trash (4): a closed request.
fn closed(status: &Value) -> bool {
    matches!(status.as_i64(), Some(3 | 4))
}

/// Only Chat2Desk hook names (or `*`).
fn check_kinds(kinds: &[String]) -> Result<()> {
    match kinds
        .iter()
        .find(|k| *k != "*" && !HOOKS.contains(&k.as_str()))
    {
        Some(k) => Err(error::INVALID_EVENT_KIND.with(format!(
            "{k} is not a Chat2Desk webhook Frontporch sends ({})",
            HOOKS.join(", ")
        ))),
        None => Ok(()),
    }
}

/// A generated Standard Webhooks secret (`whsec_`, base64).
fn secret(_: Option<String>) -> String {
    format!(
        "whsec_{}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            crate::util::random_bytes(24)
        )
    )
}

/// One row when the endpoint wants the event's hook; its body is rendered
/// from the event at send time (empty payload: the store's rendering).
/// A widget visitor's first conversation also makes a `new_client` row
/// (payload `new_client`): Chat2Desk has a client once it first writes,
/// so a widget session's `user.created` is none.
fn rows(kind: &str, data: &Value, kinds: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    if kind == "conversation.created" && data["new_client"] == true && wants(kinds, "new_client") {
        out.push(NEW_CLIENT_ROW.to_string());
    }
    match hook(kind, data) {
        Some(h) if wants(kinds, h) => out.push(String::new()),
        _ => {}
    }
    out
}

/// The payload of the `new_client` row of a widget visitor's first
/// conversation.
const NEW_CLIENT_ROW: &str = "new_client";

/// The hook's body, from the store's rendering of the event with the
/// message's links signed (a row without its event is sent as stored).
fn body(o: &Outgoing) -> String {
    let Some(event) = o.event else {
        return super::standard::body(o);
    };
    if o.payload == NEW_CLIENT_ROW {
        // The conversation's owner, as the client object.
        let id = event.3.unwrap_or_default();
        let mut v = (o.user)(id)
            .map(|u| client_of(&u, &(o.identities)(u.id)))
            .unwrap_or_else(|| json!({ "id": id }));
        let stored: Value = serde_json::from_str(&event.1).unwrap_or_default();
        v["hook_type"] = json!("new_client");
        v["event_time"] = event_time(&stored["conversation"]["created_at"]);
        return v.to_string();
    }
    let signed = (o.sign)(o.payload, "/data/data/message");
    let stored: Value =
        serde_json::from_str(signed.as_deref().unwrap_or(o.payload)).unwrap_or_default();
    let owner = o.event.and_then(|e| e.3);
    let facts = Facts {
        user: &|id| (o.user)(id).map(|u| client_of(&u, &(o.identities)(u.id))),
        source: o.source,
    };
    render(&stored, owner, &facts).to_string()
}

/// What a body looks up at send time.
pub struct Facts<'a> {
    /// A contact as the client object (`id, phone, client_phone, name,
    /// assigned_name, external_id` and more).
    pub user: &'a dyn Fn(i64) -> Option<Value>,
    /// A conversation's source.
    pub source: &'a dyn Fn(i64) -> Option<String>,
}

/// The client object of a contact with its platform identities.
fn client_of(u: &crate::store::users::User, identities: &[(String, String)]) -> Value {
    let c2d = identities
        .iter()
        .find(|(s, _)| s == "c2d")
        .map(|(_, id)| id.as_str());
    let phone = match (&u.phone, c2d) {
        (Some(p), _) if !p.is_empty() => Some(p.clone()),
        (_, Some(id)) if !id.starts_with("phone:") => Some(format!("[external] {id}")),
        _ => None,
    };
    let mut transports: Vec<&str> = identities.iter().map(|(s, _)| transport(s)).collect();
    transports.sort_unstable();
    transports.dedup();
    json!({
        "id": u.id, "phone": phone, "client_phone": u.phone, "name": u.name(),
        "assigned_name": null, "external_id": u.external_id,
        "avatar": u.profile_image, "email": u.email, "comment": u.custom.get("comment"),
        "channels": [{ "id": CHANNEL_ID, "transports": transports }],
    })
}

/// `2026-12-01T10:00:00.123Z` → `2026-12-01T10:00:00Z`.
fn event_time(ts: &Value) -> Value {
    match ts.as_str() {
        Some(t) if t.len() >= 19 => Value::String(format!("{}Z", &t[..19])),
        _ => ts.clone(),
    }
}

/// The body for one stored event (`{type, timestamp, data: {id, kind,
/// conversation_id, actor_id, data}}`).
pub fn render(stored: &Value, owner: Option<i64>, facts: &Facts) -> Value {
    let ev = &stored["data"];
    let kind = ev["kind"].as_str().unwrap_or_default();
    let data = &ev["data"];
    let Some(hook) = hook(kind, data) else {
        return stored.clone();
    };
    let conv = ev["conversation_id"].as_i64();
    let mut out = match hook {
        "inbox" | "outbox" => message(&data["message"], conv, owner, hook, facts),
        "new_client" | "client_updated" => {
            let id = data["user"]["id"].as_i64().unwrap_or_default();
            (facts.user)(id).unwrap_or_else(|| json!({ "id": id }))
        }
        "new_request" => {
            let c = &data["conversation"];
            json!({
                "dialog_id": c["id"], "request_id": c["id"], "client_id": c["user_id"],
                "operator_id": c["agent_id"], "channel_id": CHANNEL_ID,
                "transport": transport(c["source"].as_str().unwrap_or("")),
            })
        }
        "close_dialog" => json!({
            "dialog_id": conv, "request_id": conv, "client_id": owner,
            "operator_id": staff_actor(ev, owner), "channel_id": CHANNEL_ID,
        }),
        "dialog_transferred" => json!({
            "dialog_id": conv, "request_id": conv, "client_id": owner,
            "operator_id": data.get("agent_id").cloned().unwrap_or(Value::Null),
            "previous_operator_id": if kind == "conversation.assigned" { data["previous"].clone() } else { Value::Null },
            "group_id": data.get("department_id").cloned().unwrap_or(Value::Null),
            "channel_id": CHANNEL_ID,
        }),
        _ => {
            // Tag events: the tag's `id` and fields, and what it is on.
            let t = &data["tag"];
            let mut v = json!({
                "id": t["id"], "label": t["label"], "group_name": t["group_name"],
                "description": t["description"], "bg_color": t["bg_color"],
                "text_color": t["text_color"], "client_id": data["user_id"],
                "channel_id": CHANNEL_ID,
            });
            if hook.ends_with("_request") {
                v["request_id"] = data["conversation_id"].clone();
                v["dialog_id"] = data["conversation_id"].clone();
            }
            v
        }
    };
    out["hook_type"] = json!(hook);
    out["event_time"] = event_time(&stored["timestamp"]);
    out
}

/// Who changed it, when staff (not the client, not nobody).
fn staff_actor(ev: &Value, owner: Option<i64>) -> Value {
    match ev["actor_id"].as_i64() {
        Some(a) if Some(a) != owner => json!(a),
        _ => Value::Null,
    }
}

/// `inbox` / `outbox`: the fields of Chat2Desk's examples, in their order.
fn message(m: &Value, conv: Option<i64>, owner: Option<i64>, hook: &str, f: &Facts) -> Value {
    let sender = m["sender"]["type"].as_str().unwrap_or("");
    let kind = if hook == "inbox" {
        "from_client"
    } else if m["payload"]["bot"].is_string() {
        "autoreply"
    } else {
        "to_client"
    };
    let operator = matches!(sender, "agent" | "admin").then(|| m["user_id"].clone());
    let files: Vec<&Value> = m["attachments"].as_array().into_iter().flatten().collect();
    let first = |pred: &dyn Fn(&str) -> bool| {
        files
            .iter()
            .find(|a| pred(a["type"].as_str().unwrap_or("")))
            .map(|a| a["url"].clone())
            .unwrap_or(Value::Null)
    };
    let c2d = &m["payload"]["c2d"];
    // A client's message is its sender's (in a TalkJS conversation of
    // several contacts, not always the owner); a reply goes to the owner.
    let client_id = if hook == "inbox" {
        m["user_id"].as_i64().or(owner)
    } else {
        owner.or(m["user_id"].as_i64())
    };
    let client = client_id.and_then(|id| (f.user)(id)).map(|c| {
        json!({ "id": c["id"], "phone": c["phone"], "client_phone": c["client_phone"],
            "name": c["name"], "assigned_name": c["assigned_name"], "external_id": c["external_id"] })
    });
    let source = conv.and_then(|c| (f.source)(c)).unwrap_or_default();
    let mut extra = json!({});
    if let Some(ext) = m["payload"]["channel"]["id"]
        .as_str()
        .filter(|_| m["payload"]["channel"]["platform"] == "c2d")
    {
        extra["external_id"] = json!(ext);
    }
    json!({
        "message_id": m["id"], "type": kind, "text": m["body"], "transport": transport(&source),
        "client_id": client_id, "operator_id": operator, "dialog_id": conv, "channel_id": CHANNEL_ID,
        "photo": first(&|t| t.starts_with("image/")),
        "coordinates": c2d["location"].as_array().map(|l| {
            l.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",")
        }),
        "audio": first(&|t| t.starts_with("audio/")),
        "pdf": first(&|t| t == "application/pdf"),
        "client": client.unwrap_or_else(|| json!({ "id": client_id })),
        "request_id": conv,
        "attachments": files.iter().map(|a| json!({ "name": a["name"], "link": a["url"] })).collect::<Vec<_>>(),
        "is_new_request": c2d["new_request"] == true,
        "is_new_client": c2d["new_client"] == true,
        "extra_data": extra,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(kind: &str, conv: Option<i64>, actor: Option<i64>, data: Value) -> Value {
        json!({ "type": kind, "timestamp": "2026-12-01T10:00:00.123Z",
            "data": { "id": 42, "kind": kind, "conversation_id": conv, "actor_id": actor, "data": data } })
    }

    fn peter(id: i64) -> Option<Value> {
        Some(
            json!({ "id": id, "phone": "[external] ext-42", "client_phone": null, "name": "Peter",
            "assigned_name": null, "external_id": null, "avatar": null, "email": null, "comment": null,
            "channels": [{ "id": 1, "transports": ["external"] }] }),
        )
    }

    fn facts() -> Facts<'static> {
        Facts {
            user: &peter,
            source: &|_| Some("c2d".into()),
        }
    }

    fn msg(sender: &str, payload: Value) -> Value {
        json!({ "message": { "id": 5, "conversation_id": 7, "user_id": if sender == "user" { 9 } else { 3 },
            "sender": { "type": sender }, "body": "Hi", "payload": payload, "private": false,
            "attachments": [{ "name": "a.png", "url": "https://x/a.png", "type": "image/png" }] } })
    }

    #[test]
    fn hooks_of_our_events() {
        assert_eq!(
            hook("message.created", &msg("user", json!({}))),
            Some("inbox")
        );
        assert_eq!(
            hook("message.created", &msg("agent", json!({}))),
            Some("outbox")
        );
        assert_eq!(
            hook("message.created", &msg("bot", json!({}))),
            Some("outbox")
        );
        let mut note = msg("agent", json!({}));
        note["message"]["private"] = json!(true);
        assert_eq!(hook("message.created", &note), None);
        assert_eq!(
            hook("user.created", &json!({ "user": { "type": "user" } })),
            Some("new_client")
        );
        assert_eq!(
            hook("user.created", &json!({ "user": { "type": "agent" } })),
            None
        );
        assert_eq!(
            hook(
                "conversation.status",
                &json!({ "status": 3, "previous": 2 })
            ),
            Some("close_dialog")
        );
        assert_eq!(
            hook(
                "conversation.status",
                &json!({ "status": 1, "previous": 2 })
            ),
            None
        );
        assert_eq!(
            hook("conversation.department", &json!({})),
            Some("dialog_transferred")
        );
        assert_eq!(
            hook("conversation.tag_added", &json!({})),
            Some("add_tag_to_request")
        );
        assert_eq!(hook("user.login", &json!({})), None);
    }

    #[test]
    fn subscriptions_are_hook_names() {
        assert!(check_kinds(&["inbox".into(), "outbox".into(), "*".into()]).is_ok());
        assert!(check_kinds(&["message.created".into()]).is_err());
        assert!(check_kinds(&["inbox.*".into()]).is_err());
    }

    /// The `inbox` body has exactly the fields of Chat2Desk's example.
    #[test]
    fn the_inbox_body() {
        let payload = json!({ "channel": { "platform": "c2d", "id": "m-1" },
            "c2d": { "new_client": true, "new_request": true } });
        let s = stored("message.created", Some(7), Some(9), msg("user", payload));
        let b = render(&s, Some(9), &facts());
        let keys: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "message_id",
                "type",
                "text",
                "transport",
                "client_id",
                "operator_id",
                "dialog_id",
                "channel_id",
                "photo",
                "coordinates",
                "audio",
                "pdf",
                "client",
                "request_id",
                "attachments",
                "is_new_request",
                "is_new_client",
                "extra_data",
                "hook_type",
                "event_time"
            ]
        );
        assert_eq!(b["type"], "from_client");
        assert_eq!(b["transport"], "external");
        assert_eq!(b["client_id"], 9);
        assert_eq!(b["operator_id"], Value::Null);
        assert_eq!(
            (b["dialog_id"].clone(), b["request_id"].clone()),
            (json!(7), json!(7))
        );
        assert_eq!(b["photo"], "https://x/a.png");
        assert_eq!(
            b["attachments"],
            json!([{ "name": "a.png", "link": "https://x/a.png" }])
        );
        assert_eq!(
            b["client"],
            json!({ "id": 9, "phone": "[external] ext-42", "client_phone": null, "name": "Peter",
                "assigned_name": null, "external_id": null })
        );
        assert_eq!(
            (b["is_new_request"].clone(), b["is_new_client"].clone()),
            (json!(true), json!(true))
        );
        assert_eq!(b["extra_data"], json!({ "external_id": "m-1" }));
        assert_eq!(b["event_time"], "2026-12-01T10:00:00Z");
    }

    /// In a conversation of several contacts (TalkJS), a message by one
    /// who is not the owner is that contact's `inbox`, not the owner's.
    #[test]
    fn an_inbox_body_names_its_sender_not_the_owner() {
        let s = stored("message.created", Some(7), Some(9), msg("user", json!({})));
        let b = render(&s, Some(12), &facts());
        assert_eq!(b["hook_type"], "inbox");
        assert_eq!(b["client_id"], 9);
        assert_eq!(b["client"]["id"], 9);
        // An agent's outbox goes to the owner.
        let s = stored("message.created", Some(7), Some(3), msg("agent", json!({})));
        let b = render(&s, Some(12), &facts());
        assert_eq!(
            (b["client_id"].clone(), b["client"]["id"].clone()),
            (json!(12), json!(12))
        );
    }

    #[test]
    fn the_outbox_body() {
        let s = stored("message.created", Some(7), Some(3), msg("agent", json!({})));
        let b = render(&s, Some(9), &facts());
        assert_eq!(b["hook_type"], "outbox");
        assert_eq!(b["type"], "to_client");
        assert_eq!(b["operator_id"], 3);
        assert_eq!(b["client_id"], 9);
        assert_eq!(b["is_new_request"], false);
        let bot = stored(
            "message.created",
            Some(7),
            None,
            msg("bot", json!({ "bot": "keyword" })),
        );
        let b = render(&bot, Some(9), &facts());
        assert_eq!(
            (b["type"].clone(), b["operator_id"].clone()),
            (json!("autoreply"), Value::Null)
        );
    }

    #[test]
    fn client_and_tag_bodies() {
        let s = stored(
            "user.created",
            None,
            None,
            json!({ "user": { "id": 9, "type": "user" } }),
        );
        let b = render(&s, None, &facts());
        assert_eq!(b["hook_type"], "new_client");
        assert_eq!(b["id"], 9);
        assert_eq!(
            b["channels"],
            json!([{ "id": 1, "transports": ["external"] }])
        );
        let tag = json!({ "id": 4, "label": "VIP", "group_name": "", "description": "",
            "bg_color": "#2563eb", "text_color": "#ffffff" });
        let s = stored(
            "conversation.tag_added",
            Some(7),
            Some(3),
            json!({ "tag": tag, "conversation_id": 7, "user_id": 9 }),
        );
        let b = render(&s, Some(9), &facts());
        assert_eq!(b["hook_type"], "add_tag_to_request");
        assert_eq!(
            (b["id"].clone(), b["label"].clone()),
            (json!(4), json!("VIP"))
        );
        assert_eq!(
            (b["client_id"].clone(), b["request_id"].clone()),
            (json!(9), json!(7))
        );
        let s = stored(
            "contact.tag_added",
            None,
            Some(3),
            json!({ "tag": tag, "user_id": 9 }),
        );
        let b = render(&s, None, &facts());
        assert_eq!(b["hook_type"], "add_tag_to_client");
        assert!(b.get("request_id").is_none());
    }

    #[test]
    fn request_bodies() {
        let s = stored(
            "conversation.created",
            Some(7),
            Some(9),
            json!({ "conversation": { "id": 7, "user_id": 9, "agent_id": null, "source": "c2d" } }),
        );
        let b = render(&s, Some(9), &facts());
        assert_eq!(b["hook_type"], "new_request");
        assert_eq!(
            (
                b["dialog_id"].clone(),
                b["client_id"].clone(),
                b["transport"].clone()
            ),
            (json!(7), json!(9), json!("external"))
        );
        let s = stored(
            "conversation.status",
            Some(7),
            Some(3),
            json!({ "status": 3, "previous": 1 }),
        );
        let b = render(&s, Some(9), &facts());
        assert_eq!(b["hook_type"], "close_dialog");
        assert_eq!(
            (b["dialog_id"].clone(), b["operator_id"].clone()),
            (json!(7), json!(3))
        );
        let s = stored(
            "conversation.assigned",
            Some(7),
            Some(3),
            json!({ "agent_id": 5, "previous": null }),
        );
        let b = render(&s, Some(9), &facts());
        assert_eq!(b["hook_type"], "dialog_transferred");
        assert_eq!(b["operator_id"], 5);
    }
}
