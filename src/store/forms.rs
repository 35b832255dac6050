//! Forms (ChatShipper's forms per category), the forms being filled in a
//! conversation (`conversation_forms`) and the results `/send` made of
//! them (`conversation_results`), migration 014.

use super::tx::Tx;
use super::{found, json_col};
use crate::error::Result;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde_json::Value;

/// The most forms an install keeps (each conversation can hold each once).
pub const MAX_FORMS: i64 = 200;
/// The most results a conversation's readers are shown (newest kept).
pub const MAX_RESULTS: i64 = 200;

/// A form as an admin defined it.
#[derive(Debug, Clone)]
pub struct Form {
    pub id: i64,
    /// `None`: offered in every department.
    pub department_id: Option<i64>,
    /// `""`: offered in every category.
    pub category: String,
    pub name: String,
    /// `[{name, label, type, required, options}]`, checked by the desk.
    pub fields: Value,
    /// Addresses the results are emailed to.
    pub email_to: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What an admin writes; checked by the desk.
pub struct FormInput<'a> {
    pub department_id: Option<i64>,
    pub category: &'a str,
    pub name: &'a str,
    pub fields: &'a Value,
    pub email_to: &'a Value,
}

const FORM_COLS: &str =
    "id, department_id, category, name, fields, email_to, created_at, updated_at";

fn form(r: &Row) -> rusqlite::Result<Form> {
    Ok(Form {
        id: r.get(0)?,
        department_id: r.get(1)?,
        category: r.get(2)?,
        name: r.get(3)?,
        fields: json_col(r.get(4)?),
        email_to: json_col(r.get(5)?),
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
    })
}

/// Every form, by name (at most `MAX_FORMS` exist).
pub fn list(conn: &Connection) -> Result<Vec<Form>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {FORM_COLS} FROM forms ORDER BY name COLLATE NOCASE, id LIMIT {MAX_FORMS}"
    ))?;
    let rows = st.query_map([], form)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn count(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("SELECT count(*) FROM forms", [], |r| r.get(0))?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Form> {
    found(
        conn.prepare_cached(&format!("SELECT {FORM_COLS} FROM forms WHERE id = ?1"))?
            .query_row([id], form),
        "form",
    )
}

pub fn insert(tx: &Tx, f: &FormInput) -> Result<Form> {
    tx.conn.execute(
        "INSERT INTO forms (department_id, category, name, fields, email_to, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![
            f.department_id,
            f.category,
            f.name,
            f.fields.to_string(),
            f.email_to.to_string(),
            tx.now
        ],
    )?;
    get(tx.conn, tx.conn.last_insert_rowid())
}

pub fn update(tx: &Tx, id: i64, f: &FormInput) -> Result<Form> {
    get(tx.conn, id)?;
    tx.conn.execute(
        "UPDATE forms SET department_id = ?2, category = ?3, name = ?4, fields = ?5,
         email_to = ?6, updated_at = ?7 WHERE id = ?1",
        params![
            id,
            f.department_id,
            f.category,
            f.name,
            f.fields.to_string(),
            f.email_to.to_string(),
            tx.now
        ],
    )?;
    get(tx.conn, id)
}

/// Deletes a form; the conversations filling it lose it (cascade), the
/// results made of it keep their copy (`form_id` becomes NULL).
pub fn delete(tx: &Tx, id: i64) -> Result<()> {
    get(tx.conn, id)?;
    tx.conn.execute("DELETE FROM forms WHERE id = ?1", [id])?;
    Ok(())
}

/// A form open in a conversation, and its answers so far.
#[derive(Debug, Clone)]
pub struct Filled {
    pub form_id: i64,
    /// `{field name: value}`.
    pub answers: Value,
    pub completed_at: Option<i64>,
    pub updated_by: Option<i64>,
    pub updated_at: i64,
}

const FILLED_COLS: &str = "form_id, answers, completed_at, updated_by, updated_at";

fn filled_row(r: &Row) -> rusqlite::Result<Filled> {
    Ok(Filled {
        form_id: r.get(0)?,
        answers: json_col(r.get(1)?),
        completed_at: r.get(2)?,
        updated_by: r.get(3)?,
        updated_at: r.get(4)?,
    })
}

/// The forms open in a conversation, by form id (bounded: one row per
/// form at most).
pub fn filled(conn: &Connection, conversation_id: i64) -> Result<Vec<Filled>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT {FILLED_COLS} FROM conversation_forms WHERE conversation_id = ?1
         ORDER BY form_id LIMIT {MAX_FORMS}"
    ))?;
    let rows = st.query_map([conversation_id], filled_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn filled_one(conn: &Connection, conversation_id: i64, form_id: i64) -> Result<Option<Filled>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {FILLED_COLS} FROM conversation_forms WHERE conversation_id = ?1 AND form_id = ?2"
        ))?
        .query_row([conversation_id, form_id], filled_row)
        .optional()?)
}

/// Opens a form in a conversation with no answers; false when it is open already.
pub fn open(tx: &Tx, conversation_id: i64, form_id: i64, by: i64) -> Result<bool> {
    let n = tx.conn.execute(
        "INSERT OR IGNORE INTO conversation_forms (conversation_id, form_id, answers, updated_by, updated_at)
         VALUES (?1, ?2, '{}', ?3, ?4)",
        params![conversation_id, form_id, by, tx.now],
    )?;
    Ok(n == 1)
}

pub fn save_answers(
    tx: &Tx,
    conversation_id: i64,
    form_id: i64,
    answers: &Value,
    completed_at: Option<i64>,
    by: i64,
) -> Result<()> {
    tx.conn.execute(
        "UPDATE conversation_forms SET answers = ?3, completed_at = ?4, updated_by = ?5, updated_at = ?6
         WHERE conversation_id = ?1 AND form_id = ?2",
        params![
            conversation_id,
            form_id,
            answers.to_string(),
            completed_at,
            by,
            tx.now
        ],
    )?;
    Ok(())
}

pub fn remove_filled(tx: &Tx, conversation_id: i64, form_id: i64) -> Result<()> {
    tx.conn.execute(
        "DELETE FROM conversation_forms WHERE conversation_id = ?1 AND form_id = ?2",
        [conversation_id, form_id],
    )?;
    Ok(())
}

/// A form's answers as `/send` kept them.
#[derive(Debug, Clone)]
pub struct Sent {
    pub id: i64,
    pub form_id: Option<i64>,
    pub form_name: String,
    /// `[{key, label, value}]`, in the form's field order when sent.
    pub answers: Value,
    pub message_id: Option<i64>,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

const SENT_COLS: &str = "id, form_id, form_name, answers, message_id, created_by, created_at";

fn sent_row(r: &Row) -> rusqlite::Result<Sent> {
    Ok(Sent {
        id: r.get(0)?,
        form_id: r.get(1)?,
        form_name: r.get(2)?,
        answers: json_col(r.get(3)?),
        message_id: r.get(4)?,
        created_by: r.get(5)?,
        created_at: r.get(6)?,
    })
}

pub fn insert_result(
    tx: &Tx,
    conversation_id: i64,
    form_id: i64,
    form_name: &str,
    answers: &Value,
    by: i64,
) -> Result<i64> {
    tx.conn.execute(
        "INSERT INTO conversation_results (conversation_id, form_id, form_name, answers, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![conversation_id, form_id, form_name, answers.to_string(), by, tx.now],
    )?;
    Ok(tx.conn.last_insert_rowid())
}

/// Links results to the message that announced them.
pub fn set_result_message(tx: &Tx, ids: &[i64], message_id: i64) -> Result<()> {
    let mut st = tx
        .conn
        .prepare_cached("UPDATE conversation_results SET message_id = ?2 WHERE id = ?1")?;
    for id in ids {
        st.execute([*id, message_id])?;
    }
    Ok(())
}

/// A conversation's results, oldest first (the newest `MAX_RESULTS`).
pub fn results(conn: &Connection, conversation_id: i64) -> Result<Vec<Sent>> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT * FROM (SELECT {SENT_COLS} FROM conversation_results WHERE conversation_id = ?1
         ORDER BY id DESC LIMIT {MAX_RESULTS}) ORDER BY id"
    ))?;
    let rows = st.query_map([conversation_id], sent_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
