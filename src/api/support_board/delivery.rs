//! Support Board's delivery functions (email, SMS, push, the messaging
//! platforms): arguments are checked; with no provider set up (the channels
//! work), the answer says so rather than pretending.

use super::transport::Args;
use super::Function;
use crate::app::App;
use crate::desk::Actor;
use crate::error::{self, Entry, Result};
use serde_json::Value;

/// Each function, the channel it would deliver through and the arguments
/// it needs.
pub(super) const FUNCTIONS: &[(&str, Function)] = &[
    ("send-email", send_email),
    ("send-custom-email", send_custom_email),
    ("email-piping", email_piping),
    ("send-sms", super::platforms::send_sms),
    ("push-notification", push_notification),
    (
        "messaging-platforms-send-message",
        super::platforms::by_conversation,
    ),
    ("whatsapp-send-message", super::platforms::whatsapp),
    (
        "whatsapp-send-template",
        super::platforms::whatsapp_template,
    ),
    ("messenger-send-message", super::platforms::messenger),
    ("telegram-send-message", super::platforms::telegram),
    ("viber-send-message", super::platforms::viber),
    ("line-send-message", super::platforms::line),
    ("wechat-send-message", super::platforms::wechat),
];

/// `send-email` checks its recipient and sender first, with the seed's own
/// codes.
fn send_email(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let (Some(to), Some(_)) = (
        a.id("recipient_id")?,
        a.str("message").filter(|m| !m.trim().is_empty()),
    ) else {
        return Err(error::MISSING_USER_ID_OR_MESSAGE.with("recipient_id and message are required"));
    };
    let recipient = desk.find_user(actor, to)?;
    let sender_ok = match a.id("sender_id")? {
        Some(id) => desk.find_user(actor, id)?.is_some(),
        None => true,
    };
    let Some(recipient) = recipient.filter(|_| sender_ok) else {
        return Err(error::USER_OR_SENDER_NOT_FOUND.err());
    };
    if recipient.email.as_deref().unwrap_or("").is_empty() {
        return Err(error::USER_EMAIL_NOT_FOUND.err());
    }
    if !desk.email_configured()? {
        return not_configured(
            a,
            &error::EMAIL_NOT_CONFIGURED,
            &["recipient_id", "message"],
        );
    }
    let sender = match a.id("sender_id")? {
        Some(id) => desk.find_user(actor, id)?,
        None => desk.find_user(actor, actor.user_id)?,
    };
    // `[["name", "link"], ...]`; anything else is refused.
    let attachments: Vec<(String, String)> = match a.json("attachments") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => serde_json::from_value(v).map_err(|_| {
            error::MISSING_ARGUMENTS.with("attachments must be [[\"name\", \"link\"], ...]")
        })?,
    };
    let message = a.str("message").unwrap_or_default();
    desk.send_user_email(actor, &recipient, sender.as_ref(), &message, &attachments)?;
    Ok(Value::Bool(true))
}

/// `send-custom-email`: the seed answers `true`.
fn send_custom_email(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    if !desk.email_configured()? {
        return not_configured(
            a,
            &error::EMAIL_NOT_CONFIGURED,
            &["to", "subject", "message"],
        );
    }
    if let Some(missing) = ["to", "subject", "message"]
        .iter()
        .find(|k| a.str(k).is_none_or(|v| v.is_empty()))
    {
        return Err(error::MISSING_ARGUMENTS.with(format!("{missing} is required")));
    }
    let arg = |k: &str| a.str(k).unwrap_or_default();
    desk.send_custom_email(
        actor,
        arg("to").trim(),
        &arg("subject"),
        &arg("message"),
        &arg("sender_suffix"),
    )?;
    Ok(Value::Bool(true))
}

/// The answer of a channel with no provider: the missing argument first,
/// else that the channel is not configured.
pub(super) fn not_configured(a: &Args, channel: &Entry, need: &[&str]) -> Result<Value> {
    if let Some(missing) = need.iter().find(|k| a.str(k).is_none_or(|v| v.is_empty())) {
        return Err(error::MISSING_ARGUMENTS.with(format!("{missing} is required")));
    }
    Err(channel.err())
}

/// `email-piping`: polls the IMAP mailbox now, at most once a minute
/// unless `force`; `true` as the seed answers.
fn email_piping(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let force = a.flag("force");
    app.desk.email_piping(actor, force, app.config.max_upload)?;
    Ok(Value::Bool(true))
}

/// `push-notification`: Web Push to the agents `interest` names;
/// `{"publishId": "pubid-..."}` once the rows are committed, `false` when
/// push is turned off (`push.enabled`).
fn push_notification(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    if let Some(missing) = ["title", "message"]
        .iter()
        .find(|k| a.str(k).is_none_or(|v| v.trim().is_empty()))
    {
        return Err(error::MISSING_ARGUMENTS.with(format!("{missing} is required")));
    }
    let notice = crate::desk::push::Notice {
        title: a.str("title").unwrap_or_default(),
        message: a.str("message").unwrap_or_default(),
        icon: a.given("icon"),
        interest: interest(a)?,
        conversation_id: a.id("conversation_id")?,
    };
    Ok(match app.desk.push_notice(actor, notice)? {
        Some(id) => serde_json::json!({ "publishId": id }),
        None => Value::Bool(false),
    })
}

/// The seed's `interest`: an id, a list of ids (`[1, 2, 3]`, a form array
/// or `1,2,3`), `agents` (no department), `all-agents`, `department-ID`.
fn interest(a: &Args) -> Result<crate::desk::push::Interest> {
    use crate::desk::push::Interest;
    let bad = || {
        error::INVALID_ARGUMENTS
            .with("interest must be a user id, a list of ids, agents, all-agents or department-ID")
    };
    let id = |v: &Value| {
        match v {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .filter(|i| *i > 0)
    };
    let list = |items: &[Value]| -> Result<Interest> {
        if items.is_empty() || items.len() > 200 {
            return Err(bad());
        }
        let ids: Option<Vec<i64>> = items.iter().map(id).collect();
        ids.map(Interest::Users).ok_or_else(bad)
    };
    if let Some(s) = a.str("interest").filter(|s| !s.trim().is_empty()) {
        let s = s.trim();
        return match s {
            "all-agents" => Ok(Interest::All),
            "agents" => Ok(Interest::NoDepartment),
            _ if s.starts_with("department-") => s["department-".len()..]
                .parse()
                .ok()
                .filter(|d: &i64| *d > 0)
                .map(Interest::Department)
                .ok_or_else(bad),
            _ if s.starts_with('[') => match serde_json::from_str::<Value>(s) {
                Ok(Value::Array(v)) => list(&v),
                _ => Err(bad()),
            },
            _ => list(
                &s.split(',')
                    .map(|x| Value::String(x.to_string()))
                    .collect::<Vec<_>>(),
            ),
        };
    }
    match a.json("interest") {
        Some(Value::Array(v)) => list(&v),
        None => Err(error::MISSING_ARGUMENTS.with("interest is required")),
        _ => Err(bad()),
    }
}
