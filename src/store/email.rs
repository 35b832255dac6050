//! Email threading and inbound mail (migration 007): Message-IDs and their
//! conversations, per-conversation thread data, IMAP state, the inbound log.

use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension};
use serde_json::Value;

/// The conversation a Message-ID (without angle brackets) belongs to.
pub fn conversation_of(conn: &Connection, message_id: &str) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT conversation_id FROM email_message_ids WHERE message_id = ?1")?
        .query_row([message_id], |r| r.get(0))
        .optional()?)
}

/// Records a Message-ID; a known one is left as it is (false).
pub fn record_id(
    tx: &Tx,
    message_id: &str,
    conversation_id: i64,
    message: Option<i64>,
    direction: &str,
) -> Result<bool> {
    let n = tx
        .conn
        .prepare_cached(
            "INSERT OR IGNORE INTO email_message_ids (message_id, conversation_id, message, direction, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![message_id, conversation_id, message, direction, tx.now])?;
    Ok(n == 1)
}

/// The conversation's Message-IDs, oldest first: the first and the newest
/// `max - 1` (a References chain stays bounded, keeping its root).
pub fn thread_ids(conn: &Connection, conversation_id: i64, max: usize) -> Result<Vec<String>> {
    let mut st = conn.prepare_cached(
        "SELECT message_id FROM email_message_ids WHERE conversation_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let mut newest: Vec<String> = st
        .query_map(
            params![conversation_id, max.saturating_sub(1) as i64],
            |r| r.get(0),
        )?
        .collect::<rusqlite::Result<_>>()?;
    newest.reverse();
    let first: Option<String> = conn
        .prepare_cached(
            "SELECT message_id FROM email_message_ids WHERE conversation_id = ?1 ORDER BY id LIMIT 1",
        )?
        .query_row([conversation_id], |r| r.get(0))
        .optional()?;
    if let Some(f) = first {
        if !newest.contains(&f) {
            newest.insert(0, f);
        }
    }
    Ok(newest)
}

#[derive(Debug, Clone)]
pub struct Thread {
    pub conversation_id: i64,
    pub token: String,
    pub subject: String,
    pub contact_address: String,
    pub cc: Vec<String>,
}

fn thread_row(r: &rusqlite::Row) -> rusqlite::Result<Thread> {
    let cc: String = r.get(4)?;
    Ok(Thread {
        conversation_id: r.get(0)?,
        token: r.get(1)?,
        subject: r.get(2)?,
        contact_address: r.get(3)?,
        cc: serde_json::from_str(&cc).unwrap_or_default(),
    })
}

const THREAD: &str =
    "SELECT conversation_id, token, subject, contact_address, cc FROM email_threads";

pub fn thread(conn: &Connection, conversation_id: i64) -> Result<Option<Thread>> {
    Ok(conn
        .prepare_cached(&format!("{THREAD} WHERE conversation_id = ?1"))?
        .query_row([conversation_id], thread_row)
        .optional()?)
}

pub fn thread_by_token(conn: &Connection, token: &str) -> Result<Option<Thread>> {
    Ok(conn
        .prepare_cached(&format!("{THREAD} WHERE token = ?1"))?
        .query_row([token], thread_row)
        .optional()?)
}

pub fn insert_thread(tx: &Tx, t: &Thread) -> Result<()> {
    tx.conn
        .prepare_cached(
            "INSERT INTO email_threads (conversation_id, token, subject, contact_address, cc)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![
            t.conversation_id,
            t.token,
            t.subject,
            t.contact_address,
            serde_json::to_string(&t.cc)?
        ])?;
    Ok(())
}

/// Points a thread at another contact address (a touchpoint's thread
/// whose contact's address was corrected since).
pub fn set_contact_address(tx: &Tx, conversation_id: i64, address: &str) -> Result<()> {
    tx.conn
        .prepare_cached("UPDATE email_threads SET contact_address = ?2 WHERE conversation_id = ?1")?
        .execute(params![conversation_id, address])?;
    Ok(())
}

pub fn set_cc(tx: &Tx, conversation_id: i64, cc: &[String]) -> Result<()> {
    tx.conn
        .prepare_cached("UPDATE email_threads SET cc = ?2 WHERE conversation_id = ?1")?
        .execute(params![conversation_id, serde_json::to_string(cc)?])?;
    Ok(())
}

/// (UIDVALIDITY, last UID) of a mailbox, if polled before.
pub fn imap_state(conn: &Connection, mailbox: &str) -> Result<Option<(u32, u32)>> {
    Ok(conn
        .prepare_cached("SELECT uidvalidity, last_uid FROM imap_state WHERE mailbox = ?1")?
        .query_row([mailbox], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

pub fn set_imap_state(tx: &Tx, mailbox: &str, uidvalidity: u32, last_uid: u32) -> Result<()> {
    tx.conn
        .prepare_cached(
            "INSERT INTO imap_state (mailbox, uidvalidity, last_uid, updated_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity,
                last_uid = excluded.last_uid, updated_at = excluded.updated_at",
        )?
        .execute(params![mailbox, uidvalidity, last_uid, tx.now])?;
    Ok(())
}

/// One row of the inbound log.
#[derive(Debug, Clone, Default)]
pub struct Inbound {
    pub via: String,
    pub outcome: &'static str,
    pub reason: String,
    pub message_id: Option<String>,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub conversation_id: Option<i64>,
    pub message: Option<i64>,
    pub raw_path: Option<String>,
}

pub fn log_inbound(tx: &Tx, i: &Inbound) -> Result<i64> {
    tx.conn
        .prepare_cached(
            "INSERT INTO email_inbound (via, outcome, reason, message_id, sender, subject,
                conversation_id, message, raw_path, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?
        .execute(params![
            i.via,
            i.outcome,
            i.reason,
            i.message_id,
            i.sender,
            i.subject,
            i.conversation_id,
            i.message,
            i.raw_path,
            tx.now
        ])?;
    Ok(tx.conn.last_insert_rowid())
}

/// Where the raw message of an inbound log row is kept, if it was.
pub fn inbound_raw_path(conn: &Connection, id: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT raw_path FROM email_inbound WHERE id = ?1")?
        .query_row([id], |r| r.get::<_, Option<String>>(0))
        .optional()?
        .flatten())
}

/// The newest rows of the inbound log, newest first.
pub fn inbound_log(conn: &Connection, limit: i64) -> Result<Vec<Value>> {
    let mut st = conn.prepare_cached(
        "SELECT id, via, outcome, reason, message_id, sender, subject, conversation_id, message,
            raw_path, created_at FROM email_inbound ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = st.query_map([limit], |r| {
        Ok(serde_json::json!({
            "id": r.get::<_, i64>(0)?, "via": r.get::<_, String>(1)?,
            "outcome": r.get::<_, String>(2)?, "reason": r.get::<_, String>(3)?,
            "message_id": r.get::<_, Option<String>>(4)?, "sender": r.get::<_, Option<String>>(5)?,
            "subject": r.get::<_, Option<String>>(6)?,
            "conversation_id": r.get::<_, Option<i64>>(7)?, "message": r.get::<_, Option<i64>>(8)?,
            "raw_path": r.get::<_, Option<String>>(9)?,
            "created_at": crate::util::rfc3339(r.get(10)?),
        }))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
