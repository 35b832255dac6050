//! `GET /api/v1/me/invitations`: the conversations assigned to the caller
//! with ChatShipper's `/assign` that they have not accepted yet (the
//! `inbox` flag), for the inbox's "Mine" view. No id in the route, so no
//! one else's.

use super::auth::Caller;
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::error::Result;
use crate::http::request::Ctx;
use crate::http::response::Resp;
use serde_json::json;

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[r("GET", "/api/v1/me/invitations", Staff, invitations)];

fn invitations(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let list = app.desk.invited_conversations(caller.actor()?)?;
    let rows: Vec<_> = list.iter().map(|c| c.to_json()).collect();
    Ok(Resp::json(200, &json!({ "conversations": rows })).into())
}
