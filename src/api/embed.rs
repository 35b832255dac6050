//! The embedded inbox's logins (embed tokens obtained with an API token): part E of issue 14.
//! `POST /api/v1/embed-tokens` (a host application's back end, with an
//! admin API token) makes a single-use token; the page framed at
//! `/chat/all?...&embed_token=` spends it with `POST /api/v1/auth/embed`.

use super::auth::{embed_cookie, Caller};
use super::rest::created;
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::desk::auth::Session;
use crate::desk::embed::{Who, SESSION_HOURS};
use crate::error::{self, Result};
use crate::http::ratelimit;
use crate::http::request::Ctx;
use crate::http::response::Resp;
use serde::Deserialize;
use serde_json::json;

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[
    r("POST", "/api/v1/embed-tokens", Admin, create_token),
    r("POST", "/api/v1/auth/embed", Public, exchange),
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewEmbedToken {
    user_id: Option<i64>,
    email: Option<String>,
    ttl_s: Option<i64>,
    /// The conversation the URL opens, and its mode (`minifiedView`).
    dialog_id: Option<i64>,
    minified_view: Option<u8>,
}

/// The framed page's URL: `minifiedView` 1 (the inbox without its menu,
/// `dialogID` optional), 2 (one conversation with its reply box) or 3 (one
/// conversation, read-only).
fn embed_url(app: &App, t: &NewEmbedToken, token: &str) -> Result<String> {
    let view = t
        .minified_view
        .unwrap_or(if t.dialog_id.is_some() { 2 } else { 1 });
    if !(1..=3).contains(&view) || (view > 1 && t.dialog_id.is_none()) {
        return Err(error::INVALID_EMBED_VIEW.err());
    }
    let dialog = t
        .dialog_id
        .map(|d| format!("dialogID={d}&"))
        .unwrap_or_default();
    Ok(format!(
        "{}/chat/all?{dialog}minifiedView={view}&embed_token={token}",
        app.desk.links.public_url()
    ))
}

pub fn create_token(app: &App, ctx: &Ctx, caller: &Caller, _: &[i64]) -> Result<Reply> {
    let t: NewEmbedToken = ctx.json()?;
    let actor = caller.actor()?;
    let who = match (t.user_id, t.email.as_deref()) {
        (Some(id), None) => Who::Id(id),
        (None, Some(email)) => Who::Email(email),
        _ => return Err(error::INVALID_EMBED_USER.err()),
    };
    if let Some(id) = t.dialog_id {
        // Checked in the caller's scope, so a URL never names a stranger.
        app.desk.conversation(actor, id)?;
    }
    // The URL is checked before a token exists, so a bad one makes none.
    embed_url(app, &t, "")?;
    let made = app.desk.create_embed_token(actor, who, t.ttl_s)?;
    created(json!({
        "token": made.token,
        "url": embed_url(app, &t, &made.token)?,
        "expires_at": crate::util::rfc3339(made.expires_at),
        "user_id": made.user.id,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Exchange {
    token: String,
}

pub fn exchange(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    let body: Exchange = ctx.json()?;
    app.limits
        .check(&format!("embed-ip:{}", ctx.ip), ratelimit::LOGIN_PER_IP)?;
    let s = app.desk.embed_login(&body.token)?;
    embedded_login(&s, SESSION_HOURS * 3600)
}

/// A login inside the embedded inbox (an embed token, or a password with
/// `embed: true`): the partitioned cookie, and the session in the body for
/// the page to hold in memory where the browser keeps no cookie.
pub fn embedded_login(s: &Session, max_age_s: i64) -> Result<Reply> {
    let body = json!({ "user": s.user.to_json(), "csrf_token": s.csrf, "session": s.token });
    Ok(Resp::json(200, &body)
        .with_header("Set-Cookie", embed_cookie(&s.token, max_age_s))
        .into())
}
