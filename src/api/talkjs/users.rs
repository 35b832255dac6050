//! TalkJS users: `PUT /v1/{appId}/users/{id}` (create or update the
//! fields sent; a repeat that changes nothing writes nothing), `GET` of
//! one, and the conversations a user takes part in that hold a message.

use super::transport::{self, answer, ok};
use super::{records, Route};
use crate::api::auth::Caller;
use crate::api::{r, Access::*, Reply};
use crate::app::App;
use crate::desk::talkjs::UserPut;
use crate::error::Result;
use crate::http::request::Ctx;
use serde_json::json;

pub(super) const ROUTES: &[Route] = &[
    r("PUT", "/v1/{name}/users/{name}", Public, put_user),
    r("GET", "/v1/{name}/users/{name}", Public, get_user),
    r(
        "GET",
        "/v1/{name}/users/{name}/conversations",
        Public,
        user_conversations,
    ),
];

/// A page of a user's conversations: at most this many.
const MAX_PAGE: i64 = 100;

/// `PUT /v1/{appId}/users/{id}`: `{}` (TalkJS answers nothing else).
fn put_user(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    answer((|| {
        let actor = transport::start(app, ctx)?;
        let put: UserPut = ctx.json()?;
        app.desk
            .talkjs_put_user(&actor, &transport::segment(ctx, 4), put)?;
        ok(json!({}))
    })())
}

/// `GET /v1/{appId}/users/{id}`.
fn get_user(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    answer((|| {
        let actor = transport::start(app, ctx)?;
        let u = app.desk.talkjs_user(&actor, &transport::segment(ctx, 4))?;
        ok(records::user(&u))
    })())
}

/// `GET /v1/{appId}/users/{id}/conversations?limit=&startingAfter=`:
/// `{"data": [Conversation]}`, latest activity first, only conversations
/// that hold a message (TalkJS's inbox shows no empty one).
fn user_conversations(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    answer((|| {
        let actor = transport::start(app, ctx)?;
        let limit = transport::limit(ctx, 10, MAX_PAGE)?;
        let list = app.desk.talkjs_user_conversations(
            &actor,
            &transport::segment(ctx, 4),
            ctx.q("startingAfter").filter(|s| !s.is_empty()),
            limit,
        )?;
        let data: Vec<_> = list
            .iter()
            .map(|c| transport::conversation(app, c))
            .collect();
        ok(json!({ "data": data }))
    })())
}
