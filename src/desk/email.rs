//! Email out, the desk's side: the `email.smtp` / `email.imap` settings
//! (checked, passwords write-only), the test send, the email delivery log,
//! and the verbs that queue mail (`send-custom-email`, `send-email`, the
//! notification templates). Every email is an outbox row (channel `email`,
//! no endpoint) written in the job of the change that causes it; the
//! delivery lane (`delivery/email.rs`) sends it.

use super::{check_len, Actor, Desk};
use crate::delivery::email::{self as out, Smtp};
use crate::error::{self, Result};
use crate::store::events::Audience;
use crate::store::outbox;
use crate::store::Tx;
use serde_json::{json, Map, Value};

pub const SMTP_KEY: &str = out::SMTP_KEY;
pub const IMAP_KEY: &str = "email.imap";
/// Admin-editable notification templates: `{"<language>" | "default":
/// {"user" | "agent": {"subject", "body"}}}`.
pub const TEMPLATES_KEY: &str = "email.templates";

/// Settings that hold a password: never read back by any API.
const WITH_PASSWORD: &[&str] = &[SMTP_KEY, IMAP_KEY];

/// An address as the users' records accept it, on one line.
pub fn check_address(field: &str, e: &str) -> Result<()> {
    check_len(field, e, 254)?;
    super::text::refuse_controls(field, e)?;
    let (l, d) = e.split_once('@').unwrap_or(("", ""));
    let ok = !l.is_empty()
        && d.contains('.')
        && !d.starts_with('.')
        && !d.ends_with('.')
        && !e.contains(char::is_whitespace)
        && !d.contains('@');
    if !ok {
        return Err(error::INVALID_EMAIL.with(format!("{field} is not a valid address")));
    }
    Ok(())
}

fn bad(key: &str, why: &str) -> error::Error {
    error::INVALID_EMAIL_SETTINGS.with(format!("{key}: {why}"))
}

/// Checks `email.smtp` / `email.imap` as sent, fills the defaults, and keeps
/// the stored password when none is sent (passwords are never read back).
/// The stored password, kept when none is sent, but only for the server
/// and user it was given for: otherwise whoever holds an admin session
/// could point the setting at a host of theirs (or drop TLS) and have
/// the write-only password sent to it by the next test or poll.
fn kept_password(
    key: &str,
    stored: Option<&Value>,
    host: &str,
    port: &Value,
    security: &str,
    username: &str,
) -> Result<String> {
    let Some(s) = stored else {
        return Ok(String::new());
    };
    let password = s["password"].as_str().unwrap_or("");
    let same = s["host"].as_str() == Some(host)
        && s["port"] == *port
        && s["security"].as_str() == Some(security)
        && s["username"].as_str() == Some(username);
    if password.is_empty() || same {
        return Ok(password.to_string());
    }
    Err(bad(
        key,
        "send the password again: the host, port, security or username changed",
    ))
}

fn check_server(key: &str, v: &Value, stored: Option<&Value>) -> Result<Value> {
    let Some(o) = v.as_object() else {
        return Err(bad(key, "must be an object (or null to remove it)"));
    };
    let smtp = key == SMTP_KEY;
    let allowed: &[&str] = if smtp {
        &[
            "host",
            "port",
            "security",
            "username",
            "password",
            "from_address",
            "from_name",
            "password_set",
        ]
    } else {
        &[
            "host",
            "port",
            "security",
            "username",
            "password",
            "mailbox",
            "poll_seconds",
            "password_set",
        ]
    };
    if let Some(k) = o.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(bad(key, &format!("unknown field {k}")));
    }
    let text = |f: &str, max: usize| -> Result<String> {
        match o.get(f) {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => {
                check_len(&format!("{key}.{f}"), s, max)?;
                super::text::refuse_controls(&format!("{key}.{f}"), s)?;
                Ok(s.trim().to_string())
            }
            Some(_) => Err(bad(key, &format!("{f} must be a string"))),
        }
    };
    let host = text("host", 253)?;
    if host.is_empty() || host.contains(char::is_whitespace) || host.contains('/') {
        return Err(bad(key, "host must be a host name or address"));
    }
    let port = match o.get("port") {
        None | Some(Value::Null) => Value::Null,
        Some(p) => match p.as_u64().filter(|p| (1..=65535).contains(p)) {
            Some(p) => json!(p),
            None => return Err(bad(key, "port must be a number from 1 to 65535")),
        },
    };
    let security = match text("security", 20)?.as_str() {
        "" => "starttls".to_string(),
        s @ ("none" | "starttls" | "tls") => s.to_string(),
        _ => return Err(bad(key, "security must be none, starttls or tls")),
    };
    let username = text("username", 254)?;
    let password = match o.get("password") {
        Some(Value::String(_)) => text("password", 500)?,
        _ => kept_password(key, stored, &host, &port, &security, &username)?,
    };
    let mut out = json!({
        "host": host, "port": port, "security": security,
        "username": username, "password": password,
    });
    if smtp {
        let from = text("from_address", 254)?;
        check_address(&format!("{key}.from_address"), &from)?;
        out["from_address"] = json!(from);
        out["from_name"] = json!(text("from_name", 100)?);
    } else {
        let mailbox = text("mailbox", 200)?;
        out["mailbox"] = json!(if mailbox.is_empty() {
            "INBOX".into()
        } else {
            mailbox
        });
        out["poll_seconds"] = match o.get("poll_seconds") {
            None | Some(Value::Null) => json!(60),
            Some(p) => match p.as_u64().filter(|p| (10..=86_400).contains(p)) {
                Some(p) => json!(p),
                None => return Err(bad(key, "poll_seconds must be from 10 to 86400")),
            },
        };
    }
    Ok(out)
}

/// The settings as read by anyone: passwords out, `password_set` instead.
pub fn redact(all: &mut Map<String, Value>) {
    for k in WITH_PASSWORD {
        if let Some(v) = all.get_mut(*k) {
            redact_value(v);
        }
    }
}

pub fn redact_value(v: &mut Value) {
    if let Some(o) = v.as_object_mut() {
        let set = o
            .remove("password")
            .is_some_and(|p| p.as_str().is_some_and(|p| !p.is_empty()));
        o.insert("password_set".into(), json!(set));
    }
}

/// Whether `key` is a setting whose value must be redacted.
pub fn has_password(key: &str) -> bool {
    WITH_PASSWORD.contains(&key)
}

/// Queues one email: an outbox row for the delivery lane, and the event.
pub fn queue(tx: &mut Tx, payload: Value) -> Result<i64> {
    let id = outbox::insert(tx, "email", None, None, &payload.to_string())?;
    tx.emit(
        "email.queued",
        payload["conversation_id"].as_i64(),
        None,
        Audience::Staff,
        json!({ "outbox_id": id, "kind": payload["kind"], "to": payload["to"], "subject": payload["subject"] }),
    )?;
    Ok(id)
}

/// Replaces `{name}` placeholders; unknown ones are left as they are. One
/// pass over the template: a customer's text that holds `{message}` (in a
/// name, say) stays text and is never expanded in turn.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let key = &after[..close];
            values
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The built-in templates, for whoever (`user` or `agent`) gets the mail.
fn default_template(who: &str) -> (&'static str, &'static str) {
    match who {
        "agent" => (
            "{user_name}: conversation #{conversation_id}",
            "Hello {recipient_name},\n\n{user_name} wrote:\n\n{message}\n\nAnswer in the inbox: {conversation_url}\n",
        ),
        _ => (
            "New message from {sender_name}",
            "Hello {recipient_name},\n\n{sender_name} wrote:\n\n{message}\n\n{conversation_url}\n",
        ),
    }
}

impl Desk {
    /// Checks the email settings among `values` (in place): defaults filled,
    /// the stored password kept when none is sent.
    pub(super) fn prepare_email_settings(&self, values: &mut Map<String, Value>) -> Result<()> {
        for key in WITH_PASSWORD {
            let Some(v) = values.get(*key) else { continue };
            if v.is_null() {
                continue;
            }
            let stored = self.store.read(|c| crate::store::settings::get(c, key))?;
            let checked = check_server(key, v, stored.as_ref())?;
            values.insert(key.to_string(), checked);
        }
        if let Some(t) = values.get(TEMPLATES_KEY).filter(|t| !t.is_null()) {
            check_templates(t)?;
        }
        if let Some(n) = values
            .get(super::notifications::KEY)
            .filter(|n| !n.is_null())
        {
            super::notifications::check(n)?;
        }
        Ok(())
    }

    /// The SMTP server, or `email_not_configured`.
    fn smtp(&self) -> Result<Smtp> {
        self.store
            .read(Smtp::load)?
            .ok_or_else(|| error::EMAIL_NOT_CONFIGURED.err())
    }

    pub fn email_configured(&self) -> Result<bool> {
        Ok(self.store.read(Smtp::load)?.is_some())
    }

    /// Settings → Email's "Send a test email": sent now, the server's
    /// answer returned as it is.
    pub fn send_test_email(&self, actor: &Actor, to: &str) -> Result<Value> {
        actor.require_admin()?;
        check_address("to", to)?;
        let smtp = self.smtp()?;
        let r = out::send_test(&smtp, to);
        let sent = r.code.is_some_and(|c| (200..300).contains(&c));
        Ok(json!({ "sent": sent, "code": r.code, "reply": r.text }))
    }

    /// The email deliveries, newest first: recipient, subject and the
    /// server's last reply beside the state.
    pub fn email_deliveries(
        &self,
        actor: &Actor,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Value>> {
        actor.require_admin()?;
        let rows = self
            .store
            .read(|c| outbox::list_email(c, before.unwrap_or(i64::MAX), limit.clamp(1, 200)))?;
        Ok(rows
            .into_iter()
            .map(|mut r| {
                let s = out::summary(&r["payload"].to_string());
                for k in ["kind", "to", "subject"] {
                    r[k] = s[k].clone();
                }
                r
            })
            .collect())
    }

    /// Support Board's `send-custom-email`: any address, the setting's
    /// sender name with `sender_suffix` after it.
    pub fn send_custom_email(
        &self,
        actor: &Actor,
        to: &str,
        subject: &str,
        message: &str,
        sender_suffix: &str,
    ) -> Result<i64> {
        actor.require_admin()?;
        check_address("to", to)?;
        check_len("subject", subject, 998)?;
        super::text::refuse_controls("subject", subject)?;
        check_len("sender_suffix", sender_suffix, 100)?;
        super::text::refuse_controls("sender_suffix", sender_suffix)?;
        check_len("message", message, 100_000)?;
        let smtp = self.smtp()?;
        let payload = json!({
            "kind": "custom", "to": to, "subject": subject,
            "text": super::text::clean_body(message),
            "from_name": format!("{}{}", smtp.from_name, sender_suffix),
        });
        self.store.write(move |tx| queue(tx, payload))
    }

    /// Support Board's `send-email`: a user (by id) gets `message` in the
    /// notification template for them; attachments are `[name, link]`
    /// pairs (our uploads are attached, other links listed).
    pub fn send_user_email(
        &self,
        actor: &Actor,
        recipient: &crate::store::users::User,
        sender: Option<&crate::store::users::User>,
        message: &str,
        attachments: &[(String, String)],
    ) -> Result<i64> {
        actor.require_staff()?;
        check_len("message", message, 100_000)?;
        if attachments.len() > 20 {
            return Err(error::TOO_MANY.with("at most 20 attachments"));
        }
        self.smtp()?;
        let to = recipient.email.clone().unwrap_or_default();
        let sender_name = sender.map(|s| s.name()).unwrap_or_default();
        let who = if recipient.is_staff() {
            "agent"
        } else {
            "user"
        };
        let mut text = super::text::clean_body(message);
        let mut files = Vec::new();
        for (name, link) in attachments {
            let canonical = self.links.canonical(link);
            if crate::links::upload_token(&canonical).is_some() {
                files.push(canonical);
            } else {
                text.push_str(&format!("\n{}: {link}", out::one_line(name)));
            }
        }
        let (subject, body) = self.render_template(
            recipient.language.as_deref(),
            who,
            &[
                ("recipient_name", &recipient.name()),
                ("user_name", &recipient.name()),
                ("sender_name", &sender_name),
                ("agent_name", &sender_name),
                ("message", &text),
                ("conversation_url", ""),
            ],
        )?;
        let payload = json!({
            "kind": "notification", "to": to, "subject": subject, "text": body,
            "attachments": files, "recipient_id": recipient.id,
        });
        self.store.write(move |tx| queue(tx, payload))
    }

    /// An email automation (`{subject, message}`) for a user: queued when
    /// they have an address; false when they have none.
    pub fn send_automation_email(
        &self,
        a: &Value,
        user: &crate::store::users::User,
    ) -> Result<bool> {
        let Some(to) = user.email.clone().filter(|e| !e.is_empty()) else {
            return Ok(false);
        };
        let message = a["message"].as_str().unwrap_or("");
        if message.trim().is_empty() {
            return Err(error::MISSING_MESSAGE.err());
        }
        let name = user.name();
        let fields = [
            ("user_name", name.as_str()),
            ("recipient_name", name.as_str()),
        ];
        let subject = out::one_line(&fill(a["subject"].as_str().unwrap_or(""), &fields));
        let payload = json!({
            "kind": "automation", "to": to, "subject": subject,
            "text": fill(message, &fields), "recipient_id": user.id,
        });
        self.store.write(move |tx| queue(tx, payload))?;
        Ok(true)
    }

    /// The subject and body of template `who` in `lang`, placeholders filled.
    pub fn render_template(
        &self,
        lang: Option<&str>,
        who: &str,
        values: &[(&str, &str)],
    ) -> Result<(String, String)> {
        let saved = self
            .store
            .read(|c| crate::store::settings::get(c, TEMPLATES_KEY))?
            .unwrap_or(Value::Null);
        Ok(render_with(&saved, lang, who, values))
    }
}

/// Template `who` from the saved ones in `lang` (else its base language,
/// else the saved default, else the built-in one), placeholders filled;
/// the subject on one line.
pub fn render_with(
    saved: &Value,
    lang: Option<&str>,
    who: &str,
    values: &[(&str, &str)],
) -> (String, String) {
    let pick = |field: &str, builtin: &str| -> String {
        let base = lang.and_then(|l| l.split(['-', '_']).next());
        [lang, base, Some("default")]
            .into_iter()
            .flatten()
            .find_map(|l| saved[l][who][field].as_str().filter(|s| !s.is_empty()))
            .unwrap_or(builtin)
            .to_string()
    };
    let (subject, body) = default_template(who);
    (
        out::one_line(&fill(&pick("subject", subject), values)),
        fill(&pick("body", body), values),
    )
}

/// `email.templates`: languages to {user, agent} to {subject, body}.
fn check_templates(t: &Value) -> Result<()> {
    let bad = |why: &str| error::INVALID_EMAIL_SETTINGS.with(format!("{TEMPLATES_KEY}: {why}"));
    let langs = t.as_object().ok_or_else(|| bad("must be an object"))?;
    for (lang, whos) in langs {
        if lang != "default" {
            super::articles::check_language(lang)?;
        }
        let whos = whos
            .as_object()
            .ok_or_else(|| bad("each language holds user and agent"))?;
        for (who, tpl) in whos {
            if who != "user" && who != "agent" {
                return Err(bad("templates are for user or agent"));
            }
            let tpl = tpl
                .as_object()
                .ok_or_else(|| bad("a template is {subject, body}"))?;
            for (k, v) in tpl {
                let s = v
                    .as_str()
                    .ok_or_else(|| bad("subject and body are strings"))?;
                match k.as_str() {
                    "subject" => {
                        check_len("subject", s, 500)?;
                        super::text::refuse_controls("subject", s)?;
                    }
                    "body" => check_len("body", s, 20_000)?,
                    _ => return Err(bad("a template is {subject, body}")),
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_in_customer_text_are_never_expanded() {
        let values = [
            ("user_name", "{message} {secret"),
            ("message", "Hi {user_name}"),
        ];
        assert_eq!(
            fill("{user_name}: {message} {unknown} {", &values),
            "{message} {secret: Hi {user_name} {unknown} {"
        );
    }

    #[test]
    fn passwords_are_kept_when_not_sent_and_never_read_back() {
        let stored = json!({ "host": "smtp.example", "port": null, "security": "starttls",
            "username": "", "password": "s3cret" });
        let sent =
            json!({ "host": "smtp.example", "from_address": "a@b.example", "password_set": true });
        // Another server: the stored password does not follow (r11).
        let elsewhere = json!({ "host": "h.example", "from_address": "a@b.example" });
        assert!(check_server(SMTP_KEY, &elsewhere, Some(&stored)).is_err());
        let v = check_server(SMTP_KEY, &sent, Some(&stored)).unwrap();
        assert_eq!(v["password"], "s3cret");
        assert_eq!(v["security"], "starttls");
        let mut all = Map::new();
        all.insert(SMTP_KEY.into(), v);
        redact(&mut all);
        assert!(all[SMTP_KEY].get("password").is_none());
        assert_eq!(all[SMTP_KEY]["password_set"], true);
    }

    #[test]
    fn templates_follow_the_language_then_the_default() {
        let saved = json!({
            "fr": { "user": { "subject": "Nouveau message de {sender_name}" } },
            "default": { "user": { "subject": "From {sender_name}\r\nBcc: x@evil.example", "body": "{message}" } },
        });
        let v = [("sender_name", "Ada"), ("message", "Hi")];
        let (s, b) = render_with(&saved, Some("fr-CA"), "user", &v);
        assert_eq!(s, "Nouveau message de Ada");
        assert_eq!(b, "Hi", "the body falls back to the default");
        let (s, _) = render_with(&saved, Some("de"), "user", &v);
        assert_eq!(s, "From Ada  Bcc: x@evil.example", "on one line");
        let (s, b) = render_with(
            &Value::Null,
            None,
            "agent",
            &[("user_name", "Nina"), ("conversation_id", "7")],
        );
        assert_eq!(s, "Nina: conversation #7");
        assert!(
            b.contains("{conversation_url}"),
            "unknown placeholders stay: {b}"
        );
    }

    #[test]
    fn bad_servers_are_refused() {
        let ok = json!({ "host": "smtp.example", "from_address": "a@b.example" });
        assert!(check_server(SMTP_KEY, &ok, None).is_ok());
        for bad in [
            json!({ "host": "", "from_address": "a@b.example" }),
            json!({ "host": "smtp.example", "port": 70000, "from_address": "a@b.example" }),
            json!({ "host": "smtp.example", "security": "ssl", "from_address": "a@b.example" }),
            json!({ "host": "smtp.example", "from_address": "a@b.example\r\nBcc: x@evil.example" }),
            json!({ "host": "smtp.example", "from_address": "a@b.example", "from_name": "A\r\nBcc: x" }),
            json!({ "host": "smtp.example", "from_address": "a@b.example", "extra": 1 }),
        ] {
            assert!(check_server(SMTP_KEY, &bad, None).is_err(), "{bad}");
        }
        let imap = check_server(IMAP_KEY, &json!({ "host": "imap.example" }), None).unwrap();
        assert_eq!(imap["mailbox"], "INBOX");
        assert_eq!(imap["poll_seconds"], 60);
    }
}
