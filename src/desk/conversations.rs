//! Conversations: open, list, read, change status, assign, retitle, delete.

use super::messages::MessageInput;
use super::{check_len, check_status, Actor, Desk, Role};
/// A conversation's status: its numbers are the database's (Support
/// Board's); surfaces map them to their own spelling.
pub use crate::domain::Status;
use crate::domain::{Sent, UserType};
use crate::error::{self, Error, Result};
use crate::store::conversations::{self as convs, NewConversation};
pub use crate::store::conversations::{Conversation, Filter};
use crate::store::events::Audience;
use crate::store::{departments, users, Tx};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationInput {
    pub user_id: Option<i64>,
    pub title: Option<String>,
    pub status: Option<Sent<Status>>,
    pub department_id: Option<i64>,
    pub agent_id: Option<i64>,
    pub source: Option<String>,
    pub extra: Option<serde_json::Map<String, Value>>,
    /// An optional first message, posted in the same transaction.
    pub message: Option<MessageInput>,
}

/// A change to a conversation. `Some(None)` clears agent or department.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConversationPatch {
    pub status: Option<Sent<Status>>,
    #[serde(default, deserialize_with = "double_option")]
    pub agent_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub department_id: Option<Option<i64>>,
    pub title: Option<String>,
    pub extra: Option<serde_json::Map<String, Value>>,
}

/// Distinguishes an absent field (None) from an explicit null (Some(None)).
pub fn double_option<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

fn check_agent(conn: &rusqlite::Connection, agent_id: i64) -> Result<()> {
    match users::find(conn, agent_id)? {
        Some(u) if u.user_type.is_agent() && !u.disabled => Ok(()),
        _ => Err(error::INVALID_AGENT.err()),
    }
}

/// The one way a conversation's status moves: the change, its event, and
/// what follows a request closing (the quality score is asked). Nothing
/// happens when `s` is already the status `before`.
pub(crate) fn move_status(
    tx: &mut Tx,
    id: i64,
    actor_id: i64,
    before: Status,
    s: Status,
) -> Result<()> {
    if before == s {
        return Ok(());
    }
    convs::set_status(tx, id, s)?;
    tx.emit(
        "conversation.status",
        Some(id),
        Some(actor_id),
        Audience::Everyone,
        json!({ "status": s, "previous": before }),
    )?;
    super::scores::after_status(tx, id, actor_id, before, s)
}

/// Who assigns, and what the assignment's notifications need.
pub(crate) struct Assigner<'a> {
    pub actor_id: i64,
    pub public_url: &'a str,
    /// Who is connected now (`hub.online_users()`).
    pub connected: &'a [i64],
}

/// Gives `before` to `agent` (None: nobody) in `tx`, with
/// `conversation.assigned` and the assignee's notifications, when it changes.
pub(crate) fn assign_in(
    tx: &mut Tx,
    before: &Conversation,
    agent: Option<i64>,
    by: &Assigner,
) -> Result<()> {
    if agent == before.agent_id {
        return Ok(());
    }
    let (id, actor_id) = (before.id, by.actor_id);
    if let Some(a) = agent {
        check_agent(tx.conn, a)?;
        convs::add_participant(tx, id, a, "agent")?;
    }
    convs::set_agent(tx, id, agent)?;
    tx.emit(
        "conversation.assigned",
        Some(id),
        Some(actor_id),
        Audience::Everyone,
        json!({ "agent_id": agent, "previous": before.agent_id,
            "agent_name": agent.map(|a| users::get(tx.conn, a).map(|u| u.name())).transpose()? }),
    )?;
    if let Some(a) = agent.filter(|a| *a != actor_id) {
        super::notifications::assigned(tx, by.public_url, id, a, Some(by.connected))?;
        super::push::assigned(tx, id, a, Some(by.connected))?;
    }
    Ok(())
}

/// Moves `before` to department `dept` (None: none) in `tx`, with
/// `conversation.department`, when it changes.
pub(crate) fn department_in(
    tx: &mut Tx,
    before: &Conversation,
    dept: Option<i64>,
    actor_id: i64,
) -> Result<()> {
    if dept == before.department_id {
        return Ok(());
    }
    let id = before.id;
    if let Some(d) = dept {
        departments::get(tx.conn, d).map_err(|_| error::INVALID_DEPARTMENT.err())?;
    }
    convs::set_department(tx, id, dept)?;
    tx.emit(
        "conversation.department",
        Some(id),
        Some(actor_id),
        Audience::Everyone,
        json!({ "department_id": dept, "previous": before.department_id,
            "department_name": dept.map(|d| departments::get(tx.conn, d)).transpose()?
                .and_then(|d| d.get("name").cloned()) }),
    )?;
    Ok(())
}

/// A title as sent, cleaned and bounded (as every title is).
pub(super) fn clean_title(title: &str) -> Result<String> {
    let t = super::text::clean_label("title", title)?;
    check_len("title", &t, 300)?;
    Ok(t)
}

/// Sets the (cleaned) title of `before` in `tx`, with `conversation.title`,
/// when it changes.
pub(super) fn retitle(
    tx: &mut Tx,
    before: &Conversation,
    title: &str,
    actor_id: i64,
) -> Result<()> {
    if title == before.title {
        return Ok(());
    }
    convs::set_title(tx, before.id, title)?;
    tx.emit(
        "conversation.title",
        Some(before.id),
        Some(actor_id),
        Audience::Everyone,
        json!({ "title": title }),
    )?;
    Ok(())
}

/// Merges `changes` into the extra data of `before` in `tx` (null removes
/// a key), at most 16 KiB in all, with `conversation.extra`; the merged value.
pub(super) fn merge_extra(
    tx: &mut Tx,
    before: &Conversation,
    changes: serde_json::Map<String, Value>,
    actor_id: i64,
) -> Result<Value> {
    let mut merged = before.extra.as_object().cloned().unwrap_or_default();
    for (k, v) in changes {
        if v.is_null() {
            merged.remove(&k);
        } else {
            merged.insert(k, v);
        }
    }
    let merged = Value::Object(merged);
    if merged.to_string().len() > 16_384 {
        return Err(error::TOO_LARGE.with("extra is limited to 16 KiB"));
    }
    convs::set_extra(tx, before.id, &merged)?;
    tx.emit(
        "conversation.extra",
        Some(before.id),
        Some(actor_id),
        Audience::Staff,
        json!({ "extra": merged }),
    )?;
    Ok(merged)
}

impl Desk {
    /// Loads a conversation the actor may see: staff any, a visitor only their own.
    pub fn conversation(&self, actor: &Actor, id: i64) -> Result<Conversation> {
        let c = self.store.read(|conn| convs::get(conn, id))?;
        if actor.role == Role::Visitor && c.user_id != actor.user_id {
            // Same answer as a missing one: do not reveal that it exists.
            return Err(Error::not_found("conversation"));
        }
        Ok(c)
    }

    /// The stored events a conversation's thread shows between its messages
    /// (assigned, department, status, rated), the newest 200, oldest first,
    /// as the event stream renders them.
    pub fn timeline(&self, actor: &Actor, id: i64) -> Result<Vec<Value>> {
        let c = self.conversation(actor, id)?;
        let events = self
            .store
            .read(|conn| crate::store::events::timeline(conn, c.user_id, id, 200))?;
        Ok(events
            .iter()
            .filter_map(|e| serde_json::from_str(&e.json).ok())
            .collect())
    }

    pub fn create_conversation(
        &self,
        actor: &Actor,
        input: ConversationInput,
    ) -> Result<(Conversation, Option<Value>)> {
        let (conv, msg, _) = self.create_conversation_once(actor, input)?;
        Ok((conv, msg))
    }

    /// Opens a conversation, or, when its first message repeats a
    /// `client_id` its sender used in one of the user's conversations,
    /// answers that conversation and message; the flag says whether it is new.
    pub fn create_conversation_once(
        &self,
        actor: &Actor,
        input: ConversationInput,
    ) -> Result<(Conversation, Option<Value>, bool)> {
        let staff = actor.is_staff();
        if !staff
            && (input.user_id.is_some_and(|u| u != actor.user_id)
                || input.status.is_some()
                || input.agent_id.is_some()
                || input.source.is_some())
        {
            return Err(Error::forbidden(
                "visitors can only open their own conversations",
            ));
        }
        let user_id = if staff {
            input.user_id.ok_or_else(|| error::MISSING_USER_ID.err())?
        } else {
            actor.user_id
        };
        let status = match &input.status {
            Some(s) => check_status(s)?,
            None if staff && input.message.is_some() => Status::WaitingForUser,
            None => Status::WaitingForAgent,
        };
        let title = super::text::clean_label("title", &input.title.unwrap_or_default())?;
        check_len("title", &title, 300)?;
        let source = input.source.unwrap_or_default();
        check_len("source", &source, 40)?;
        let extra = Value::Object(input.extra.unwrap_or_default());
        if extra.to_string().len() > 16_384 {
            return Err(error::TOO_LARGE.with("extra is limited to 16 KiB"));
        }
        let first_body = input
            .message
            .as_ref()
            .map(|m| m.body.clone())
            .unwrap_or_default();
        let message = match input.message {
            Some(m) => Some(self.prepare_message(actor, m)?),
            None => None,
        };
        let (dept, agent, actor_id) = (input.department_id, input.agent_id, actor.user_id);
        let public_url = self.links.public_url().to_string();
        let connected = self.hub.online_users();
        self.store.write(move |tx| {
            users::find(tx.conn, user_id)?.ok_or_else(|| error::INVALID_USER.err())?;
            if let Some(first) = message.as_ref().map(|m| m.repeat(tx, None, user_id)) {
                if let Some(first) = first? {
                    let conv = convs::get(tx.conn, first.conversation_id)?;
                    return Ok((conv, Some(first.to_json()), false));
                }
            }
            if let Some(d) = dept {
                departments::get(tx.conn, d).map_err(|_| error::INVALID_DEPARTMENT.err())?;
            }
            if let Some(a) = agent {
                check_agent(tx.conn, a)?;
            }
            let nc = NewConversation {
                user_id,
                status,
                title: &title,
                department_id: dept,
                agent_id: agent,
                source: &source,
                extra: &extra,
            };
            let id = convs::insert(tx, &nc)?;
            if let Some(a) = agent {
                convs::add_participant(tx, id, a, "agent")?;
            }
            let conv = emit_created(tx, id, Some(actor_id))?;
            if !staff {
                super::notifications::new_conversation(
                    tx,
                    &public_url,
                    &conv,
                    &first_body,
                    Some(&connected),
                )?;
            }
            let msg = match message {
                Some(m) => {
                    let head = convs::head(tx.conn, id)?;
                    let m = super::messages::insert_message(tx, &head, actor_id, staff, m)?;
                    super::push::message(tx, &m, Some(&connected))?;
                    Some(m.to_json())
                }
                None => None,
            };
            Ok((convs::get(tx.conn, id)?, msg, true))
        })
    }

    /// The agent (or admin) who last wrote in the conversation, if any.
    /// Ratings count for the assigned agent, else this one (both read
    /// `store::messages::LAST_STAFF_SENDER`).
    pub fn last_agent(&self, actor: &Actor, id: i64) -> Result<Option<i64>> {
        self.conversation(actor, id)?;
        self.store
            .read(|c| crate::store::messages::last_staff_sender(c, id))
    }

    /// Posts `message` as `actor` into the user's latest conversation, or
    /// starts one (with `title`); returns the conversation's id. Direct
    /// messages and chat-message automations go this way.
    pub fn message_user(
        &self,
        actor: &Actor,
        user_id: i64,
        message: String,
        title: Option<String>,
    ) -> Result<i64> {
        let latest = self.list_conversations(
            actor,
            Filter {
                user_id: Some(user_id),
                limit: 1,
                ..Default::default()
            },
        )?;
        let input = MessageInput {
            body: message,
            ..Default::default()
        };
        match latest.first() {
            Some(c) => Ok(self.post_message(actor, c.id, input)?.conversation_id),
            None => {
                let conv = ConversationInput {
                    user_id: Some(user_id),
                    title,
                    message: Some(input),
                    ..Default::default()
                };
                Ok(self.create_conversation(actor, conv)?.0.id)
            }
        }
    }

    pub fn list_conversations(
        &self,
        actor: &Actor,
        mut filter: Filter,
    ) -> Result<Vec<Conversation>> {
        if actor.role == Role::Visitor {
            filter.user_id = Some(actor.user_id);
            filter.statuses = [&Status::INBOX[..], &[Status::Archive]].concat();
            filter.search = None;
        }
        self.store.read(|c| convs::list(c, &filter))
    }

    /// Applies a patch; each changed aspect appends its own event.
    pub fn update_conversation(
        &self,
        actor: &Actor,
        id: i64,
        mut patch: ConversationPatch,
    ) -> Result<Conversation> {
        actor.require_staff()?;
        let status = patch.status.as_ref().map(check_status).transpose()?;
        if let Some(t) = &mut patch.title {
            *t = clean_title(t)?;
        }
        let actor_id = actor.user_id;
        let public_url = self.links.public_url().to_string();
        let connected = self.hub.online_users();
        self.store.write(move |tx| {
            let before = convs::get(tx.conn, id)?;
            if let Some(s) = status {
                move_status(tx, id, actor_id, before.status, s)?;
            }
            if let Some(agent) = patch.agent_id {
                let by = Assigner {
                    actor_id,
                    public_url: &public_url,
                    connected: &connected,
                };
                assign_in(tx, &before, agent, &by)?;
            }
            if let Some(dept) = patch.department_id {
                department_in(tx, &before, dept, actor_id)?;
            }
            if let Some(t) = patch.title {
                retitle(tx, &before, &t, actor_id)?;
            }
            if let Some(extra) = patch.extra {
                merge_extra(tx, &before, extra, actor_id)?;
            }
            convs::get(tx.conn, id)
        })
    }

    pub fn count_conversations(&self, actor: &Actor, statuses: &[Status]) -> Result<i64> {
        actor.require_staff()?;
        self.store.read(|c| convs::count(c, statuses))
    }

    /// Deletes a conversation for good, with its messages.
    pub fn delete_conversation(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.require_staff()?;
        let actor_id = actor.user_id;
        self.store.write(move |tx| {
            let c = convs::get(tx.conn, id)?;
            // Emitted first so the event still knows whose conversation it was.
            tx.emit(
                "conversation.deleted",
                Some(id),
                Some(actor_id),
                Audience::Everyone,
                json!({ "user_id": c.user_id }),
            )?;
            convs::delete(tx, id)
        })
    }

    pub fn participants(&self, actor: &Actor, id: i64) -> Result<Vec<Value>> {
        self.conversation(actor, id)?;
        let rows = self.store.read(|c| convs::participants(c, id))?;
        let mut out = Vec::new();
        for (uid, flags, last_read) in rows {
            let flags = match actor.is_staff() {
                true => flags,
                false => match for_visitor(&flags) {
                    Some(f) => f,
                    None => continue,
                },
            };
            if let Ok(u) = self.user_by_id(uid) {
                let mut v = if actor.is_staff() {
                    u.to_json()
                } else {
                    u.public_json()
                };
                v["flags"] = json!(flags);
                v["last_read_id"] = json!(last_read);
                out.push(v);
            }
        }
        Ok(out)
    }
}

/// `conversation.created`'s payload. A widget visitor (or lead) becomes a
/// client when it first writes, not when its session starts: its first
/// conversation, by whatever way, says so with `new_client: true`
/// (Chat2Desk's `new_client` hook).
/// Appends `conversation.created` for the new conversation `id` (its
/// payload as `created_payload` makes it); returns the conversation.
pub(crate) fn emit_created(tx: &mut Tx, id: i64, actor_id: Option<i64>) -> Result<Conversation> {
    let conv = convs::get(tx.conn, id)?;
    let data = created_payload(tx, &conv)?;
    tx.emit(
        "conversation.created",
        Some(id),
        actor_id,
        Audience::Everyone,
        data,
    )?;
    Ok(conv)
}

fn created_payload(tx: &Tx, conv: &Conversation) -> Result<Value> {
    let mut data = json!({ "conversation": conv.visitor_json() });
    let owner = users::find(tx.conn, conv.user_id)?;
    if owner.is_some_and(|u| matches!(u.user_type, UserType::Visitor | UserType::Lead))
        && convs::is_only_of(tx.conn, conv.user_id, conv.id)?
    {
        data["new_client"] = json!(true);
    }
    Ok(data)
}

/// The inbox's own flags (ChatShipper's participants), kept from visitors.
const INBOX_FLAGS: &[&str] = &["inbox", "active", "accepted", "follow", "left"];

/// What a visitor sees of a participant: nothing of someone merely
/// invited (`/assign`) or gone (`/leave`), and no inbox flags.
fn for_visitor(flags: &str) -> Option<String> {
    use crate::store::participants::{has, split};
    let invited = has(flags, "inbox") && !has(flags, "active") && !has(flags, "accepted");
    if invited || has(flags, "left") {
        return None;
    }
    let kept: Vec<String> = split(flags)
        .into_iter()
        .filter(|f| !INBOX_FLAGS.contains(&f.as_str()))
        .collect();
    Some(kept.join(","))
}
