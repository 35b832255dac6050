//! Users and contacts: create, edit, delete, list, presence.

use super::{check_len, Actor, Desk, Role};
use crate::domain::Sent;
/// A user's type: the database stores the names (Support Board's).
pub use crate::domain::UserType;
pub use crate::domain::AVATAR_COLORS;
use crate::error::{self, Error, Result};
use crate::store::events::Audience;
use crate::store::users;
/// The user records adapters read and write.
pub use crate::store::users::{ListQuery, User, UserFields};

use crate::store::Store;
use serde_json::{json, Map};

/// Every type's name, in order.
fn type_names() -> Vec<&'static str> {
    UserType::ALL.map(UserType::as_str).to_vec()
}

/// Cleans the names (every path that stores a name comes here: see
/// `text::clean_name`), then checks the shape of user fields (lengths,
/// email, types, no control characters), not permissions.
pub fn validate_fields(f: &mut UserFields) -> Result<()> {
    for name in [&mut f.first_name, &mut f.last_name].into_iter().flatten() {
        *name = super::text::clean_name(name);
    }
    for (name, v, max) in [
        ("first_name", &f.first_name, 100),
        ("last_name", &f.last_name, 100),
        ("phone", &f.phone, 40),
        ("avatar", &f.avatar, 2000),
        ("language", &f.language, 20),
        ("current_url", &f.current_url, 2000),
        ("external_id", &f.external_id, 200),
    ] {
        if let Some(v) = v {
            check_len(name, v, max)?;
            super::text::refuse_controls(name, v)?;
        }
    }
    if let Some(e) = &f.email {
        check_len("email", e, 254)?;
        super::text::refuse_controls("email", e)?;
        let ok = e.is_empty() || {
            let mut parts = e.splitn(2, '@');
            let (l, d) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            !l.is_empty()
                && d.contains('.')
                && !d.starts_with('.')
                && !d.ends_with('.')
                && !e.contains(char::is_whitespace)
                // One mailbox: a list or a display name would make mail to
                // this contact go to someone else as well (r11).
                && !d.contains('@')
                && !e.contains([',', ';', '<', '>', '"'])
        };
        if !ok {
            return Err(error::INVALID_EMAIL.err());
        }
    }
    if let Some(Sent::Unknown(_)) = &f.user_type {
        return Err(
            error::INVALID_TYPE.with(format!("type must be one of {}", type_names().join(", ")))
        );
    }
    if let Some(c) = &mut f.custom {
        clean_custom(c)?;
        if c.len() > 100 || serde_json::to_string(c)?.len() > 16_384 {
            return Err(error::TOO_LARGE.with("custom fields are limited to 100 keys and 16 KiB"));
        }
    }
    Ok(())
}

/// Custom fields are shown to agents as labels: keys and string values get
/// the title rule (no control characters, invisible ones stripped).
fn clean_custom(c: &mut Map<String, serde_json::Value>) -> Result<()> {
    let mut out = Map::new();
    for (k, v) in std::mem::take(c) {
        let k = super::text::clean_label("custom field name", &k)?;
        let v = match v {
            serde_json::Value::String(s) => {
                serde_json::Value::String(super::text::clean_label(&k, &s)?)
            }
            other => other,
        };
        out.insert(k, v);
    }
    *c = out;
    Ok(())
}

/// Refuses the fields only staff may set, for visitor-facing verbs.
pub fn reject_privileged(f: &UserFields, what: &str) -> Result<()> {
    if f.password.is_some()
        || f.user_type.is_some()
        || f.external_id.is_some()
        || f.department_id.is_some()
    {
        return Err(error::INVALID_FIELD.with(format!(
            "{what} cannot set password, type, department or external_id"
        )));
    }
    Ok(())
}

/// Drops an email another user already has: claiming someone's email must
/// never take over their record.
pub fn drop_taken_email(
    conn: &rusqlite::Connection,
    f: &mut UserFields,
    owner: Option<i64>,
) -> Result<()> {
    if let Some(e) = &f.email {
        if users::by_email(conn, e)?.is_some_and(|(u, _)| Some(u.id) != owner) {
            f.email = None;
        }
    }
    Ok(())
}

/// What a contact told about themselves through a widget form: the
/// `form.submitted` event (Support Board's rich-message webhook), and
/// `user.email_added` when it brought an email address.
pub fn emit_form(tx: &mut crate::store::Tx, form: &str, user: &User, f: &UserFields) -> Result<()> {
    let mut result = Map::new();
    let mut put = |k: &str, v: &Option<String>, label: &str| {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            result.insert(k.to_string(), json!([v, label]));
        }
    };
    put("first_name", &f.first_name, "First name");
    put("last_name", &f.last_name, "Last name");
    put("email", &f.email, "Email");
    put("phone", &f.phone, "Phone");
    for (k, v) in f.custom.iter().flatten() {
        result.insert(k.clone(), json!([v, k]));
    }
    if result.is_empty() {
        return Ok(());
    }
    tx.emit(
        "form.submitted",
        None,
        Some(user.id),
        Audience::Staff,
        json!({ "id": form, "user_id": user.id, "data": { "type": "inputs", "result": result } }),
    )?;
    if let Some(email) = f.email.as_deref().filter(|e| !e.is_empty()) {
        let name = format!("{} {}", user.first_name, user.last_name);
        tx.emit(
            "user.email_added",
            None,
            Some(user.id),
            Audience::Staff,
            json!({ "user_id": user.id, "name": name.trim(), "email": email }),
        )?;
    }
    Ok(())
}

/// Appends `user.created` (staff only) for a new user.
pub fn emit_created(tx: &mut crate::store::Tx, actor_id: Option<i64>, user: &User) -> Result<()> {
    tx.emit(
        "user.created",
        None,
        actor_id,
        Audience::Staff,
        json!({ "user": user.to_json() }),
    )?;
    Ok(())
}

/// Appends `user.updated` (staff only) for a changed user.
pub fn emit_updated(tx: &mut crate::store::Tx, actor_id: Option<i64>, user: &User) -> Result<()> {
    tx.emit(
        "user.updated",
        None,
        actor_id,
        Audience::Staff,
        json!({ "user": user.to_json() }),
    )?;
    Ok(())
}

/// Creates the install's bot user on first start; returns its id.
pub fn ensure_bot(store: &Store) -> Result<i64> {
    store.write(|tx| {
        if let Some(u) = users::by_external_id(tx.conn, "frontporch:bot")? {
            users::strip_login(tx, u.id)?;
            return Ok(u.id);
        }
        let f = UserFields {
            first_name: Some("Frontporch".into()),
            last_name: Some("Bot".into()),
            external_id: Some("frontporch:bot".into()),
            ..Default::default()
        };
        let u = users::insert(tx, &f, UserType::Bot, None)?;
        Ok(u.id)
    })
}

impl Desk {
    /// Creates a user. Agents may create contacts; only admins create staff.
    pub fn create_user(&self, actor: Option<&Actor>, mut fields: UserFields) -> Result<User> {
        validate_fields(&mut fields)?;
        let user_type = fields.user_type.as_ref().and_then(Sent::known);
        let user_type = user_type.unwrap_or(UserType::User);
        if let Some(a) = actor {
            a.require_staff()?;
            if user_type.is_staff() {
                a.require_admin()?;
                self.staff_avatar(&mut fields, &[a.user_id])?;
            }
        }
        if user_type.is_agent() && fields.email.as_deref().unwrap_or("").is_empty() {
            return Err(error::MISSING_EMAIL.with("agents and admins need an email to log in"));
        }
        let hash = match &fields.password {
            Some(p) => Some(self.hash_password(p)?),
            None => None,
        };
        let actor_id = actor.map(|a| a.user_id);
        self.store.write(move |tx| {
            let user = users::insert(tx, &fields, user_type, hash.as_deref())?;
            emit_created(tx, actor_id, &user)?;
            Ok(user)
        })
    }

    pub fn update_user(&self, actor: &Actor, id: i64, mut fields: UserFields) -> Result<User> {
        actor.require_staff()?;
        validate_fields(&mut fields)?;
        let target = self.user_by_id(id)?;
        let becomes_staff = fields
            .user_type
            .as_ref()
            .and_then(Sent::known)
            .is_some_and(UserType::is_staff);
        let admin = actor.role == Role::Admin;
        if (target.is_staff() || becomes_staff || fields.password.is_some())
            && !admin
            && !actor.is_self(id)
        {
            return Err(Error::forbidden("only admins can change staff accounts"));
        }
        // An email that logs in is a credential, like the password.
        if fields.email.is_some()
            && !admin
            && !actor.is_self(id)
            && self.store.read(|c| users::has_password(c, id))?
        {
            return Err(Error::forbidden(
                "only admins can change the email of an account that logs in",
            ));
        }
        if id == self.bot_id
            && (fields.password.is_some() || fields.email.is_some() || fields.user_type.is_some())
        {
            return Err(error::BOT_USER
                .with("the bot user has no login: its email, password and type are fixed"));
        }
        if actor.is_self(id) && !admin && fields.user_type.is_some() {
            return Err(Error::forbidden("you cannot change your own role"));
        }
        if target.is_staff() || becomes_staff {
            self.staff_avatar(&mut fields, &[id, actor.user_id])?;
        }
        let hash = match &fields.password {
            Some(p) => Some(self.hash_password(p)?),
            None => None,
        };
        let actor_id = actor.user_id;
        self.store.write(move |tx| {
            let user = users::update(tx, id, &fields, hash.as_deref())?;
            if hash.is_some() {
                crate::store::auth::delete_sessions_of(tx, id)?;
                // The hub ends the user's session listeners on this event.
                tx.emit(
                    "user.password_reset",
                    None,
                    Some(actor_id),
                    Audience::Admins,
                    json!({ "user_id": id }),
                )?;
            }
            emit_updated(tx, Some(actor_id), &user)?;
            Ok(user)
        })
    }

    /// A staff avatar that links to one of our uploads follows the profile's
    /// rule (`team.rs`): an image its owner or the acting admin sent, never
    /// another's file (the widget signs staff avatars for every visitor).
    fn staff_avatar(&self, fields: &mut UserFields, owners: &[i64]) -> Result<()> {
        if let Some(a) = fields.avatar.as_deref().filter(|a| !a.is_empty()) {
            let url = self.links.canonical(a);
            let path = url.strip_prefix(self.links.public_url()).unwrap_or(&url);
            if crate::links::upload_token(path).is_some() {
                fields.avatar = Some(self.picture_by(a, owners)?);
            }
        }
        Ok(())
    }

    /// Checks what a visitor (`visitor_id`, or one not created yet) says of
    /// themselves: no privileged fields, the shapes of `validate_fields`, and
    /// an avatar among our uploads only if it is theirs. A picture elsewhere
    /// only for an identity the site verified: agents' browsers load it, so
    /// an anonymous one would tell any server when and from where they read.
    pub(super) fn visitor_fields(
        &self,
        visitor_id: Option<i64>,
        fields: &mut UserFields,
        what: &str,
        verified: bool,
    ) -> Result<()> {
        reject_privileged(fields, what)?;
        validate_fields(fields)?;
        if let Some(avatar) = fields.avatar.as_deref().filter(|a| !a.is_empty()) {
            let actor = visitor_id.map(|user_id| Actor {
                role: super::Role::Visitor,
                user_id,
                token_id: None,
            });
            let url = self.own_link(actor.as_ref(), avatar, &error::INVALID_AVATAR)?;
            let path = url.strip_prefix(self.links.public_url()).unwrap_or(&url);
            if !verified && crate::links::upload_token(path).is_none() {
                return Err(error::INVALID_AVATAR
                    .with("a visitor's picture must be one of their own uploads"));
            }
            fields.avatar = Some(url);
        }
        Ok(())
    }

    /// A visitor describing themselves (name, email, custom fields, page URL).
    pub fn update_self_visitor(&self, visitor: &User, mut fields: UserFields) -> Result<User> {
        self.visitor_fields(Some(visitor.id), &mut fields, "visitors", false)?;
        let id = visitor.id;
        let promote = visitor.user_type == UserType::Visitor
            && fields.email.as_deref().is_some_and(|e| !e.is_empty());
        self.store.write(move |tx| {
            drop_taken_email(tx.conn, &mut fields, Some(id))?;
            if promote && fields.email.is_some() {
                fields.user_type = Some(UserType::Lead.into());
            }
            let user = users::update(tx, id, &fields, None)?;
            emit_updated(tx, Some(id), &user)?;
            emit_form(tx, "details", &user, &fields)?;
            Ok(user)
        })
    }

    pub fn delete_user(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.require_staff()?;
        let target = self.user_by_id(id)?;
        if target.is_staff() {
            actor.require_admin()?;
            if id == actor.user_id {
                return Err(error::SELF_DELETE.err());
            }
            if id == self.bot_id {
                return Err(error::BOT_USER.with("the bot user cannot be deleted"));
            }
        }
        let actor_id = actor.user_id;
        self.store.write(move |tx| {
            users::delete(tx, id)?;
            tx.emit(
                "user.deleted",
                None,
                Some(actor_id),
                Audience::Staff,
                json!({ "user_id": id }),
            )?;
            Ok(())
        })
    }

    /// Disables or re-enables a staff account; disabling ends its sessions.
    pub fn set_disabled(&self, actor: &Actor, id: i64, disabled: bool) -> Result<User> {
        actor.require_admin()?;
        if id == actor.user_id && disabled {
            return Err(error::SELF_DISABLE.err());
        }
        let actor_id = actor.user_id;
        self.store.write(move |tx| {
            users::get(tx.conn, id)?;
            users::set_disabled(tx, id, disabled)?;
            let user = users::get(tx.conn, id)?;
            emit_updated(tx, Some(actor_id), &user)?;
            Ok(user)
        })
    }

    /// The one way adapters fetch a user: staff only; `None` when there
    /// is no such user.
    pub fn find_user(&self, actor: &Actor, id: i64) -> Result<Option<User>> {
        actor.require_staff()?;
        self.store.read(|c| users::find(c, id))
    }

    /// Whether an admin account exists (the first start creates one).
    pub fn has_admin(&self) -> Result<bool> {
        Ok(self.store.read(|c| users::count_by_type(c, "admin"))? > 0)
    }

    /// `find_user`, with 404 for a missing user.
    pub fn user(&self, actor: &Actor, id: i64) -> Result<User> {
        self.find_user(actor, id)?
            .ok_or_else(|| Error::not_found("user"))
    }

    pub fn list_users(
        &self,
        actor: &Actor,
        types: &[String],
        search: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<User>> {
        let q = ListQuery {
            types,
            search,
            limit,
            offset,
            ..Default::default()
        };
        self.find_users(actor, q)
    }

    /// Users by a full query: types, search, ids, sorting, a page.
    pub fn find_users(&self, actor: &Actor, mut q: ListQuery) -> Result<Vec<User>> {
        actor.require_staff()?;
        for t in q.types {
            if UserType::parse(t).is_none() {
                return Err(error::INVALID_TYPE.with(format!("unknown user type {t:?}")));
            }
        }
        if let Some((column, _)) = q.sort {
            if !users::SORT_COLUMNS.iter().any(|(c, _)| *c == column) {
                return Err(
                    error::INVALID_SORTING.with(format!("users cannot be sorted by {column:?}"))
                );
            }
        }
        q.search = q.search.filter(|s| !s.trim().is_empty());
        self.store.read(|c| users::list(c, &q))
    }

    /// Users per type (and `all`).
    pub fn user_counts(&self, actor: &Actor) -> Result<Vec<(String, i64)>> {
        actor.require_staff()?;
        self.store.read(users::counts)
    }

    /// A staff member's own online/away toggle. The `presence` event is
    /// public: open widgets learn from it whether anyone is there to answer
    /// (`available`), live.
    pub fn set_presence(&self, actor: &Actor, online: bool) -> Result<()> {
        actor.require_staff()?;
        let id = actor.user_id;
        self.store.write(move |tx| {
            let before = users::get(tx.conn, id)?;
            users::set_online(tx, id, online)?;
            if before.online != online {
                let available = !users::online_staff(tx.conn)?.is_empty();
                tx.emit(
                    "presence",
                    None,
                    Some(id),
                    Audience::Public,
                    json!({ "user_id": id, "online": online, "available": available }),
                )?;
            }
            Ok(())
        })
    }

    /// Who is online: staff who set themselves online, and anyone whose
    /// widget or inbox is listening for events now.
    pub fn online_users(
        &self,
        actor: &Actor,
        agents_only: bool,
        sort: Option<(&str, bool)>,
    ) -> Result<Vec<User>> {
        let mut ids: Vec<i64> = self.online_staff()?.iter().map(|u| u.id).collect();
        ids.extend(self.hub.online_users());
        let staff = ["agent".to_string(), "admin".to_string()];
        let q = ListQuery {
            types: if agents_only { &staff } else { &[] },
            ids: Some(&ids),
            sort,
            limit: 10_000,
            ..Default::default()
        };
        self.find_users(actor, q)
    }

    pub fn online_staff(&self) -> Result<Vec<User>> {
        self.store.read(users::online_staff)
    }

    /// Resets a staff password (CLI or admin); ends the user's sessions.
    pub fn reset_password(&self, email: &str, password: &str) -> Result<User> {
        let hash = self.hash_password(password)?;
        let email = email.to_string();
        self.store.write(move |tx| {
            let (user, _) =
                users::by_email(tx.conn, &email)?.ok_or_else(|| Error::not_found("user"))?;
            let f = UserFields::default();
            let user = users::update(tx, user.id, &f, Some(&hash))?;
            crate::store::auth::delete_sessions_of(tx, user.id)?;
            tx.emit(
                "user.password_reset",
                None,
                None,
                Audience::Admins,
                json!({ "user_id": user.id }),
            )?;
            Ok(user)
        })
    }
}
