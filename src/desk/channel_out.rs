//! Messaging platforms, out: an agent's public message in a conversation
//! whose source is a platform's (`tg`, `wa`, ...) becomes outbox rows
//! (channel = the platform's name, no endpoint) in the message's own write
//! job; `delivery/channels.rs` sends them. Text longer than the platform
//! takes leaves in parts (split at whitespace, numbered, in order); files
//! leave as media where the platform sends media, else as links in the
//! text. Where the platform has a reply window (WhatsApp: 24 hours after
//! the customer's last message), free text outside it is refused before
//! anything is stored; a template (a message whose payload names one, from
//! `channels.<name>.templates`) may still be sent.
//!
//! A row's payload (contract 5): `{kind: reply|api|test|notification|
//! automation, to, source, extra, text, media: [{name, url, content_type}]
//! (canonical `/uploads/...`: the lane signs them when it sends), template,
//! conversation_id, message, part, parts}`.

use super::{check_len, Actor, Desk};
use crate::channels::{self, Platform};
use crate::error::{self, Result};
use crate::store::events::Audience;
use crate::store::messages::Message;
use crate::store::users::User;
use crate::store::{channel_out as rows, outbox, settings, Tx};
use serde_json::{json, Map, Value};

/// Most parts one message is split into (10,000 characters at 160 each
/// would be 63: SMS bodies are up to 1,600).
const MAX_PARTS: usize = 40;

/// Queues one platform row and says so (`channel.queued`).
pub fn queue(tx: &mut Tx, platform: &str, payload: Value) -> Result<i64> {
    let id = outbox::insert(tx, platform, None, None, &payload.to_string())?;
    tx.emit(
        "channel.queued",
        payload["conversation_id"].as_i64(),
        None,
        Audience::Staff,
        json!({
            "outbox_id": id, "platform": platform, "kind": payload["kind"], "to": payload["to"],
            "message": payload["message"], "part": payload["part"], "parts": payload["parts"],
        }),
    )?;
    Ok(id)
}

/// `text` in parts of at most `max` characters, cut at whitespace where
/// there is some (the whitespace at a cut is dropped), in order.
pub fn split(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut parts = Vec::new();
    let mut rest: Vec<char> = text.trim().chars().collect();
    while rest.len() > max {
        let cut = rest[..=max]
            .iter()
            .rposition(|c| c.is_whitespace())
            .filter(|&i| i > 0)
            .unwrap_or(max);
        let part: String = rest[..cut].iter().collect();
        parts.push(part.trim_end().to_string());
        let skip = rest[cut..].iter().take_while(|c| c.is_whitespace()).count();
        rest.drain(..cut + skip);
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(rest.iter().collect());
    }
    parts
}

/// The customer's id on the conversation's platform: their identity for
/// that source, else what the conversation's extra names.
fn recipient(tx: &Tx, user_id: i64, source: &str, extra: &Value) -> Result<String> {
    let ids = crate::store::channels::identities_of(tx.conn, user_id)?;
    if let Some((_, id)) = ids.into_iter().find(|(s, _)| s == source) {
        return Ok(id);
    }
    if let Some(id) = ["chat_id", "phone", "psid", "user_id", "open_id"]
        .iter()
        .find_map(|k| extra[*k].as_str())
    {
        return Ok(id.to_string());
    }
    // SMS and WhatsApp reach a phone number: the contact's own.
    let phone = match source {
        "tx" | "wa" => crate::store::users::find(tx.conn, user_id)?.and_then(|u| u.phone),
        _ => None,
    };
    Ok(phone.unwrap_or_default())
}

/// Whether the reply window of `p` is open in the conversation now.
fn window_open(tx: &Tx, p: &Platform, conversation_id: i64) -> Result<bool> {
    let Some(hours) = p.caps.reply_window_hours else {
        return Ok(true);
    };
    let last = rows::last_contact_message_at(tx.conn, conversation_id)?;
    Ok(last.is_some_and(|at| tx.now - at < i64::from(hours) * 3600 * 1000))
}

/// Whether free text can leave conversation `id` of `source` now: its
/// platform's reply window (not a platform's source: yes). Quality scores
/// ask only where the question can leave.
pub(super) fn can_send_text(tx: &Tx, source: &str, id: i64) -> Result<bool> {
    match channels::by_source(source) {
        Some(p) => window_open(tx, p, id),
        None => Ok(true),
    }
}

/// The window refusal, naming the window.
fn window_closed(p: &Platform) -> error::Error {
    let hours = p.caps.reply_window_hours.unwrap_or(0);
    let window = if hours.is_multiple_of(24) && hours >= 48 {
        format!("{} days", hours / 24)
    } else {
        format!("{hours} hours")
    };
    error::REPLY_WINDOW_CLOSED.with(format!(
        "{}'s reply window is closed: free text can only be sent within {window} of the \
         customer's last message; send a template instead",
        p.label
    ))
}

/// The admin-listed template `name` in `language` of platform `p`.
fn listed_template(tx: &Tx, p: &Platform, name: &str, language: &str) -> Result<Value> {
    let key = format!("{}{}.templates", super::channel_settings::PREFIX, p.name);
    let list = settings::get(tx.conn, &key)?.unwrap_or(Value::Null);
    list.as_array()
        .into_iter()
        .flatten()
        .find(|t| t["name"] == name && (language.is_empty() || t["language"] == language))
        .cloned()
        .ok_or_else(|| {
            error::UNKNOWN_TEMPLATE
                .with(format!("{key} lists no template {name:?} in {language:?}"))
        })
}

/// The file links of a message's attachments: (name, canonical url, type).
fn files(m: &Message) -> Vec<(String, String, String)> {
    m.attachments
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| {
            Some((
                a["name"].as_str().unwrap_or("file").to_string(),
                a["url"].as_str()?.to_string(),
                a["type"].as_str().unwrap_or("").to_string(),
            ))
        })
        .collect()
}

/// The rows of one text (and files) to `to` on `p`: parts split at the
/// platform's limit, files as media on the last part or as links.
pub fn rows_for(
    p: &Platform,
    base: &Value,
    text: &str,
    files: &[(String, String, String)],
) -> Vec<Value> {
    let mut text = text.to_string();
    let mut media = Vec::new();
    for (name, url, content_type) in files {
        if p.caps.media {
            media.push(json!({ "name": name, "url": url, "content_type": content_type }));
        } else {
            text.push_str(&format!("\n{name}: {url}"));
        }
    }
    let mut parts = split(&text, p.caps.max_text);
    if parts.len() > MAX_PARTS {
        parts.truncate(MAX_PARTS);
    }
    let n = parts.len();
    parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let mut row = base.clone();
            row["text"] = json!(part);
            row["media"] = if i + 1 == n { json!(media) } else { json!([]) };
            row["part"] = json!(i + 1);
            row["parts"] = json!(n);
            row
        })
        .collect()
}

/// Contract 5's hook in `insert_message`: an agent's public message in a
/// platform's conversation leaves through it. Free text outside the reply
/// window is an error, so the job (and the message) is undone.
pub(super) fn queue_reply(
    tx: &mut Tx,
    conversation_id: i64,
    contact_id: i64,
    sender: &User,
    m: &Message,
) -> Result<()> {
    if m.private || !sender.is_staff() || sender.id == contact_id {
        return Ok(());
    }
    let Some((source, extra)) = rows::route(tx.conn, conversation_id)? else {
        return Ok(());
    };
    let Some(p) = channels::by_source(&source) else {
        return Ok(());
    };
    let to = recipient(tx, contact_id, &source, &extra)?;
    let template = match m.payload.get("template").filter(|t| t.is_object()) {
        Some(t) if p.caps.templates => {
            let name = t["name"].as_str().unwrap_or("");
            let language = t["language"].as_str().unwrap_or("");
            listed_template(tx, p, name, language)?;
            Some(t.clone())
        }
        Some(_) => return Err(error::NO_TEMPLATES.err()),
        None => None,
    };
    if template.is_none() && !window_open(tx, p, conversation_id)? {
        return Err(window_closed(p));
    }
    let base = json!({
        "kind": "reply", "to": to, "source": source, "extra": extra, "template": template,
        "conversation_id": conversation_id, "message": m.id,
    });
    let list = if template.is_some() {
        let mut row = base;
        row["text"] = json!(m.body);
        row["media"] = json!([]);
        row["part"] = json!(1);
        row["parts"] = json!(1);
        vec![row]
    } else {
        rows_for(p, &base, &m.body, &files(m))
    };
    for row in list {
        queue(tx, p.name, row)?;
    }
    Ok(())
}

/// A touchpoint's reply (`desk/touchpoint.rs`): agent message `m` of
/// conversation `conversation_id` to `to` on platform `name` as `source`,
/// whatever the conversation's own source is.
pub(super) fn queue_reply_to(
    tx: &mut Tx,
    name: &str,
    to: &str,
    source: &str,
    conversation_id: i64,
    m: &Message,
) -> Result<()> {
    let Some(p) = channels::platform(name) else {
        return Ok(());
    };
    let base = json!({
        "kind": "reply", "to": to, "source": source, "extra": {}, "template": null,
        "conversation_id": conversation_id, "message": m.id,
    });
    for row in rows_for(p, &base, &m.body, &files(m)) {
        queue(tx, p.name, row)?;
    }
    Ok(())
}

/// The text a template shows in the conversation: its listed text with
/// `{{1}}`, `{{2}}`... replaced by the body parameters.
fn template_text(listed: &Value, body: &[String]) -> String {
    let mut text = listed["text"].as_str().unwrap_or("").to_string();
    for (i, v) in body.iter().enumerate() {
        text = text.replace(&format!("{{{{{}}}}}", i + 1), v);
    }
    if text.trim().is_empty() {
        format!("[template {}]", listed["name"].as_str().unwrap_or(""))
    } else {
        text
    }
}

/// A template to send, as the REST route and Support Board give it.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateInput {
    pub name: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub header: Vec<String>,
    #[serde(default, alias = "parameters")]
    pub body: Vec<String>,
    #[serde(default)]
    pub buttons: Vec<String>,
}

impl TemplateInput {
    fn check(&self) -> Result<()> {
        check_len("name", &self.name, 512)?;
        check_len("language", &self.language, 20)?;
        if self.name.trim().is_empty() {
            return Err(error::MISSING_ARGUMENTS.with("name is required"));
        }
        let all = self.header.iter().chain(&self.body).chain(&self.buttons);
        if all.clone().count() > 30 {
            return Err(error::TOO_MANY.with("at most 30 template parameters"));
        }
        for v in all {
            check_len("parameter", v, 1024)?;
        }
        Ok(())
    }
}

/// A file's type from its name, for the platforms that send images and
/// documents differently (a link's real type is not known before sending).
fn guess_type(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "mp4" => "video/mp4",
        "mp3" => "audio/mpeg",
        "ogg" => "audio/ogg",
        _ => "",
    }
}

/// A message to a platform's user named by the caller, outside any
/// conversation (Support Board's `telegram-send-message`, `send-sms`...).
#[derive(Debug, Default, Clone)]
pub struct Direct {
    /// `kind` of the rows: `api` (a caller's send), `notification`, `automation`.
    pub kind: &'static str,
    pub to: String,
    pub text: String,
    /// (name, link): our uploads or any http(s) URL.
    pub files: Vec<(String, String)>,
    /// What the platform needs besides `to` (`chat_id`, `page_id`, ...).
    pub extra: Map<String, Value>,
    pub template: Option<Value>,
    pub recipient_id: Option<i64>,
    /// A conversation the message belongs to, when the caller named one.
    pub conversation_id: Option<i64>,
}

/// How long a caller waits for the platform (a direct send's first try).
pub const DIRECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl Desk {
    /// Queues a direct send: its rows (kind `api`, no message; the delivery
    /// log records them) are put off a little, so the caller can make the
    /// first attempt itself (`Delivery::send_channel_now`) without the lane
    /// sending them too; if the caller dies, the lane sends them then.
    /// `channel_not_configured` when the platform has no setting.
    pub fn queue_direct(&self, actor: &Actor, platform: &str, d: Direct) -> Result<Vec<i64>> {
        actor.require_admin()?;
        let (p, _) = self.channel_config(platform)?;
        if let Some(id) = d.conversation_id {
            self.conversation(actor, id)?;
        }
        let to = d.to.trim().to_string();
        check_len("to", &to, 200)?;
        super::text::refuse_controls("to", &to)?;
        if to.is_empty() {
            return Err(error::MISSING_ARGUMENTS.with("the recipient is required"));
        }
        let text = super::text::clean_body(&d.text);
        check_len("message", &text, super::messages::MAX_BODY_CHARS)?;
        if d.files.len() > 10 {
            return Err(error::TOO_MANY_ATTACHMENTS.err());
        }
        let mut files = Vec::new();
        for (name, link) in &d.files {
            check_len("attachment name", name, 255)?;
            check_len("attachment url", link, 2000)?;
            let url = self.links.canonical(link);
            let lower = url.to_ascii_lowercase();
            if !(lower.starts_with("https://")
                || lower.starts_with("http://")
                || url.starts_with("/uploads/"))
            {
                return Err(error::INVALID_ATTACHMENT.err());
            }
            let name = if name.is_empty() {
                channels::file_name(&url).unwrap_or_else(|| "file".into())
            } else {
                name.clone()
            };
            let content_type = guess_type(&name).to_string();
            files.push((name, url, content_type));
        }
        if text.trim().is_empty() && files.is_empty() && d.template.is_none() {
            return Err(error::EMPTY_MESSAGE.err());
        }
        let base = json!({
            "kind": d.kind, "to": to, "source": p.sources[0], "extra": d.extra,
            "template": d.template, "conversation_id": d.conversation_id, "message": null,
            "recipient_id": d.recipient_id,
        });
        let list = if d.template.is_some() {
            let mut row = base;
            row["text"] = json!(text);
            row["media"] = json!([]);
            row["part"] = json!(1);
            row["parts"] = json!(1);
            vec![row]
        } else {
            rows_for(p, &base, &text, &files)
        };
        let name = p.name;
        self.store.write(move |tx| {
            let mut ids = Vec::new();
            for row in list {
                ids.push(queue(tx, name, row)?);
            }
            rows::defer(tx, &ids, tx.now + 30_000)?;
            Ok(ids)
        })
    }

    /// Sends a listed template in a conversation of a platform with
    /// templates (allowed outside the reply window): a message showing the
    /// template, queued like any reply.
    pub fn send_template(
        &self,
        actor: &Actor,
        conversation_id: i64,
        t: TemplateInput,
    ) -> Result<Message> {
        actor.require_staff()?;
        t.check()?;
        let c = self.conversation(actor, conversation_id)?;
        let p = channels::by_source(&c.source)
            .filter(|p| p.caps.templates)
            .ok_or_else(|| error::NO_TEMPLATES.err())?;
        let key = format!("{}{}.templates", super::channel_settings::PREFIX, p.name);
        let list = self
            .store
            .read(|c| settings::get(c, &key))?
            .unwrap_or(Value::Null);
        let listed = list
            .as_array()
            .into_iter()
            .flatten()
            .find(|l| {
                l["name"] == t.name.as_str()
                    && (t.language.is_empty() || l["language"] == t.language.as_str())
            })
            .cloned()
            .ok_or_else(|| {
                error::UNKNOWN_TEMPLATE.with(format!("{key} lists no template {:?}", t.name))
            })?;
        let language = if t.language.is_empty() {
            listed["language"].as_str().unwrap_or("").to_string()
        } else {
            t.language.clone()
        };
        let mut payload = Map::new();
        payload.insert(
            "template".into(),
            json!({ "name": t.name, "language": language, "header": t.header,
                    "body": t.body, "buttons": t.buttons }),
        );
        let input = super::messages::MessageInput {
            body: template_text(&listed, &t.body),
            payload: Some(payload),
            ..Default::default()
        };
        self.post_message(actor, conversation_id, input)
    }

    /// The messaging platform deliveries, newest first, with the
    /// platform's last reply beside the state.
    pub fn channel_deliveries(
        &self,
        actor: &Actor,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Value>> {
        actor.require_admin()?;
        let names: Vec<&str> = channels::PLATFORMS.iter().map(|p| p.name).collect();
        self.store.read(|c| {
            outbox::list_channel(c, &names, before.unwrap_or(i64::MAX), limit.clamp(1, 200))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_cuts_at_whitespace_in_order() {
        assert_eq!(split("hello world", 100), vec!["hello world"]);
        assert_eq!(split("aaa bbb ccc", 7), vec!["aaa bbb", "ccc"]);
        assert_eq!(split("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(split("", 4), vec![""]);
        let long = format!("{} {}", "é".repeat(4000), "🚲".repeat(1000));
        let parts = split(&long, 4096);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], "é".repeat(4000));
        assert_eq!(parts[1], "🚲".repeat(1000));
        for p in split(&"word ".repeat(3000), 160) {
            assert!(p.chars().count() <= 160 && !p.starts_with(' '));
        }
    }

    #[test]
    fn files_become_links_where_the_platform_sends_no_media() {
        let mut p = channels::platform("telegram").unwrap();
        let files = vec![(
            "a.pdf".to_string(),
            "/uploads/abc/a.pdf".to_string(),
            "application/pdf".to_string(),
        )];
        let rows = rows_for(p, &json!({"kind": "reply"}), "see", &files);
        assert_eq!(rows[0]["media"][0]["url"], "/uploads/abc/a.pdf");
        assert_eq!(rows[0]["text"], "see");
        p = channels::platform("twilio").unwrap();
        if !p.caps.media {
            let rows = rows_for(p, &json!({}), "see", &files);
            assert_eq!(rows[0]["text"], "see\na.pdf: /uploads/abc/a.pdf");
        }
    }

    #[test]
    fn the_window_names_itself() {
        let e = window_closed(channels::platform("whatsapp").unwrap());
        assert!(e.message.contains("24 hours"), "{}", e.message);
        assert_eq!(e.code, "reply_window_closed");
    }
}
