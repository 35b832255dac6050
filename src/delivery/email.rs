//! Email out: the `email` outbox rows (endpoint_id NULL) go through their
//! own lane, one thread apart from the webhook workers, so a slow SMTP
//! server never holds webhooks and a slow webhook never holds mail. Each
//! row's payload (`Payload`) becomes a MIME message (lettre's builder: a
//! text part, an escaped HTML part, attachments read from our uploads) sent
//! with lettre's blocking SMTP transport over rustls. A 4xx reply or a
//! connection failure is retried with the webhooks' backoff, a 5xx marks
//! the row dead; every attempt is recorded with the server's reply, and a
//! success emits `email.sent`. With no SMTP server configured the rows wait.

use super::{backoff_ms, Settings};
use crate::metrics::METRICS;
use crate::store::events::Audience;
use crate::store::outbox::{self, Attempt, DueEmail, Outcome};
use crate::store::{settings, uploads, users, Store};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// The setting that configures sending.
pub const SMTP_KEY: &str = "email.smtp";
/// Attachments of one email, in all: larger files are left as links.
pub const MAX_ATTACHMENTS_BYTES: i64 = 10 * 1024 * 1024;
/// Rows taken per look at the outbox.
const BATCH: usize = 8;
/// A row is retried at least this many times, whatever its age (it may
/// have waited for days for an SMTP server to be configured).
const MIN_ATTEMPTS: i64 = 5;

#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    None,
    #[default]
    Starttls,
    Tls,
}

/// `email.smtp`, as stored.
#[derive(Deserialize, Clone, Debug, Default)]
#[serde(default)]
pub struct Smtp {
    pub host: String,
    pub port: Option<u16>,
    pub security: Security,
    pub username: String,
    pub password: String,
    pub from_address: String,
    pub from_name: String,
}

impl Smtp {
    /// The configured server, or None when sending is not set up.
    pub fn load(conn: &rusqlite::Connection) -> crate::error::Result<Option<Smtp>> {
        let Some(v) = settings::get(conn, SMTP_KEY)? else {
            return Ok(None);
        };
        let s: Smtp = serde_json::from_value(v).unwrap_or_default();
        Ok((!s.host.is_empty() && !s.from_address.is_empty()).then_some(s))
    }

    fn transport(&self) -> Result<SmtpTransport, String> {
        let tls = |host: &str| {
            TlsParameters::new(host.to_string()).map_err(|e| format!("TLS set-up failed: {e}"))
        };
        let (port, tls) = match self.security {
            Security::None => (25, Tls::None),
            Security::Starttls => (587, Tls::Required(tls(&self.host)?)),
            Security::Tls => (465, Tls::Wrapper(tls(&self.host)?)),
        };
        let mut b = SmtpTransport::builder_dangerous(&self.host)
            .port(self.port.unwrap_or(port))
            .tls(tls)
            .timeout(Some(Duration::from_secs(20)));
        if !self.username.is_empty() {
            b = b.credentials(Credentials::new(
                self.username.clone(),
                self.password.clone(),
            ));
        }
        Ok(b.build())
    }
}

/// One or several addresses.
#[derive(Deserialize, Clone, Debug)]
#[serde(untagged)]
pub enum To {
    One(String),
    Many(Vec<String>),
}

impl Default for To {
    fn default() -> Self {
        To::Many(Vec::new())
    }
}

impl To {
    pub fn list(&self) -> Vec<String> {
        match self {
            To::One(a) => vec![a.clone()],
            To::Many(v) => v.clone(),
        }
    }
}

/// An `email` outbox row's payload (the interface every writer of such
/// rows shares; unknown fields are ignored so old rows stay readable).
#[derive(Deserialize, Clone, Debug, Default)]
#[serde(default)]
pub struct Payload {
    pub kind: Option<String>,
    pub to: To,
    pub cc: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
    pub from_name: Option<String>,
    pub reply_to: Option<String>,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub attachments: Vec<String>,
    pub conversation_id: Option<i64>,
    pub message: Option<i64>,
    pub recipient_id: Option<i64>,
    /// A reply no person wrote (a bot's text in an email thread): its
    /// `Auto-Submitted` value, `auto-replied` or `auto-generated`.
    pub auto_submitted: Option<String>,
}

/// What the SMTP server said.
#[derive(Debug)]
pub struct Reply {
    pub code: Option<u16>,
    pub text: String,
    /// 5xx, or a message that can never be sent (a bad address): no retry.
    pub permanent: bool,
}

/// The email lane: its thread waits for a wake-up or the next second.
pub struct Lane {
    wake: Mutex<bool>,
    cv: Condvar,
    stopping: AtomicBool,
    busy: AtomicBool,
}

impl Lane {
    pub fn new() -> Lane {
        Lane {
            wake: Mutex::new(false),
            cv: Condvar::new(),
            stopping: AtomicBool::new(false),
            busy: AtomicBool::new(false),
        }
    }

    pub fn notify(&self) {
        *self.wake.lock().unwrap() = true;
        self.cv.notify_one();
    }

    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
        self.notify();
    }

    pub fn busy(&self) -> bool {
        self.busy.load(Ordering::Relaxed)
    }

    /// The lane's loop: send what is due while a server is configured.
    pub fn run(&self, store: Store, settings: Settings) {
        while !self.stopping.load(Ordering::Relaxed) {
            let mut sent_any = false;
            if let Ok(Some(smtp)) = store.read(Smtp::load) {
                let now = crate::util::now_ms();
                let due = store
                    .read(|c| outbox::due_email(c, now, BATCH))
                    .unwrap_or_default();
                for row in due {
                    if self.stopping.load(Ordering::Relaxed) {
                        break;
                    }
                    self.busy.store(true, Ordering::Relaxed);
                    send_row(&store, &settings, &smtp, row);
                    self.busy.store(false, Ordering::Relaxed);
                    sent_any = true;
                }
            }
            if sent_any {
                continue;
            }
            let mut woken = self.wake.lock().unwrap();
            if !*woken {
                woken = self
                    .cv
                    .wait_timeout(woken, Duration::from_secs(1))
                    .unwrap()
                    .0;
            }
            *woken = false;
        }
    }
}

impl Default for Lane {
    fn default() -> Self {
        Lane::new()
    }
}

/// Sends one row and records the attempt (and `email.sent` on success).
fn send_row(store: &Store, settings: &Settings, smtp: &Smtp, row: DueEmail) {
    let p: Payload = serde_json::from_str(&row.payload).unwrap_or_default();
    let started = Instant::now();
    let reply = match build(store, settings, smtp, &p, &row) {
        Ok(msg) => send(smtp, &msg),
        Err(why) => Reply {
            code: None,
            text: why,
            permanent: true,
        },
    };
    let duration_ms = started.elapsed().as_millis() as i64;
    let ok = reply.code.is_some_and(|c| (200..300).contains(&c));
    let now = crate::util::now_ms();
    let outcome = if ok {
        Outcome::Delivered
    } else if reply.permanent
        || (row.attempts + 1 >= MIN_ATTEMPTS && now - row.created_at >= settings.retry_window_ms)
    {
        Outcome::Dead
    } else {
        Outcome::RetryAt(now + backoff_ms(settings.retry_base_ms, row.attempts + 1))
    };
    let to = p.to.list();
    if !ok {
        METRICS.delivery_failures.fetch_add(1, Ordering::Relaxed);
        log::warn!(
            "email {} to {} failed: {}",
            row.id,
            to.join(", "),
            reply.text
        );
    }
    let attempt = Attempt {
        status_code: reply.code,
        error: (!ok).then(|| reply.text.clone()),
        duration_ms,
        response: Some(reply.text.chars().take(512).collect()),
    };
    let r = store.write(move |tx| {
        outbox::record(tx, row.id, &attempt, outcome)?;
        if ok {
            let recipient_id = match p.recipient_id {
                Some(id) => Some(id),
                None => match to.first() {
                    Some(a) => users::by_email(tx.conn, a)?.map(|(u, _)| u.id),
                    None => None,
                },
            };
            tx.emit(
                "email.sent",
                p.conversation_id,
                None,
                Audience::Staff,
                json!({
                    "outbox_id": row.id, "kind": p.kind.as_deref().unwrap_or("transcript"),
                    "to": to, "subject": p.subject, "conversation_id": p.conversation_id,
                    "recipient_id": recipient_id, "message": p.text,
                }),
            )?;
        }
        Ok(())
    });
    if let Err(e) = r {
        // The row stays pending and due: it is sent again (at least once).
        log::error!("cannot record email {}: {e}", row.id);
        std::thread::sleep(Duration::from_secs(5));
    }
}

/// Sends a built message and says what the server answered.
fn send(smtp: &Smtp, msg: &Message) -> Reply {
    let transport = match smtp.transport() {
        Ok(t) => t,
        Err(text) => {
            return Reply {
                code: None,
                text,
                permanent: false,
            }
        }
    };
    match transport.send(msg) {
        Ok(r) => Reply {
            code: Some(u16::from(r.code())),
            text: format!("{} {}", r.code(), r.message().collect::<Vec<_>>().join(" ")),
            permanent: false,
        },
        Err(e) => Reply {
            code: e.status().map(u16::from),
            permanent: e.is_permanent(),
            text: error_text(&e),
        },
    }
}

/// lettre's error with its sources (the server's words are in them).
fn error_text(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Sends a short message now, outside the outbox (Settings → Email's
/// "Send a test email"): the server's reply, or what went wrong.
pub fn send_test(smtp: &Smtp, to: &str) -> Reply {
    let p = Payload {
        kind: Some("test".into()),
        to: To::One(to.to_string()),
        subject: "Frontporch test email".into(),
        text: "This is a test email from Frontporch: sending works.".into(),
        ..Default::default()
    };
    let row = DueEmail {
        id: 0,
        payload: String::new(),
        attempts: 0,
        created_at: crate::util::now_ms(),
    };
    let id = format!(
        "<fp-test-{}@{}>",
        crate::util::random_token("", 12),
        domain(&smtp.from_address)
    );
    let p = Payload {
        message_id: Some(id),
        ..p
    };
    match build_message(smtp, &p, &row, Vec::new()) {
        Ok(msg) => send(smtp, &msg),
        Err(text) => Reply {
            code: None,
            text,
            permanent: true,
        },
    }
}

fn domain(address: &str) -> &str {
    address.rsplit_once('@').map_or("localhost", |(_, d)| d)
}

/// A header value on one line: CR, LF and other controls become spaces,
/// so nothing a caller gives can start a header of its own.
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// `name <address>` from parts, or, without a name, a recipient as given
/// (`a@b.example` or `Name <a@b.example>`); on one line either way.
fn mailbox(name: Option<&str>, address: &str) -> Result<Mailbox, String> {
    let bad = |e: &dyn std::fmt::Display| format!("invalid address {address:?}: {e}");
    match name.map(one_line).filter(|n| !n.is_empty()) {
        Some(name) => Ok(Mailbox::new(
            Some(name),
            one_line(address).parse().map_err(|e| bad(&e))?,
        )),
        None => one_line(address).parse().map_err(|e| bad(&e)),
    }
}

/// The row's message: links in its text signed and made absolute, its
/// attachments read from our uploads up to the cap.
fn build(
    store: &Store,
    settings: &Settings,
    smtp: &Smtp,
    p: &Payload,
    row: &DueEmail,
) -> Result<Message, String> {
    // Fixed by the row, so every retry sends the same links.
    let exp = row.created_at / 1000 + crate::links::MAIL_TTL_SECS;
    let sign = |text: &str| sign_links(settings, text, exp);
    let mut files = Vec::new();
    let mut left_as_links = Vec::new();
    let mut total = 0i64;
    for link in &p.attachments {
        let path = settings.links.canonical(link);
        let found = crate::links::upload_token(&path)
            .and_then(|t| store.read(|c| uploads::by_token(c, t)).ok().flatten());
        match found {
            Some(u) if total + u.size <= MAX_ATTACHMENTS_BYTES => {
                match std::fs::read(settings.data_dir.join("uploads").join(&u.token)) {
                    Ok(bytes) => {
                        total += u.size;
                        files.push((u.name, u.content_type, bytes));
                    }
                    Err(_) => left_as_links.push(path),
                }
            }
            _ => left_as_links.push(path),
        }
    }
    let mut text = sign(&p.text);
    for l in &left_as_links {
        text.push_str(&format!(
            "\n{}",
            absolute(settings, &settings.links.sign(l, exp))
        ));
    }
    let html = match &p.html {
        Some(h) => sign(h),
        None => html_of(&text),
    };
    let signed = Payload {
        text,
        html: Some(html),
        ..p.clone()
    };
    build_message(smtp, &signed, row, files)
}

/// Our upload links in `text` (relative or under the public URL) signed
/// until `exp` and absolute; every other word is left alone.
pub(super) fn sign_links(settings: &Settings, text: &str, exp: i64) -> String {
    let public = settings.links.public_url();
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let w = std::mem::take(word);
        let own = w.starts_with("/uploads/")
            || (!public.is_empty() && w.starts_with(&format!("{public}/uploads/")));
        if own {
            out.push_str(&absolute(settings, &settings.links.sign(&w, exp)));
        } else {
            out.push_str(&w);
        }
    };
    for c in text.chars() {
        if c.is_whitespace() || c == '"' || c == '<' || c == '>' {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

fn absolute(settings: &Settings, url: &str) -> String {
    if url.starts_with('/') {
        format!("{}{url}", settings.links.public_url())
    } else {
        url.to_string()
    }
}

/// The text as HTML: escaped, line breaks kept. Customer text is never
/// HTML.
pub fn html_of(text: &str) -> String {
    let mut out = String::from("<!doctype html><html><body><div style=\"white-space:pre-wrap\">");
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out.push_str("</div></body></html>");
    out
}

/// The MIME message: From the setting (the row may rename the sender),
/// To/Cc as given, threading headers as given, a text and an HTML part,
/// then the files.
fn build_message(
    smtp: &Smtp,
    p: &Payload,
    row: &DueEmail,
    files: Vec<(String, String, Vec<u8>)>,
) -> Result<Message, String> {
    let name = p.from_name.as_deref().unwrap_or(&smtp.from_name);
    let mut b = Message::builder()
        .from(mailbox(Some(name), &smtp.from_address)?)
        .subject(one_line(&p.subject))
        .date_now()
        .user_agent(concat!("Frontporch/", env!("CARGO_PKG_VERSION")).into());
    let to = p.to.list();
    if to.is_empty() {
        return Err("the email has no recipient".into());
    }
    for a in &to {
        b = b.to(mailbox(None, a)?);
    }
    for a in &p.cc {
        // A CC address no server takes (any sender can put one in a
        // thread) must not stop the mail to its recipient.
        match mailbox(None, a) {
            Ok(m) => b = b.cc(m),
            Err(e) => log::warn!("email {}: CC left out: {e}", row.id),
        }
    }
    if let Some(r) = &p.reply_to {
        b = b.reply_to(mailbox(None, r)?);
    }
    let id = p.message_id.as_deref().map(one_line).unwrap_or_else(|| {
        format!(
            "<fp.{}.{}@{}>",
            row.id,
            row.created_at,
            domain(&smtp.from_address)
        )
    });
    b = b.message_id(Some(id));
    if let Some(auto) = auto_submitted(p) {
        b = b
            .header(AutoSubmitted(auto.into()))
            .header(AutoResponseSuppress("All".into()));
    }
    if let Some(r) = p
        .in_reply_to
        .as_deref()
        .map(one_line)
        .filter(|r| !r.is_empty())
    {
        b = b.in_reply_to(r);
    }
    let refs: Vec<String> = p
        .references
        .iter()
        .map(|r| one_line(r))
        .filter(|r| !r.is_empty())
        .collect();
    if !refs.is_empty() {
        b = b.references(refs.join(" "));
    }
    let html = p.html.clone().unwrap_or_else(|| html_of(&p.text));
    let body = MultiPart::alternative_plain_html(p.text.clone(), html);
    let msg = if files.is_empty() {
        b.multipart(body)
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for (name, ctype, bytes) in files {
            let ctype = ContentType::parse(&ctype)
                .unwrap_or_else(|_| ContentType::parse("application/octet-stream").unwrap());
            let part: SinglePart = Attachment::new(one_line(&name)).body(bytes, ctype);
            mixed = mixed.singlepart(part);
        }
        b.multipart(mixed)
    };
    msg.map_err(|e| format!("cannot build the email: {e}"))
}

/// Mail no person wrote (notifications, automations, transcripts): marked
/// so (RFC 3834) that auto-responders, another helpdesk (another
/// Frontporch) and Exchange's out-of-office stay silent instead of
/// answering, which would start a mail loop.
fn is_automatic(kind: Option<&str>) -> bool {
    matches!(
        kind,
        None | Some("transcript" | "notification" | "automation" | "results")
    )
}

/// The `Auto-Submitted` value of a row: `auto-generated` for its kind of
/// automatic mail, the row's own for a bot's reply, none for a person's.
fn auto_submitted(p: &Payload) -> Option<&'static str> {
    if is_automatic(p.kind.as_deref()) {
        return Some("auto-generated");
    }
    match p.auto_submitted.as_deref() {
        Some("auto-replied") => Some("auto-replied"),
        Some(_) => Some("auto-generated"),
        None => None,
    }
}

/// A header lettre has no type for, sent as the text given.
macro_rules! text_header {
    ($(#[$doc:meta])* $name:ident, $header:literal) => {
        $(#[$doc])*
        #[derive(Clone)]
        struct $name(String);

        impl lettre::message::header::Header for $name {
            fn name() -> lettre::message::header::HeaderName {
                lettre::message::header::HeaderName::new_from_ascii_str($header)
            }
            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok(Self(s.to_string()))
            }
            fn display(&self) -> lettre::message::header::HeaderValue {
                lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    };
}

text_header!(
    /// `Auto-Submitted` (RFC 3834).
    AutoSubmitted,
    "Auto-Submitted"
);
text_header!(
    /// `X-Auto-Response-Suppress` (Microsoft's auto-replies).
    AutoResponseSuppress,
    "X-Auto-Response-Suppress"
);

/// What the delivery log shows of an email row.
pub fn summary(payload: &str) -> Value {
    let p: Payload = serde_json::from_str(payload).unwrap_or_default();
    json!({ "kind": p.kind.as_deref().unwrap_or("transcript"), "to": p.to.list(), "subject": p.subject })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_stay_on_one_line() {
        assert_eq!(one_line("Hi\r\nBcc: x@evil"), "Hi  Bcc: x@evil");
        assert!(mailbox(None, "a@b.c\r\nBcc: x@evil").is_err());
        assert!(mailbox(None, "a@b.c, x@evil.example").is_err());
        let m = mailbox(None, "Dan Doe <dan@example.com>").unwrap();
        assert_eq!(m.email.to_string(), "dan@example.com");
        assert_eq!(m.name.as_deref(), Some("Dan Doe"));
    }

    /// A configured sender and an outbox row, for building messages.
    fn sender_and_row() -> (Smtp, DueEmail) {
        let smtp = Smtp {
            host: "h".into(),
            from_address: "support@x.example".into(),
            ..Default::default()
        };
        let row = DueEmail {
            id: 1,
            payload: String::new(),
            attempts: 0,
            created_at: 0,
        };
        (smtp, row)
    }

    #[test]
    fn automatic_mail_says_so_and_replies_do_not() {
        let (smtp, row) = sender_and_row();
        let text = |kind: Option<&str>| {
            let p = Payload {
                kind: kind.map(String::from),
                to: To::One("ann@c.example".into()),
                subject: "s".into(),
                text: "t".into(),
                ..Default::default()
            };
            String::from_utf8(
                build_message(&smtp, &p, &row, Vec::new())
                    .unwrap()
                    .formatted(),
            )
            .unwrap()
        };
        for kind in [
            None,
            Some("transcript"),
            Some("notification"),
            Some("automation"),
        ] {
            let m = text(kind);
            assert!(
                m.contains("Auto-Submitted: auto-generated\r\n"),
                "{kind:?}: {m}"
            );
            assert!(m.contains("X-Auto-Response-Suppress: All\r\n"), "{kind:?}");
        }
        assert!(!text(Some("reply")).contains("Auto-Submitted"));
    }

    #[test]
    fn a_bots_reply_says_it_is_automatic() {
        let (smtp, row) = sender_and_row();
        let p = Payload {
            kind: Some("reply".into()),
            to: To::One("ann@c.example".into()),
            subject: "Re: s".into(),
            text: "t".into(),
            auto_submitted: Some("auto-replied".into()),
            ..Default::default()
        };
        let m = build_message(&smtp, &p, &row, Vec::new()).unwrap();
        let m = String::from_utf8(m.formatted()).unwrap();
        assert!(m.contains("Auto-Submitted: auto-replied\r\n"), "{m}");
        assert!(m.contains("X-Auto-Response-Suppress: All\r\n"), "{m}");
    }

    #[test]
    fn a_cc_address_no_server_takes_is_left_out_not_fatal() {
        let (smtp, row) = sender_and_row();
        let p = Payload {
            kind: Some("reply".into()),
            to: To::One("ann@c.example".into()),
            // What mail-parser reads from `Cc: a..b@x.test, ok@c.example`.
            cc: vec!["a..b@x.test".into(), "ok@c.example".into()],
            subject: "Re: s".into(),
            text: "t".into(),
            ..Default::default()
        };
        let m = build_message(&smtp, &p, &row, Vec::new()).expect("the mail to Ann is built");
        let m = String::from_utf8(m.formatted()).unwrap();
        assert!(m.contains("Cc: ok@c.example\r\n"), "{m}");
        assert!(!m.contains("a..b"), "{m}");
    }

    #[test]
    fn html_part_is_escaped() {
        let h = html_of("<script>alert(1)</script> & \"x\"");
        assert!(h.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"));
        assert!(!h.contains("<script>"));
    }
}
