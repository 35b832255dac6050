//! TalkJS's own columns (migration 015): what a TalkJS user keeps beyond
//! our `users` row (`talkjs_users`), the caller's conversation ids and
//! their TalkJS fields (`talkjs_conversations`), and the reads its REST
//! API pages through.

use super::tx::Tx;
use super::{found, json_col};
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::{Map, Value};

/// A TalkJS user's fields that our `users` row has no column for (the
/// name, first email and phone, photo and locale are on the row too).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserExtra {
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub photo_url: Option<String>,
    pub welcome_message: Option<String>,
    pub role: Option<String>,
    pub locale: Option<String>,
    pub custom: Map<String, Value>,
}

fn strings(s: String) -> Vec<String> {
    serde_json::from_str(&s).unwrap_or_default()
}

fn object(s: String) -> Map<String, Value> {
    match json_col(s) {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

pub fn user_extra(conn: &Connection, user_id: i64) -> Result<Option<UserExtra>> {
    Ok(conn
        .prepare_cached(
            "SELECT emails, phones, photo_url, welcome_message, role, locale, custom
             FROM talkjs_users WHERE user_id = ?1",
        )?
        .query_row([user_id], |r| {
            Ok(UserExtra {
                emails: strings(r.get(0)?),
                phones: strings(r.get(1)?),
                photo_url: r.get(2)?,
                welcome_message: r.get(3)?,
                role: r.get(4)?,
                locale: r.get(5)?,
                custom: object(r.get(6)?),
            })
        })
        .optional()?)
}

pub fn put_user_extra(tx: &Tx, user_id: i64, u: &UserExtra) -> Result<()> {
    tx.conn
        .prepare_cached(
            "INSERT INTO talkjs_users (user_id, emails, phones, photo_url, welcome_message, role,
                locale, custom, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
             ON CONFLICT (user_id) DO UPDATE SET emails = excluded.emails,
               phones = excluded.phones, photo_url = excluded.photo_url,
               welcome_message = excluded.welcome_message, role = excluded.role,
               locale = excluded.locale, custom = excluded.custom, updated_at = excluded.updated_at",
        )?
        .execute(params![
            user_id,
            serde_json::to_string(&u.emails)?,
            serde_json::to_string(&u.phones)?,
            u.photo_url,
            u.welcome_message,
            u.role,
            u.locale,
            Value::Object(u.custom.clone()).to_string(),
            tx.now
        ])?;
    Ok(())
}

/// The columns of a TalkJS user's `users` row that mirror its fields, so
/// the inbox shows them: name, first email (when no one else has it),
/// first phone, photo, locale.
pub struct Mirror<'a> {
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub photo_url: Option<&'a str>,
    pub locale: Option<&'a str>,
}

pub fn set_mirror(tx: &Tx, user_id: i64, m: &Mirror) -> Result<()> {
    tx.conn
        .prepare_cached(
            "UPDATE users SET first_name = ?2, last_name = '', email = ?3, phone = ?4,
                profile_image = ?5, language = ?6 WHERE id = ?1",
        )?
        .execute(params![
            user_id,
            m.name,
            m.email,
            m.phone,
            m.photo_url,
            m.locale
        ])?;
    Ok(())
}

/// Whether another user than `user_id` has `email` (users' emails are unique).
pub fn email_taken(conn: &Connection, email: &str, user_id: Option<i64>) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM users WHERE email = ?1 AND id IS NOT ?2")?
        .query_row(params![email, user_id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// A TalkJS conversation: the caller's id, ours, and its TalkJS fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conv {
    pub ext_id: String,
    pub conversation_id: i64,
    pub photo_url: Option<String>,
    pub welcome_messages: Option<Vec<String>>,
    pub custom: Map<String, Value>,
}

const CONV_COLS: &str = "ext_id, conversation_id, photo_url, welcome_messages, custom";

fn conv_row(r: &Row) -> rusqlite::Result<Conv> {
    let welcome: String = r.get(3)?;
    Ok(Conv {
        ext_id: r.get(0)?,
        conversation_id: r.get(1)?,
        photo_url: r.get(2)?,
        // `null` is stored as the JSON null: TalkJS tells "none set" apart.
        welcome_messages: serde_json::from_str(&welcome).unwrap_or(None),
        custom: object(r.get(4)?),
    })
}

pub fn conv(conn: &Connection, ext_id: &str) -> Result<Option<Conv>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {CONV_COLS} FROM talkjs_conversations WHERE ext_id = ?1"
        ))?
        .query_row([ext_id], conv_row)
        .optional()?)
}

pub fn conv_by_id(conn: &Connection, conversation_id: i64) -> Result<Conv> {
    found(
        conn.prepare_cached(&format!(
            "SELECT {CONV_COLS} FROM talkjs_conversations WHERE conversation_id = ?1"
        ))?
        .query_row([conversation_id], conv_row),
        "conversation",
    )
}

pub fn put_conv(tx: &Tx, c: &Conv) -> Result<()> {
    tx.conn
        .prepare_cached(
            "INSERT INTO talkjs_conversations (ext_id, conversation_id, photo_url, welcome_messages, custom)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (ext_id) DO UPDATE SET photo_url = excluded.photo_url,
               welcome_messages = excluded.welcome_messages, custom = excluded.custom",
        )?
        .execute(params![
            c.ext_id,
            c.conversation_id,
            c.photo_url,
            serde_json::to_string(&c.welcome_messages)?,
            Value::Object(c.custom.clone()).to_string()
        ])?;
    Ok(())
}

/// A conversation's participants, first joined first: (user id, their
/// external id, flags).
pub fn members(
    conn: &Connection,
    conversation_id: i64,
) -> Result<Vec<(i64, Option<String>, String)>> {
    let mut st = conn.prepare_cached(
        "SELECT p.user_id, u.external_id, p.flags FROM participants p JOIN users u ON u.id = p.user_id
         WHERE p.conversation_id = ?1 ORDER BY p.joined_at, p.user_id",
    )?;
    let rows = st.query_map([conversation_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The newest public, not deleted message of a conversation.
pub fn last_message(conn: &Connection, conversation_id: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT max(id) FROM messages WHERE conversation_id = ?1 AND private = 0 AND deleted_at IS NULL",
        )?
        .query_row([conversation_id], |r| r.get(0))?)
}

/// Ids of a conversation's public, not deleted messages older than
/// `before`, newest first, at most `limit`.
pub fn message_ids(
    conn: &Connection,
    conversation_id: i64,
    before: i64,
    limit: i64,
) -> Result<Vec<i64>> {
    let mut st = conn.prepare_cached(
        "SELECT id FROM messages WHERE conversation_id = ?1 AND id < ?2 AND private = 0
           AND deleted_at IS NULL ORDER BY id DESC LIMIT ?3",
    )?;
    let rows = st.query_map(params![conversation_id, before, limit], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The TalkJS conversations `user_id` takes part in that hold at least
/// one message, latest activity (newest message) first: (ext id, our id,
/// newest message id), only those whose newest message is older than
/// `before`, at most `limit`.
pub fn user_convs(
    conn: &Connection,
    user_id: i64,
    before: i64,
    limit: i64,
) -> Result<Vec<(String, i64, i64)>> {
    let mut st = conn.prepare_cached(
        "SELECT ext_id, conversation_id, last FROM (
           SELECT t.ext_id, t.conversation_id,
             (SELECT max(m.id) FROM messages m WHERE m.conversation_id = t.conversation_id
                AND m.private = 0 AND m.deleted_at IS NULL) AS last
           FROM participants p JOIN talkjs_conversations t ON t.conversation_id = p.conversation_id
           WHERE p.user_id = ?1)
         WHERE last IS NOT NULL AND last < ?2 ORDER BY last DESC LIMIT ?3",
    )?;
    let rows = st.query_map(params![user_id, before, limit], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
