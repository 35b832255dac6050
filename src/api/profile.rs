//! An agent's own profile (`PATCH /api/v1/me`): name, avatar, colour. The
//! route names no id, so it can only ever change the caller's own record;
//! admins manage other accounts through `/api/v1/users/{id}`.

use super::auth::Caller;
use super::rest::ok;
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::desk::team::Profile;
use crate::error::Result;
use crate::http::request::Ctx;
use serde_json::json;

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[r("PATCH", "/api/v1/me", Staff, update_profile)];

pub fn update_profile(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let actor = caller.actor()?;
    let profile: Profile = ctx.json()?;
    let user = app.desk.update_profile(actor, profile)?;
    ok(json!({ "user": user.to_json() }))
}
