//! Text messages (SMS, through `channels.twilio`), as email has them:
//! the templates `sms.templates` (per language, for a `user` or an
//! `agent`), Support Board's `send-sms`, SMS automations, and SMS
//! notifications (`sms.notifications`), queued in the write job of the
//! change that causes them, bounded like email's: one per conversation and
//! recipient every `every_minutes`, at most `MAX_AGENTS` agents per new
//! conversation, nothing while Twilio is not configured. The rows are
//! platform rows (`channel_out`), sent by the platform lane.

use super::channel_out::{self, Direct};
use super::{check_len, Actor, Desk};
use crate::channels;
use crate::error::{self, Result};
use crate::store::conversations::Conversation;
use crate::store::messages::Message;
use crate::store::users::User;
use crate::store::{settings, users, Tx};
use serde_json::{json, Value};

/// The platform that sends SMS.
pub const PLATFORM: &str = "twilio";
/// `{"<language>" | "default": {"user" | "agent": {"body"}}}`.
pub const TEMPLATES_KEY: &str = "sms.templates";
/// `{contacts: false, agents: false, agents_off: [ids], every_minutes: 10}`.
pub const NOTIFICATIONS_KEY: &str = "sms.notifications";
const MAX_AGENTS: usize = 20;
/// Longest template body (Twilio takes bodies of up to 1,600 characters).
const MAX_TEMPLATE: usize = 1600;

fn bad(key: &str, why: &str) -> error::Error {
    error::INVALID_CHANNEL_SETTINGS.with(format!("{key}: {why}"))
}

/// Checks `sms.templates` and `sms.notifications` as an admin saves them.
pub fn check_settings(values: &serde_json::Map<String, Value>) -> Result<()> {
    if let Some(t) = values.get(TEMPLATES_KEY).filter(|t| !t.is_null()) {
        check_templates(t)?;
    }
    if let Some(n) = values.get(NOTIFICATIONS_KEY).filter(|n| !n.is_null()) {
        check_notifications(n)?;
    }
    Ok(())
}

fn check_templates(t: &Value) -> Result<()> {
    let k = TEMPLATES_KEY;
    let langs = t.as_object().ok_or_else(|| bad(k, "must be an object"))?;
    for (lang, whos) in langs {
        if lang != "default" {
            super::articles::check_language(lang)?;
        }
        let whos = whos
            .as_object()
            .ok_or_else(|| bad(k, "each language holds user and agent"))?;
        for (who, tpl) in whos {
            if who != "user" && who != "agent" {
                return Err(bad(k, "templates are for user or agent"));
            }
            let tpl = tpl
                .as_object()
                .ok_or_else(|| bad(k, "a template is {body}"))?;
            for (f, v) in tpl {
                let s = v.as_str().filter(|_| f == "body");
                let s = s.ok_or_else(|| bad(k, "a template is {body}, a string"))?;
                check_len("body", s, MAX_TEMPLATE)?;
            }
        }
    }
    Ok(())
}

fn check_notifications(v: &Value) -> Result<()> {
    let o = v.as_object().ok_or_else(|| {
        bad(
            NOTIFICATIONS_KEY,
            "contacts and agents are true or false, agents_off a list of user ids, every_minutes 0 to 10080",
        )
    })?;
    for (k, x) in o {
        let ok = match k.as_str() {
            "contacts" | "agents" => x.is_boolean(),
            "agents_off" => x
                .as_array()
                .is_some_and(|a| a.len() <= 1000 && a.iter().all(Value::is_i64)),
            "every_minutes" => x.as_i64().is_some_and(|m| (0..=10_080).contains(&m)),
            _ => false,
        };
        if !ok {
            return Err(bad(
                NOTIFICATIONS_KEY,
                &format!("{k}: contacts and agents are true or false, agents_off a list of user ids, every_minutes 0 to 10080"),
            ));
        }
    }
    Ok(())
}

/// The built-in templates.
fn default_template(who: &str) -> &'static str {
    match who {
        "agent" => "{user_name}: {message} {conversation_url}",
        _ => "{message}",
    }
}

/// Template `who` in `lang` (else its base language, else the saved
/// default, else the built-in one), placeholders filled (one pass: text
/// of a customer is never expanded).
pub fn render_with(
    saved: &Value,
    lang: Option<&str>,
    who: &str,
    values: &[(&str, &str)],
) -> String {
    let base = lang.and_then(|l| l.split(['-', '_']).next());
    let body = [lang, base, Some("default")]
        .into_iter()
        .flatten()
        .find_map(|l| saved[l][who]["body"].as_str().filter(|s| !s.is_empty()))
        .unwrap_or(default_template(who));
    super::email::fill(body, values).trim().to_string()
}

/// Whether Twilio is configured (read in a job).
fn configured(tx: &Tx) -> Result<bool> {
    let p = channels::platform(PLATFORM).expect("twilio is a platform");
    let setting = settings::get(tx.conn, &format!("channels.{PLATFORM}"))?;
    Ok(channels::Config::of(p, setting).is_ok())
}

struct Options {
    contacts: bool,
    agents: bool,
    agents_off: Vec<i64>,
    every_ms: i64,
}

/// The notification options, or None when none go (off, or no Twilio).
fn options(tx: &Tx) -> Result<Option<Options>> {
    let Some(v) = settings::get(tx.conn, NOTIFICATIONS_KEY)? else {
        return Ok(None);
    };
    if !configured(tx)? {
        return Ok(None);
    }
    Ok(Some(Options {
        contacts: v["contacts"].as_bool().unwrap_or(false),
        agents: v["agents"].as_bool().unwrap_or(false),
        agents_off: v["agents_off"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_i64)
            .collect(),
        every_ms: v["every_minutes"].as_i64().unwrap_or(10).clamp(0, 10_080) * 60_000,
    }))
}

/// Queues one notification SMS to `to`, unless they had one for this
/// conversation within the window or have no phone number.
fn notify(
    tx: &mut Tx,
    o: &Options,
    to: &User,
    who: &str,
    conversation_id: i64,
    values: &[(&str, &str)],
) -> Result<()> {
    let Some(phone) = to.phone.clone().filter(|p| !p.trim().is_empty()) else {
        return Ok(());
    };
    let since = tx.now - o.every_ms;
    if crate::store::channel_out::notified_since(tx.conn, PLATFORM, conversation_id, &phone, since)?
    {
        return Ok(());
    }
    queue_notice(tx, to, &phone, who, conversation_id, values)?;
    Ok(())
}

/// One SMS to staff member `to` about conversation `conversation_id`, in
/// the agent template (a `/notify` channel, `commands/notify.rs`): chosen
/// by an admin, so no window; false when Twilio is not configured or they
/// have no phone number.
pub(crate) fn to_agent(
    tx: &mut Tx,
    to: &User,
    conversation_id: i64,
    values: &[(&str, &str)],
) -> Result<bool> {
    let Some(phone) = to.phone.clone().filter(|p| !p.trim().is_empty()) else {
        return Ok(false);
    };
    if !configured(tx)? {
        return Ok(false);
    }
    queue_notice(tx, to, &phone, "agent", conversation_id, values)?;
    Ok(true)
}

/// An agent replied and the contact has left the site: they get it by SMS
/// when they have a phone number, unless their conversation is one of a
/// platform's (SMS, WhatsApp...: the reply leaves through it already) or
/// an email conversation (answered by email).
pub(super) fn contact_reply(tx: &mut Tx, contact_id: i64, m: &Message) -> Result<()> {
    let Some(o) = options(tx)?.filter(|o| o.contacts) else {
        return Ok(());
    };
    let Some(contact) = users::find(tx.conn, contact_id)? else {
        return Ok(());
    };
    let source = crate::store::channel_out::route(tx.conn, m.conversation_id)?
        .map(|(s, _)| s)
        .unwrap_or_default();
    if contact.is_staff() || source == "em" || channels::by_source(&source).is_some() {
        return Ok(());
    }
    let agent = m
        .user_id
        .map(|id| users::find(tx.conn, id))
        .transpose()?
        .flatten()
        .map(|u| u.name())
        .unwrap_or_default();
    let (name, id) = (contact.name(), m.conversation_id.to_string());
    notify(
        tx,
        &o,
        &contact,
        "user",
        m.conversation_id,
        &[
            ("recipient_name", &name),
            ("user_name", &name),
            ("sender_name", &agent),
            ("agent_name", &agent),
            ("message", &m.body),
            ("conversation_url", ""),
            ("conversation_id", &id),
        ],
    )
}

/// A contact opened a conversation: the offline agents (`offline`, as the
/// email notification chose them) with a phone number are told.
pub(super) fn new_conversation(
    tx: &mut Tx,
    public_url: &str,
    conv: &Conversation,
    message: &str,
    offline: &[User],
) -> Result<()> {
    let Some(o) = options(tx)?.filter(|o| o.agents) else {
        return Ok(());
    };
    let contact = users::find(tx.conn, conv.user_id)?
        .map(|u| u.name())
        .unwrap_or_default();
    let url = format!("{public_url}/admin/chat?dialogID={}", conv.id);
    let id = conv.id.to_string();
    let chosen: Vec<&User> = offline
        .iter()
        .filter(|a| {
            !o.agents_off.contains(&a.id) && a.phone.as_deref().is_some_and(|p| !p.is_empty())
        })
        .take(MAX_AGENTS)
        .collect();
    for a in chosen {
        let name = a.name();
        notify(
            tx,
            &o,
            a,
            "agent",
            conv.id,
            &[
                ("recipient_name", &name),
                ("agent_name", &name),
                ("user_name", &contact),
                ("sender_name", &contact),
                ("message", message),
                ("conversation_url", &url),
                ("conversation_id", &id),
            ],
        )?;
    }
    Ok(())
}

impl Desk {
    /// Whether SMS can be sent (Twilio configured).
    pub fn sms_configured(&self) -> Result<bool> {
        Ok(self.channel_config(PLATFORM).is_ok())
    }

    /// Support Board's `send-sms`: `message` to `to`, in the SMS template
    /// for a user (the recipient's language when `to` is a user's phone)
    /// unless `template` is false; queued for a first attempt by the caller.
    pub fn queue_sms(
        &self,
        actor: &Actor,
        to: &str,
        message: &str,
        template: bool,
        conversation_id: Option<i64>,
        files: Vec<(String, String)>,
    ) -> Result<Vec<i64>> {
        actor.require_admin()?;
        if let Some(id) = conversation_id {
            self.conversation(actor, id)?;
        }
        // The contact who texted us from this number (an index probe; no
        // scan of every user's phone).
        let to = to.trim();
        let recipient =
            self.store
                .read(|c| match crate::store::channels::identity(c, "tx", to)? {
                    Some(id) => users::find(c, id),
                    None => Ok(None),
                })?;
        let text = if template {
            let saved = self
                .store
                .read(|c| settings::get(c, TEMPLATES_KEY))?
                .unwrap_or(Value::Null);
            let who = if recipient.as_ref().is_some_and(User::is_staff) {
                "agent"
            } else {
                "user"
            };
            let name = recipient.as_ref().map(User::name).unwrap_or_default();
            let url = conversation_id
                .map(|id| format!("{}/admin/chat?dialogID={id}", self.links.public_url()))
                .unwrap_or_default();
            let cid = conversation_id.map(|c| c.to_string()).unwrap_or_default();
            let lang = recipient.as_ref().and_then(|u| u.language.clone());
            render_with(
                &saved,
                lang.as_deref(),
                who,
                &[
                    ("message", message),
                    ("recipient_name", &name),
                    ("user_name", &name),
                    ("conversation_url", &url),
                    ("conversation_url_parameter", &cid),
                    ("conversation_id", &cid),
                ],
            )
        } else {
            message.to_string()
        };
        self.queue_direct(
            actor,
            PLATFORM,
            Direct {
                kind: "api",
                to: to.to_string(),
                text,
                files,
                recipient_id: recipient.map(|u| u.id),
                conversation_id,
                ..Default::default()
            },
        )
    }

    /// An SMS automation (`{message}`) for a user: queued when they have a
    /// phone number; false when they have none.
    pub fn send_automation_sms(&self, a: &Value, user: &User) -> Result<bool> {
        let Some(phone) = user.phone.clone().filter(|p| !p.trim().is_empty()) else {
            return Ok(false);
        };
        let message = a["message"].as_str().unwrap_or("");
        if message.trim().is_empty() {
            return Err(error::MISSING_MESSAGE.err());
        }
        let name = user.name();
        let text = super::email::fill(message, &[("user_name", &name), ("recipient_name", &name)]);
        let p = channels::platform(PLATFORM).expect("twilio is a platform");
        let base = json!({
            "kind": "automation", "to": phone.trim(), "source": p.sources[0], "extra": {},
            "template": null, "conversation_id": null, "message": null, "recipient_id": user.id,
        });
        let rows = channel_out::rows_for(p, &base, &super::text::clean_body(&text), &[]);
        self.store.write(move |tx| {
            for row in rows {
                channel_out::queue(tx, PLATFORM, row)?;
            }
            Ok(())
        })?;
        Ok(true)
    }
}

/// A notification SMS to `to` at `phone` in the `who` template
/// (`contact` or `agent`), as outbox rows.
fn queue_notice(
    tx: &mut Tx,
    to: &User,
    phone: &str,
    who: &str,
    conversation_id: i64,
    values: &[(&str, &str)],
) -> Result<()> {
    let saved = settings::get(tx.conn, TEMPLATES_KEY)?.unwrap_or(Value::Null);
    let text = render_with(&saved, to.language.as_deref(), who, values);
    let p = channels::platform(PLATFORM).expect("twilio is a platform");
    let base = json!({
        "kind": "notification", "to": phone.trim(), "source": p.sources[0], "extra": {},
        "template": null, "conversation_id": conversation_id, "message": null,
        "recipient_id": to.id,
    });
    for row in channel_out::rows_for(p, &base, &text, &[]) {
        channel_out::queue(tx, PLATFORM, row)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_by_language_then_default() {
        let saved = json!({"fr": {"user": {"body": "Réponse : {message}"}},
                           "default": {"agent": {"body": "{user_name} a écrit"}}});
        let v = [("message", "{user_name} hi"), ("user_name", "Zoë")];
        assert_eq!(
            render_with(&saved, Some("fr-CA"), "user", &v),
            "Réponse : {user_name} hi"
        );
        assert_eq!(
            render_with(&saved, Some("de"), "user", &v),
            "{user_name} hi"
        );
        assert_eq!(render_with(&saved, None, "agent", &v), "Zoë a écrit");
    }

    #[test]
    fn settings_are_checked() {
        let mut m = serde_json::Map::new();
        m.insert(
            TEMPLATES_KEY.into(),
            json!({"default": {"user": {"body": "{message}"}}}),
        );
        m.insert(
            NOTIFICATIONS_KEY.into(),
            json!({"contacts": true, "every_minutes": 5}),
        );
        assert!(check_settings(&m).is_ok());
        for (k, v) in [
            (
                TEMPLATES_KEY,
                json!({"default": {"user": {"subject": "x"}}}),
            ),
            (TEMPLATES_KEY, json!({"default": {"bot": {"body": "x"}}})),
            (
                TEMPLATES_KEY,
                json!({"default": {"user": {"body": "x".repeat(1601)}}}),
            ),
            (NOTIFICATIONS_KEY, json!({"contacts": "yes"})),
            (NOTIFICATIONS_KEY, json!({"every_minutes": -1})),
        ] {
            let mut m = serde_json::Map::new();
            m.insert(k.into(), v.clone());
            assert!(check_settings(&m).is_err(), "{v}");
        }
    }
}
