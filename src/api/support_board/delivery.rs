//! Support Board's delivery functions (email, SMS, push, the messaging
//! platforms): arguments are checked; with no provider set up (the channels
//! work), the answer says so rather than pretending.

use super::transport::Args;
use super::Function;
use crate::app::App;
use crate::desk::Actor;
use crate::error::{Error, Kind, Result};
use serde_json::Value;

/// Each function, the channel it would deliver through and the arguments
/// it needs.
pub(super) const FUNCTIONS: &[(&str, Function)] = &[
    ("send-email", send_email),
    ("send-custom-email", |_, _, a| {
        not_configured(a, "email", &["to", "subject", "message"])
    }),
    ("email-piping", |_, _, a| not_configured(a, "email", &[])),
    ("send-sms", |_, _, a| {
        not_configured(a, "sms", &["to", "message"])
    }),
    ("push-notification", |_, _, a| {
        not_configured(a, "push", &["title", "message"])
    }),
    ("messaging-platforms-send-message", |_, _, a| {
        not_configured(a, "messaging-platform", &["conversation_id", "message"])
    }),
    ("whatsapp-send-message", |_, _, a| {
        not_configured(a, "whatsapp", &["to", "message"])
    }),
    ("whatsapp-send-template", |_, _, a| {
        not_configured(a, "whatsapp", &["to", "template_name"])
    }),
    ("messenger-send-message", |_, _, a| {
        not_configured(a, "messenger", &["psid", "facebook_page_id", "message"])
    }),
    ("telegram-send-message", |_, _, a| {
        not_configured(a, "telegram", &["chat_id", "message"])
    }),
    ("viber-send-message", |_, _, a| {
        not_configured(a, "viber", &["viber_id", "message"])
    }),
    ("line-send-message", |_, _, a| {
        not_configured(a, "line", &["line_id", "message"])
    }),
    ("wechat-send-message", |_, _, a| {
        not_configured(a, "wechat", &["open_id", "message"])
    }),
];

/// `send-email` checks its recipient and sender first, with the seed's own
/// codes.
fn send_email(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let (Some(to), Some(_)) = (
        a.id("recipient_id")?,
        a.str("message").filter(|m| !m.trim().is_empty()),
    ) else {
        return Err(Error::bad(
            "missing-user-id-or-message",
            "recipient_id and message are required",
        ));
    };
    let recipient = desk.find_user(actor, to)?;
    let sender_ok = match a.id("sender_id")? {
        Some(id) => desk.find_user(actor, id)?.is_some(),
        None => true,
    };
    let Some(recipient) = recipient.filter(|_| sender_ok) else {
        return Err(Error::not_found("user").with_code("user-or-sender-not-found"));
    };
    if recipient.email.as_deref().unwrap_or("").is_empty() {
        return Err(Error::bad(
            "user-email-not-found",
            "the user has no email address",
        ));
    }
    not_configured(a, "email", &["recipient_id", "message"])
}

/// The answer of a channel with no provider: the missing argument first,
/// else `<channel>-not-configured`.
fn not_configured(a: &Args, channel: &str, need: &[&str]) -> Result<Value> {
    if let Some(missing) = need.iter().find(|k| a.str(k).is_none_or(|v| v.is_empty())) {
        return Err(Error::bad(
            "missing-arguments",
            format!("{missing} is required"),
        ));
    }
    Err(Error::new(
        Kind::Conflict,
        not_configured_code(channel),
        format!("no {channel} provider is configured"),
    ))
}

/// The `<channel>-not-configured` code for a delivery channel.
fn not_configured_code(channel: &str) -> &'static str {
    match channel {
        "email" => "email-not-configured",
        "sms" => "sms-not-configured",
        "push" => "push-not-configured",
        "whatsapp" => "whatsapp-not-configured",
        "messenger" => "messenger-not-configured",
        "telegram" => "telegram-not-configured",
        "viber" => "viber-not-configured",
        "line" => "line-not-configured",
        "wechat" => "wechat-not-configured",
        _ => "messaging-platform-not-configured",
    }
}
