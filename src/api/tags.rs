//! Tags (admin catalogue; on clients and requests) and quality scores
//! (a request's score for the inbox; the visitor's answer in the widget).

use super::auth::Caller;
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::desk::conversations::Conversation;
use crate::desk::scores::ScoreInput;
use crate::desk::tags::Target;
use crate::desk::Actor;
use crate::error::Result;
use crate::http::request::Ctx;
use crate::http::response::Resp;
use serde::Deserialize;
use serde_json::{json, Value};

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[
    r("GET", "/api/v1/tags", Staff, list),
    r("POST", "/api/v1/tags", Admin, create),
    r("PATCH", "/api/v1/tags/{id}", Admin, update),
    r("DELETE", "/api/v1/tags/{id}", Admin, delete),
    r("GET", "/api/v1/users/{id}/tags", Staff, client_tags),
    r("POST", "/api/v1/users/{id}/tags", Staff, tag_client),
    r(
        "DELETE",
        "/api/v1/users/{id}/tags/{id}",
        Staff,
        untag_client,
    ),
    r(
        "GET",
        "/api/v1/conversations/{id}/tags",
        Staff,
        request_tags,
    ),
    r(
        "POST",
        "/api/v1/conversations/{id}/tags",
        Staff,
        tag_request,
    ),
    r(
        "DELETE",
        "/api/v1/conversations/{id}/tags/{id}",
        Staff,
        untag_request,
    ),
    r("GET", "/api/v1/conversations/{id}/score", Staff, score),
    r(
        "GET",
        "/api/v1/widget/conversations/{id}/score",
        Visitor,
        score,
    ),
    r(
        "POST",
        "/api/v1/widget/conversations/{id}/score",
        Visitor,
        give_score,
    ),
];

fn list(app: &App, _: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let tags = app.desk.tags(caller.actor()?)?;
    Ok(Resp::json(200, &json!({ "tags": tags })).into())
}

fn create(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let tag = app.desk.create_tag(caller.actor()?, ctx.json()?)?;
    Ok(Resp::json(201, &json!({ "tag": tag })).into())
}

fn update(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let tag = app.desk.update_tag(caller.actor()?, ids[0], ctx.json()?)?;
    Ok(Resp::json(200, &json!({ "tag": tag })).into())
}

fn delete(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    app.desk.delete_tag(caller.actor()?, ids[0])?;
    Ok(Resp::json(200, &json!({ "deleted": true })).into())
}

/// The body of a POST that puts a tag on.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TagRef {
    tag_id: i64,
}

/// The tags on `target` after a change (`changed` named `key`).
fn tags_of(app: &App, actor: &Actor, target: Target, key: &str, changed: bool) -> Result<Reply> {
    let tags = app.desk.tags_on(actor, target)?;
    Ok(Resp::json(200, &json!({ key: changed, "tags": tags })).into())
}

fn on(app: &App, caller: &Caller, target: Target) -> Result<Reply> {
    let tags = app.desk.tags_on(caller.actor()?, target)?;
    Ok(Resp::json(200, &json!({ "tags": tags })).into())
}

fn put(app: &App, ctx: &Ctx, caller: &Caller, target: Target) -> Result<Reply> {
    let body: TagRef = ctx.json()?;
    let actor = caller.actor()?;
    let added = app.desk.put_tag(actor, target, body.tag_id)?;
    tags_of(app, actor, target, "added", added)
}

fn take(app: &App, caller: &Caller, target: Target, tag_id: i64) -> Result<Reply> {
    let actor = caller.actor()?;
    let removed = app.desk.take_tag(actor, target, tag_id)?;
    tags_of(app, actor, target, "removed", removed)
}

fn client_tags(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    on(app, caller, Target::Client(ids[0]))
}

fn tag_client(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    put(app, ctx, caller, Target::Client(ids[0]))
}

fn untag_client(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    take(app, caller, Target::Client(ids[0]), ids[1])
}

fn request_tags(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    on(app, caller, Target::Request(ids[0]))
}

fn tag_request(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    put(app, ctx, caller, Target::Request(ids[0]))
}

fn untag_request(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    take(app, caller, Target::Request(ids[0]), ids[1])
}

/// A request's score (`null` when its client was never asked), with the
/// question the widget shows beside the scale.
fn score(app: &App, _: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let s = app.desk.score(caller.actor()?, ids[0])?;
    let v = s.map(|s| s.to_json());
    let question = app.desk.score_question()?;
    Ok(Resp::json(200, &json!({ "score": v, "question": question })).into())
}

fn give_score(app: &App, ctx: &Ctx, caller: &Caller, ids: &[i64]) -> Result<Reply> {
    let input: ScoreInput = ctx.json()?;
    let s = app.desk.give_score(caller.actor()?, ids[0], input.score)?;
    Ok(Resp::json(200, &json!({ "score": s.to_json() })).into())
}

/// A page of conversations as the list shows them, each with its
/// request's `tags` (one query for the page).
pub(super) fn with_request_tags(
    app: &App,
    actor: &Actor,
    convs: &[Conversation],
) -> Result<Vec<Value>> {
    let ids: Vec<i64> = convs.iter().map(|c| c.id).collect();
    let mut tags = app.desk.request_tags(actor, &ids)?;
    Ok(convs
        .iter()
        .map(|c| {
            let mut v = c.to_json();
            v["tags"] = json!(tags.remove(&c.id).unwrap_or_default());
            v
        })
        .collect())
}
