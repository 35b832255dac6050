//! The Support Board (GB Talk) web API: `POST /script/include/api.php` (and
//! `/api.php`) with `token`, `function` and the function's arguments, form
//! encoded the way PHP's `http_build_query` sends them (arrays included) or
//! as JSON. Answers `{"success": bool, "response": ...}` with records shaped
//! as the seed shows them: ids and numbers as strings, dates as
//! `YYYY-MM-DD HH:MM:SS` UTC. Every function calls the same desk verbs as
//! the REST API, so what it does is visible everywhere.
//!
//! This file has the transport, the record shapes and the user,
//! conversation and message functions; `more.rs` the knowledge base,
//! automations, reports and the other admin functions. An unknown function
//! answers `{"success":false,"response":"function-not-supported"}`.

mod more;

use super::auth::Caller;
use super::Reply;
use crate::app::App;
use crate::desk::conversations::{ConversationInput, ConversationPatch};
use crate::desk::messages::{Attachment, MessageEdit, MessageInput};
use crate::desk::{Actor, Role};
use crate::error::{Error, Kind, Result};
use crate::http::request::{parse_form_pairs, Ctx};
use crate::http::response::Resp;
use crate::store::conversations::{Conversation, Filter};
use crate::store::messages::Message;
use crate::store::users::{User, UserFields};
use crate::util::sql_datetime;
use serde_json::{json, Map, Value};

/// The arguments of one call, whatever encoding they came in.
struct Args(Map<String, Value>);

impl Args {
    fn parse(ctx: &Ctx) -> Result<Args> {
        let ct = ctx
            .header("content-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        if ct.starts_with("application/json") {
            let v: Value = ctx.json()?;
            return match v {
                Value::Object(m) => Ok(Args(m)),
                _ => Err(Error::bad(
                    "invalid-arguments",
                    "the body must be a JSON object",
                )),
            };
        }
        let text = std::str::from_utf8(&ctx.body)
            .map_err(|_| Error::bad("invalid-arguments", "the body is not UTF-8"))?;
        Ok(Args(nest(parse_form_pairs(text))))
    }

    fn str(&self, k: &str) -> Option<String> {
        match self.0.get(k)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    fn id(&self, k: &str) -> Result<Option<i64>> {
        match self.str(k) {
            None => Ok(None),
            Some(s) if s.is_empty() || s == "-1" || s == "false" => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| Error::bad("invalid-arguments", format!("{k} must be an id"))),
        }
    }

    fn need_id(&self, k: &str, missing: &'static str) -> Result<i64> {
        self.id(k)?
            .ok_or_else(|| Error::bad(missing, format!("{k} is required")))
    }

    fn flag(&self, k: &str) -> bool {
        matches!(self.str(k).as_deref(), Some("true" | "1"))
    }

    /// A list of ids: a JSON array (form array or JSON text) or "1,2,3".
    fn ids(&self, k: &str) -> Option<Vec<i64>> {
        let parse = |v: &Value| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        };
        match self.json(k) {
            Some(Value::Array(v)) => Some(v.iter().filter_map(parse).collect()),
            Some(single @ (Value::Number(_) | Value::String(_))) => {
                Some(parse(&single).into_iter().collect())
            }
            _ => self
                .str(k)
                .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect()),
        }
    }

    /// A JSON value given either as nested form fields or as a JSON string.
    fn json(&self, k: &str) -> Option<Value> {
        match self.0.get(k)? {
            Value::String(s) if s.is_empty() || s == "false" => None,
            Value::String(s) => serde_json::from_str(s).ok(),
            v => Some(v.clone()),
        }
    }
}

/// PHP's `max_input_nesting_level`: deeper fields are dropped, as PHP drops
/// them. It also bounds the recursion in `arrays` and in dropping the
/// values (a 1 MB `a[b][b]...` key overflowed a worker's stack).
const MAX_NESTING: usize = 64;

/// `a[b][0]=x` pairs into nested JSON; objects whose keys are 0..n become arrays.
fn nest(pairs: Vec<(String, String)>) -> Map<String, Value> {
    let mut root = Map::new();
    for (key, value) in pairs {
        let mut path: Vec<String> = Vec::new();
        let (head, rest) = key
            .split_once('[')
            .map_or((key.as_str(), ""), |(h, r)| (h, r));
        path.push(head.to_string());
        for seg in rest.split('[') {
            if let Some(seg) = seg.strip_suffix(']') {
                path.push(seg.to_string());
            }
        }
        if path.len() > MAX_NESTING + 1 {
            continue;
        }
        let mut node = &mut root;
        for (i, seg) in path.iter().enumerate() {
            let seg = if seg.is_empty() {
                node.len().to_string()
            } else {
                seg.clone()
            };
            if i + 1 == path.len() {
                node.insert(seg, Value::String(value.clone()));
            } else {
                let next = node.entry(seg).or_insert_with(|| Value::Object(Map::new()));
                if !next.is_object() {
                    *next = Value::Object(Map::new());
                }
                node = next.as_object_mut().unwrap();
            }
        }
    }
    root.into_iter().map(|(k, v)| (k, arrays(v))).collect()
}

fn arrays(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let is_list = !m.is_empty() && (0..m.len()).all(|i| m.contains_key(&i.to_string()));
            if is_list {
                Value::Array(
                    (0..m.len())
                        .map(|i| arrays(m[&i.to_string()].clone()))
                        .collect(),
                )
            } else {
                Value::Object(m.into_iter().map(|(k, v)| (k, arrays(v))).collect())
            }
        }
        v => v,
    }
}

fn s(v: impl ToString) -> Value {
    Value::String(v.to_string())
}

fn opt_s(v: Option<i64>) -> Value {
    v.map_or(Value::Null, s)
}

fn user_record(u: &User, extra: bool) -> Value {
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
fn attachments_arg(v: &Value) -> Vec<Attachment> {
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
fn extra_slugs(a: &Args) -> Option<Vec<String>> {
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
fn with_extra(mut rec: Value, u: &User, slugs: Option<&[String]>) -> Value {
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
fn sorting(a: &Args) -> Result<Option<(String, bool)>> {
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
        Some(_) => return Err(Error::bad("invalid-sorting", "the order is ASC or DESC")),
    };
    Ok(Some((column, desc)))
}

/// Custom fields as Support Board's `[{slug, name, value}]`.
fn details(u: &User) -> Value {
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

fn conversation_details(c: &Conversation, u: &User) -> Value {
    json!({
        "user_id": s(c.user_id), "first_name": u.first_name, "last_name": u.last_name,
        "profile_image": u.profile_image.clone().unwrap_or_default(), "user_type": u.user_type,
        "id": s(c.id), "title": c.title, "conversation_time": sql_datetime(c.created_at),
        "conversation_status_code": s(c.status), "department": opt_s(c.department_id),
    })
}

/// A message as Support Board renders it, its attachment links signed for
/// the reader (see `links`).
fn message_record(links: &crate::links::Links, m: &Message) -> Value {
    let (utype, first, last, avatar) = m.sender.clone().unwrap_or_default();
    let exp = crate::links::now_secs() + crate::links::FRAME_TTL_SECS;
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
        "profile_image": avatar.unwrap_or_default(), "user_type": utype,
    })
}

/// `extra` / `settings_extra`: `{"ID": ["value", "Name"]}` into custom fields
/// (phone, language and current_url go to their own columns).
fn apply_extra(f: &mut UserFields, extra: Option<Value>) {
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

fn user_fields(a: &Args) -> UserFields {
    let mut f = UserFields {
        first_name: a.str("first_name"),
        last_name: a.str("last_name"),
        email: a
            .str("email")
            .map(|e| if e == "NULL" { String::new() } else { e }),
        avatar: a.str("profile_image").filter(|v| !v.is_empty()),
        password: a.str("password").filter(|v| !v.is_empty()),
        user_type: a.str("user_type").filter(|v| !v.is_empty()),
        department_id: a.id("department").ok().flatten(),
        ..Default::default()
    };
    apply_extra(&mut f, a.json("extra").or_else(|| a.json("settings_extra")));
    f
}

fn ok(v: Value) -> Result<Value> {
    Ok(v)
}

/// `status_code`: one status, or the inbox (live and both waiting states).
fn statuses(a: &Args) -> Result<Vec<i64>> {
    match a
        .str("status_code")
        .filter(|v| !v.is_empty() && v != "false")
    {
        Some(code) => Ok(vec![code
            .parse()
            .ok()
            .filter(|v| (0..=4).contains(v))
            .ok_or_else(|| {
                Error::bad("invalid-status-code", "status_code must be 0 to 4")
            })?]),
        None => Ok(vec![0, 1, 2]),
    }
}

/// The `message` of a reassignment: Support Board notifies the agents by
/// email, push and SMS; here it becomes an internal note on the
/// conversation, which the inbox shows (and notifies) live.
fn note_for_agents(
    desk: &crate::desk::Desk,
    actor: &Actor,
    id: i64,
    message: Option<String>,
) -> Result<()> {
    if let Some(body) = message.filter(|m| !m.trim().is_empty() && m != "false") {
        let note = MessageInput {
            body,
            private: true,
            ..Default::default()
        };
        desk.post_message(actor, id, note)?;
    }
    Ok(())
}

/// `datetime` of get-new-conversations: a conversation id (newer ones), or
/// a UTC date and time (conversations started or written in since).
fn newer_than(c: &Conversation, since: &str) -> bool {
    match since.trim().parse::<i64>() {
        Ok(id) => c.id > id,
        Err(_) => sql_datetime(c.updated_at).as_str() > since.trim(),
    }
}

/// Conversations as Support Board lists them: the last message, with the
/// conversation's user and status.
fn conversation_rows(app: &App, actor: &Actor, convs: Vec<Conversation>) -> Result<Value> {
    let mut out = Vec::new();
    for c in convs {
        let u = app.desk.user(c.user_id)?;
        let last = app.desk.history(actor, c.id, None, 1)?;
        let mut rec = match last.first() {
            Some(m) => message_record(&app.desk.links, m),
            None => {
                json!({ "id": "", "user_id": s(c.user_id), "message": "", "creation_time": sql_datetime(c.created_at),
                "attachments": "", "status_code": "0", "payload": "", "conversation_id": s(c.id) })
            }
        };
        rec["message_user_type"] = rec
            .get("user_type")
            .cloned()
            .unwrap_or(Value::String(u.user_type.clone()));
        rec["first_name"] = json!(u.first_name);
        rec["last_name"] = json!(u.last_name);
        rec["profile_image"] = json!(u.profile_image.clone().unwrap_or_default());
        rec["conversation_status_code"] = s(c.status);
        rec["user_type"] = json!(u.user_type);
        out.push(rec);
    }
    Ok(Value::Array(out))
}

/// Runs one function; `Err` becomes `{"success": false, "response": code}`.
fn call(app: &App, actor: &Actor, function: &str, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    match function {
        "get-user" => match desk
            .store
            .read(|c| crate::store::users::find(c, a.need_id("user_id", "missing-user-id")?))?
        {
            Some(u) => ok(user_record(&u, a.flag("extra"))),
            None => ok(Value::Bool(false)),
        },
        "get-user-extra" => match desk
            .store
            .read(|c| crate::store::users::find(c, a.need_id("user_id", "missing-user-id")?))?
        {
            Some(u) => {
                let all = details(&u);
                match a.str("slug").filter(|s| !s.is_empty() && s != "false") {
                    Some(slug) => ok(all
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|d| d["slug"] == slug.as_str())
                        .map_or_else(
                            || a.0.get("default").cloned().unwrap_or(Value::Bool(false)),
                            |d| d["value"].clone(),
                        )),
                    None => ok(all),
                }
            }
            None => ok(json!([])),
        },
        "get-users" | "search-users" => {
            let types: Vec<String> = a
                .json("user_types")
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect();
            let page = a.id("pagination")?.unwrap_or(1).max(1);
            let ids = a
                .ids("user_ids")
                .filter(|_| a.str("user_ids").as_deref() != Some("false"));
            let sorting = sorting(a)?;
            let search = a.str("search");
            let q = crate::store::users::ListQuery {
                types: &types,
                search: search.as_deref(),
                search_details: true,
                ids: ids.as_deref(),
                sort: sorting.as_ref().map(|(c, d)| (c.as_str(), *d)),
                limit: 100,
                offset: (page - 1) * 100,
            };
            let users = desk.find_users(actor, q)?;
            let extra = extra_slugs(a);
            ok(Value::Array(
                users
                    .iter()
                    .map(|u| with_extra(user_record(u, false), u, extra.as_deref()))
                    .collect(),
            ))
        }
        "count-users" => {
            let mut counts = Map::new();
            for t in ["all", "lead", "user", "visitor"] {
                counts.insert(t.into(), s(0));
            }
            for (t, n) in desk.user_counts(actor)? {
                if counts.contains_key(&t) {
                    counts.insert(t, s(n));
                }
            }
            ok(Value::Object(counts))
        }
        "get-user-language" => {
            let u = desk.user(a.need_id("user_id", "missing-user-id")?)?;
            ok(u.language
                .filter(|l| l != "en" && !l.is_empty())
                .map_or(Value::Bool(false), Value::String))
        }
        "current-url" => {
            let id = a.need_id("user_id", "missing-user-id")?;
            match a.str("url").filter(|u| !u.is_empty()) {
                Some(url) => {
                    desk.update_user(
                        actor,
                        id,
                        UserFields {
                            current_url: Some(url),
                            ..Default::default()
                        },
                    )?;
                    ok(Value::Bool(true))
                }
                None => ok(desk
                    .user(id)?
                    .current_url
                    .map_or(Value::Bool(false), Value::String)),
            }
        }
        "update-user-to-lead" => {
            let id = a.need_id("user_id", "missing-user-id")?;
            desk.update_user(
                actor,
                id,
                UserFields {
                    user_type: Some("lead".into()),
                    ..Default::default()
                },
            )?;
            ok(Value::Bool(true))
        }
        "get-agent" => match desk
            .store
            .read(|c| crate::store::users::find(c, a.need_id("agent_id", "missing-agent-id")?))?
        {
            Some(u) if matches!(u.user_type.as_str(), "agent" | "admin") => {
                ok(user_record(&u, false))
            }
            _ => ok(Value::Bool(false)),
        },
        "get-agents-ids" => {
            let mut types = vec!["agent".to_string()];
            if a.str("admins").as_deref() != Some("false") {
                types.push("admin".into());
            }
            let users = desk.list_users(actor, &types, None, i64::MAX, 0)?;
            ok(Value::Array(users.iter().map(|u| json!(u.id)).collect()))
        }
        "agents-online" => ok(Value::Bool(!desk.online_staff()?.is_empty())),
        "get-user-from-conversation" => {
            let c = desk.conversation(
                actor,
                a.need_id("conversation_id", "missing-conversation-id")?,
            )?;
            let id = if a.flag("agent") {
                let msgs = desk.all_messages(actor, c.id)?;
                msgs.iter()
                    .rev()
                    .find(|m| {
                        m.sender
                            .as_ref()
                            .is_some_and(|(t, ..)| t == "agent" || t == "admin")
                    })
                    .and_then(|m| m.user_id)
            } else {
                Some(c.user_id)
            };
            match id {
                Some(id) => {
                    let u = desk.user(id)?;
                    ok(json!({ "id": s(u.id), "email": u.email.unwrap_or_default() }))
                }
                None => ok(Value::Bool(false)),
            }
        }
        "add-user" => {
            let mut f = user_fields(a);
            if f.first_name.is_none() {
                f.first_name = Some("User".into());
            }
            if f.last_name.is_none() {
                f.last_name = Some(format!("#{}", crate::util::random_below(100_000)));
            }
            if f.user_type.is_none() {
                f.user_type = Some(
                    if f.email.as_deref().unwrap_or("").is_empty() {
                        "visitor"
                    } else {
                        "user"
                    }
                    .into(),
                );
            }
            if f.email.as_deref() == Some("") {
                f.email = None;
            }
            let u = desk.create_user(Some(actor), f)?;
            ok(json!(u.id))
        }
        "update-user" => {
            let id = a.need_id("user_id", "missing-user-id")?;
            desk.update_user(actor, id, user_fields(a))?;
            ok(Value::Bool(true))
        }
        "delete-user" => {
            desk.delete_user(actor, a.need_id("user_id", "missing-user-id")?)?;
            ok(Value::Bool(true))
        }
        "delete-users" => {
            let ids = a
                .ids("user_ids")
                .filter(|v| !v.is_empty())
                .ok_or_else(|| Error::bad("missing-user-ids", "user_ids is required"))?;
            for id in ids {
                desk.delete_user(actor, id)?;
            }
            ok(Value::Bool(true))
        }
        "is-online" => {
            let id = a.need_id("user_id", "missing-user-id")?;
            desk.user(id)?;
            let online = desk.online_users(actor, false, None)?;
            ok(Value::Bool(online.iter().any(|u| u.id == id)))
        }
        "get-bot-id" => ok(s(desk.bot_id)),
        "get-conversation" => {
            let id = a.need_id("conversation_id", "missing-conversation-id")?;
            // With user_id, only that user's conversation is found.
            let owner = a.id("user_id")?;
            let found = desk.conversation(actor, id).and_then(|c| match owner {
                Some(u) if u != c.user_id => Err(Error::not_found("conversation")),
                _ => Ok(c),
            });
            match found {
                Ok(c) => {
                    let u = desk.user(c.user_id)?;
                    let msgs = desk.all_messages(actor, id)?;
                    ok(json!({
                        "messages": msgs.iter().map(|m| message_record(&desk.links, m)).collect::<Vec<_>>(),
                        "details": conversation_details(&c, &u),
                    }))
                }
                Err(e) if e.kind == Kind::NotFound => ok(json!({ "messages": [], "details": "" })),
                Err(e) => Err(e),
            }
        }
        "get-conversations" => {
            let page = a.id("pagination")?.unwrap_or(1).max(1);
            // With routing, the caller sees what is assigned to the token's
            // user, and with routing_unassigned the unassigned ones too.
            let routing = a.flag("routing");
            let filter = Filter {
                statuses: statuses(a)?,
                agent_id: routing.then_some(actor.user_id),
                unassigned: routing && a.flag("routing_unassigned"),
                department_id: a.id("department")?,
                source: a.str("source").filter(|v| !v.is_empty() && v != "false"),
                limit: 100,
                offset: (page - 1) * 100,
                ..Default::default()
            };
            conversation_rows(app, actor, desk.list_conversations(actor, filter)?)
        }
        "get-user-conversations" => {
            let user_id = a.need_id("user_id", "missing-user-id")?;
            let exclude = a.id("exclude_id")?;
            // `agents`: the user is staff; their conversations are the ones
            // assigned to them.
            let filter = if a.flag("agents") {
                Filter {
                    agent_id: Some(user_id),
                    limit: 100,
                    ..Default::default()
                }
            } else {
                Filter {
                    user_id: Some(user_id),
                    limit: 100,
                    ..Default::default()
                }
            };
            let convs = desk
                .list_conversations(actor, filter)?
                .into_iter()
                .filter(|c| Some(c.id) != exclude)
                .collect();
            conversation_rows(app, actor, convs)
        }
        "get-new-user-conversations" => {
            let user_id = a.need_id("user_id", "missing-user-id")?;
            let since = a.str("datetime").unwrap_or_default();
            let filter = Filter {
                user_id: Some(user_id),
                limit: 1000,
                ..Default::default()
            };
            let convs = desk
                .list_conversations(actor, filter)?
                .into_iter()
                .filter(|c| newer_than(c, &since))
                .collect();
            conversation_rows(app, actor, convs)
        }
        "search-user-conversations" => {
            let user_id = a.need_id("id", "missing-user-id")?;
            let q = a.str("search").unwrap_or_default();
            if q.trim().is_empty() {
                return ok(json!([]));
            }
            let filter = Filter {
                user_id: Some(user_id),
                search: Some(q),
                limit: 100,
                ..Default::default()
            };
            conversation_rows(app, actor, desk.list_conversations(actor, filter)?)
        }
        "check-conversations-assignment" => {
            let ids = a.ids("conversation_ids").unwrap_or_default();
            let agent = a.id("agent_id")?;
            let department = a.id("department_id")?;
            let mut out = Vec::new();
            for id in ids {
                let Ok(c) = desk.conversation(actor, id) else {
                    continue;
                };
                if (agent.is_none() || c.agent_id == agent)
                    && (department.is_none() || c.department_id == department)
                {
                    out.push(json!(c.id));
                }
            }
            ok(Value::Array(out))
        }
        "search-conversations" => {
            let q = a.str("search").unwrap_or_default();
            if q.trim().is_empty() {
                return ok(json!([]));
            }
            let filter = Filter {
                search: Some(q),
                limit: 100,
                ..Default::default()
            };
            conversation_rows(app, actor, desk.list_conversations(actor, filter)?)
        }
        "count-conversations" => {
            // Without status_code, every conversation counts.
            let which = if a
                .str("status_code")
                .is_some_and(|v| !v.is_empty() && v != "false")
            {
                statuses(a)?
            } else {
                vec![]
            };
            ok(json!(desk.count_conversations(actor, &which)?))
        }
        "update-conversation-department" => {
            let id = a.need_id("conversation_id", "missing-conversation-id")?;
            let dept = a.id("department")?;
            desk.update_conversation(
                actor,
                id,
                ConversationPatch {
                    department_id: Some(dept),
                    ..Default::default()
                },
            )?;
            note_for_agents(desk, actor, id, a.str("message"))?;
            ok(Value::Bool(true))
        }
        "update-conversation-agent" => {
            let id = a.need_id("conversation_id", "missing-conversation-id")?;
            let agent = a.id("agent_id")?;
            desk.update_conversation(
                actor,
                id,
                ConversationPatch {
                    agent_id: Some(agent),
                    ..Default::default()
                },
            )?;
            note_for_agents(desk, actor, id, a.str("message"))?;
            ok(Value::Bool(true))
        }
        "get-new-messages" => {
            let id = a.need_id("conversation_id", "missing-conversation-id")?;
            let c = desk.conversation(actor, id)?;
            if a.id("user_id")?.is_some_and(|u| u != c.user_id) {
                return ok(json!([]));
            }
            let since = a.str("datetime").unwrap_or_default();
            let msgs = desk.all_messages(actor, id)?;
            let after = |m: &Message| match since.parse::<i64>() {
                Ok(mid) => m.id > mid,
                Err(_) => sql_datetime(m.created_at).as_str() > since.as_str(),
            };
            ok(Value::Array(
                msgs.iter()
                    .filter(|m| after(m))
                    .map(|m| message_record(&desk.links, m))
                    .collect(),
            ))
        }
        "update-message" => {
            let m = desk.message(actor, a.need_id("message_id", "missing-message-id")?)?;
            let edit = MessageEdit {
                body: a.str("message").unwrap_or_default(),
                attachments: a.json("attachments").map(|v| attachments_arg(&v)),
                payload: a.json("payload").and_then(|v| v.as_object().cloned()),
            };
            desk.edit_message(actor, m.conversation_id, m.id, edit)?;
            ok(Value::Bool(true))
        }
        "delete-message" => {
            let m = desk.message(actor, a.need_id("message_id", "missing-message-id")?)?;
            desk.delete_message(actor, m.conversation_id, m.id)?;
            ok(Value::Bool(true))
        }
        "new-conversation" => {
            let user_id = a.need_id("user_id", "user-not-found")?;
            if desk
                .store
                .read(|c| crate::store::users::find(c, user_id))?
                .is_none()
            {
                return Err(Error::not_found("user").with_code("user-not-found"));
            }
            let status = match a
                .str("status_code")
                .filter(|v| !v.is_empty() && v != "false")
            {
                Some(code) => code
                    .parse()
                    .map_err(|_| Error::bad("invalid-status-code", "bad status_code"))?,
                None => 0,
            };
            let input = ConversationInput {
                user_id: Some(user_id),
                title: a.str("title"),
                status: Some(status),
                department_id: a.id("department")?,
                agent_id: a.id("agent_id")?,
                source: a.str("source").filter(|v| v != "false"),
                extra: a.json("extra").and_then(|v| v.as_object().cloned()),
                message: None,
            };
            let (c, _) = desk.create_conversation(actor, input)?;
            let u = desk.user(c.user_id)?;
            ok(json!({ "messages": [], "details": conversation_details(&c, &u) }))
        }
        "update-conversation-status" => {
            let id = a.need_id("conversation_id", "missing-conversation-id")?;
            let status: i64 = a
                .str("status_code")
                .and_then(|v| v.parse().ok())
                .filter(|v| (0..=4).contains(v))
                .ok_or_else(|| Error::bad("invalid-status-code", "status_code must be 0 to 4"))?;
            desk.update_conversation(
                actor,
                id,
                ConversationPatch {
                    status: Some(status),
                    ..Default::default()
                },
            )?;
            ok(Value::Bool(true))
        }
        "send-message" => {
            let conversation_id = a.need_id("conversation_id", "missing-user-id-or-message")?;
            let user_id = a.need_id("user_id", "missing-user-id-or-message")?;
            let body = a.str("message").unwrap_or_default();
            let attachments = a
                .json("attachments")
                .map(|v| attachments_arg(&v))
                .unwrap_or_default();
            if body.trim().is_empty() && attachments.is_empty() {
                return Err(Error::bad(
                    "missing-user-id-or-message",
                    "message is required",
                ));
            }
            let status = match a.str("conversation_status_code").as_deref() {
                None | Some("") | Some("false") | Some("skip") => None,
                Some(code) => Some(
                    code.parse()
                        .ok()
                        .filter(|v| (0..=4).contains(v))
                        .ok_or_else(|| {
                            Error::bad(
                                "invalid-status-code",
                                "conversation_status_code must be 0 to 4 or skip",
                            )
                        })?,
                ),
            };
            // recipient_id picks the language of Support Board's
            // translations; Frontporch keeps messages as written, so it is
            // only checked. There is no queue: `queue` is always false.
            if let Some(rid) = a.id("recipient_id")? {
                if desk
                    .store
                    .read(|c| crate::store::users::find(c, rid))?
                    .is_none()
                {
                    return Err(Error::not_found("user").with_code("user-not-found"));
                }
            }
            let input = MessageInput {
                body,
                attachments,
                payload: a.json("payload").and_then(|v| v.as_object().cloned()),
                private: false,
                user_id: Some(user_id),
                status,
                keep_status: a.str("conversation_status_code").as_deref() == Some("skip"),
            };
            let m = desk.post_message(actor, conversation_id, input)?;
            ok(
                json!({ "status": "success", "message-id": m.id, "queue": false, "notifications": [] }),
            )
        }
        "get-rating" => {
            let agent = a.need_id("user_id", "missing-user-id")?;
            let (positive, negative) = desk.agent_ratings(actor, agent)?;
            ok(json!([positive, negative]))
        }
        "set-rating" => {
            let settings = a.json("settings").unwrap_or(Value::Null);
            let inner = settings.get("settings").cloned().unwrap_or(settings);
            let num = |v: &Value| {
                v.as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            };
            let id = num(&inner["conversation_id"]).ok_or_else(|| {
                Error::bad(
                    "missing-conversation-id",
                    "settings.conversation_id is required",
                )
            })?;
            let rating = match num(&inner["rating"]) {
                Some(r) if r > 0 => 1,
                Some(_) => -1,
                None => return Err(Error::bad("invalid-rating", "settings.rating is required")),
            };
            desk.rate_conversation(
                actor,
                id,
                crate::desk::widget::Rating {
                    rating,
                    comment: None,
                },
            )?;
            if let (Some(mid), Some(text)) = (a.id("message_id")?, a.str("message")) {
                let edit = MessageEdit {
                    body: text,
                    payload: a.json("payload").and_then(|v| v.as_object().cloned()),
                    ..Default::default()
                };
                desk.edit_message(actor, id, mid, edit)?;
            }
            ok(Value::Bool(true))
        }
        "saved-replies" => {
            let replies = desk
                .public_setting("saved_replies")?
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default();
            ok(Value::Array(
                replies
                    .iter()
                    .map(|r| json!({ "reply-name": r["shortcut"], "reply-text": r["text"] }))
                    .collect(),
            ))
        }
        "get-setting" => {
            let key = a
                .str("setting")
                .ok_or_else(|| Error::bad("missing-setting", "setting is required"))?;
            ok(desk.public_setting(&key)?.unwrap_or(Value::Bool(false)))
        }
        "get-settings" => ok(Value::Object(desk.settings(actor)?)),
        "save-settings" => {
            let values = a
                .json("settings")
                .and_then(|v| v.as_object().cloned())
                .ok_or_else(|| Error::bad("invalid-settings", "settings must be a JSON object"))?;
            let mut values = values;
            // Support Board keeps these in rows of their own; here they are
            // two settings, read back with get-setting.
            for k in ["external_settings", "external_settings_translations"] {
                if let Some(v) = a.json(k) {
                    values.insert(k.to_string(), v);
                }
            }
            desk.save_settings(actor, values)?;
            ok(Value::Bool(true))
        }
        "get-new-users" => {
            let since = a.str("datetime").unwrap_or_default();
            let users = desk.list_users(actor, &[], None, 1000, 0)?;
            let newer = |u: &User| match since.parse::<i64>() {
                Ok(id) => u.id > id,
                Err(_) => sql_datetime(u.created_at).as_str() > since.as_str(),
            };
            ok(Value::Array(
                users
                    .iter()
                    .filter(|u| newer(u))
                    .map(|u| user_record(u, false))
                    .collect(),
            ))
        }
        "get-new-conversations" => {
            let since = a.str("datetime").unwrap_or_default();
            let routing = a.flag("routing");
            let convs = desk.list_conversations(
                actor,
                Filter {
                    agent_id: routing.then_some(actor.user_id),
                    unassigned: routing && a.flag("routing_unassigned"),
                    limit: 1000,
                    ..Default::default()
                },
            )?;
            conversation_rows(
                app,
                actor,
                convs
                    .into_iter()
                    .filter(|c| newer_than(c, &since))
                    .collect(),
            )
        }
        "get-online-users" => {
            let exclude = a.ids("exclude_id").unwrap_or_default();
            let sorting = sorting(a)?.unwrap_or(("creation_time".into(), true));
            let online = desk.online_users(
                actor,
                a.flag("agents"),
                Some((sorting.0.as_str(), sorting.1)),
            )?;
            ok(Value::Array(
                online
                    .iter()
                    .filter(|u| !exclude.contains(&u.id) && u.id != desk.bot_id)
                    .map(|u| user_record(u, false))
                    .collect(),
            ))
        }
        "delete-leads" => {
            for u in desk.list_users(actor, &["lead".to_string()], None, i64::MAX, 0)? {
                desk.delete_user(actor, u.id)?;
            }
            ok(Value::Bool(true))
        }
        "set-typing" => {
            let user = desk.user(a.need_id("user_id", "missing-user-id")?)?;
            let conversation = a.need_id("conversation_id", "missing-conversation-id")?;
            // Typing is said on behalf of that user, with their own scope.
            let who = Actor {
                role: if user.is_staff() {
                    Role::Agent
                } else {
                    Role::Visitor
                },
                user_id: user.id,
                token_id: actor.token_id,
            };
            desk.typing(&who, conversation, true)?;
            ok(Value::Bool(true))
        }
        "update-messages-status" => {
            let ids = a
                .ids("message_ids")
                .filter(|v| !v.is_empty())
                .ok_or_else(|| Error::bad("missing-message-ids", "message_ids is required"))?;
            let mut upto: std::collections::BTreeMap<i64, i64> = Default::default();
            for id in ids {
                let m = desk.message(actor, id)?;
                let e = upto.entry(m.conversation_id).or_insert(0);
                *e = (*e).max(m.id);
            }
            for (conversation, last) in upto {
                desk.mark_read(actor, conversation, last)?;
            }
            ok(Value::Bool(true))
        }
        "get-agents-in-conversation" => {
            let ids = a
                .ids("conversation_id")
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    Error::bad("missing-conversation-id", "conversation_id is required")
                })?;
            let mut out = Map::new();
            for id in ids {
                let mut agents: Vec<Value> = Vec::new();
                for m in desk.all_messages(actor, id)? {
                    let Some((t, first, last, avatar)) = &m.sender else {
                        continue;
                    };
                    if (t == "agent" || t == "admin")
                        && !agents.iter().any(|x| x["id"] == json!(m.user_id))
                    {
                        agents.push(json!({ "id": m.user_id, "first_name": first, "last_name": last,
                            "profile_image": avatar.clone().unwrap_or_default(), "conversation_id": id }));
                    }
                }
                out.insert(id.to_string(), Value::Array(agents));
            }
            ok(Value::Object(out))
        }
        "get-users-with-details" => {
            let wanted: Vec<String> = a
                .json("details")
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect();
            let only: Option<Vec<i64>> = match a.str("user_ids").as_deref() {
                Some("all") | Some("false") | Some("") => None,
                _ => a.ids("user_ids"),
            };
            let users = desk.list_users(actor, &[], None, i64::MAX, 0)?;
            let mut out = Map::new();
            for detail in wanted {
                let rows: Vec<Value> = users
                    .iter()
                    .filter(|u| only.as_ref().is_none_or(|ids| ids.contains(&u.id)))
                    .filter_map(|u| {
                        let value = match detail.as_str() {
                            "email" => u.email.clone(),
                            "phone" => u.phone.clone(),
                            "language" => u.language.clone(),
                            "current_url" => u.current_url.clone(),
                            other => u.custom.get(other).map(|v| {
                                v.as_str()
                                    .map(String::from)
                                    .unwrap_or_else(|| v.to_string())
                            }),
                        }?;
                        Some(json!({ "id": u.id, "value": value }))
                    })
                    .collect();
                out.insert(detail, Value::Array(rows));
            }
            ok(Value::Object(out))
        }
        // Internal notes are Frontporch's private messages; the note's name
        // rides in the payload.
        "get-notes" => {
            let id = a.need_id("conversation_id", "missing-conversation-id")?;
            let notes: Vec<Value> = desk.all_messages(actor, id)?.iter()
                .filter(|m| m.private && m.deleted_at.is_none())
                .map(|m| json!({ "id": m.id, "user_id": opt_s(m.user_id), "name": m.payload["note_name"].as_str().unwrap_or(""), "message": m.body }))
                .collect();
            ok(Value::Array(notes))
        }
        "add-note" => {
            let id = a.need_id("conversation_id", "missing-conversation-id")?;
            let mut payload = Map::new();
            payload.insert("note_name".into(), json!(a.str("name").unwrap_or_default()));
            let input = MessageInput {
                body: a.str("message").unwrap_or_default(),
                private: true,
                user_id: a.id("user_id")?,
                payload: Some(payload),
                ..Default::default()
            };
            ok(json!(desk.post_message(actor, id, input)?.id))
        }
        "delete-note" => {
            let id = a.need_id("conversation_id", "missing-conversation-id")?;
            let note = desk.message(actor, a.need_id("note_id", "missing-note-id")?)?;
            if note.conversation_id != id || !note.private {
                return Err(Error::not_found("note").with_code("note-not-found"));
            }
            desk.delete_message(actor, id, note.id)?;
            ok(Value::Bool(true))
        }
        "is-typing" => {
            let user = a.need_id("user_id", "missing-user-id")?;
            let now = desk.typing_now(
                actor,
                a.need_id("conversation_id", "missing-conversation-id")?,
            )?;
            ok(Value::Bool(now.iter().any(|(u, _)| *u == user)))
        }
        "is-agent-typing" => {
            let now = desk.typing_now(
                actor,
                a.need_id("conversation_id", "missing-conversation-id")?,
            )?;
            match now.iter().find(|(_, staff)| *staff) {
                Some((id, _)) => {
                    let u = desk.user(*id)?;
                    ok(
                        json!({ "id": s(u.id), "first_name": u.first_name, "last_name": u.last_name }),
                    )
                }
                // The seed: "Return false if no agents are typing."
                None => ok(Value::Bool(false)),
            }
        }
        "transcript" => {
            let id = a.need_id("conversation_id", "missing-conversation-id")?;
            let Ok(c) = desk.conversation(actor, id) else {
                return ok(Value::Bool(false));
            };
            let csv = a.str("type").as_deref() == Some("csv");
            let out = desk.transcript(actor, c.id, csv)?;
            let (name, ct) = if csv {
                (format!("conversation-{id}.csv"), "text/csv")
            } else {
                (format!("conversation-{id}.txt"), "text/plain")
            };
            let file = desk.save_upload(actor, &name, ct, out.as_bytes(), usize::MAX)?;
            ok(json!(format!(
                "{}{}",
                app.config.public_url.trim_end_matches('/'),
                file["url"].as_str().unwrap_or("")
            )))
        }
        "direct-message" => {
            let message = a
                .str("message")
                .filter(|m| !m.trim().is_empty())
                .ok_or_else(|| Error::bad("missing-arguments", "message is required"))?;
            let ids = a.ids("user_ids").unwrap_or_default();
            if ids.is_empty() {
                return Err(Error::bad("missing-user-ids", "user_ids is required"));
            }
            let subject = a.str("subject").filter(|v| v != "false");
            desk.direct_message(actor, &ids, &message, subject)?;
            ok(Value::Bool(true))
        }
        "get-departments" => {
            let mut out = Map::new();
            for d in desk.departments()? {
                out.insert(
                    d["id"].to_string(),
                    json!({ "name": d["name"], "color": d["color"], "image": "" }),
                );
            }
            ok(Value::Object(out))
        }
        // Delivery functions: arguments are checked; with no provider set
        // up (the channels work), the answer says so rather than pretending.
        "send-email"
        | "send-custom-email"
        | "email-piping"
        | "send-sms"
        | "push-notification"
        | "messaging-platforms-send-message"
        | "whatsapp-send-message"
        | "whatsapp-send-template"
        | "messenger-send-message"
        | "telegram-send-message"
        | "viber-send-message"
        | "line-send-message"
        | "wechat-send-message" => {
            let need: &[&str] = match function {
                "send-email" => &["recipient_id", "message"],
                "send-custom-email" => &["to", "subject", "message"],
                "send-sms" => &["to", "message"],
                "push-notification" => &["title", "message"],
                "messaging-platforms-send-message" => &["conversation_id", "message"],
                "whatsapp-send-message" => &["to", "message"],
                "whatsapp-send-template" => &["to", "template_name"],
                "messenger-send-message" => &["psid", "facebook_page_id", "message"],
                "viber-send-message" => &["viber_id", "message"],
                "line-send-message" => &["line_id", "message"],
                "wechat-send-message" => &["open_id", "message"],
                "telegram-send-message" => &["chat_id", "message"],
                _ => &[],
            };
            if function == "send-email" {
                // The seed's own codes for this one.
                let (Some(to), Some(_)) = (
                    a.id("recipient_id")?,
                    a.str("message").filter(|m| !m.trim().is_empty()),
                ) else {
                    return Err(Error::bad(
                        "missing-user-id-or-message",
                        "recipient_id and message are required",
                    ));
                };
                let exists = |id: i64| -> Result<Option<User>> {
                    desk.store.read(|c| crate::store::users::find(c, id))
                };
                let recipient = exists(to)?;
                let sender_ok = match a.id("sender_id")? {
                    Some(id) => exists(id)?.is_some(),
                    None => true,
                };
                let Some(recipient) = recipient.filter(|_| sender_ok) else {
                    return Err(Error::not_found("user").with_code("user-or-sender-not-found"));
                };
                if recipient.email.as_deref().unwrap_or("").is_empty() {
                    return Err(Error::bad(
                        "user-email-not-found",
                        "the user has no email address",
                    ));
                }
            }
            if let Some(missing) = need.iter().find(|k| a.str(k).is_none_or(|v| v.is_empty())) {
                return Err(Error::bad(
                    "missing-arguments",
                    format!("{missing} is required"),
                ));
            }
            let channel = match function {
                "send-email" | "send-custom-email" | "email-piping" => "email",
                "send-sms" => "sms",
                "push-notification" => "push",
                "messaging-platforms-send-message" => "messaging-platform",
                f => f.split('-').next().unwrap_or("platform"),
            };
            Err(Error::new(
                Kind::Conflict,
                not_configured_code(channel),
                format!("no {channel} provider is configured"),
            ))
        }
        _ => more::call(app, actor, function, a),
    }
}

/// `POST /script/include/api.php` and `/api.php`.
pub fn handle(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    let envelope = |success: bool, response: Value| {
        Ok(Resp::json(200, &json!({ "success": success, "response": response })).into())
    };
    let a = match Args::parse(ctx) {
        Ok(a) => a,
        Err(e) => return envelope(false, Value::String(e.code.into())),
    };
    let actor = match a.str("token") {
        Some(t) if !t.is_empty() => match app.desk.api_token(&t)? {
            Some(actor) if actor.role == Role::Admin => actor,
            _ => return envelope(false, json!("security-error")),
        },
        _ => return envelope(false, json!("security-error")),
    };
    let Some(function) = a.str("function") else {
        return envelope(false, json!("missing-function"));
    };
    match call(app, &actor, &function, &a) {
        Ok(v) => envelope(true, v),
        // Disk full too: a 507 the client can retry, not a failed call.
        Err(e) if matches!(e.kind, Kind::Internal | Kind::InsufficientStorage) => Err(e),
        Err(e) => envelope(false, Value::String(sb_code(&e))),
    }
}

/// The `<channel>-not-configured` code for a delivery channel.
fn not_configured_code(channel: &str) -> &'static str {
    match channel {
        "email" => "email-not-configured",
        "sms" => "sms-not-configured",
        "push" => "push-not-configured",
        "whatsapp" => "whatsapp-not-configured",
        "messenger" => "messenger-not-configured",
        "telegram" => "telegram-not-configured",
        "viber" => "viber-not-configured",
        "line" => "line-not-configured",
        "wechat" => "wechat-not-configured",
        _ => "messaging-platform-not-configured",
    }
}

/// Our error codes in Support Board's spelling (kebab case).
fn sb_code(e: &Error) -> String {
    match e.code {
        "email_taken" => "duplicate-email".into(),
        "invalid_type" => "invalid-user-type".into(),
        "invalid_status" => "invalid-status-code".into(),
        c => c.replace('_', "-"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn php_arrays_nest() {
        let m = nest(vec![
            ("extra[phone][0]".into(), "123".into()),
            ("extra[phone][1]".into(), "Phone".into()),
            ("user_types[]".into(), "lead".into()),
            ("user_types[]".into(), "user".into()),
            ("function".into(), "add-user".into()),
        ]);
        assert_eq!(m["extra"], json!({ "phone": ["123", "Phone"] }));
        assert_eq!(m["user_types"], json!(["lead", "user"]));
        assert_eq!(m["function"], "add-user");
    }
}

/// Bounded fuzzing of the form transport: any body, no panic; PHP's
/// array syntax keeps its meaning; nesting stays bounded.
#[cfg(test)]
mod fuzz {
    use super::*;
    use crate::http::request::parse_form_pairs;
    use proptest::prelude::*;

    fn depth(v: &Value) -> usize {
        match v {
            Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
            Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// Keys made of the pieces PHP's syntax is made of.
    fn key() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                Just("["),
                Just("]"),
                Just("[]"),
                Just("[0]"),
                Just("[1]"),
                Just("[x]"),
                Just("a"),
                Just("0"),
                Just("%5B"),
                Just("+"),
                Just("="),
                Just("&"),
            ],
            0..12,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_form_body_parses(body in ".{0,200}", keys in prop::collection::vec((key(), ".{0,8}"), 0..12)) {
            let built: Vec<String> = keys.iter().map(|(k, v)| format!("{k}={v}")).collect();
            for text in [body, built.join("&")] {
                let m = nest(parse_form_pairs(&text));
                for v in m.values() {
                    prop_assert!(depth(v) <= MAX_NESTING);
                }
            }
        }

        #[test]
        fn plain_fields_and_lists_keep_their_values(
            plain in prop::collection::vec(("[a-z]{1,3}", "[^&=%+]{0,6}"), 0..8),
            list in prop::collection::vec("[^&=%+]{0,6}", 1..6),
        ) {
            let mut pairs: Vec<(String, String)> = plain.clone();
            pairs.extend(list.iter().map(|v| ("L[]".to_string(), v.clone())));
            let m = nest(pairs);
            for (k, _) in &plain {
                let last = plain.iter().rev().find(|(k2, _)| k2 == k).unwrap();
                prop_assert_eq!(&m[k], &Value::String(last.1.clone()));
            }
            prop_assert_eq!(&m["L"], &json!(list));
        }
    }

    #[test]
    fn deep_nesting_is_dropped_not_a_stack_overflow() {
        let deep = format!("a{}", "[b]".repeat(300_000));
        let m = nest(vec![(deep, "x".into()), ("ok".into(), "1".into())]);
        assert!(!m.contains_key("a"));
        assert_eq!(m["ok"], "1");
        let edge = format!("e{}", "[b]".repeat(MAX_NESTING));
        assert!(nest(vec![(edge, "x".into())]).contains_key("e"));
    }
}
