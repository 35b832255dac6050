//! `GET /v1/clients/{id}` and `PUT /v1/clients/{id}` (`nickname`,
//! `comment`, `external_id`; a change emits `user.updated`, the
//! `client_updated` webhook).

use super::{records, transport};
use crate::api::auth::Caller;
use crate::api::Reply;
use crate::app::App;
use crate::error::Result;
use crate::http::request::Ctx;
use serde::Deserialize;
use serde_json::Value;

fn record(app: &App, actor: &crate::desk::Actor, id: i64) -> Result<Value> {
    let (u, identity, tags) = app.desk.c2d_client(actor, id)?;
    Ok(records::client(&u, identity.as_deref(), &tags))
}

/// `GET /v1/clients/{id}`: a contact (staff ids are not clients: 404).
pub(super) fn get(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    transport::answer((|| {
        let actor = transport::actor(app, ctx)?;
        let id = transport::id(ctx, 3, "client")?;
        Ok(transport::success(record(app, &actor, id)?))
    })())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientChange {
    nickname: Option<String>,
    comment: Option<String>,
    external_id: Option<String>,
}

/// `PUT /v1/clients/{id}`: answers the client as it is now.
pub(super) fn put(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    transport::answer((|| {
        let actor = transport::actor(app, ctx)?;
        let id = transport::id(ctx, 3, "client")?;
        let c: ClientChange = ctx.json()?;
        app.desk
            .c2d_update_client(&actor, id, c.nickname, c.comment, c.external_id)?;
        Ok(transport::success(record(app, &actor, id)?))
    })())
}
