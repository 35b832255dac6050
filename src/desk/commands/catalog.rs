//! The admin's dot commands (Settings → Commands, `/api/v1/commands`):
//! list, create, change, delete, each checked here.

use crate::desk::{check_len, Actor, Desk};
use crate::error::{self, Result};
pub use crate::store::commands::Command as DotCommand;
use crate::store::commands::{self as cmds, Command, Fields};
use crate::store::events::Audience;
use crate::store::Tx;
use serde_json::json;

/// What a command may be.
pub const KINDS: &[&str] = &[
    "message", "server", "client", "alias", "open_url", "redirect",
];
/// The built-in command (not in the table; nothing may take its name).
pub const END: &str = "end";
/// How many aliases may follow one another before a real command.
pub const MAX_CHAIN: usize = 5;
const MAX_VALUE: usize = 10_000;
const MAX_URL: usize = 2_000;

/// A command as an admin writes it (every field, on create and change).
#[derive(Debug, Clone, Default)]
pub struct CommandDraft {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub value: Option<String>,
    pub description: Option<String>,
}

impl Desk {
    /// Every command: agents see their names, kinds and descriptions, not
    /// the value of server and client commands (`Command::to_json(admin)`).
    pub fn dot_commands(&self, actor: &Actor) -> Result<Vec<Command>> {
        actor.require_staff()?;
        self.store.read(cmds::list)
    }

    /// Creates a command; a server command's signing secret is returned
    /// (shown this once).
    pub fn create_dot_command(
        &self,
        actor: &Actor,
        draft: CommandDraft,
        allow_private: bool,
    ) -> Result<(Command, Option<String>)> {
        actor.require_admin()?;
        let (name, kind, value, description) = (
            draft.name.unwrap_or_default(),
            draft.kind.unwrap_or_default(),
            draft.value.unwrap_or_default(),
            draft.description.unwrap_or_default(),
        );
        let d = checked(name, kind, value, description, allow_private)?;
        let secret = (d.1 == "server").then(new_secret);
        let (uid, s) = (actor.user_id, secret.clone());
        let c = self.store.write(move |tx| {
            if cmds::count(tx.conn)? >= cmds::MAX {
                return Err(error::TOO_MANY.with(format!("at most {} commands", cmds::MAX)));
            }
            let f = d.fields();
            check_alias(tx, &f, None)?;
            let c = cmds::insert(tx, &f, s.as_deref())?;
            emit(tx, "command.created", uid, &c)?;
            Ok(c)
        })?;
        Ok((c, secret))
    }

    /// Changes a command (the fields given). A command that becomes a
    /// server command gets a secret, returned this once.
    pub fn update_dot_command(
        &self,
        actor: &Actor,
        id: i64,
        draft: CommandDraft,
        allow_private: bool,
    ) -> Result<(Command, Option<String>)> {
        actor.require_admin()?;
        let old = self.store.read(|c| cmds::get(c, id))?;
        let d = checked(
            draft.name.unwrap_or(old.name.clone()),
            draft.kind.unwrap_or(old.kind.clone()),
            draft.value.unwrap_or(old.value.clone()),
            draft.description.unwrap_or(old.description.clone()),
            allow_private,
        )?;
        let secret = (d.1 == "server" && old.kind != "server").then(new_secret);
        let (uid, s) = (actor.user_id, secret.clone());
        let c = self.store.write(move |tx| {
            let old = cmds::get(tx.conn, id)?;
            if !old.name.eq_ignore_ascii_case(&d.0) {
                in_use(tx, &old.name)?;
            }
            let f = d.fields();
            check_alias(tx, &f, Some(&old.name))?;
            let c = cmds::update(tx, id, &f, s.as_deref())?;
            emit(tx, "command.updated", uid, &c)?;
            Ok(c)
        })?;
        Ok((c, secret))
    }

    /// Deletes a command no alias points to (else 409 `command_in_use`).
    pub fn delete_dot_command(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.require_admin()?;
        let uid = actor.user_id;
        self.store.write(move |tx| {
            let c = cmds::get(tx.conn, id)?;
            in_use(tx, &c.name)?;
            cmds::delete(tx, id)?;
            tx.emit(
                "command.deleted",
                None,
                Some(uid),
                Audience::Staff,
                json!({ "command_id": id, "name": c.name }),
            )?;
            Ok(())
        })
    }
}

/// A draft that passed the checks: name, kind, value, description.
struct Checked(String, String, String, String);

impl Checked {
    fn fields(&self) -> Fields<'_> {
        Fields {
            name: &self.0,
            kind: &self.1,
            value: &self.2,
            description: &self.3,
        }
    }
}

fn checked(
    name: String,
    kind: String,
    value: String,
    description: String,
    allow_private: bool,
) -> Result<Checked> {
    let name = name.trim().trim_start_matches('.').to_string();
    if !is_name(&name) {
        return Err(error::INVALID_COMMAND
            .with("name must be 1 to 40 letters, digits, _ and - (without the dot)"));
    }
    if name.eq_ignore_ascii_case(END) {
        return Err(error::INVALID_COMMAND.with(".end is built in"));
    }
    if !KINDS.contains(&kind.as_str()) {
        return Err(
            error::INVALID_COMMAND.with(format!("kind must be one of {}", KINDS.join(", ")))
        );
    }
    let description = crate::desk::text::clean_name(&description);
    check_len("description", &description, 200)?;
    let value = match kind.as_str() {
        "message" | "client" => {
            let v = crate::desk::text::clean_body(&value);
            check_len("value", &v, MAX_VALUE)?;
            if v.trim().is_empty() {
                return Err(error::INVALID_COMMAND.with("value is required"));
            }
            v
        }
        "server" => {
            let v = value.trim().to_string();
            check_len("value", &v, MAX_URL)?;
            crate::delivery::check_url(&v, allow_private)?;
            v
        }
        "open_url" | "redirect" => {
            let v = value.trim().to_string();
            check_len("value", &v, MAX_URL)?;
            web_url(&v)?;
            v
        }
        _ => {
            let v = value.trim().trim_start_matches('.').to_string();
            if !is_name(&v) {
                return Err(error::INVALID_COMMAND.with("an alias's value is a command's name"));
            }
            v
        }
    };
    Ok(Checked(name, kind, value, description))
}

/// A command's name: 1 to 40 letters, digits, `_` and `-`, as `parse` reads it.
pub fn is_name(s: &str) -> bool {
    (1..=40).contains(&s.len())
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// An http(s) URL a browser may open: no spaces or control characters.
pub fn web_url(v: &str) -> Result<()> {
    let lower = v.to_ascii_lowercase();
    let host = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .unwrap_or("");
    if host.is_empty()
        || host.starts_with('/')
        || v.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(error::INVALID_URL.with("value must be an http:// or https:// URL"));
    }
    Ok(())
}

/// An alias's target must exist, and following aliases from it must reach
/// a real command within `MAX_CHAIN` steps without coming back (`renamed`:
/// the command's name before this change, which aliases may still name).
fn check_alias(tx: &Tx, f: &Fields, renamed: Option<&str>) -> Result<()> {
    if f.kind != "alias" {
        return Ok(());
    }
    let mut seen = vec![f.name.to_lowercase()];
    if let Some(r) = renamed {
        seen.push(r.to_lowercase());
    }
    let mut target = f.value.to_string();
    for _ in 0..MAX_CHAIN {
        if target.eq_ignore_ascii_case(END) {
            return Ok(());
        }
        if seen.contains(&target.to_lowercase()) {
            return Err(error::INVALID_COMMAND.with(format!("alias .{} makes a cycle", f.name)));
        }
        let Some(c) = cmds::by_name(tx.conn, &target)? else {
            return Err(error::INVALID_COMMAND.with(format!("no command .{target}")));
        };
        if c.kind != "alias" {
            return Ok(());
        }
        seen.push(target.to_lowercase());
        target = c.value;
    }
    Err(error::INVALID_COMMAND.with(format!("at most {MAX_CHAIN} aliases in a row")))
}

/// Refuses to rename or delete a command an alias names.
fn in_use(tx: &Tx, name: &str) -> Result<()> {
    let names = cmds::aliases_of(tx.conn, name)?;
    if names.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = names.iter().map(|n| format!(".{n}")).collect();
    Err(error::COMMAND_IN_USE.with(format!(
        "{} point to .{name}: change them first",
        names.join(", ")
    )))
}

fn emit(tx: &mut Tx, kind: &str, uid: i64, c: &Command) -> Result<()> {
    tx.emit(
        kind,
        None,
        Some(uid),
        Audience::Staff,
        json!({ "command": c.to_json(false) }),
    )?;
    Ok(())
}

/// A server command's signing secret, as webhooks have them (`whsec_`).
fn new_secret() -> String {
    let standard = crate::webhook_formats::find("standard").expect("the standard format");
    (standard.secret)(None)
}
