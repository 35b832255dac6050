//! `PUT /v1/requests/close` (`{client_id}` or `{request_id}`): the
//! request named, or every open one of the client, closed (archived).

use super::transport;
use crate::api::auth::Caller;
use crate::api::Reply;
use crate::app::App;
use crate::error::Result;
use crate::http::request::Ctx;
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Close {
    client_id: Option<i64>,
    request_id: Option<i64>,
}

pub(super) fn close(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    transport::answer((|| {
        let actor = transport::actor(app, ctx)?;
        let c: Close = ctx.json()?;
        let closed = app.desk.c2d_close(&actor, c.client_id, c.request_id)?;
        Ok(transport::success(json!({ "closed": closed })))
    })())
}
