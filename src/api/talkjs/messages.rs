//! TalkJS messages: `POST /v1/{appId}/conversations/{id}/messages` (an
//! array of 1 to 10, stored in order in one write job or not at all;
//! `Idempotency-Key` and per-message `idempotencyKey`) and the newest-first
//! pages of `GET`.

use super::transport::{self, answer, ok};
use super::{records, Route};
use crate::api::auth::Caller;
use crate::api::{r, Access::*, Reply};
use crate::app::App;
use crate::desk::talkjs::{check_id, IdempotencyKey, MessagePost, MAX_MESSAGES};
use crate::desk::Actor;
use crate::error::{self, Result};
use crate::http::request::Ctx;
use crate::http::response::Resp;
use serde_json::{json, Value};

pub(super) const ROUTES: &[Route] = &[
    r(
        "POST",
        "/v1/{name}/conversations/{name}/messages",
        Public,
        post_messages,
    ),
    r(
        "GET",
        "/v1/{name}/conversations/{name}/messages",
        Public,
        list_messages,
    ),
];

const MAX_PAGE: i64 = 100;

/// What TalkJS answers a POST: each message's id, in the order sent.
fn render(ids: &[i64]) -> Value {
    ids.iter()
        .map(|id| json!({ "id": records::message_id(*id) }))
        .collect()
}

/// The `Idempotency-Key` header, scoped to this surface and API token,
/// with the fingerprint of the request (method, path, body).
fn idempotency_key(ctx: &Ctx, actor: &Actor) -> Result<Option<IdempotencyKey>> {
    let Some(key) = ctx.header("idempotency-key") else {
        return Ok(None);
    };
    check_id("Idempotency-Key", key)?;
    let mut request = format!("{}\n{}\n", ctx.method, ctx.path).into_bytes();
    request.extend_from_slice(&ctx.body);
    Ok(Some(IdempotencyKey {
        scope: format!("talkjs:{}", actor.token_id.unwrap_or_default()),
        key: key.to_string(),
        fingerprint: crate::util::sha256_hex(&request),
    }))
}

/// `POST /v1/{appId}/conversations/{id}/messages`: `[{"id": "msg_…"}, …]`.
fn post_messages(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    answer((|| {
        let actor = transport::start(app, ctx)?;
        let body: Value = ctx.json()?;
        let Value::Array(items) = body else {
            return Err(error::INVALID_FIELD.with("the body must be an array of messages"));
        };
        if items.is_empty() || items.len() > MAX_MESSAGES {
            return Err(error::TOO_MANY.with(format!("send 1 to {MAX_MESSAGES} messages at once")));
        }
        let list = items
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                serde_json::from_value::<MessagePost>(v)
                    .map_err(|e| error::INVALID_FIELD.with(format!("message {}: {e}", i + 1)))
            })
            .collect::<Result<Vec<_>>>()?;
        let key = idempotency_key(ctx, &actor)?;
        let id = transport::segment(ctx, 4);
        let posted = app
            .desk
            .talkjs_post_messages(&actor, &id, list, key, render)?;
        let body: Value = serde_json::from_str(&posted.body)?;
        let mut resp = Resp::json(posted.status, &body);
        if posted.replayed {
            resp = resp.with_header("Idempotent-Replayed", "true");
        }
        Ok(resp.into())
    })())
}

/// `GET /v1/{appId}/conversations/{id}/messages?limit=&startingAfter=`:
/// `{"data": [Message]}`, newest first; `startingAfter` (a message id)
/// continues with the messages older than it.
fn list_messages(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    answer((|| {
        let actor = transport::start(app, ctx)?;
        let limit = transport::limit(ctx, 10, MAX_PAGE)?;
        let before = match ctx.q("startingAfter").filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(records::parse_message_id(s).ok_or_else(|| {
                error::INVALID_PARAMETER.with("startingAfter must be a message id (msg_…)")
            })?),
        };
        let (conv, list) =
            app.desk
                .talkjs_messages(&actor, &transport::segment(ctx, 4), before, limit)?;
        let data: Vec<Value> = list
            .iter()
            .map(|m| records::message(m, &conv, Some(&transport::signed_attachments(app, m))))
            .collect();
        ok(json!({ "data": data }))
    })())
}
