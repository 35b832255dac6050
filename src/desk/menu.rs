//! The self-service menu (Chat2Desk's): the setting `menu` offered by the
//! bot to a new client's first request, once per request (`menu_state`).
//! The widget shows its items as buttons (`payload.menu`), other channels
//! get them as numbered text; a choice (the number, or the item's label)
//! sends the item's reply and runs its steps (tag, department, handover);
//! an unknown answer repeats the menu once, then the request is handed to
//! an agent. While the menu waits for a choice, keyword bots do not run.

use super::steps::{self, Step};
use super::Desk;
use crate::error::{self, Result};
use crate::store::conversations::Head;
use crate::store::menu as store;
use crate::store::messages::Message;
use crate::store::{settings, Tx};
use serde::Deserialize;
use serde_json::{json, Map, Value};

pub const KEY: &str = "menu";
const MAX_ITEMS: usize = 9;

/// The setting `menu`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Menu {
    #[serde(default)]
    pub enabled: bool,
    pub text: String,
    pub items: Vec<Item>,
    #[serde(default)]
    pub handover_text: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub reply: Option<String>,
    #[serde(default)]
    pub steps: Value,
}

impl Desk {
    /// Checks the setting `menu` as an admin saves it (`save_settings`):
    /// its shape, texts, keys `1`..`9` each once, and its steps' ids.
    pub(super) fn check_menu(&self, v: &Value) -> Result<()> {
        let m = parse(v)?;
        let mut all = Vec::new();
        for item in &m.items {
            all.extend(item_steps(item)?);
        }
        self.store
            .read(|c| steps::check_ids(c, &all))
            .map_err(|e| error::INVALID_MENU.with(format!("menu: {}", e.message)))
    }
}

fn parse(v: &Value) -> Result<Menu> {
    let bad = |m: String| error::INVALID_MENU.with(format!("menu: {m}"));
    let m: Menu = serde_json::from_value(v.clone()).map_err(|e| bad(e.to_string()))?;
    let text_ok = |t: &str, max: usize| (1..=max).contains(&t.trim().chars().count());
    if !text_ok(&m.text, steps::MAX_TEXT) {
        return Err(bad("text must be 1 to 2000 characters".into()));
    }
    if m.items.is_empty() || m.items.len() > MAX_ITEMS {
        return Err(bad(format!("1 to {MAX_ITEMS} items")));
    }
    for (i, item) in m.items.iter().enumerate() {
        let key_ok = item.key.len() == 1 && item.key.chars().all(|c| ('1'..='9').contains(&c));
        if !key_ok || m.items[..i].iter().any(|o| o.key == item.key) {
            return Err(bad(format!(
                "item {}: key is one of \"1\"..\"9\", each once",
                i + 1
            )));
        }
        if !text_ok(&item.label, 100) || item.label.chars().any(char::is_control) {
            return Err(bad(format!(
                "item {}: label must be 1 to 100 characters",
                i + 1
            )));
        }
        if item
            .reply
            .as_deref()
            .is_some_and(|r| !text_ok(r, steps::MAX_TEXT))
        {
            return Err(bad(format!(
                "item {}: reply must be 1 to 2000 characters",
                i + 1
            )));
        }
        item_steps(item).map_err(|e| bad(format!("item {}: {}", i + 1, e.message)))?;
    }
    if m.handover_text
        .as_deref()
        .is_some_and(|t| !t.is_empty() && !text_ok(t, steps::MAX_TEXT))
    {
        return Err(bad("handover_text must be at most 2000 characters".into()));
    }
    Ok(m)
}

fn item_steps(item: &Item) -> Result<Vec<Step>> {
    match &item.steps {
        Value::Null => Ok(Vec::new()),
        v => steps::parse(v, false, false),
    }
}

/// The menu as set, when it is enabled and still reads.
fn current(tx: &Tx) -> Result<Option<Menu>> {
    Ok(settings::get(tx.conn, KEY)?
        .and_then(|v| parse(&v).ok())
        .filter(|m| m.enabled))
}

/// The menu's turn with a client's message; true when it took the message
/// (offered, answered, repeated or handed over), so no keyword bot runs.
pub(super) fn on_client_message(tx: &mut Tx, conv: &Head, message: &Message) -> Result<bool> {
    let state = store::get(tx.conn, conv.id)?;
    if state.as_ref().is_some_and(|s| s.state == "done") {
        return Ok(false);
    }
    let Some(menu) = current(tx)? else {
        return Ok(false);
    };
    let run = steps::Run {
        conversation_id: conv.id,
        actor_id: steps::bot_id(tx)?,
        bot_id: steps::bot_id(tx)?,
        origin: "menu",
    };
    let Some(state) = state else {
        // Offered once, to a new client's first request only.
        if store::has_other_conversation(tx.conn, conv.user_id, conv.id)? {
            store::set(tx, conv.id, "done", 0)?;
            return Ok(false);
        }
        offer(tx, &run, &menu)?;
        store::set(tx, conv.id, "offered", 0)?;
        return Ok(true);
    };
    match choice(&menu, &message.body) {
        Some(item) => {
            store::set(tx, conv.id, "done", state.misses)?;
            if let Some(reply) = item.reply.as_deref().filter(|r| !r.trim().is_empty()) {
                steps::send(tx, &run, reply.trim(), bot_payload())?;
            }
            steps::run(tx, &run, &item_steps(item).unwrap_or_default())?;
        }
        None if state.misses < 1 => {
            store::set(tx, conv.id, "offered", state.misses + 1)?;
            offer(tx, &run, &menu)?;
        }
        None => {
            store::set(tx, conv.id, "done", state.misses + 1)?;
            if let Some(t) = menu
                .handover_text
                .as_deref()
                .filter(|t| !t.trim().is_empty())
            {
                steps::send(tx, &run, t.trim(), bot_payload())?;
            }
            steps::run(tx, &run, &[Step::Handover {}])?;
        }
    }
    Ok(true)
}

fn bot_payload() -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("bot".into(), json!("menu"));
    p
}

/// The item a client's answer names: its key, or its label in any case,
/// on the answer's first line (an email's "Sent from my phone" or a
/// "thanks" under the number is not the choice).
fn choice<'m>(menu: &'m Menu, answer: &str) -> Option<&'m Item> {
    let first = answer.trim().lines().next().unwrap_or("");
    let a = first.trim().trim_end_matches(['.', ')']).trim();
    let lower = a.to_lowercase();
    menu.items
        .iter()
        .find(|i| i.key == a || i.label.trim().to_lowercase() == lower)
}

/// Sends the menu: buttons for the widget (`payload.menu`), the items as
/// numbered lines in the text everywhere else.
fn offer(tx: &mut Tx, run: &steps::Run, menu: &Menu) -> Result<()> {
    let items: Vec<Value> = menu
        .items
        .iter()
        .map(|i| json!({ "key": i.key, "label": i.label.trim() }))
        .collect();
    let mut payload = bot_payload();
    payload.insert("menu".into(), json!({ "items": items }));
    let has_buttons = store::source(tx.conn, run.conversation_id)?.is_empty();
    let mut text = menu.text.trim().to_string();
    if !has_buttons {
        for i in &menu.items {
            text.push_str(&format!("\n{}. {}", i.key, i.label.trim()));
        }
    }
    steps::send(tx, run, &text, payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn menu() -> Menu {
        parse(&json!({
            "enabled": true, "text": "How can we help?",
            "items": [{"key": "1", "label": "Billing", "reply": "Billing it is"},
                      {"key": "2", "label": "Agent", "steps": [{"type": "handover"}]}],
        }))
        .unwrap()
    }

    #[test]
    fn a_choice_is_the_key_or_the_label() {
        let m = menu();
        assert_eq!(choice(&m, " 1 ").unwrap().label, "Billing");
        assert_eq!(choice(&m, "2.").unwrap().label, "Agent");
        assert_eq!(choice(&m, "billing").unwrap().key, "1");
        assert!(choice(&m, "3").is_none());
        assert!(choice(&m, "12").is_none());
        assert_eq!(
            choice(&m, "2\n\nSent from my iPhone").unwrap().label,
            "Agent"
        );
        assert_eq!(choice(&m, "\n Billing \r\nthanks").unwrap().key, "1");
        assert!(choice(&m, "I want\n2").is_none());
    }

    #[test]
    fn bad_menus_are_refused() {
        for bad in [
            json!({"enabled": true, "text": "", "items": [{"key": "1", "label": "a"}]}),
            json!({"enabled": true, "text": "t", "items": []}),
            json!({"enabled": true, "text": "t", "items": [{"key": "0", "label": "a"}]}),
            json!({"enabled": true, "text": "t", "items": [{"key": "1", "label": "a"}, {"key": "1", "label": "b"}]}),
            json!({"enabled": true, "text": "t", "items": [{"key": "1", "label": "a", "steps": [{"type": "post", "url": "https://x.example"}]}]}),
            json!({"enabled": true, "text": "t", "items": [{"key": "1", "label": "a"}], "other": 1}),
        ] {
            assert_eq!(parse(&bad).unwrap_err().code, "invalid_menu", "{bad}");
        }
    }
}
