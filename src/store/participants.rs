//! ChatShipper's participant flags on `participants.flags` (a comma list
//! shared with the older flags `owner`, `agent`, `muted`...): `inbox`
//! (assigned, not accepted yet), `active`, `accepted`, `left`; and the
//! channels a queued conversation notified (`conversation_channels`).

use super::tx::Tx;
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension};

/// The flags of a comma list, in order, without empty ones.
pub fn split(flags: &str) -> Vec<String> {
    flags
        .split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(String::from)
        .collect()
}

/// Whether a comma list holds `flag`.
pub fn has(flags: &str, flag: &str) -> bool {
    flags.split(',').any(|f| f.trim() == flag)
}

/// A participant's flags, or None when they are no participant.
pub fn flags(conn: &Connection, conversation_id: i64, user_id: i64) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached(
            "SELECT flags FROM participants WHERE conversation_id = ?1 AND user_id = ?2",
        )?
        .query_row(params![conversation_id, user_id], |r| r.get(0))
        .optional()?)
}

/// Adds `add` and removes `remove` from a participant's flags (making
/// them a participant if they are none); answers the new flags.
pub fn change(
    tx: &Tx,
    conversation_id: i64,
    user_id: i64,
    add: &[&str],
    remove: &[&str],
) -> Result<Vec<String>> {
    let mut list = split(&flags(tx.conn, conversation_id, user_id)?.unwrap_or_default());
    list.retain(|f| !remove.contains(&f.as_str()));
    for f in add {
        if !list.iter().any(|x| x == f) {
            list.push(f.to_string());
        }
    }
    let joined = list.join(",");
    tx.conn
        .prepare_cached(
            "INSERT INTO participants (conversation_id, user_id, flags, joined_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (conversation_id, user_id) DO UPDATE SET flags = excluded.flags",
        )?
        .execute(params![conversation_id, user_id, joined, tx.now])?;
    Ok(list)
}

/// The participants with the `accepted` flag (and not `left`), first
/// joined first.
pub fn accepting(conn: &Connection, conversation_id: i64) -> Result<Vec<i64>> {
    let rows = super::conversations::participants(conn, conversation_id)?;
    Ok(rows
        .into_iter()
        .filter(|(_, f, _)| has(f, "accepted") && !has(f, "left"))
        .map(|(u, _, _)| u)
        .collect())
}

/// The newest `limit` conversations where `user_id` has the `inbox` flag
/// (assigned to them, not accepted yet).
pub fn invited(conn: &Connection, user_id: i64, limit: i64) -> Result<Vec<i64>> {
    let mut st = conn.prepare_cached(
        "SELECT p.conversation_id FROM participants p
         JOIN conversations c ON c.id = p.conversation_id
         WHERE p.user_id = ?1 AND instr(',' || p.flags || ',', ',inbox,') > 0
         ORDER BY c.updated_at DESC, c.id DESC LIMIT ?2",
    )?;
    let rows = st.query_map(params![user_id, limit], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The channels a queued conversation notified: (online, offline) ids.
pub fn channels(conn: &Connection, conversation_id: i64) -> Result<(Vec<i64>, Vec<i64>)> {
    let mut st = conn.prepare_cached(
        "SELECT channel_id, offline FROM conversation_channels WHERE conversation_id = ?1 ORDER BY channel_id",
    )?;
    let rows = st.query_map([conversation_id], |r| {
        Ok((r.get::<_, i64>(0)?, r.get::<_, bool>(1)?))
    })?;
    let (mut on, mut off) = (Vec::new(), Vec::new());
    for row in rows {
        let (id, offline) = row?;
        if offline {
            off.push(id);
        } else {
            on.push(id);
        }
    }
    Ok((on, off))
}

/// Forgets the channels a conversation notified; answers their ids.
pub fn clear_channels(tx: &Tx, conversation_id: i64) -> Result<Vec<i64>> {
    let (mut on, off) = channels(tx.conn, conversation_id)?;
    on.extend(off);
    on.sort_unstable();
    tx.conn.execute(
        "DELETE FROM conversation_channels WHERE conversation_id = ?1",
        [conversation_id],
    )?;
    Ok(on)
}

/// Whether the contact's last public message was answered by an agent or
/// admin after it (true when the contact never wrote).
pub fn answered(conn: &Connection, conversation_id: i64, owner: i64) -> Result<bool> {
    let last: Option<i64> = conn.query_row(
        "SELECT max(id) FROM messages WHERE conversation_id = ?1 AND user_id = ?2
           AND private = 0 AND deleted_at IS NULL",
        params![conversation_id, owner],
        |r| r.get(0),
    )?;
    let Some(last) = last else {
        return Ok(true);
    };
    Ok(conn
        .query_row(
            "SELECT 1 FROM messages m JOIN users u ON u.id = m.user_id
             WHERE m.conversation_id = ?1 AND m.id > ?2 AND m.private = 0 AND m.deleted_at IS NULL
               AND u.user_type IN ('agent', 'admin') LIMIT 1",
            params![conversation_id, last],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

#[cfg(test)]
mod tests {
    #[test]
    fn flag_lists() {
        assert_eq!(super::split(" agent,,inbox ,"), vec!["agent", "inbox"]);
        assert!(super::has("agent,inbox", "inbox"));
        assert!(!super::has("agent,inboxes", "inbox"));
    }
}
