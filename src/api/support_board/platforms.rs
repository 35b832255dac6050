//! Support Board's messaging platform functions (listed in `delivery.rs`'s
//! table): `send-sms` and the `*-send-message` of each platform send to
//! whoever the caller names, outside any conversation; the row (kind
//! `api`) is committed first, then tried at once with a short deadline, so
//! the answer is the platform's own (its message resource, its error), or,
//! when the platform cannot be reached, `{"status": "queued"}` while the
//! row is retried by the lane; the delivery log (`GET
//! /api/v1/channels/deliveries`) keeps every one. `messaging-platforms-
//! send-message` posts into a conversation instead: the message is stored
//! as the caller and leaves through the conversation's platform like any
//! reply. A platform with no setting answers its `*-not-configured` error.

use super::delivery::not_configured;
use super::records::attachments_arg;
use super::transport::Args;
use crate::app::App;
use crate::channels::Sent;
use crate::desk::channel_out::{Direct, DIRECT_TIMEOUT};
use crate::desk::messages::MessageInput;
use crate::desk::Actor;
use crate::error::{self, Entry, Result};
use serde_json::{json, Map, Value};

/// `[["name", "link"], ...]` or `["link", ...]` as (name, link) pairs.
fn files(a: &Args) -> Vec<(String, String)> {
    a.json("attachments")
        .map(|v| attachments_arg(&v))
        .unwrap_or_default()
        .into_iter()
        .map(|f| (f.name, f.url))
        .collect()
}

/// The missing argument first, else `channel`'s not-configured error when
/// `platform` has no setting.
fn ready(app: &App, a: &Args, platform: &str, channel: &Entry, need: &[&str]) -> Result<()> {
    match not_configured(a, channel, need) {
        Err(e) if !e.is(channel) => Err(e),
        _ if app.desk.channel_config(platform).is_err() => Err(channel.err()),
        _ => Ok(()),
    }
}

/// Queues a direct send and tries it now: the platform's answer.
fn send(app: &App, actor: &Actor, platform: &str, d: Direct) -> Result<Value> {
    let to = d.to.clone();
    let text = d.text.clone();
    let ids = app.desk.queue_direct(actor, platform, d)?;
    try_now(
        app,
        &ids,
        |first| json!({ "status": "queued", "outbox_id": first, "to": to, "body": text }),
    )
}

/// Tries the committed rows at once (short deadline): the platform's last
/// answer; its refusal as it gave it; `queued(first row)` when it was not
/// reached (the lane retries the rows).
fn try_now(app: &App, ids: &[i64], queued: impl FnOnce(i64) -> Value) -> Result<Value> {
    let mut last = Value::Null;
    for id in ids {
        match app.delivery.send_channel_now(*id, DIRECT_TIMEOUT) {
            Some(Sent::Ok { response, .. }) => last = response,
            Some(Sent::Failed {
                status: Some(_),
                text,
                retry: false,
            }) => return Ok(serde_json::from_str(&text).unwrap_or(Value::String(text))),
            Some(Sent::Failed {
                status: None,
                text,
                retry: false,
            }) => return Err(error::CHANNEL_UNAVAILABLE.with(text)),
            _ => return Ok(queued(ids[0])),
        }
    }
    Ok(last)
}

fn arg(a: &Args, k: &str) -> String {
    a.str(k).unwrap_or_default()
}

fn extra(pairs: &[(&str, Option<String>)]) -> Map<String, Value> {
    pairs
        .iter()
        .filter_map(|(k, v)| Some((k.to_string(), json!(v.as_ref()?))))
        .collect()
}

/// `send-sms`: `{to, message, template (default true), conversation_id,
/// attachments}`; Twilio's message resource, or `status: "queued"`.
pub(super) fn send_sms(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let need = ["to", "message"];
    ready(app, a, "twilio", &error::SMS_NOT_CONFIGURED, &need)?;
    let template = a.str("template").as_deref() != Some("false");
    let ids = app.desk.queue_sms(
        actor,
        &arg(a, "to"),
        &arg(a, "message"),
        template,
        a.id("conversation_id")?,
        files(a),
    )?;
    try_now(app, &ids, |first| {
        json!({
            "sid": null, "status": "queued", "to": arg(a, "to"),
            "body": arg(a, "message"), "outbox_id": first,
        })
    })
}

/// A user argument: an id, or `{"id": 123, ...}`.
fn user_arg(a: &Args) -> Option<i64> {
    match a.json("user") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::Object(o)) => o.get("id").and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
        }),
        Some(Value::String(s)) => s.parse().ok(),
        _ => a.id("user").ok().flatten(),
    }
}

/// `messaging-platforms-send-message`: the message stored in the
/// conversation as `user` (else the caller) and sent through the
/// conversation's platform; `true`.
pub(super) fn by_conversation(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let channel = &error::MESSAGING_PLATFORM_NOT_CONFIGURED;
    let need = ["conversation_id", "message"];
    if let Err(e) = not_configured(a, channel, &need) {
        if !e.is(channel) {
            return Err(e);
        }
    }
    let id = a.need_id("conversation_id", &error::MISSING_CONVERSATION_ID)?;
    let c = app.desk.conversation(actor, id)?;
    let platform = crate::channels::by_source(&c.source).ok_or_else(|| {
        channel.with(format!(
            "conversation {id} is not a messaging platform's (source {:?})",
            c.source
        ))
    })?;
    if app.desk.channel_config(platform.name).is_err() {
        return Err(channel.with(format!("channels.{} is not configured", platform.name)));
    }
    let input = MessageInput {
        body: arg(a, "message"),
        attachments: a
            .json("attachments")
            .map(|v| attachments_arg(&v))
            .unwrap_or_default(),
        user_id: user_arg(a),
        ..Default::default()
    };
    app.desk.post_message(actor, id, input)?;
    Ok(Value::Bool(true))
}

/// One platform's `*-send-message`: `to_arg` names the recipient.
fn platform_send(
    app: &App,
    actor: &Actor,
    a: &Args,
    platform: &str,
    channel: &Entry,
    to_arg: &str,
    extra: Map<String, Value>,
) -> Result<Value> {
    ready(app, a, platform, channel, &[to_arg, "message"])?;
    send(
        app,
        actor,
        platform,
        Direct {
            kind: "api",
            to: arg(a, to_arg),
            text: arg(a, "message"),
            files: files(a),
            extra,
            conversation_id: a.id("conversation_id")?,
            recipient_id: a.id("recipient_id")?,
            ..Default::default()
        },
    )
}

pub(super) fn whatsapp(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let e = extra(&[("phone_number_id", a.given("phone_id"))]);
    platform_send(
        app,
        actor,
        a,
        "whatsapp",
        &error::WHATSAPP_NOT_CONFIGURED,
        "to",
        e,
    )
}

/// `whatsapp-send-template`: `parameters` = `["header,params", "body,params",
/// "button,params"]`; the language is `language`, else the first of
/// `template_languages`.
pub(super) fn whatsapp_template(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let need = ["to", "template_name"];
    ready(app, a, "whatsapp", &error::WHATSAPP_NOT_CONFIGURED, &need)?;
    let params: Vec<String> = match a.json("parameters") {
        Some(Value::Array(list)) => list
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect(),
        _ => Vec::new(),
    };
    let split = |i: usize| -> Vec<String> {
        params
            .get(i)
            .map(|s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    let language = a.given("language").unwrap_or_else(|| {
        arg(a, "template_languages")
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .to_string()
    });
    let name = arg(a, "template_name");
    let template = json!({ "name": name, "language": language, "header": split(0),
                           "body": split(1), "buttons": split(2) });
    send(
        app,
        actor,
        "whatsapp",
        Direct {
            kind: "api",
            to: arg(a, "to"),
            text: format!("[template {name}]"),
            extra: extra(&[("phone_number_id", a.given("phone_id"))]),
            template: Some(template),
            recipient_id: a.id("recipient_id")?,
            ..Default::default()
        },
    )
}

pub(super) fn messenger(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    ready(
        app,
        a,
        "messenger",
        &error::MESSENGER_NOT_CONFIGURED,
        &["psid", "facebook_page_id", "message"],
    )?;
    let e = extra(&[
        ("page_id", a.given("facebook_page_id")),
        ("metadata", a.given("metadata")),
    ]);
    platform_send(
        app,
        actor,
        a,
        "messenger",
        &error::MESSENGER_NOT_CONFIGURED,
        "psid",
        e,
    )
}

pub(super) fn telegram(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let e = extra(&[("chat_id", a.given("chat_id"))]);
    platform_send(
        app,
        actor,
        a,
        "telegram",
        &error::TELEGRAM_NOT_CONFIGURED,
        "chat_id",
        e,
    )
}

pub(super) fn viber(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    platform_send(
        app,
        actor,
        a,
        "viber",
        &error::VIBER_NOT_CONFIGURED,
        "viber_id",
        Map::new(),
    )
}

pub(super) fn line(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    platform_send(
        app,
        actor,
        a,
        "line",
        &error::LINE_NOT_CONFIGURED,
        "line_id",
        Map::new(),
    )
}

/// `wechat-send-message` answers `[response, token]`: Frontporch keeps the
/// access token to itself, so the second element is always "".
pub(super) fn wechat(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let r = platform_send(
        app,
        actor,
        a,
        "wechat",
        &error::WECHAT_NOT_CONFIGURED,
        "open_id",
        Map::new(),
    )?;
    Ok(json!([r, ""]))
}
