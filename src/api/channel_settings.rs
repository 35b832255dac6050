//! Messaging platforms in Frontporch's REST API: Settings → Channels' test
//! send (`POST /api/v1/channels/<name>/test`) and webhook registration
//! (`.../register`), the platform delivery log, and sending a listed
//! template in a conversation. The settings themselves are
//! `/api/v1/settings` (`channels.<name>`).

use super::auth::Caller;
use super::rest::{created, message_json, ok};
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::error::Result;
use crate::http::request::Ctx;
use serde::Deserialize;
use serde_json::json;

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[
    r("POST", "/api/v1/channels/{name}/test", Admin, test),
    r("POST", "/api/v1/channels/{name}/register", Admin, register),
    r("GET", "/api/v1/channels", Staff, platforms),
    r("GET", "/api/v1/channels/deliveries", Admin, deliveries),
    r(
        "POST",
        "/api/v1/conversations/{id}/template",
        Staff,
        send_template,
    ),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestInput {
    to: String,
    #[serde(default)]
    text: String,
}

/// The `{name}` of `/api/v1/channels/{name}/<verb>`.
fn platform_name(ctx: &Ctx) -> &str {
    ctx.path
        .trim_start_matches("/api/v1/channels/")
        .split('/')
        .next()
        .unwrap_or("")
}

/// Sends a test message now: 200 with the platform's answer, sent or not.
fn test(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let name = platform_name(ctx);
    let input: TestInput = ctx.json()?;
    ok(app.desk.send_test_channel(
        caller.actor()?,
        name,
        &input.to,
        &input.text,
        app.config.allow_private_webhooks,
    )?)
}

/// Tells the platform our inbound URL: 200 with its answer.
fn register(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let allow_private = app.config.allow_private_webhooks;
    ok(app
        .desk
        .register_channel(caller.actor()?, platform_name(ctx), allow_private)?)
}

fn platforms(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    ok(json!({ "platforms": app.desk.channel_platforms(caller.actor()?)? }))
}

fn deliveries(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let limit = ctx.q_i64("limit")?.unwrap_or(50);
    let d = app
        .desk
        .channel_deliveries(caller.actor()?, ctx.q_i64("before")?, limit)?;
    ok(json!({ "deliveries": d }))
}

/// `{name, language, header, body (or parameters), buttons}`: the message
/// showing the template, as `POST .../messages` answers.
fn send_template(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let t: crate::desk::channel_out::TemplateInput = ctx.json()?;
    let m = app.desk.send_template(caller.actor()?, ids[0], t)?;
    created(json!({ "message": message_json(app, &m) }))
}
