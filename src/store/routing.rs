//! Routing (migration 014): notification channels (ChatShipper's channels:
//! an agent's email, SMS number or push devices, or a webhook endpoint),
//! what a queued conversation notified (`conversation_channels`), the
//! round robin's memory (`routing_state`), and the few reads a department's
//! rule needs (its agents, how many open conversations each has).

use super::found;
use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{json, Value};

/// One notification channel.
#[derive(Debug, Clone)]
pub struct Channel {
    pub id: i64,
    pub name: String,
    /// `email`, `sms`, `push` (an agent's) or `webhook` (an endpoint).
    pub kind: String,
    pub user_id: Option<i64>,
    pub endpoint_id: Option<i64>,
    /// The department whose routing notifies it; `None`: only by id.
    pub department_id: Option<i64>,
    pub created_at: i64,
}

impl Channel {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "kind": self.kind, "user_id": self.user_id,
            "endpoint_id": self.endpoint_id, "department_id": self.department_id,
            "created_at": crate::util::rfc3339(self.created_at),
        })
    }
}

const COLS: &str = "id, name, kind, user_id, endpoint_id, department_id, created_at";

fn channel(r: &Row) -> rusqlite::Result<Channel> {
    Ok(Channel {
        id: r.get(0)?,
        name: r.get(1)?,
        kind: r.get(2)?,
        user_id: r.get(3)?,
        endpoint_id: r.get(4)?,
        department_id: r.get(5)?,
        created_at: r.get(6)?,
    })
}

/// Every channel, oldest first, at most `limit`.
pub fn channels(conn: &Connection, limit: i64) -> Result<Vec<Channel>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM notify_channels ORDER BY id LIMIT ?1"
    ))?;
    let rows = st.query_map([limit], channel)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn channel_by_id(conn: &Connection, id: i64) -> Result<Option<Channel>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLS} FROM notify_channels WHERE id = ?1"))?
        .query_row([id], channel)
        .optional()?)
}

/// The channels of departments `ids`, in id order, at most `limit`.
pub fn channels_of(conn: &Connection, ids: &[i64], limit: usize) -> Result<Vec<Channel>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM notify_channels WHERE department_id = ?1 ORDER BY id LIMIT ?2"
    ))?;
    let mut out: Vec<Channel> = Vec::new();
    for d in ids {
        for c in st.query_map(params![d, limit as i64], channel)? {
            let c = c?;
            if out.len() < limit && !out.iter().any(|o| o.id == c.id) {
                out.push(c);
            }
        }
    }
    Ok(out)
}

pub fn insert_channel(
    tx: &Tx,
    name: &str,
    kind: &str,
    user_id: Option<i64>,
    endpoint_id: Option<i64>,
    department_id: Option<i64>,
) -> Result<Channel> {
    tx.conn.execute(
        "INSERT INTO notify_channels (name, kind, user_id, endpoint_id, department_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![name, kind, user_id, endpoint_id, department_id, tx.now],
    )?;
    found(
        tx.conn.query_row(
            &format!("SELECT {COLS} FROM notify_channels WHERE id = ?1"),
            [tx.conn.last_insert_rowid()],
            channel,
        ),
        "channel",
    )
}

/// Deletes a channel; false when there was none.
pub fn delete_channel(tx: &Tx, id: i64) -> Result<bool> {
    Ok(tx
        .conn
        .execute("DELETE FROM notify_channels WHERE id = ?1", [id])?
        > 0)
}

pub fn endpoint_exists(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM webhook_endpoints WHERE id = ?1",
            [id],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// Whether webhook endpoint `id` exists and is on.
pub fn endpoint_active(conn: &Connection, id: Option<i64>) -> Result<bool> {
    let Some(id) = id else {
        return Ok(false);
    };
    Ok(conn
        .prepare_cached("SELECT active FROM webhook_endpoints WHERE id = ?1")?
        .query_row([id], |r| r.get::<_, bool>(0))
        .optional()?
        .unwrap_or(false))
}

/// Enabled agents and admins of department `id`, in id order, at most `limit`.
pub fn staff_of(conn: &Connection, id: i64, limit: i64) -> Result<Vec<i64>> {
    let mut st = conn.prepare_cached(
        "SELECT id FROM users WHERE user_type IN ('agent', 'admin') AND department_id = ?1
           AND disabled = 0 ORDER BY id LIMIT ?2",
    )?;
    let rows = st.query_map(params![id, limit], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many open conversations (live or waiting) agent `id` holds,
/// counted up to `cap`: assigned to them, or in their inbox or accepted by
/// them as a participant (a round robin's pick counts from the moment it
/// is made, not once accepted, or a burst of notifies lands on one agent).
/// Through the agent's participant rows (`participants_user` indexes them).
pub fn open_assigned(conn: &Connection, id: i64, cap: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM (SELECT 1 FROM participants p JOIN conversations c ON c.id = p.conversation_id
               WHERE p.user_id = ?1 AND c.status BETWEEN 0 AND 2
                 AND (c.agent_id = ?1 OR instr(',' || p.flags || ',', ',inbox,') > 0
                      OR instr(',' || p.flags || ',', ',accepted,') > 0)
               LIMIT ?2)",
        )?
        .query_row(params![id, cap], |r| r.get(0))?)
}

/// The agent department `id`'s round robin picked last.
pub fn last_agent(conn: &Connection, id: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT last_agent_id FROM routing_state WHERE department_id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .flatten())
}

pub fn set_last_agent(tx: &Tx, id: i64, agent_id: i64) -> Result<()> {
    tx.conn
        .prepare_cached(
            "INSERT INTO routing_state (department_id, last_agent_id) VALUES (?1, ?2)
             ON CONFLICT (department_id) DO UPDATE SET last_agent_id = excluded.last_agent_id",
        )?
        .execute(params![id, agent_id])?;
    Ok(())
}

/// Records that conversation `id` notified `channel_id`.
pub fn record_notified(tx: &Tx, id: i64, channel_id: i64, offline: bool) -> Result<()> {
    tx.conn
        .prepare_cached(
            "INSERT INTO conversation_channels (conversation_id, channel_id, offline, notified_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (conversation_id, channel_id) DO UPDATE SET offline = excluded.offline,
               notified_at = excluded.notified_at",
        )?
        .execute(params![id, channel_id, offline, tx.now])?;
    Ok(())
}

/// The contact's last words in conversation `id` (public, not deleted).
pub fn last_contact_text(conn: &Connection, id: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT body FROM messages WHERE conversation_id = ?1 AND by_owner = 1 AND private = 0
               AND deleted_at IS NULL AND body <> '' ORDER BY id DESC LIMIT 1",
        )?
        .query_row([id], |r| r.get(0))
        .optional()?)
}
