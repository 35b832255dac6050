//! Web Push (migration 013): agents' device subscriptions, the install's
//! VAPID key pair, and the `push` outbox rows (endpoint_id NULL).

use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{json, Value};

/// One device of one agent.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: i64,
    pub user_id: i64,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub user_agent: String,
    pub created_at: i64,
}

impl Subscription {
    /// What its owner sees: the push service's origin, never the whole
    /// endpoint (a capability URL) nor the keys.
    pub fn to_json(&self) -> Value {
        let origin = self
            .endpoint
            .splitn(4, '/')
            .take(3)
            .collect::<Vec<_>>()
            .join("/");
        json!({
            "id": self.id,
            "user_id": self.user_id,
            "push_service": origin,
            "user_agent": self.user_agent,
            "created_at": crate::util::rfc3339(self.created_at),
        })
    }
}

const COLS: &str = "id, user_id, endpoint, p256dh, auth, user_agent, created_at";

fn sub_row(r: &Row) -> rusqlite::Result<Subscription> {
    Ok(Subscription {
        id: r.get(0)?,
        user_id: r.get(1)?,
        endpoint: r.get(2)?,
        p256dh: r.get(3)?,
        auth: r.get(4)?,
        user_agent: r.get(5)?,
        created_at: r.get(6)?,
    })
}

/// Saves a device for `user_id`. The endpoint is the device: subscribing
/// it again (new keys, or another agent signed in on that browser) takes
/// the row over rather than adding one.
pub fn upsert(
    tx: &Tx,
    user_id: i64,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
    user_agent: &str,
) -> Result<Subscription> {
    tx.conn
        .prepare_cached(
            "INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, user_agent, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh,
                auth = excluded.auth, user_agent = excluded.user_agent, created_at = excluded.created_at",
        )?
        .execute(params![user_id, endpoint, p256dh, auth, user_agent, tx.now])?;
    let s = tx
        .conn
        .prepare_cached(&format!(
            "SELECT {COLS} FROM push_subscriptions WHERE endpoint = ?1"
        ))?
        .query_row([endpoint], sub_row)?;
    Ok(s)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Subscription>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLS} FROM push_subscriptions WHERE id = ?1"
        ))?
        .query_row([id], sub_row)
        .optional()?)
}

/// A user's devices, oldest first.
pub fn of_user(conn: &Connection, user_id: i64) -> Result<Vec<Subscription>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM push_subscriptions WHERE user_id = ?1 ORDER BY id LIMIT 100"
    ))?;
    let rows = st.query_map([user_id], sub_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn count_of_user(conn: &Connection, user_id: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached("SELECT count(*) FROM push_subscriptions WHERE user_id = ?1")?
        .query_row([user_id], |r| r.get(0))?)
}

/// The device's id when `endpoint` is known.
pub fn by_endpoint(conn: &Connection, endpoint: &str) -> Result<Option<Subscription>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLS} FROM push_subscriptions WHERE endpoint = ?1"
        ))?
        .query_row([endpoint], sub_row)
        .optional()?)
}

/// Removes a device; false when there was none.
pub fn delete(tx: &Tx, id: i64) -> Result<bool> {
    Ok(tx
        .conn
        .prepare_cached("DELETE FROM push_subscriptions WHERE id = ?1")?
        .execute([id])?
        == 1)
}

/// Staff (not disabled) with at least one device, chosen as
/// `users::offline_staff` chooses for email when `connected` is given:
/// not online, or online with no inbox listening. `only`: just this user;
/// `department`: its agents and those of no department.
pub fn offline_staff_with_devices(
    conn: &Connection,
    department: Option<i64>,
    only: Option<i64>,
    limit: i64,
    connected: Option<&[i64]>,
) -> Result<Vec<i64>> {
    let mut st = conn.prepare_cached(
        "SELECT id FROM users WHERE user_type IN ('agent','admin') AND disabled = 0
           AND (online = 0 OR (?3 IS NOT NULL AND id NOT IN (SELECT value FROM json_each(?3))))
           AND (?1 IS NULL OR department_id IS NULL OR department_id = ?1)
           AND (?4 IS NULL OR id = ?4)
           AND EXISTS (SELECT 1 FROM push_subscriptions p WHERE p.user_id = users.id)
         ORDER BY id LIMIT ?2",
    )?;
    let connected = connected.map(|c| serde_json::to_string(c).unwrap_or_default());
    let rows = st.query_map(params![department, limit, connected, only], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Who Support Board's `interest` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Interest {
    Users(Vec<i64>),
    /// `agents`: staff of no department.
    NoDepartment,
    /// `all-agents`.
    All,
    /// `department-ID`.
    Department(i64),
}

/// The staff an `interest` names who have a device (at most `limit`).
pub fn staff_by_interest(conn: &Connection, interest: &Interest, limit: i64) -> Result<Vec<i64>> {
    let (users, no_department, department) = match interest {
        Interest::Users(ids) => (Some(json!(ids).to_string()), false, None),
        Interest::NoDepartment => (None, true, None),
        Interest::All => (None, false, None),
        Interest::Department(d) => (None, false, Some(*d)),
    };
    let mut st = conn.prepare_cached(
        "SELECT id FROM users WHERE user_type IN ('agent','admin') AND disabled = 0
           AND (?1 IS NULL OR id IN (SELECT value FROM json_each(?1)))
           AND (?2 = 0 OR department_id IS NULL)
           AND (?3 IS NULL OR department_id = ?3)
           AND EXISTS (SELECT 1 FROM push_subscriptions p WHERE p.user_id = users.id)
         ORDER BY id LIMIT ?4",
    )?;
    let rows = st.query_map(params![users, no_department, department, limit], |r| {
        r.get(0)
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The install's VAPID key pair: (private scalar, public key base64url).
pub fn vapid(conn: &Connection) -> Result<Option<(Vec<u8>, String)>> {
    Ok(conn
        .prepare_cached("SELECT private_key, public_key FROM push_vapid WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

/// Stores the key pair unless one exists (first start).
pub fn set_vapid_once(tx: &Tx, private_key: &[u8], public_key: &str) -> Result<()> {
    tx.conn
        .prepare_cached(
            "INSERT OR IGNORE INTO push_vapid (id, private_key, public_key, created_at) VALUES (1, ?1, ?2, ?3)",
        )?
        .execute(params![private_key, public_key, tx.now])?;
    Ok(())
}

/// Queues one push message for a device: `payload` names the subscription
/// and carries the notification (encrypted only when sent).
pub fn queue(tx: &Tx, payload: &Value) -> Result<i64> {
    super::outbox::insert(tx, "push", None, None, &payload.to_string())
}

/// Whether `user_id` was sent a push of `kind` about this conversation
/// since `since` (queued, whatever became of it).
pub fn notified_since(
    conn: &Connection,
    conversation_id: i64,
    user_id: i64,
    kind: &str,
    since: i64,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS(SELECT 1 FROM outbox WHERE channel = 'push' AND created_at >= ?4
                AND json_extract(payload, '$.conversation_id') = ?1
                AND json_extract(payload, '$.user_id') = ?2 AND json_extract(payload, '$.kind') = ?3)",
        )?
        .query_row(params![conversation_id, user_id, kind, since], |r| {
            r.get(0)
        })?)
}

/// A push row ready to send.
#[derive(Debug, Clone)]
pub struct DuePush {
    pub id: i64,
    pub payload: String,
    pub attempts: i64,
    pub created_at: i64,
}

/// Up to `limit` pending push rows due by `now`, oldest first.
pub fn due_push(conn: &Connection, now: i64, limit: usize) -> Result<Vec<DuePush>> {
    let mut st = conn.prepare_cached(
        "SELECT id, payload, attempts, created_at FROM outbox
         WHERE channel = 'push' AND state = 'pending' AND next_attempt_at <= ?1
         ORDER BY next_attempt_at, id LIMIT ?2",
    )?;
    let rows = st.query_map(params![now, limit as i64], |r| {
        Ok(DuePush {
            id: r.get(0)?,
            payload: r.get(1)?,
            attempts: r.get(2)?,
            created_at: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
