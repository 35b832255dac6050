//! The one vocabulary of actions macros, keyword bots and the self-service
//! menu run (Chat2Desk's "actions"): checked when saved, run inside the
//! write job of their cause, each through the verb that already does that
//! change (messages by `insert_message` as the bot user, tags by
//! `tags::tag_in`, assignment and department as `update_conversation`
//! does them, closing by `move_status`, handover by `notify::queue`). A
//! macro's `post` step is the exception: it runs after the commit
//! (`desk/macros.rs`).

use super::conversations::{assign_in, department_in, move_status, Assigner};
use super::messages::{insert_message, MessageInput, Prepared};
use super::tags::{tag_in, untag_in, Target};
use crate::domain::Status;
use crate::error::{self, Error, Kind, Result};
use crate::realtime::Hub;
use crate::store::conversations::{self as convs, Head};
use crate::store::{departments, tags, users, Tx};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::sync::{Arc, OnceLock};

/// Steps one macro, bot or menu item runs at most.
pub const MAX_STEPS: usize = 20;
/// A `send_text` step's text, at most (characters).
pub const MAX_TEXT: usize = 2000;

/// Whom a tag step puts the tag on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum To {
    /// The conversation's contact.
    Client,
    /// The conversation.
    #[default]
    Request,
}

/// One action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    SendText {
        text: String,
    },
    AddTag {
        tag_id: i64,
        #[serde(default)]
        to: To,
    },
    RemoveTag {
        tag_id: i64,
        #[serde(default)]
        to: To,
    },
    Assign {
        agent_id: i64,
    },
    Department {
        department_id: i64,
    },
    Close {},
    Handover {},
    /// Macros only: POSTs the conversation's data after the commit.
    Post {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
    },
}

impl Step {
    pub fn kind(&self) -> &'static str {
        match self {
            Step::SendText { .. } => "send_text",
            Step::AddTag { .. } => "add_tag",
            Step::RemoveTag { .. } => "remove_tag",
            Step::Assign { .. } => "assign",
            Step::Department { .. } => "department",
            Step::Close {} => "close",
            Step::Handover {} => "handover",
            Step::Post { .. } => "post",
        }
    }
}

/// Reads steps as sent (a JSON array); `post` only where `posts` allows.
/// Ids are checked against the tables by `check_ids`, in a read.
pub fn parse(v: &Value, posts: bool, allow_private: bool) -> Result<Vec<Step>> {
    let bad = |m: String| error::INVALID_STEPS.with(m);
    let list = v
        .as_array()
        .ok_or_else(|| bad("steps must be a list".into()))?;
    if list.len() > MAX_STEPS {
        return Err(bad(format!("at most {MAX_STEPS} steps")));
    }
    let mut out = Vec::with_capacity(list.len());
    for (i, raw) in list.iter().enumerate() {
        let mut step: Step =
            serde_json::from_value(raw.clone()).map_err(|e| bad(format!("step {}: {e}", i + 1)))?;
        match &mut step {
            Step::SendText { text } => {
                *text = super::text::clean_body(text).trim().to_string();
                let n = text.chars().count();
                if n == 0 || n > MAX_TEXT {
                    return Err(bad(format!(
                        "step {}: text must be 1 to {MAX_TEXT} characters",
                        i + 1
                    )));
                }
            }
            Step::Post { url, token } => {
                if !posts {
                    return Err(bad(format!("step {}: post runs in macros only", i + 1)));
                }
                *url = url.trim().to_string();
                super::commands::catalog::web_url(url)
                    .and_then(|_| crate::delivery::check_url(url, allow_private))
                    .map_err(|e| bad(format!("step {}: {}", i + 1, e.message)))?;
                if let Some(t) = token.as_deref() {
                    if t.len() > 1000 || t.chars().any(char::is_control) {
                        return Err(bad(format!(
                            "step {}: token is at most 1000 characters, no control characters",
                            i + 1
                        )));
                    }
                }
                if token.as_deref().is_some_and(str::is_empty) {
                    *token = None;
                }
            }
            _ => {}
        }
        out.push(step);
    }
    Ok(out)
}

/// Every id the steps name exists (tags, enabled agents, departments).
pub fn check_ids(conn: &rusqlite::Connection, steps: &[Step]) -> Result<()> {
    for (i, s) in steps.iter().enumerate() {
        let what = |m: &str| error::INVALID_STEPS.with(format!("step {}: {m}", i + 1));
        match s {
            Step::AddTag { tag_id, .. } | Step::RemoveTag { tag_id, .. } => {
                tags::get(conn, *tag_id).map_err(|_| what("no such tag"))?;
            }
            Step::Assign { agent_id } => match users::find(conn, *agent_id)? {
                Some(u) if u.user_type.is_agent() && !u.disabled => {}
                _ => return Err(what("no such agent")),
            },
            Step::Department { department_id } => {
                departments::get(conn, *department_id).map_err(|_| what("no such department"))?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// Steps as stored (a JSON array), read back; a row that no longer reads
/// runs nothing.
pub fn stored(v: &Value) -> Vec<Step> {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

/// What the runner needs from outside the job: who is online (round
/// robin, notifications) and the public URL (links in notifications).
/// Set once at start, since hooks run inside jobs that carry neither.
struct Env {
    hub: Arc<Hub>,
    public_url: String,
}

static ENV: OnceLock<Env> = OnceLock::new();

/// Called once by `Desk::new`.
pub fn attach(hub: Arc<Hub>, public_url: &str) {
    let _ = ENV.set(Env {
        hub,
        public_url: public_url.to_string(),
    });
}

fn online() -> Vec<i64> {
    ENV.get().map(|e| e.hub.online_users()).unwrap_or_default()
}

fn public_url() -> String {
    ENV.get().map(|e| e.public_url.clone()).unwrap_or_default()
}

/// A run of steps in one conversation.
pub struct Run {
    pub conversation_id: i64,
    /// Who the changes are by: the agent running a macro, or the bot.
    pub actor_id: i64,
    /// The install's bot user, who sends the texts.
    pub bot_id: i64,
    /// `payload.bot` of the texts sent: `macro`, `keyword`, `menu`.
    pub origin: &'static str,
}

/// The install's bot user (`users::ensure_bot` made it at start).
pub fn bot_id(tx: &Tx) -> Result<i64> {
    users::by_external_id(tx.conn, "frontporch:bot")?
        .map(|u| u.id)
        .ok_or_else(|| Error::internal("the bot user is missing"))
}

/// Runs the steps in `tx`, in order; `post` steps are left for after the
/// commit (`{type: "post", ok: null}`). A step the data no longer allows
/// (a tag deleted since) is recorded as failed and the rest still run;
/// a database error fails the job.
pub fn run(tx: &mut Tx, run: &Run, steps: &[Step]) -> Result<Vec<Value>> {
    let mut results = Vec::with_capacity(steps.len());
    for step in steps.iter().take(MAX_STEPS) {
        let r = match step {
            Step::Post { .. } => {
                results.push(json!({ "type": "post", "ok": null }));
                continue;
            }
            _ => one(tx, run, step),
        };
        results.push(match r {
            Ok(()) => json!({ "type": step.kind(), "ok": true }),
            Err(e) if matches!(e.kind, Kind::Internal | Kind::InsufficientStorage) => {
                return Err(e)
            }
            Err(e) => json!({ "type": step.kind(), "ok": false, "error": e.message }),
        });
    }
    Ok(results)
}

fn one(tx: &mut Tx, run: &Run, step: &Step) -> Result<()> {
    let id = run.conversation_id;
    match step {
        Step::SendText { text } => {
            let mut payload = Map::new();
            payload.insert("bot".into(), json!(run.origin));
            send(tx, run, text, payload)
        }
        Step::AddTag { tag_id, to } => {
            tag_in(tx, target(tx, id, *to)?, *tag_id, Some(run.actor_id)).map(drop)
        }
        Step::RemoveTag { tag_id, to } => {
            untag_in(tx, target(tx, id, *to)?, *tag_id, Some(run.actor_id)).map(drop)
        }
        Step::Assign { agent_id } => {
            let before = convs::get(tx.conn, id)?;
            let (url, connected) = (public_url(), online());
            let by = Assigner {
                actor_id: run.actor_id,
                public_url: &url,
                connected: &connected,
            };
            assign_in(tx, &before, Some(*agent_id), &by)
        }
        Step::Department { department_id } => {
            let before = convs::get(tx.conn, id)?;
            department_in(tx, &before, Some(*department_id), run.actor_id)
        }
        Step::Close {} => {
            let head = convs::head(tx.conn, id)?;
            move_status(tx, id, run.actor_id, head.status, Status::Archive)
        }
        Step::Handover {} => {
            let online = online();
            super::commands::notify::queue(tx, id, run.actor_id, &online).map(drop)
        }
        Step::Post { .. } => Ok(()),
    }
}

fn target(tx: &Tx, conversation_id: i64, to: To) -> Result<Target> {
    Ok(match to {
        To::Request => Target::Request(conversation_id),
        To::Client => Target::Client(convs::head(tx.conn, conversation_id)?.user_id),
    })
}

/// Sends `text` as the bot into the run's conversation (so it leaves on the
/// conversation's channel), leaving its status as it is: a bot's answer
/// does not take the request from the agents' queue.
pub fn send(tx: &mut Tx, run: &Run, text: &str, payload: Map<String, Value>) -> Result<()> {
    let head: Head = convs::head(tx.conn, run.conversation_id)?;
    let p = Prepared {
        input: MessageInput {
            body: text.chars().take(super::messages::MAX_BODY_CHARS).collect(),
            payload: Some(payload),
            keep_status: true,
            literal: true,
            ..Default::default()
        },
        sender: run.bot_id,
        status: None,
    };
    insert_message(tx, &head, run.bot_id, true, p).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_parse_and_refuse() {
        let v = json!([
            {"type": "send_text", "text": " hi "},
            {"type": "add_tag", "tag_id": 3, "to": "client"},
            {"type": "remove_tag", "tag_id": 3},
            {"type": "close"},
            {"type": "post", "url": "https://crm.example/hook", "token": "t"}
        ]);
        let s = parse(&v, true, false).unwrap();
        assert_eq!(s[0], Step::SendText { text: "hi".into() });
        assert_eq!(
            s[2],
            Step::RemoveTag {
                tag_id: 3,
                to: To::Request
            }
        );
        assert!(parse(&v, false, false).is_err(), "post in macros only");
        for bad in [
            json!([{"type": "send_text", "text": ""}]),
            json!([{"type": "nope"}]),
            json!([{"type": "close", "extra": 1}]),
            json!([{"type": "post", "url": "javascript:alert(1)"}]),
            json!([{"type": "post", "url": "http://127.0.0.1/x"}]),
            json!({"type": "close"}),
            Value::Array(vec![json!({"type": "close"}); MAX_STEPS + 1]),
        ] {
            let e = parse(&bad, true, false).unwrap_err();
            assert_eq!(e.code, "invalid_steps", "{bad}");
        }
        assert!(parse(
            &json!([{"type": "post", "url": "http://127.0.0.1/x"}]),
            true,
            true
        )
        .is_ok());
    }
}
