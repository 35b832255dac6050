//! The event log: every state change appends a row in its own transaction.

use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::Value;

/// Who may see an event, besides its conversation's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Staff, and the visitor owning the conversation.
    Everyone = 0,
    /// Agents and admins only (internal notes, contact edits).
    Staff = 1,
    /// Admins only (settings, tokens, webhooks).
    Admins = 2,
    /// Every listener, every visitor included, whatever their
    /// conversations: only what the widget shows anyone (staff presence).
    Public = 3,
}

/// A committed event, with the JSON clients receive already rendered.
#[derive(Debug)]
pub struct Event {
    pub id: i64,
    pub kind: String,
    pub visitor_id: Option<i64>,
    pub audience: i64,
    pub json: String,
}

const COLS: &str = "id, kind, conversation_id, visitor_id, actor_id, audience, payload, created_at";

fn from_row(r: &Row) -> rusqlite::Result<Event> {
    let id: i64 = r.get(0)?;
    let kind: String = r.get(1)?;
    let conversation_id: Option<i64> = r.get(2)?;
    let visitor_id: Option<i64> = r.get(3)?;
    let actor_id: Option<i64> = r.get(4)?;
    let payload: String = r.get(6)?;
    let created_at: i64 = r.get(7)?;
    // The payload column is JSON we wrote ourselves; splice it in as is.
    let json = format!(
        r#"{{"id":{id},"kind":{},"conversation_id":{},"actor_id":{},"created_at":"{}","data":{payload}}}"#,
        Value::from(kind.as_str()),
        conversation_id.map_or("null".into(), |v| v.to_string()),
        actor_id.map_or("null".into(), |v| v.to_string()),
        crate::util::rfc3339(created_at),
    );
    Ok(Event {
        id,
        kind,
        visitor_id,
        audience: r.get(5)?,
        json,
    })
}

pub fn max_id(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0))?)
}

/// Transcript requests since `since` (unix ms): for the conversations
/// of `contact`, and to the address `to` from anyone, each as (count,
/// oldest created_at). Both read the partial index of transcript events.
pub fn transcripts_since(
    conn: &Connection,
    contact: i64,
    to: &str,
    since: i64,
) -> Result<[(i64, Option<i64>); 2]> {
    const RECENT: &str = "SELECT count(*), min(created_at) FROM events
         WHERE kind = 'conversation.transcript_requested' AND created_at >= ?1";
    let pair = |r: &Row| Ok((r.get(0)?, r.get(1)?));
    let by_contact = conn
        .prepare_cached(&format!("{RECENT} AND visitor_id = ?2"))?
        .query_row(params![since, contact], pair)?;
    let by_address = conn
        .prepare_cached(&format!(
            "{RECENT} AND json_extract(payload, '$.to') = ?2 COLLATE NOCASE"
        ))?
        .query_row(params![since, to], pair)?;
    Ok([by_contact, by_address])
}

/// Events after `after`, oldest first.
pub fn since(conn: &Connection, after: i64, limit: i64) -> Result<Vec<Event>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM events WHERE id > ?1 ORDER BY id LIMIT ?2"
    ))?;
    let rows = st.query_map(params![after, limit], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Events after `after` that the owner of `visitor_id`'s conversations may
/// see: theirs, and the public ones.
pub fn since_for_visitor(
    conn: &Connection,
    visitor_id: i64,
    after: i64,
    limit: i64,
) -> Result<Vec<Event>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM events WHERE visitor_id = ?1 AND id > ?2 AND audience = 0
         UNION ALL SELECT {COLS} FROM events WHERE id > ?2 AND audience = 3
         ORDER BY id LIMIT ?3"
    ))?;
    let rows = st.query_map(params![visitor_id, after, limit], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The kinds a conversation's thread shows as timeline lines.
pub const TIMELINE_KINDS: &str = "'conversation.assigned', 'conversation.department', \
     'conversation.status', 'conversation.rated', 'conversation.scored'";

/// The newest `limit` timeline events of a conversation, oldest first
/// (`visitor_id` is its owner: the events index is by owner).
pub fn timeline(
    conn: &Connection,
    visitor_id: i64,
    conversation_id: i64,
    limit: i64,
) -> Result<Vec<Event>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT * FROM (SELECT {COLS} FROM events
           WHERE visitor_id = ?1 AND conversation_id = ?2 AND audience = 0
             AND kind IN ({TIMELINE_KINDS})
           ORDER BY id DESC LIMIT ?3) ORDER BY id"
    ))?;
    let rows = st.query_map(params![visitor_id, conversation_id, limit], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Tx<'_> {
    /// Appends an event (and the outbox rows of the webhooks that want it).
    pub fn emit(
        &mut self,
        kind: &str,
        conversation_id: Option<i64>,
        actor_id: Option<i64>,
        audience: Audience,
        data: Value,
    ) -> Result<i64> {
        let visitor_id: Option<i64> = match conversation_id {
            Some(c) => self
                .conn
                .prepare_cached("SELECT user_id FROM conversations WHERE id = ?1")?
                .query_row([c], |r| r.get(0))
                .optional()?,
            None => None,
        };
        let payload = data.to_string();
        self.conn
            .prepare_cached(
                "INSERT INTO events (kind, conversation_id, visitor_id, actor_id, audience, payload, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![kind, conversation_id, visitor_id, actor_id, audience as i64, payload, self.now])?;
        let id = self.conn.last_insert_rowid();
        super::webhooks::queue(self, id, kind, &data)?;
        Ok(id)
    }
}
