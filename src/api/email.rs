//! Email in Frontporch's REST API (admins): Settings → Email's test send,
//! the email delivery log, checking the mailbox now and the log of inbound
//! mail (what was imported, ignored or kept as .eml). The settings
//! themselves are `/api/v1/settings`.

use super::auth::Caller;
use super::rest::ok;
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::error::Result;
use crate::http::request::Ctx;
use crate::http::response::Resp;
use serde::Deserialize;
use serde_json::json;

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[
    r("POST", "/api/v1/email/test", Admin, test),
    r("GET", "/api/v1/email/deliveries", Admin, deliveries),
    r("POST", "/api/v1/email/check", Admin, check),
    r("GET", "/api/v1/email/inbound", Admin, inbound),
    r("GET", "/api/v1/email/inbound/{id}/raw", Admin, inbound_raw),
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

/// `POST /email/check`: polls the mailbox now; answers the server's
/// greeting and what became of the messages (503 with the server's answer
/// when it fails).
pub fn check(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let r = app
        .desk
        .check_mailbox(caller.actor()?, app.config.max_upload)?;
    ok(json!(r))
}

/// `GET /email/inbound?limit=N`: the newest inbound messages first.
pub fn inbound(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let limit = ctx.q_i64("limit")?.unwrap_or(50);
    ok(json!({ "inbound": app.desk.inbound_mail(caller.actor()?, limit)? }))
}

/// `GET /email/inbound/{id}/raw`: the message a row kept, as received; a
/// download (never shown inline: it is a stranger's mail).
pub fn inbound_raw(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let raw = app.desk.inbound_raw(caller.actor()?, ids[0])?;
    Ok(Resp::text(200, "message/rfc822", raw)
        .with_header(
            "Content-Disposition",
            format!("attachment; filename=\"inbound-{}.eml\"", ids[0]),
        )
        .with_header("Content-Security-Policy", "default-src 'none'; sandbox")
        .into())
}
