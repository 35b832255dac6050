//! Routing's REST (admins): notification channels (`/notify`'s targets)
//! and blocks (`/block`: list, lift). Departments' tree, categories and
//! routing rule are fields of `/api/v1/departments` (rest.rs).

use super::auth::Caller;
use super::rest::{created, ok};
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::desk::commands::notify::ChannelInput;
use crate::error::Result;
use crate::http::request::Ctx;
use crate::http::response::Resp;
use serde_json::json;

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[
    r("GET", "/api/v1/notify-channels", Admin, channels),
    r("POST", "/api/v1/notify-channels", Admin, create_channel),
    r(
        "DELETE",
        "/api/v1/notify-channels/{id}",
        Admin,
        delete_channel,
    ),
    r("GET", "/api/v1/blocks", Admin, blocks),
    r("DELETE", "/api/v1/blocks/{id}", Admin, lift_block),
];

fn channels(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    ok(json!({ "channels": app.desk.notify_channels(caller.actor()?)? }))
}

fn create_channel(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let input: ChannelInput = ctx.json()?;
    created(json!({ "channel": app.desk.create_notify_channel(caller.actor()?, input)? }))
}

fn delete_channel(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    app.desk.delete_notify_channel(caller.actor()?, ids[0])?;
    Ok(Resp::empty().into())
}

fn blocks(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let (limit, offset) = ctx.page(50, 200)?;
    ok(json!({ "blocks": app.desk.blocks(caller.actor()?, limit, offset)? }))
}

fn lift_block(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    app.desk.lift_block(caller.actor()?, ids[0])?;
    Ok(Resp::empty().into())
}
