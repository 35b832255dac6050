//! Web Push in Frontporch's REST API (staff): the install's public VAPID
//! key, and the caller's own devices. No route names a user: an agent only
//! ever sees and removes their own devices (another's id is 404).

use super::auth::Caller;
use super::rest::{created, ok};
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::desk::push::SubscriptionInput;
use crate::error::Result;
use crate::http::request::Ctx;
use crate::http::response::Resp;
use serde_json::json;

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[
    r("GET", "/api/v1/push/key", Staff, key),
    r("GET", "/api/v1/push/subscriptions", Staff, list),
    r("POST", "/api/v1/push/subscriptions", Staff, subscribe),
    r(
        "DELETE",
        "/api/v1/push/subscriptions/{id}",
        Staff,
        unsubscribe,
    ),
];

/// `{"public_key": "<base64url>", "enabled": true}`.
fn key(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    ok(app.desk.push_key(caller.actor()?)?)
}

fn list(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let devices = app.desk.push_devices(caller.actor()?)?;
    let devices: Vec<_> = devices.iter().map(|d| d.to_json()).collect();
    ok(json!({ "subscriptions": devices }))
}

/// Body: the browser's `PushSubscription.toJSON()`.
fn subscribe(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let input: SubscriptionInput = ctx.json()?;
    let ua = ctx.header("user-agent").unwrap_or("");
    let s = app.desk.push_subscribe(
        caller.actor()?,
        input,
        ua,
        app.config.allow_private_webhooks,
    )?;
    created(json!({ "subscription": s.to_json() }))
}

fn unsubscribe(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    app.desk.push_unsubscribe(caller.actor()?, ids[0])?;
    Ok(Resp::empty().into())
}
