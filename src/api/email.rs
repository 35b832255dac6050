//! Email in Frontporch's REST API: Settings → Email's test send and the
//! email delivery log (the settings themselves are `/api/v1/settings`).

use super::auth::Caller;
use super::rest::ok;
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::error::Result;
use crate::http::request::Ctx;
use serde::Deserialize;
use serde_json::json;

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[
    r("POST", "/api/v1/email/test", Admin, test),
    r("GET", "/api/v1/email/deliveries", Admin, deliveries),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestInput {
    to: String,
}

/// Sends a test email now: 200 with the server's answer, sent or not.
fn test(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let input: TestInput = ctx.json()?;
    ok(app.desk.send_test_email(caller.actor()?, input.to.trim())?)
}

fn deliveries(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let limit = ctx.q_i64("limit")?.unwrap_or(50);
    let d = app
        .desk
        .email_deliveries(caller.actor()?, ctx.q_i64("before")?, limit)?;
    ok(json!({ "deliveries": d }))
}
