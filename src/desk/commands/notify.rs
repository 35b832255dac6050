//! `/notify`: queue a closed conversation and notify channels by the
//! routing rules of its department and the department's ancestors
//! (ChatShipper's organizations), or of `meta.organizations` only, or
//! exactly the channels of `meta.channels`. Also the admin's notification
//! channels (`/api/v1/notify-channels`).
//!
//! A department's rule (`routing`): `round_robin` gives the conversation's
//! `inbox` flag to the next online agent of the department (id order,
//! after the one it picked last) who has fewer open conversations than the
//! rule's capacity; `none` picks no one. Either way every channel of the
//! department is notified: email, SMS or push to the channel's agent (an
//! agent who is not online is listed in `offline`, ChatShipper's
//! `channelsOffline`, and still notified: those channels exist to reach
//! someone away from the inbox), or a webhook to that endpoint alone.

use super::{Outcome, Run};
use crate::desk::settings::MAX_DEPTH;
use crate::desk::{Actor, Desk};
use crate::domain::Status;
use crate::error::{self, Result};
use crate::store::events::Audience;
use crate::store::routing::{self, Channel};
use crate::store::{conversations as convs, departments, outbox, settings, users, Tx};
use serde_json::{json, Map, Value};

/// Channels one notification reaches at most.
const MAX_CHANNELS: usize = 100;
/// Agents of one department a round robin considers.
const MAX_AGENTS: i64 = 500;
/// Ids `meta.channels` or `meta.organizations` may name.
const MAX_IDS: usize = 100;
/// Channels an install may have.
const MAX_INSTALL_CHANNELS: i64 = 1000;

/// Whom a queued conversation's notification is for.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// The rules of its department and the department's ancestors.
    Rules,
    /// The rules of these departments only (`meta.organizations`).
    Organizations(Vec<i64>),
    /// Exactly these channels, no rules (`meta.channels`).
    Channels(Vec<i64>),
}

pub fn notify(desk: &Desk, run: &Run) -> Result<Outcome> {
    let target = target(&run.meta)?;
    {
        let target = target.clone();
        desk.store.read(move |c| check_target(c, &target))?;
    }
    let online = desk.hub.online_users();
    let run = run.clone();
    desk.store.write(move |tx| {
        let head = convs::head(tx.conn, run.conversation_id)?;
        let closed = matches!(head.status, Status::Archive | Status::Trash);
        if !closed
            && !crate::store::participants::accepting(tx.conn, run.conversation_id)?.is_empty()
        {
            return Err(error::NOT_CLOSED.err());
        }
        check_target(tx.conn, &target)?;
        let queued = queue_to(tx, run.conversation_id, run.actor.user_id, &online, &target)?;
        let note = run.note(tx, json!({ "queued": queued }))?;
        let mut out = Outcome::new(note);
        out.result = queued;
        Ok(out)
    })
}

/// Reads `meta.channels` / `meta.organizations`: ids as strings (or
/// numbers); anything else is 400.
fn target(meta: &Map<String, Value>) -> Result<Target> {
    let ids = |key: &str, e: &'static error::Entry| -> Result<Option<Vec<i64>>> {
        let Some(v) = meta.get(key) else {
            return Ok(None);
        };
        let list = v
            .as_array()
            .filter(|a| a.len() <= MAX_IDS)
            .ok_or_else(|| e.with(format!("meta.{key} is a list of at most {MAX_IDS} ids")))?;
        let mut out = Vec::new();
        for x in list {
            let id = match x {
                Value::String(s) => s.trim().parse::<i64>().ok(),
                Value::Number(n) => n.as_i64(),
                _ => None,
            }
            .filter(|i| *i > 0)
            .ok_or_else(|| e.with(format!("meta.{key}: {x} is not an id")))?;
            if !out.contains(&id) {
                out.push(id);
            }
        }
        Ok(Some(out))
    };
    if let Some(c) = ids("channels", &error::UNKNOWN_NOTIFY_CHANNEL)? {
        return Ok(Target::Channels(c));
    }
    Ok(match ids("organizations", &error::UNKNOWN_ORGANIZATION)? {
        Some(o) => Target::Organizations(o),
        None => Target::Rules,
    })
}

fn check_target(conn: &rusqlite::Connection, target: &Target) -> Result<()> {
    match target {
        Target::Rules => {}
        Target::Organizations(ids) => {
            for id in ids {
                if departments::get(conn, *id).is_err() {
                    return Err(error::UNKNOWN_ORGANIZATION
                        .with(format!("meta.organizations: no department {id}")));
                }
            }
        }
        Target::Channels(ids) => {
            for id in ids {
                if routing::channel_by_id(conn, *id)?.is_none() {
                    return Err(error::UNKNOWN_NOTIFY_CHANNEL
                        .with(format!("meta.channels: no channel {id}")));
                }
            }
        }
    }
    Ok(())
}

/// Queues conversation `id` in `tx` (status waiting for an agent) and
/// notifies its channels by its routing rules; `online` is who is
/// connected now (`hub.online_users()`, read before the job). `/notify`
/// and `/leave` (when the contact's last message is unanswered) call it.
/// Answers `{channels, offline, agents}` as `conversation.queued` has it.
pub fn queue(tx: &mut Tx, id: i64, actor_id: i64, online: &[i64]) -> Result<Value> {
    queue_to(tx, id, actor_id, online, &Target::Rules)
}

fn queue_to(tx: &mut Tx, id: i64, actor_id: i64, online: &[i64], target: &Target) -> Result<Value> {
    let head = convs::head(tx.conn, id)?;
    let status = Status::WaitingForAgent;
    crate::desk::conversations::move_status(tx, id, actor_id, head.status, status)?;
    let conv = convs::get(tx.conn, id)?;
    let rules = match target {
        Target::Rules => match conv.department_id {
            Some(d) => departments::lineage(tx.conn, d, MAX_DEPTH)?,
            None => Vec::new(),
        },
        Target::Organizations(ids) => ids.clone(),
        Target::Channels(_) => Vec::new(),
    };
    let mut agents = Vec::new();
    for d in &rules {
        if let Some(agent) = round_robin(tx, *d, online, &agents)? {
            let flags = crate::store::participants::change(tx, id, agent, &["inbox"], &["left"])?;
            tx.emit(
                "conversation.participant",
                Some(id),
                Some(actor_id),
                Audience::Staff,
                json!({ "user_id": agent, "flags": flags, "action": "assigned" }),
            )?;
            agents.push(agent);
        }
    }
    let channels = match target {
        Target::Channels(ids) => {
            let mut list = Vec::new();
            for c in ids.iter().take(MAX_CHANNELS) {
                list.extend(routing::channel_by_id(tx.conn, *c)?);
            }
            list
        }
        _ => routing::channels_of(tx.conn, &rules, MAX_CHANNELS)?,
    };
    let (mut reached, mut offline) = (Vec::new(), Vec::new());
    let message = Message::of(tx, &conv)?;
    for c in &channels {
        let away = c.user_id.is_some_and(|u| !online.contains(&u));
        if c.kind == "webhook" && !routing::endpoint_active(tx.conn, c.endpoint_id)? {
            // Turned off (by an admin, or a 410 Gone): a row would wait and
            // leave stale the day it is turned back on.
            continue;
        }
        send(tx, c, &message)?;
        routing::record_notified(tx, id, c.id, away)?;
        if away {
            offline.push(c.id);
        } else {
            reached.push(c.id);
        }
    }
    let queued = json!({ "channels": reached, "offline": offline, "agents": agents });
    tx.emit(
        "conversation.queued",
        Some(id),
        Some(actor_id),
        Audience::Staff,
        queued.clone(),
    )?;
    Ok(queued)
}

/// Department `d`'s round robin: the next online agent (after the one it
/// picked last, in id order, wrapping) with room under the capacity, not
/// already picked by another department of this notification.
fn round_robin(tx: &Tx, d: i64, online: &[i64], taken: &[i64]) -> Result<Option<i64>> {
    let rule = departments::get(tx.conn, d)?["routing"].clone();
    if rule["policy"] != "round_robin" {
        return Ok(None);
    }
    let capacity = rule["capacity"]
        .as_i64()
        .unwrap_or(departments::DEFAULT_CAPACITY);
    let staff = routing::staff_of(tx.conn, d, MAX_AGENTS)?;
    let last = routing::last_agent(tx.conn, d)?.unwrap_or(0);
    let start = staff.iter().position(|a| *a > last).unwrap_or(0);
    for i in 0..staff.len() {
        let a = staff[(start + i) % staff.len()];
        if !online.contains(&a) || taken.contains(&a) {
            continue;
        }
        if routing::open_assigned(tx.conn, a, capacity)? < capacity {
            routing::set_last_agent(tx, d, a)?;
            return Ok(Some(a));
        }
    }
    Ok(None)
}

/// What a notification says: the contact, the conversation and the
/// contact's last words.
struct Message {
    conversation_id: i64,
    contact: String,
    title: String,
    text: String,
    status: Status,
}

impl Message {
    fn of(tx: &Tx, conv: &convs::Conversation) -> Result<Message> {
        let contact = users::find(tx.conn, conv.user_id)?
            .map(|u| u.name())
            .unwrap_or_default();
        let text = routing::last_contact_text(tx.conn, conv.id)?
            .unwrap_or_else(|| format!("Conversation #{} is waiting for an agent.", conv.id));
        Ok(Message {
            conversation_id: conv.id,
            contact: if contact.is_empty() {
                "A visitor".into()
            } else {
                contact
            },
            title: conv.title.clone(),
            text,
            status: conv.status,
        })
    }
}

/// Notifies one channel: email, SMS or push to its agent, or one outbox
/// row for its webhook endpoint alone.
fn send(tx: &mut Tx, c: &Channel, m: &Message) -> Result<()> {
    if c.kind == "webhook" {
        return webhook(tx, c, m);
    }
    let Some(agent) = c
        .user_id
        .map(|u| users::find(tx.conn, u))
        .transpose()?
        .flatten()
        .filter(|u| u.is_staff() && !u.disabled)
    else {
        return Ok(());
    };
    let (name, id) = (agent.name(), m.conversation_id.to_string());
    // The inbox's deep link (a path: the queue has no public URL to hand).
    let url = format!("/admin#conversation={}", m.conversation_id);
    let values = [
        ("recipient_name", name.as_str()),
        ("agent_name", name.as_str()),
        ("user_name", m.contact.as_str()),
        ("sender_name", m.contact.as_str()),
        ("message", m.text.as_str()),
        ("conversation_url", url.as_str()),
        ("conversation_id", id.as_str()),
    ];
    match c.kind.as_str() {
        "email" => {
            let Some(address) = agent.email.clone().filter(|e| !e.is_empty()) else {
                return Ok(());
            };
            let saved =
                settings::get(tx.conn, crate::desk::email::TEMPLATES_KEY)?.unwrap_or(Value::Null);
            let (subject, text) = crate::desk::email::render_with(
                &saved,
                agent.language.as_deref(),
                "agent",
                &values,
            );
            crate::desk::email::queue(
                tx,
                json!({
                    "kind": "notification", "to": address, "subject": subject, "text": text,
                    "conversation_id": m.conversation_id, "recipient_id": agent.id,
                    "channel_id": c.id,
                }),
            )?;
        }
        "sms" => {
            crate::desk::sms::to_agent(tx, &agent, m.conversation_id, &values)?;
        }
        "push" if crate::desk::push::enabled(tx.conn)? => {
            let n = json!({
                "title": "A conversation is waiting", "body": short(&format!("{}: {}", m.contact, m.text)),
                "conversation_id": m.conversation_id, "url": url,
                "tag": format!("conversation-{}", m.conversation_id),
            });
            crate::desk::push::queue_for(
                tx,
                agent.id,
                "queued",
                Some(m.conversation_id),
                "high",
                &n,
            )?;
        }
        _ => {}
    }
    Ok(())
}

fn short(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= 240 {
        return flat;
    }
    flat.chars().take(239).chain(['…']).collect()
}

/// A webhook channel: one outbox row for its endpoint only, whatever the
/// endpoint subscribes to. Its body is fixed now, in the Standard
/// Webhooks shape (`{type: "channel.notify", timestamp, data}`), so every
/// retry sends the same bytes; an event would fan out to every endpoint
/// subscribed to its kind, and a channel names one endpoint.
fn webhook(tx: &mut Tx, c: &Channel, m: &Message) -> Result<()> {
    let Some(endpoint) = c.endpoint_id else {
        return Ok(());
    };
    let body = json!({
        "type": "channel.notify",
        "timestamp": crate::util::rfc3339(tx.now),
        "data": {
            "channel_id": c.id, "conversation_id": m.conversation_id,
            "conversation": { "id": m.conversation_id, "title": m.title, "status": m.status },
            "contact": m.contact, "message": m.text,
        },
    });
    outbox::insert(tx, "webhook", Some(endpoint), None, &body.to_string())?;
    Ok(())
}

/// A channel as an admin creates it.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelInput {
    #[serde(default)]
    pub name: String,
    pub kind: String,
    pub user_id: Option<i64>,
    pub endpoint_id: Option<i64>,
    pub department_id: Option<i64>,
}

impl Desk {
    /// Every notification channel (admins).
    pub fn notify_channels(&self, actor: &Actor) -> Result<Vec<Value>> {
        actor.require_admin()?;
        let list = self
            .store
            .read(|c| routing::channels(c, MAX_INSTALL_CHANNELS))?;
        Ok(list.iter().map(Channel::to_json).collect())
    }

    pub fn create_notify_channel(&self, actor: &Actor, input: ChannelInput) -> Result<Value> {
        actor.require_admin()?;
        let name = crate::desk::text::clean_name(&input.name);
        crate::desk::check_len("name", &name, 100)?;
        let kind = input.kind.clone();
        let (user, endpoint) = match kind.as_str() {
            "email" | "sms" | "push" if input.endpoint_id.is_none() => (input.user_id, None),
            "webhook" if input.user_id.is_none() => (None, input.endpoint_id),
            _ => return Err(error::INVALID_CHANNEL.err()),
        };
        let uid = actor.user_id;
        let department = input.department_id;
        self.store.write(move |tx| {
            if routing::channels(tx.conn, MAX_INSTALL_CHANNELS)?.len() as i64
                >= MAX_INSTALL_CHANNELS
            {
                return Err(error::INVALID_CHANNEL.with(format!(
                    "an install has at most {MAX_INSTALL_CHANNELS} channels"
                )));
            }
            match (user, endpoint) {
                (Some(u), None) => match users::find(tx.conn, u)? {
                    Some(u) if u.is_staff() && !u.disabled => {}
                    _ => {
                        return Err(error::INVALID_CHANNEL
                            .with("user_id must be an enabled agent or admin"))
                    }
                },
                (None, Some(e)) if routing::endpoint_exists(tx.conn, e)? => {}
                _ => return Err(error::INVALID_CHANNEL.err()),
            }
            if let Some(d) = department {
                departments::get(tx.conn, d).map_err(|_| error::INVALID_DEPARTMENT.err())?;
            }
            let c = routing::insert_channel(tx, &name, &kind, user, endpoint, department)?;
            tx.emit(
                "notify_channel.created",
                None,
                Some(uid),
                Audience::Admins,
                json!({ "channel": c.to_json() }),
            )?;
            Ok(c.to_json())
        })
    }

    pub fn delete_notify_channel(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.require_admin()?;
        let uid = actor.user_id;
        self.store.write(move |tx| {
            if !routing::delete_channel(tx, id)? {
                return Err(error::Error::not_found("channel"));
            }
            tx.emit(
                "notify_channel.deleted",
                None,
                Some(uid),
                Audience::Admins,
                json!({ "channel_id": id }),
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn targets() {
        assert_eq!(target(&Map::new()).unwrap(), Target::Rules);
        assert_eq!(
            target(&meta(json!({"organizations": ["3", 4, "3"]}))).unwrap(),
            Target::Organizations(vec![3, 4])
        );
        assert_eq!(
            target(&meta(json!({"channels": ["7"], "organizations": ["3"]}))).unwrap(),
            Target::Channels(vec![7])
        );
        for bad in [
            json!({"channels": "7"}),
            json!({"channels": ["x"]}),
            json!({"organizations": [true]}),
            json!({"organizations": ["-1"]}),
        ] {
            assert!(target(&meta(bad)).is_err());
        }
    }
}
