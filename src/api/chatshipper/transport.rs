//! How ChatShipper's `/v2` calls arrive and how its errors leave: a bearer
//! API token (or a staff session, as REST's staff routes take them), ids
//! as path segments (any segment, so a non-numeric id is a clean 404), and
//! errors as ChatShipper spells them, `{"error": {"message", "code"}}`,
//! with our status and our code.

use crate::api::auth::{self, Caller};
use crate::api::Reply;
use crate::app::App;
use crate::desk::Actor;
use crate::error::{self, Error, Result};
use crate::http::request::Ctx;
use serde_json::json;

/// The staff member calling (401 without credentials, 403 for a visitor).
pub(super) fn actor(app: &App, ctx: &Ctx) -> Result<Actor> {
    match auth::caller(app, ctx)? {
        Caller::Staff { actor, .. } => Ok(actor),
        Caller::Visitor { .. } => Err(Error::forbidden(
            "a visitor token cannot call the ChatShipper API",
        )),
        Caller::Anonymous => {
            Err(error::UNAUTHORIZED.with("Authorization: Bearer <API token> is required"))
        }
    }
}

/// The id in path segment `index` (`/v2/conversations/12` has it at 3):
/// a positive integer, else `what` is not found.
pub(super) fn id(ctx: &Ctx, index: usize, what: &str) -> Result<i64> {
    ctx.path
        .trim_end_matches('/')
        .split('/')
        .nth(index)
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|v| *v > 0)
        .ok_or_else(|| Error::not_found(what))
}

/// An answer, or its error in ChatShipper's shape (server errors go on to
/// the common error path, which logs them).
pub(super) fn answer(r: Result<Reply>) -> Result<Reply> {
    super::super::answer_in(r, error_body)
}

/// `{"error": {"message": "Conversation not found", "code": "not_found"}}`:
/// ChatShipper's messages start with a capital ("Conversation not found").
fn error_body(e: &Error) -> serde_json::Value {
    let mut message = e.message.clone();
    if let Some(first) = message.get(..1) {
        message = first.to_uppercase() + &message[1..];
    }
    json!({ "error": { "message": message, "code": e.code } })
}

#[cfg(test)]
mod tests {
    #[test]
    fn errors_are_spelled_as_chatshipper_does() {
        let e = crate::error::Error::not_found("conversation");
        assert_eq!(
            super::error_body(&e),
            serde_json::json!({ "error": { "message": "Conversation not found", "code": "not_found" } })
        );
    }
}
