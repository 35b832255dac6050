//! `/action like` and `/action comment <text>` on `meta.message` (a
//! message of this conversation): at most 100 likes and 10 comments a
//! message, as ChatShipper has them; `GET /v2/messages/{id}` and the
//! inbox show them (`likes_and_comments`, `Desk::reactions`).

use super::{Outcome, Run};
use crate::desk::{Actor, Desk};
use crate::error::{self, Error, Result};
use crate::store::events::Audience;
use crate::store::message_actions::{self as actions, Comment};
use crate::store::{messages, users};
use serde_json::{json, Value};

pub const MAX_LIKES: usize = 100;
pub const MAX_COMMENTS: usize = 10;
/// The longest comment, in characters.
pub const MAX_COMMENT: usize = 1000;

enum Action {
    Like,
    Comment(String),
}

pub fn action(desk: &Desk, run: &Run) -> Result<Outcome> {
    let (word, rest) = match run.args.find(char::is_whitespace) {
        Some(i) => (&run.args[..i], run.args[i..].trim()),
        None => (run.args.as_str(), ""),
    };
    let action = match word.to_lowercase().as_str() {
        "like" => Action::Like,
        "comment" => {
            let text = crate::desk::text::clean_body(rest).trim().to_string();
            if text.is_empty() {
                return Err(error::INVALID_ACTION.with("/action comment needs a text"));
            }
            crate::desk::check_len("comment", &text, MAX_COMMENT)?;
            Action::Comment(text)
        }
        _ => return Err(error::INVALID_ACTION.err()),
    };
    let message_id = target(run)?;
    let run = run.clone();
    desk.store.write(move |tx| {
        let m = messages::get(tx.conn, message_id).map_err(|_| Error::not_found("message"))?;
        if m.conversation_id != run.conversation_id || m.deleted_at.is_some() {
            return Err(Error::not_found("message"));
        }
        let (id, user) = (run.conversation_id, run.actor.user_id);
        match action {
            Action::Like => {
                let already = actions::likes_it(tx.conn, message_id, user)?;
                if !already && actions::likes(tx.conn, message_id)?.len() >= MAX_LIKES {
                    return Err(error::TOO_MANY_LIKES.err());
                }
                let command = run.note(tx, Value::Null)?;
                let likes = if actions::like(tx, message_id, user)? {
                    let likes = actions::likes(tx.conn, message_id)?;
                    tx.emit(
                        "message.liked",
                        Some(id),
                        Some(user),
                        Audience::Staff,
                        json!({ "message_id": message_id, "user_id": user, "likes": likes }),
                    )?;
                    likes
                } else {
                    actions::likes(tx.conn, message_id)?
                };
                let mut out = Outcome::new(command);
                out.result = json!({ "message": message_id, "likes": likes });
                Ok(out)
            }
            Action::Comment(text) => {
                if actions::comments(tx.conn, message_id)?.len() >= MAX_COMMENTS {
                    return Err(error::TOO_MANY_COMMENTS.err());
                }
                let command = run.note(tx, Value::Null)?;
                actions::add_comment(
                    tx,
                    &Comment {
                        message_id,
                        user_id: Some(user),
                        command_id: Some(command.id),
                        text: text.clone(),
                        created_at: tx.now,
                    },
                )?;
                let comment = json!({ "user": user, "message": command.id, "text": text });
                tx.emit(
                    "message.commented",
                    Some(id),
                    Some(user),
                    Audience::Staff,
                    json!({ "message_id": message_id, "user_id": user, "comment": comment }),
                )?;
                let mut out = Outcome::new(command);
                out.result = json!({ "message": message_id, "comment": comment });
                Ok(out)
            }
        }
    })
}

/// `meta.message`: a message id as a number or a string of digits; any
/// other value names no message (404).
fn target(run: &Run) -> Result<i64> {
    match run.meta.get("message") {
        None | Some(Value::Null) => {
            Err(error::INVALID_ACTION.with("/action needs meta.message, the message acted on"))
        }
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| Error::not_found("message")),
        Some(Value::String(s)) => s.trim().parse().map_err(|_| Error::not_found("message")),
        Some(_) => Err(Error::not_found("message")),
    }
}

/// A message's likes (user ids, oldest first) and comments (`{user,
/// message, text}` with ids as numbers), for the readers that show them
/// (ChatShipper's `GET /v2/messages/{id}`, the inbox).
pub fn likes_and_comments(desk: &Desk, message_id: i64) -> Result<(Vec<i64>, Vec<Value>)> {
    desk.store.read(|c| {
        let likes = actions::likes(c, message_id)?;
        let comments = actions::comments(c, message_id)?
            .iter()
            .map(|k| json!({ "user": k.user_id, "message": k.command_id, "text": k.text }))
            .collect();
        Ok((likes, comments))
    })
}

/// The most likes and comments `Desk::reactions` reads for a conversation.
const MAX_READ: i64 = 5000;

impl Desk {
    /// The likes and comments on a conversation's messages, for the inbox:
    /// `[{message_id, likes: [{user_id, name}], comments: [{user_id, name,
    /// command_id, text, created_at}]}]`, by message.
    pub fn reactions(&self, actor: &Actor, conversation_id: i64) -> Result<Vec<Value>> {
        actor.require_staff()?;
        self.conversation(actor, conversation_id)?;
        self.store.read(|c| {
            let likes = actions::likes_in(c, conversation_id, MAX_READ)?;
            let comments = actions::comments_in(c, conversation_id, MAX_READ)?;
            let mut names = std::collections::HashMap::new();
            let mut name = |id: Option<i64>| -> Result<String> {
                let Some(id) = id else {
                    return Ok(String::new());
                };
                if let Some(n) = names.get(&id) {
                    return Ok(String::clone(n));
                }
                let n = users::find(c, id)?.map(|u| u.name()).unwrap_or_default();
                names.insert(id, n.clone());
                Ok(n)
            };
            let mut by: std::collections::BTreeMap<i64, (Vec<Value>, Vec<Value>)> =
                Default::default();
            for (m, u) in likes {
                let entry = json!({ "user_id": u, "name": name(Some(u))? });
                by.entry(m).or_default().0.push(entry);
            }
            for k in comments {
                let entry = json!({ "user_id": k.user_id, "name": name(k.user_id)?,
                    "command_id": k.command_id, "text": k.text,
                    "created_at": crate::util::rfc3339(k.created_at) });
                by.entry(k.message_id).or_default().1.push(entry);
            }
            Ok(by
                .into_iter()
                .map(|(m, (l, k))| json!({ "message_id": m, "likes": l, "comments": k }))
                .collect())
        })
    }
}
