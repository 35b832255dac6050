//! `/set`: conversation properties (`@name`, `@category`, `@touchpoint`,
//! `@language`) and meta (ChatShipper's `conversation.meta` is our
//! `conversations.extra`). `@name` is the title; the other properties are
//! the reserved keys `_category` (a slot of the department's categories),
//! `_touchpoint` and `_language`, which only `/set @...` writes.

use super::{Outcome, Run};
use crate::desk::conversations::{clean_title, merge_extra, retitle};
use crate::desk::touchpoint::TOUCHPOINTS;
use crate::desk::Desk;
use crate::error::{self, Result};
use crate::store::{conversations as convs, departments};
use serde_json::{json, Map, Value};

/// What one `/set` changes, checked before the write job.
#[derive(Debug, Default, Clone)]
struct Change {
    title: Option<String>,
    /// `@category` as typed: a slot number or a name, resolved in the job.
    category: Option<String>,
    extra: Map<String, Value>,
}

/// The longest key of `/set key value` and of `meta`.
const MAX_KEY: usize = 64;

pub fn set(desk: &Desk, run: &Run) -> Result<Outcome> {
    let change = parse(&run.args, &run.meta)?;
    let run = run.clone();
    desk.store.write(move |tx| {
        let id = run.conversation_id;
        let actor_id = run.actor.user_id;
        let before = convs::get(tx.conn, id)?;
        let mut extra = change.extra;
        if let Some(wanted) = &change.category {
            let slot = category_slot(tx.conn, before.department_id, wanted)?;
            extra.insert("_category".into(), json!(slot));
        }
        if let Some(t) = &change.title {
            retitle(tx, &before, t, actor_id)?;
        }
        let meta = if extra.is_empty() {
            before.extra.clone()
        } else {
            merge_extra(tx, &before, extra, actor_id)?
        };
        let command = run.note(tx, Value::Null)?;
        let title = change.title.unwrap_or(before.title);
        let mut out = Outcome::new(command);
        out.result = json!({ "title": title, "meta": meta });
        Ok(out)
    })
}

/// Reads `/set`'s arguments and `meta` into a change, or 400.
fn parse(args: &str, meta: &Map<String, Value>) -> Result<Change> {
    let mut change = Change::default();
    for (k, v) in meta {
        check_key(k)?;
        change.extra.insert(k.clone(), v.clone());
    }
    let (word, value) = match args.find(char::is_whitespace) {
        Some(i) => (&args[..i], args[i..].trim()),
        None => (args, ""),
    };
    if let Some(property) = word.strip_prefix('@') {
        property_change(&mut change, &property.to_lowercase(), value)?;
    } else if !word.is_empty() {
        check_key(word)?;
        if value.is_empty() {
            return Err(error::INVALID_PROPERTY.with(format!("/set {word} needs a value")));
        }
        crate::desk::check_len("value", value, 1000)?;
        change.extra.insert(word.to_string(), json!(value));
    } else if meta.is_empty() {
        return Err(error::INVALID_PROPERTY.err());
    }
    Ok(change)
}

/// `@property value` into `change`.
fn property_change(change: &mut Change, property: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(error::INVALID_PROPERTY.with(format!("/set @{property} needs a value")));
    }
    match property {
        "name" => change.title = Some(clean_title(value)?),
        "category" => {
            crate::desk::check_len("category", value, 200)?;
            change.category = Some(value.to_string());
        }
        "touchpoint" => {
            let t = value.to_lowercase();
            if !TOUCHPOINTS.contains(&t.as_str()) {
                return Err(
                    error::INVALID_PROPERTY.with("@touchpoint is one of web, email, sms, facebook")
                );
            }
            change.extra.insert("_touchpoint".into(), json!(t));
        }
        "language" => {
            let ok = value.len() == 2 && value.bytes().all(|b| b.is_ascii_lowercase());
            if !ok {
                return Err(error::INVALID_PROPERTY
                    .with("@language is a two-letter lowercase code (en, de, fr...)"));
            }
            change.extra.insert("_language".into(), json!(value));
        }
        _ => {
            return Err(error::INVALID_PROPERTY.with(format!(
                "@{property} is no property: @name, @category, @touchpoint or @language"
            )))
        }
    }
    Ok(())
}

/// A meta key: 1 to 64 characters, not starting with `_` (Frontporch's own).
fn check_key(key: &str) -> Result<()> {
    let n = key.chars().count();
    if n == 0 || n > MAX_KEY || key.starts_with('_') || key.chars().any(char::is_control) {
        return Err(error::INVALID_META_KEY.with(format!(
            "{:?}: a meta key is 1 to {MAX_KEY} characters and does not start with _",
            key.chars().take(80).collect::<String>()
        )));
    }
    Ok(())
}

/// The slot of `wanted` (a zero-based number, or a name in any case)
/// among the categories of the conversation's department.
fn category_slot(
    conn: &rusqlite::Connection,
    department: Option<i64>,
    wanted: &str,
) -> Result<usize> {
    let Some(department) = department else {
        return Err(error::NO_CATEGORIES.err());
    };
    let names = departments::categories(conn, department)?;
    let slot = match wanted.parse::<usize>() {
        Ok(n) => (n < names.len()).then_some(n),
        Err(_) => names
            .iter()
            .position(|c| c.to_lowercase() == wanted.to_lowercase()),
    };
    slot.ok_or_else(|| {
        let choices: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{i} {c}"))
            .collect();
        let choices = if choices.is_empty() {
            "the department has no categories".to_string()
        } else {
            format!("the choices are: {}", choices.join(", "))
        };
        error::UNKNOWN_CATEGORY.with(format!("no category {wanted:?}; {choices}"))
    })
}
