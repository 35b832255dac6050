//! Automations in Frontporch's REST API (staff read, admins write).

use super::auth::Caller;
use super::rest::ok;
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::error::Result;
use crate::http::request::Ctx;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[
    r("GET", "/api/v1/automations", Staff, automations),
    r("PUT", "/api/v1/automations", Admin, save_automations),
];

/// `GET /automations`: by type, and the translations by language.
pub fn automations(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let (main, translations) = app.desk.automations(caller.actor()?)?;
    ok(json!({ "automations": main, "translations": translations }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SaveAutomations {
    automations: Map<String, Value>,
    #[serde(default)]
    translations: Map<String, Value>,
}

/// `PUT /automations`: replaces every automation.
pub fn save_automations(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let body: SaveAutomations = ctx.json()?;
    let actor = caller.actor()?;
    app.desk
        .save_automations(actor, body.automations, body.translations)?;
    let (main, translations) = app.desk.automations(actor)?;
    ok(json!({ "automations": main, "translations": translations }))
}
