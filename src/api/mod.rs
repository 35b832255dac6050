//! API surfaces: each module is a thin adapter that parses a request,
//! authorises the caller, calls desk verbs and shapes the response.
//! `ROUTES` is the whole routing table of the JSON APIs.

pub mod articles;
pub mod auth;
pub mod automations;
pub mod ops;
pub mod pages;
pub mod rest;
pub mod support_board;
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

pub static ROUTES: &[Route] = &[
    r(
        "POST",
        "/script/include/api.php",
        Public,
        support_board::handle,
    ),
    r("POST", "/api.php", Public, support_board::handle),
    r("GET", "/healthz", Public, ops::healthz),
    r("GET", "/metrics", Public, ops::metrics),
    r("GET", "/api/v1/openapi.json", Public, ops::openapi),
    r("POST", "/api/v1/auth/login", Public, rest::login),
    r("POST", "/api/v1/auth/logout", Staff, rest::logout),
    r("GET", "/api/v1/me", Staff, rest::me),
    r("PUT", "/api/v1/me/presence", Staff, rest::set_presence),
    r("GET", "/api/v1/presence", Staff, rest::presence),
    r("GET", "/api/v1/users", Staff, rest::list_users),
    r("POST", "/api/v1/users", Staff, rest::create_user),
    r("GET", "/api/v1/users/{id}", Staff, rest::get_user),
    r("PATCH", "/api/v1/users/{id}", Staff, rest::update_user),
    r("DELETE", "/api/v1/users/{id}", Staff, rest::delete_user),
    r(
        "GET",
        "/api/v1/conversations",
        Staff,
        rest::list_conversations,
    ),
    r(
        "POST",
        "/api/v1/conversations",
        Staff,
        rest::create_conversation,
    ),
    r(
        "GET",
        "/api/v1/conversations/{id}",
        Staff,
        rest::get_conversation,
    ),
    r(
        "PATCH",
        "/api/v1/conversations/{id}",
        Staff,
        rest::update_conversation,
    ),
    r(
        "DELETE",
        "/api/v1/conversations/{id}",
        Staff,
        rest::delete_conversation,
    ),
    r(
        "GET",
        "/api/v1/conversations/{id}/messages",
        Staff,
        rest::history,
    ),
    r(
        "POST",
        "/api/v1/conversations/{id}/messages",
        Staff,
        rest::post_message,
    ),
    r(
        "PATCH",
        "/api/v1/conversations/{id}/messages/{id}",
        Staff,
        rest::edit_message,
    ),
    r(
        "DELETE",
        "/api/v1/conversations/{id}/messages/{id}",
        Staff,
        rest::delete_message,
    ),
    r(
        "POST",
        "/api/v1/conversations/{id}/read",
        Staff,
        rest::mark_read,
    ),
    r(
        "POST",
        "/api/v1/conversations/{id}/typing",
        Staff,
        rest::typing,
    ),
    r("GET", "/api/v1/search", Staff, rest::search),
    r("POST", "/api/v1/uploads", Staff, rest::upload),
    r("GET", "/api/v1/departments", Staff, rest::departments),
    r(
        "POST",
        "/api/v1/departments",
        Admin,
        rest::create_department,
    ),
    r(
        "PATCH",
        "/api/v1/departments/{id}",
        Admin,
        rest::update_department,
    ),
    r(
        "DELETE",
        "/api/v1/departments/{id}",
        Admin,
        rest::delete_department,
    ),
    r("GET", "/api/v1/articles", Public, articles::articles),
    r("PUT", "/api/v1/articles", Admin, articles::save_articles),
    r("GET", "/api/v1/articles/search", Public, articles::search),
    r("POST", "/api/v1/articles/ratings", Any, articles::rate),
    r(
        "GET",
        "/api/v1/article-categories",
        Public,
        articles::categories,
    ),
    r(
        "PUT",
        "/api/v1/article-categories",
        Admin,
        articles::save_categories,
    ),
    r(
        "GET",
        "/api/v1/automations",
        Staff,
        automations::automations,
    ),
    r(
        "PUT",
        "/api/v1/automations",
        Admin,
        automations::save_automations,
    ),
    r("GET", "/api/v1/reports", Staff, rest::report),
    r(
        "GET",
        "/api/v1/widget/automations",
        Public,
        widget::automations,
    ),
    r(
        "POST",
        "/api/v1/widget/automations/run",
        Visitor,
        widget::run_automation,
    ),
    r("GET", "/api/v1/settings", Staff, rest::settings),
    r("PUT", "/api/v1/settings", Admin, rest::save_settings),
    r("GET", "/api/v1/webhooks", Admin, rest::webhooks),
    r("POST", "/api/v1/webhooks", Admin, rest::create_webhook),
    r(
        "PATCH",
        "/api/v1/webhooks/{id}",
        Admin,
        rest::update_webhook,
    ),
    r(
        "DELETE",
        "/api/v1/webhooks/{id}",
        Admin,
        rest::delete_webhook,
    ),
    r(
        "GET",
        "/api/v1/webhooks/{id}/deliveries",
        Admin,
        rest::deliveries,
    ),
    r("GET", "/api/v1/deliveries/{id}", Admin, rest::delivery),
    r(
        "POST",
        "/api/v1/deliveries/{id}/replay",
        Admin,
        rest::replay_delivery,
    ),
    r("GET", "/api/v1/tokens", Admin, rest::tokens),
    r("POST", "/api/v1/tokens", Admin, rest::create_token),
    r("DELETE", "/api/v1/tokens/{id}", Admin, rest::revoke_token),
    r("GET", "/api/v1/events", Any, rest::events),
    r("GET", "/api/v1/events/stream", Any, rest::event_stream),
    r("POST", "/api/v1/widget/session", Public, widget::session),
    r(
        "DELETE",
        "/api/v1/widget/session",
        Visitor,
        widget::end_session,
    ),
    r("GET", "/api/v1/widget/me", Visitor, widget::me),
    r("PATCH", "/api/v1/widget/me", Visitor, widget::update_me),
    r("GET", "/api/v1/widget/status", Public, widget::status),
    r("GET", "/api/v1/widget/config", Public, widget::config),
    r("POST", "/api/v1/widget/identify", Visitor, widget::identify),
    r("POST", "/api/v1/widget/uploads", Visitor, rest::upload),
    r(
        "GET",
        "/api/v1/widget/conversations",
        Visitor,
        widget::conversations,
    ),
    r(
        "POST",
        "/api/v1/widget/conversations",
        Visitor,
        widget::open_conversation,
    ),
    r(
        "GET",
        "/api/v1/widget/conversations/{id}",
        Visitor,
        widget::conversation,
    ),
    r(
        "GET",
        "/api/v1/widget/conversations/{id}/messages",
        Visitor,
        widget::history,
    ),
    r(
        "POST",
        "/api/v1/widget/conversations/{id}/messages",
        Visitor,
        widget::post_message,
    ),
    r(
        "POST",
        "/api/v1/widget/conversations/{id}/read",
        Visitor,
        widget::mark_read,
    ),
    r(
        "POST",
        "/api/v1/widget/conversations/{id}/typing",
        Visitor,
        widget::typing,
    ),
    r(
        "POST",
        "/api/v1/widget/conversations/{id}/rating",
        Visitor,
        widget::rate,
    ),
    r(
        "POST",
        "/api/v1/widget/conversations/{id}/transcript",
        Visitor,
        widget::transcript,
    ),
];

/// Matches `path` against a route pattern; `{id}` takes a positive integer.
fn matches(pattern: &str, path: &str) -> Option<Vec<i64>> {
    let mut ids = Vec::new();
    let mut p = pattern.split('/');
    let mut s = path.trim_end_matches('/').split('/');
    loop {
        match (p.next(), s.next()) {
            (None, None) => return Some(ids),
            (Some("{id}"), Some(seg)) => ids.push(seg.parse::<i64>().ok().filter(|v| *v > 0)?),
            (Some(a), Some(b)) if a == b => {}
            _ => return None,
        }
    }
}

/// Finds the route, checks access, runs the handler.
pub fn dispatch(app: &App, ctx: &Ctx) -> Result<Reply> {
    let mut path_matched = false;
    for route in ROUTES {
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
        return (route.handler)(app, ctx, &caller, &ids);
    }
    if path_matched {
        return Err(error::METHOD_NOT_ALLOWED.with(format!("{} is not allowed here", ctx.method)));
    }
    Err(Error::not_found("route"))
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
        let routed: std::collections::BTreeSet<_> = ROUTES
            .iter()
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
