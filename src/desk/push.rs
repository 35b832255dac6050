//! Web Push to agents: the install's VAPID key (generated on first start,
//! the private half never leaves the database), each agent's devices, and
//! the notifications queued as `push` outbox rows in the write job of their
//! cause:
//! - a new message from a visitor or contact: its assigned agent, else
//!   the agents of its department (and of none);
//! - an assignment: the agent it names;
//!
//! each only to agents who are offline as `notifications` decides it for
//! email (not online, or no inbox listening: `connected`), at most one per
//! conversation, agent and kind every `EVERY_MS`, at most `MAX_AGENTS`
//! agents; and Support Board's `push-notification`, to whom it names.
//! Setting `push.enabled` (default true) turns all of it off.

use super::{Actor, Desk};
use crate::error::{self, Error, Result};
use crate::store::events::Audience;
use crate::store::messages::Message;
use crate::store::push as store_push;
pub use crate::store::push::{Interest, Subscription};
use crate::store::{settings, users, Tx};
use serde::Deserialize;
use serde_json::{json, Value};

/// `push.enabled`: false turns notifications and `push-notification` off.
pub const ENABLED_KEY: &str = "push.enabled";
/// Devices one agent may register.
pub const MAX_DEVICES: i64 = 10;
/// Agents told of one new message.
const MAX_AGENTS: i64 = 20;
/// Agents one `push-notification` reaches.
const MAX_INTEREST: i64 = 200;
/// One notification per conversation, agent and kind in this window.
const EVERY_MS: i64 = 5 * 60_000;
/// How long a push service may hold a notification (RFC 8030 §5.2).
const TTL_SECS: i64 = 12 * 3600;
const MAX_TITLE: usize = 100;
const MAX_BODY: usize = 240;

/// A browser's `PushSubscription.toJSON()`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionInput {
    pub endpoint: String,
    /// Accepted as browsers send it, not used: the push service says when
    /// a subscription ends (404/410 to a push).
    #[serde(default, rename = "expirationTime")]
    #[allow(dead_code)]
    pub expiration_time: Option<Value>,
    pub keys: Keys,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    pub p256dh: String,
    pub auth: String,
}

/// Support Board's `push-notification` arguments.
pub struct Notice {
    pub title: String,
    pub message: String,
    pub icon: Option<String>,
    pub interest: Interest,
    pub conversation_id: Option<i64>,
}

pub(crate) fn enabled(conn: &rusqlite::Connection) -> Result<bool> {
    Ok(match settings::get(conn, ENABLED_KEY)? {
        None => true,
        Some(Value::Bool(b)) => b,
        // As Support Board's settings may hold it.
        Some(Value::String(s)) => !matches!(s.as_str(), "false" | "0" | ""),
        Some(Value::Number(n)) => n.as_i64() != Some(0),
        Some(_) => true,
    })
}

/// `text` on one line of at most `max` characters.
fn short(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut s: String = flat.chars().take(max - 1).collect();
    s.push('…');
    s
}

/// Where a click takes the agent: the inbox's deep link (assets/admin/app.js).
fn url(conversation_id: Option<i64>) -> String {
    match conversation_id {
        Some(id) => format!("/admin#conversation={id}"),
        None => "/admin".into(),
    }
}

/// Queues one row per device of `user_id` (also a `/notify` push channel).
pub(crate) fn queue_for(
    tx: &Tx,
    user_id: i64,
    kind: &str,
    conversation_id: Option<i64>,
    urgency: &str,
    notification: &Value,
) -> Result<usize> {
    let devices = store_push::of_user(tx.conn, user_id)?;
    for d in devices.iter().take(MAX_DEVICES as usize) {
        store_push::queue(
            tx,
            &json!({
                "subscription_id": d.id, "user_id": user_id, "kind": kind,
                "conversation_id": conversation_id, "urgency": urgency, "ttl": TTL_SECS,
                "notification": notification,
            }),
        )?;
    }
    Ok(devices.len())
}

/// Tells each of `agents` once per window.
fn notify(
    tx: &Tx,
    agents: &[i64],
    kind: &str,
    conversation_id: i64,
    urgency: &str,
    notification: &Value,
) -> Result<()> {
    for &a in agents {
        if store_push::notified_since(tx.conn, conversation_id, a, kind, tx.now - EVERY_MS)? {
            continue;
        }
        queue_for(tx, a, kind, Some(conversation_id), urgency, notification)?;
    }
    Ok(())
}

/// A new message: offline agents with a device hear of it when a visitor
/// or contact wrote it (not a note, not staff). `connected`: the users
/// whose inbox listens now (`None`: not known, the `online` flag decides).
pub(super) fn message(tx: &Tx, m: &Message, connected: Option<&[i64]>) -> Result<()> {
    if m.private || !enabled(tx.conn)? {
        return Ok(());
    }
    let Some(sender) = m
        .user_id
        .map(|id| users::find(tx.conn, id))
        .transpose()?
        .flatten()
    else {
        return Ok(());
    };
    if sender.is_staff() || sender.user_type == crate::domain::UserType::Bot {
        return Ok(());
    }
    let conv = crate::store::conversations::get(tx.conn, m.conversation_id)?;
    let agents = store_push::offline_staff_with_devices(
        tx.conn,
        conv.department_id,
        conv.agent_id,
        MAX_AGENTS,
        connected,
    )?;
    let body = if m.body.trim().is_empty() {
        "Sent a file".to_string()
    } else {
        short(&m.body, MAX_BODY)
    };
    let n = json!({
        "title": Some(short(&sender.name(), MAX_TITLE)).filter(|t| !t.is_empty()).unwrap_or_else(|| "A visitor".into()),
        "body": body,
        "conversation_id": conv.id, "url": url(Some(conv.id)), "tag": format!("conversation-{}", conv.id),
    });
    notify(tx, &agents, "message", conv.id, "high", &n)
}

/// A conversation was assigned to `agent_id`: told if offline.
pub(super) fn assigned(
    tx: &Tx,
    conversation_id: i64,
    agent_id: i64,
    connected: Option<&[i64]>,
) -> Result<()> {
    if !enabled(tx.conn)? {
        return Ok(());
    }
    let agents =
        store_push::offline_staff_with_devices(tx.conn, None, Some(agent_id), 1, connected)?;
    let conv = crate::store::conversations::get(tx.conn, conversation_id)?;
    let contact = users::find(tx.conn, conv.user_id)?
        .map(|u| u.name())
        .unwrap_or_default();
    let body = if conv.title.trim().is_empty() {
        format!("{contact}'s conversation is yours now.")
    } else {
        short(&format!("{contact}: {}", conv.title), MAX_BODY)
    };
    let n = json!({
        "title": "Conversation assigned to you", "body": body,
        "conversation_id": conv.id, "url": url(Some(conv.id)), "tag": format!("conversation-{}", conv.id),
    });
    notify(tx, &agents, "assigned", conv.id, "normal", &n)
}

impl Desk {
    /// Generates the install's VAPID key pair unless it has one.
    pub(super) fn ensure_vapid_key(&self) -> Result<()> {
        if self.store.read(store_push::vapid)?.is_some() {
            return Ok(());
        }
        let (private, public) = crate::delivery::webpush::new_key_pair();
        self.store
            .write(move |tx| store_push::set_vapid_once(tx, &private, &public))
    }

    /// The public VAPID key, as `PushManager.subscribe` takes it.
    pub fn push_key(&self, actor: &Actor) -> Result<Value> {
        actor.require_staff()?;
        let (_, public) = self
            .store
            .read(store_push::vapid)?
            .ok_or_else(|| Error::internal("no VAPID key"))?;
        let on = self.store.read(enabled)?;
        Ok(json!({ "public_key": public, "enabled": on }))
    }

    /// Registers the caller's device (an agent's own session only: a
    /// device belongs to a person, not to an API token).
    pub fn push_subscribe(
        &self,
        actor: &Actor,
        input: SubscriptionInput,
        user_agent: &str,
        allow_private: bool,
    ) -> Result<Subscription> {
        actor.require_staff()?;
        if actor.token_id.is_some() {
            return Err(Error::forbidden(
                "push devices belong to a signed-in agent, not to an API token",
            ));
        }
        let endpoint = input.endpoint.trim().to_string();
        crate::delivery::check_url(&endpoint, allow_private)?;
        if !allow_private && !endpoint.starts_with("https://") {
            return Err(error::INVALID_URL.with("the push endpoint must be an https:// URL"));
        }
        crate::delivery::webpush::subscription_keys(&input.keys.p256dh, &input.keys.auth)
            .map_err(|m| error::INVALID_SUBSCRIPTION.with(m))?;
        let ua = short(&super::text::clean_name(user_agent), 200);
        let (uid, keys) = (actor.user_id, input.keys);
        self.store.write(move |tx| {
            let mine =
                store_push::by_endpoint(tx.conn, &endpoint)?.is_some_and(|s| s.user_id == uid);
            if !mine && store_push::count_of_user(tx.conn, uid)? >= MAX_DEVICES {
                return Err(error::TOO_MANY.with(format!(
                    "at most {MAX_DEVICES} devices per agent: turn one off first"
                )));
            }
            let s = store_push::upsert(tx, uid, &endpoint, &keys.p256dh, &keys.auth, &ua)?;
            tx.emit(
                "push.subscribed",
                None,
                Some(uid),
                Audience::Staff,
                json!({ "subscription_id": s.id, "user_id": uid }),
            )?;
            Ok(s)
        })
    }

    /// The caller's own devices.
    pub fn push_devices(&self, actor: &Actor) -> Result<Vec<Subscription>> {
        actor.require_staff()?;
        let uid = actor.user_id;
        self.store.read(|c| store_push::of_user(c, uid))
    }

    /// Removes one of the caller's devices (404 for anyone else's).
    pub fn push_unsubscribe(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.require_staff()?;
        let uid = actor.user_id;
        self.store.write(move |tx| {
            match store_push::get(tx.conn, id)? {
                Some(s) if s.user_id == uid => store_push::delete(tx, id)?,
                _ => return Err(Error::not_found("push device")),
            };
            tx.emit(
                "push.unsubscribed",
                None,
                Some(uid),
                Audience::Staff,
                json!({ "subscription_id": id, "user_id": uid, "reason": "removed" }),
            )?;
            Ok(())
        })
    }

    /// Support Board's `push-notification`: one row per device of each
    /// agent `interest` names; `None` when push is turned off, else the
    /// publish id, answered after the rows are committed.
    pub fn push_notice(&self, actor: &Actor, n: Notice) -> Result<Option<String>> {
        actor.require_staff()?;
        let title = short(&super::text::clean_name(&n.title), MAX_TITLE);
        let body = short(&super::text::clean_body(&n.message), MAX_BODY);
        if title.is_empty() && body.is_empty() {
            return Err(error::EMPTY_MESSAGE.with("a push notification needs a title or a message"));
        }
        let icon = n.icon.filter(|i| !i.is_empty());
        if let Some(i) = &icon {
            super::check_len("icon", i, 500)?;
            if !(i.starts_with("https://") || i.starts_with('/')) {
                return Err(error::INVALID_URL.with("icon must be an https:// URL or a path"));
            }
        }
        if let Some(c) = n.conversation_id {
            self.conversation(actor, c)?;
        }
        let publish_id = format!("pubid-{}", uuid_like());
        let id = publish_id.clone();
        let uid = actor.user_id;
        self.store.write(move |tx| {
            if !enabled(tx.conn)? {
                return Ok(None);
            }
            let agents = store_push::staff_by_interest(tx.conn, &n.interest, MAX_INTEREST)?;
            let mut notification = json!({
                "title": title, "body": body, "conversation_id": n.conversation_id,
                "url": url(n.conversation_id), "publish_id": id,
            });
            if let Some(i) = icon {
                notification["icon"] = json!(i);
            }
            let mut devices = 0;
            for a in &agents {
                devices += queue_for(tx, *a, "api", n.conversation_id, "normal", &notification)?;
            }
            tx.emit(
                "push.published",
                n.conversation_id,
                Some(uid),
                Audience::Staff,
                json!({ "publish_id": id, "agents": agents, "devices": devices }),
            )?;
            Ok(Some(id))
        })
    }
}

/// A random id in UUID's shape (8-4-4-4-12 hex), as Support Board's are.
fn uuid_like() -> String {
    let h: String = crate::util::random_bytes(16)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}
