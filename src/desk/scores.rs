//! Quality scores (Chat2Desk): after a request closes the client rates it
//! on the configured scale (setting `scores`, default 1–5), by buttons in
//! the widget or by a number on channels without buttons; a score can put
//! a tag on the request (`tags` of the setting), which is how Chat2Desk
//! lets an integrator act on low scores (`add_tag_to_request`).

use super::tags::{tag_in, Target};
use super::{Actor, Desk, Role};
use crate::domain::Status;
use crate::error::{self, Error, Result};
use crate::store::conversations as convs;
use crate::store::events::Audience;
use crate::store::scores as rows;
pub use crate::store::scores::Score;
use crate::store::{settings, tags, users, Tx};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The setting's key.
pub const KEY: &str = "scores";
const DEFAULT_SCALE: i64 = 5;
const DEFAULT_QUESTION: &str = "How would you rate this conversation?";
/// A text answer counts within this long of the question.
const TEXT_WINDOW_MS: i64 = 7 * 86_400_000;

/// The setting `scores`, as checked when saved.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Setting {
    #[serde(default)]
    enabled: bool,
    #[serde(default = "default_scale")]
    scale: i64,
    #[serde(default)]
    question: String,
    /// Score (as a string key, JSON's only kind) → tag id.
    #[serde(default)]
    tags: BTreeMap<String, i64>,
}

fn default_scale() -> i64 {
    DEFAULT_SCALE
}

impl Setting {
    /// What is stored (an unreadable value reads as "off").
    fn read(conn: &rusqlite::Connection) -> Result<Setting> {
        let v = settings::get(conn, KEY)?.unwrap_or(Value::Null);
        Ok(serde_json::from_value(v).unwrap_or_else(|_| Setting {
            enabled: false,
            scale: DEFAULT_SCALE,
            question: String::new(),
            tags: BTreeMap::new(),
        }))
    }
    fn question(&self) -> &str {
        match self.question.trim() {
            "" => DEFAULT_QUESTION,
            q => q,
        }
    }
    /// The tag a score puts on the request, when it still exists.
    fn tag_for(&self, conn: &rusqlite::Connection, score: i64) -> Option<i64> {
        let id = *self.tags.get(&score.to_string())?;
        tags::get(conn, id).is_ok().then_some(id)
    }
}

/// The setting as an admin saves it: its shape, a scale of 2 to 10, a
/// question of one line (at most 300 characters), tags for scores on the
/// scale; the value stored, with its defaults filled in.
fn checked(v: &Value) -> Result<(Value, Vec<i64>)> {
    let bad = |why: &str| error::INVALID_SCORES_SETTING.with(format!("scores: {why}"));
    let s: Setting = serde_json::from_value(v.clone()).map_err(|e| bad(&e.to_string()))?;
    if !(2..=10).contains(&s.scale) {
        return Err(bad("scale must be 2 to 10"));
    }
    let question = super::text::clean_label("question", s.question.trim())
        .map_err(|_| bad("question must be one line"))?;
    if question.chars().count() > 300 {
        return Err(bad("question is longer than 300 characters"));
    }
    let mut tags = Map::new();
    for (k, id) in &s.tags {
        let score: i64 = k.parse().map_err(|_| bad("tags' keys are scores"))?;
        if !(1..=s.scale).contains(&score) || k != &score.to_string() {
            return Err(bad(&format!("{k:?} is not a score on the scale")));
        }
        tags.insert(k.clone(), json!(id));
    }
    let ids = s.tags.values().copied().collect();
    let v = json!({ "enabled": s.enabled, "scale": s.scale, "question": question, "tags": tags });
    Ok((v, ids))
}

/// A deleted tag leaves the setting (in the tag's job): a later tag could
/// get its id again (SQLite reuses the highest rowid).
pub(super) fn forget_tag(tx: &mut Tx, tag_id: i64, actor_id: i64) -> Result<()> {
    let Some(mut v) = settings::get(tx.conn, KEY)? else {
        return Ok(());
    };
    let Some(map) = v.get_mut("tags").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    let before = map.len();
    map.retain(|_, id| id.as_i64() != Some(tag_id));
    if map.len() == before {
        return Ok(());
    }
    settings::set(tx, KEY, &v)?;
    tx.emit(
        "settings.updated",
        None,
        Some(actor_id),
        Audience::Staff,
        json!({ "keys": [KEY] }),
    )?;
    Ok(())
}

/// A bare number (digits only, spaces around), as a client types a score.
fn bare_number(text: &str) -> Option<i64> {
    let t = text.trim();
    if t.is_empty() || t.len() > 2 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// Called by `conversations::move_status` in the job of every status
/// change: when a request is archived (closed; the trash is for spam and
/// is never asked) and scores are enabled, its client is asked, once: the
/// widget by `conversation.score_asked` (buttons), any other source by a
/// bot message that leaves on its channel. A platform whose reply window
/// has closed is not asked (the question could not leave), nor is a
/// blocked contact.
pub(crate) fn after_status(
    tx: &mut Tx,
    conversation_id: i64,
    actor_id: i64,
    before: Status,
    now: Status,
) -> Result<()> {
    if now != Status::Archive || before.is_closed() {
        return Ok(());
    }
    let setting = Setting::read(tx.conn)?;
    if !setting.enabled {
        return Ok(());
    }
    let conv = convs::get(tx.conn, conversation_id)?;
    if crate::store::blocks::blocking(tx.conn, Some(conv.user_id), None)?.is_some() {
        // `/block` archives: a blocked contact is not asked anything.
        return Ok(());
    }
    if !conv.source.is_empty() && !super::channel_out::can_send_text(tx, &conv.source, conv.id)? {
        return Ok(());
    }
    if !rows::ask(tx, conv.id, conv.user_id, setting.scale)? {
        return Ok(());
    }
    let question = setting.question().to_string();
    if conv.source.is_empty() {
        tx.emit(
            "conversation.score_asked",
            Some(conv.id),
            Some(actor_id),
            Audience::Everyone,
            json!({ "scale": setting.scale, "question": question }),
        )?;
        return Ok(());
    }
    ask_by_text(tx, conv.id, actor_id, &question, setting.scale)
}

/// The question as a bot message (through `insert_message`, so it leaves
/// on the conversation's channel), leaving the request closed.
fn ask_by_text(tx: &mut Tx, id: i64, actor_id: i64, question: &str, scale: i64) -> Result<()> {
    let bot = users::by_external_id(tx.conn, "frontporch:bot")?
        .ok_or_else(|| Error::internal("the bot user is missing"))?;
    let mut payload = Map::new();
    payload.insert("score".into(), json!({ "scale": scale }));
    let prepared = super::messages::Prepared {
        input: super::messages::MessageInput {
            body: format!("{question}\nReply with a number from 1 to {scale}."),
            payload: Some(payload),
            keep_status: true,
            literal: true,
            ..Default::default()
        },
        sender: bot.id,
        status: None,
    };
    let head = convs::head(tx.conn, id)?;
    super::messages::insert_message(tx, &head, actor_id, true, prepared)?;
    Ok(())
}

/// A client's text message on a channel without buttons, before it is
/// imported: when the client's newest request with `source` was asked
/// for a score and `text` is a number on its scale, it is recorded as the
/// score and true is returned (the message is consumed, nothing else is
/// imported or reopened). A request reopened since is not answering the
/// question any more: its numbers are messages. Part B's Chat2Desk inbox calls this; the
/// platforms and mail, which record the request, `take_text_score_in`.
pub(crate) fn take_text_score(
    tx: &mut Tx,
    contact_id: i64,
    source: &str,
    text: &str,
) -> Result<bool> {
    Ok(take_text_score_in(tx, contact_id, source, text)?.is_some())
}

/// `take_text_score`, answering the request scored.
pub(crate) fn take_text_score_in(
    tx: &mut Tx,
    contact_id: i64,
    source: &str,
    text: &str,
) -> Result<Option<i64>> {
    let Some(n) = bare_number(text) else {
        return Ok(None);
    };
    let Some(row) = rows::newest_of(tx.conn, contact_id, source)? else {
        return Ok(None);
    };
    let fresh = tx.now - row.asked_at <= TEXT_WINDOW_MS;
    if row.score.is_some() || !fresh || !(1..=row.scale).contains(&n) {
        return Ok(None);
    }
    if !convs::head(tx.conn, row.conversation_id)?
        .status
        .is_closed()
    {
        // Reopened since it was asked: the number answers whatever was
        // said since ("how many printers?" "3"), a message to import.
        return Ok(None);
    }
    record(tx, &row, n, contact_id)?;
    Ok(Some(row.conversation_id))
}

/// Records score `n` of an asked request: `conversation.scored`, and the
/// tag the setting maps the score to (`conversation.tag_added`).
fn record(tx: &mut Tx, row: &Score, n: i64, actor_id: i64) -> Result<()> {
    if !rows::set(tx, row.conversation_id, n)? {
        return Err(error::ALREADY_SCORED.err());
    }
    let tag = Setting::read(tx.conn)?.tag_for(tx.conn, n);
    let owner = convs::head(tx.conn, row.conversation_id)?.user_id;
    tx.emit(
        "conversation.scored",
        Some(row.conversation_id),
        Some(actor_id),
        Audience::Everyone,
        json!({ "score": n, "scale": row.scale, "tag_id": tag, "user_id": owner }),
    )?;
    if let Some(t) = tag {
        tag_in(tx, Target::Request(row.conversation_id), t, Some(actor_id))?;
    }
    Ok(())
}

/// What a visitor sends to score their conversation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreInput {
    pub score: i64,
}

impl Desk {
    /// A request's score row (staff, or the conversation's own visitor):
    /// None when its client was never asked.
    pub fn score(&self, actor: &Actor, conversation_id: i64) -> Result<Option<Score>> {
        self.conversation(actor, conversation_id)?;
        self.store.read(|c| rows::get(c, conversation_id))
    }

    /// The question the client is asked (the setting's, else the default).
    pub fn score_question(&self) -> Result<String> {
        let s = self.store.read(Setting::read)?;
        Ok(s.question().to_string())
    }

    /// The conversation's own visitor scores it: once, after being asked,
    /// on its scale.
    pub fn give_score(&self, actor: &Actor, conversation_id: i64, n: i64) -> Result<Score> {
        if actor.role != Role::Visitor {
            return Err(Error::forbidden("only the client scores a request"));
        }
        self.conversation(actor, conversation_id)?;
        let actor_id = actor.user_id;
        self.store.write(move |tx| {
            let row =
                rows::get(tx.conn, conversation_id)?.ok_or_else(|| error::SCORE_NOT_ASKED.err())?;
            if row.score.is_some() {
                return Err(error::ALREADY_SCORED.err());
            }
            if !(1..=row.scale).contains(&n) {
                return Err(error::INVALID_SCORE.with(format!(
                    "score must be a whole number from 1 to {}",
                    row.scale
                )));
            }
            record(tx, &row, n, actor_id)?;
            rows::get(tx.conn, conversation_id)?.ok_or_else(|| Error::not_found("score"))
        })
    }

    /// The hook of `save_settings`: `scores` checked (its tags must exist)
    /// and stored with its defaults filled in.
    pub(super) fn prepare_scores_setting(&self, values: &mut Map<String, Value>) -> Result<()> {
        let Some(v) = values.get_mut(KEY).filter(|v| !v.is_null()) else {
            return Ok(());
        };
        let (clean, ids) = checked(v)?;
        for id in ids {
            self.store
                .read(|c| tags::get(c, id))
                .map_err(|_| error::INVALID_SCORES_SETTING.with(format!("scores: no tag {id}")))?;
        }
        *v = clean;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_bare() {
        assert_eq!(bare_number(" 4 "), Some(4));
        assert_eq!(bare_number("10"), Some(10));
        for t in ["", "4.", "four", "4 stars", "-1", "100", "+3"] {
            assert_eq!(bare_number(t), None, "{t}");
        }
    }

    #[test]
    fn setting_is_checked() {
        let (v, ids) = checked(&json!({ "enabled": true, "tags": { "1": 7 } })).unwrap();
        assert_eq!(v["scale"], 5);
        assert_eq!(ids, vec![7]);
        for bad in [
            json!({ "scale": 1 }),
            json!({ "scale": 11 }),
            json!({ "tags": { "6": 1 } }),
            json!({ "tags": { "01": 1 } }),
            json!({ "colour": "red" }),
            json!({ "question": "two\nlines" }),
        ] {
            assert!(checked(&bad).is_err(), "{bad}");
        }
    }
}
