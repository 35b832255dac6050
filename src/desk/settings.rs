//! Departments, settings and search.

use super::{check_len, Actor, Desk, Role};
use crate::error::{self, Error, Result};
use crate::store::events::Audience;
use crate::store::{departments, search, settings};
use serde_json::{json, Map, Value};

impl Desk {
    pub fn departments(&self) -> Result<Vec<Value>> {
        self.store.read(departments::list)
    }

    pub fn create_department(
        &self,
        actor: &Actor,
        name: String,
        color: Option<String>,
    ) -> Result<Value> {
        actor.require_admin()?;
        check_department(&name, color.as_deref())?;
        let uid = actor.user_id;
        self.store.write(move |tx| {
            let d = departments::insert(tx, name.trim(), color.as_deref())?;
            tx.emit(
                "department.created",
                None,
                Some(uid),
                Audience::Staff,
                json!({ "department": d }),
            )?;
            Ok(d)
        })
    }

    pub fn update_department(
        &self,
        actor: &Actor,
        id: i64,
        name: Option<String>,
        color: Option<String>,
    ) -> Result<Value> {
        actor.require_admin()?;
        check_department(name.as_deref().unwrap_or("x"), color.as_deref())?;
        let uid = actor.user_id;
        self.store.write(move |tx| {
            let d = departments::update(tx, id, name.as_deref().map(str::trim), color.as_deref())?;
            tx.emit(
                "department.updated",
                None,
                Some(uid),
                Audience::Staff,
                json!({ "department": d }),
            )?;
            Ok(d)
        })
    }

    pub fn delete_department(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.require_admin()?;
        let uid = actor.user_id;
        self.store.write(move |tx| {
            departments::delete(tx, id)?;
            tx.emit(
                "department.deleted",
                None,
                Some(uid),
                Audience::Staff,
                json!({ "department_id": id }),
            )?;
            Ok(())
        })
    }

    /// Every setting; agents get them without the secrets.
    pub fn settings(&self, actor: &Actor) -> Result<Map<String, Value>> {
        actor.require_staff()?;
        let mut all = self.store.read(settings::all)?;
        super::email::redact(&mut all);
        super::channel_settings::redact(&mut all);
        if actor.role != Role::Admin {
            for k in ADMIN_ONLY {
                all.remove(*k);
            }
        }
        Ok(all)
    }

    /// Gives the install a strong identity secret when it has none (first
    /// start) or a weak one (saved by an earlier version, which accepted "").
    pub fn ensure_identity_secret(&self) -> Result<()> {
        self.store.write(|tx| {
            let current = settings::get(tx.conn, IDENTITY_SECRET)?;
            if current.as_ref().is_some_and(strong_secret) {
                return Ok(());
            }
            if current.is_some() {
                log::warn!(
                    "identity.secret was weak; a new one was generated (Settings → Security)"
                );
            }
            let secret = crate::util::random_token("", 32);
            settings::set(tx, IDENTITY_SECRET, &Value::String(secret))
        })
    }

    /// Sets several keys at once; a null value removes a key.
    pub fn save_settings(
        &self,
        actor: &Actor,
        mut values: Map<String, Value>,
    ) -> Result<Map<String, Value>> {
        actor.require_admin()?;
        if values.len() > 200 {
            return Err(error::TOO_MANY.with("at most 200 settings at once"));
        }
        for (k, v) in &values {
            if k.is_empty()
                || k.len() > 100
                || !k
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
            {
                return Err(error::INVALID_KEY.with(format!("invalid setting name {k:?}")));
            }
            if k == IDENTITY_SECRET && !strong_secret(v) {
                return Err(error::WEAK_SECRET.with(format!(
                    "{IDENTITY_SECRET} must be a string of at least {MIN_SECRET} characters, \
                         {MIN_DISTINCT} of them different"
                )));
            }
            if k == "widget.texts" && !v.is_null() {
                super::widget::check_texts(v)?;
            }
            if v.to_string().len() > 65_536 {
                return Err(error::TOO_LARGE.with(format!("setting {k} is larger than 64 KiB")));
            }
        }
        self.prepare_email_settings(&mut values)?;
        self.prepare_channel_settings(&mut values)?;
        let uid = actor.user_id;
        self.store.write(move |tx| {
            for (k, v) in &values {
                settings::set(tx, k, v)?;
            }
            let keys: Vec<&String> = values.keys().collect();
            tx.emit(
                "settings.updated",
                None,
                Some(uid),
                Audience::Staff,
                json!({ "keys": keys }),
            )?;
            let mut all = settings::all(tx.conn)?;
            super::email::redact(&mut all);
            super::channel_settings::redact(&mut all);
            Ok(all)
        })
    }

    /// Every setting but the secrets as one JSON document, saved as a file
    /// for download: any staff credential may read an upload, and an
    /// import keeps the secrets a document does not name.
    pub fn export_settings(&self, actor: &Actor) -> Result<Value> {
        actor.require_admin()?;
        let mut settings = self.settings(actor)?;
        for k in ADMIN_ONLY {
            settings.remove(*k);
        }
        let doc = json!({ "frontporch_settings": 1, "settings": settings });
        let name = format!("settings_{}.json", crate::util::random_below(1_000_000_000));
        self.save_upload(
            actor,
            &name,
            "application/json",
            serde_json::to_string_pretty(&doc)?.as_bytes(),
            usize::MAX,
        )
    }

    /// Saves the settings of an exported document (or a plain object of
    /// settings); keys it does not name keep their values.
    pub fn import_settings(&self, actor: &Actor, doc: Value) -> Result<Map<String, Value>> {
        let values = match doc {
            Value::Object(mut m) if m.contains_key("frontporch_settings") => m
                .remove("settings")
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default(),
            Value::Object(m) => m,
            _ => return Err(error::INVALID_SETTINGS.err()),
        };
        self.save_settings(actor, values)
    }

    /// The bytes behind `url`: one of our own uploads (read from disk), or
    /// a public http(s) URL (fetched through the same guard as webhooks).
    pub fn fetch_file(&self, url: &str, allow_private: bool, max: u64) -> Result<Vec<u8>> {
        let too_large =
            || error::FETCH_TOO_LARGE.with(format!("the file is larger than {max} bytes"));
        let path = url
            .split_once("://")
            .map_or(url, |(_, rest)| rest.find('/').map_or("", |i| &rest[i..]));
        if let Some(token) = path
            .strip_prefix("/uploads/")
            .and_then(|p| p.split('/').next())
        {
            if let Some((u, file)) = self.open_upload(token)? {
                if u.size as u64 > max {
                    return Err(too_large());
                }
                return std::fs::read(file)
                    .map_err(|e| Error::internal(format!("cannot read an upload: {e}")));
            }
        }
        crate::delivery::guard::check_url(url, allow_private)?;
        let agent = crate::delivery::webhook::agent(allow_private);
        let mut resp = agent
            .get(url)
            .call()
            .map_err(|e| error::FETCH_FAILED.with(format!("cannot fetch {url}: {e}")))?;
        if resp.status() != 200 {
            return Err(error::FETCH_FAILED.with(format!("{url} answered {}", resp.status())));
        }
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(max)
            .read_to_vec()
            .map_err(|_| too_large())?;
        Ok(bytes)
    }

    /// Full-text search for staff: messages, contacts and conversations.
    pub fn search(&self, actor: &Actor, q: &str, limit: i64) -> Result<Value> {
        actor.require_staff()?;
        if q.trim().is_empty() {
            return Err(error::MISSING_QUERY.err());
        }
        check_len("q", q, 200)?;
        let messages = self.store.read(|c| search::messages(c, q, true, limit))?;
        let users = self.list_users(actor, &[], Some(q), limit, 0)?;
        let filter = crate::store::conversations::Filter {
            search: Some(q.into()),
            limit,
            ..Default::default()
        };
        let conversations = self.list_conversations(actor, filter)?;
        Ok(json!({
            "messages": messages,
            "users": users.iter().map(|u| u.to_json()).collect::<Vec<_>>(),
            "conversations": conversations.iter().map(|c| c.to_json()).collect::<Vec<_>>(),
        }))
    }
}

/// The key host sites sign visitor ids with (identity verification).
pub const IDENTITY_SECRET: &str = "identity.secret";
/// Settings only admins read.
const ADMIN_ONLY: &[&str] = &[IDENTITY_SECRET];
const MIN_SECRET: usize = 32;
const MIN_DISTINCT: usize = 8;

/// A secret that HMAC with it proves something: long enough ("" proves
/// nothing) and not a run of one or two keys ("aaaa…", 40 spaces).
pub fn strong_secret(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        let distinct: std::collections::HashSet<char> = s.chars().collect();
        s.chars().count() >= MIN_SECRET && distinct.len() >= MIN_DISTINCT && !s.trim().is_empty()
    })
}

fn check_department(name: &str, color: Option<&str>) -> Result<()> {
    if name.trim().is_empty() {
        return Err(error::MISSING_NAME.with("a department needs a name"));
    }
    check_len("name", name, 100)?;
    if let Some(c) = color {
        check_len("color", c, 30)?;
    }
    Ok(())
}
