//! Departments, settings and search.

use super::{check_len, Actor, Desk};
use crate::error::{Error, Result};
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

    pub fn settings(&self, actor: &Actor) -> Result<Map<String, Value>> {
        actor.require_staff()?;
        self.store.read(settings::all)
    }

    /// Sets several keys at once; a null value removes a key.
    pub fn save_settings(
        &self,
        actor: &Actor,
        values: Map<String, Value>,
    ) -> Result<Map<String, Value>> {
        actor.require_admin()?;
        if values.len() > 200 {
            return Err(Error::bad("too_many", "at most 200 settings at once"));
        }
        for (k, v) in &values {
            if k.is_empty()
                || k.len() > 100
                || !k
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
            {
                return Err(Error::bad(
                    "invalid_key",
                    format!("invalid setting name {k:?}"),
                ));
            }
            if v.to_string().len() > 65_536 {
                return Err(Error::bad(
                    "too_large",
                    format!("setting {k} is larger than 64 KiB"),
                ));
            }
        }
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
            settings::all(tx.conn)
        })
    }

    /// Full-text search for staff: messages, contacts and conversations.
    pub fn search(&self, actor: &Actor, q: &str, limit: i64) -> Result<Value> {
        actor.require_staff()?;
        if q.trim().is_empty() {
            return Err(Error::bad("missing_query", "q is required"));
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

fn check_department(name: &str, color: Option<&str>) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::bad("missing_name", "a department needs a name"));
    }
    check_len("name", name, 100)?;
    if let Some(c) = color {
        check_len("color", c, 30)?;
    }
    Ok(())
}
