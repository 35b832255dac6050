//! Support Board's automations: saved, validated against a user, run.

use super::records::*;
use super::transport::Args;
use super::Function;
use crate::app::App;
use crate::desk::Actor;
use crate::error::{self, Result};
use serde_json::{json, Value};

pub(super) const FUNCTIONS: &[(&str, Function)] = &[
    ("automations-get", automations_get),
    ("automations-save", automations_save),
    ("automations-validate", automations_validate),
    ("automations-run-all", automations_run_all),
    ("automations-run", automations_run),
];

fn automations_get(app: &App, actor: &Actor, _a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let (main, translations) = desk.automations(actor)?;
    ok(json!([main, translations]))
}

fn automations_save(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let main = a
        .json("automations")
        .and_then(|v| v.as_object().cloned())
        .ok_or_else(|| error::INVALID_AUTOMATIONS.err())?;
    let translations = a
        .json("translations")
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    desk.save_automations(actor, main, translations)?;
    ok(Value::Bool(true))
}

fn automations_validate(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let auto = automation_arg(a)?;
    let user = a
        .id("user_id")?
        .map(|id| desk.user(actor, id))
        .transpose()?;
    match desk.validate_automation(&auto, user.as_ref())? {
        Some(later) => ok(json!({ "conditions": later, "repeat_id": "" })),
        None => ok(Value::Bool(false)),
    }
}

fn automations_run_all(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    ok(Value::Array(
        desk.run_all_automations(actor, a.id("user_id")?)?,
    ))
}

fn automations_run(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let auto = automation_arg(a)?;
    let user = a.need_id("user_id", &error::MISSING_USER_ID)?;
    ok(Value::Bool(desk.run_automation(
        actor,
        &auto,
        user,
        a.flag("validate"),
    )?))
}

fn automation_arg(a: &Args) -> Result<Value> {
    a.json("automation")
        .filter(Value::is_object)
        .ok_or_else(|| error::INVALID_AUTOMATION.with("automation must be an object"))
}
