//! Webhook endpoints, and writing the outbox rows events make for them.

use super::tx::Tx;
use super::{found, json_col};
use crate::error::Result;
use rusqlite::{params, Connection, Row};
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct Endpoint {
    pub id: i64,
    pub url: String,
    pub kinds: Vec<String>,
    pub format: String,
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<i64>,
    pub created_at: i64,
}

impl Endpoint {
    /// The public view: never the secret.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "url": self.url, "events": self.kinds, "format": self.format,
            "active": self.active, "disabled_reason": self.disabled_reason,
            "disabled_at": self.disabled_at.map(crate::util::rfc3339),
            "created_at": crate::util::rfc3339(self.created_at),
        })
    }
}

const COLS: &str = "id, url, kinds, format, active, disabled_reason, created_at, disabled_at";

fn from_row(r: &Row) -> rusqlite::Result<Endpoint> {
    let kinds = json_col(r.get(2)?);
    Ok(Endpoint {
        id: r.get(0)?,
        url: r.get(1)?,
        kinds: kinds
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default(),
        format: r.get(3)?,
        active: r.get(4)?,
        disabled_reason: r.get(5)?,
        created_at: r.get(6)?,
        disabled_at: r.get(7)?,
    })
}

pub fn insert(
    tx: &Tx,
    url: &str,
    secret: &str,
    kinds: &[String],
    format: &str,
) -> Result<Endpoint> {
    tx.conn.execute(
        "INSERT INTO webhook_endpoints (url, secret, kinds, format, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![url, secret, serde_json::to_string(kinds)?, format, tx.now],
    )?;
    get(tx.conn, tx.conn.last_insert_rowid())
}

pub fn get(conn: &Connection, id: i64) -> Result<Endpoint> {
    found(
        conn.query_row(
            &format!("SELECT {COLS} FROM webhook_endpoints WHERE id = ?1"),
            [id],
            from_row,
        ),
        "webhook",
    )
}

pub fn list(conn: &Connection) -> Result<Vec<Endpoint>> {
    let mut st = conn.prepare(&format!("SELECT {COLS} FROM webhook_endpoints ORDER BY id"))?;
    let rows = st.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn update(
    tx: &Tx,
    id: i64,
    url: Option<&str>,
    kinds: Option<&[String]>,
    active: Option<bool>,
) -> Result<Endpoint> {
    get(tx.conn, id)?;
    if let Some(u) = url {
        tx.conn.execute(
            "UPDATE webhook_endpoints SET url = ?2 WHERE id = ?1",
            params![id, u],
        )?;
    }
    if let Some(k) = kinds {
        tx.conn.execute(
            "UPDATE webhook_endpoints SET kinds = ?2 WHERE id = ?1",
            params![id, serde_json::to_string(k)?],
        )?;
    }
    if let Some(a) = active {
        tx.conn.execute(
            "UPDATE webhook_endpoints SET active = ?2, disabled_reason = NULL,
                 disabled_at = CASE WHEN ?2 THEN NULL ELSE ?3 END WHERE id = ?1",
            params![id, a, tx.now],
        )?;
    }
    get(tx.conn, id)
}

pub fn delete(tx: &Tx, id: i64) -> Result<()> {
    get(tx.conn, id)?;
    tx.conn
        .execute("DELETE FROM webhook_endpoints WHERE id = ?1", [id])?;
    Ok(())
}

/// Turns an active endpoint off (the receiver answered 410 Gone, or is dead)
/// and gives up its pending deliveries (an admin can replay them). Returns
/// the endpoint when this call disabled it, None when it was off already.
pub fn disable(tx: &Tx, id: i64, reason: &str) -> Result<Option<Endpoint>> {
    let n = tx.conn.execute(
        "UPDATE webhook_endpoints SET active = 0, disabled_reason = ?2, disabled_at = ?3
         WHERE id = ?1 AND active = 1",
        params![id, reason, tx.now],
    )?;
    if n == 0 {
        return Ok(None);
    }
    tx.conn.execute(
        "UPDATE outbox SET state = 'dead', last_error = ?2 WHERE endpoint_id = ?1 AND state = 'pending'",
        params![id, reason],
    )?;
    get(tx.conn, id).map(Some)
}

/// Whether no delivery to the endpoint succeeded after delivery `dead_id`
/// was queued: that one failed for the whole retry window, so the endpoint
/// has been failing continuously for at least that long. Rows queued later
/// are the ones that can prove it alive (index `outbox_endpoint`).
pub fn failing_since(conn: &Connection, endpoint_id: i64, dead_id: i64) -> Result<bool> {
    let alive: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM outbox
             WHERE endpoint_id = ?1 AND id > ?2 AND state = 'delivered')",
        )?
        .query_row(params![endpoint_id, dead_id], |r| r.get(0))?;
    Ok(!alive)
}

/// Writes the outbox rows of event `event_id` for every active endpoint,
/// as the store's fan-out decides them (`Tx::fan_out`), in the transaction
/// of the event itself (the transactional outbox). The body is rendered
/// from the event when it is sent (`outbox::BODY`), so the hot path writes
/// no second copy of the payload.
pub fn queue(tx: &Tx, event_id: i64, kind: &str, data: &Value) -> Result<()> {
    let endpoints: Vec<(i64, String, String)> = {
        let mut st = tx
            .conn
            .prepare_cached("SELECT id, kinds, format FROM webhook_endpoints WHERE active = 1")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for (endpoint, kinds, format) in endpoints {
        let kinds: Vec<String> = serde_json::from_str(&kinds).unwrap_or_default();
        for payload in (tx.fan_out)(kind, data, &format, &kinds) {
            super::outbox::insert(tx, "webhook", Some(endpoint), Some(event_id), &payload)?;
        }
    }
    Ok(())
}
