//! Support Board's reports: the named reports, and rows for what no table records.

use super::records::*;
use super::transport::Args;
use super::Function;
use crate::app::App;
use crate::desk::Actor;
use crate::error::Result;
use serde_json::Value;

pub(super) const FUNCTIONS: &[(&str, Function)] =
    &[("reports", reports), ("reports-update", reports_update)];

fn reports(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let name = a.str("name").unwrap_or_default();
    ok(desk.report(
        actor,
        &name,
        a.str("date_start").as_deref(),
        a.str("date_end").as_deref(),
        a.str("timezone").as_deref(),
    )?)
}

fn reports_update(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let text = |k: &str| a.str(k).filter(|v| !v.is_empty() && v != "false");
    let row = crate::desk::reports::Row {
        name: a.str("name").unwrap_or_default(),
        value: text("value"),
        external_id: text("external_id"),
        extra: text("extra"),
        created_at: 0,
    };
    desk.add_report_row(actor, row)?;
    ok(Value::Bool(true))
}
