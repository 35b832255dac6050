//! ChatShipper's API (`/v2`): conversations and messages in ChatShipper's
//! shapes, ids written as strings, commands posted as `"type": "command"`
//! messages. Authorised by an API token (or a staff session) as a bearer.
//!
//! `transport.rs` authenticates, reads ids and spells errors;
//! `records.rs` shapes the records; this file holds the routes. Every
//! read is a desk verb scoped by the caller.

mod records;
mod transport;

use super::auth::Caller;
use super::rest::sign_message;
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::desk::commands::{actions, forms, CommandInput};
use crate::desk::conversations::Conversation;
use crate::desk::messages::{Message, MessageInput};
use crate::desk::Actor;
use crate::error::{self, Result};
use crate::http::request::Ctx;
use crate::http::response::Resp;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The routes of this surface, joined in `api::TABLES`. `{name}` takes
/// any segment, so a non-numeric id is ChatShipper's 404, not ours.
pub(super) const ROUTES: &[Route] = &[
    r(
        "POST",
        "/v2/conversations/{name}/messages",
        Public,
        post_messages,
    ),
    r("GET", "/v2/conversations/{name}", Public, get_conversation),
    r("GET", "/v2/messages/{name}", Public, get_message),
];

/// At most this many messages in one POST (ChatShipper takes an array).
const MAX_BATCH: usize = 20;
/// A conversation shows its newest messages, at most this many.
const MAX_MESSAGES: i64 = 200;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMessage {
    #[serde(rename = "type", default = "chat")]
    kind: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    meta: Value,
    user: Option<Value>,
    /// ChatShipper's backchannel: not sent to the contact (a note here).
    #[serde(rename = "isBackchannel", default)]
    backchannel: bool,
    /// Accepted as ChatShipper clients send them; the path names the
    /// conversation and the sender decides the role.
    #[allow(dead_code)]
    conversation: Option<Value>,
    #[allow(dead_code)]
    role: Option<String>,
    #[serde(rename = "contentType")]
    content_type: Option<String>,
}

fn chat() -> String {
    "chat".into()
}

/// A message checked for shape, before anything runs.
struct Checked {
    kind: String,
    text: String,
    meta: Map<String, Value>,
    user: Option<i64>,
    backchannel: bool,
}

fn check(m: NewMessage) -> Result<Checked> {
    if !matches!(m.kind.as_str(), "command" | "chat") {
        return Err(error::UNSUPPORTED_MESSAGE_TYPE.with(format!(
            "type {:?} is not taken here: this server takes \"chat\" and \"command\"",
            m.kind
        )));
    }
    if m.content_type.as_deref().is_some_and(|t| t != "text/plain") {
        return Err(error::INVALID_FIELD.with("contentType must be text/plain"));
    }
    let meta = match m.meta {
        Value::Null => Map::new(),
        Value::Object(o) => o,
        _ => return Err(error::INVALID_FIELD.with("meta must be an object")),
    };
    let user = match m.user {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.trim().parse::<i64>().ok()),
        Some(Value::Number(n)) => Some(n.as_i64()),
        Some(_) => Some(None),
    }
    .map(|u| u.ok_or_else(|| error::INVALID_USER.with("user must be a user id")))
    .transpose()?;
    Ok(Checked {
        kind: m.kind,
        text: m.text,
        meta,
        user,
        backchannel: m.backchannel,
    })
}

/// `POST /v2/conversations/{id}/messages`: one message or an array, each
/// a command or a chat message; 201 with the message(s) as ChatShipper
/// shows them (a command answers its note).
fn post_messages(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    transport::answer((|| {
        let actor = transport::actor(app, ctx)?;
        let id = transport::id(ctx, 3, "conversation")?;
        app.desk.conversation(&actor, id)?;
        let body: Value = ctx.json()?;
        let (many, list) = match body {
            Value::Array(a) if a.is_empty() || a.len() > MAX_BATCH => {
                return Err(error::TOO_MANY.with(format!("send 1 to {MAX_BATCH} messages at once")))
            }
            Value::Array(a) => (true, a),
            one => (false, vec![one]),
        };
        let checked = list
            .into_iter()
            .map(|v| {
                serde_json::from_value::<NewMessage>(v)
                    .map_err(error::Error::from)
                    .and_then(check)
            })
            .collect::<Result<Vec<_>>>()?;
        // Each message is its own write (a command makes its own change),
        // so a batch that fails part way keeps what went before it: the
        // error names those messages, so a retry can leave them out.
        let (total, mut out, mut done) = (checked.len(), Vec::new(), Vec::new());
        for (i, m) in checked.into_iter().enumerate() {
            let posted = post_one(app, &actor, id, m).map_err(|mut e| {
                if !done.is_empty() {
                    e.message = format!(
                        "message {} of {total}: {}; the messages before it were posted: {}",
                        i + 1,
                        e.message,
                        done.join(", ")
                    );
                }
                e
            })?;
            done.push(posted.id.to_string());
            out.push(message_record(app, &actor, &posted)?);
        }
        let body = if many {
            Value::Array(out)
        } else {
            out.remove(0)
        };
        Ok(Resp::json(201, &body).into())
    })())
}

fn post_one(app: &App, actor: &Actor, id: i64, m: Checked) -> Result<Message> {
    if m.kind == "command" {
        let command = CommandInput {
            text: m.text,
            meta: m.meta,
            user: m.user,
            explicit: true,
            client_id: None,
        };
        let out = app
            .desk
            .run_command(actor, id, command)?
            .expect("an explicit command runs or fails");
        return Ok(out.command);
    }
    if let Some(uid) = m.user {
        // The sender: a staff member, or the conversation's own contact.
        let contact = app.desk.conversation(actor, id)?.user_id;
        let user = app.desk.find_user(actor, uid)?;
        if !user.is_some_and(|u| (u.is_staff() && !u.disabled) || u.id == contact) {
            return Err(error::INVALID_USER.with(format!(
                "user {uid} is neither an active staff member nor this conversation's contact"
            )));
        }
    }
    let mut payload = Map::new();
    if !m.meta.is_empty() {
        payload.insert("meta".into(), Value::Object(m.meta));
    }
    let input = MessageInput {
        body: m.text,
        payload: (!payload.is_empty()).then_some(payload),
        private: m.backchannel,
        user_id: m.user,
        literal: true,
        ..Default::default()
    };
    app.desk.post_message(actor, id, input)
}

/// A message in ChatShipper's shape, with its likes and comments.
fn message_record(app: &App, actor: &Actor, m: &Message) -> Result<Value> {
    let conv = app.desk.conversation(actor, m.conversation_id)?;
    record(app, &conv, m)
}

fn record(app: &App, conv: &Conversation, m: &Message) -> Result<Value> {
    let (likes, comments) = actions::likes_and_comments(&app.desk, m.id)?;
    let mut v = records::message(m, conv, &likes, &comments);
    sign_attachments(app, m, &mut v);
    Ok(v)
}

/// `GET /v2/messages/{id}`.
fn get_message(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    transport::answer((|| {
        let actor = transport::actor(app, ctx)?;
        let id = transport::id(ctx, 3, "message")?;
        let m = app.desk.message(&actor, id)?;
        Ok(Resp::json(200, &message_record(app, &actor, &m)?).into())
    })())
}

/// `GET /v2/conversations/{id}`: the conversation with its participants,
/// forms, results, channels and newest messages.
fn get_conversation(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    transport::answer((|| {
        let actor = transport::actor(app, ctx)?;
        let id = transport::id(ctx, 3, "conversation")?;
        let conv = app.desk.conversation(&actor, id)?;
        let participants = app.desk.participants(&actor, id)?;
        let contact = app.desk.find_user(&actor, conv.user_id)?;
        let agent = match conv.agent_id {
            Some(a) => app.desk.find_user(&actor, a)?,
            None => None,
        };
        let state = app.desk.command_state(&actor, id)?;
        let (forms, results) = forms::forms_and_results(&app.desk, id)?;
        let mut messages = Vec::new();
        let mut list = app.desk.history(&actor, id, None, MAX_MESSAGES)?;
        list.retain(|m| m.deleted_at.is_none());
        list.sort_by_key(|m| (m.created_at, m.id));
        for m in &list {
            messages.push(record(app, &conv, m)?);
        }
        let record = records::conversation(records::ConversationParts {
            conv: &conv,
            participants: &participants,
            contact: contact.as_ref(),
            agent: agent.as_ref(),
            category: state.category,
            forms,
            results,
            channels: state.channels,
            offline: state.offline,
            messages,
        });
        Ok(Resp::json(200, &record).into())
    })())
}

/// ChatShipper's message has no attachments; a message that has some
/// gets them (signed like REST's) beside its text.
fn sign_attachments(app: &App, m: &Message, v: &mut Value) {
    if m.attachments.as_array().is_some_and(|a| !a.is_empty()) {
        let mut full = json!({ "attachments": m.attachments, "sender": null });
        sign_message(app, &mut full);
        v["attachments"] = full["attachments"].take();
    }
}
