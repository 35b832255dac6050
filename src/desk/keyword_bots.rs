//! Keyword bots (Chat2Desk's chat bots): sets of keywords that, found as
//! whole words in a client's message (any case, any script), run their
//! steps in the job of that message. A bot runs at most once per request
//! within its cool-down, and a bot's own messages never trigger bots (they
//! are the bot's, not the contact's). The self-service menu goes first:
//! while it waits for a choice, no keyword bot runs.

use super::steps::{self, Step};
use super::{Actor, Desk};
use crate::error::{self, Result};
use crate::store::conversations::Head;
use crate::store::events::Audience;
use crate::store::keyword_bots::{self as store, Fields};
use crate::store::messages::Message;
use crate::store::Tx;
use serde::Deserialize;
use serde_json::{json, Value};

/// Keywords one bot may have, at most.
const MAX_KEYWORDS: usize = 50;
/// Bots that may answer one message, at most.
const MAX_PER_MESSAGE: usize = 3;
/// The longest cool-down: a week.
const MAX_COOLDOWN_S: i64 = 7 * 24 * 3600;

/// A bot as an admin sends it; PATCH changes the fields given.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeywordBotInput {
    pub name: Option<String>,
    pub keywords: Option<Vec<String>>,
    pub steps: Option<Value>,
    pub cooldown_s: Option<i64>,
    pub enabled: Option<bool>,
}

impl Desk {
    /// Every keyword bot (staff).
    pub fn keyword_bots(&self, actor: &Actor) -> Result<Vec<Value>> {
        actor.require_staff()?;
        self.store.read(|c| store::list(c, false))
    }

    /// A new keyword bot (admins): `keyword_bot.created` for staff.
    pub fn create_keyword_bot(&self, actor: &Actor, input: KeywordBotInput) -> Result<Value> {
        actor.require_admin()?;
        let actor_id = actor.user_id;
        let draft = Draft::check(input, None)?;
        self.store.write(move |tx| {
            if store::count(tx.conn)? >= store::MAX {
                return Err(error::TOO_MANY_KEYWORD_BOTS.err());
            }
            steps::check_ids(tx.conn, &draft.steps)?;
            let b = store::insert(tx, &draft.fields())?;
            tx.emit(
                "keyword_bot.created",
                None,
                Some(actor_id),
                Audience::Staff,
                json!({ "keyword_bot": b }),
            )?;
            Ok(b)
        })
    }

    /// Changes the fields given (admins): `keyword_bot.updated`.
    pub fn update_keyword_bot(
        &self,
        actor: &Actor,
        id: i64,
        input: KeywordBotInput,
    ) -> Result<Value> {
        actor.require_admin()?;
        let actor_id = actor.user_id;
        let before = self.store.read(|c| store::get(c, id))?;
        let draft = Draft::check(input, Some(&before))?;
        self.store.write(move |tx| {
            steps::check_ids(tx.conn, &draft.steps)?;
            let b = store::update(tx, id, &draft.fields())?;
            tx.emit(
                "keyword_bot.updated",
                None,
                Some(actor_id),
                Audience::Staff,
                json!({ "keyword_bot": b }),
            )?;
            Ok(b)
        })
    }

    /// Deletes a keyword bot (admins): `keyword_bot.deleted`.
    pub fn delete_keyword_bot(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.require_admin()?;
        let actor_id = actor.user_id;
        self.store.write(move |tx| {
            store::delete(tx, id)?;
            tx.emit(
                "keyword_bot.deleted",
                None,
                Some(actor_id),
                Audience::Staff,
                json!({ "keyword_bot_id": id }),
            )
            .map(drop)
        })
    }
}

/// A bot's fields, checked.
struct Draft {
    name: String,
    keywords: Value,
    steps: Vec<Step>,
    steps_json: Value,
    cooldown_s: i64,
    enabled: bool,
}

impl Draft {
    /// The input over `before` (a PATCH), checked.
    fn check(input: KeywordBotInput, before: Option<&Value>) -> Result<Draft> {
        let bad = || error::INVALID_KEYWORD_BOT.err();
        let was = |k: &str| before.map(|b| b[k].clone()).unwrap_or(Value::Null);
        let name = match input.name {
            Some(n) => n,
            None => was("name").as_str().unwrap_or("").to_string(),
        };
        let name = super::text::clean_label("name", name.trim()).map_err(|_| bad())?;
        if name.is_empty() || name.chars().count() > 80 {
            return Err(bad());
        }
        let keywords = match input.keywords {
            Some(k) => k,
            None => serde_json::from_value(was("keywords")).unwrap_or_default(),
        };
        let mut clean = Vec::new();
        for k in &keywords {
            let k = super::text::clean_label("keyword", k.trim()).map_err(|_| bad())?;
            if k.chars().count() > 100 || words(&k).is_empty() {
                return Err(bad());
            }
            if !clean.contains(&k) {
                clean.push(k);
            }
        }
        if clean.is_empty() || clean.len() > MAX_KEYWORDS {
            return Err(bad());
        }
        let steps = match input.steps {
            Some(s) => steps::parse(&s, false, false)?,
            None => steps::stored(&was("steps")),
        };
        let cooldown_s = input
            .cooldown_s
            .or(was("cooldown_s").as_i64())
            .unwrap_or(3600);
        if !(0..=MAX_COOLDOWN_S).contains(&cooldown_s) {
            return Err(bad());
        }
        let enabled = input.enabled.or(was("enabled").as_bool()).unwrap_or(true);
        Ok(Draft {
            name,
            keywords: json!(clean),
            steps_json: json!(steps),
            steps,
            cooldown_s,
            enabled,
        })
    }

    fn fields(&self) -> Fields<'_> {
        Fields {
            name: &self.name,
            keywords: &self.keywords,
            steps: &self.steps_json,
            cooldown_s: self.cooldown_s,
            enabled: self.enabled,
        }
    }
}

/// A text's words: runs of letters and digits (any script), lowercased;
/// in the scripts written without spaces between words (Chinese,
/// Japanese, Thai, Lao, Khmer, Myanmar) and Korean's syllables, which
/// take their particles without a space, each character is a word of its
/// own, so a keyword is found inside a run ("价格" in "请问价格是多少").
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() && !unspaced(c) {
            word.extend(c.to_lowercase());
            continue;
        }
        if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if unspaced(c) && c.is_alphanumeric() {
            out.push(c.to_string());
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// A character of a script written without spaces between words.
fn unspaced(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF // Thai, Lao
        | 0x1000..=0x109F // Myanmar
        | 0x1780..=0x17FF // Khmer
        | 0x3040..=0x30FF // Hiragana, Katakana
        | 0x31F0..=0x31FF // Katakana extensions
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK ideographs
        | 0xAC00..=0xD7AF // Hangul syllables
        | 0xF900..=0xFAFF // CJK compatibility ideographs
        | 0xFF66..=0xFF9F // halfwidth Katakana
        | 0x20000..=0x3FFFF) // CJK extensions B and later
}

/// Whether `keyword` (a word or a phrase) is in the message's words, whole.
fn matches(message: &[String], keyword: &str) -> bool {
    let phrase = words(keyword);
    !phrase.is_empty()
        && message.len() >= phrase.len()
        && message
            .windows(phrase.len())
            .any(|w| w == phrase.as_slice())
}

/// `matches`, after a look in the message's set of words.
fn found(message: &[String], seen: &std::collections::HashSet<&str>, keyword: &str) -> bool {
    words(keyword).iter().all(|w| seen.contains(w.as_str())) && matches(message, keyword)
}

/// The hook `insert_message` calls for a public message by the
/// conversation's own contact: the menu first, then the keyword bots.
pub fn on_client_message(tx: &mut Tx, conv: &Head, message: &Message) -> Result<()> {
    if message.private || message.user_id != Some(conv.user_id) {
        return Ok(());
    }
    if super::menu::on_client_message(tx, conv, message)? {
        return Ok(());
    }
    let said = words(&message.body);
    if said.is_empty() {
        return Ok(());
    }
    // Every keyword of up to 100 bots meets the message: a phrase is
    // looked for word by word only when each of its words is in it.
    let seen: std::collections::HashSet<&str> = said.iter().map(String::as_str).collect();
    let bot_id = steps::bot_id(tx)?;
    let mut ran = 0;
    for bot in store::list(tx.conn, true)? {
        if ran == MAX_PER_MESSAGE {
            break;
        }
        let keywords: Vec<String> =
            serde_json::from_value(bot["keywords"].clone()).unwrap_or_default();
        if !keywords.iter().any(|k| found(&said, &seen, k)) {
            continue;
        }
        let id = bot["id"].as_i64().unwrap_or(0);
        let cooldown_ms = bot["cooldown_s"].as_i64().unwrap_or(0) * 1000;
        if store::last_run(tx.conn, conv.id, id)?.is_some_and(|at| tx.now - at < cooldown_ms) {
            continue;
        }
        store::set_run(tx, conv.id, id)?;
        let run = steps::Run {
            conversation_id: conv.id,
            actor_id: bot_id,
            bot_id,
            origin: "keyword",
        };
        steps::run(tx, &run, &steps::stored(&bot["steps"]))?;
        ran += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_whole_words_in_any_case_and_script() {
        let m = words("What is the PRICE, please?");
        assert!(matches(&m, "price"));
        assert!(!matches(&words("priceless advice"), "price"));
        assert!(matches(&words("Какая ЦЕНА доставки?"), "цена"));
        assert!(matches(&words("Какая цена доставки?"), "ЦЕНА"));
        assert!(matches(
            &words("when is the opening hours?"),
            "Opening  hours"
        ));
        assert!(!matches(&words("opening the hours"), "opening hours"));
        assert!(matches(&words("配送 料金"), "料金"));
        assert!(!matches(&words("anything"), "!!!"));
    }

    #[test]
    fn keywords_are_found_in_scripts_written_without_spaces() {
        assert!(matches(&words("请问价格是多少？"), "价格"));
        assert!(matches(&words("配送料金はいくらですか"), "料金"));
        assert!(matches(&words("ราคาเท่าไหร่ครับ"), "ราคา"));
        assert!(matches(&words("배송비는 얼마예요?"), "배송"));
        assert!(!matches(&words("请问时间是多少？"), "价格"));
        // Latin words beside them are still whole words.
        assert!(matches(&words("iPhone价格"), "iphone"));
        assert!(!matches(&words("priceless价格"), "price"));
    }
}
