//! Support Board's message functions: sending, editing, read marks, internal notes, typing, direct messages.

use super::records::*;
use super::transport::Args;
use super::Function;
use crate::app::App;
use crate::desk::messages::Message;
use crate::desk::messages::{MessageEdit, MessageInput};
use crate::desk::Role;
use crate::desk::{Actor, Sent};
use crate::error::{self, Result};
use crate::util::sql_datetime;
use serde_json::{json, Map, Value};

pub(super) const FUNCTIONS: &[(&str, Function)] = &[
    ("get-new-messages", get_new_messages),
    ("send-message", send_message),
    ("update-message", update_message),
    ("delete-message", delete_message),
    ("update-messages-status", update_messages_status),
    ("get-notes", get_notes),
    ("add-note", add_note),
    ("delete-note", delete_note),
    ("set-typing", set_typing),
    ("is-typing", is_typing),
    ("is-agent-typing", is_agent_typing),
    ("direct-message", direct_message),
];

fn get_new_messages(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let id = a.need_id("conversation_id", &error::MISSING_CONVERSATION_ID)?;
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

fn send_message(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let conversation_id = a.need_id("conversation_id", &error::MISSING_USER_ID_OR_MESSAGE)?;
    let user_id = a.need_id("user_id", &error::MISSING_USER_ID_OR_MESSAGE)?;
    let body = a.str("message").unwrap_or_default();
    let attachments = a
        .json("attachments")
        .map(|v| attachments_arg(&v))
        .unwrap_or_default();
    if body.trim().is_empty() && attachments.is_empty() {
        return Err(error::MISSING_USER_ID_OR_MESSAGE.with("message is required"));
    }
    let status = match a.str("conversation_status_code").as_deref() {
        None | Some("") | Some("false") | Some("skip") => None,
        Some(code) => Some(status_code(code).ok_or_else(|| {
            error::INVALID_STATUS.with("conversation_status_code must be 0 to 4 or skip")
        })?),
    };
    // recipient_id picks the language of Support Board's
    // translations; Frontporch keeps messages as written, so it is
    // only checked. There is no queue: `queue` is always false.
    if let Some(rid) = a.id("recipient_id")? {
        if desk.find_user(actor, rid)?.is_none() {
            return Err(error::USER_NOT_FOUND.err());
        }
    }
    let input = MessageInput {
        body,
        attachments,
        payload: a.json("payload").and_then(|v| v.as_object().cloned()),
        private: false,
        user_id: Some(user_id),
        status: status.map(Sent::from),
        keep_status: a.str("conversation_status_code").as_deref() == Some("skip"),
        client_id: None,
        literal: false,
    };
    let m = desk.post_message(actor, conversation_id, input)?;
    ok(json!({ "status": "success", "message-id": m.id, "queue": false, "notifications": [] }))
}

fn update_message(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let m = desk.message(actor, a.need_id("message_id", &error::MISSING_MESSAGE_ID)?)?;
    let edit = MessageEdit {
        body: a.str("message").unwrap_or_default(),
        attachments: a.json("attachments").map(|v| attachments_arg(&v)),
        payload: a.json("payload").and_then(|v| v.as_object().cloned()),
    };
    desk.edit_message(actor, m.conversation_id, m.id, edit)?;
    ok(Value::Bool(true))
}

fn delete_message(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let m = desk.message(actor, a.need_id("message_id", &error::MISSING_MESSAGE_ID)?)?;
    desk.delete_message(actor, m.conversation_id, m.id)?;
    ok(Value::Bool(true))
}

fn update_messages_status(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let ids = a.need_ids("message_ids", &error::MISSING_MESSAGE_IDS)?;
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

/// Internal notes are Frontporch's private messages; the note's name
/// rides in the payload.
fn get_notes(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let id = a.need_id("conversation_id", &error::MISSING_CONVERSATION_ID)?;
    let notes: Vec<Value> = desk.all_messages(actor, id)?.iter()
                .filter(|m| m.private && m.deleted_at.is_none())
                .map(|m| json!({ "id": m.id, "user_id": opt_s(m.user_id), "name": m.payload["note_name"].as_str().unwrap_or(""), "message": m.body }))
                .collect();
    ok(Value::Array(notes))
}

fn add_note(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let id = a.need_id("conversation_id", &error::MISSING_CONVERSATION_ID)?;
    let mut payload = Map::new();
    payload.insert("note_name".into(), json!(a.str("name").unwrap_or_default()));
    let input = MessageInput {
        body: a.str("message").unwrap_or_default(),
        private: true,
        user_id: a.id("user_id")?,
        payload: Some(payload),
        literal: true,
        ..Default::default()
    };
    ok(json!(desk.post_message(actor, id, input)?.id))
}

fn delete_note(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let id = a.need_id("conversation_id", &error::MISSING_CONVERSATION_ID)?;
    let note = desk.message(actor, a.need_id("note_id", &error::MISSING_NOTE_ID)?)?;
    if note.conversation_id != id || !note.private {
        return Err(error::NOTE_NOT_FOUND.err());
    }
    desk.delete_message(actor, id, note.id)?;
    ok(Value::Bool(true))
}

fn set_typing(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let user = desk.user(actor, a.need_id("user_id", &error::MISSING_USER_ID)?)?;
    let conversation = a.need_id("conversation_id", &error::MISSING_CONVERSATION_ID)?;
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

fn is_typing(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let user = a.need_id("user_id", &error::MISSING_USER_ID)?;
    let now = desk.typing_now(
        actor,
        a.need_id("conversation_id", &error::MISSING_CONVERSATION_ID)?,
    )?;
    ok(Value::Bool(now.iter().any(|(u, _)| *u == user)))
}

fn is_agent_typing(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let now = desk.typing_now(
        actor,
        a.need_id("conversation_id", &error::MISSING_CONVERSATION_ID)?,
    )?;
    match now.iter().find(|(_, staff)| *staff) {
        Some((id, _)) => {
            let u = desk.user(actor, *id)?;
            ok(json!({ "id": s(u.id), "first_name": u.first_name, "last_name": u.last_name }))
        }
        // The seed: "Return false if no agents are typing."
        None => ok(Value::Bool(false)),
    }
}

fn direct_message(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let message = a
        .str("message")
        .filter(|m| !m.trim().is_empty())
        .ok_or_else(|| error::MISSING_ARGUMENTS.with("message is required"))?;
    let ids = a.ids("user_ids").unwrap_or_default();
    if ids.is_empty() {
        return Err(error::MISSING_USER_IDS.err());
    }
    let subject = a.str("subject").filter(|v| v != "false");
    desk.direct_message(actor, &ids, &message, subject)?;
    ok(Value::Bool(true))
}
