//! Forms in the REST API: the admin's forms (`/api/v1/forms`), a
//! conversation's forms for staff (offered, open, answers, results) and
//! for its visitor (`/api/v1/widget/conversations/{id}/forms/...`).
//! `/send` runs through the commands route.

use super::auth::Caller;
use super::rest::{created, message_json, ok};
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::desk::commands::forms::{FormInput, FormPatch};
use crate::error::{Error, Result};
use crate::http::ratelimit;
use crate::http::request::Ctx;
use crate::http::response::Resp;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[
    r("GET", "/api/v1/forms", Admin, list),
    r("POST", "/api/v1/forms", Admin, create),
    r("PATCH", "/api/v1/forms/{id}", Admin, update),
    r("DELETE", "/api/v1/forms/{id}", Admin, delete),
    r(
        "GET",
        "/api/v1/conversations/{id}/forms",
        Staff,
        conversation_forms,
    ),
    r("POST", "/api/v1/conversations/{id}/forms/{id}", Staff, open),
    r(
        "PUT",
        "/api/v1/conversations/{id}/forms/{id}",
        Staff,
        answer,
    ),
    r(
        "GET",
        "/api/v1/widget/conversations/{id}/forms",
        Visitor,
        conversation_forms,
    ),
    r(
        "PUT",
        "/api/v1/widget/conversations/{id}/forms/{id}",
        Visitor,
        visitor_answer,
    ),
];

fn list(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    ok(json!({ "forms": app.desk.forms(caller.actor()?)? }))
}

fn create(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let input: FormInput = ctx.json()?;
    created(json!({ "form": app.desk.create_form(caller.actor()?, input)? }))
}

fn update(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let patch: FormPatch = ctx.json()?;
    ok(json!({ "form": app.desk.update_form(caller.actor()?, ids[0], patch)? }))
}

fn delete(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    app.desk.delete_form(caller.actor()?, ids[0])?;
    Ok(Resp::empty().into())
}

/// Staff: offered and open forms, answers, results. A visitor: the forms
/// open in their own conversation.
fn conversation_forms(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    ok(app.desk.conversation_forms(caller.actor()?, ids[0])?)
}

fn open(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let (form, m) = app.desk.open_form(caller.actor()?, ids[0], ids[1])?;
    created(json!({ "form": form, "message": message_json(app, &m) }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Answers {
    answers: Map<String, Value>,
}

fn answer(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let a: Answers = ctx.json()?;
    ok(json!({ "form": app.desk.answer_form(caller.actor()?, ids[0], ids[1], a.answers)? }))
}

/// The visitor fills in a form open in their own conversation (else 404),
/// under the same rate as their messages.
fn visitor_answer(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let Caller::Visitor { actor, .. } = caller else {
        return Err(Error::forbidden("visitor token required"));
    };
    let a: Answers = ctx.json()?;
    app.limits.check(
        &format!("visitor-msg:{}", actor.user_id),
        ratelimit::VISITOR_MESSAGE,
    )?;
    ok(json!({ "form": app.desk.answer_form(actor, ids[0], ids[1], a.answers)? }))
}
