//! Tags in Chat2Desk's shapes: `GET /v1/tags`, `POST /v1/tags/assign_to`
//! (`{tag_ids, assignee_type: "client" | "request", assignee_id}`) and
//! `DELETE /v1/tags/{id}/delete_from` (`{client_id}` or `{request_id}`,
//! in the body or the query), through `desk::tags::tag_in` / `untag_in`.

use super::{records, transport};
use crate::api::auth::Caller;
use crate::api::Reply;
use crate::app::App;
use crate::desk::tags::Target;
use crate::error::{self, Result};
use crate::http::request::Ctx;
use serde::Deserialize;
use serde_json::{json, Value};

/// `GET /v1/tags?limit=&offset=`.
pub(super) fn list(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    transport::answer((|| {
        let actor = transport::actor(app, ctx)?;
        let (limit, offset) = ctx.page(20, 200)?;
        let tags = app.desk.tags(&actor)?;
        let total = tags.len();
        let data: Vec<Value> = tags
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(records::tag)
            .collect();
        Ok(transport::page(data, total, limit, offset))
    })())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Assign {
    tag_ids: Vec<i64>,
    assignee_type: String,
    assignee_id: i64,
}

/// `POST /v1/tags/assign_to`.
pub(super) fn assign(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    transport::answer((|| {
        let actor = transport::actor(app, ctx)?;
        let a: Assign = ctx.json()?;
        let target = match a.assignee_type.as_str() {
            "client" => Target::Client(a.assignee_id),
            "request" => {
                app.desk.conversation(&actor, a.assignee_id)?;
                Target::Request(a.assignee_id)
            }
            _ => return Err(error::C2D_ASSIGNEE.err()),
        };
        let added = app.desk.c2d_tags(&actor, target, a.tag_ids, true)?;
        Ok(transport::success(json!({ "added": added })))
    })())
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct From {
    client_id: Option<i64>,
    request_id: Option<i64>,
}

/// `DELETE /v1/tags/{id}/delete_from`.
pub(super) fn delete_from(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    transport::answer((|| {
        let actor = transport::actor(app, ctx)?;
        let tag = transport::id(ctx, 3, "tag")?;
        let body: From = ctx.json()?;
        let client = body.client_id.or(ctx.q_i64("client_id")?);
        let request = body.request_id.or(ctx.q_i64("request_id")?);
        let target = match (client, request) {
            (Some(c), None) => Target::Client(c),
            (None, Some(r)) => {
                app.desk.conversation(&actor, r)?;
                Target::Request(r)
            }
            _ => return Err(error::C2D_CLIENT.with("send exactly one of client_id or request_id")),
        };
        let removed = app.desk.c2d_tags(&actor, target, vec![tag], false)?;
        Ok(transport::success(json!({ "removed": removed })))
    })())
}
