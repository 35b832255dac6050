//! Operations endpoints: health, metrics, the OpenAPI document.

use super::auth::Caller;
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::error::Result;
use crate::http::request::Ctx;
use crate::http::response::Resp;
use crate::metrics::METRICS;
use serde_json::json;

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[
    r("GET", "/healthz", Public, healthz),
    r("GET", "/metrics", Public, metrics),
    r("GET", "/api/v1/openapi.json", Public, openapi),
];

pub const OPENAPI: &str = include_str!("openapi.json");

pub fn healthz(app: &App, _: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    // A read proves the database answers.
    let last = app.desk.last_event_id()?;
    // A full disk degrades the server but it still serves reads, so this
    // stays 200 (a restart would not free space); alert on `disk_full`.
    let disk_full = crate::metrics::disk_full();
    Ok(Resp::json(
        200,
        &json!({ "status": if disk_full { "degraded" } else { "ok" }, "disk_full": disk_full,
                 "version": env!("CARGO_PKG_VERSION"), "last_event_id": last }),
    )
    .into())
}

pub fn metrics(app: &App, _: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    let (waiting, streams) = app.desk.hub.waiting();
    let body = METRICS.render(waiting, streams, app.desk.hub.published());
    Ok(Resp::text(200, "text/plain; version=0.0.4", body).into())
}

pub fn openapi(_: &App, _: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    Ok(Resp::raw_json(200, OPENAPI.to_string()).into())
}
