//! Macros, keyword bots and the self-service menu (admin CRUD; running a macro): part D of issue 14.
//! The menu is the setting `menu` (`/api/v1/settings`).

use super::auth::Caller;
use super::rest::{created, ok};
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::desk::keyword_bots::KeywordBotInput;
use crate::desk::macros::MacroInput;
use crate::error::Result;
use crate::http::request::Ctx;
use crate::http::response::Resp;
use serde_json::json;

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[
    r("GET", "/api/v1/macros", Staff, list),
    r("POST", "/api/v1/macros", Admin, create),
    r("PATCH", "/api/v1/macros/{id}", Admin, update),
    r("DELETE", "/api/v1/macros/{id}", Admin, delete),
    r("POST", "/api/v1/conversations/{id}/macros/{id}", Staff, run),
    r("GET", "/api/v1/conversations/{id}/macro-runs", Staff, runs),
    r("GET", "/api/v1/keyword-bots", Staff, bots),
    r("POST", "/api/v1/keyword-bots", Admin, create_bot),
    r("PATCH", "/api/v1/keyword-bots/{id}", Admin, update_bot),
    r("DELETE", "/api/v1/keyword-bots/{id}", Admin, delete_bot),
];

fn list(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    ok(json!({ "macros": app.desk.macros(caller.actor()?)? }))
}

fn create(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let input: MacroInput = ctx.json()?;
    let m = app
        .desk
        .create_macro(caller.actor()?, input, app.config.allow_private_webhooks)?;
    created(json!({ "macro": m }))
}

fn update(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let input: MacroInput = ctx.json()?;
    let m = app.desk.update_macro(
        caller.actor()?,
        ids[0],
        input,
        app.config.allow_private_webhooks,
    )?;
    ok(json!({ "macro": m }))
}

fn delete(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    app.desk.delete_macro(caller.actor()?, ids[0])?;
    Ok(Resp::empty().into())
}

/// Runs a macro in a conversation: 200 with each step's result and the
/// URL its POST answered, if any (`open_url`).
fn run(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let out = app.desk.run_macro(
        caller.actor()?,
        ids[0],
        ids[1],
        app.config.allow_private_webhooks,
    )?;
    ok(json!({ "results": out.results, "open_url": out.open_url }))
}

fn runs(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    ok(json!({ "runs": app.desk.macro_runs(caller.actor()?, ids[0])? }))
}

fn bots(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    ok(json!({ "keyword_bots": app.desk.keyword_bots(caller.actor()?)? }))
}

fn create_bot(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let input: KeywordBotInput = ctx.json()?;
    let b = app.desk.create_keyword_bot(caller.actor()?, input)?;
    created(json!({ "keyword_bot": b }))
}

fn update_bot(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let input: KeywordBotInput = ctx.json()?;
    let b = app
        .desk
        .update_keyword_bot(caller.actor()?, ids[0], input)?;
    ok(json!({ "keyword_bot": b }))
}

fn delete_bot(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    app.desk.delete_keyword_bot(caller.actor()?, ids[0])?;
    Ok(Resp::empty().into())
}
