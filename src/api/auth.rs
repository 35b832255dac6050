//! Who is calling: a bearer API token, a staff session cookie (with CSRF
//! check on writes; the embedded inbox may send its session as a bearer
//! instead, checked the same way), a visitor token, or nobody.

use crate::app::App;
use crate::desk::users::User;
use crate::desk::{Actor, Role};
use crate::error::{self, Error, Result};
use crate::http::request::Ctx;

pub const SESSION_COOKIE: &str = "fp_session";

pub enum Caller {
    Staff {
        actor: Actor,
        session: Option<String>,
    },
    Visitor {
        actor: Actor,
        user: Box<User>,
        token: String,
    },
    Anonymous,
}

impl Caller {
    pub fn actor(&self) -> Result<&Actor> {
        match self {
            Caller::Staff { actor, .. } | Caller::Visitor { actor, .. } => Ok(actor),
            Caller::Anonymous => Err(Error::unauthorized("authentication required")),
        }
    }
}

fn safe_method(m: &str) -> bool {
    matches!(m, "GET" | "HEAD" | "OPTIONS")
}

pub fn caller(app: &App, ctx: &Ctx) -> Result<Caller> {
    if let Some(auth) = ctx.header("authorization") {
        let token = auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(|| Error::unauthorized("Authorization must be 'Bearer <token>'"))?;
        if token.starts_with("fpv_") {
            let user = app
                .desk
                .visitor(token)?
                .ok_or_else(|| Error::unauthorized("invalid or expired visitor token"))?;
            let actor = Actor {
                role: Role::Visitor,
                user_id: user.id,
                token_id: None,
            };
            return Ok(Caller::Visitor {
                actor,
                user: Box::new(user),
                token: token.to_string(),
            });
        }
        // The embedded inbox's session, held in the page when its frame
        // keeps no cookie.
        if token.starts_with(crate::desk::auth::SESSION_PREFIX) {
            return staff_session(app, ctx, token)?
                .ok_or_else(|| Error::unauthorized("invalid or expired session"));
        }
        let actor = app
            .desk
            .api_token(token)?
            .ok_or_else(|| Error::unauthorized("invalid or revoked API token"))?;
        return Ok(Caller::Staff {
            actor,
            session: None,
        });
    }
    if let Some(cookie) = ctx.cookie(SESSION_COOKIE) {
        return Ok(staff_session(app, ctx, cookie)?.unwrap_or(Caller::Anonymous));
    }
    Ok(Caller::Anonymous)
}

/// The staff member behind a session token (from the cookie, or the
/// embedded inbox's bearer), with the CSRF check on writes either way.
fn staff_session(app: &App, ctx: &Ctx, token: &str) -> Result<Option<Caller>> {
    let Some((user, csrf)) = app.desk.session(token)? else {
        return Ok(None);
    };
    if !safe_method(&ctx.method) {
        let sent = ctx.header("x-csrf-token").unwrap_or("");
        if !crate::util::ct_eq(sent.as_bytes(), csrf.as_bytes()) {
            return Err(error::CSRF_FAILED.err());
        }
    }
    let role = if user.user_type == crate::desk::users::UserType::Admin {
        Role::Admin
    } else {
        Role::Agent
    };
    let actor = Actor {
        role,
        user_id: user.id,
        token_id: None,
    };
    Ok(Some(Caller::Staff {
        actor,
        session: Some(token.to_string()),
    }))
}

/// The session cookie of a login inside the embedded inbox: a third-party
/// frame gets only a `SameSite=None; Secure` cookie, and with third-party
/// cookies blocked only a partitioned one (CHIPS), kept per host site.
/// Chromium accepts `Secure` from http://localhost and 127.0.0.1 too.
pub fn embed_cookie(token: &str, max_age_s: i64) -> String {
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=None; Secure; Partitioned; Max-Age={max_age_s}")
}
