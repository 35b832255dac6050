//! Support Board's conversation functions: lists as the inbox shows them, status, department and agent, ratings and transcripts.

use super::records::*;
use super::transport::Args;
use super::Function;
use crate::app::App;
use crate::desk::conversations::{Conversation, Filter};
use crate::desk::conversations::{ConversationInput, ConversationPatch, Status};
use crate::desk::messages::{MessageEdit, MessageInput};
use crate::desk::{Actor, Sent};
use crate::error::{self, Error, Kind, Result};
use crate::util::sql_datetime;
use serde_json::{json, Map, Value};

pub(super) const FUNCTIONS: &[(&str, Function)] = &[
    ("get-conversation", get_conversation),
    ("get-conversations", get_conversations),
    ("get-user-conversations", get_user_conversations),
    ("get-new-user-conversations", get_new_user_conversations),
    ("get-new-conversations", get_new_conversations),
    ("search-user-conversations", search_user_conversations),
    ("search-conversations", search_conversations),
    (
        "check-conversations-assignment",
        check_conversations_assignment,
    ),
    ("count-conversations", count_conversations),
    ("new-conversation", new_conversation),
    ("update-conversation-status", update_conversation_status),
    (
        "update-conversation-department",
        update_conversation_department,
    ),
    ("update-conversation-agent", update_conversation_agent),
    ("get-user-from-conversation", get_user_from_conversation),
    ("get-agents-in-conversation", get_agents_in_conversation),
    ("get-rating", get_rating),
    ("set-rating", set_rating),
    ("transcript", transcript),
];

fn get_conversation(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let id = a.need_id("conversation_id", &error::MISSING_CONVERSATION_ID)?;
    // With user_id, only that user's conversation is found.
    let owner = a.id("user_id")?;
    let found = desk.conversation(actor, id).and_then(|c| match owner {
        Some(u) if u != c.user_id => Err(Error::not_found("conversation")),
        _ => Ok(c),
    });
    match found {
        Ok(c) => {
            let u = desk.user(actor, c.user_id)?;
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

fn get_conversations(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
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

fn get_user_conversations(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let user_id = a.need_id("user_id", &error::MISSING_USER_ID)?;
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

fn get_new_user_conversations(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let user_id = a.need_id("user_id", &error::MISSING_USER_ID)?;
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

fn get_new_conversations(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
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

fn search_user_conversations(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let user_id = a.need_id("id", &error::MISSING_USER_ID)?;
    search(app, actor, a, Some(user_id))
}

fn search_conversations(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    search(app, actor, a, None)
}

/// `search` over every conversation, or one user's; nothing for no words.
fn search(app: &App, actor: &Actor, a: &Args, user_id: Option<i64>) -> Result<Value> {
    let q = a.str("search").unwrap_or_default();
    if q.trim().is_empty() {
        return ok(json!([]));
    }
    let filter = Filter {
        user_id,
        search: Some(q),
        limit: 100,
        ..Default::default()
    };
    conversation_rows(app, actor, app.desk.list_conversations(actor, filter)?)
}

fn check_conversations_assignment(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
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

fn count_conversations(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
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

fn new_conversation(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let user_id = a.need_id("user_id", &error::USER_NOT_FOUND)?;
    if desk.find_user(actor, user_id)?.is_none() {
        return Err(error::USER_NOT_FOUND.err());
    }
    let status = match a
        .str("status_code")
        .filter(|v| !v.is_empty() && v != "false")
    {
        Some(code) => Sent::read(
            code.parse()
                .map_err(|_| error::INVALID_STATUS.with("bad status_code"))?,
        ),
        None => Status::Live.into(),
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
    let u = desk.user(actor, c.user_id)?;
    ok(json!({ "messages": [], "details": conversation_details(&c, &u) }))
}

fn update_conversation_status(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let id = a.need_id("conversation_id", &error::MISSING_CONVERSATION_ID)?;
    let status = a
        .str("status_code")
        .and_then(|v| status_code(&v))
        .ok_or_else(|| error::INVALID_STATUS.with("status_code must be 0 to 4"))?;
    desk.update_conversation(
        actor,
        id,
        ConversationPatch {
            status: Some(status.into()),
            ..Default::default()
        },
    )?;
    ok(Value::Bool(true))
}

fn update_conversation_department(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let id = a.need_id("conversation_id", &error::MISSING_CONVERSATION_ID)?;
    let patch = ConversationPatch {
        department_id: Some(a.id("department")?),
        ..Default::default()
    };
    reassign(app, actor, a, id, patch)
}

fn update_conversation_agent(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let id = a.need_id("conversation_id", &error::MISSING_CONVERSATION_ID)?;
    let patch = ConversationPatch {
        agent_id: Some(a.id("agent_id")?),
        ..Default::default()
    };
    reassign(app, actor, a, id, patch)
}

/// A new department or agent, and the `message` that goes with it.
fn reassign(
    app: &App,
    actor: &Actor,
    a: &Args,
    id: i64,
    patch: ConversationPatch,
) -> Result<Value> {
    app.desk.update_conversation(actor, id, patch)?;
    note_for_agents(&app.desk, actor, id, a.str("message"))?;
    ok(Value::Bool(true))
}

fn get_user_from_conversation(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let c = desk.conversation(
        actor,
        a.need_id("conversation_id", &error::MISSING_CONVERSATION_ID)?,
    )?;
    let id = if a.flag("agent") {
        desk.last_agent(actor, c.id)?
    } else {
        Some(c.user_id)
    };
    match id {
        Some(id) => {
            let u = desk.user(actor, id)?;
            ok(json!({ "id": s(u.id), "email": u.email.unwrap_or_default() }))
        }
        None => ok(Value::Bool(false)),
    }
}

fn get_agents_in_conversation(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let ids = a.need_ids("conversation_id", &error::MISSING_CONVERSATION_ID)?;
    let mut out = Map::new();
    for id in ids {
        let mut agents: Vec<Value> = Vec::new();
        for m in desk.all_messages(actor, id)? {
            let Some((t, first, last, avatar)) = &m.sender else {
                continue;
            };
            if t.is_agent() && !agents.iter().any(|x| x["id"] == json!(m.user_id)) {
                agents.push(json!({ "id": m.user_id, "first_name": first, "last_name": last,
                            "profile_image": avatar.clone().unwrap_or_default(), "conversation_id": id }));
            }
        }
        out.insert(id.to_string(), Value::Array(agents));
    }
    ok(Value::Object(out))
}

fn get_rating(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let agent = a.need_id("user_id", &error::MISSING_USER_ID)?;
    let (positive, negative) = desk.agent_ratings(actor, agent)?;
    ok(json!([positive, negative]))
}

fn set_rating(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let settings = a.json("settings").unwrap_or(Value::Null);
    let inner = settings.get("settings").cloned().unwrap_or(settings);
    let num = |v: &Value| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    };
    let id = num(&inner["conversation_id"]).ok_or_else(|| error::MISSING_CONVERSATION_ID.err())?;
    let rating = match num(&inner["rating"]) {
        Some(r) if r > 0 => 1,
        Some(_) => -1,
        None => return Err(error::INVALID_RATING.with("settings.rating is required")),
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

fn transcript(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let id = a.need_id("conversation_id", &error::MISSING_CONVERSATION_ID)?;
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
    ok(file_url(app, &file))
}

/// `status_code`: one status, or the inbox (live and both waiting states).
pub(super) fn statuses(a: &Args) -> Result<Vec<Status>> {
    match a
        .str("status_code")
        .filter(|v| !v.is_empty() && v != "false")
    {
        Some(code) => Ok(vec![status_code(&code).ok_or_else(|| {
            error::INVALID_STATUS.with("status_code must be 0 to 4")
        })?]),
        None => Ok(Status::INBOX.to_vec()),
    }
}

/// The `message` of a reassignment: Support Board notifies the agents by
/// email, push and SMS; here it becomes an internal note on the
/// conversation, which the inbox shows (and notifies) live.
pub(super) fn note_for_agents(
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
pub(super) fn newer_than(c: &Conversation, since: &str) -> bool {
    match since.trim().parse::<i64>() {
        Ok(id) => c.id > id,
        Err(_) => sql_datetime(c.updated_at).as_str() > since.trim(),
    }
}

/// Conversations as Support Board lists them: the last message, with the
/// conversation's user and status.
pub(super) fn conversation_rows(
    app: &App,
    actor: &Actor,
    convs: Vec<Conversation>,
) -> Result<Value> {
    let mut out = Vec::new();
    for c in convs {
        let u = app.desk.user(actor, c.user_id)?;
        let last = app.desk.history(actor, c.id, None, 1)?;
        let mut rec = match last.first() {
            Some(m) => message_record(&app.desk.links, m),
            None => {
                json!({ "id": "", "user_id": s(c.user_id), "message": "", "creation_time": sql_datetime(c.created_at),
                "attachments": "", "status_code": "0", "payload": "", "conversation_id": s(c.id) })
            }
        };
        rec["message_user_type"] = rec.get("user_type").cloned().unwrap_or(json!(u.user_type));
        rec["first_name"] = json!(u.first_name);
        rec["last_name"] = json!(u.last_name);
        rec["profile_image"] = json!(u.profile_image.clone().unwrap_or_default());
        rec["conversation_status_code"] = s(c.status.code());
        rec["user_type"] = json!(u.user_type);
        out.push(rec);
    }
    Ok(Value::Array(out))
}
