//! Frontporch's own REST API, `/api/v1/...`: JSON in and out, bearer API
//! tokens or a staff session cookie. Documented in `openapi.json`.

use super::auth::{Caller, SESSION_COOKIE};
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::desk::auth::SESSION_DAYS;
use crate::desk::conversations::{ConversationInput, ConversationPatch};
use crate::desk::conversations::{Filter, Status};
use crate::desk::messages::MessageInput;
use crate::desk::users::UserFields;
use crate::desk::{check_status, Role, Sent};
use crate::error::{self, Result};
use crate::http::ratelimit;
use crate::http::request::Ctx;
use crate::http::response::Resp;
use crate::realtime::{Credential, Viewer};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[
    r("POST", "/api/v1/auth/login", Public, login),
    r("POST", "/api/v1/auth/logout", Staff, logout),
    r("GET", "/api/v1/me", Staff, me),
    r("PUT", "/api/v1/me/presence", Staff, set_presence),
    r("GET", "/api/v1/presence", Staff, presence),
    r("GET", "/api/v1/users", Staff, list_users),
    r("POST", "/api/v1/users", Staff, create_user),
    r("GET", "/api/v1/users/{id}", Staff, get_user),
    r("PATCH", "/api/v1/users/{id}", Staff, update_user),
    r("DELETE", "/api/v1/users/{id}", Staff, delete_user),
    r("GET", "/api/v1/conversations", Staff, list_conversations),
    r("POST", "/api/v1/conversations", Staff, create_conversation),
    r("GET", "/api/v1/conversations/{id}", Staff, get_conversation),
    r(
        "PATCH",
        "/api/v1/conversations/{id}",
        Staff,
        update_conversation,
    ),
    r(
        "DELETE",
        "/api/v1/conversations/{id}",
        Staff,
        delete_conversation,
    ),
    r("GET", "/api/v1/conversations/{id}/messages", Staff, history),
    r(
        "POST",
        "/api/v1/conversations/{id}/messages",
        Staff,
        post_message,
    ),
    r(
        "PATCH",
        "/api/v1/conversations/{id}/messages/{id}",
        Staff,
        edit_message,
    ),
    r(
        "DELETE",
        "/api/v1/conversations/{id}/messages/{id}",
        Staff,
        delete_message,
    ),
    r("POST", "/api/v1/conversations/{id}/read", Staff, mark_read),
    r(
        "POST",
        "/api/v1/conversations/{id}/delivered",
        Staff,
        mark_delivered,
    ),
    r("POST", "/api/v1/conversations/{id}/typing", Staff, typing),
    r("GET", "/api/v1/search", Staff, search),
    r("POST", "/api/v1/uploads", Staff, upload),
    r("GET", "/api/v1/departments", Staff, departments),
    r("POST", "/api/v1/departments", Admin, create_department),
    r(
        "PATCH",
        "/api/v1/departments/{id}",
        Admin,
        update_department,
    ),
    r(
        "DELETE",
        "/api/v1/departments/{id}",
        Admin,
        delete_department,
    ),
    r("GET", "/api/v1/reports", Staff, report),
    r("GET", "/api/v1/settings", Staff, settings),
    r("PUT", "/api/v1/settings", Admin, save_settings),
    r("GET", "/api/v1/webhooks", Admin, webhooks),
    r("POST", "/api/v1/webhooks", Admin, create_webhook),
    r("PATCH", "/api/v1/webhooks/{id}", Admin, update_webhook),
    r("DELETE", "/api/v1/webhooks/{id}", Admin, delete_webhook),
    r("GET", "/api/v1/webhooks/{id}/deliveries", Admin, deliveries),
    r("GET", "/api/v1/deliveries/{id}", Admin, delivery),
    r(
        "POST",
        "/api/v1/deliveries/{id}/replay",
        Admin,
        replay_delivery,
    ),
    r("GET", "/api/v1/tokens", Admin, tokens),
    r("POST", "/api/v1/tokens", Admin, create_token),
    r("DELETE", "/api/v1/tokens/{id}", Admin, revoke_token),
    r("GET", "/api/v1/events", Any, events),
    r("GET", "/api/v1/events/stream", Any, event_stream),
];

pub fn ok(v: Value) -> Result<Reply> {
    Ok(Resp::json(200, &v).into())
}

pub fn created(v: Value) -> Result<Reply> {
    Ok(Resp::json(201, &v).into())
}

/// A message as its reader gets it: attachment links signed for the frames
/// (fresh on every read; `links` explains why).
pub fn message_json(app: &App, m: &crate::desk::messages::Message) -> Value {
    let mut v = m.to_json();
    sign_message(app, &mut v);
    v
}

/// Signs an already rendered message (or leaves `null` alone).
pub fn sign_message(app: &App, v: &mut Value) {
    let links = &app.desk.links;
    links.sign_message(v, links.frame_exp());
}

fn list<T>(items: &[T], f: impl Fn(&T) -> Value) -> Value {
    Value::Array(items.iter().map(f).collect())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    email: String,
    password: String,
    /// Logging in inside the embedded inbox (a third-party frame).
    #[serde(default)]
    embed: bool,
}

pub fn login(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    let body: Login = ctx.json()?;
    app.limits
        .check(&format!("login-ip:{}", ctx.ip), ratelimit::LOGIN_PER_IP)?;
    app.limits.check(
        &format!("login-account:{}", body.email.trim().to_lowercase()),
        ratelimit::LOGIN_PER_ACCOUNT,
    )?;
    let s = app.desk.login(&body.email, &body.password, None)?;
    if body.embed {
        return super::embed::embedded_login(&s, SESSION_DAYS * 86_400);
    }
    let secure = if app.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        s.token,
        SESSION_DAYS * 86_400
    );
    Ok(Resp::json(
        200,
        &json!({ "user": s.user.to_json(), "csrf_token": s.csrf }),
    )
    .with_header("Set-Cookie", cookie)
    .into())
}

pub fn logout(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    if let Caller::Staff {
        session: Some(token),
        ..
    } = caller
    {
        app.desk.logout(token)?;
    }
    Ok(Resp::empty()
        .with_header(
            "Set-Cookie",
            format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
        )
        .with_header("Set-Cookie", super::auth::embed_cookie("", 0))
        .into())
}

pub fn me(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let actor = caller.actor()?;
    let user = app.desk.user(actor, actor.user_id)?;
    let csrf = match caller {
        Caller::Staff {
            session: Some(s), ..
        } => app.desk.session(s).ok().flatten().map(|(_, c)| c),
        _ => None,
    };
    ok(json!({
        "user": user.to_json(),
        "role": if actor.role == Role::Admin { "admin" } else { "agent" },
        "csrf_token": csrf,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Presence {
    online: bool,
}

pub fn set_presence(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let p: Presence = ctx.json()?;
    app.desk.set_presence(caller.actor()?, p.online)?;
    ok(json!({ "online": p.online }))
}

pub fn presence(app: &App, _: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    let staff = app.desk.online_staff()?;
    ok(json!({ "online": list(&staff, |u| u.to_json()) }))
}

pub fn list_users(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let (limit, offset) = ctx.page(50, 200)?;
    let types: Vec<String> = ctx
        .q("type")
        .map(|t| t.split(',').map(String::from).collect())
        .unwrap_or_default();
    let users = app
        .desk
        .list_users(caller.actor()?, &types, ctx.q("search"), limit, offset)?;
    ok(json!({ "users": list(&users, |u| u.to_json()), "limit": limit, "offset": offset }))
}

pub fn create_user(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let f: UserFields = ctx.json()?;
    let user = app.desk.create_user(Some(caller.actor()?), f)?;
    created(json!({ "user": user.to_json() }))
}

pub fn get_user(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let user = app.desk.user(caller.actor()?, ids[0])?;
    ok(json!({ "user": user.to_json() }))
}

#[derive(Deserialize)]
struct UserPatch {
    #[serde(flatten)]
    fields: Map<String, Value>,
}

pub fn update_user(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let mut patch: UserPatch = ctx.json()?;
    // `disabled` is its own verb (it ends sessions); the rest are fields.
    let disabled = patch.fields.remove("disabled");
    let only_disabled = patch.fields.is_empty() && disabled.is_some();
    let fields: UserFields = serde_json::from_value(Value::Object(patch.fields))
        .map_err(|e| error::INVALID_FIELD.with(e.to_string()))?;
    let actor = caller.actor()?;
    // `{"disabled": ...}` alone is no field edit (and no user.updated
    // event before the one that disables).
    let mut user = if only_disabled {
        app.desk.user(actor, ids[0])?
    } else {
        app.desk.update_user(actor, ids[0], fields)?
    };
    if let Some(d) = disabled {
        let d = d
            .as_bool()
            .ok_or_else(|| error::INVALID_FIELD.with("disabled must be a boolean"))?;
        user = app.desk.set_disabled(actor, ids[0], d)?;
    }
    ok(json!({ "user": user.to_json() }))
}

pub fn delete_user(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    app.desk.delete_user(caller.actor()?, ids[0])?;
    Ok(Resp::empty().into())
}

/// `status` accepts numbers, names, or `inbox` (live + both waiting states).
/// Numbers that are no status are refused by `check_status`, after the
/// other parameters.
fn parse_statuses(v: Option<&str>) -> Result<Vec<Sent<Status>>> {
    let Some(v) = v else {
        return Ok(Status::INBOX.map(Sent::from).to_vec());
    };
    let mut out = Vec::new();
    for part in v.split(',') {
        match part {
            "all" => return Ok(vec![]),
            "inbox" => out.extend(Status::INBOX.map(Sent::from)),
            p => {
                let n = p
                    .parse::<i64>()
                    .ok()
                    .map(Sent::read)
                    .or_else(|| Status::from_name(p).map(Sent::from))
                    .ok_or_else(|| error::INVALID_STATUS.with(format!("unknown status {p:?}")))?;
                out.push(n);
            }
        }
    }
    Ok(out)
}

pub fn list_conversations(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let (limit, offset) = ctx.page(50, 100)?;
    let agent = ctx.q("agent_id");
    let statuses = parse_statuses(ctx.q("status"))?;
    let mut filter = Filter {
        department_id: ctx.q_i64("department_id")?,
        agent_id: if agent == Some("none") {
            None
        } else {
            ctx.q_i64("agent_id")?
        },
        unassigned: agent == Some("none"),
        source: ctx.q("source").map(String::from),
        user_id: ctx.q_i64("user_id")?,
        search: ctx.q("search").map(String::from),
        tag: ctx.q_i64("tag")?,
        limit,
        offset,
        ..Default::default()
    };
    filter.statuses = statuses.iter().map(check_status).collect::<Result<_>>()?;
    let actor = caller.actor()?;
    let mut convs = app.desk.list_conversations(actor, filter)?;
    app.desk.with_agent_view(actor, &mut convs)?;
    if let Some(q) = ctx.q("search") {
        app.desk.with_search_matches(actor, q, &mut convs)?;
    }
    let rows = super::tags::with_request_tags(app, actor, &convs)?;
    ok(json!({ "conversations": rows, "limit": limit, "offset": offset }))
}

pub fn create_conversation(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let input: ConversationInput = ctx.json()?;
    let (c, mut msg, new) = app.desk.create_conversation_once(caller.actor()?, input)?;
    if let Some(m) = &mut msg {
        sign_message(app, m);
    }
    let body = json!({ "conversation": c.to_json(), "message": msg });
    if new {
        created(body)
    } else {
        ok(body)
    }
}

pub fn get_conversation(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let actor = caller.actor()?;
    let mut c = app.desk.conversation(actor, ids[0])?;
    app.desk
        .with_agent_view(actor, std::slice::from_mut(&mut c))?;
    let limit = ctx.q_i64("limit")?.unwrap_or(50).clamp(1, 200);
    let messages = app.desk.history(actor, ids[0], None, limit)?;
    let user = app.desk.user(actor, c.user_id)?;
    ok(json!({
        "conversation": c.to_json(),
        "user": user.to_json(),
        "participants": app.desk.participants(actor, ids[0])?,
        "messages": list(&messages, |m| message_json(app, m)),
        "timeline": app.desk.timeline(actor, ids[0])?,
    }))
}

pub fn update_conversation(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let patch: ConversationPatch = ctx.json()?;
    let actor = caller.actor()?;
    let mut c = app.desk.update_conversation(actor, ids[0], patch)?;
    app.desk
        .with_agent_view(actor, std::slice::from_mut(&mut c))?;
    ok(json!({ "conversation": c.to_json() }))
}

pub fn delete_conversation(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    app.desk.delete_conversation(caller.actor()?, ids[0])?;
    Ok(Resp::empty().into())
}

/// A page of history: `before` a message id, newest `limit` of them, oldest first.
pub fn history(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let limit = ctx.q_i64("limit")?.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(error::INVALID_PARAMETER.with("limit must be 1..200"));
    }
    let messages = app
        .desk
        .history(caller.actor()?, ids[0], ctx.q_i64("before")?, limit)?;
    let more = messages.len() as i64 == limit;
    ok(json!({ "messages": list(&messages, |m| message_json(app, m)), "has_more": more }))
}

pub fn post_message(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let input: MessageInput = ctx.json()?;
    let (m, new) = app.desk.post_message_once(caller.actor()?, ids[0], input)?;
    let body = json!({ "message": message_json(app, &m) });
    if new {
        created(body)
    } else {
        ok(body)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Edit {
    body: String,
    attachments: Option<Vec<crate::desk::messages::Attachment>>,
    payload: Option<serde_json::Map<String, Value>>,
}

pub fn edit_message(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let e: Edit = ctx.json()?;
    let m = app.desk.edit_message(
        caller.actor()?,
        ids[0],
        ids[1],
        crate::desk::messages::MessageEdit {
            body: e.body,
            attachments: e.attachments,
            payload: e.payload,
        },
    )?;
    ok(json!({ "message": message_json(app, &m) }))
}

pub fn delete_message(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    app.desk.delete_message(caller.actor()?, ids[0], ids[1])?;
    Ok(Resp::empty().into())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadMark {
    pub message_id: i64,
}

pub fn mark_read(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let r: ReadMark = ctx.json()?;
    let marked = app.desk.mark_read(caller.actor()?, ids[0], r.message_id)?;
    ok(json!({ "marked": marked }))
}

/// The caller's client received the other side's messages up to `message_id`.
pub fn mark_delivered(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let r: ReadMark = ctx.json()?;
    let marked = app
        .desk
        .mark_delivered(caller.actor()?, ids[0], r.message_id)?;
    ok(json!({ "marked": marked }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Typing {
    pub typing: bool,
}

pub fn typing(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let t: Typing = ctx.json()?;
    app.desk.typing(caller.actor()?, ids[0], t.typing)?;
    Ok(Resp::empty().into())
}

pub fn search(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let limit = ctx.q_i64("limit")?.unwrap_or(20).clamp(1, 100);
    ok(app
        .desk
        .search(caller.actor()?, ctx.q("q").unwrap_or(""), limit)?)
}

/// A file upload: the raw bytes as the body, its type as Content-Type and
/// its name as `?name=`. Returns the attachment to put in a message.
pub fn upload(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let actor = caller.actor()?;
    if actor.role == Role::Visitor {
        app.limits.check(
            &format!("visitor-upload:{}", actor.user_id),
            ratelimit::VISITOR_MESSAGE,
        )?;
    }
    let name = ctx.q("name").unwrap_or("file");
    let content_type = ctx.header("content-type").unwrap_or("");
    let a = app
        .desk
        .save_upload(actor, name, content_type, &ctx.body, app.config.max_upload)?;
    created(json!({ "attachment": a }))
}

pub fn departments(app: &App, _: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    ok(json!({ "departments": app.desk.departments()? }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Department {
    name: Option<String>,
    color: Option<String>,
    /// `null` clears the parent; absent leaves it.
    #[serde(
        default,
        deserialize_with = "crate::desk::conversations::double_option"
    )]
    parent_id: Option<Option<i64>>,
    categories: Option<Vec<String>>,
    routing: Option<Value>,
}

impl Department {
    fn input(self) -> crate::desk::settings::DepartmentInput {
        crate::desk::settings::DepartmentInput {
            name: self.name,
            color: self.color,
            parent_id: self.parent_id,
            categories: self.categories,
            routing: self.routing,
        }
    }
}

pub fn create_department(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let d: Department = ctx.json()?;
    if d.name.is_none() {
        return Err(error::MISSING_NAME.err());
    }
    created(json!({ "department": app.desk.create_department(caller.actor()?, d.input())? }))
}

pub fn update_department(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let d: Department = ctx.json()?;
    ok(json!({ "department": app.desk.update_department(caller.actor()?, ids[0], d.input())? }))
}

pub fn delete_department(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    app.desk.delete_department(caller.actor()?, ids[0])?;
    Ok(Resp::empty().into())
}

pub fn settings(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    ok(json!({ "settings": app.desk.settings(caller.actor()?)? }))
}

pub fn save_settings(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let values: Map<String, Value> = ctx.json()?;
    ok(json!({ "settings": app.desk.save_settings(caller.actor()?, values)? }))
}

pub fn webhooks(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let eps = app.desk.webhooks(caller.actor()?)?;
    ok(json!({ "webhooks": list(&eps, |e| e.to_json()) }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookInput {
    url: Option<String>,
    events: Option<Vec<String>>,
    active: Option<bool>,
    /// `standard` (default) or `support_board`.
    format: Option<String>,
    /// Support Board's secret key (sent as `key`); generated when absent.
    secret: Option<String>,
}

pub fn create_webhook(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let w: WebhookInput = ctx.json()?;
    let url = w.url.ok_or_else(|| error::MISSING_URL.err())?;
    let (ep, secret) = app.desk.create_webhook(
        caller.actor()?,
        url,
        w.events.unwrap_or_default(),
        w.format.as_deref().unwrap_or("standard"),
        w.secret,
        app.config.allow_private_webhooks,
    )?;
    let mut v = ep.to_json();
    v["secret"] = json!(secret);
    created(json!({ "webhook": v }))
}

pub fn update_webhook(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let w: WebhookInput = ctx.json()?;
    let ep = app.desk.update_webhook(
        caller.actor()?,
        ids[0],
        w.url,
        w.events,
        w.active,
        app.config.allow_private_webhooks,
    )?;
    ok(json!({ "webhook": ep.to_json() }))
}

pub fn delete_webhook(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    app.desk.delete_webhook(caller.actor()?, ids[0])?;
    Ok(Resp::empty().into())
}

pub fn deliveries(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let limit = ctx.q_i64("limit")?.unwrap_or(50).clamp(1, 200);
    let d = app
        .desk
        .deliveries(caller.actor()?, ids[0], ctx.q_i64("before")?, limit)?;
    ok(json!({ "deliveries": d }))
}

pub fn delivery(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    ok(json!({ "delivery": app.desk.delivery(caller.actor()?, ids[0])? }))
}

pub fn replay_delivery(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let d = app.desk.replay_delivery(caller.actor()?, ids[0])?;
    app.delivery.notify();
    Ok(Resp::json(202, &json!({ "delivery": d })).into())
}

pub fn tokens(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    ok(json!({ "tokens": app.desk.list_tokens(caller.actor()?)? }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenInput {
    name: String,
    #[serde(default = "agent_role")]
    role: String,
}

fn agent_role() -> String {
    "agent".into()
}

pub fn create_token(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let t: TokenInput = ctx.json()?;
    let (token, id) = app
        .desk
        .create_token(Some(caller.actor()?), &t.name, &t.role)?;
    created(json!({ "token": { "id": id, "name": t.name, "role": t.role, "secret": token } }))
}

pub fn revoke_token(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    app.desk.revoke_token(caller.actor()?, ids[0])?;
    Ok(Resp::empty().into())
}

/// The viewer, credential and cursor of an events request: `after`, else
/// `Last-Event-ID`, else "from now".
fn events_target(app: &App, ctx: &Ctx, caller: &Caller) -> Result<(Viewer, i64, Credential, i64)> {
    let actor = caller.actor()?;
    let login = match caller {
        Caller::Staff { session, .. } => session.as_deref(),
        Caller::Visitor { token, .. } => Some(token.as_str()),
        Caller::Anonymous => None,
    };
    let cred = app.desk.listener_credential(actor, login)?;
    let viewer = match actor.role {
        Role::Admin => Viewer::Admin,
        Role::Agent => Viewer::Agent,
        Role::Visitor => Viewer::Visitor(actor.user_id),
    };
    let after = match ctx.q_i64("after")? {
        Some(a) => a,
        None => match ctx.header("last-event-id") {
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| error::INVALID_PARAMETER.with("Last-Event-ID must be an integer"))?,
            None => app.desk.hub.last_id(),
        },
    };
    if after < 0 {
        return Err(error::INVALID_PARAMETER.with("after must be >= 0"));
    }
    Ok((viewer, actor.user_id, cred, after))
}

pub fn events(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let (viewer, me, cred, after) = events_target(app, ctx, caller)?;
    Ok(Reply::Poll {
        viewer,
        me,
        cred,
        after,
    })
}

pub fn event_stream(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let (viewer, me, cred, after) = events_target(app, ctx, caller)?;
    Ok(Reply::Stream {
        viewer,
        me,
        cred,
        after,
    })
}

/// `GET /reports?name=&date_start=&date_end=&timezone=`: one of the named
/// reports (Support Board's names), presented as Support Board presents it.
pub fn report(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let name = ctx.q("name").ok_or_else(|| error::MISSING_NAME.err())?;
    let data = app.desk.report(
        caller.actor()?,
        name,
        ctx.q("date_start"),
        ctx.q("date_end"),
        ctx.q("timezone"),
    )?;
    let r = super::support_board::reports::present(name, data);
    ok(json!({ "report": r }))
}
