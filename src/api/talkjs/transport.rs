//! How TalkJS's calls arrive and how its errors leave: `Authorization:
//! Bearer <API token>` (no session, no visitor token), `{appId}` the
//! install's `talkjs.app_id` (another one is 404), ids as path segments,
//! and errors as `{"errorCode": "SENDER_NOT_PARTICIPANT", "reasons":
//! ["..."]}` with our status: the catalogue entry's code in capitals.

use crate::api::auth::{self, Caller};
use crate::api::Reply;
use crate::app::App;
use crate::desk::messages::Message;
use crate::desk::talkjs::TalkConversation;
use crate::desk::Actor;
use crate::error::{self, Error, Result};
use crate::http::request::Ctx;
use crate::http::response::Resp;
use serde_json::{json, Value};

/// The caller (an API token), once `{appId}` is checked: a missing or
/// wrong credential is 401, then another app id is 404.
pub(super) fn start(app: &App, ctx: &Ctx) -> Result<Actor> {
    let bearer = || error::UNAUTHORIZED.with("Authorization: Bearer <API token> is required");
    if ctx.header("authorization").is_none() {
        return Err(bearer());
    }
    let actor = match auth::caller(app, ctx)? {
        Caller::Staff { actor, .. } if actor.token_id.is_some() => actor,
        _ => return Err(bearer()),
    };
    let sent = segment(ctx, 2);
    let ours = app.desk.talkjs_app_id()?;
    if !crate::util::ct_eq(sent.as_bytes(), ours.as_bytes()) {
        return Err(error::APP_NOT_FOUND.err());
    }
    Ok(actor)
}

/// Path segment `index` (`/v1/{appId}/users/{id}` has the id at 4).
pub(super) fn segment(ctx: &Ctx, index: usize) -> String {
    ctx.path
        .trim_end_matches('/')
        .split('/')
        .nth(index)
        .unwrap_or("")
        .to_string()
}

/// `limit` (1 to `max`, else `default`).
pub(super) fn limit(ctx: &Ctx, default: i64, max: i64) -> Result<i64> {
    match ctx.q("limit") {
        None | Some("") => Ok(default),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=max).contains(l))
            .ok_or_else(|| error::INVALID_PARAMETER.with(format!("limit must be 1 to {max}"))),
    }
}

/// A message's attachments with their links signed for the reader, as
/// REST signs them.
pub(super) fn signed_attachments(app: &App, m: &Message) -> Value {
    let mut v = json!({ "attachments": m.attachments, "sender": null });
    crate::api::rest::sign_message(app, &mut v);
    v["attachments"].take()
}

/// A conversation as TalkJS shows it, its last message's files signed.
pub(super) fn conversation(app: &App, c: &TalkConversation) -> Value {
    let files = c.last.as_ref().map(|m| signed_attachments(app, m));
    super::records::conversation(c, files.as_ref())
}

/// 200 with a JSON body (TalkJS answers `{}` when there is nothing to say).
pub(super) fn ok(v: Value) -> Result<Reply> {
    Ok(Resp::json(200, &v).into())
}

/// An answer, or its error in TalkJS's shape (server errors go on to the
/// common error path, which logs them).
pub(super) fn answer(r: Result<Reply>) -> Result<Reply> {
    super::super::answer_in(r, error_body)
}

fn error_body(e: &Error) -> Value {
    json!({ "errorCode": e.code.to_ascii_uppercase(), "reasons": [e.message] })
}

/// The placeholder of `mod.rs`'s table join; never routed.
pub(super) fn unreachable(_: &App, _: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    Err(Error::not_found("route"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn errors_are_spelled_as_talkjs_clients_read_them() {
        let e = crate::error::SENDER_NOT_PARTICIPANT.with("message 2: no");
        assert_eq!(
            super::error_body(&e),
            serde_json::json!({ "errorCode": "SENDER_NOT_PARTICIPANT", "reasons": ["message 2: no"] })
        );
    }
}
