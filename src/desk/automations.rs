//! Automations: messages, emails, text messages, pop-ups and widget designs
//! shown to users who match their conditions, once per user.
//!
//! Conditions are `[name, criterion, value]` (or `[name, value]`), with
//! Support Board's names. Server-side ones (datetime, repeat, user_type,
//! languages, countries, cities, creation_time and the contact details
//! email, phone, company, postal_code, birthdate) are checked here;
//! client-side ones (pages, time on page, scroll, referrer, website,
//! returning visitor, page variables) are returned for the widget to check,
//! as are server-side ones that need a user when none is known yet.
//! An automation runs once per user, or again after its `repeat` period.

use super::articles::check_short_id;
use super::{Actor, Desk, Role};
use crate::error::{self, Error, Kind, Result};
use crate::store::automations::{self, Automation};
use crate::store::events::Audience;
use crate::store::users::User;
use serde_json::{json, Map, Value};

pub const TYPES: &[&str] = &["emails", "sms", "messages", "popups", "design"];
const SERVER_SIDE: &[&str] = &[
    "datetime",
    "repeat",
    "user_type",
    "languages",
    "countries",
    "cities",
    "creation_time",
    "email",
    "phone",
    "company",
    "postal_code",
    "birthdate",
];
const CLIENT_SIDE: &[&str] = &[
    "browsing_time",
    "scroll_position",
    "include_urls",
    "exclude_urls",
    "referring",
    "website",
    "returning_visitor",
    "custom_variable",
];

/// `repeat` periods, in milliseconds.
fn repeat_period(value: &str) -> Option<i64> {
    const HOUR: i64 = 3_600_000;
    Some(match value.trim_start_matches("every-") {
        "hour" => HOUR,
        "day" => 24 * HOUR,
        "week" => 7 * 24 * HOUR,
        "month" => 30 * 24 * HOUR,
        "year" => 365 * 24 * HOUR,
        _ => return None,
    })
}

/// Whether a condition holds: yes, no, or only later (client-side, or no user yet).
#[derive(Debug, PartialEq)]
enum Check {
    Pass,
    Fail,
    Later,
}

fn strings(c: &Value) -> Vec<String> {
    c.as_array()
        .into_iter()
        .flatten()
        .map(|v| v.as_str().map_or_else(|| v.to_string(), String::from))
        .collect()
}

fn check_conditions(data: &Value) -> Result<()> {
    let Some(conds) = data.get("conditions") else {
        return Ok(());
    };
    let Some(list) = conds.as_array() else {
        return Err(error::INVALID_CONDITIONS.err());
    };
    for c in list {
        let parts = strings(c);
        let name = parts.first().map(String::as_str).unwrap_or("");
        if !SERVER_SIDE.contains(&name) && !CLIENT_SIDE.contains(&name) {
            return Err(error::INVALID_CONDITION.with(format!("unknown condition {name:?}")));
        }
        if parts.len() < 2 {
            return Err(error::INVALID_CONDITION.with(format!("condition {name} needs a value")));
        }
        if name == "repeat" && repeat_period(parts.last().map_or("", String::as_str)).is_none() {
            return Err(error::INVALID_CONDITION
                .with("repeat is every-hour, every-day, every-week, every-month or every-year"));
        }
    }
    Ok(())
}

/// A day test (`is-between "d1 - d2"`, `is-exactly`, `is-before`,
/// `is-after`) against the UTC day of `ms`.
fn day_matches(criterion: &str, value: &str, ms: i64) -> Result<bool> {
    use super::reports::parse_day;
    let day = ms.div_euclid(86_400_000);
    // "10/04/2021 13:00" is accepted; the day decides.
    let date = |s: &str| parse_day(s.split_whitespace().next().unwrap_or(""));
    Ok(match criterion {
        "is-between" => {
            let (a, b) = value.split_once(" - ").ok_or_else(|| {
                error::INVALID_CONDITION.with("is-between needs \"dd/mm/yyyy - dd/mm/yyyy\"")
            })?;
            date(a)? <= day && day <= date(b)?
        }
        "is-exactly" => date(value)? == day,
        "is-before" => day < date(value)?,
        "is-after" => day > date(value)?,
        other => {
            return Err(error::INVALID_CONDITION.with(format!("unknown date criterion {other:?}")))
        }
    })
}

fn in_list(list: &str, v: Option<&str>) -> bool {
    let Some(v) = v.filter(|v| !v.is_empty()) else {
        return false;
    };
    list.split(',').any(|x| {
        let x = x.trim().to_ascii_lowercase();
        let v = v.to_ascii_lowercase();
        !x.is_empty() && (v == x || v.starts_with(&format!("{x}-")))
    })
}

/// A contact detail by Support Board slug: a column or a custom field.
fn detail(u: &User, slug: &str) -> Option<String> {
    match slug {
        "email" => u.email.clone(),
        "phone" => u.phone.clone(),
        _ => u.custom.get(slug).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }),
    }
}

fn check(cond: &[String], user: Option<&User>, now: i64) -> Result<Check> {
    let name = cond[0].as_str();
    if CLIENT_SIDE.contains(&name) {
        return Ok(Check::Later);
    }
    let pass = |b: bool| if b { Check::Pass } else { Check::Fail };
    // `[name, value]` or `[name, criterion, value]`.
    let (criterion, value) = match cond.len() {
        2 => ("", cond[1].as_str()),
        _ => (cond[1].as_str(), cond[2].as_str()),
    };
    match name {
        "datetime" => return Ok(pass(day_matches(criterion, value, now)?)),
        // Checked against the last run, where the user is known.
        "repeat" => return Ok(Check::Pass),
        _ => {}
    }
    let Some(u) = user else {
        return Ok(Check::Later);
    };
    Ok(match name {
        "user_type" => {
            let wanted = if criterion.is_empty() {
                value
            } else {
                criterion
            };
            match wanted.strip_prefix("is-not-") {
                Some(t) => pass(u.user_type.as_str() != t),
                None => pass(wanted.strip_prefix("is-") == Some(u.user_type.as_str())),
            }
        }
        "languages" => pass(in_list(value, u.language.as_deref())),
        "countries" => pass(in_list(value, detail(u, "country").as_deref())),
        "cities" => pass(in_list(value, detail(u, "city").as_deref())),
        "creation_time" => pass(day_matches(criterion, value, u.created_at)?),
        // Contact details: is-set, is-not-set, or contains a value.
        field => {
            let have = detail(u, field).filter(|v| !v.is_empty());
            let wanted = if criterion.is_empty() {
                value
            } else {
                criterion
            };
            pass(match wanted {
                "is-set" => have.is_some(),
                "is-not-set" => have.is_none(),
                _ => have.is_some_and(|h| h.to_lowercase().contains(&value.to_lowercase())),
            })
        }
    })
}

impl Desk {
    /// Every automation by type, and the translations by language then type.
    pub fn automations(&self, actor: &Actor) -> Result<(Map<String, Value>, Map<String, Value>)> {
        actor.require_staff()?;
        let mut main: Map<String, Value> =
            TYPES.iter().map(|t| (t.to_string(), json!([]))).collect();
        let mut translations = Map::new();
        for a in self.store.read(automations::all)? {
            let mut item = a.data.clone();
            item["id"] = json!(a.id);
            let slot = if a.language.is_empty() {
                &mut main
            } else {
                translations
                    .entry(a.language.clone())
                    .or_insert_with(|| json!({}))
                    .as_object_mut()
                    .unwrap()
            };
            if let Some(list) = slot
                .entry(a.kind.clone())
                .or_insert_with(|| json!([]))
                .as_array_mut()
            {
                list.push(item);
            }
        }
        Ok((main, translations))
    }

    /// Replaces every automation: `main` by type, `translations` by
    /// language then type.
    pub fn save_automations(
        &self,
        actor: &Actor,
        main: Map<String, Value>,
        translations: Map<String, Value>,
    ) -> Result<()> {
        actor.require_admin()?;
        let mut list: Vec<Automation> = Vec::new();
        let mut add = |language: &str, by_type: &Map<String, Value>| -> Result<()> {
            for (kind, items) in by_type {
                if !TYPES.contains(&kind.as_str()) {
                    return Err(error::INVALID_AUTOMATION_TYPE.with(format!(
                        "{kind:?} is not an automation type ({})",
                        TYPES.join(", ")
                    )));
                }
                for item in items.as_array().into_iter().flatten() {
                    let Some(obj) = item.as_object() else {
                        return Err(error::INVALID_AUTOMATION.err());
                    };
                    let mut data = Value::Object(obj.clone());
                    check_conditions(&data)?;
                    let id = check_short_id(obj.get("id").and_then(Value::as_str).unwrap_or(""))?;
                    if let Some(m) = data.as_object_mut() {
                        m.remove("id");
                        m.remove("type");
                    }
                    if data.to_string().len() > 20_000 {
                        return Err(error::TOO_LARGE.with("an automation is larger than 20 KB"));
                    }
                    if list.iter().any(|a| a.id == id && a.language == language) {
                        return Err(
                            error::DUPLICATE_ID.with(format!("automation id {id} is used twice"))
                        );
                    }
                    list.push(Automation {
                        id,
                        kind: kind.clone(),
                        language: language.to_string(),
                        data,
                    });
                }
            }
            Ok(())
        };
        add("", &main)?;
        for (lang, by_type) in &translations {
            let Some(by_type) = by_type.as_object() else {
                return Err(error::INVALID_TRANSLATIONS.err());
            };
            if lang.is_empty() || lang.len() > 10 {
                return Err(
                    error::INVALID_LANGUAGE.with(format!("{lang:?} is not a language code"))
                );
            }
            add(&lang.to_ascii_lowercase(), by_type)?;
        }
        if list.len() > 1_000 {
            return Err(error::TOO_MANY.with("at most 1,000 automations"));
        }
        let uid = actor.user_id;
        self.store.write(move |tx| {
            automations::replace_all(tx, &list)?;
            tx.emit(
                "automations.updated",
                None,
                Some(uid),
                Audience::Staff,
                json!({ "count": list.len() }),
            )?;
            Ok(())
        })
    }

    /// The conditions still to check later (client-side, or needing a
    /// user), or `None` when the automation cannot run: a condition fails,
    /// or it already ran for `user`.
    pub fn validate_automation(
        &self,
        data: &Value,
        user: Option<&User>,
    ) -> Result<Option<Vec<Value>>> {
        check_conditions(data)?;
        let now = crate::util::now_ms();
        if let (Some(u), Some(id)) = (user, data.get("id").and_then(Value::as_str)) {
            if let Some(last) = self.store.read(|c| automations::last_run(c, id, u.id))? {
                let again_after = data["conditions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(strings)
                    .find(|c| c.first().map(String::as_str) == Some("repeat"))
                    .and_then(|c| c.last().and_then(|v| repeat_period(v)));
                if again_after.is_none_or(|period| now - last < period) {
                    return Ok(None);
                }
            }
        }
        let mut later = Vec::new();
        for c in data
            .get("conditions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            match check(&strings(c), user, now)? {
                Check::Pass => {}
                Check::Fail => return Ok(None),
                Check::Later => later.push(c.clone()),
            }
        }
        Ok(Some(later))
    }

    /// A saved automation by id, in `language` when translated, with its type.
    fn saved_automation(&self, id: &str, language: Option<&str>) -> Result<Option<Value>> {
        let all = self.store.read(automations::all)?;
        let pick = |lang: &str| all.iter().find(|a| a.id == id && a.language == lang);
        let found = language.and_then(pick).or_else(|| pick(""));
        Ok(found.map(|a| {
            let mut v = a.data.clone();
            v["id"] = json!(a.id);
            v["type"] = json!(a.kind);
            v
        }))
    }

    /// Runs `automation` for `user_id`: a chat message into their latest
    /// conversation (or a new one); emails and text messages need their
    /// provider; pop-ups and designs are shown by the widget. With
    /// `validate`, runs only when every condition holds now; answers
    /// whether it ran.
    pub fn run_automation(
        &self,
        actor: &Actor,
        automation: &Value,
        user_id: i64,
        validate: bool,
    ) -> Result<bool> {
        actor.require_staff()?;
        let user = self.user_by_id(user_id)?;
        let given_id = automation.get("id").and_then(Value::as_str).unwrap_or("");
        let a = match self.saved_automation(given_id, user.language.as_deref())? {
            Some(saved) => saved,
            None => automation.clone(),
        };
        let kind = a.get("type").and_then(Value::as_str).unwrap_or("");
        if !TYPES.contains(&kind) {
            return Err(error::INVALID_AUTOMATION_TYPE.with(format!(
                "automation type must be one of {}",
                TYPES.join(", ")
            )));
        }
        if validate
            && self
                .validate_automation(&a, Some(&user))?
                .is_none_or(|later| !later.is_empty())
        {
            return Ok(false);
        }
        match kind {
            "messages" => {
                self.send_automation_message(actor, &a, user_id)?;
                return Ok(true);
            }
            "emails" if self.email_configured()? => {
                let ran = self.send_automation_email(&a, &user)?;
                if ran {
                    self.mark_ran(&a, user_id)?;
                    self.record(
                        "email-automations",
                        None,
                        a["id"].as_str().map(String::from),
                    )?;
                }
                return Ok(ran);
            }
            "sms" if self.sms_configured()? => {
                let ran = self.send_automation_sms(&a, &user)?;
                if ran {
                    self.mark_ran(&a, user_id)?;
                    self.record("sms-automations", None, a["id"].as_str().map(String::from))?;
                }
                return Ok(ran);
            }
            "emails" | "sms" => {
                return Err(if kind == "emails" {
                    error::EMAIL_NOT_CONFIGURED.err()
                } else {
                    error::SMS_NOT_CONFIGURED.err()
                });
            }
            _ => {}
        }
        self.mark_ran(&a, user_id)?;
        Ok(true)
    }

    /// Remembers that a saved automation ran for `user_id`.
    fn mark_ran(&self, a: &Value, user_id: i64) -> Result<()> {
        if let Some(id) = a["id"].as_str().filter(|i| !i.is_empty()) {
            let id = id.to_string();
            self.store
                .write(move |tx| automations::mark_ran(tx, &id, user_id))?;
        }
        Ok(())
    }

    /// A chat-message automation: its message goes to the user's latest
    /// conversation (or a new one), whose id is returned; the run is
    /// remembered and counted in the message-automations report.
    fn send_automation_message(&self, actor: &Actor, a: &Value, user_id: i64) -> Result<i64> {
        let message = a["message"].as_str().unwrap_or("").to_string();
        if message.trim().is_empty() {
            return Err(error::MISSING_MESSAGE.err());
        }
        let conversation = self.message_user(actor, user_id, message, None)?;
        self.mark_ran(a, user_id)?;
        self.record(
            "message-automations",
            None,
            a["id"].as_str().map(String::from),
        )?;
        Ok(conversation)
    }

    /// Validates every automation for `user_id` (or for nobody yet), runs
    /// the server-side ones that fully match, and returns those the widget
    /// must finish: pending conditions, pop-ups and designs, each with its type.
    pub fn run_all_automations(&self, actor: &Actor, user_id: Option<i64>) -> Result<Vec<Value>> {
        actor.require_staff()?;
        let user = user_id.map(|id| self.user_by_id(id)).transpose()?;
        let lang = user.as_ref().and_then(|u| u.language.clone());
        let (main, _) = self.automations(actor)?;
        let mut out = Vec::new();
        for kind in TYPES {
            for item in main
                .get(*kind)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let id = item.get("id").and_then(Value::as_str).unwrap_or("");
                let a = self
                    .saved_automation(id, lang.as_deref())?
                    .unwrap_or_else(|| item.clone());
                let Some(later) = self.validate_automation(&a, user.as_ref())? else {
                    continue;
                };
                let server_run = matches!(*kind, "messages" | "emails" | "sms");
                if server_run && later.is_empty() {
                    if let Some(u) = &user {
                        match self.run_automation(actor, &a, u.id, false) {
                            Ok(_) => continue,
                            // No provider yet: it stays pending, nothing is lost.
                            Err(e) if e.kind == Kind::Conflict => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
                out.push(a);
            }
        }
        Ok(out)
    }

    /// What the widget shows or triggers on a page: pop-ups, designs and
    /// chat messages whose server-side conditions hold for `visitor` (or, on
    /// a page with no visitor yet, that need no user), in `language`, each
    /// with its type and only client-side conditions left.
    pub fn widget_automations(
        &self,
        visitor: Option<&User>,
        language: Option<&str>,
    ) -> Result<Vec<Value>> {
        let lang = visitor.and_then(|u| u.language.as_deref()).or(language);
        let mut out = Vec::new();
        for a in self.store.read(automations::all)? {
            let shown_here = matches!(a.kind.as_str(), "messages" | "popups" | "design");
            if !a.language.is_empty() || !shown_here {
                continue;
            }
            let Some(item) = self.saved_automation(&a.id, lang)? else {
                continue;
            };
            let Some(later) = self.validate_automation(&item, visitor)? else {
                continue;
            };
            let client_only = later.iter().all(|c| {
                let name = c.get(0).and_then(Value::as_str).unwrap_or("");
                CLIENT_SIDE.contains(&name)
            });
            if client_only {
                let mut item = item;
                item["conditions"] = Value::Array(later);
                out.push(item);
            }
        }
        Ok(out)
    }

    /// Runs a chat-message automation for a visitor whose widget found its
    /// client-side conditions met (the server-side ones are checked again):
    /// the bot's message lands in their latest conversation, or a new one,
    /// whose id is returned.
    pub fn run_widget_automation(&self, visitor: &User, id: &str) -> Result<i64> {
        let a = self
            .saved_automation(id, visitor.language.as_deref())?
            .ok_or_else(|| Error::not_found("automation"))?;
        if a["type"] != "messages" {
            return Err(error::INVALID_AUTOMATION_TYPE
                .with("the widget runs chat-message automations only"));
        }
        if self.validate_automation(&a, Some(visitor))?.is_none() {
            return Err(error::NOT_APPLICABLE.err());
        }
        let bot = Actor {
            role: Role::Admin,
            user_id: self.bot_id,
            token_id: None,
        };
        self.send_automation_message(&bot, &a, visitor.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(kind: &str, lang: &str) -> User {
        User {
            user_type: crate::desk::users::UserType::parse(kind).unwrap(),
            language: Some(lang.into()),
            ..Default::default()
        }
    }

    #[test]
    fn conditions() {
        let now = crate::util::now_ms();
        let v = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let u = user("user", "fr-CA");
        assert_eq!(
            check(&v(&["user_type", "is-user"]), Some(&u), now).unwrap(),
            Check::Pass
        );
        assert_eq!(
            check(&v(&["user_type", "is-not-user"]), Some(&u), now).unwrap(),
            Check::Fail
        );
        assert_eq!(
            check(&v(&["user_type", "is-user"]), None, now).unwrap(),
            Check::Later
        );
        assert_eq!(
            check(&v(&["languages", "en,fr"]), Some(&u), now).unwrap(),
            Check::Pass
        );
        assert_eq!(
            check(&v(&["languages", "en"]), Some(&u), now).unwrap(),
            Check::Fail
        );
        assert_eq!(
            check(&v(&["include_urls", "contains", "x"]), Some(&u), now).unwrap(),
            Check::Later
        );
        assert_eq!(
            check(
                &v(&["datetime", "is-between", "01/01/2000 - 31/12/9999"]),
                None,
                now
            )
            .unwrap(),
            Check::Pass
        );
        assert_eq!(
            check(&v(&["datetime", "is-exactly", "13/04/2021"]), None, now).unwrap(),
            Check::Fail
        );
        assert!(check(&v(&["datetime", "is-between", "13/04/2021"]), None, now).is_err());
        let mut u = user("user", "en");
        u.email = Some("ann@example.com".into());
        u.custom = serde_json::json!({ "city": "London", "company": "ACME" });
        assert_eq!(
            check(&v(&["cities", "paris, london"]), Some(&u), now).unwrap(),
            Check::Pass
        );
        assert_eq!(
            check(&v(&["email", "is-set"]), Some(&u), now).unwrap(),
            Check::Pass
        );
        assert_eq!(
            check(&v(&["phone", "is-set"]), Some(&u), now).unwrap(),
            Check::Fail
        );
        assert_eq!(
            check(&v(&["company", "contains", "acm"]), Some(&u), now).unwrap(),
            Check::Pass
        );
        assert_eq!(
            check(&v(&["repeat", "every-day"]), Some(&u), now).unwrap(),
            Check::Pass
        );
        assert!(
            check_conditions(&serde_json::json!({"conditions": [["repeat", "fortnightly"]]}))
                .is_err()
        );
    }
}
