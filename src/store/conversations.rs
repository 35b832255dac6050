//! Conversations and their participants.

use super::tx::Tx;
use super::{found, json_col};
use crate::domain::Status;
use crate::error::Result;
use rusqlite::{params, Connection, Row};
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct Conversation {
    pub id: i64,
    pub user_id: i64,
    pub status: Status,
    pub title: String,
    pub department_id: Option<i64>,
    pub agent_id: Option<i64>,
    pub source: String,
    pub extra: Value,
    pub created_at: i64,
    pub updated_at: i64,
    /// The newest visible message: (id, user_id, body, created_at), and
    /// the name and type of each of its attachments (no links: a list
    /// preview needs none, and links leave signed).
    pub last_message: Option<(i64, Option<i64>, String, i64)>,
    pub last_files: Vec<Value>,
    /// Messages from the conversation's user that staff have not read.
    pub unread: i64,
    /// The row as the staff member asking sees it, when the desk added it.
    pub agent_view: Option<super::staff_reads::AgentView>,
    /// The newest message a staff search matched here: (id, body).
    pub matched: Option<(i64, String)>,
}

impl Conversation {
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id, "user_id": self.user_id, "status": self.status,
            "status_name": self.status.name(),
            "title": self.title, "department_id": self.department_id, "agent_id": self.agent_id,
            "source": self.source, "extra": self.extra,
            "created_at": crate::util::rfc3339(self.created_at),
            "updated_at": crate::util::rfc3339(self.updated_at),
            "unread": self.unread,
            "last_message": self.last_message.as_ref().map(|(id, uid, body, at)| json!({
                "id": id, "user_id": uid, "body": body, "created_at": crate::util::rfc3339(*at),
                "attachments": self.last_files,
            })),
        });
        if let (Some(a), Some(o)) = (self.agent_view, v.as_object_mut()) {
            o.insert("my_unread".into(), a.unread.into());
            let since = a.waiting_since.map(crate::util::rfc3339);
            o.insert("waiting_since".into(), since.into());
        }
        if let (Some((id, body)), Some(o)) = (&self.matched, v.as_object_mut()) {
            o.insert("match".into(), json!({ "id": id, "body": body }));
        }
        v
    }
    /// What the conversation's own visitor sees.
    pub fn visitor_json(&self) -> Value {
        let mut v = self.to_json();
        if let Some(o) = v.as_object_mut() {
            o.remove("extra");
            o.remove("unread");
            o.remove("my_unread");
            o.remove("waiting_since");
            o.remove("match");
        }
        v
    }
}

const SELECT: &str =
    "SELECT c.id, c.user_id, c.status, c.title, c.department_id, c.agent_id, c.source, c.extra,
        c.created_at, c.updated_at, m.id, m.user_id, m.body, m.created_at,
        (SELECT count(*) FROM messages u WHERE u.conversation_id = c.id
            AND u.by_owner = 1 AND u.read_at IS NULL AND u.deleted_at IS NULL),
        m.attachments
    FROM conversations c
    LEFT JOIN messages m ON m.id = (SELECT id FROM messages WHERE conversation_id = c.id
        AND private = 0 AND deleted_at IS NULL ORDER BY id DESC LIMIT 1)";

fn from_row(r: &Row) -> rusqlite::Result<Conversation> {
    let last_id: Option<i64> = r.get(10)?;
    Ok(Conversation {
        id: r.get(0)?,
        user_id: r.get(1)?,
        status: r.get(2)?,
        title: r.get(3)?,
        department_id: r.get(4)?,
        agent_id: r.get(5)?,
        source: r.get(6)?,
        extra: json_col(r.get(7)?),
        created_at: r.get(8)?,
        updated_at: r.get(9)?,
        last_message: match last_id {
            Some(id) => Some((id, r.get(11)?, r.get(12)?, r.get(13)?)),
            None => None,
        },
        unread: r.get(14)?,
        last_files: match r.get::<_, Option<String>>(15)?.map(json_col) {
            Some(Value::Array(files)) => files
                .iter()
                .map(|f| json!({ "name": f.get("name"), "type": f.get("type") }))
                .collect(),
            _ => Vec::new(),
        },
        agent_view: None,
        matched: None,
    })
}

/// The few columns the write path needs, without the list joins.
pub struct Head {
    pub id: i64,
    pub user_id: i64,
    pub status: Status,
}

pub fn head(conn: &Connection, id: i64) -> Result<Head> {
    found(
        conn.prepare_cached("SELECT id, user_id, status FROM conversations WHERE id = ?1")?
            .query_row([id], |r| {
                Ok(Head {
                    id: r.get(0)?,
                    user_id: r.get(1)?,
                    status: r.get(2)?,
                })
            }),
        "conversation",
    )
}

pub fn get(conn: &Connection, id: i64) -> Result<Conversation> {
    found(
        conn.prepare_cached(&format!("{SELECT} WHERE c.id = ?1"))?
            .query_row([id], from_row),
        "conversation",
    )
}

pub struct NewConversation<'a> {
    pub user_id: i64,
    pub status: Status,
    pub title: &'a str,
    pub department_id: Option<i64>,
    pub agent_id: Option<i64>,
    pub source: &'a str,
    pub extra: &'a Value,
}

pub fn insert(tx: &Tx, c: &NewConversation) -> Result<i64> {
    tx.conn
        .prepare_cached(
            "INSERT INTO conversations (user_id, status, title, department_id, agent_id, source, extra, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        )?
        .execute(params![c.user_id, c.status, c.title, c.department_id, c.agent_id, c.source, c.extra.to_string(), tx.now])?;
    let id = tx.conn.last_insert_rowid();
    add_participant(tx, id, c.user_id, "owner")?;
    Ok(id)
}

pub fn add_participant(tx: &Tx, conversation_id: i64, user_id: i64, flags: &str) -> Result<()> {
    tx.conn
        .prepare_cached(
            "INSERT INTO participants (conversation_id, user_id, flags, joined_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT DO NOTHING",
        )?
        .execute(params![conversation_id, user_id, flags, tx.now])?;
    Ok(())
}

pub fn participants(conn: &Connection, conversation_id: i64) -> Result<Vec<(i64, String, i64)>> {
    let mut st = conn.prepare_cached(
        "SELECT user_id, flags, last_read_id FROM participants WHERE conversation_id = ?1 ORDER BY joined_at, user_id",
    )?;
    let rows = st.query_map([conversation_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn set_status(tx: &Tx, id: i64, status: Status) -> Result<()> {
    tx.conn
        .prepare_cached("UPDATE conversations SET status = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id, status, tx.now])?;
    Ok(())
}

pub fn set_agent(tx: &Tx, id: i64, agent_id: Option<i64>) -> Result<()> {
    tx.conn.execute(
        "UPDATE conversations SET agent_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, agent_id, tx.now],
    )?;
    Ok(())
}

pub fn set_department(tx: &Tx, id: i64, department_id: Option<i64>) -> Result<()> {
    tx.conn.execute(
        "UPDATE conversations SET department_id = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, department_id, tx.now],
    )?;
    Ok(())
}

pub fn set_title(tx: &Tx, id: i64, title: &str) -> Result<()> {
    tx.conn.execute(
        "UPDATE conversations SET title = ?2, updated_at = ?3 WHERE id = ?1",
        params![id, title, tx.now],
    )?;
    Ok(())
}

pub fn set_extra(tx: &Tx, id: i64, extra: &Value) -> Result<()> {
    tx.conn.execute(
        "UPDATE conversations SET extra = ?2 WHERE id = ?1",
        params![id, extra.to_string()],
    )?;
    Ok(())
}

pub fn touch(tx: &Tx, id: i64) -> Result<()> {
    tx.conn
        .prepare_cached("UPDATE conversations SET updated_at = ?2 WHERE id = ?1")?
        .execute(params![id, tx.now])?;
    Ok(())
}

pub fn delete(tx: &Tx, id: i64) -> Result<()> {
    tx.conn
        .execute("DELETE FROM conversations WHERE id = ?1", [id])?;
    Ok(())
}

#[derive(Debug, Default)]
pub struct Filter {
    /// Any of these; all when empty.
    pub statuses: Vec<Status>,
    pub department_id: Option<i64>,
    pub agent_id: Option<i64>,
    /// Unassigned conversations only, or with `agent_id`: theirs and the
    /// unassigned ones.
    pub unassigned: bool,
    pub source: Option<String>,
    pub user_id: Option<i64>,
    pub search: Option<String>,
    /// Conversations whose request has this tag or whose client has it.
    pub tag: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// Conversations, most recently active first. A text search matches titles,
/// the contact's name or email, and the 2,000 newest matching messages (a
/// common word would otherwise touch every conversation).
pub fn list(conn: &Connection, f: &Filter) -> Result<Vec<Conversation>> {
    let statuses = serde_json::to_string(&f.statuses)?;
    let search = f.search.as_deref().map(super::search::fts_query);
    let sql = format!(
        "{SELECT}
        WHERE (?1 = '[]' OR c.status IN (SELECT value FROM json_each(?1)))
          AND (?2 IS NULL OR c.department_id = ?2)
          AND (?3 IS NULL OR c.agent_id = ?3 OR (?4 = 1 AND c.agent_id IS NULL))
          AND (?4 = 0 OR ?3 IS NOT NULL OR c.agent_id IS NULL)
          AND (?5 IS NULL OR c.source = ?5)
          AND (?6 IS NULL OR c.user_id = ?6)
          AND (?7 IS NULL OR c.id IN (
                SELECT rowid FROM conversations_fts WHERE conversations_fts MATCH ?7
                UNION SELECT m.conversation_id FROM messages m WHERE m.id IN (
                      SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?7
                      ORDER BY rowid DESC LIMIT 2000)
                UNION SELECT c2.id FROM conversations c2 WHERE c2.user_id IN
                      (SELECT rowid FROM users_fts WHERE users_fts MATCH ?7)))
          AND (?10 IS NULL OR c.id IN (SELECT conversation_id FROM request_tags WHERE tag_id = ?10)
                OR c.user_id IN (SELECT user_id FROM client_tags WHERE tag_id = ?10))
        ORDER BY c.updated_at DESC, c.id DESC LIMIT ?8 OFFSET ?9"
    );
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st.query_map(
        params![
            statuses,
            f.department_id,
            f.agent_id,
            f.unassigned,
            f.source,
            f.user_id,
            search,
            f.limit,
            f.offset,
            f.tag
        ],
        from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Hands every conversation of `from` to `to` (merging an anonymous visitor
/// into the contact they proved to be).
pub fn move_owner(tx: &Tx, from: i64, to: i64) -> Result<()> {
    tx.conn.execute(
        "UPDATE conversations SET user_id = ?2 WHERE user_id = ?1",
        params![from, to],
    )?;
    tx.conn.execute(
        "UPDATE OR IGNORE participants SET user_id = ?2 WHERE user_id = ?1",
        params![from, to],
    )?;
    tx.conn.execute(
        "UPDATE messages SET user_id = ?2 WHERE user_id = ?1",
        params![from, to],
    )?;
    tx.conn.execute(
        "UPDATE events SET visitor_id = ?2 WHERE visitor_id = ?1",
        params![from, to],
    )?;
    Ok(())
}

/// Whether conversation `id` is the only one of contact `user_id`.
pub fn is_only_of(conn: &Connection, user_id: i64, id: i64) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT NOT EXISTS (SELECT 1 FROM conversations WHERE user_id = ?1 AND id <> ?2)",
        params![user_id, id],
        |r| r.get(0),
    )?)
}

/// How many conversations have one of `statuses` (all when empty).
pub fn count(conn: &Connection, statuses: &[Status]) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM conversations WHERE ?1 = '[]' OR status IN (SELECT value FROM json_each(?1))",
        [serde_json::to_string(statuses)?],
        |r| r.get(0),
    )?)
}

/// Conversations in the trash since before `before`.
pub fn trashed_before(conn: &Connection, before: i64) -> Result<Vec<i64>> {
    let mut st =
        conn.prepare_cached("SELECT id FROM conversations WHERE status = ?2 AND updated_at < ?1")?;
    let rows = st.query_map(params![before, Status::Trash], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Open conversations whose last visible message is staff's (or the
/// bot's) and older than `before`: answered, and quiet since.
pub fn answered_before(conn: &Connection, before: i64) -> Result<Vec<i64>> {
    let mut st = conn.prepare_cached(
        "SELECT c.id FROM conversations c
         JOIN messages m ON m.id = (SELECT max(id) FROM messages
                                    WHERE conversation_id = c.id AND private = 0 AND deleted_at IS NULL)
         JOIN users u ON u.id = m.user_id
         WHERE c.status IN (SELECT value FROM json_each(?2))
           AND u.user_type IN ('agent', 'admin', 'bot') AND m.created_at < ?1",
    )?;
    let inbox = serde_json::to_string(&Status::INBOX)?;
    let rows = st.query_map(params![before, inbox], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// First-response times (ms) of recent conversations: from a conversation's
/// first customer message sent since `since` to the first agent reply after
/// it, for the newest `limit` conversations active since then (by the
/// `conversations_updated` index; each time is two probes of
/// `messages_conversation` that stop at the first match). Unanswered ones,
/// notes and bot messages do not count.
pub fn first_response_times(conn: &Connection, since: i64, limit: i64) -> Result<Vec<i64>> {
    let mut st = conn.prepare_cached(
        "WITH recent AS (
             SELECT c.id AS cid,
                    (SELECT m.id FROM messages m JOIN users u ON u.id = m.user_id
                      WHERE m.conversation_id = c.id AND m.private = 0
                        AND u.user_type IN ('visitor','lead','user')
                      ORDER BY m.id LIMIT 1) AS asked
               FROM conversations c WHERE c.updated_at >= ?1
              ORDER BY c.updated_at DESC LIMIT ?2)
         SELECT (SELECT r.created_at FROM messages r JOIN users u ON u.id = r.user_id
                  WHERE r.conversation_id = recent.cid AND r.id > recent.asked AND r.private = 0
                    AND u.user_type IN ('agent','admin')
                  ORDER BY r.id LIMIT 1) - m.created_at AS waited
           FROM recent JOIN messages m ON m.id = recent.asked
          WHERE m.created_at >= ?1",
    )?;
    // Unanswered ones come back null (filtered here: in SQL the reply
    // subquery would run twice).
    let rows = st.query_map(params![since, limit], |r| r.get::<_, Option<i64>>(0))?;
    let waits: Vec<Option<i64>> = rows.collect::<rusqlite::Result<_>>()?;
    Ok(waits.into_iter().flatten().collect())
}
