//! The inbox's view of likes and comments on a conversation's messages
//! (made by `/action like` and `/action comment`, run through the
//! commands route).

use super::auth::Caller;
use super::rest::ok;
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::error::Result;
use crate::http::request::Ctx;
use serde_json::json;

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[r(
    "GET",
    "/api/v1/conversations/{id}/reactions",
    Staff,
    reactions,
)];

fn reactions(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let list = app.desk.reactions(caller.actor()?, ids[0])?;
    ok(json!({ "reactions": list }))
}
