//! Logging in and out, sessions, API tokens and visitor tokens.

use super::users::UserType;
use super::{Actor, Desk, Role};
use crate::error::{self, Result};
use crate::realtime::{Credential, Revoked};
use crate::store::events::Audience;
use crate::store::users::{User, UserFields};
use crate::store::{auth, users};
use crate::util::{random_token, sha256_hex};
use serde_json::json;

pub const SESSION_DAYS: i64 = 30;
/// Staff session tokens start so: the embedded inbox may send one as a
/// bearer credential when its frame keeps no cookie (`api/auth.rs`).
pub const SESSION_PREFIX: &str = "fps_";

pub struct Session {
    pub token: String,
    pub csrf: String,
    pub user: User,
}

impl Desk {
    /// Staff login. Unknown email, wrong password and disabled account give
    /// the same error. `via_token`: the API token logging the agent in
    /// (api.php), whose revocation ends the session.
    pub fn login(&self, email: &str, password: &str, via_token: Option<i64>) -> Result<Session> {
        let found = self.store.read(|c| users::by_email(c, email.trim()))?;
        let denied = || error::INVALID_CREDENTIALS.err();
        let (user, hash) = match found {
            Some((u, Some(h))) if u.user_type.is_agent() => (u, h),
            _ => {
                // Spend the same time as a wrong password would.
                self.verify_password(password, self.dummy_hash());
                return Err(denied());
            }
        };
        if !self.verify_password(password, &hash) || user.disabled {
            return Err(denied());
        }
        let token = random_token(SESSION_PREFIX, 32);
        let csrf = random_token("", 24);
        let (th, cs, uid) = (sha256_hex(token.as_bytes()), csrf.clone(), user.id);
        self.store.write(move |tx| {
            let expires = tx.now + SESSION_DAYS * 86_400_000;
            auth::insert_session(tx, &th, &cs, uid, expires, via_token)?;
            tx.emit(
                "user.login",
                None,
                Some(uid),
                Audience::Admins,
                json!({ "user_id": uid }),
            )?;
            Ok(())
        })?;
        Ok(Session { token, csrf, user })
    }

    pub fn logout(&self, session_token: &str) -> Result<()> {
        let th = sha256_hex(session_token.as_bytes());
        let key = th.clone();
        self.store.write(move |tx| auth::delete_session(tx, &key))?;
        self.hub.revoke(&Revoked::Login(th));
        Ok(())
    }

    /// What an events listener authenticated with (`login`: its session
    /// cookie or visitor token), so that revoking it ends the listener.
    pub fn listener_credential(&self, actor: &Actor, login: Option<&str>) -> Result<Credential> {
        let Some(login) = login else {
            return Ok(Credential {
                token_id: actor.token_id,
                ..Default::default()
            });
        };
        let th = sha256_hex(login.as_bytes());
        let via = self.store.read(|c| auth::login_token_id(c, &th))?;
        Ok(Credential {
            user_id: Some(actor.user_id),
            login_hash: Some(th),
            staff_session: actor.is_staff(),
            token_id: via,
        })
    }

    /// The staff user behind a session cookie, with its CSRF token.
    pub fn session(&self, session_token: &str) -> Result<Option<(User, String)>> {
        let th = sha256_hex(session_token.as_bytes());
        self.store
            .read(|c| auth::session(c, &th, crate::util::now_ms()))
    }

    /// The actor behind a bearer API token.
    pub fn api_token(&self, token: &str) -> Result<Option<Actor>> {
        let th = sha256_hex(token.as_bytes());
        let found = self.store.read(|c| auth::token_by_hash(c, &th))?;
        Ok(found.map(|t| Actor {
            role: if t.role == "admin" {
                Role::Admin
            } else {
                Role::Agent
            },
            user_id: t.user_id.unwrap_or(self.bot_id),
            token_id: Some(t.id),
        }))
    }

    pub fn visitor(&self, token: &str) -> Result<Option<User>> {
        let th = sha256_hex(token.as_bytes());
        self.store.read(|c| auth::visitor_by_token(c, &th))
    }

    /// Creates an API token and returns it (shown once) with its id.
    pub fn create_token(
        &self,
        actor: Option<&Actor>,
        name: &str,
        role: &str,
    ) -> Result<(String, i64)> {
        if let Some(a) = actor {
            a.require_admin()?;
        }
        if !matches!(role, "admin" | "agent") {
            return Err(error::INVALID_ROLE.err());
        }
        if name.trim().is_empty() {
            return Err(error::MISSING_NAME.with("a token needs a name"));
        }
        super::check_len("name", name, 200)?;
        let token = random_token("fp_", 32);
        let (th, prefix) = (sha256_hex(token.as_bytes()), token[..9].to_string());
        let (name, role, actor_id) = (name.to_string(), role.to_string(), actor.map(|a| a.user_id));
        let id = self.store.write(move |tx| {
            let id = auth::insert_token(tx, &name, &role, &th, &prefix, None)?;
            tx.emit(
                "token.created",
                None,
                actor_id,
                Audience::Admins,
                json!({ "id": id, "name": name, "role": role }),
            )?;
            Ok(id)
        })?;
        Ok((token, id))
    }

    pub fn revoke_token(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.require_admin()?;
        let uid = actor.user_id;
        self.store.write(move |tx| {
            auth::revoke_token(tx, id)?;
            tx.emit(
                "token.revoked",
                None,
                Some(uid),
                Audience::Admins,
                json!({ "id": id }),
            )?;
            Ok(())
        })
    }

    pub fn list_tokens(&self, actor: &Actor) -> Result<Vec<serde_json::Value>> {
        actor.require_admin()?;
        self.store.read(auth::list_tokens)
    }

    /// Starts an anonymous (or self-described) visitor and returns its token.
    pub fn create_visitor(&self, fields: UserFields) -> Result<(String, User)> {
        let mut fields = fields;
        self.visitor_fields(None, &mut fields, "visitors", false)?;
        let user_type = if fields.email.is_some() {
            UserType::Lead
        } else {
            UserType::Visitor
        };
        if fields.email.as_deref() == Some("") {
            fields.email = None;
        }
        let token = random_token("fpv_", 24);
        let th = sha256_hex(token.as_bytes());
        let user = self.store.write(move |tx| {
            // A visitor may give an email already on file: keep it on their
            // own record only once verified, so never merge here.
            super::users::drop_taken_email(tx.conn, &mut fields, None)?;
            let user = users::insert(tx, &fields, user_type, None)?;
            auth::insert_visitor_token(tx, &th, user.id, None)?;
            super::users::emit_created(tx, Some(user.id), &user)?;
            super::users::emit_form(tx, "prechat", &user, &fields)?;
            Ok(user)
        })?;
        Ok((token, user))
    }

    /// A contact's own login (Support Board's `login` for users): their
    /// email and password, checked like staff logins. Answers a visitor
    /// token the widget and the visitor API accept.
    pub fn contact_login(
        &self,
        email: &str,
        password: &str,
        via_token: Option<i64>,
    ) -> Result<(String, User)> {
        let found = self.store.read(|c| users::by_email(c, email.trim()))?;
        let denied = || error::INVALID_CREDENTIALS.err();
        let (user, hash) = match found {
            Some((u, Some(h))) if !u.is_staff() => (u, h),
            _ => {
                self.verify_password(password, self.dummy_hash());
                return Err(denied());
            }
        };
        if !self.verify_password(password, &hash) || user.disabled {
            return Err(denied());
        }
        Ok((self.contact_token(user.id, via_token)?, user))
    }

    /// A new visitor token for the contact `user_id` (an admin logging a
    /// contact in from their own back end, with the API token `via_token`).
    pub fn contact_token(&self, user_id: i64, via_token: Option<i64>) -> Result<String> {
        let user = self.user_by_id(user_id)?;
        if user.is_staff() {
            return Err(error::STAFF_ACCOUNT.err());
        }
        let token = random_token("fpv_", 24);
        let th = sha256_hex(token.as_bytes());
        self.store.write(move |tx| {
            auth::insert_visitor_token(tx, &th, user_id, via_token)?;
            tx.emit(
                "user.login",
                None,
                Some(user_id),
                Audience::Admins,
                json!({ "user_id": user_id, "contact": true }),
            )?;
            Ok(())
        })?;
        Ok(token)
    }

    /// The user behind a login token: a staff session or a visitor token.
    pub fn login_user(&self, token: &str) -> Result<Option<User>> {
        if let Some((user, _)) = self.session(token)? {
            return Ok(Some(user));
        }
        self.visitor(token)
    }

    /// Ends a login token, whichever kind it is.
    pub fn end_login(&self, token: &str) -> Result<()> {
        self.logout(token)?;
        self.end_visitor(token)
    }

    /// Ends a visitor token (the widget's "reset").
    pub fn end_visitor(&self, token: &str) -> Result<()> {
        let th = sha256_hex(token.as_bytes());
        let key = th.clone();
        self.store
            .write(move |tx| auth::delete_visitor_token(tx, &key))?;
        self.hub.revoke(&Revoked::Login(th));
        Ok(())
    }
}
