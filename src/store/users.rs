//! Users of every type: visitors, leads, contacts, agents, admins, bots.

use super::json_col;
use super::tx::Tx;
use crate::domain::{Sent, UserType, AVATAR_COLORS};
use crate::error::{self, Error, Result};
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Deserialize;
use serde_json::{json, Map, Value};

#[derive(Debug, Clone, Default)]
pub struct User {
    pub id: i64,
    pub user_type: UserType,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub profile_image: Option<String>,
    pub language: Option<String>,
    pub department_id: Option<i64>,
    pub custom: Value,
    pub current_url: Option<String>,
    pub external_id: Option<String>,
    pub online: bool,
    pub disabled: bool,
    pub created_at: i64,
    pub last_seen: Option<i64>,
    /// The colour an agent chose for their initials avatar, if any.
    pub avatar_color: Option<String>,
}

/// The colour of a user's initials avatar: the chosen one or the default.
pub fn avatar_color(id: i64, chosen: Option<&str>) -> String {
    match chosen {
        Some(c) if !c.is_empty() => c.to_string(),
        _ => AVATAR_COLORS[id.rem_euclid(AVATAR_COLORS.len() as i64) as usize].to_string(),
    }
}

impl User {
    pub fn is_staff(&self) -> bool {
        self.user_type.is_staff()
    }
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_string()
    }
    pub fn color(&self) -> String {
        avatar_color(self.id, self.avatar_color.as_deref())
    }
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "type": self.user_type, "first_name": self.first_name,
            "last_name": self.last_name, "name": self.name(), "email": self.email,
            "phone": self.phone, "avatar": self.profile_image, "language": self.language,
            "department_id": self.department_id, "custom": self.custom,
            "current_url": self.current_url, "external_id": self.external_id,
            "online": self.online, "disabled": self.disabled,
            "created_at": crate::util::rfc3339(self.created_at),
            "last_seen": self.last_seen.map(crate::util::rfc3339),
            "color": self.color(),
        })
    }
    /// What a visitor may learn about someone in their conversation.
    pub fn public_json(&self) -> Value {
        json!({
            "id": self.id, "type": self.user_type, "name": self.name(),
            "first_name": self.first_name, "avatar": self.profile_image,
            "color": self.color(),
        })
    }
}

/// The writable fields of a user; every one optional, unknown ones refused.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserFields {
    #[serde(rename = "type")]
    pub user_type: Option<Sent<UserType>>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub avatar: Option<String>,
    pub language: Option<String>,
    pub department_id: Option<i64>,
    pub custom: Option<Map<String, Value>>,
    pub current_url: Option<String>,
    pub external_id: Option<String>,
    pub password: Option<String>,
}

const COLS: &str =
    "id, user_type, first_name, last_name, email, phone, profile_image, language, department_id, \
                    custom, current_url, external_id, online, disabled, created_at, last_seen, avatar_color";

pub fn from_row(r: &Row) -> rusqlite::Result<User> {
    Ok(User {
        id: r.get(0)?,
        user_type: r.get(1)?,
        first_name: r.get(2)?,
        last_name: r.get(3)?,
        email: r.get(4)?,
        phone: r.get(5)?,
        profile_image: r.get(6)?,
        language: r.get(7)?,
        department_id: r.get(8)?,
        custom: json_col(r.get(9)?),
        current_url: r.get(10)?,
        external_id: r.get(11)?,
        online: r.get(12)?,
        disabled: r.get(13)?,
        created_at: r.get(14)?,
        last_seen: r.get(15)?,
        avatar_color: r.get(16)?,
    })
}

fn unique_violation(e: rusqlite::Error) -> Error {
    let text = e.to_string();
    if text.contains("users.email") {
        error::EMAIL_TAKEN.err()
    } else if text.contains("users.external_id") {
        error::EXTERNAL_ID_TAKEN.err()
    } else {
        e.into()
    }
}

/// Inserts a user; `password_hash` is already hashed by the caller.
pub fn insert(
    tx: &Tx,
    f: &UserFields,
    user_type: UserType,
    password_hash: Option<&str>,
) -> Result<User> {
    let custom = Value::Object(f.custom.clone().unwrap_or_default()).to_string();
    tx.conn
        .prepare_cached(
            "INSERT INTO users (user_type, first_name, last_name, email, phone, profile_image, password_hash,
                language, department_id, custom, current_url, external_id, created_at, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
        )?
        .execute(params![
            user_type,
            f.first_name.as_deref().unwrap_or(""),
            f.last_name.as_deref().unwrap_or(""),
            f.email,
            f.phone,
            f.avatar,
            password_hash,
            f.language,
            f.department_id,
            custom,
            f.current_url,
            f.external_id,
            tx.now
        ])
        .map_err(unique_violation)?;
    get(tx.conn, tx.conn.last_insert_rowid())
}

/// Applies the given fields; `custom` merges key by key (a null value removes the key).
pub fn update(tx: &Tx, id: i64, f: &UserFields, password_hash: Option<&str>) -> Result<User> {
    let user = get(tx.conn, id)?;
    let mut custom = user.custom.as_object().cloned().unwrap_or_default();
    if let Some(c) = &f.custom {
        for (k, v) in c {
            if v.is_null() {
                custom.remove(k);
            } else {
                custom.insert(k.clone(), v.clone());
            }
        }
    }
    tx.conn
        .prepare_cached(
            "UPDATE users SET user_type = coalesce(?2, user_type), first_name = coalesce(?3, first_name),
                last_name = coalesce(?4, last_name), email = CASE WHEN ?5 IS NULL THEN email WHEN ?5 = '' THEN NULL ELSE ?5 END,
                phone = coalesce(?6, phone), profile_image = coalesce(?7, profile_image),
                language = coalesce(?8, language), department_id = coalesce(?9, department_id),
                custom = ?10, current_url = coalesce(?11, current_url),
                external_id = coalesce(?12, external_id), password_hash = coalesce(?13, password_hash)
             WHERE id = ?1",
        )?
        .execute(params![
            id,
            f.user_type.as_ref().and_then(Sent::known),
            f.first_name,
            f.last_name,
            f.email,
            f.phone,
            f.avatar,
            f.language,
            f.department_id,
            Value::Object(custom).to_string(),
            f.current_url,
            f.external_id,
            password_hash
        ])
        .map_err(unique_violation)?;
    get(tx.conn, id)
}

pub fn get(conn: &Connection, id: i64) -> Result<User> {
    find(conn, id)?.ok_or_else(|| Error::not_found("user"))
}

pub fn find(conn: &Connection, id: i64) -> Result<Option<User>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLS} FROM users WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?)
}

/// A user and their password hash, by email (case-insensitive).
pub fn by_email(conn: &Connection, email: &str) -> Result<Option<(User, Option<String>)>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLS}, password_hash FROM users WHERE email = ?1"
        ))?
        .query_row([email], |r| Ok((from_row(r)?, r.get(17)?)))
        .optional()?)
}

/// Whether the user can log in with a password (their email is a login).
pub fn has_password(conn: &Connection, id: i64) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT password_hash IS NOT NULL FROM users WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

/// The bot never logs in: no password, no sessions (an earlier version let
/// an API token give it both).
pub fn strip_login(tx: &Tx, id: i64) -> Result<()> {
    tx.conn
        .execute("UPDATE users SET password_hash = NULL WHERE id = ?1", [id])?;
    tx.conn
        .execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
    Ok(())
}

pub fn by_external_id(conn: &Connection, external_id: &str) -> Result<Option<User>> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLS} FROM users WHERE external_id = ?1"))?
        .query_row([external_id], from_row)
        .optional()?)
}

pub fn delete(tx: &Tx, id: i64) -> Result<()> {
    get(tx.conn, id)?;
    tx.conn.execute("DELETE FROM users WHERE id = ?1", [id])?;
    Ok(())
}

pub fn set_disabled(tx: &Tx, id: i64, disabled: bool) -> Result<()> {
    tx.conn.execute(
        "UPDATE users SET disabled = ?2 WHERE id = ?1",
        params![id, disabled],
    )?;
    if disabled {
        tx.conn
            .execute("DELETE FROM sessions WHERE user_id = ?1", [id])?;
    }
    Ok(())
}

pub fn set_online(tx: &Tx, id: i64, online: bool) -> Result<()> {
    tx.conn.execute(
        "UPDATE users SET online = ?2, last_seen = ?3 WHERE id = ?1",
        params![id, online, tx.now],
    )?;
    Ok(())
}

/// Enabled staff with an email who are not online (of `department` or
/// of none, when given), at most `limit`: who gets email notifications.
/// Staff with an email who are not online: set away, or (when `connected`
/// is known) with no inbox listening now.
pub fn offline_staff(
    conn: &Connection,
    department: Option<i64>,
    limit: i64,
    connected: Option<&[i64]>,
) -> Result<Vec<User>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM users WHERE user_type IN ('agent','admin') AND disabled = 0
           AND (online = 0 OR (?3 IS NOT NULL AND id NOT IN (SELECT value FROM json_each(?3))))
           AND email IS NOT NULL AND email <> ''
           AND (?1 IS NULL OR department_id IS NULL OR department_id = ?1) ORDER BY id LIMIT ?2"
    ))?;
    let connected = connected.map(|c| serde_json::to_string(c).unwrap_or_default());
    let rows = st.query_map(params![department, limit, connected], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn online_staff(conn: &Connection) -> Result<Vec<User>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM users WHERE user_type IN ('agent','admin') AND online = 1 AND disabled = 0 ORDER BY id"
    ))?;
    let rows = st.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// An agent's own profile: name, avatar (`Some("")` removes it), colour
/// (`Some("")` back to the default). `None` leaves a field as it is.
pub fn set_profile(
    tx: &Tx,
    id: i64,
    first_name: Option<&str>,
    last_name: Option<&str>,
    avatar: Option<&str>,
    color: Option<&str>,
) -> Result<User> {
    tx.conn
        .prepare_cached(
            "UPDATE users SET first_name = coalesce(?2, first_name), last_name = coalesce(?3, last_name),
                profile_image = CASE WHEN ?4 IS NULL THEN profile_image WHEN ?4 = '' THEN NULL ELSE ?4 END,
                avatar_color = CASE WHEN ?5 IS NULL THEN avatar_color WHEN ?5 = '' THEN NULL ELSE ?5 END
             WHERE id = ?1",
        )?
        .execute(params![id, first_name, last_name, avatar, color])?;
    get(tx.conn, id)
}

/// Who answers, for the widget header: enabled agents and admins, those
/// online first, at most `limit`.
pub fn team(conn: &Connection, limit: i64) -> Result<Vec<User>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {COLS} FROM users WHERE user_type IN ('agent','admin') AND disabled = 0
         ORDER BY online DESC, id LIMIT ?1"
    ))?;
    let rows = st.query_map([limit], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Users per type, and `all` of them.
pub fn counts(conn: &Connection) -> Result<Vec<(String, i64)>> {
    let mut st = conn.prepare_cached(
        "SELECT user_type, count(*) FROM users GROUP BY user_type UNION ALL SELECT 'all', count(*) FROM users",
    )?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn count_by_type(conn: &Connection, user_type: &str) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM users WHERE user_type = ?1",
        [user_type],
        |r| r.get(0),
    )?)
}

#[derive(Default)]
pub struct ListQuery<'a> {
    pub types: &'a [String],
    pub search: Option<&'a str>,
    /// The search also matches phone numbers and custom fields by
    /// substring: a scan of every user (about 50 ms per 100,000), so only
    /// where asked for (Support Board's search-users).
    pub search_details: bool,
    /// Only these users, when given.
    pub ids: Option<&'a [i64]>,
    /// A column of `SORT_COLUMNS` and whether descending; newest first by default.
    pub sort: Option<(&'a str, bool)>,
    pub limit: i64,
    pub offset: i64,
}

/// Columns users can be sorted by, as Support Board names them.
pub const SORT_COLUMNS: &[(&str, &str)] = &[
    ("first_name", "first_name COLLATE NOCASE"),
    ("last_name", "last_name COLLATE NOCASE"),
    ("email", "email"),
    ("profile_image", "profile_image"),
    ("user_type", "user_type"),
    ("creation_time", "created_at"),
    ("last_activity", "coalesce(last_seen, created_at)"),
    ("department", "department_id"),
    ("id", "id"),
];

/// Users filtered by type, ids and a full-text search, sorted.
pub fn list(conn: &Connection, q: &ListQuery) -> Result<Vec<User>> {
    let types_json = serde_json::to_string(q.types)?;
    let ids_json = q.ids.map(serde_json::to_string).transpose()?;
    let (column, desc) = q.sort.unwrap_or(("id", true));
    let expr = SORT_COLUMNS
        .iter()
        .find(|(name, _)| *name == column)
        .map_or("id", |(_, e)| e);
    let dir = if desc { "DESC" } else { "ASC" };
    // Names and emails through the index; phone numbers and custom fields
    // by substring when asked.
    let matching = match (q.search, q.search_details) {
        (Some(_), true) => {
            "(id IN (SELECT rowid FROM users_fts WHERE users_fts MATCH ?1)
              OR instr(lower(coalesce(phone, '')), ?6) > 0
              OR (instr(lower(custom), ?6) > 0
                  AND EXISTS (SELECT 1 FROM json_each(custom) WHERE instr(lower(value), ?6) > 0)))"
        }
        (Some(_), false) => {
            "id IN (SELECT rowid FROM users_fts WHERE users_fts MATCH ?1) AND ?6 IS NOT NULL"
        }
        (None, _) => "?1 IS NULL AND ?6 IS NULL",
    };
    let sql = format!(
        "SELECT {COLS} FROM users WHERE {matching}
         AND (?2 = '[]' OR user_type IN (SELECT value FROM json_each(?2)))
         AND (?5 IS NULL OR id IN (SELECT value FROM json_each(?5)))
         ORDER BY {expr} {dir}, id {dir} LIMIT ?3 OFFSET ?4"
    );
    let search = q.search.map(super::search::fts_query);
    let needle = q.search.map(|s| s.trim().to_lowercase());
    let mut st = conn.prepare_cached(&sql)?;
    let rows = st.query_map(
        params![search, types_json, q.limit, q.offset, ids_json, needle],
        from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Visitors without conversations, last seen (or created) before `before`.
pub fn stale_visitors(conn: &Connection, before: i64) -> Result<Vec<i64>> {
    let mut st = conn.prepare_cached(
        "SELECT u.id FROM users u WHERE u.user_type = 'visitor'
           AND coalesce(u.last_seen, u.created_at) < ?1
           AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.user_id = u.id)",
    )?;
    let rows = st.query_map([before], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
