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

    pub fn create_department(&self, actor: &Actor, d: DepartmentInput) -> Result<Value> {
        actor.require_admin()?;
        let name = d.name.clone().unwrap_or_default();
        check_department(&name, d.color.as_deref())?;
        let tree = d.tree()?;
        let uid = actor.user_id;
        self.store.write(move |tx| {
            check_parent(tx.conn, None, &tree)?;
            let d = departments::insert(tx, name.trim(), d.color.as_deref(), &tree)?;
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

    pub fn update_department(&self, actor: &Actor, id: i64, d: DepartmentInput) -> Result<Value> {
        actor.require_admin()?;
        check_department(d.name.as_deref().unwrap_or("x"), d.color.as_deref())?;
        let tree = d.tree()?;
        let uid = actor.user_id;
        self.store.write(move |tx| {
            departments::get(tx.conn, id)?;
            check_parent(tx.conn, Some(id), &tree)?;
            let name = d.name.as_deref().map(str::trim);
            let d = departments::update(tx, id, name, d.color.as_deref(), &tree)?;
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
            // Its notification channels go with it (migration 014's cascade).
            let channels: Vec<i64> = crate::store::routing::channels_of(tx.conn, &[id], 1000)?
                .iter()
                .map(|c| c.id)
                .collect();
            departments::delete(tx, id)?;
            tx.emit(
                "department.deleted",
                None,
                Some(uid),
                Audience::Staff,
                json!({ "department_id": id, "notify_channels": channels }),
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
            // Saving back what was read (Support Board's save-settings) is fine.
            if k == super::talkjs::APP_ID && v.as_str() != Some(&self.talkjs_app_id()?) {
                return Err(error::READ_ONLY_SETTING
                    .with(format!("{k} is generated by the server and cannot be set")));
            }
            if k == "widget.texts" && !v.is_null() {
                super::widget::check_texts(v)?;
            }
            if k == super::menu::KEY && !v.is_null() {
                self.check_menu(v)?;
            }
            if v.to_string().len() > 65_536 {
                return Err(error::TOO_LARGE.with(format!("setting {k} is larger than 64 KiB")));
            }
        }
        self.prepare_email_settings(&mut values)?;
        self.prepare_channel_settings(&mut values)?;
        self.prepare_scores_setting(&mut values)?;
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
        let mut values = match doc {
            Value::Object(mut m) if m.contains_key("frontporch_settings") => m
                .remove("settings")
                .and_then(|v| v.as_object().cloned())
                .unwrap_or_default(),
            Value::Object(m) => m,
            _ => return Err(error::INVALID_SETTINGS.err()),
        };
        // The install keeps its own TalkJS app id (an export carries it).
        values.remove(super::talkjs::APP_ID);
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

/// A department as an admin sends it: name and colour, and its place in
/// the tree with its categories and routing rule (ChatShipper's
/// organizations; absent fields stay as they are).
#[derive(Debug, Default, Clone)]
pub struct DepartmentInput {
    pub name: Option<String>,
    pub color: Option<String>,
    /// `Some(None)`: no parent (`"parent_id": null`).
    pub parent_id: Option<Option<i64>>,
    pub categories: Option<Vec<String>>,
    pub routing: Option<Value>,
}

/// Deepest a department tree may be (a root is level 1).
pub const MAX_DEPTH: usize = 10;
const MAX_CATEGORIES: usize = 20;
const MAX_CAPACITY: i64 = 1000;

impl DepartmentInput {
    /// The tree fields, checked (all but the parent, which needs the tree).
    fn tree(&self) -> Result<departments::Tree> {
        let categories = match &self.categories {
            None => None,
            Some(c) => Some(check_categories(c)?),
        };
        let routing = match &self.routing {
            None => None,
            Some(r) => Some(check_routing(r)?),
        };
        Ok(departments::Tree {
            parent_id: self.parent_id,
            categories,
            routing,
        })
    }
}

fn check_categories(c: &[String]) -> Result<Vec<String>> {
    if c.len() > MAX_CATEGORIES {
        return Err(error::INVALID_CATEGORIES.with(format!(
            "a department has at most {MAX_CATEGORIES} categories"
        )));
    }
    let mut out = Vec::with_capacity(c.len());
    for name in c {
        let name = super::text::clean_name(name);
        if name.trim().is_empty() || name.chars().count() > 100 {
            return Err(
                error::INVALID_CATEGORIES.with("each category is a name of 1 to 100 characters")
            );
        }
        if out.contains(&name) {
            return Err(
                error::INVALID_CATEGORIES.with(format!("category {name:?} is listed twice"))
            );
        }
        out.push(name);
    }
    Ok(out)
}

/// `{"policy": "none" | "round_robin", "capacity": 1..1000}`, defaults filled.
fn check_routing(r: &Value) -> Result<Value> {
    let bad = || {
        error::INVALID_ROUTING.with(format!(
            "routing is {{\"policy\": \"none\" or \"round_robin\", \"capacity\": 1 to {MAX_CAPACITY}}}"
        ))
    };
    let o = r.as_object().ok_or_else(bad)?;
    if o.keys().any(|k| k != "policy" && k != "capacity") {
        return Err(bad());
    }
    let policy = match o.get("policy") {
        None => "none",
        Some(p) => p
            .as_str()
            .filter(|p| matches!(*p, "none" | "round_robin"))
            .ok_or_else(bad)?,
    };
    let capacity = match o.get("capacity") {
        None => departments::DEFAULT_CAPACITY,
        Some(c) => c
            .as_i64()
            .filter(|c| (1..=MAX_CAPACITY).contains(c))
            .ok_or_else(bad)?,
    };
    Ok(json!({ "policy": policy, "capacity": capacity }))
}

/// A new parent must exist, must not be the department or one of its
/// descendants (no cycles), and keep the tree at most `MAX_DEPTH` deep.
fn check_parent(
    conn: &rusqlite::Connection,
    id: Option<i64>,
    tree: &departments::Tree,
) -> Result<()> {
    let Some(Some(parent)) = tree.parent_id else {
        return Ok(());
    };
    if departments::get(conn, parent).is_err() {
        return Err(error::INVALID_PARENT.with(format!("department {parent} does not exist")));
    }
    let above = departments::lineage(conn, parent, MAX_DEPTH + 1)?;
    if let Some(id) = id {
        if above.contains(&id) {
            return Err(error::INVALID_PARENT
                .with("a department cannot be its own ancestor (that would be a cycle)"));
        }
    }
    let below = match id {
        Some(id) => departments::depth_below(conn, id, MAX_DEPTH)?,
        None => 0,
    };
    if above.len() + 1 + below > MAX_DEPTH {
        return Err(error::INVALID_PARENT.with(format!(
            "department trees are at most {MAX_DEPTH} levels deep"
        )));
    }
    Ok(())
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
