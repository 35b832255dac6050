//! Messages of conversations.

use super::found;
use super::json_col;
use super::tx::Tx;
use crate::domain::UserType;
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{json, Value};

#[derive(Debug, Clone)]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    pub user_id: Option<i64>,
    pub body: String,
    pub attachments: Value,
    pub payload: Value,
    pub private: bool,
    pub read_at: Option<i64>,
    /// When the other side's client acknowledged receiving it.
    pub delivered_at: Option<i64>,
    pub created_at: i64,
    pub edited_at: Option<i64>,
    pub deleted_at: Option<i64>,
    /// Sender's (type, first name, last name, avatar).
    pub sender: Option<(UserType, String, String, Option<String>)>,
    /// The id its sender's client chose (idempotency key), if any.
    pub client_id: Option<String>,
    /// The colour of the sender's initials avatar (chosen or default).
    pub sender_color: Option<String>,
}

impl Message {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "conversation_id": self.conversation_id, "user_id": self.user_id,
            "sender": self.sender.as_ref().map(|(t, f, l, a)| json!({
                "id": self.user_id, "type": t, "name": format!("{f} {l}").trim(), "avatar": a,
                "color": self.sender_color,
            })),
            "body": self.body, "attachments": self.attachments, "payload": self.payload,
            "private": self.private, "read": self.read_at.is_some(),
            "read_at": self.read_at.map(crate::util::rfc3339),
            "delivered": self.delivered_at.is_some(),
            "delivered_at": self.delivered_at.map(crate::util::rfc3339),
            "created_at": crate::util::rfc3339(self.created_at),
            "edited_at": self.edited_at.map(crate::util::rfc3339),
            "deleted": self.deleted_at.is_some(),
            "client_id": self.client_id,
        })
    }
}

const SELECT: &str = "SELECT m.id, m.conversation_id, m.user_id, m.body, m.attachments, m.payload, m.private,
        m.read_at, m.created_at, m.edited_at, m.deleted_at, u.user_type, u.first_name, u.last_name, u.profile_image,
        m.client_id, u.avatar_color, m.delivered_at
    FROM messages m LEFT JOIN users u ON u.id = m.user_id";

fn from_row(r: &Row) -> rusqlite::Result<Message> {
    let utype: Option<UserType> = r.get(11)?;
    Ok(Message {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        user_id: r.get(2)?,
        body: r.get(3)?,
        attachments: json_col(r.get(4)?),
        payload: json_col(r.get(5)?),
        private: r.get(6)?,
        read_at: r.get(7)?,
        created_at: r.get(8)?,
        edited_at: r.get(9)?,
        deleted_at: r.get(10)?,
        sender: match utype {
            Some(t) => Some((t, r.get(12)?, r.get(13)?, r.get(14)?)),
            None => None,
        },
        client_id: r.get(15)?,
        sender_color: match (utype, r.get::<_, Option<i64>>(2)?) {
            (Some(_), Some(id)) => Some(super::users::avatar_color(
                id,
                r.get::<_, Option<String>>(16)?.as_deref(),
            )),
            _ => None,
        },
        delivered_at: r.get(17)?,
    })
}

pub struct NewMessage<'a> {
    pub conversation_id: i64,
    /// Sent by the conversation's own user (what staff count as unread).
    pub by_owner: bool,
    pub sender: &'a super::users::User,
    pub body: &'a str,
    pub attachments: &'a Value,
    pub payload: &'a Value,
    pub private: bool,
    pub client_id: Option<&'a str>,
}

pub fn insert(tx: &Tx, m: &NewMessage) -> Result<Message> {
    tx.conn
        .prepare_cached(
            "INSERT INTO messages (conversation_id, user_id, body, attachments, payload, private, by_owner, created_at, client_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?
        .execute(params![
            m.conversation_id,
            m.sender.id,
            m.body,
            m.attachments.to_string(),
            m.payload.to_string(),
            m.private,
            m.by_owner,
            tx.now,
            m.client_id
        ])?;
    // Built from what we just wrote rather than read back: this is the hot path.
    let s = m.sender;
    Ok(Message {
        id: tx.conn.last_insert_rowid(),
        conversation_id: m.conversation_id,
        user_id: Some(s.id),
        body: m.body.to_string(),
        attachments: m.attachments.clone(),
        payload: m.payload.clone(),
        private: m.private,
        read_at: None,
        delivered_at: None,
        created_at: tx.now,
        edited_at: None,
        deleted_at: None,
        sender: Some((
            s.user_type,
            s.first_name.clone(),
            s.last_name.clone(),
            s.profile_image.clone(),
        )),
        client_id: m.client_id.map(str::to_string),
        sender_color: Some(s.color()),
    })
}

/// The message `user_id` sent with the client id `client_id`: in
/// `conversation_id`, or (None) in any conversation owned by `owner`.
pub fn by_client_id(
    conn: &Connection,
    user_id: i64,
    client_id: &str,
    conversation_id: Option<i64>,
    owner: i64,
) -> Result<Option<Message>> {
    Ok(conn
        .prepare_cached(&format!(
            "{SELECT} WHERE m.user_id = ?1 AND m.client_id = ?2 AND (?3 IS NULL OR m.conversation_id = ?3)
               AND (SELECT c.user_id FROM conversations c WHERE c.id = m.conversation_id) = ?4
             ORDER BY m.id LIMIT 1"
        ))?
        .query_row(params![user_id, client_id, conversation_id, owner], from_row)
        .optional()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Message> {
    found(
        conn.prepare_cached(&format!("{SELECT} WHERE m.id = ?1"))?
            .query_row([id], from_row),
        "message",
    )
}

/// A page of history, oldest first: the `limit` messages before `before`.
pub fn page(
    conn: &Connection,
    conversation_id: i64,
    before: i64,
    limit: i64,
    include_private: bool,
) -> Result<Vec<Message>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT * FROM ({SELECT} WHERE m.conversation_id = ?1 AND m.id < ?2 AND (?3 OR m.private = 0)
         ORDER BY m.id DESC LIMIT ?4) ORDER BY id"
    ))?;
    let rows = st.query_map(
        params![conversation_id, before, include_private, limit],
        from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// New text, and new attachments and payload (JSON) when given.
pub fn edit(
    tx: &Tx,
    id: i64,
    body: &str,
    attachments: Option<&str>,
    payload: Option<&str>,
) -> Result<Message> {
    tx.conn.execute(
        "UPDATE messages SET body = ?2, edited_at = ?3,
             attachments = coalesce(?4, attachments), payload = coalesce(?5, payload)
         WHERE id = ?1",
        params![id, body, tx.now, attachments, payload],
    )?;
    get(tx.conn, id)
}

/// New attachments and payload, the text untouched and not marked edited:
/// what the system learnt about a message after it was written (a
/// platform's media fetched, a delivery failure).
pub fn annotate(tx: &Tx, id: i64, attachments: &str, payload: &str) -> Result<Message> {
    tx.conn.execute(
        "UPDATE messages SET attachments = ?2, payload = ?3 WHERE id = ?1",
        params![id, attachments, payload],
    )?;
    get(tx.conn, id)
}

/// Soft delete: the row stays (ids and read marks stay valid), its content goes.
pub fn delete(tx: &Tx, id: i64) -> Result<()> {
    tx.conn.execute(
        "UPDATE messages SET body = '', attachments = '[]', payload = '{}', deleted_at = ?2 WHERE id = ?1",
        params![id, tx.now],
    )?;
    Ok(())
}

/// Marks as read the other side's messages up to `up_to`: staff reading
/// marks the conversation owner's messages, the owner reading marks staff's.
/// Returns the ids newly marked.
pub fn mark_read(tx: &Tx, conversation_id: i64, up_to: i64, by_staff: bool) -> Result<Vec<i64>> {
    let mut st = tx.conn.prepare_cached(
        "UPDATE messages SET read_at = ?3, delivered_at = coalesce(delivered_at, ?3)
         WHERE conversation_id = ?1 AND id <= ?2 AND read_at IS NULL AND deleted_at IS NULL AND private = 0
           AND by_owner = ?4
         RETURNING id",
    )?;
    let rows = st.query_map(params![conversation_id, up_to, tx.now, by_staff], |r| {
        r.get(0)
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Marks as delivered the other side's messages up to `up_to` (as
/// `mark_read` picks them): the recipient's client has received them.
/// Returns the ids newly marked.
pub fn mark_delivered(
    tx: &Tx,
    conversation_id: i64,
    up_to: i64,
    by_staff: bool,
) -> Result<Vec<i64>> {
    let mut st = tx.conn.prepare_cached(
        "UPDATE messages SET delivered_at = ?3
         WHERE conversation_id = ?1 AND id <= ?2 AND delivered_at IS NULL AND read_at IS NULL
           AND deleted_at IS NULL AND private = 0 AND by_owner = ?4
         RETURNING id",
    )?;
    let rows = st.query_map(params![conversation_id, up_to, tx.now, by_staff], |r| {
        r.get(0)
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether `mark_delivered` would mark anything (a read, so repeated
/// acknowledgements need no write job).
pub fn undelivered(
    conn: &Connection,
    conversation_id: i64,
    up_to: i64,
    by_staff: bool,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM messages
               WHERE conversation_id = ?1 AND id <= ?2 AND delivered_at IS NULL AND read_at IS NULL
                 AND deleted_at IS NULL AND private = 0 AND by_owner = ?3)",
        )?
        .query_row(params![conversation_id, up_to, by_staff], |r| r.get(0))?)
}

pub fn set_last_read(tx: &Tx, conversation_id: i64, user_id: i64, up_to: i64) -> Result<()> {
    tx.conn.execute(
        "UPDATE participants SET last_read_id = max(last_read_id, ?3) WHERE conversation_id = ?1 AND user_id = ?2",
        params![conversation_id, user_id, up_to],
    )?;
    Ok(())
}

/// The staff member (agent or admin) who last wrote in the conversation
/// `c`: an SQL expression over a `conversations c` row. The one definition
/// of a conversation's last agent, for `last_staff_sender` and the ratings.
pub const LAST_STAFF_SENDER: &str =
    "(SELECT m.user_id FROM messages m JOIN users u ON u.id = m.user_id
      WHERE m.conversation_id = c.id AND u.user_type IN ('agent', 'admin')
      ORDER BY m.id DESC LIMIT 1)";

pub fn last_staff_sender(conn: &Connection, conversation_id: i64) -> Result<Option<i64>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {LAST_STAFF_SENDER} FROM conversations c WHERE c.id = ?1"
    ))?;
    Ok(st
        .query_row([conversation_id], |r| r.get(0))
        .optional()?
        .flatten())
}
