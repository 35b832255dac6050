//! API surfaces: each module is a thin adapter that parses a request,
//! authorises the caller, calls desk verbs and shapes the response.
//! Each module registers its routes in its own `ROUTES` table, beside its
//! handlers; `TABLES` joins them into the routing table of the JSON APIs.

pub mod articles;
pub mod auth;
pub mod automations;
pub mod channel_settings;
pub mod channels;
pub mod chat2desk;
pub mod chatshipper;
pub mod commands;
pub mod email;
pub mod embed;
pub mod forms;
pub mod invitations;
pub mod macros;
pub mod ops;
pub mod pages;
pub mod profile;
pub mod push;
pub mod reactions;
pub mod rest;
pub mod routing;
pub mod support_board;
pub mod tags;
pub mod talkjs;
pub mod widget;

use crate::app::App;
use crate::error::{self, Error, Result};
use crate::http::request::Ctx;
use crate::http::response::Resp;
use crate::realtime::{Credential, Viewer};
use auth::Caller;

/// What a handler wants done with the request.
pub enum Reply {
    Resp(Resp),
    /// Long-poll for events after `after`.
    Poll {
        viewer: Viewer,
        me: i64,
        cred: Credential,
        after: i64,
    },
    /// Server-sent events from `after` on.
    Stream {
        viewer: Viewer,
        me: i64,
        cred: Credential,
        after: i64,
    },
}

impl From<Resp> for Reply {
    fn from(r: Resp) -> Reply {
        Reply::Resp(r)
    }
}

/// Who may call a route.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Access {
    Public,
    /// Agents and admins (session or API token).
    Staff,
    Admin,
    /// A visitor token.
    Visitor,
    /// Staff or visitor.
    Any,
}

pub type Handler = fn(&App, &Ctx, &Caller, &[i64]) -> Result<Reply>;

pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    pub handler: Handler,
}

const fn r(method: &'static str, path: &'static str, access: Access, handler: Handler) -> Route {
    Route {
        method,
        path,
        access,
        handler,
    }
}

use Access::*;

/// Every file's route table, joined: the whole routing table of the JSON
/// APIs. Each surface registers its routes beside its handlers.
static TABLES: &[&[Route]] = &[
    support_board::ROUTES,
    ops::ROUTES,
    rest::ROUTES,
    articles::ROUTES,
    automations::ROUTES,
    email::ROUTES,
    channels::ROUTES,
    channel_settings::ROUTES,
    widget::ROUTES,
    profile::ROUTES,
    reactions::ROUTES,
    push::ROUTES,
    commands::ROUTES,
    forms::ROUTES,
    chatshipper::ROUTES,
    invitations::ROUTES,
    routing::ROUTES,
    tags::ROUTES,
    macros::ROUTES,
    embed::ROUTES,
    // Chat2Desk's literal `/v1/<resource>` paths before TalkJS's `/v1/{appId}`.
    chat2desk::ROUTES,
    talkjs::ROUTES,
];

/// Every route, in table order.
fn routes() -> impl Iterator<Item = &'static Route> {
    TABLES.iter().flat_map(|t| t.iter())
}

/// Matches `path` against a route pattern; `{id}` takes a positive integer,
/// `{name}` any segment (the handler reads it from the path).
fn matches(pattern: &str, path: &str) -> Option<Vec<i64>> {
    let mut ids = Vec::new();
    let mut p = pattern.split('/');
    let mut s = path.trim_end_matches('/').split('/');
    loop {
        match (p.next(), s.next()) {
            (None, None) => return Some(ids),
            (Some("{id}"), Some(seg)) => ids.push(seg.parse::<i64>().ok().filter(|v| *v > 0)?),
            (Some("{name}"), Some(seg)) if !seg.is_empty() => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return None,
        }
    }
}

/// Finds the route, checks access, runs the handler.
pub fn dispatch(app: &App, ctx: &Ctx) -> Result<Reply> {
    let mut path_matched = false;
    for route in routes() {
        let Some(ids) = matches(route.path, &ctx.path) else {
            continue;
        };
        path_matched = true;
        let method = if ctx.method == "HEAD" {
            "GET"
        } else {
            ctx.method.as_str()
        };
        if route.method != method {
            continue;
        }
        // Public routes ignore credentials that do not check out (a stale
        // cookie, or an admin's session cookie on the page that hosts the
        // widget, must not block logging in or a visitor's session).
        let caller = match (route.access, auth::caller(app, ctx)) {
            (Public, Err(_)) => Caller::Anonymous,
            (_, r) => r?,
        };
        match (route.access, &caller) {
            (Public, _) => {}
            (Staff, Caller::Staff { .. })
            | (Any, Caller::Staff { .. })
            | (Any, Caller::Visitor { .. }) => {}
            (Admin, Caller::Staff { actor, .. }) => actor.require_admin()?,
            (Visitor, Caller::Visitor { .. }) => {}
            (_, Caller::Anonymous) => return Err(Error::unauthorized("authentication required")),
            _ => {
                return Err(Error::forbidden(
                    "this credential cannot call this endpoint",
                ))
            }
        }
        refuse_blocked_writes(app, ctx, &caller, method)?;
        return (route.handler)(app, ctx, &caller, &ids);
    }
    if path_matched {
        return Err(error::METHOD_NOT_ALLOWED.with(format!("{} is not allowed here", ctx.method)));
    }
    Err(Error::not_found("route"))
}

/// An answer, or its client error in a surface's own body shape (`body`),
/// with `Retry-After` when the error has one. Server errors stay errors,
/// for the common path that logs them and answers in the one shape.
pub(crate) fn answer_in(r: Result<Reply>, body: fn(&Error) -> serde_json::Value) -> Result<Reply> {
    match r {
        Err(e)
            if matches!(
                e.kind,
                error::Kind::Internal | error::Kind::InsufficientStorage | error::Kind::Unavailable
            ) =>
        {
            Err(e)
        }
        Err(e) => {
            let mut resp = Resp::json(crate::http::response::status_of(e.kind), &body(&e));
            if let Some(s) = e.retry_after {
                resp = resp.with_header("Retry-After", s.to_string());
            }
            Ok(resp.into())
        }
        ok => ok,
    }
}

/// A blocked visitor keeps a working token: every write it makes (posts,
/// files, typing, ratings, transcripts, identify, forms, ...) is refused
/// here, in one place, so no visitor route can forget the check. Reads and
/// ending the session stay open (the widget shows why it is blocked).
fn refuse_blocked_writes(app: &App, ctx: &Ctx, caller: &Caller, method: &str) -> Result<()> {
    match caller {
        Caller::Visitor { actor, .. } if matches!(method, "POST" | "PUT" | "PATCH") => {
            app.desk.visitor_arrives(actor.user_id, &ctx.ip)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_matching() {
        assert_eq!(
            matches("/api/v1/users/{id}", "/api/v1/users/12"),
            Some(vec![12])
        );
        assert_eq!(
            matches("/api/v1/users/{id}", "/api/v1/users/12/"),
            Some(vec![12])
        );
        assert_eq!(matches("/api/v1/users/{id}", "/api/v1/users/x"), None);
        assert_eq!(matches("/api/v1/users/{id}", "/api/v1/users/-1"), None);
        assert_eq!(matches("/a/{id}/b/{id}", "/a/1/b/2"), Some(vec![1, 2]));
        assert_eq!(matches("/a", "/a/b"), None);
    }

    /// No route is registered twice (in one table or in two).
    #[test]
    fn no_route_twice() {
        let mut seen = std::collections::BTreeSet::new();
        for r in routes() {
            assert!(
                seen.insert((r.method, r.path)),
                "{} {} twice",
                r.method,
                r.path
            );
        }
    }

    /// The OpenAPI document lists exactly the routes of the table.
    #[test]
    fn openapi_matches_routes() {
        let doc: serde_json::Value = serde_json::from_str(ops::OPENAPI).unwrap();
        let paths = doc["paths"].as_object().unwrap();
        let mut documented = std::collections::BTreeSet::new();
        for (path, ops) in paths {
            for method in ops.as_object().unwrap().keys() {
                if method != "parameters" {
                    documented.insert((
                        method.to_uppercase(),
                        path.replace("{message_id}", "{id}")
                            .replace("{conversation_id}", "{id}"),
                    ));
                }
            }
        }
        let routed: std::collections::BTreeSet<_> = routes()
            .filter(|r| r.path.starts_with("/api/v1/"))
            .map(|r| {
                (
                    r.method.to_string(),
                    r.path.trim_start_matches("/api/v1").to_string(),
                )
            })
            .collect();
        let missing: Vec<_> = routed.difference(&documented).collect();
        let extra: Vec<_> = documented.difference(&routed).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "undocumented: {missing:?}; documented but not routed: {extra:?}"
        );
    }
}
