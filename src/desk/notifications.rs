//! Email notifications (Support Board's Settings → Notifications), queued
//! inside the write job of the change that causes them:
//! - a contact with an email who is no longer on the site (no poll in the
//!   last minute) gets an agent's reply;
//! - agents who are not online get a new conversation (a contact opened
//!   it, in the widget or by a new email thread) or one assigned to them,
//!   with a link to it in the inbox.
//!
//! Each uses the admin's template (`email.templates`, per language, else
//! the default) and is bounded: one per conversation and recipient every
//! `every_minutes` (setting `email.notifications`), at most `MAX_AGENTS`
//! agents per new conversation. Nothing is queued while no SMTP server is
//! configured (the notification would be stale by then).

use super::email::{queue, render_with};
use crate::delivery::email::Smtp;
use crate::error::Result;
use crate::store::conversations::Conversation;
use crate::store::messages::Message;
use crate::store::users::User;
use crate::store::{outbox, settings, users, Tx};
use serde_json::{json, Value};

impl super::Desk {
    /// Whether a conversation's contact has left the site (no poll or
    /// stream within the hub's online window).
    pub(super) fn contact_away(&self, conversation_id: i64) -> bool {
        match self
            .store
            .read(|c| crate::store::conversations::head(c, conversation_id))
        {
            Ok(h) => !self.hub.online_users().contains(&h.user_id),
            Err(_) => false,
        }
    }
}

/// `{"contacts": true, "agents": true, "agents_off": [agent ids],
/// "every_minutes": 10}`: who gets notified, how often at most.
pub const KEY: &str = "email.notifications";
const MAX_AGENTS: usize = 20;

struct Options {
    contacts: bool,
    agents: bool,
    agents_off: Vec<i64>,
    every_ms: i64,
}

fn options(tx: &Tx) -> Result<Option<Options>> {
    if Smtp::load(tx.conn)?.is_none() {
        return Ok(None);
    }
    let v = settings::get(tx.conn, KEY)?.unwrap_or(Value::Null);
    Ok(Some(Options {
        contacts: v["contacts"].as_bool().unwrap_or(true),
        agents: v["agents"].as_bool().unwrap_or(true),
        agents_off: v["agents_off"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_i64)
            .collect(),
        every_ms: v["every_minutes"].as_i64().unwrap_or(10).clamp(0, 10_080) * 60_000,
    }))
}

/// Checks `email.notifications` as an admin saves it.
pub fn check(v: &Value) -> Result<()> {
    let bad = || {
        crate::error::INVALID_EMAIL_SETTINGS.with(format!("{KEY}: contacts and agents are true or false, agents_off a list of user ids, every_minutes 0 to 10080"))
    };
    let o = v.as_object().ok_or_else(bad)?;
    for (k, x) in o {
        let ok = match k.as_str() {
            "contacts" | "agents" => x.is_boolean(),
            "agents_off" => x
                .as_array()
                .is_some_and(|a| a.len() <= 1000 && a.iter().all(Value::is_i64)),
            "every_minutes" => x.as_i64().is_some_and(|m| (0..=10_080).contains(&m)),
            _ => false,
        };
        if !ok {
            return Err(bad());
        }
    }
    Ok(())
}

/// The inbox link to a conversation.
fn conversation_url(public_url: &str, id: i64) -> String {
    format!("{public_url}/admin/chat?dialogID={id}")
}

/// Queues one notification unless this recipient had one for this
/// conversation within the window.
fn send(
    tx: &mut Tx,
    o: &Options,
    to: &User,
    who: &str,
    conversation_id: i64,
    values: &[(&str, &str)],
) -> Result<()> {
    let Some(address) = to.email.clone().filter(|e| !e.is_empty()) else {
        return Ok(());
    };
    if outbox::notified_since(tx.conn, conversation_id, &address, tx.now - o.every_ms)? {
        return Ok(());
    }
    let saved = settings::get(tx.conn, super::email::TEMPLATES_KEY)?.unwrap_or(Value::Null);
    let (subject, text) = render_with(&saved, to.language.as_deref(), who, values);
    queue(
        tx,
        json!({
            "kind": "notification", "to": address, "subject": subject, "text": text,
            "conversation_id": conversation_id, "recipient_id": to.id,
        }),
    )?;
    Ok(())
}

/// An agent replied: the contact gets it by email when they have left.
pub(super) fn contact_reply(
    tx: &mut Tx,
    contact_away: bool,
    contact_id: i64,
    m: &Message,
) -> Result<()> {
    if !contact_away || m.private {
        return Ok(());
    }
    // A touchpoint that sent the reply itself (email, SMS...): no notice beside it.
    let head = crate::store::conversations::head(tx.conn, m.conversation_id)?;
    if super::touchpoint::routed_away(tx, &head)? {
        return Ok(());
    }
    super::sms::contact_reply(tx, contact_id, m)?;
    let Some(o) = options(tx)?.filter(|o| o.contacts) else {
        return Ok(());
    };
    let Some(contact) = users::find(tx.conn, contact_id)? else {
        return Ok(());
    };
    // Email conversations are answered by email already (mail_in).
    let source = crate::store::conversations::get(tx.conn, m.conversation_id)?.source;
    if contact.is_staff() || source == "em" {
        return Ok(());
    }
    let agent = m
        .user_id
        .map(|id| users::find(tx.conn, id))
        .transpose()?
        .flatten()
        .map(|u| u.name())
        .unwrap_or_default();
    let id = m.conversation_id.to_string();
    let name = contact.name();
    send(
        tx,
        &o,
        &contact,
        "user",
        m.conversation_id,
        &[
            ("recipient_name", &name),
            ("user_name", &name),
            ("sender_name", &agent),
            ("agent_name", &agent),
            ("message", &m.body),
            ("conversation_url", ""),
            ("conversation_id", &id),
        ],
    )?;
    Ok(())
}

/// Tells `staff` (offline agents) about a conversation, unless they
/// turned it off.
fn agents(
    tx: &mut Tx,
    public_url: &str,
    conv: &Conversation,
    staff: Vec<User>,
    message: &str,
) -> Result<()> {
    let Some(o) = options(tx)?.filter(|o| o.agents) else {
        return Ok(());
    };
    let contact = users::find(tx.conn, conv.user_id)?
        .map(|u| u.name())
        .unwrap_or_default();
    let url = conversation_url(public_url, conv.id);
    let id = conv.id.to_string();
    let chosen = staff
        .into_iter()
        .filter(|a| !o.agents_off.contains(&a.id))
        .take(MAX_AGENTS)
        .collect::<Vec<_>>();
    for a in chosen {
        let name = a.name();
        send(
            tx,
            &o,
            &a,
            "agent",
            conv.id,
            &[
                ("recipient_name", &name),
                ("agent_name", &name),
                ("user_name", &contact),
                ("sender_name", &contact),
                ("message", message),
                ("conversation_url", &url),
                ("conversation_id", &id),
            ],
        )?;
    }
    Ok(())
}

/// A contact opened a conversation: offline agents (of its department,
/// when it has one) are told. `connected`: the staff whose inbox listens
/// now (the hub's), so an agent who left while marked online is offline
/// too; `None` where it cannot be known (`mail-in`, another process).
pub(super) fn new_conversation(
    tx: &mut Tx,
    public_url: &str,
    conv: &Conversation,
    message: &str,
    connected: Option<&[i64]>,
) -> Result<()> {
    let staff = users::offline_staff(
        tx.conn,
        conv.department_id,
        MAX_AGENTS as i64 * 4,
        connected,
    )?;
    super::sms::new_conversation(tx, public_url, conv, message, &staff)?;
    agents(tx, public_url, conv, staff, message)
}

/// A conversation was assigned to `agent_id`: told if offline (as
/// `new_conversation` says).
pub(super) fn assigned(
    tx: &mut Tx,
    public_url: &str,
    conversation_id: i64,
    agent_id: i64,
    connected: Option<&[i64]>,
) -> Result<()> {
    let away = |a: &User| !a.online || connected.is_some_and(|c| !c.contains(&a.id));
    let offline =
        users::find(tx.conn, agent_id)?.filter(|a| a.is_staff() && away(a) && !a.disabled);
    let conv = crate::store::conversations::get(tx.conn, conversation_id)?;
    let title = conv.title.clone();
    agents(tx, public_url, &conv, offline.into_iter().collect(), &title)
}
