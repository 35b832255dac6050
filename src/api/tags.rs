//! Tags (admin catalogue; on clients and requests) and quality scores:
//! part C of issue 14 builds the rest on `GET`/`POST /api/v1/tags`.

use super::auth::Caller;
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::error::Result;
use crate::http::request::Ctx;
use crate::http::response::Resp;
use serde_json::json;

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[
    r("GET", "/api/v1/tags", Staff, list),
    r("POST", "/api/v1/tags", Admin, create),
];

fn list(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let tags = app.desk.tags(caller.actor()?)?;
    Ok(Resp::json(200, &json!({ "tags": tags })).into())
}

fn create(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let tag = app.desk.create_tag(caller.actor()?, ctx.json()?)?;
    Ok(Resp::json(201, &json!({ "tag": tag })).into())
}
