//! The embedded inbox's logins (issue 14, part E). A host application asks
//! for an embed token server-side with an admin API token, puts it in the
//! framed page's URL, and the page spends it once for a staff session like
//! a password login of that agent: in a third-party frame the browser may
//! keep no cookie, so the page can hold that session in memory.

use super::auth::Session;
use super::{Actor, Desk};
use crate::error::{self, Result};
use crate::store::events::Audience;
use crate::store::users::User;
use crate::store::{auth, embed, users};
use crate::util::{random_token, sha256_hex};
use serde_json::json;

/// The longest an embed token lives, and its default.
pub const TTL_MAX_S: i64 = 300;
pub const TTL_DEFAULT_S: i64 = 60;
/// An embed login's session: shorter than a password login's, since the
/// host application mints a new token for every page it frames.
pub const SESSION_HOURS: i64 = 24;

/// A new embed token (shown once) and when it expires (ms).
pub struct EmbedToken {
    pub token: String,
    pub expires_at: i64,
    pub user: User,
}

/// Who an embed token logs in: one of a user id or an email.
pub enum Who<'a> {
    Id(i64),
    Email(&'a str),
}

impl Desk {
    /// An embed token for an enabled agent or admin. Only an admin API
    /// token makes one (a host application's back end, never a browser
    /// session), and revoking that API token kills it and its sessions.
    pub fn create_embed_token(
        &self,
        actor: &Actor,
        who: Who,
        ttl_s: Option<i64>,
    ) -> Result<EmbedToken> {
        actor.require_admin()?;
        let Some(token_id) = actor.token_id else {
            return Err(error::EMBED_NEEDS_API_TOKEN.err());
        };
        let ttl = ttl_s.unwrap_or(TTL_DEFAULT_S);
        if !(1..=TTL_MAX_S).contains(&ttl) {
            return Err(error::INVALID_EMBED_TTL.err());
        }
        let found = match who {
            Who::Id(id) => self.store.read(|c| users::find(c, id))?,
            Who::Email(e) => self
                .store
                .read(|c| users::by_email(c, e.trim()))?
                .map(|(u, _)| u),
        };
        let user = found
            .filter(|u| u.user_type.is_agent() && !u.disabled)
            .ok_or_else(|| {
                error::INVALID_EMBED_USER.with("no enabled agent or admin is named so")
            })?;
        let token = random_token("fpe_", 32);
        let th = sha256_hex(token.as_bytes());
        let (uid, by) = (user.id, actor.user_id);
        let expires_at = self.store.write(move |tx| {
            let expires_at = tx.now + ttl * 1000;
            embed::insert(tx, &th, uid, Some(token_id), expires_at)?;
            tx.emit(
                "embed_token.created",
                None,
                Some(by),
                Audience::Admins,
                json!({ "user_id": uid, "token_id": token_id, "expires_at": crate::util::rfc3339(expires_at) }),
            )?;
            Ok(expires_at)
        })?;
        Ok(EmbedToken {
            token,
            expires_at,
            user,
        })
    }

    /// Spends an embed token for a session of its agent (opened by the
    /// token's API token, so revoking that ends it). Unknown, used, expired
    /// and revoked tokens are one error, and change nothing.
    pub fn embed_login(&self, token: &str) -> Result<Session> {
        let th = sha256_hex(token.as_bytes());
        let session = random_token(super::auth::SESSION_PREFIX, 32);
        let csrf = random_token("", 24);
        let (sh, cs) = (sha256_hex(session.as_bytes()), csrf.clone());
        let user = self.store.write(move |tx| {
            let invalid = || error::EMBED_TOKEN_INVALID.err();
            let (uid, token_id) = embed::take(tx, &th)?.ok_or_else(invalid)?;
            // Disabled or demoted since the token was made: no login.
            let user = users::find(tx.conn, uid)?
                .filter(|u| u.user_type.is_agent() && !u.disabled)
                .ok_or_else(invalid)?;
            let expires = tx.now + SESSION_HOURS * 3_600_000;
            auth::insert_session(tx, &sh, &cs, uid, expires, token_id)?;
            tx.emit(
                "user.login",
                None,
                Some(uid),
                Audience::Admins,
                json!({ "user_id": uid, "embed": true }),
            )?;
            Ok(user)
        })?;
        Ok(Session {
            token: session,
            csrf,
            user,
        })
    }
}
