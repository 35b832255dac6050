//! Tags on clients and requests (Chat2Desk): the one way a tag is put on
//! or taken off, whoever does it (the inbox, the API, macros, keyword
//! bots, the menu, a quality score), each with its event in the same job.
//! The admin's catalogue (create, colours, list) and the inbox's reads and
//! filter are built on these.
#![allow(dead_code)] // the skeleton's: the parts of issue 14 use it

use crate::error::Result;
use crate::store::events::Audience;
use crate::store::tags::{self, Target as StoreTarget};
use crate::store::{conversations as convs, users, Tx};
use serde_json::{json, Value};

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
    tx.emit(kind, conversation, actor_id, Audience::Staff, payload(target, tag, visitor))?;
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
    tx.emit(kind, conversation, actor_id, Audience::Staff, payload(target, tag, visitor))?;
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
            let kind = if what == "added" { "contact.tag_added" } else { "contact.tag_removed" };
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
