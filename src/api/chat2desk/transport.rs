//! How Chat2Desk's API v1 calls arrive and how answers leave: the API
//! token raw in `Authorization: <token>` (as Chat2Desk's manual and its
//! clients send it; `Bearer <token>` is tolerated), ids as path segments
//! (any segment, so a non-numeric id is its 404), and every answer in its
//! envelope: `{"status": "success", "data": ..., "meta": {...}}`, errors
//! `{"status": "error", "message", "errors": {field: [message]}, "code"}`
//! with our HTTP status and our catalogue's code.

use crate::api::Reply;
use crate::app::App;
use crate::desk::Actor;
use crate::error::{self, Error, Result};
use crate::http::request::Ctx;
use crate::http::response::Resp;
use serde_json::{json, Value};

/// The staff actor of the API token (401 without one or with a bad one).
pub(super) fn actor(app: &App, ctx: &Ctx) -> Result<Actor> {
    let raw = ctx.header("authorization").unwrap_or("").trim();
    let token = raw
        .strip_prefix("Bearer ")
        .or_else(|| raw.strip_prefix("bearer "))
        .unwrap_or(raw)
        .trim();
    if token.is_empty() {
        return Err(error::UNAUTHORIZED.with("You need to auth: send Authorization: <API token>"));
    }
    if token.starts_with("fpv_") {
        return Err(Error::unauthorized(
            "a visitor token cannot call the Chat2Desk API",
        ));
    }
    app.desk
        .api_token(token)?
        .ok_or_else(|| Error::unauthorized("invalid or revoked API token"))
}

/// The id in path segment `index` (`/v1/clients/12` has it at 3): a
/// positive integer, else `what` is not found.
pub(super) fn id(ctx: &Ctx, index: usize, what: &str) -> Result<i64> {
    ctx.path
        .trim_end_matches('/')
        .split('/')
        .nth(index)
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|v| *v > 0)
        .ok_or_else(|| Error::not_found(what))
}

/// `{"status": "success", "data": data}`.
pub(super) fn success(data: Value) -> Value {
    json!({ "status": "success", "data": data })
}

/// A list page: `data` with `meta: {total, limit, offset}`.
pub(super) fn page(data: Vec<Value>, total: usize, limit: i64, offset: i64) -> Value {
    json!({ "status": "success", "data": data,
        "meta": { "total": total, "limit": limit, "offset": offset } })
}

/// Runs a handler body and answers in the envelope: its value with 200,
/// or its error in Chat2Desk's shape (server errors go on to the common
/// error path, which logs them).
pub(super) fn answer(r: Result<Value>) -> Result<Reply> {
    super::super::answer_in(r.map(|v| Resp::json(200, &v).into()), error_body)
}

/// The field an error is about, in Chat2Desk's `errors` map (the code
/// itself for the others).
const FIELDS: &[(&str, &str)] = &[
    ("c2d_client", "client"),
    ("empty_message", "text"),
    ("too_long", "text"),
    ("invalid_url", "attachment"),
    ("c2d_assignee", "assignee_type"),
    ("unauthorized", "token"),
];

fn error_body(e: &Error) -> Value {
    let field = FIELDS
        .iter()
        .find(|(c, _)| *c == e.code)
        .map_or(e.code, |(_, f)| *f);
    json!({ "status": "error", "message": e.message, "errors": { field: [e.message] }, "code": e.code })
}

#[cfg(test)]
mod tests {
    #[test]
    fn errors_are_spelled_as_chat2desk_does() {
        let e = crate::error::C2D_CLIENT.err();
        assert_eq!(
            super::error_body(&e),
            serde_json::json!({ "status": "error", "message": e.message,
                "errors": { "client": [e.message] }, "code": "c2d_client" })
        );
    }
}
