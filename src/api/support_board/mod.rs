//! The Support Board (GB Talk) web API: `POST /script/include/api.php` (and
//! `/api.php`) with `token`, `function` and the function's arguments, form
//! encoded the way PHP's `http_build_query` sends them (arrays included) or
//! as JSON. Answers `{"success": bool, "response": ...}` with records shaped
//! as the seed shows them: ids and numbers as strings, dates as
//! `YYYY-MM-DD HH:MM:SS` UTC. Every function calls the same desk verbs as
//! the REST API, so what it does is visible everywhere.
//!
//! `transport.rs` reads the arguments, `records.rs` shapes the records;
//! each other file holds the functions of one concern and registers them in
//! its own `FUNCTIONS` table. This file only joins the tables and answers
//! in the envelope. An unknown function answers
//! `{"success":false,"response":"function-not-supported"}`.

mod admin;
mod automations;
mod conversations;
mod delivery;
mod knowledge_base;
mod messages;
mod platforms;
mod records;
pub(crate) mod reports;
mod transport;
mod users;

use super::auth::Caller;
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::desk::{Actor, Role};
use crate::error::{self, Kind, Result};
use crate::http::request::Ctx;
use crate::http::response::Resp;
use serde_json::{json, Value};
use transport::Args;

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[
    r("POST", "/script/include/api.php", Public, handle),
    r("POST", "/api.php", Public, handle),
];

/// One Support Board function: its arguments in, its `response` out; an
/// `Err` becomes `{"success": false, "response": code}`, the code spelled
/// by `transport::code`.
type Function = fn(&App, &Actor, &Args) -> Result<Value>;

/// Every file's table, joined.
const TABLES: &[&[(&str, Function)]] = &[
    users::FUNCTIONS,
    conversations::FUNCTIONS,
    messages::FUNCTIONS,
    knowledge_base::FUNCTIONS,
    automations::FUNCTIONS,
    reports::FUNCTIONS,
    delivery::FUNCTIONS,
    admin::FUNCTIONS,
];

fn function(name: &str) -> Option<Function> {
    TABLES
        .iter()
        .flat_map(|t| t.iter())
        .find(|(n, _)| *n == name)
        .map(|(_, f)| *f)
}

/// `POST /script/include/api.php` and `/api.php`.
pub fn handle(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    let (success, response) = match Args::parse(ctx).and_then(|a| call(app, &a)) {
        Ok(v) => (true, v),
        // Disk full too: a 507 the client can retry, not a failed call.
        Err(e) if matches!(e.kind, Kind::Internal | Kind::InsufficientStorage) => return Err(e),
        Err(e) => (false, json!(transport::code(&e))),
    };
    Ok(Resp::json(200, &json!({ "success": success, "response": response })).into())
}

/// One call: an admin token, then the function it names.
fn call(app: &App, a: &Args) -> Result<Value> {
    let actor = match a.str("token") {
        Some(t) if !t.is_empty() => app.desk.api_token(&t)?,
        _ => None,
    }
    .filter(|actor| actor.role == Role::Admin)
    .ok_or_else(|| error::SECURITY_ERROR.err())?;
    let name = a
        .str("function")
        .ok_or_else(|| error::MISSING_FUNCTION.err())?;
    match function(&name) {
        Some(f) => f(app, &actor, a),
        None => Err(error::FUNCTION_NOT_SUPPORTED.with(format!(
            "{name} is not a Support Board function Frontporch answers"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_is_registered_once() {
        let mut names: Vec<&str> = TABLES
            .iter()
            .flat_map(|t| t.iter().map(|(n, _)| *n))
            .collect();
        let all = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all, "a function name is registered twice");
        assert_eq!(all, 93);
    }
}
