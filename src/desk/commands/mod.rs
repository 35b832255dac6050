//! Agent commands: one engine for Talkus's dot commands (`.name args`,
//! defined by admins: `dot.rs`), ChatShipper's system commands (`/name
//! args` with a `meta` object; one file per concern, joined in `SLASH`)
//! and bot commands (`>name`, stored and handed to webhooks, otherwise
//! ignored). Every surface runs them through `Desk::run_command`:
//! the inbox composer and REST (`post_message` hands a staff message that
//! looks like a command here first), Support Board's `send-message` from an
//! agent, and ChatShipper's `/v2` (`"type": "command"`).
//!
//! A command is kept in its conversation as an internal note (payload
//! `{"type": "command", "command": name, "meta": {...}}`), written in the
//! same write job as the change it makes, so a command that fails stores
//! nothing; the visitor never sees it.

pub mod actions;
pub mod block;
pub mod catalog;
pub mod dot;
pub mod forms;
pub mod import;
pub mod notify;
pub mod participants;
pub mod props;
pub mod server;

use super::messages::{insert_message, MessageInput, Prepared};
use super::{Actor, Desk};
use crate::error::{self, Result};
pub use crate::store::messages::Message;
use crate::store::{conversations as convs, events::Audience, users, Tx};
use serde_json::{json, Map, Value};

/// A command as a surface hands it over.
#[derive(Debug, Default, Clone)]
pub struct CommandInput {
    /// The whole text: `/assign`, `.refund 42`, `>onboard`.
    pub text: String,
    /// ChatShipper's `meta` (users, organizations, channels, message, form...).
    pub meta: Map<String, Value>,
    /// ChatShipper's `user`: whom `/join`, `/accept`, `/leave` are about
    /// (a staff member); else the caller.
    pub user: Option<i64>,
    /// Sent as a command (`/v2` `"type": "command"`): a name that is no
    /// command is an error. Typed into a message, it is text instead.
    pub explicit: bool,
    /// The client's idempotency key (`client_id` of a message).
    pub client_id: Option<String>,
}

/// What a text is, by its first character and word.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed<'a> {
    Slash { name: &'a str, args: &'a str },
    Dot { name: &'a str, args: &'a str },
    Bot { name: &'a str, args: &'a str },
    Text,
}

/// Splits `/name args`, `.name args`, `>name args`. A name is 1 to 40
/// letters, digits, `_` and `-` (so ". 5 kg", "..." and "/" alone are text).
pub fn parse(text: &str) -> Parsed<'_> {
    let text = text.trim();
    let Some(first) = text.chars().next() else {
        return Parsed::Text;
    };
    let rest = &text[first.len_utf8()..];
    let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
    let (name, args) = (&rest[..end], rest[end..].trim());
    let ok = (1..=40).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-');
    match first {
        _ if !ok => Parsed::Text,
        '/' => Parsed::Slash { name, args },
        '.' => Parsed::Dot { name, args },
        '>' => Parsed::Bot { name, args },
        _ => Parsed::Text,
    }
}

/// One command being run: what its function gets (owned, so a write
/// job's closure can take a clone).
#[derive(Debug, Clone)]
pub struct Run {
    /// Who typed it (staff).
    pub actor: Actor,
    pub conversation_id: i64,
    /// The name without its sign, lower case (`assign`, `refund`).
    pub name: String,
    /// What follows the name, trimmed.
    pub args: String,
    pub meta: Map<String, Value>,
    pub user: Option<i64>,
    /// The whole text as typed.
    pub text: String,
    /// The composer's idempotency key: kept on the note, so a retried
    /// command answers its first run instead of running again.
    pub client_id: Option<String>,
}

/// What a command did: its note, the messages it posted, and a
/// command-specific summary for the caller.
#[derive(Debug)]
pub struct Outcome {
    pub command: Message,
    pub posted: Vec<Message>,
    pub result: Value,
}

impl Outcome {
    pub fn new(command: Message) -> Outcome {
        Outcome {
            command,
            posted: Vec::new(),
            result: Value::Null,
        }
    }
}

/// A system command's function. It checks what it can before writing,
/// then makes its change and calls `Run::note` in one write job.
pub type SlashFn = fn(&Desk, &Run) -> Result<Outcome>;

/// ChatShipper's system commands (`/close` is `/leave`).
pub const SLASH: &[(&str, SlashFn)] = &[
    ("notify", notify::notify),
    ("assign", participants::assign),
    ("join", participants::join),
    ("accept", participants::accept),
    ("leave", participants::leave),
    ("close", participants::leave),
    ("block", block::block),
    ("set", props::set),
    ("action", actions::action),
    ("send", forms::send),
    ("import", import::import),
];

/// The most characters a command's text may have.
pub const MAX_TEXT: usize = 10_000;

impl Run {
    /// Stores the command as an internal note from the caller, in `tx`
    /// (the job that makes the command's change). `extra` is merged into
    /// its payload beside `type`, `command` and `meta`.
    pub fn note(&self, tx: &mut Tx, extra: Value) -> Result<Message> {
        let mut payload = Map::new();
        payload.insert("type".into(), json!("command"));
        payload.insert("command".into(), json!(self.name));
        if !self.meta.is_empty() {
            payload.insert("meta".into(), Value::Object(self.meta.clone()));
        }
        if let Value::Object(more) = extra {
            payload.extend(more);
        }
        let head = convs::head(tx.conn, self.conversation_id)?;
        let input = MessageInput {
            body: super::text::clean_body(&self.text),
            payload: Some(payload),
            private: true,
            keep_status: true,
            client_id: self.client_id.clone(),
            ..Default::default()
        };
        insert_note(tx, &head, self.actor.user_id, input)
    }

    /// The staff member the command is about: `user`, else the caller.
    /// Checked: an enabled agent or admin (or the bot, for a token).
    pub fn subject(&self, tx: &Tx) -> Result<i64> {
        let id = self.user.unwrap_or(self.actor.user_id);
        match users::find(tx.conn, id)? {
            Some(u) if u.is_staff() && !u.disabled => Ok(id),
            _ => Err(error::INVALID_AGENT.with("user must be an agent of this install")),
        }
    }
}

/// An internal note from `sender` in conversation `id` with `payload`,
/// leaving the status as it is: how commands and their agent-only
/// results are kept.
pub fn note(
    tx: &mut Tx,
    conversation_id: i64,
    sender: i64,
    body: &str,
    payload: Map<String, Value>,
) -> Result<Message> {
    let head = convs::head(tx.conn, conversation_id)?;
    let input = MessageInput {
        body: super::text::clean_body(body),
        payload: Some(payload),
        private: true,
        keep_status: true,
        ..Default::default()
    };
    insert_note(tx, &head, sender, input)
}

fn insert_note(
    tx: &mut Tx,
    head: &convs::Head,
    sender: i64,
    input: MessageInput,
) -> Result<Message> {
    let prepared = Prepared {
        input,
        sender,
        status: None,
    };
    insert_message(tx, head, sender, true, prepared)
}

impl Desk {
    /// Runs a command in a conversation. `None`: the text is no command
    /// (not explicit, and no such name), so the caller posts it as text.
    pub fn run_command(
        &self,
        actor: &Actor,
        conversation_id: i64,
        input: CommandInput,
    ) -> Result<Option<Outcome>> {
        actor.require_staff()?;
        super::check_len("text", &input.text, MAX_TEXT)?;
        if serde_json::to_string(&input.meta)?.len() > 16_384 {
            return Err(error::TOO_LARGE.with("meta is limited to 16 KiB"));
        }
        self.conversation(actor, conversation_id)?;
        let (sign, name, args) = match parse(&input.text) {
            Parsed::Slash { name, args } => ('/', name, args),
            Parsed::Dot { name, args } => ('.', name, args),
            Parsed::Bot { name, args } => ('>', name, args),
            Parsed::Text if input.explicit => {
                return Err(error::UNKNOWN_COMMAND
                    .with("a command is /name, .name or >name followed by its arguments"))
            }
            Parsed::Text => return Ok(None),
        };
        let run = Run {
            actor: actor.clone(),
            conversation_id,
            name: name.to_lowercase(),
            args: args.to_string(),
            meta: input.meta,
            user: input.user,
            text: input.text.trim().to_string(),
            client_id: input.client_id,
        };
        let unknown = || {
            if input.explicit {
                Err(error::UNKNOWN_COMMAND.with(format!("{sign}{} is no command", run.name)))
            } else {
                Ok(None)
            }
        };
        match sign {
            '/' => match SLASH.iter().find(|(n, _)| *n == run.name) {
                Some((_, f)) => f(self, &run).map(Some),
                None => unknown(),
            },
            '.' => match dot::run(self, &run)? {
                Some(out) => Ok(Some(out)),
                None => unknown(),
            },
            _ => self.bot_command(&run).map(Some),
        }
    }

    /// A staff message that is a command (typed into the composer, posted
    /// through REST or Support Board's `send-message`) runs as one, as the
    /// staff member it is sent as; anything else is `None` and posted.
    /// Only `/` and `.` are read here (`>` quotes in chat text).
    pub(super) fn message_command(
        &self,
        actor: &Actor,
        conversation_id: i64,
        input: &MessageInput,
    ) -> Result<Option<Outcome>> {
        let looks = matches!(
            parse(&input.body),
            Parsed::Slash { .. } | Parsed::Dot { .. }
        );
        // An internal note is never a command: its writer meant it for
        // agents, and a command's result may reach the visitor.
        if !actor.is_staff()
            || input.literal
            || input.private
            || !input.attachments.is_empty()
            || !looks
        {
            return Ok(None);
        }
        let mut as_sender = actor.clone();
        if let Some(uid) = input.user_id.filter(|u| *u != actor.user_id) {
            // Support Board's send-message names its sender: a contact's
            // text is never a command.
            let user = self.user_by_id(uid)?;
            if !user.is_staff() {
                return Ok(None);
            }
            // The same rule as any message: an agent's session speaks
            // only for the agent (prepare_message answers its 403).
            if actor.role == super::Role::Agent && actor.token_id.is_none() {
                return Ok(None);
            }
            if user.disabled {
                return Err(error::INVALID_AGENT.with("user must be an agent of this install"));
            }
            as_sender.user_id = uid;
        }
        if let Some(cid) = &input.client_id {
            super::messages::check_client_id(cid)?;
            let (sender, cid) = (as_sender.user_id, cid.clone());
            let owner = self.conversation(actor, conversation_id)?.user_id;
            let first = self.store.read(move |c| {
                crate::store::messages::by_client_id(c, sender, &cid, Some(conversation_id), owner)
            })?;
            if let Some(first) = first {
                return Ok(Some(Outcome::new(first)));
            }
        }
        let command = CommandInput {
            text: input.body.clone(),
            client_id: input.client_id.clone(),
            ..Default::default()
        };
        self.run_command(&as_sender, conversation_id, command)
    }

    /// `>name`: stored, and an event of its own (`command.bot`) for the
    /// automations listening through webhooks; nothing else happens.
    fn bot_command(&self, run: &Run) -> Result<Outcome> {
        let run = run.clone();
        self.store.write(move |tx| {
            let m = run.note(tx, Value::Null)?;
            tx.emit(
                "command.bot",
                Some(run.conversation_id),
                Some(run.actor.user_id),
                Audience::Staff,
                json!({ "command": run.name, "args": run.args, "meta": run.meta, "message_id": m.id }),
            )?;
            Ok(Outcome::new(m))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_a_command() {
        assert_eq!(
            parse("/assign"),
            Parsed::Slash {
                name: "assign",
                args: ""
            }
        );
        assert_eq!(
            parse("  .refund 42 now "),
            Parsed::Dot {
                name: "refund",
                args: "42 now"
            }
        );
        assert_eq!(
            parse(">onboard"),
            Parsed::Bot {
                name: "onboard",
                args: ""
            }
        );
        assert_eq!(
            parse(".5 kg"),
            Parsed::Dot {
                name: "5",
                args: "kg"
            }
        );
        for text in [
            "",
            "/",
            ". 5 kg",
            "...",
            "..note",
            "hello",
            "/etc/hosts",
            "> quoted",
        ] {
            assert_eq!(parse(text), Parsed::Text, "{text:?}");
        }
    }
}
