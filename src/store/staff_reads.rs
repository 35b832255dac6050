//! How far each staff member has read each conversation (`staff_reads`),
//! and what a conversation's list row shows one agent: their unread count
//! and how long the customer has waited for an answer.

use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension};

/// How many of the customer's newest public messages a row looks at: the
/// unread count stops there (shown as "99+"), and so does the wait (a
/// customer who wrote more than this in a row has waited at least that long).
pub const WINDOW: i64 = 100;

/// A conversation's row as one staff member sees it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgentView {
    /// The customer's messages newer than both what this staff member
    /// marked read and their own last message, deleted or not (at most
    /// `WINDOW`).
    pub unread: i64,
    /// When the customer's first unanswered message was sent: no public
    /// staff (or bot) message came after it. None when answered.
    pub waiting_since: Option<i64>,
}

pub fn set(tx: &Tx, conversation_id: i64, user_id: i64, up_to: i64) -> Result<()> {
    tx.conn
        .prepare_cached(
            "INSERT INTO staff_reads (conversation_id, user_id, last_read_id) VALUES (?1, ?2, ?3)
             ON CONFLICT DO UPDATE SET last_read_id = max(last_read_id, excluded.last_read_id)",
        )?
        .execute(params![conversation_id, user_id, up_to])?;
    Ok(())
}

/// The row facts for `user_id`: a few probes of the partial index
/// `messages_public` (migration 011), each reading at most `WINDOW` entries
/// and no message rows but one.
pub fn view(conn: &Connection, conversation_id: i64, user_id: i64) -> Result<AgentView> {
    // Includes this agent's own messages: writing one marks it read.
    let read: i64 = conn
        .prepare_cached(
            "SELECT last_read_id FROM staff_reads WHERE conversation_id = ?1 AND user_id = ?2",
        )?
        .query_row([conversation_id, user_id], |r| r.get(0))
        .optional()?
        .unwrap_or(0);
    let answered = newest_answer(conn, conversation_id)?;
    Ok(AgentView {
        unread: customer_count_after(conn, conversation_id, read)?,
        waiting_since: customer_wait_after(conn, conversation_id, answered)?,
    })
}

/// The newest public staff (or bot) message: the last answer.
fn newest_answer(conn: &Connection, conversation_id: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM messages
             WHERE conversation_id = ?1 AND by_owner = 0 AND private = 0 AND deleted_at IS NULL
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row([conversation_id], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// The customer's public messages after `after`, at most `WINDOW`.
fn customer_count_after(conn: &Connection, conversation_id: i64, after: i64) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM (SELECT 1 FROM messages
             WHERE conversation_id = ?1 AND by_owner = 1 AND private = 0 AND deleted_at IS NULL
               AND id > ?2 LIMIT ?3)",
        )?
        .query_row(params![conversation_id, after, WINDOW], |r| r.get(0))?)
}

/// When the first of the customer's public messages after `after` was
/// sent, looking at the newest `WINDOW` of them only (a lower bound).
fn customer_wait_after(conn: &Connection, conversation_id: i64, after: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT created_at FROM messages WHERE id = (
               SELECT min(id) FROM (SELECT id FROM messages
                 WHERE conversation_id = ?1 AND by_owner = 1 AND private = 0 AND deleted_at IS NULL
                   AND id > ?2 ORDER BY id DESC LIMIT ?3))",
        )?
        .query_row(params![conversation_id, after, WINDOW], |r| r.get(0))
        .optional()?)
}

/// The newest message matching the search `input` in each of
/// `conversations` (id, message id, body), among the 2,000 newest matching
/// messages: the bound the list's search uses. Notes included (staff only).
pub fn newest_matches(
    conn: &Connection,
    input: &str,
    conversations: &[i64],
) -> Result<Vec<(i64, i64, String)>> {
    let mut st = conn.prepare_cached(
        "SELECT m.conversation_id, m.id, m.body FROM messages m
         WHERE m.id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1
                        ORDER BY rowid DESC LIMIT 2000)
           AND m.conversation_id IN (SELECT value FROM json_each(?2)) AND m.deleted_at IS NULL
         ORDER BY m.id DESC",
    )?;
    let ids = serde_json::to_string(conversations)?;
    let query = super::search::fts_query(input);
    let rows = st.query_map(params![query, ids], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    let mut out: Vec<(i64, i64, String)> = Vec::new();
    for row in rows {
        let row = row?;
        if !out.iter().any(|(c, _, _)| *c == row.0) {
            out.push(row);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each row probe is a search of the partial index, not a scan of the
    /// conversation's messages.
    #[test]
    fn the_row_probes_use_the_public_messages_index() {
        let mut c = Connection::open_in_memory().unwrap();
        super::super::migrate::migrate(&mut c).unwrap();
        let plan = |sql: &str| -> String {
            let mut st = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let args = rusqlite::params_from_iter(1..=st.parameter_count() as i64);
            let rows = st.query_map(args, |r| r.get::<_, String>(3)).unwrap();
            rows.collect::<rusqlite::Result<Vec<_>>>()
                .unwrap()
                .join("; ")
        };
        for sql in [
            "SELECT id FROM messages
             WHERE conversation_id = ?1 AND by_owner = 0 AND private = 0 AND deleted_at IS NULL
             ORDER BY id DESC LIMIT 1",
            "SELECT count(*) FROM (SELECT 1 FROM messages
             WHERE conversation_id = ?1 AND by_owner = 1 AND private = 0 AND deleted_at IS NULL
               AND id > ?2 LIMIT ?3)",
        ] {
            let p = plan(sql);
            assert!(p.contains("COVERING INDEX messages_public"), "{p}");
        }
    }
}
