//! Tags on clients and requests (Chat2Desk): the one way a tag is put on
//! or taken off, whoever does it (the inbox, the API, macros, keyword
//! bots, the menu, a quality score), each with its event in the same job.
//! The admin's catalogue (create, edit, delete, list) and the inbox's
//! reads are built on these. Scope: staff (agents and admins, sessions and
//! API tokens) see every conversation, so they may tag any request they
//! can read and any client (a contact, never a staff member); visitors
//! never tag.

use super::{Actor, Desk};
use crate::error::{self, Result};
use crate::store::events::Audience;
use crate::store::tags::{self, NewTag, Target as StoreTarget};
use crate::store::{conversations as convs, users, Tx};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// At most this many tags in an install.
const MAX_TAGS: i64 = 500;

/// A tag as an admin sends it (Chat2Desk's field names).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagInput {
    pub label: Option<String>,
    pub group_name: Option<String>,
    pub description: Option<String>,
    pub bg_color: Option<String>,
    pub text_color: Option<String>,
}

impl Desk {
    /// Every tag (staff).
    pub fn tags(&self, actor: &Actor) -> Result<Vec<Value>> {
        actor.require_staff()?;
        self.store.read(tags::list)
    }

    /// A new tag (admins): `tag.created` for staff.
    pub fn create_tag(&self, actor: &Actor, input: TagInput) -> Result<Value> {
        actor.require_admin()?;
        let label = checked(input.label.as_deref().unwrap_or(""), 1, 40)?;
        let group_name = checked(input.group_name.as_deref().unwrap_or(""), 0, 40)?;
        let description = checked(input.description.as_deref().unwrap_or(""), 0, 200)?;
        let bg_color = colour(input.bg_color.as_deref(), "#2563eb")?;
        let text_color = colour(input.text_color.as_deref(), "#ffffff")?;
        let actor_id = actor.user_id;
        self.store.write(move |tx| {
            if tags::count(tx.conn)? >= MAX_TAGS {
                return Err(error::TOO_MANY_TAGS.err());
            }
            let t = NewTag {
                label: &label,
                group_name: &group_name,
                description: &description,
                bg_color: &bg_color,
                text_color: &text_color,
            };
            let tag = tags::insert(tx, &t)?.ok_or_else(|| error::TAG_EXISTS.err())?;
            tx.emit(
                "tag.created",
                None,
                Some(actor_id),
                Audience::Staff,
                json!({ "tag": tag }),
            )?;
            Ok(tag)
        })
    }

    /// Changes the fields given (admins): `tag.updated` for staff.
    pub fn update_tag(&self, actor: &Actor, id: i64, input: TagInput) -> Result<Value> {
        actor.require_admin()?;
        let given = |v: &Option<String>, min, max| v.as_deref().map(|s| checked(s, min, max));
        let label = given(&input.label, 1, 40).transpose()?;
        let group_name = given(&input.group_name, 0, 40).transpose()?;
        let description = given(&input.description, 0, 200).transpose()?;
        let bg = input
            .bg_color
            .as_deref()
            .map(|c| colour(Some(c), ""))
            .transpose()?;
        let fg = input
            .text_color
            .as_deref()
            .map(|c| colour(Some(c), ""))
            .transpose()?;
        let actor_id = actor.user_id;
        self.store.write(move |tx| {
            let old = tags::get(tx.conn, id)?;
            let keep = |new: Option<String>, key: &str| {
                new.unwrap_or_else(|| old[key].as_str().unwrap_or_default().to_string())
            };
            let (label, group_name) = (keep(label, "label"), keep(group_name, "group_name"));
            let (description, bg_color) = (keep(description, "description"), keep(bg, "bg_color"));
            let text_color = keep(fg, "text_color");
            let t = NewTag {
                label: &label,
                group_name: &group_name,
                description: &description,
                bg_color: &bg_color,
                text_color: &text_color,
            };
            let tag = tags::update(tx, id, &t)?.ok_or_else(|| error::TAG_EXISTS.err())?;
            if tag != old {
                tx.emit(
                    "tag.updated",
                    None,
                    Some(actor_id),
                    Audience::Staff,
                    json!({ "tag": tag }),
                )?;
            }
            Ok(tag)
        })
    }

    /// Deletes a tag (admins), taking it off every client and request and
    /// out of the `scores` setting: `tag.deleted` for staff (no removal
    /// event per client or request).
    pub fn delete_tag(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.require_admin()?;
        let actor_id = actor.user_id;
        self.store.write(move |tx| {
            let tag = tags::get(tx.conn, id)?;
            tags::delete(tx, id)?;
            super::scores::forget_tag(tx, id, actor_id)?;
            tx.emit(
                "tag.deleted",
                None,
                Some(actor_id),
                Audience::Staff,
                json!({ "tag_id": id, "tag": tag }),
            )
            .map(|_| ())
        })
    }

    /// Checks that the actor may tag `target`: staff, and a request they
    /// can read or a client that is a contact (else 404).
    fn tag_scope(&self, actor: &Actor, target: Target) -> Result<()> {
        actor.require_staff()?;
        match target {
            StoreTarget::Request(id) => self.conversation(actor, id).map(|_| ()),
            StoreTarget::Client(id) => match self.user_by_id(id) {
                Ok(u) if !u.is_staff() => Ok(()),
                _ => Err(crate::error::Error::not_found("client")),
            },
        }
    }

    /// The tags on a client or request (staff).
    pub fn tags_on(&self, actor: &Actor, target: Target) -> Result<Vec<Value>> {
        self.tag_scope(actor, target)?;
        self.store.read(|c| tags::of(c, target))
    }

    /// Puts a tag on a client or request (staff); whether it was added.
    pub fn put_tag(&self, actor: &Actor, target: Target, tag_id: i64) -> Result<bool> {
        self.tag_scope(actor, target)?;
        let actor_id = actor.user_id;
        self.store
            .write(move |tx| tag_in(tx, target, tag_id, Some(actor_id)))
    }

    /// Takes a tag off a client or request (staff); whether it was on.
    pub fn take_tag(&self, actor: &Actor, target: Target, tag_id: i64) -> Result<bool> {
        self.tag_scope(actor, target)?;
        let actor_id = actor.user_id;
        self.store
            .write(move |tx| untag_in(tx, target, tag_id, Some(actor_id)))
    }

    /// The request tags of a page of conversations, in one query (staff).
    pub fn request_tags(&self, actor: &Actor, ids: &[i64]) -> Result<HashMap<i64, Vec<Value>>> {
        actor.require_staff()?;
        self.store.read(|c| tags::of_requests(c, ids))
    }
}

/// A single-line field of a tag, trimmed, within `min..=max` characters.
fn checked(s: &str, min: usize, max: usize) -> Result<String> {
    let s = super::text::clean_label("tag", s.trim()).map_err(|_| error::INVALID_TAG.err())?;
    let n = s.chars().count();
    if n < min || n > max {
        return Err(error::INVALID_TAG.err());
    }
    Ok(s)
}

/// A colour as `#rrggbb` (lowercased), or the default.
fn colour(s: Option<&str>, default: &str) -> Result<String> {
    let Some(s) = s else {
        return Ok(default.to_string());
    };
    let hex = s.strip_prefix('#').unwrap_or(s);
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(error::INVALID_TAG.err());
    }
    Ok(format!("#{}", hex.to_ascii_lowercase()))
}

pub use crate::store::tags::Target;

/// Puts tag `tag_id` on `target`, emitting `contact.tag_added` or
/// `conversation.tag_added` (staff) when it was not there yet; an unknown
/// tag, client or request is 404. Returns whether it was added.
pub fn tag_in(tx: &mut Tx, target: Target, tag_id: i64, actor_id: Option<i64>) -> Result<bool> {
    let tag = tags::get(tx.conn, tag_id)?;
    let (kind, conversation, visitor) = event_of(tx, target, "added")?;
    if !tags::add(tx, target, tag_id, actor_id)? {
        return Ok(false);
    }
    tx.emit(
        kind,
        conversation,
        actor_id,
        Audience::Staff,
        payload(target, tag, visitor),
    )?;
    Ok(true)
}

/// Takes tag `tag_id` off `target`, emitting `contact.tag_removed` or
/// `conversation.tag_removed` when it was there. Returns whether it was.
pub fn untag_in(tx: &mut Tx, target: Target, tag_id: i64, actor_id: Option<i64>) -> Result<bool> {
    let tag = tags::get(tx.conn, tag_id)?;
    let (kind, conversation, visitor) = event_of(tx, target, "removed")?;
    if !tags::remove(tx, target, tag_id)? {
        return Ok(false);
    }
    tx.emit(
        kind,
        conversation,
        actor_id,
        Audience::Staff,
        payload(target, tag, visitor),
    )?;
    Ok(true)
}

/// The event's kind and its conversation, checking the target exists (a
/// client must be a contact, not staff).
fn event_of(tx: &Tx, target: Target, what: &str) -> Result<(&'static str, Option<i64>, i64)> {
    Ok(match target {
        StoreTarget::Client(id) => {
            let u = users::find(tx.conn, id)?
                .filter(|u| !u.is_staff())
                .ok_or_else(|| crate::error::Error::not_found("client"))?;
            let kind = if what == "added" {
                "contact.tag_added"
            } else {
                "contact.tag_removed"
            };
            (kind, None, u.id)
        }
        StoreTarget::Request(id) => {
            let c = convs::head(tx.conn, id)?;
            let kind = if what == "added" {
                "conversation.tag_added"
            } else {
                "conversation.tag_removed"
            };
            (kind, Some(c.id), c.user_id)
        }
    })
}

fn payload(target: Target, tag: Value, client: i64) -> Value {
    match target {
        StoreTarget::Client(_) => json!({ "tag": tag, "user_id": client }),
        StoreTarget::Request(id) => json!({ "tag": tag, "conversation_id": id, "user_id": client }),
    }
}
