//! Records as the seed shows them (ids and numbers as strings, dates as
//! `YYYY-MM-DD HH:MM:SS` UTC), and the record-shaped arguments read back.

use super::transport::Args;
use crate::app::App;
use crate::desk::conversations::{Conversation, Status};
use crate::desk::messages::Attachment;
use crate::desk::messages::Message;
use crate::desk::users::{User, UserFields};
use crate::desk::Sent;
use crate::error::{self, Result};
use crate::util::sql_datetime;
use serde_json::{json, Map, Value};

pub(super) fn s(v: impl ToString) -> Value {
    Value::String(v.to_string())
}

pub(super) fn opt_s(v: Option<i64>) -> Value {
    v.map_or(Value::Null, s)
}

pub(super) fn user_record(u: &User, extra: bool) -> Value {
    let mut v = json!({
        "id": s(u.id), "first_name": u.first_name, "last_name": u.last_name,
        "email": u.email.clone(), "profile_image": u.profile_image.clone().unwrap_or_default(),
        "user_type": u.user_type, "creation_time": sql_datetime(u.created_at),
        "last_activity": sql_datetime(u.last_seen.unwrap_or(u.created_at)),
        "department": opt_s(u.department_id), "token": "", "password": "",
    });
    if extra {
        v["details"] = details(u);
    }
    v
}

/// `[["name", "link"], ...]` or `["link", ...]` as attachments.
pub(super) fn attachments_arg(v: &Value) -> Vec<Attachment> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let (name, url) = match p {
                Value::String(url) => (
                    url.rsplit('/').next().unwrap_or(url).to_string(),
                    url.clone(),
                ),
                _ => (
                    p.get(0)?.as_str()?.to_string(),
                    p.get(1)?.as_str()?.to_string(),
                ),
            };
            Some(Attachment {
                name,
                url,
                content_type: None,
                size: None,
            })
        })
        .collect()
}

/// `extra`: `true` for every detail, or an array of the slugs wanted.
pub(super) fn extra_slugs(a: &Args) -> Option<Vec<String>> {
    match a.json("extra") {
        Some(Value::Array(v)) => Some(
            v.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect(),
        ),
        _ if a.flag("extra") => Some(vec![]),
        _ => None,
    }
}

/// Adds `details` to a user record: all of them for an empty slug list.
pub(super) fn with_extra(mut rec: Value, u: &User, slugs: Option<&[String]>) -> Value {
    if let Some(slugs) = slugs {
        let all = details(u);
        rec["details"] = Value::Array(
            all.as_array()
                .into_iter()
                .flatten()
                .filter(|d| slugs.is_empty() || slugs.iter().any(|s| d["slug"] == s.as_str()))
                .cloned()
                .collect(),
        );
    }
    rec
}

/// `sorting`: `["column", "ASC"|"DESC"]` (JSON, form array, or "column").
pub(super) fn sorting(a: &Args) -> Result<Option<(String, bool)>> {
    let parts: Vec<String> = match a.json("sorting") {
        Some(Value::Array(v)) => v
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => match a.str("sorting").filter(|v| !v.is_empty() && v != "false") {
            Some(col) => vec![col],
            None => return Ok(None),
        },
    };
    let Some(column) = parts.first().cloned() else {
        return Ok(None);
    };
    let desc = match parts.get(1).map(|d| d.to_ascii_uppercase()).as_deref() {
        None | Some("DESC") => true,
        Some("ASC") => false,
        Some(_) => return Err(error::INVALID_SORTING.with("the order is ASC or DESC")),
    };
    Ok(Some((column, desc)))
}

/// Custom fields as Support Board's `[{slug, name, value}]`.
pub(super) fn details(u: &User) -> Value {
    let mut out: Vec<Value> = Vec::new();
    for (k, val) in u.custom.as_object().into_iter().flatten() {
        let value = match val {
            Value::String(x) => x.clone(),
            other => other.to_string(),
        };
        let mut name: String = k.replace('_', " ");
        if let Some(first) = name.get(0..1) {
            name = first.to_uppercase() + &name[1..];
        }
        out.push(json!({ "slug": k, "name": name, "value": value }));
    }
    for (slug, name, val) in [
        ("phone", "Phone", &u.phone),
        ("language", "Language", &u.language),
        ("current_url", "Current URL", &u.current_url),
    ] {
        if let Some(v) = val {
            out.push(json!({ "slug": slug, "name": name, "value": v }));
        }
    }
    Value::Array(out)
}

/// A messaging platform conversation's `extra` as Support Board shows it:
/// the id its send functions take ("Get it by using the get-conversation
/// function. The ID is the extra value": Telegram's chat id, the Facebook
/// page id, WhatsApp's phone number id); "" for other conversations.
fn platform_extra(extra: &Value) -> String {
    ["chat_id", "page_id", "phone_number_id"]
        .iter()
        .find_map(|k| extra.get(*k))
        .map(|v| match v {
            Value::String(x) => x.clone(),
            other => other.to_string(),
        })
        .unwrap_or_default()
}

/// A contact's messaging platform identities as `get-user` details (the
/// seed: "The PSID ... Get it by using the get-user function"); phone
/// numbers (SMS, WhatsApp) are the `phone` detail already.
pub(super) fn platform_details(ids: &[(String, String)]) -> Vec<Value> {
    const SLUGS: &[(&str, &str, &str)] = &[
        ("fb", "facebook-id", "Facebook ID"),
        ("ig", "instagram-id", "Instagram ID"),
        ("tg", "telegram-id", "Telegram ID"),
        ("vb", "viber-id", "Viber ID"),
        ("ln", "line-id", "LINE ID"),
        ("wc", "wechat-id", "WeChat ID"),
    ];
    ids.iter()
        .filter_map(|(source, id)| {
            let (_, slug, name) = SLUGS.iter().find(|(s, _, _)| s == source)?;
            Some(json!({ "slug": slug, "name": name, "value": id }))
        })
        .collect()
}

pub(super) fn conversation_details(c: &Conversation, u: &User) -> Value {
    json!({
        "user_id": s(c.user_id), "first_name": u.first_name, "last_name": u.last_name,
        "profile_image": u.profile_image.clone().unwrap_or_default(), "user_type": u.user_type,
        "id": s(c.id), "title": c.title, "conversation_time": sql_datetime(c.created_at),
        "conversation_status_code": s(c.status.code()), "department": opt_s(c.department_id),
        "source": c.source, "extra": platform_extra(&c.extra),
    })
}

/// A message as Support Board renders it, its attachment links signed for
/// the reader (see `links`).
pub(super) fn message_record(links: &crate::links::Links, m: &Message) -> Value {
    let (utype, first, last, avatar) = match m.sender.clone() {
        Some((t, f, l, a)) => (t.as_str(), f, l, a),
        None => Default::default(),
    };
    let exp = links.frame_exp();
    let attachments: Vec<Value> = m
        .attachments
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| json!([a["name"], a["url"].as_str().map(|u| links.sign(u, exp))]))
        .collect();
    json!({
        "id": s(m.id), "user_id": opt_s(m.user_id), "message": m.body,
        "creation_time": sql_datetime(m.created_at),
        "attachments": if attachments.is_empty() { String::new() } else { Value::Array(attachments).to_string() },
        "status_code": if m.read_at.is_some() { "2" } else { "0" },
        "payload": if m.payload.as_object().is_none_or(|o| o.is_empty()) { String::new() } else { m.payload.to_string() },
        "conversation_id": s(m.conversation_id), "first_name": first, "last_name": last,
        "profile_image": avatar.map(|a| links.sign(&a, exp)).unwrap_or_default(), "user_type": utype,
    })
}

/// `extra` / `settings_extra`: `{"ID": ["value", "Name"]}` into custom fields
/// (phone, language and current_url go to their own columns).
pub(super) fn apply_extra(f: &mut UserFields, extra: Option<Value>) {
    let Some(Value::Object(m)) = extra else {
        return;
    };
    let mut custom = Map::new();
    for (k, v) in m {
        let value = match &v {
            Value::Array(a) => a.first().cloned().unwrap_or(Value::Null),
            other => other.clone(),
        };
        let text = value
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| value.to_string());
        match k.as_str() {
            "phone" => f.phone = Some(text),
            "language" => f.language = Some(text),
            "current_url" => f.current_url = Some(text),
            _ => {
                custom.insert(k, Value::String(text));
            }
        }
    }
    if !custom.is_empty() {
        f.custom = Some(custom);
    }
}

pub(super) fn user_fields(a: &Args) -> UserFields {
    let mut f = UserFields {
        first_name: a.str("first_name"),
        last_name: a.str("last_name"),
        email: a
            .str("email")
            .map(|e| if e == "NULL" { String::new() } else { e }),
        avatar: a.str("profile_image").filter(|v| !v.is_empty()),
        password: a.str("password").filter(|v| !v.is_empty()),
        user_type: a.str("user_type").filter(|v| !v.is_empty()).map(Sent::read),
        department_id: a.id("department").ok().flatten(),
        ..Default::default()
    };
    apply_extra(&mut f, a.json("extra").or_else(|| a.json("settings_extra")));
    f
}

pub(super) fn ok(v: Value) -> Result<Value> {
    Ok(v)
}

/// The absolute URL of a path on this server (a saved file, an avatar).
pub(super) fn absolute_url(app: &App, path: &str) -> Value {
    json!(format!(
        "{}{}",
        app.config.public_url.trim_end_matches('/'),
        path
    ))
}

/// The absolute URL of a file the desk saved.
pub(super) fn file_url(app: &App, file: &Value) -> Value {
    absolute_url(app, file["url"].as_str().unwrap_or(""))
}

/// A `status_code` argument: one of the desk's statuses, as its number.
pub(super) fn status_code(text: &str) -> Option<Status> {
    Status::parse_code(text)
}
