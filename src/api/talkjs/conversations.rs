//! TalkJS conversations: `PUT /v1/{appId}/conversations/{id}` (create, or
//! update the fields sent; participants are only added) and `GET`.

use super::transport::{self, answer, ok};
use super::Route;
use crate::api::auth::Caller;
use crate::api::{r, Access::*, Reply};
use crate::app::App;
use crate::desk::talkjs::ConversationPut;
use crate::error::Result;
use crate::http::request::Ctx;
use serde_json::json;

pub(super) const ROUTES: &[Route] = &[
    r(
        "PUT",
        "/v1/{name}/conversations/{name}",
        Public,
        put_conversation,
    ),
    r(
        "GET",
        "/v1/{name}/conversations/{name}",
        Public,
        get_conversation,
    ),
];

/// `PUT /v1/{appId}/conversations/{id}`: `{}`.
fn put_conversation(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    answer((|| {
        let actor = transport::start(app, ctx)?;
        let put: ConversationPut = ctx.json()?;
        app.desk
            .talkjs_put_conversation(&actor, &transport::segment(ctx, 4), put)?;
        ok(json!({}))
    })())
}

/// `GET /v1/{appId}/conversations/{id}`: the conversation with its
/// participants and last message (404 when there is none with this id).
fn get_conversation(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    answer((|| {
        let actor = transport::start(app, ctx)?;
        let c = app
            .desk
            .talkjs_conversation(&actor, &transport::segment(ctx, 4))?;
        ok(transport::conversation(app, &c))
    })())
}
