//! Automations in Frontporch's REST API (staff read, admins write).

use super::auth::Caller;
use super::rest::ok;
use super::Reply;
use crate::app::App;
use crate::error::Result;
use crate::http::request::Ctx;
use serde::Deserialize;
use serde_json::{json, Map, Value};

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
