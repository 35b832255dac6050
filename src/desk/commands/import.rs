//! `/import <id>`: merge the origin conversation into this one, in one
//! write job. Its messages are copied here (new rows keeping their time,
//! sender, text, files and private flag; `payload.meta._source` = the
//! origin message), each origin message gets `payload.meta._target` = its
//! copy, and the origin is renamed `TRANSFERRED` and archived. Ids follow
//! insertion, so a thread shown by time orders by `created_at`, then id.
//!
//! Refused (409) when the origin is this conversation, was transferred
//! already, has more than `MAX_MESSAGES` messages, or belongs to another
//! contact who shares no email or phone with this one (merging strangers
//! would show one customer another's messages).

use super::{Outcome, Run};
use crate::desk::conversations::retitle;
use crate::desk::Desk;
use crate::domain::Status;
use crate::error::{self, Error, Result};
use crate::store::events::Audience;
use crate::store::users::User;
use crate::store::{conversations as convs, imports, users, Tx};
use serde_json::{json, Value};

/// The most messages one import copies.
pub const MAX_MESSAGES: i64 = 10_000;
/// The title an imported origin gets.
pub const TRANSFERRED: &str = "TRANSFERRED";
const PAGE: i64 = 500;

pub fn import(desk: &Desk, run: &Run) -> Result<Outcome> {
    let arg = run.args.split_whitespace().next().unwrap_or("");
    if arg.is_empty() {
        return Err(
            error::MISSING_ARGUMENTS.with("/import needs the id of the conversation to merge in")
        );
    }
    let origin: i64 = arg.parse().map_err(|_| Error::not_found("conversation"))?;
    desk.conversation(&run.actor, origin)?;
    let run = run.clone();
    desk.store.write(move |tx| merge(tx, &run, origin))
}

fn refuse(why: &str) -> Error {
    error::IMPORT_REFUSED.with(why)
}

fn merge(tx: &mut Tx, run: &Run, origin_id: i64) -> Result<Outcome> {
    let target = convs::get(tx.conn, run.conversation_id)?;
    let origin = convs::get(tx.conn, origin_id)?;
    let actor_id = run.actor.user_id;
    if origin.id == target.id {
        return Err(refuse("a conversation cannot be imported into itself"));
    }
    for (c, which) in [(&origin, "the origin"), (&target, "this conversation")] {
        if imports::transferred(tx.conn, c.id)?
            || (c.title == TRANSFERRED && c.status == Status::Archive)
        {
            return Err(refuse(&format!(
                "{which} (#{}) was transferred already",
                c.id
            )));
        }
    }
    if origin.user_id != target.user_id && !same_person(tx, origin.user_id, target.user_id)? {
        return Err(refuse(
            "the two conversations belong to different contacts who share no email or phone",
        ));
    }
    let n = imports::count(tx.conn, origin.id)?;
    if n > MAX_MESSAGES {
        return Err(refuse(&format!(
            "the origin has {n} messages; at most {MAX_MESSAGES} are imported at once"
        )));
    }
    let mut copied = 0;
    let mut newest = 0;
    let mut after = 0;
    loop {
        let page = imports::page(tx.conn, origin.id, after, PAGE)?;
        for row in &page {
            let by_owner = row.by_owner || row.user_id == Some(target.user_id);
            let copy = imports::copy(
                tx,
                target.id,
                row,
                by_owner,
                &with_meta(&row.payload, "_source", row.id),
            )?;
            imports::set_payload(tx, row.id, &with_meta(&row.payload, "_target", copy))?;
            copied += 1;
            newest = copy;
        }
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => after = last.id,
            _ => break,
        }
    }
    if newest > 0 {
        // The one merging has read what they merged.
        crate::store::staff_reads::set(tx, target.id, actor_id, newest)?;
        convs::touch(tx, target.id)?;
    }
    retitle(tx, &origin, TRANSFERRED, actor_id)?;
    crate::desk::conversations::move_status(
        tx,
        origin.id,
        actor_id,
        origin.status,
        Status::Archive,
    )?;
    let command = run.note(tx, json!({ "origin": origin.id }))?;
    let summary = json!({ "origin": origin.id, "target": target.id, "copied": copied });
    // Everyone in scope: the target's visitor reloads their thread (both
    // conversations are one person's, else the import was refused).
    for id in [origin.id, target.id] {
        tx.emit(
            "conversation.imported",
            Some(id),
            Some(actor_id),
            Audience::Everyone,
            summary.clone(),
        )?;
    }
    let mut out = Outcome::new(command);
    out.result = summary;
    Ok(out)
}

/// `payload` with `meta.<key>` = `id` (a payload or meta that is no object
/// becomes one).
fn with_meta(payload: &Value, key: &str, id: i64) -> Value {
    let mut p = payload.as_object().cloned().unwrap_or_default();
    let mut meta = p
        .get("meta")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    meta.insert(key.into(), json!(id));
    p.insert("meta".into(), Value::Object(meta));
    Value::Object(p)
}

/// Whether two contacts are one person by what they share: the same
/// email address or the same phone number (its digits).
fn same_person(tx: &Tx, a: i64, b: i64) -> Result<bool> {
    let (Some(a), Some(b)) = (users::find(tx.conn, a)?, users::find(tx.conn, b)?) else {
        return Ok(false);
    };
    Ok(shares(&a, &b))
}

fn shares(a: &User, b: &User) -> bool {
    let email = |u: &User| {
        u.email
            .as_deref()
            .map(|e| e.trim().to_lowercase())
            .filter(|e| e.contains('@'))
    };
    let phone = |u: &User| {
        let digits: String = u
            .phone
            .as_deref()
            .unwrap_or("")
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        (digits.len() >= 6).then_some(digits)
    };
    let same = |x: Option<String>, y: Option<String>| x.is_some() && x == y;
    same(email(a), email(b)) || same(phone(a), phone(b))
}
