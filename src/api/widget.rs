//! The visitor side, used by the chat widget: a visitor token (bearer
//! `fpv_...`) reaches only that visitor's own record and conversations.

use super::auth::Caller;
use super::rest::{created, ok, ReadMark, Typing};
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::desk::conversations::ConversationInput;
use crate::desk::conversations::Filter;
use crate::desk::messages::MessageInput;
use crate::desk::users::UserFields;
use crate::error::{Error, Result};
use crate::http::ratelimit;
use crate::http::request::Ctx;
use crate::http::response::Resp;
use serde::Deserialize;
use serde_json::{json, Value};

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[
    r("GET", "/api/v1/widget/automations", Public, automations),
    r(
        "POST",
        "/api/v1/widget/automations/run",
        Visitor,
        run_automation,
    ),
    r("POST", "/api/v1/widget/session", Public, session),
    r("DELETE", "/api/v1/widget/session", Visitor, end_session),
    r("GET", "/api/v1/widget/me", Visitor, me),
    r("PATCH", "/api/v1/widget/me", Visitor, update_me),
    r("GET", "/api/v1/widget/status", Public, status),
    r("GET", "/api/v1/widget/config", Public, config),
    r("POST", "/api/v1/widget/identify", Visitor, identify),
    r(
        "POST",
        "/api/v1/widget/uploads",
        Visitor,
        super::rest::upload,
    ),
    r(
        "GET",
        "/api/v1/widget/conversations",
        Visitor,
        conversations,
    ),
    r(
        "POST",
        "/api/v1/widget/conversations",
        Visitor,
        open_conversation,
    ),
    r(
        "GET",
        "/api/v1/widget/conversations/{id}",
        Visitor,
        conversation,
    ),
    r(
        "GET",
        "/api/v1/widget/conversations/{id}/messages",
        Visitor,
        history,
    ),
    r(
        "POST",
        "/api/v1/widget/conversations/{id}/messages",
        Visitor,
        post_message,
    ),
    r(
        "POST",
        "/api/v1/widget/conversations/{id}/read",
        Visitor,
        mark_read,
    ),
    r(
        "POST",
        "/api/v1/widget/conversations/{id}/delivered",
        Visitor,
        mark_delivered,
    ),
    r(
        "POST",
        "/api/v1/widget/conversations/{id}/typing",
        Visitor,
        typing,
    ),
    r(
        "POST",
        "/api/v1/widget/conversations/{id}/rating",
        Visitor,
        rate,
    ),
    r(
        "POST",
        "/api/v1/widget/conversations/{id}/transcript",
        Visitor,
        transcript,
    ),
];

fn visitor(caller: &Caller) -> Result<(&crate::desk::Actor, &crate::desk::users::User, &str)> {
    match caller {
        Caller::Visitor { actor, user, token } => Ok((actor, user, token)),
        _ => Err(Error::forbidden("visitor token required")),
    }
}

/// A user record as a visitor's frame gets it: an uploaded avatar signed,
/// since an `<img>` cannot send the visitor's token (staff read the bare
/// link with their session cookie).
fn signed_avatar(app: &App, mut user: Value) -> Value {
    let links = &app.desk.links;
    links.sign_field(user.get_mut("avatar"), links.frame_exp());
    user
}

pub fn session(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    let fields: UserFields = ctx.json()?;
    app.limits.check(
        &format!("visitor-session:{}", ctx.ip),
        ratelimit::VISITOR_SESSION_PER_IP,
    )?;
    app.desk.refuse_blocked_address(&ctx.ip)?;
    let (token, user) = app.desk.create_visitor(fields)?;
    app.desk.visitor_arrives(user.id, &ctx.ip)?;
    created(json!({ "token": token, "user": signed_avatar(app, user.to_json()) }))
}

pub fn end_session(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let (_, _, token) = visitor(caller)?;
    app.desk.end_visitor(token)?;
    Ok(Resp::empty().into())
}

pub fn me(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let (_, user, _) = visitor(caller)?;
    ok(json!({ "user": signed_avatar(app, user.to_json()) }))
}

pub fn update_me(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let (_, user, _) = visitor(caller)?;
    let fields: UserFields = ctx.json()?;
    let user = app.desk.update_self_visitor(user, fields)?;
    ok(json!({ "user": signed_avatar(app, user.to_json()) }))
}

/// Whether anyone is there to answer (the widget shows the offline form if not).
pub fn status(app: &App, _: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    let staff = app.desk.online_staff()?;
    ok(
        json!({ "online": !staff.is_empty(), "agents": staff.iter().map(|u| signed_avatar(app, u.public_json())).collect::<Vec<_>>() }),
    )
}

/// Colours, titles, forms and whether anyone is online: everything the
/// widget draws before the visitor types.
pub fn config(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    ok(app
        .desk
        .widget_config(ctx.q("lang").filter(|l| !l.is_empty()))?)
}

pub fn identify(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let (_, user, token) = visitor(caller)?;
    let input: crate::desk::widget::Identify = ctx.json()?;
    let (user, merged) = app.desk.identify_visitor(user, token, input)?;
    ok(json!({ "user": signed_avatar(app, user.to_json()), "merged": merged }))
}

pub fn conversations(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let (actor, _, _) = visitor(caller)?;
    let (limit, offset) = ctx.page(20, 100)?;
    let convs = app.desk.list_conversations(
        actor,
        Filter {
            limit,
            offset,
            ..Default::default()
        },
    )?;
    ok(json!({ "conversations": convs.iter().map(|c| c.visitor_json()).collect::<Vec<_>>() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Open {
    title: Option<String>,
    department_id: Option<i64>,
    message: Option<MessageInput>,
}

pub fn open_conversation(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let (actor, _, _) = visitor(caller)?;
    let o: Open = ctx.json()?;
    app.limits.check(
        &format!("visitor-conv:{}", actor.user_id),
        ratelimit::VISITOR_CONVERSATION,
    )?;
    app.limits.check(
        &format!("visitor-conv-ip:{}", ctx.ip),
        ratelimit::CONVERSATION_PER_IP,
    )?;
    if o.message.is_some() {
        app.limits.check(
            &format!("visitor-msg:{}", actor.user_id),
            ratelimit::VISITOR_MESSAGE,
        )?;
    }
    let input = ConversationInput {
        title: o.title,
        department_id: o.department_id,
        message: o.message,
        ..Default::default()
    };
    let (c, mut m, new) = app.desk.create_conversation_once(actor, input)?;
    if let Some(m) = &mut m {
        super::rest::sign_message(app, m);
    }
    let body = json!({ "conversation": c.visitor_json(), "message": m });
    if new {
        created(body)
    } else {
        ok(body)
    }
}

pub fn conversation(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let (actor, _, _) = visitor(caller)?;
    let c = app.desk.conversation(actor, ids[0])?;
    let messages = app.desk.history(actor, ids[0], None, 50)?;
    ok(json!({
        "conversation": c.visitor_json(),
        "participants": app.desk.participants(actor, ids[0])?.into_iter().map(|u| signed_avatar(app, u)).collect::<Vec<_>>(),
        "messages": messages.iter().map(|m| super::rest::message_json(app, m)).collect::<Vec<Value>>(),
        "timeline": app.desk.timeline(actor, ids[0])?,
    }))
}

pub fn history(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    visitor(caller)?;
    super::rest::history(app, ctx, caller, ids)
}

pub fn post_message(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let (actor, _, _) = visitor(caller)?;
    let input: MessageInput = ctx.json()?;
    app.limits.check(
        &format!("visitor-msg:{}", actor.user_id),
        ratelimit::VISITOR_MESSAGE,
    )?;
    let (m, new) = app.desk.post_message_once(actor, ids[0], input)?;
    let body = json!({ "message": super::rest::message_json(app, &m) });
    if new {
        created(body)
    } else {
        ok(body)
    }
}

pub fn mark_read(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let (actor, _, _) = visitor(caller)?;
    let r: ReadMark = ctx.json()?;
    ok(json!({ "marked": app.desk.mark_read(actor, ids[0], r.message_id)? }))
}

pub fn mark_delivered(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let (actor, _, _) = visitor(caller)?;
    let r: ReadMark = ctx.json()?;
    ok(json!({ "marked": app.desk.mark_delivered(actor, ids[0], r.message_id)? }))
}

pub fn typing(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let (actor, _, _) = visitor(caller)?;
    let t: Typing = ctx.json()?;
    app.desk.typing(actor, ids[0], t.typing)?;
    Ok(Resp::empty().into())
}

pub fn rate(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let (actor, _, _) = visitor(caller)?;
    let r: crate::desk::widget::Rating = ctx.json()?;
    ok(json!({ "rating": app.desk.rate_conversation(actor, ids[0], r)? }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TranscriptRequest {
    email: Option<String>,
}

/// "Email me the transcript": queued in the outbox.
pub fn transcript(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let (actor, _, _) = visitor(caller)?;
    let t: TranscriptRequest = ctx.json()?;
    app.limits.check(
        &format!("visitor-msg:{}", actor.user_id),
        ratelimit::VISITOR_MESSAGE,
    )?;
    Ok(Resp::json(202, &app.desk.request_transcript(actor, ids[0], t.email)?).into())
}

/// `GET /widget/automations?language=`: the pop-ups, designs and chat
/// messages for this page, with the client-side conditions left to check.
pub fn automations(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let user = match caller {
        Caller::Visitor { user, .. } => Some(user.as_ref()),
        _ => None,
    };
    let list = app.desk.widget_automations(user, ctx.q("language"))?;
    ok(json!({ "automations": list }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunAutomation {
    id: String,
}

/// `POST /widget/automations/run`: the widget found a chat-message
/// automation's conditions met; the bot's message goes to this visitor.
pub fn run_automation(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let (_, user, _) = visitor(caller)?;
    let r: RunAutomation = ctx.json()?;
    // It may open a conversation (for a visitor without one): the address's
    // conversation bound applies, as when the visitor opens one.
    app.limits.check(
        &format!("visitor-conv-ip:{}", ctx.ip),
        ratelimit::CONVERSATION_PER_IP,
    )?;
    let conversation = app.desk.run_widget_automation(user, &r.id)?;
    ok(json!({ "conversation_id": conversation }))
}
