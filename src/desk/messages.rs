//! Messages: post, edit, delete, read marks, history, typing.

use super::{check_len, check_status, Actor, Desk, Role};
use crate::domain::{Sent, Status};
use crate::error::{self, Error, Result};
use crate::store::conversations::{self as convs, Head};
use crate::store::events::Audience;
pub use crate::store::messages::Message;
use crate::store::messages::{self, NewMessage};
use crate::store::{users, Tx};
use serde::Deserialize;
use serde_json::{json, Map, Value};

pub const MAX_BODY_CHARS: usize = 10_000;

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageInput {
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    pub payload: Option<Map<String, Value>>,
    /// An internal note, visible to staff only.
    #[serde(default)]
    pub private: bool,
    /// Staff and API tokens may post on behalf of another user.
    pub user_id: Option<i64>,
    /// Support Board's `conversation_status_code`: the status to set, if any.
    pub status: Option<Sent<Status>>,
    /// An id the client chose (idempotency key): a repeat with the same id
    /// from the same sender in the same conversation answers the first message.
    #[serde(default)]
    pub client_id: Option<String>,
    /// Leave the conversation's status as it is (Support Board's `skip`);
    /// not part of the JSON APIs.
    #[serde(skip)]
    pub keep_status: bool,
    /// Text as it is, never a command (`/v2` chat messages, notes);
    /// not part of the JSON APIs.
    #[serde(skip)]
    pub literal: bool,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    pub name: String,
    pub url: String,
    #[serde(rename = "type", default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
}

/// A change to a message: its text, and (when given) its attachments and payload.
#[derive(Debug, Default, Clone)]
pub struct MessageEdit {
    pub body: String,
    pub attachments: Option<Vec<Attachment>>,
    pub payload: Option<Map<String, Value>>,
}

fn check_attachments(list: &[Attachment]) -> Result<()> {
    if list.len() > 10 {
        return Err(error::TOO_MANY_ATTACHMENTS.err());
    }
    for a in list {
        check_len("attachment name", &a.name, 255)?;
        check_len("attachment url", &a.url, 2000)?;
        let url = a.url.to_ascii_lowercase();
        if !(url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/')) {
            return Err(error::INVALID_ATTACHMENT.err());
        }
    }
    Ok(())
}

/// Payload types only staff messages carry: the inbox and the widget draw
/// them as a server command's card, a command, results or a form to fill.
const STAFF_PAYLOAD_TYPES: &[&str] = &["card", "command", "results", "form"];

fn check_payload(p: Option<&Map<String, Value>>, actor: &Actor) -> Result<()> {
    if let Some(p) = p {
        if serde_json::to_string(p)?.len() > 16_384 {
            return Err(error::TOO_LARGE.with("payload is limited to 16 KiB"));
        }
        let kind = p.get("type").and_then(Value::as_str).unwrap_or("");
        if !actor.is_staff() && STAFF_PAYLOAD_TYPES.contains(&kind) {
            return Err(error::INVALID_FIELD.with(format!(
                "a visitor's message cannot be of payload type {kind:?}"
            )));
        }
    }
    Ok(())
}

/// A message input that passed validation; the sender is resolved.
pub struct Prepared {
    pub(super) input: MessageInput,
    pub(super) sender: i64,
    /// The status to set, checked.
    pub(super) status: Option<Status>,
}

impl Desk {
    /// Validates a message and decides who sends it.
    pub(super) fn prepare_message(
        &self,
        actor: &Actor,
        mut input: MessageInput,
    ) -> Result<Prepared> {
        input.body = super::text::clean_body(&input.body);
        check_len("body", &input.body, MAX_BODY_CHARS)?;
        if input.body.trim().is_empty() && input.attachments.is_empty() {
            return Err(error::EMPTY_MESSAGE.err());
        }
        check_attachments(&input.attachments)?;
        self.own_attachments(actor, &mut input.attachments)?;
        check_payload(input.payload.as_ref(), actor)?;
        if let Some(id) = &input.client_id {
            check_client_id(id)?;
        }
        let status = input.status.as_ref().map(check_status).transpose()?;
        let sender = match (actor.role, input.user_id) {
            (Role::Visitor, Some(_)) => {
                return Err(Error::forbidden("visitors cannot post as someone else"))
            }
            (Role::Visitor, None) => actor.user_id,
            (_, Some(uid)) if uid == actor.user_id => uid,
            // Integrations (API tokens) and admins may post for a contact or
            // a bot; an agent's session speaks only for the agent.
            (Role::Agent, Some(_)) if actor.token_id.is_none() => {
                return Err(Error::forbidden("agents can only post as themselves"))
            }
            (_, Some(uid)) => uid,
            (_, None) => actor.user_id,
        };
        if actor.role == Role::Visitor && (input.private || input.status.is_some()) {
            return Err(Error::forbidden(
                "visitors cannot post notes or set a status",
            ));
        }
        Ok(Prepared {
            input,
            sender,
            status,
        })
    }

    pub fn post_message(
        &self,
        actor: &Actor,
        conversation_id: i64,
        input: MessageInput,
    ) -> Result<Message> {
        Ok(self.post_message_once(actor, conversation_id, input)?.0)
    }

    /// Posts a message, or (a repeat of its `client_id`) answers the one
    /// posted before; the flag says whether it is new.
    pub fn post_message_once(
        &self,
        actor: &Actor,
        conversation_id: i64,
        input: MessageInput,
    ) -> Result<(Message, bool)> {
        if let Some(out) = self.message_command(actor, conversation_id, &input)? {
            return Ok((out.command, true));
        }
        let prepared = self.prepare_message(actor, input)?;
        let staff = actor.is_staff();
        let (actor_id, visitor) = (actor.user_id, (!staff).then_some(actor.user_id));
        // Whether the contact has left the site: their reply goes by email.
        let contact_away = staff && self.contact_away(conversation_id);
        let connected = self.hub.online_users();
        self.store.write(move |tx| {
            let conv = convs::head(tx.conn, conversation_id)?;
            // Scope is checked inside the job, so it still holds at commit.
            if visitor.is_some_and(|v| v != conv.user_id) {
                return Err(Error::not_found("conversation"));
            }
            if let Some(first) = prepared.repeat(tx, conv.id, conv.user_id)? {
                return Ok((first, false));
            }
            let m = insert_message(tx, &conv, actor_id, staff, prepared)?;
            super::push::message(tx, &m, Some(&connected))?;
            if staff {
                super::notifications::contact_reply(tx, contact_away, conv.user_id, &m)?;
            }
            Ok((m, true))
        })
    }

    /// A direct message from staff to each of `user_ids` (all must exist):
    /// into their latest conversation, or a new one titled `subject`;
    /// counted in the direct-messages report.
    pub fn direct_message(
        &self,
        actor: &Actor,
        user_ids: &[i64],
        message: &str,
        subject: Option<String>,
    ) -> Result<()> {
        actor.require_staff()?;
        for &id in user_ids {
            self.user_by_id(id)?;
        }
        for &id in user_ids {
            self.message_user(actor, id, message.to_string(), subject.clone())?;
            self.record("direct-messages", None, Some(id.to_string()))?;
        }
        Ok(())
    }

    /// One message the actor may see (its conversation checked for scope).
    pub fn message(&self, actor: &Actor, id: i64) -> Result<Message> {
        let m = self.store.read(|c| messages::get(c, id))?;
        self.conversation(actor, m.conversation_id)?;
        if m.private && !actor.is_staff() {
            return Err(Error::not_found("message"));
        }
        Ok(m)
    }

    /// Every message of a conversation the actor may see, oldest first
    /// (transcripts and the Support Board reads that return a whole
    /// conversation), read a page at a time.
    pub fn all_messages(&self, actor: &Actor, conversation_id: i64) -> Result<Vec<Message>> {
        const PAGE: i64 = 500;
        let mut pages: Vec<Vec<Message>> = Vec::new();
        let mut before = None;
        loop {
            let page = self.history(actor, conversation_id, before, PAGE)?;
            let full = page.len() as i64 == PAGE;
            before = page.first().map(|m| m.id);
            pages.push(page);
            if !full {
                break;
            }
        }
        Ok(pages.into_iter().rev().flatten().collect())
    }

    pub fn history(
        &self,
        actor: &Actor,
        conversation_id: i64,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Message>> {
        self.conversation(actor, conversation_id)?;
        let before = before.unwrap_or(i64::MAX);
        self.store
            .read(|c| messages::page(c, conversation_id, before, limit, actor.is_staff()))
    }

    fn own_message(&self, actor: &Actor, conversation_id: i64, message_id: i64) -> Result<Message> {
        self.conversation(actor, conversation_id)?;
        let m = self.store.read(|c| messages::get(c, message_id))?;
        if m.conversation_id != conversation_id || (m.private && !actor.is_staff()) {
            return Err(Error::not_found("message"));
        }
        if m.deleted_at.is_some() {
            return Err(error::DELETED.err());
        }
        let own = m.user_id == Some(actor.user_id);
        if !(own
            || actor.role == Role::Admin
            || (actor.role == Role::Agent && actor.token_id.is_some()))
        {
            return Err(Error::forbidden("you can only change your own messages"));
        }
        Ok(m)
    }

    pub fn edit_message(
        &self,
        actor: &Actor,
        conversation_id: i64,
        message_id: i64,
        mut edit: MessageEdit,
    ) -> Result<Message> {
        edit.body = super::text::clean_body(&edit.body);
        check_len("body", &edit.body, MAX_BODY_CHARS)?;
        check_attachments(edit.attachments.as_deref().unwrap_or_default())?;
        self.own_attachments(actor, edit.attachments.as_deref_mut().unwrap_or_default())?;
        check_payload(edit.payload.as_ref(), actor)?;
        let m = self.own_message(actor, conversation_id, message_id)?;
        let has_files = match &edit.attachments {
            Some(list) => !list.is_empty(),
            None => m.attachments.as_array().is_some_and(|a| !a.is_empty()),
        };
        if edit.body.trim().is_empty() && !has_files {
            return Err(error::EMPTY_MESSAGE.err());
        }
        let (actor_id, aud) = (actor.user_id, audience(m.private));
        let attachments = edit
            .attachments
            .as_ref()
            .map(serde_json::to_string)
            .transpose()?;
        let payload = edit
            .payload
            .as_ref()
            .map(serde_json::to_string)
            .transpose()?;
        self.store.write(move |tx| {
            let m = messages::edit(
                tx,
                message_id,
                &edit.body,
                attachments.as_deref(),
                payload.as_deref(),
            )?;
            tx.emit(
                "message.updated",
                Some(conversation_id),
                Some(actor_id),
                aud,
                json!({ "message": m.to_json() }),
            )?;
            Ok(m)
        })
    }

    pub fn delete_message(
        &self,
        actor: &Actor,
        conversation_id: i64,
        message_id: i64,
    ) -> Result<()> {
        let m = self.own_message(actor, conversation_id, message_id)?;
        let (actor_id, aud) = (actor.user_id, audience(m.private));
        self.store.write(move |tx| {
            messages::delete(tx, message_id)?;
            tx.emit(
                "message.deleted",
                Some(conversation_id),
                Some(actor_id),
                aud,
                json!({ "message_id": message_id }),
            )?;
            Ok(())
        })
    }

    /// Marks the other side's messages up to `up_to` as read.
    pub fn mark_read(&self, actor: &Actor, conversation_id: i64, up_to: i64) -> Result<Vec<i64>> {
        self.conversation(actor, conversation_id)?;
        let (staff, uid) = (actor.is_staff(), actor.user_id);
        self.store.write(move |tx| {
            let ids = messages::mark_read(tx, conversation_id, up_to, staff)?;
            messages::set_last_read(tx, conversation_id, uid, up_to)?;
            if staff {
                crate::store::staff_reads::set(tx, conversation_id, uid, up_to)?;
            }
            if !ids.is_empty() {
                tx.emit("message.read", Some(conversation_id), Some(uid), Audience::Everyone,
                    json!({ "message_ids": ids, "by": if staff { "staff" } else { "visitor" }, "user_id": uid }))?;
            }
            Ok(ids)
        })
    }

    /// Acknowledges that the actor's client received the other side's
    /// messages up to `up_to` ("delivered"; read implies delivered).
    pub fn mark_delivered(
        &self,
        actor: &Actor,
        conversation_id: i64,
        up_to: i64,
    ) -> Result<Vec<i64>> {
        self.conversation(actor, conversation_id)?;
        let (staff, uid) = (actor.is_staff(), actor.user_id);
        // Every open inbox acknowledges every contact message: only the
        // first finds something to mark, the rest cost a read, not a write.
        if !self
            .store
            .read(|c| messages::undelivered(c, conversation_id, up_to, staff))?
        {
            return Ok(Vec::new());
        }
        self.store.write(move |tx| {
            let ids = messages::mark_delivered(tx, conversation_id, up_to, staff)?;
            if !ids.is_empty() {
                let by = if staff { "staff" } else { "visitor" };
                tx.emit(
                    "message.delivered",
                    Some(conversation_id),
                    Some(uid),
                    Audience::Everyone,
                    json!({ "message_ids": ids, "by": by, "user_id": uid }),
                )?;
            }
            Ok(ids)
        })
    }

    /// Who is typing in a conversation now (said so in the last 6 seconds):
    /// (user id, staff?).
    pub fn typing_now(&self, actor: &Actor, conversation_id: i64) -> Result<Vec<(i64, bool)>> {
        self.conversation(actor, conversation_id)?;
        let recent = std::time::Duration::from_secs(6);
        let map = self.typing.lock().unwrap();
        Ok(map
            .get(&conversation_id)
            .map(|v| {
                v.iter()
                    .filter(|m| m.typing && m.at.elapsed() < recent)
                    .map(|m| (m.user_id, m.staff))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// A custom realtime event (Support Board's `pusher-trigger`), sent to
    /// whoever listens now and never stored: staff always, and the contact
    /// `N` too on channel `private-user-N`.
    pub fn trigger(&self, actor: &Actor, channel: &str, event: &str, data: Value) -> Result<()> {
        actor.require_staff()?;
        super::check_len("channel", channel, 200)?;
        super::check_len("event", event, 200)?;
        if data.to_string().len() > 10_000 {
            return Err(error::TOO_LARGE.with("data is larger than 10 KB"));
        }
        let visitor = channel
            .strip_prefix("private-user-")
            .and_then(|id| id.parse::<i64>().ok());
        self.hub.ephemeral(
            "custom",
            None,
            visitor,
            json!({ "channel": channel, "event": event, "data": data }),
        );
        Ok(())
    }

    /// Typing is ephemeral: sent to whoever is listening now, never stored.
    pub fn typing(&self, actor: &Actor, conversation_id: i64, typing: bool) -> Result<()> {
        let c = self.conversation(actor, conversation_id)?;
        let name = self
            .user_by_id(actor.user_id)
            .map(|u| u.name())
            .unwrap_or_default();
        {
            // Remember it (for Support Board's is-typing), forgetting stale entries.
            let mut map = self.typing.lock().unwrap();
            map.retain(|_, v| {
                v.retain(|m| m.at.elapsed() < std::time::Duration::from_secs(60));
                !v.is_empty()
            });
            let list = map.entry(conversation_id).or_default();
            list.retain(|m| m.user_id != actor.user_id);
            list.push(super::TypingMark {
                user_id: actor.user_id,
                staff: actor.is_staff(),
                at: std::time::Instant::now(),
                typing,
            });
        }
        self.hub.ephemeral(
            "typing",
            Some(conversation_id),
            Some(c.user_id),
            json!({ "user_id": actor.user_id, "name": name, "staff": actor.is_staff(), "typing": typing }),
        );
        Ok(())
    }
}

fn audience(private: bool) -> Audience {
    if private {
        Audience::Staff
    } else {
        Audience::Everyone
    }
}

/// A client id: 1 to 64 letters, digits, `-` and `_` (a UUID fits).
pub(super) fn check_client_id(id: &str) -> Result<()> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !ok {
        return Err(error::INVALID_ID.with("client_id must be 1 to 64 letters, digits, - and _"));
    }
    Ok(())
}

impl Prepared {
    /// The message this one repeats (same sender and client id), in
    /// `conversation_id`, or (None) in any conversation of `owner`.
    pub(super) fn repeat(
        &self,
        tx: &Tx,
        conversation_id: impl Into<Option<i64>>,
        owner: i64,
    ) -> Result<Option<Message>> {
        match &self.input.client_id {
            Some(cid) => {
                messages::by_client_id(tx.conn, self.sender, cid, conversation_id.into(), owner)
            }
            None => Ok(None),
        }
    }
}

/// Inserts a prepared message into `conv` and moves the conversation's status
/// the way Support Board does: the user writing means it waits for an agent,
/// staff answering means it waits for the user.
pub(super) fn insert_message(
    tx: &mut Tx,
    conv: &Head,
    actor_id: i64,
    staff: bool,
    p: Prepared,
) -> Result<Message> {
    let sender = users::find(tx.conn, p.sender)?.ok_or_else(|| error::INVALID_USER.err())?;
    let attachments = serde_json::to_value(&p.input.attachments)?;
    let payload = Value::Object(p.input.payload.clone().unwrap_or_default());
    let m = messages::insert(
        tx,
        &NewMessage {
            conversation_id: conv.id,
            by_owner: sender.id == conv.user_id,
            sender: &sender,
            body: &p.input.body,
            attachments: &attachments,
            payload: &payload,
            private: p.input.private,
            client_id: p.input.client_id.as_deref(),
        },
    )?;
    if sender.is_staff() {
        // Writing is reading: the inbox row's unread count starts after it.
        crate::store::staff_reads::set(tx, conv.id, sender.id, m.id)?;
    }
    if sender.id != conv.user_id {
        convs::add_participant(
            tx,
            conv.id,
            sender.id,
            if sender.is_staff() { "agent" } else { "" },
        )?;
    }
    convs::touch(tx, conv.id)?;
    tx.emit(
        "message.created",
        Some(conv.id),
        Some(actor_id),
        audience(m.private),
        json!({ "message": m.to_json() }),
    )?;
    super::touchpoint::queue_reply(tx, conv, &sender, &m)?;
    let next = match p.status {
        _ if p.input.keep_status => None,
        Some(s) => Some(s),
        None if m.private => None,
        None if sender.id == conv.user_id || !sender.is_staff() => Some(Status::WaitingForAgent),
        None if staff || sender.is_staff() => {
            // An answer does not pull a conversation out of the archive or trash.
            (!conv.status.is_closed()).then_some(Status::WaitingForUser)
        }
        None => None,
    };
    if let Some(s) = next {
        super::conversations::move_status(tx, conv.id, actor_id, conv.status, s)?;
    }
    super::keyword_bots::on_client_message(tx, conv, &m)?;
    Ok(m)
}
