//! Messaging platforms' webhooks: `GET|POST /channels/<name>` (issue 12,
//! contract item 2). No credentials: the platform's signature over the
//! raw request is the authentication, checked by the platform's module
//! (`channels::Platform::verify`) before anything is read or stored. A
//! verified request is imported in one desk write job and answered the
//! platform's way (`Platform::ack`) only after its commit.

use super::auth::Caller;
use super::Reply;
use super::{r, Access::*, Route};
use crate::app::App;
use crate::channels::{self, Inbound};
use crate::error::{self, Result};
use crate::http::ratelimit::CHANNEL_PER_IP;
use crate::http::request::{parse_form_pairs, Ctx};
use crate::http::response::Resp;

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[
    r("GET", "/channels/{name}", Public, handshake),
    r("POST", "/channels/{name}", Public, inbound),
];

/// The platform the path names (`unknown_channel`, 404, if none).
fn platform(ctx: &Ctx) -> Result<&'static channels::Platform> {
    let name = ctx
        .path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    channels::named(name)
}

/// The request as the platform sent it. `url` is the URL the platform
/// called (Twilio signs it): the configured public URL, else the Host
/// header's, with the path and the query as sent.
fn request(app: &App, ctx: &Ctx) -> Inbound {
    let base = if app.config.public_url.is_empty() {
        let https = app.config.trust_proxy
            && ctx
                .header("x-forwarded-proto")
                .is_some_and(|p| p.eq_ignore_ascii_case("https"));
        let host = ctx.header("host").unwrap_or("localhost");
        format!("{}://{host}", if https { "https" } else { "http" })
    } else {
        app.config.public_url.trim_end_matches('/').to_string()
    };
    let mut url = format!("{base}{}", ctx.path);
    if !ctx.raw_query.is_empty() {
        url.push('?');
        url.push_str(&ctx.raw_query);
    }
    Inbound {
        url,
        query: parse_form_pairs(&ctx.raw_query),
        headers: ctx
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        body: ctx.body.clone(),
    }
}

/// Every request counts against its address first, signed or not.
fn limited(app: &App, ctx: &Ctx) -> Result<()> {
    app.limits
        .check(&format!("channel:{}", ctx.ip), CHANNEL_PER_IP)
}

/// `GET /channels/<name>`: the platform's webhook handshake (Meta's
/// `hub.challenge`, WeChat's `echostr`), 405 where it has none.
fn handshake(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    limited(app, ctx)?;
    let p = platform(ctx)?;
    let config = app.desk.channel_config(p.name)?.1;
    let Some(answer) = p.handshake else {
        return Err(error::METHOD_NOT_ALLOWED.with(format!("{} has no webhook handshake", p.label)));
    };
    let body = answer(&config, &request(app, ctx))?;
    Ok(Resp::text(200, "text/plain; charset=utf-8", body).into())
}

/// `POST /channels/<name>`: verify, read, import (one write job), then
/// answer as the platform expects.
fn inbound(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    limited(app, ctx)?;
    let p = platform(ctx)?;
    let config = app.desk.channel_config(p.name)?.1;
    let req = request(app, ctx);
    (p.verify)(&config, &req)?;
    let events = (p.parse)(&config, &req)?;
    let done = app.desk.import_channel(p, events)?;
    log::debug!("{}: {done:?}", p.name);
    let (content_type, body) = p.ack;
    Ok(Resp::text(200, content_type, body).into())
}

#[cfg(test)]
mod tests {
    /// The inbox's channel badges (`assets/admin/channel_badge.js`) name
    /// every platform's sources, as the platform's label where it has one
    /// source (Messenger's `fb` and `ig` are named apart).
    #[test]
    fn the_inbox_names_every_platform() {
        let js = include_str!("../../assets/admin/channel_badge.js");
        for p in crate::channels::PLATFORMS {
            for s in p.sources {
                let line = match p.sources {
                    [_] => format!("  {s}: {:?},", p.label),
                    _ => format!("  {s}: \""),
                };
                assert!(js.contains(&line), "channel_badge.js lacks {line:?}");
            }
        }
        // Chat2Desk's external channel has no platform module (issue 14).
        let c2d = format!("  {}: \"Chat2Desk\",", crate::desk::chat2desk::SOURCE);
        assert!(js.contains(&c2d), "channel_badge.js lacks {c2d:?}");
    }
}
