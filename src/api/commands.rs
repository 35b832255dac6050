//! Agent commands in the REST API: running one in a conversation (the
//! inbox composer, with ChatShipper's `meta` and `user`), and the admin's
//! dot commands (`/api/v1/commands`).

use super::auth::Caller;
use super::rest::{created, message_json};
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::desk::commands::CommandInput;
use crate::error::Result;
use crate::http::request::Ctx;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[r("POST", "/api/v1/conversations/{id}/commands", Staff, run)];

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
