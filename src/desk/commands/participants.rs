//! ChatShipper's participants: `/assign`, `/join`, `/accept`, `/leave`
//! (`/close`). Each sets flags on the participant's row
//! (`store::participants`) and emits `conversation.participant`; what the
//! status becomes follows the seed: accepting makes the conversation live,
//! the last accepting agent leaving closes it (answered) or queues it again.

use super::{Outcome, Run};
use crate::desk::{Desk, Status};
use crate::error::{self, Result};
use crate::store::conversations as convs;
use crate::store::events::Audience;
use crate::store::{participants as parts, users, Tx};
use serde_json::{json, Value};

/// The most users one `/assign` names.
const MAX_USERS: usize = 50;

/// The flags ChatShipper's participant commands manage.
const LIVE: &[&str] = &["inbox", "active", "accepted"];

/// `/assign` with `meta.users`: each becomes a participant with the
/// `inbox` flag (the conversation waits in their inbox until they accept)
/// and is told the way an assignment tells them (email, push).
pub fn assign(desk: &Desk, run: &Run) -> Result<Outcome> {
    let ids = if run.meta.contains_key("users") || run.args.is_empty() {
        meta_users(run)?
    } else {
        typed_users(desk, run)?
    };
    for &id in &ids {
        staff_member(desk.store.read(|c| users::find(c, id))?, id)?;
    }
    let run = run.clone();
    let public_url = desk.links.public_url().to_string();
    let connected = desk.hub.online_users();
    desk.store.write(move |tx| {
        let mut assigned = Vec::new();
        for &id in &ids {
            staff_member(users::find(tx.conn, id)?, id)?;
            let now = parts::flags(tx.conn, run.conversation_id, id)?.unwrap_or_default();
            if parts::has(&now, "accepted") && !parts::has(&now, "left") {
                continue; // theirs already
            }
            let flags = parts::change(tx, run.conversation_id, id, &["inbox"], &["left"])?;
            emit(tx, &run, id, &flags, "assigned")?;
            if id != run.actor.user_id {
                crate::desk::notifications::assigned(
                    tx,
                    &public_url,
                    run.conversation_id,
                    id,
                    Some(&connected),
                )?;
                crate::desk::push::assigned(tx, run.conversation_id, id, Some(&connected))?;
            }
            assigned.push(id);
        }
        let note = run.note(tx, Value::Null)?;
        let mut out = Outcome::new(note);
        out.result = json!({ "assigned": assigned });
        Ok(out)
    })
}

/// `/join`: a passive participant (`active`); the status stays.
pub fn join(desk: &Desk, run: &Run) -> Result<Outcome> {
    let run = run.clone();
    desk.store.write(move |tx| {
        let who = run.subject(tx)?;
        let flags = parts::change(tx, run.conversation_id, who, &["active"], &["left"])?;
        emit(tx, &run, who, &flags, "joined")?;
        let note = run.note(tx, json!({ "user": who }))?;
        let mut out = Outcome::new(note);
        out.result = json!({ "user": who, "flags": flags });
        Ok(out)
    })
}

/// `/accept`: `active` and `accepted`, `inbox` cleared; the conversation
/// goes live, gets this agent if it has none, and its notified channels
/// are withdrawn (`conversation.dequeued`).
pub fn accept(desk: &Desk, run: &Run) -> Result<Outcome> {
    let run = run.clone();
    desk.store.write(move |tx| {
        let who = run.subject(tx)?;
        let (id, actor) = (run.conversation_id, run.actor.user_id);
        let before = convs::get(tx.conn, id)?;
        if before.status.is_closed() {
            return Err(error::CONVERSATION_CLOSED.with(format!(
                "conversation {id} is closed ({}): /notify queues it again before anyone accepts it",
                before.status.name()
            )));
        }
        let flags = parts::change(tx, id, who, &["active", "accepted"], &["inbox", "left"])?;
        emit(tx, &run, who, &flags, "accepted")?;
        set_status(tx, id, actor, before.status, Status::Live)?;
        if before.agent_id.is_none() {
            set_agent(tx, id, actor, None, Some(who))?;
        }
        let channels = parts::clear_channels(tx, id)?;
        tx.emit(
            "conversation.dequeued",
            Some(id),
            Some(actor),
            Audience::Staff,
            json!({ "channels": channels }),
        )?;
        let note = run.note(tx, json!({ "user": who }))?;
        let mut out = Outcome::new(note);
        out.result = json!({ "user": who, "flags": flags, "dequeued": channels });
        Ok(out)
    })
}

/// `/leave` (`/close`): the participant's flags cleared and `left` set;
/// the conversation passes to another accepting agent, or, with none
/// left, closes (the contact's last message was answered) or is queued
/// again (`notify::queue`).
pub fn leave(desk: &Desk, run: &Run) -> Result<Outcome> {
    let run = run.clone();
    let connected = desk.hub.online_users();
    desk.store.write(move |tx| {
        let who = run.subject(tx)?;
        let (id, actor) = (run.conversation_id, run.actor.user_id);
        let now = parts::flags(tx.conn, id, who)?;
        if now.as_deref().is_none_or(|f| parts::has(f, "left")) {
            return Err(error::NOT_PARTICIPANT.with(format!(
                "user {who} is no participant of conversation {id}, so cannot leave it"
            )));
        }
        let flags = parts::change(tx, id, who, &["left"], LIVE)?;
        emit(tx, &run, who, &flags, "left")?;
        let before = convs::get(tx.conn, id)?;
        let accepting = parts::accepting(tx.conn, id)?;
        if before.agent_id == Some(who) {
            set_agent(tx, id, actor, Some(who), accepting.first().copied())?;
        }
        let mut moved = Value::Null;
        if accepting.is_empty() && !before.status.is_closed() {
            if parts::answered(tx.conn, id, before.user_id)? {
                set_status(tx, id, actor, before.status, Status::Archive)?;
                moved = json!("closed");
            } else {
                super::notify::queue(tx, id, actor, &connected)?;
                moved = json!("queued");
            }
        }
        let note = run.note(tx, json!({ "user": who }))?;
        let mut out = Outcome::new(note);
        out.result = json!({ "user": who, "flags": flags, "conversation": moved });
        Ok(out)
    })
}

/// `meta.users`: a non-empty array of user ids (numbers or strings).
fn meta_users(run: &Run) -> Result<Vec<i64>> {
    let bad = || error::INVALID_USERS.err();
    let list = run
        .meta
        .get("users")
        .and_then(Value::as_array)
        .ok_or_else(bad)?;
    if list.is_empty() {
        return Err(bad());
    }
    if list.len() > MAX_USERS {
        return Err(error::TOO_MANY.with(format!("meta.users names at most {MAX_USERS} users")));
    }
    let mut ids = Vec::new();
    for v in list {
        let id = match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .ok_or_else(|| error::INVALID_USERS.with(format!("meta.users: {v} is not a user id")))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// The users typed after `/assign` in the composer (which has no `meta`):
/// ids or email addresses, separated by spaces or commas.
fn typed_users(desk: &Desk, run: &Run) -> Result<Vec<i64>> {
    let words: Vec<&str> = run
        .args
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() > MAX_USERS {
        return Err(error::TOO_MANY.with(format!("/assign names at most {MAX_USERS} users")));
    }
    let mut ids = Vec::new();
    for w in words {
        let id = match w.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => desk
                .store
                .read(|c| users::by_email(c, w))?
                .map(|(u, _)| u.id),
        }
        .ok_or_else(|| error::INVALID_USERS.with(format!("/assign: no user {w:?}")))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

/// An enabled agent or admin, else 400 naming the id.
fn staff_member(user: Option<users::User>, id: i64) -> Result<()> {
    match user {
        Some(u) if u.user_type.is_agent() && !u.disabled => Ok(()),
        _ => Err(error::INVALID_AGENT.with(format!("user {id} is not an active agent or admin"))),
    }
}

fn emit(tx: &mut Tx, run: &Run, user: i64, flags: &[String], action: &str) -> Result<()> {
    tx.emit(
        "conversation.participant",
        Some(run.conversation_id),
        Some(run.actor.user_id),
        Audience::Staff,
        json!({ "user_id": user, "flags": flags, "action": action }),
    )?;
    Ok(())
}

fn set_status(tx: &mut Tx, id: i64, actor: i64, before: Status, s: Status) -> Result<()> {
    crate::desk::conversations::move_status(tx, id, actor, before, s)
}

/// Moves `agent_id`, with the event `update_conversation` emits for it.
fn set_agent(
    tx: &mut Tx,
    id: i64,
    actor: i64,
    before: Option<i64>,
    agent: Option<i64>,
) -> Result<()> {
    convs::set_agent(tx, id, agent)?;
    let name = agent
        .map(|a| users::get(tx.conn, a).map(|u| u.name()))
        .transpose()?;
    tx.emit(
        "conversation.assigned",
        Some(id),
        Some(actor),
        Audience::Everyone,
        json!({ "agent_id": agent, "previous": before, "agent_name": name }),
    )?;
    Ok(())
}

/// What the commands keep about a conversation beside its row, for the
/// readers that show it (ChatShipper's `GET /v2/conversations/{id}`).
#[derive(Debug, Default)]
pub struct CommandState {
    /// The channels it notified while queued: (online, offline) ids.
    pub channels: Vec<i64>,
    pub offline: Vec<i64>,
    /// The name of its category (`extra._category`, a slot of its
    /// department's categories), if it has one.
    pub category: Option<String>,
}

/// At most this many invited conversations are listed.
const MAX_INVITED: i64 = 200;

impl Desk {
    /// A conversation's notified channels and category name (staff).
    pub fn command_state(&self, actor: &crate::desk::Actor, id: i64) -> Result<CommandState> {
        actor.require_staff()?;
        let c = self.conversation(actor, id)?;
        let slot = c.extra.get("_category").and_then(Value::as_u64);
        self.store.read(|conn| {
            let (channels, offline) = parts::channels(conn, id)?;
            let category = match (c.department_id, slot) {
                (Some(d), Some(i)) => crate::store::departments::categories(conn, d)
                    .ok()
                    .and_then(|list| list.get(i as usize).cloned()),
                _ => None,
            };
            Ok(CommandState {
                channels,
                offline,
                category,
            })
        })
    }

    /// The conversations assigned to the caller that they have not accepted
    /// yet (`inbox` flag), newest first, as list rows.
    pub fn invited_conversations(
        &self,
        actor: &crate::desk::Actor,
    ) -> Result<Vec<crate::desk::conversations::Conversation>> {
        actor.require_staff()?;
        let me = actor.user_id;
        let mut rows = self.store.read(|conn| {
            parts::invited(conn, me, MAX_INVITED)?
                .into_iter()
                .map(|id| convs::get(conn, id))
                .collect::<Result<Vec<_>>>()
        })?;
        self.with_agent_view(actor, &mut rows)?;
        Ok(rows)
    }
}
