//! Full-text search across messages, users and conversation titles (FTS5).

use crate::error::Result;
use rusqlite::{params, Connection};
use serde_json::{json, Value};

/// Turns user input into a safe FTS5 query: each word quoted (so operators
/// and punctuation are literal), the last one as a prefix, all required.
/// Control characters are dropped: FTS5 fails on a NUL inside a string.
pub fn fts_query(input: &str) -> String {
    let words: Vec<String> = input
        .split_whitespace()
        .map(|w| w.replace(|c: char| c == '"' || c.is_control(), ""))
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\""))
        .collect();
    match words.len() {
        0 => "\"\"".into(),
        _ => format!("{}*", words.join(" ")),
    }
}

/// Indexes the messages written since the last call; the writer runs it
/// once per group commit, inside the transaction.
pub fn index_new_messages(conn: &Connection) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO messages_fts(rowid, body)
         SELECT id, body FROM messages WHERE id > (SELECT last_id FROM search_watermark WHERE name = 'messages')
         ORDER BY id",
    )?
    .execute([])?;
    conn.prepare_cached(
        "UPDATE search_watermark SET last_id = (SELECT coalesce(max(id), 0) FROM messages) WHERE name = 'messages'",
    )?
    .execute([])?;
    Ok(())
}

/// Messages matching `q`, newest first (FTS5 walks its index in rowid order
/// and stops at the limit, where ranking would score every match), with a
/// highlighted snippet (the
/// highlight marks are brackets, never HTML).
pub fn messages(
    conn: &Connection,
    q: &str,
    include_private: bool,
    limit: i64,
) -> Result<Vec<Value>> {
    let mut st = conn.prepare_cached(
        "SELECT m.id, m.conversation_id, m.user_id, m.body, m.created_at,
                snippet(messages_fts, 0, '[', ']', '…', 12)
         FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
         WHERE messages_fts MATCH ?1 AND m.deleted_at IS NULL AND (?2 OR m.private = 0)
         ORDER BY messages_fts.rowid DESC LIMIT ?3",
    )?;
    let rows = st.query_map(params![fts_query(q), include_private, limit], |r| {
        Ok(json!({
            "id": r.get::<_, i64>(0)?, "conversation_id": r.get::<_, i64>(1)?,
            "user_id": r.get::<_, Option<i64>>(2)?, "body": r.get::<_, String>(3)?,
            "created_at": crate::util::rfc3339(r.get(4)?), "snippet": r.get::<_, String>(5)?,
        }))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn queries_are_quoted() {
        assert_eq!(super::fts_query("hello wor"), "\"hello\" \"wor\"*");
        assert_eq!(super::fts_query("a\"b OR c"), "\"ab\" \"OR\" \"c\"*");
        assert_eq!(super::fts_query("  "), "\"\"");
        assert_eq!(super::fts_query("a\u{0}b \u{0}"), "\"ab\"*");
    }
}
