//! Talkus's dot commands: admin-defined `.name` (message, server, client,
//! alias, and the built-in actions open_url and redirect) and the built-in
//! `.end`. The typed command is kept as an internal note (`Run::note`) in
//! the job that writes its result; a result starting with `..` is for
//! agents only (an internal note without the `..`).

use super::catalog::{END, MAX_CHAIN};
use super::{Outcome, Run};
use crate::desk::conversations::move_status;
use crate::desk::messages::{insert_message, MessageInput, MAX_BODY_CHARS};
use crate::desk::Desk;
use crate::domain::Status;
use crate::error::{self, Result};
use crate::store::commands::{self as cmds, Command};
use crate::store::conversations as convs;
use crate::store::users::{self, User};
use serde_json::{json, Map, Value};

/// What a name leads to, aliases followed.
enum Target {
    End,
    Command(Command),
}

/// Runs `.name`, or `None` when no command has that name (the text is
/// then posted as it is).
pub fn run(desk: &Desk, run: &Run) -> Result<Option<Outcome>> {
    let Some(target) = resolve(desk, &run.name)? else {
        return Ok(None);
    };
    let c = match target {
        Target::End => return end(desk, run).map(Some),
        Target::Command(c) => c,
    };
    let out = match c.kind.as_str() {
        "message" => message(desk, run, &c)?,
        "server" => super::server::server(desk, run, &c)?,
        _ => client(desk, run, &c)?,
    };
    Ok(Some(out))
}

/// Follows aliases (at most `MAX_CHAIN`) to `.end` or a command.
fn resolve(desk: &Desk, name: &str) -> Result<Option<Target>> {
    let mut name = name.to_string();
    for step in 0..=MAX_CHAIN {
        if name.eq_ignore_ascii_case(END) {
            return Ok(Some(Target::End));
        }
        let found = desk.store.read(|c| cmds::by_name(c, &name))?;
        let c = match found {
            None if step == 0 => return Ok(None),
            None => {
                return Err(error::INVALID_COMMAND.with(format!(
                    "the alias leads to .{name}, which no longer exists"
                )))
            }
            Some(c) => c,
        };
        if c.kind != "alias" {
            return Ok(Some(Target::Command(c)));
        }
        name = c.value;
    }
    Err(error::INVALID_COMMAND.with(format!("more than {MAX_CHAIN} aliases in a row")))
}

/// `.end`: closes the conversation (archive), with the note, in one job.
fn end(desk: &Desk, run: &Run) -> Result<Outcome> {
    let run = run.clone();
    desk.store.write(move |tx| {
        let head = convs::head(tx.conn, run.conversation_id)?;
        let m = run.note(tx, Value::Null)?;
        if !head.status.is_closed() {
            move_status(tx, head.id, run.actor.user_id, head.status, Status::Archive)?;
        }
        let mut out = Outcome::new(m);
        out.result = json!({ "closed": true, "status": convs::head(tx.conn, head.id)?.status });
        Ok(out)
    })
}

/// A message command: its text with the placeholders filled in.
fn message(desk: &Desk, run: &Run, c: &Command) -> Result<Outcome> {
    let (conv, contact, agent) = desk.store.read(|conn| {
        let conv = convs::get(conn, run.conversation_id)?;
        let contact = users::find(conn, conv.user_id)?.unwrap_or_default();
        let agent = users::find(conn, run.actor.user_id)?.unwrap_or_default();
        Ok((conv, contact, agent))
    })?;
    let values = placeholders(&conv, &contact, &agent, &run.args);
    let pairs: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let text = crate::desk::email::fill(&c.value, &pairs);
    let text = text.trim();
    let (private, body) = match text.strip_prefix("..") {
        Some(rest) => (true, rest.trim()),
        None => (false, text),
    };
    crate::desk::check_len("the command's text", body, MAX_BODY_CHARS)?;
    if body.is_empty() {
        return Err(error::EMPTY_MESSAGE.with(format!(".{} makes an empty message", run.name)));
    }
    let result =
        json!({ "kind": "message", "visible_to": if private { "agents" } else { "everyone" } });
    post(desk, run, body.to_string(), None, private, result)
}

/// The placeholders a message command fills in (`email::fill`: one pass,
/// unknown ones kept as typed).
fn placeholders(
    conv: &convs::Conversation,
    contact: &User,
    agent: &User,
    args: &str,
) -> [(&'static str, String); 8] {
    [
        ("contact_name", contact.name()),
        ("contact_first_name", contact.first_name.clone()),
        ("contact_email", contact.email.clone().unwrap_or_default()),
        ("agent_name", agent.name()),
        ("agent_first_name", agent.first_name.clone()),
        ("conversation_id", conv.id.to_string()),
        ("conversation_title", conv.title.clone()),
        ("args", args.to_string()),
    ]
}

/// Posts a command's result with its note in one job: the agent's public
/// message (out on the conversation's channel as any reply), or an
/// internal note when `private`. `rich`: a card's payload.
pub(super) fn post(
    desk: &Desk,
    run: &Run,
    body: String,
    rich: Option<Value>,
    private: bool,
    result: Value,
) -> Result<Outcome> {
    let mut payload = Map::new();
    if let Some(r) = rich {
        payload.insert("type".into(), json!("card"));
        payload.insert("rich".into(), r);
    }
    payload.insert("command_result".into(), json!(run.name));
    let input = MessageInput {
        body,
        payload: Some(payload),
        private,
        ..Default::default()
    };
    let prepared = desk.prepare_message(&run.actor, input)?;
    let contact_away = !private && desk.contact_away(run.conversation_id);
    let connected = desk.hub.online_users();
    let run = run.clone();
    desk.store.write(move |tx| {
        let head = convs::head(tx.conn, run.conversation_id)?;
        let note = run.note(tx, Value::Null)?;
        let m = insert_message(tx, &head, run.actor.user_id, true, prepared)?;
        if !private {
            crate::desk::push::message(tx, &m, Some(&connected))?;
            crate::desk::notifications::contact_reply(tx, contact_away, head.user_id, &m)?;
        }
        Ok(Outcome {
            command: note,
            posted: vec![m],
            result,
        })
    })
}

/// Client commands and the built-in actions: an ephemeral `command.client`
/// event for the conversation's own visitor (never stored, never
/// replayed); the loader runs a script only where the site allows it.
fn client(desk: &Desk, run: &Run, c: &Command) -> Result<Outcome> {
    let head = desk
        .store
        .read(|conn| convs::head(conn, run.conversation_id))?;
    let connected = desk.hub.online_users().contains(&head.user_id);
    let data = match c.kind.as_str() {
        "client" => json!({ "command": c.name, "script": c.value }),
        action => json!({ "command": c.name, "action": action, "url": c.value }),
    };
    let (run2, kind) = (run.clone(), c.kind.clone());
    let out = desk.store.write(move |tx| {
        let m = run2.note(tx, json!({ "connected": connected }))?;
        let mut out = Outcome::new(m);
        if !connected {
            let text = format!(
                "The visitor is not connected: .{} did not reach their browser.",
                run2.name
            );
            let mut p = Map::new();
            p.insert("command_result".into(), json!(run2.name));
            let n = super::note(tx, run2.conversation_id, run2.actor.user_id, &text, p)?;
            out.posted.push(n);
        }
        out.result = json!({ "kind": kind, "connected": connected });
        Ok(out)
    })?;
    desk.hub
        .ephemeral_to_visitor("command.client", run.conversation_id, head.user_id, data);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::desk::email::fill;

    #[test]
    fn placeholders_are_filled_in_one_pass() {
        let look = [("contact_first_name", "{args}"), ("args", "42")];
        assert_eq!(
            fill("Hi {contact_first_name}, order {args} {unknown} {", &look),
            "Hi {args}, order 42 {unknown} {"
        );
        assert_eq!(fill("{{args}}", &look), "{42}");
    }
}
