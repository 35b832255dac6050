//! Server dot commands: a JSON description of the command and its
//! conversation POSTed to the admin's URL, signed as the standard webhooks
//! are (`delivery::webhook::sign`), through the webhooks' guarded agent,
//! with a short timeout. The answer is posted: a string (or plain text),
//! or a Slack-format object as a rich message (`payload.rich`, text only,
//! with a plain-text body). What goes wrong reaches the agent alone, as a
//! note; nothing reaches the visitor.

use super::dot::post;
use super::Outcome;
use super::Run;
use crate::channels::{Body, Http, Request};
use crate::desk::messages::MAX_BODY_CHARS;
use crate::desk::Desk;
use crate::error::{self, Result};
use crate::store::commands::Command;
use crate::store::{conversations as convs, messages, users};
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Server commands waiting on their server at once, at most.
const MAX_RUNNING: usize = 4;
const TIMEOUT: Duration = Duration::from_secs(5);
/// The most of an answer read.
const MAX_ANSWER: usize = 64 << 10;
/// How many recent messages the description carries.
const RECENT: i64 = 20;

static RUNNING: crate::util::Gate = crate::util::Gate::new(MAX_RUNNING);
static ALLOW_PRIVATE: AtomicBool = AtomicBool::new(false);

/// Whether server commands may reach private addresses: as webhooks may
/// (`FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS`), set once at start.
pub fn allow_private_addresses(allow: bool) {
    ALLOW_PRIVATE.store(allow, Ordering::Relaxed);
}

/// One of the `MAX_RUNNING` places, given back when dropped.
fn place() -> Result<crate::util::Pass> {
    RUNNING
        .enter()
        .ok_or_else(|| error::TOO_MANY_COMMANDS.err())
}

/// What the server's answer becomes.
#[derive(Debug, PartialEq)]
enum Answer {
    Text(String),
    /// The sanitized Slack message and its plain-text rendering.
    Rich(Value, String),
    /// A 2xx with an empty body: the server did something (`.ban`) and
    /// has nothing to post.
    Nothing,
    /// What went wrong, said for the agent.
    Failed(String),
}

pub(super) fn server(desk: &Desk, run: &Run, c: &Command) -> Result<Outcome> {
    let description = describe(desk, run)?;
    let answer = {
        let _pass = place()?;
        call(&c.value, c.secret.as_deref().unwrap_or(""), description)
    };
    let (body, rich, private, result) = match answer {
        Answer::Text(t) => {
            let (private, text) = split_private(&t);
            let r = json!({ "kind": "server", "ok": true, "rich": false });
            (cut(text, MAX_BODY_CHARS), None, private, r)
        }
        Answer::Rich(mut rich, plain) => {
            let text = rich["text"].as_str().unwrap_or("").to_string();
            let (private, rest) = split_private(&text);
            if private {
                rich["text"] = json!(rest);
            }
            let plain = plain
                .strip_prefix("..")
                .unwrap_or(&plain)
                .trim()
                .to_string();
            let r = json!({ "kind": "server", "ok": true, "rich": true });
            (cut(&plain, MAX_BODY_CHARS), Some(rich), private, r)
        }
        Answer::Nothing => {
            let text = nothing_note(&run.name);
            let r = json!({ "kind": "server", "ok": true, "rich": false, "empty": true });
            (text, None, true, r)
        }
        Answer::Failed(why) => {
            let text = format!("Server command .{} failed: {why}", run.name);
            let r = json!({ "kind": "server", "ok": false, "error": why });
            (cut(&text, MAX_BODY_CHARS), None, true, r)
        }
    };
    if body.trim().is_empty() {
        // `".."`, or a card with nothing to read: nothing to post.
        let r = json!({ "kind": "server", "ok": true, "empty": true });
        return post(desk, run, nothing_note(&run.name), None, true, r);
    }
    post(desk, run, body, rich, private, result)
}

fn nothing_note(name: &str) -> String {
    format!("Server command .{name} ran; the server answered nothing to post.")
}

/// `..text`: for agents only.
fn split_private(text: &str) -> (bool, &str) {
    match text.trim().strip_prefix("..") {
        Some(rest) => (true, rest.trim()),
        None => (false, text.trim()),
    }
}

/// At most `max` characters.
fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// The JSON the server gets: the command, agent, contact, conversation
/// and its 20 most recent public messages, oldest first.
fn describe(desk: &Desk, run: &Run) -> Result<Value> {
    desk.store.read(|conn| {
        let conv = convs::get(conn, run.conversation_id)?;
        let contact = users::find(conn, conv.user_id)?.unwrap_or_default();
        let agent = users::find(conn, run.actor.user_id)?.unwrap_or_default();
        let recent = messages::page(conn, conv.id, i64::MAX, RECENT, false)?;
        let recent: Vec<Value> = recent
            .iter()
            .filter(|m| m.deleted_at.is_none())
            .map(|m| {
                let by_contact = m.user_id == Some(conv.user_id)
                    || m.sender.as_ref().is_some_and(|s| !s.0.is_staff());
                json!({
                    "id": m.id, "from": if by_contact { "contact" } else { "agent" },
                    "text": m.body, "created_at": crate::util::rfc3339(m.created_at),
                })
            })
            .collect();
        Ok(json!({
            "command": run.name, "args": run.args,
            "agent": { "id": agent.id, "name": agent.name(), "email": agent.email },
            "contact": { "id": contact.id, "name": contact.name(), "email": contact.email, "phone": contact.phone },
            "conversation": {
                "id": conv.id, "title": conv.title, "status": conv.status,
                "department_id": conv.department_id, "source": conv.source, "extra": conv.extra,
            },
            "messages": recent,
        }))
    })
}

/// POSTs the description, signed with the command's secret, and reads
/// the answer.
fn call(url: &str, secret: &str, description: Value) -> Answer {
    let allow_private = ALLOW_PRIVATE.load(Ordering::Relaxed);
    if let Err(e) = crate::delivery::check_url(url, allow_private) {
        return Answer::Failed(e.message);
    }
    let body = description.to_string();
    let id = crate::util::random_token("cmd_", 12);
    let ts = crate::util::now_ms() / 1000;
    let signature = crate::delivery::webhook::sign(secret, &id, ts, &body);
    let mut req = Request::new("POST", url, Body::Json(description))
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", signature);
    req.limit = MAX_ANSWER;
    let http = crate::delivery::platform_http::PlatformHttp::with_timeout(allow_private, TIMEOUT);
    match http.call(req) {
        Err(why) => Answer::Failed(why),
        Ok(r) => judge(r.status, &r.content_type, &r.body),
    }
}

/// A string or plain text, a Slack message, or what was wrong with it.
fn judge(status: u16, content_type: &str, body: &[u8]) -> Answer {
    let excerpt = || cut(String::from_utf8_lossy(body).trim(), 200);
    if !(200..300).contains(&status) {
        return Answer::Failed(format!("the server answered HTTP {status}: {}", excerpt()));
    }
    let Ok(text) = std::str::from_utf8(body) else {
        return Answer::Failed("the answer is not UTF-8 text".into());
    };
    if text.trim().is_empty() {
        return Answer::Nothing;
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::String(s)) if !s.trim().is_empty() => Answer::Text(s),
        Ok(Value::Object(o)) => match slack(&o) {
            Some((rich, plain)) => Answer::Rich(rich, plain),
            None => Answer::Failed(format!(
                "the answer is no Slack message to show (text or attachments, at most 15 KB kept): {}",
                excerpt()
            )),
        },
        Ok(Value::Number(n)) => Answer::Text(n.to_string()),
        Ok(_) => Answer::Failed(format!("the answer is unreadable: {}", excerpt())),
        Err(_) if content_type.contains("json") => {
            Answer::Failed(format!("the answer is not valid JSON: {}", excerpt()))
        }
        Err(_) => Answer::Text(text.to_string()),
    }
}

/// Most attachments, and fields per attachment, kept from a Slack message.
const MAX_ATTACHMENTS: usize = 10;
const MAX_FIELDS: usize = 10;
/// A Slack message kept as a payload stays under the payload limit.
const MAX_RICH: usize = 15_000;

/// The parts of a Slack message we show, as text and http(s) links only,
/// and its plain-text rendering. `None`: nothing to show, or too large.
fn slack(o: &Map<String, Value>) -> Option<(Value, String)> {
    let text = string(o.get("text"), 4000);
    let mut plain = vec![text.clone()];
    let mut attachments = Vec::new();
    for a in o
        .get("attachments")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .take(MAX_ATTACHMENTS)
    {
        let mut out = Map::new();
        for key in ["title", "text"] {
            let s = string(a.get(key), 2000);
            if !s.is_empty() {
                plain.push(s.clone());
                out.insert(key.into(), json!(s));
            }
        }
        for key in ["title_link", "image_url"] {
            if let Some(u) = web_link(a.get(key)) {
                plain.push(u.clone());
                out.insert(key.into(), json!(u));
            }
        }
        let color = string(a.get("color"), 20);
        if !color.is_empty() && color.chars().all(|c| c.is_ascii_alphanumeric() || c == '#') {
            out.insert("color".into(), json!(color));
        }
        let fields: Vec<Value> = a
            .get("fields")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
            .take(MAX_FIELDS)
            .map(|f| {
                let (t, v) = (string(f.get("title"), 200), string(f.get("value"), 1000));
                plain.push(format!("{t}: {v}"));
                json!({ "title": t, "value": v, "short": f.get("short").and_then(Value::as_bool).unwrap_or(false) })
            })
            .collect();
        if !fields.is_empty() {
            out.insert("fields".into(), Value::Array(fields));
        }
        if !out.is_empty() {
            attachments.push(Value::Object(out));
        }
    }
    if text.is_empty() && attachments.is_empty() {
        return None;
    }
    let rich = json!({ "text": text, "attachments": attachments });
    if rich.to_string().len() > MAX_RICH {
        return None;
    }
    let plain: Vec<String> = plain.into_iter().filter(|s| !s.is_empty()).collect();
    Some((rich, plain.join("\n")))
}

/// A string field, cleaned as message text and cut to `max` characters.
fn string(v: Option<&Value>, max: usize) -> String {
    let s = v.and_then(Value::as_str).unwrap_or("");
    cut(crate::desk::text::clean_body(s).trim(), max)
}

/// An http(s) URL, or nothing.
fn web_link(v: Option<&Value>) -> Option<String> {
    let s = v.and_then(Value::as_str)?.trim();
    (s.len() <= 2000 && super::catalog::web_url(s).is_ok()).then(|| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_judged() {
        assert_eq!(
            judge(200, "application/json", br#""hi""#),
            Answer::Text("hi".into())
        );
        assert_eq!(
            judge(200, "text/plain", b"hello"),
            Answer::Text("hello".into())
        );
        assert!(
            matches!(judge(500, "text/plain", b"boom"), Answer::Failed(w) if w.contains("500") && w.contains("boom"))
        );
        assert!(matches!(
            judge(200, "application/json", b"[1]"),
            Answer::Failed(_)
        ));
        assert!(matches!(
            judge(200, "application/json", b"{oops"),
            Answer::Failed(_)
        ));
        assert!(matches!(
            judge(200, "application/json", b"{}"),
            Answer::Failed(_)
        ));
    }

    #[test]
    fn at_most_four_wait_at_once() {
        let held: Vec<_> = (0..MAX_RUNNING).map(|_| place().unwrap()).collect();
        let e = place().err().expect("a fifth is refused");
        assert_eq!(e.code, "too_many_commands");
        drop(held);
        assert!(place().is_ok());
    }

    #[test]
    fn slack_keeps_text_and_web_links_only() {
        let o = json!({ "text": "<b>x</b>", "attachments": [{
            "title": "T", "title_link": "javascript:alert(1)", "image_url": "https://e.test/i.png",
            "color": "#ff0000\"", "fields": [{ "title": "a", "value": "b", "short": true }],
        }]});
        let (rich, plain) = slack(o.as_object().unwrap()).unwrap();
        assert_eq!(rich["text"], "<b>x</b>");
        let a = &rich["attachments"][0];
        assert!(a.get("title_link").is_none());
        assert!(a.get("color").is_none());
        assert_eq!(a["image_url"], "https://e.test/i.png");
        assert_eq!(plain, "<b>x</b>\nT\nhttps://e.test/i.png\na: b");
    }
}
