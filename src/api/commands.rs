//! Agent commands in the REST API: running one in a conversation (the
//! inbox composer, with ChatShipper's `meta` and `user`), and the admin's
//! dot commands (`/api/v1/commands`).

use super::auth::Caller;
use super::rest::{created, message_json};
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::desk::commands::catalog::CommandDraft;
use crate::desk::commands::CommandInput;
use crate::desk::Role;
use crate::error::Result;
use crate::http::request::Ctx;
use crate::http::response::Resp;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[
    r("POST", "/api/v1/conversations/{id}/commands", Staff, run),
    r("GET", "/api/v1/commands", Staff, list),
    r("POST", "/api/v1/commands", Admin, create),
    r("PATCH", "/api/v1/commands/{id}", Admin, update),
    r("DELETE", "/api/v1/commands/{id}", Admin, delete),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunInput {
    text: String,
    #[serde(default)]
    meta: Map<String, Value>,
    user: Option<i64>,
}

/// Runs a command (explicit: an unknown name is 400 `unknown_command`):
/// 201 with the command's note, what it posted and its result.
fn run(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let input: RunInput = ctx.json()?;
    let command = CommandInput {
        text: input.text,
        meta: input.meta,
        user: input.user,
        explicit: true,
        client_id: None,
    };
    let out = app
        .desk
        .run_command(caller.actor()?, ids[0], command)?
        .expect("an explicit command runs or fails");
    created(json!({
        "command": message_json(app, &out.command),
        "posted": out.posted.iter().map(|m| message_json(app, m)).collect::<Vec<_>>(),
        "result": out.result,
    }))
}

/// The dot commands: agents get names, kinds and descriptions (not the
/// value of server and client commands); admins everything but secrets.
fn list(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let actor = caller.actor()?;
    let admin = actor.role == Role::Admin;
    let list = app.desk.dot_commands(actor)?;
    let list: Vec<Value> = list.iter().map(|c| c.to_json(admin)).collect();
    super::rest::ok(json!({ "commands": list }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommandFields {
    name: Option<String>,
    kind: Option<String>,
    value: Option<String>,
    description: Option<String>,
}

impl From<CommandFields> for CommandDraft {
    fn from(f: CommandFields) -> CommandDraft {
        CommandDraft {
            name: f.name,
            kind: f.kind,
            value: f.value,
            description: f.description,
        }
    }
}

/// The command, with its signing secret when one was just made.
fn with_secret(c: &crate::desk::commands::catalog::DotCommand, secret: Option<String>) -> Value {
    let mut v = c.to_json(true);
    if let Some(s) = secret {
        v["secret"] = json!(s);
    }
    json!({ "command": v })
}

fn create(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let f: CommandFields = ctx.json()?;
    let (c, secret) = app.desk.create_dot_command(
        caller.actor()?,
        f.into(),
        app.config.allow_private_webhooks,
    )?;
    created(with_secret(&c, secret))
}

fn update(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let f: CommandFields = ctx.json()?;
    let (c, secret) = app.desk.update_dot_command(
        caller.actor()?,
        ids[0],
        f.into(),
        app.config.allow_private_webhooks,
    )?;
    super::rest::ok(with_secret(&c, secret))
}

fn delete(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    app.desk.delete_dot_command(caller.actor()?, ids[0])?;
    Ok(Resp::empty().into())
}
