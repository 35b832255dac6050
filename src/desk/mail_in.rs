//! Email in: importing one message (one write job), threading it into a
//! conversation, polling the IMAP mailbox, and queueing an agent's reply in
//! an email conversation as an `email` outbox row (e1's sender sends it).

use super::{Actor, Desk};
use crate::domain::{Status, UserType};
use crate::error::{self, Error, Result};
use crate::mail_in::imap::{self, Security};
use crate::mail_in::parse::{self, Mail};
use crate::store::conversations::{self as convs, NewConversation};
use crate::store::email::{self as store_email, Inbound, Thread};
use crate::store::messages::Message;
use crate::store::users::{self, User, UserFields};
use crate::store::{settings, uploads, Tx};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Mutex;

/// Messages fetched per poll; more wait for the next round.
const PER_POLL: usize = 50;
/// Message-IDs in an outgoing References header.
const MAX_REFERENCES: usize = 20;
/// Addresses kept in a thread's CC.
const MAX_CC: usize = 20;
/// The full text kept beside the folded one, in characters.
const MAX_FULL_TEXT: usize = 64 * 1024;

/// `email.imap`, as e1's settings store it (password included: it is read
/// here, never answered).
#[derive(Debug, Clone, Deserialize)]
pub struct ImapSetting {
    pub host: String,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub security: Option<String>,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub mailbox: Option<String>,
    #[serde(default)]
    pub poll_seconds: Option<u64>,
}

impl ImapSetting {
    fn security(&self) -> Security {
        match self.security.as_deref() {
            Some("none") => Security::None,
            Some("starttls") => Security::StartTls,
            _ => Security::Tls,
        }
    }
    fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security() {
            Security::Tls => 993,
            _ => 143,
        })
    }
    pub fn mailbox(&self) -> &str {
        self.mailbox
            .as_deref()
            .filter(|m| !m.is_empty())
            .unwrap_or("INBOX")
    }
    pub fn poll_seconds(&self) -> u64 {
        self.poll_seconds.unwrap_or(60).clamp(1, 86_400)
    }
    /// The key of its polling state.
    fn key(&self) -> String {
        format!(
            "{}@{}:{}/{}",
            self.username,
            self.host,
            self.port(),
            self.mailbox()
        )
    }
}

/// What one poll did.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct PollReport {
    /// The server's greeting.
    pub reply: String,
    pub imported: usize,
    pub ignored: usize,
    pub failed: usize,
    /// More messages wait than one poll takes.
    pub more: bool,
}

/// What became of one inbound message.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Imported {
    pub outcome: &'static str,
    pub reason: String,
    pub conversation_id: Option<i64>,
    pub message_id: Option<i64>,
    /// The kept .eml, relative to the data directory.
    pub raw_path: Option<String>,
}

/// One poll at a time in this process (the poller thread, the check button,
/// Support Board's email-piping).
static POLLING: Mutex<()> = Mutex::new(());
/// When email-piping last polled.
static PIPING: Mutex<Option<std::time::Instant>> = Mutex::new(None);

impl Desk {
    /// `email.imap`, if set.
    pub fn imap_setting(&self) -> Result<Option<ImapSetting>> {
        let v = self.store.read(|c| settings::get(c, "email.imap"))?;
        Ok(
            v.and_then(|v| serde_json::from_value::<ImapSetting>(v).ok())
                .filter(|s| !s.host.trim().is_empty()),
        )
    }

    /// "Check the mailbox now" (admins): polls at once, unless a poll is
    /// running (then 503 at once: a request never waits behind a slow
    /// server's poll, so clicks cannot pile up on the HTTP workers).
    pub fn check_mailbox(&self, actor: &Actor, max_upload: usize) -> Result<PollReport> {
        actor.require_admin()?;
        self.imap_setting()?
            .ok_or_else(|| error::EMAIL_NOT_CONFIGURED.with("no IMAP mailbox is configured"))?;
        let one = match POLLING.try_lock() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                return Err(error::MAILBOX_UNAVAILABLE
                    .with("the mailbox is being polled already: try again in a moment"))
            }
        };
        self.poll_held(max_upload, one)
    }

    /// Support Board's `email-piping`: polls, at most once a minute unless `force`.
    pub fn email_piping(&self, actor: &Actor, force: bool, max_upload: usize) -> Result<()> {
        actor.require_admin()?;
        if self.imap_setting()?.is_none() {
            return Err(error::EMAIL_NOT_CONFIGURED.with("no IMAP mailbox is configured"));
        }
        {
            let mut last = PIPING.lock().unwrap();
            if !force && last.is_some_and(|t| t.elapsed() < std::time::Duration::from_secs(60)) {
                return Ok(());
            }
            *last = Some(std::time::Instant::now());
        }
        match POLLING.try_lock() {
            Ok(one) => self.poll_held(max_upload, one).map(|_| ()),
            Err(std::sync::TryLockError::Poisoned(p)) => {
                self.poll_held(max_upload, p.into_inner()).map(|_| ())
            }
            // A poll is running: this request never waits behind it.
            Err(std::sync::TryLockError::WouldBlock) => Ok(()),
        }
    }

    /// Imports each message above the last UID seen (a new UIDVALIDITY
    /// starts over; Message-IDs already known are skipped), marks it seen,
    /// and records the UID after each one. A mailbox polled for the first
    /// time starts at its oldest unread message: older mail is left alone.
    pub fn poll_mailbox(&self, max_upload: usize) -> Result<PollReport> {
        let one = POLLING.lock().unwrap_or_else(|p| p.into_inner());
        self.poll_held(max_upload, one)
    }

    /// A poll, with the one-poll-at-a-time lock held.
    fn poll_held(
        &self,
        max_upload: usize,
        _one: std::sync::MutexGuard<'static, ()>,
    ) -> Result<PollReport> {
        let s = self
            .imap_setting()?
            .ok_or_else(|| error::EMAIL_NOT_CONFIGURED.with("no IMAP mailbox is configured"))?;
        let down = |e: String| error::MAILBOX_UNAVAILABLE.with(e);
        let mut mb = imap::connect(&imap::Server {
            host: s.host.trim(),
            port: s.port(),
            security: s.security(),
            username: &s.username,
            password: &s.password,
        })
        .map_err(down)?;
        let mut report = PollReport {
            reply: mb.greeting.clone(),
            ..Default::default()
        };
        let validity = mb.select(s.mailbox()).map_err(down)?;
        let key = s.key();
        let last = match self.store.read(|c| store_email::imap_state(c, &key))? {
            Some((v, last)) if v == validity => last,
            // A new UIDVALIDITY: every UID again, known Message-IDs skipped.
            Some(_) => 0,
            // Never polled: the mail already read there stays there.
            None => mb.start_uid().map_err(down)?,
        };
        let list = mb.above(last, PER_POLL).map_err(down)?;
        report.more = list.len() == PER_POLL;
        for (uid, size) in list {
            let done = if size as usize > parse::MAX_RAW {
                // Left in the mailbox (not marked seen) for the admin.
                self.log_only(
                    "imap",
                    "failed",
                    format!(
                        "{size} bytes: larger than {} (left in the mailbox)",
                        parse::MAX_RAW
                    ),
                )?
            } else {
                match mb.fetch(uid).map_err(down)? {
                    Some(raw) => {
                        let r = self.import_mail(&raw, "imap", max_upload)?;
                        mb.mark_seen(uid).map_err(down)?;
                        r
                    }
                    None => self.log_only(
                        "imap",
                        "failed",
                        format!("UID {uid}: the server sent no body"),
                    )?,
                }
            };
            match done.outcome {
                "imported" => report.imported += 1,
                "ignored" => report.ignored += 1,
                _ => report.failed += 1,
            }
            let key = key.clone();
            self.store
                .write(move |tx| store_email::set_imap_state(tx, &key, validity, uid))?;
        }
        mb.logout();
        Ok(report)
    }

    fn log_only(&self, via: &str, outcome: &'static str, reason: String) -> Result<Imported> {
        log::warn!("mail in ({via}): {outcome}: {reason}");
        let row = Inbound {
            via: via.into(),
            outcome,
            reason: reason.clone(),
            ..Default::default()
        };
        self.store
            .write(move |tx| store_email::log_inbound(tx, &row))?;
        Ok(Imported {
            outcome,
            reason,
            conversation_id: None,
            message_id: None,
            raw_path: None,
        })
    }

    /// Keeps a raw message under `DATA/mail/failed/`; answers its path
    /// relative to the data directory.
    pub fn keep_eml(&self, raw: &[u8]) -> Result<String> {
        use std::io::Write;
        let rel = format!(
            "mail/failed/{}-{}.eml",
            crate::util::now_ms(),
            crate::util::random_token("", 6).replace(['-', '_'], "x")
        );
        let path = self.data_dir.join(&rel);
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(path.parent().unwrap_or(&self.data_dir))?;
            let mut f = std::fs::File::create(&path)?;
            f.write_all(raw)?;
            f.sync_all()
        };
        write().map_err(|e| Error::io("cannot keep the message", e))?;
        Ok(rel)
    }

    /// Imports one RFC 5322 message. Bad mail is kept as .eml and logged
    /// (Ok, outcome `failed`); machine mail and repeats are logged
    /// (`ignored`). An Err means nothing was recorded: try again later.
    pub fn import_mail(&self, raw: &[u8], via: &str, max_upload: usize) -> Result<Imported> {
        let mail = match parse::parse(raw) {
            Ok(m) if m.from.is_some() => m,
            Ok(_) => return self.import_failed(raw, via, "no sender address".into(), None),
            Err(e) => return self.import_failed(raw, via, e, None),
        };
        let message_id = mail.message_id.clone().unwrap_or_else(|| {
            // No Message-ID: the same bytes are still the same message.
            format!("{}@frontporch.invalid", crate::util::sha256_hex(raw))
        });
        let mut log = Inbound {
            via: via.into(),
            message_id: Some(message_id.clone()),
            sender: mail.from.as_ref().map(|f| f.address.clone()),
            subject: Some(mail.subject.clone()),
            ..Default::default()
        };
        if let Some(why) = &mail.automatic {
            log.outcome = "ignored";
            log.reason = format!("automatic: {why}");
            return self.write_log(log);
        }
        if self
            .store
            .read(|c| store_email::conversation_of(c, &message_id))?
            .is_some()
        {
            log.outcome = "ignored";
            log.reason = "duplicate Message-ID".into();
            return self.write_log(log);
        }
        if let Some(why) = self.staff_sender(&mail)? {
            return self.import_failed(raw, via, why, Some(message_id));
        }
        let (files, mut left_out) = self.store_attachments(&mail, max_upload);
        left_out.extend(
            mail.left_out
                .iter()
                .map(|n| format!("{n}: over the attachment count")),
        );
        let tokens: Vec<String> = files.iter().map(|u| u.token.clone()).collect();
        let (dir, data) = (self.uploads_dir(), (mail, message_id, log, left_out));
        let public_url = self.links.public_url().to_string();
        // Piped mail is imported by another process, which cannot see who
        // is connected: only the online/away setting counts there.
        let connected = (via != "pipe").then(|| self.hub.online_users());
        let result = self.store.write(move |tx| {
            let (mail, message_id, log, left_out) = data;
            let how = Notify {
                public_url: &public_url,
                connected: connected.as_deref(),
            };
            import_job(tx, &mail, &message_id, log, &files, &left_out, how)
        });
        if result.as_ref().map_or(true, |r| r.message_id.is_none()) {
            // Nothing points at the files (a failed job, or a duplicate).
            for t in tokens {
                let _ = std::fs::remove_file(dir.join(t));
            }
        }
        result
    }

    /// Why a message must not become a staff member's words: a From
    /// header is the sender's claim, so mail naming an agent's address is
    /// kept as .eml for an admin instead of speaking as that agent.
    fn staff_sender(&self, mail: &Mail) -> Result<Option<String>> {
        let Some(from) = &mail.from else {
            return Ok(None);
        };
        let user = self.store.read(|c| users::by_email(c, &from.address))?;
        Ok(user.filter(|(u, _)| u.is_staff()).map(|_| {
            format!(
                "the sender {} is a staff member's address: kept, not imported as their words",
                from.address
            )
        }))
    }

    fn import_failed(
        &self,
        raw: &[u8],
        via: &str,
        reason: String,
        message_id: Option<String>,
    ) -> Result<Imported> {
        let path = self.keep_eml(raw)?;
        log::warn!("mail in ({via}): bad message kept as {path}: {reason}");
        self.write_log(Inbound {
            via: via.into(),
            outcome: "failed",
            reason,
            message_id,
            raw_path: Some(path),
            ..Default::default()
        })
    }

    fn write_log(&self, log: Inbound) -> Result<Imported> {
        let done = Imported {
            outcome: log.outcome,
            reason: log.reason.clone(),
            conversation_id: None,
            message_id: None,
            raw_path: log.raw_path.clone(),
        };
        self.store
            .write(move |tx| store_email::log_inbound(tx, &log))?;
        Ok(done)
    }

    /// Writes the attachments the upload rules accept; names the others.
    fn store_attachments(
        &self,
        mail: &Mail,
        max_upload: usize,
    ) -> (Vec<uploads::Upload>, Vec<String>) {
        let (mut files, mut left_out) = (Vec::new(), Vec::new());
        for p in &mail.attachments {
            match self.store_upload_file(&p.name, &p.content_type, &p.bytes, max_upload) {
                Ok(u) => files.push(u),
                Err(e) => left_out.push(format!("{}: {}", p.name, e.message)),
            }
        }
        (files, left_out)
    }

    /// The newest rows of the inbound mail log (admins).
    pub fn inbound_mail(&self, actor: &Actor, limit: i64) -> Result<Vec<Value>> {
        actor.require_admin()?;
        self.store
            .read(|c| store_email::inbound_log(c, limit.clamp(1, 500)))
    }

    /// The raw message an inbound log row kept (mail that could not be
    /// imported), for the admin to read or re-send: its bytes as received.
    pub fn inbound_raw(&self, actor: &Actor, id: i64) -> Result<Vec<u8>> {
        actor.require_admin()?;
        let path = self
            .store
            .read(|c| store_email::inbound_raw_path(c, id))?
            .filter(|p| p.starts_with("mail/failed/") && !p.contains(".."))
            .ok_or_else(|| Error::not_found("kept message"))?;
        std::fs::read(self.data_dir.join(path)).map_err(|_| Error::not_found("kept message"))
    }
}

/// Our own addresses: the SMTP sender and the mailbox's user name.
fn own_addresses(tx: &Tx) -> Result<Vec<String>> {
    let mut own = Vec::new();
    for (key, field) in [("email.smtp", "from_address"), ("email.imap", "username")] {
        if let Some(a) = settings::get(tx.conn, key)?
            .and_then(|v| v.get(field).and_then(Value::as_str).map(str::to_lowercase))
            .filter(|a| a.contains('@'))
        {
            own.push(a);
        }
    }
    Ok(own)
}

/// Whether `addr` is one of ours, or ours with a `+tag`.
fn is_own(own: &[String], addr: &str) -> bool {
    let base = |a: &str| match a.split_once('@') {
        Some((local, domain)) => format!("{}@{domain}", local.split('+').next().unwrap_or("")),
        None => a.to_string(),
    };
    own.iter().any(|o| base(o) == base(addr))
}

/// The reply token in a `local+<token>@domain` address, if any.
fn reply_token(addr: &str) -> Option<&str> {
    let local = addr.split('@').next()?;
    let (_, token) = local.split_once('+')?;
    (!token.is_empty() && token.len() <= 40).then_some(token)
}

/// The conversation a message belongs to: the newest of its
/// In-Reply-To/References we know, else the reply address it was sent to.
/// Never the subject alone, and only a thread its sender takes part in
/// (its contact or one of its CC): Message-IDs and reply addresses travel
/// in quotes and forwards, so a stranger who learnt one starts a
/// conversation of their own instead of writing into (and adding CC to)
/// someone else's.
fn find_thread(tx: &Tx, mail: &Mail) -> Result<Option<i64>> {
    let sender = mail.from.as_ref().map_or("", |f| f.address.as_str());
    let joins = |c: i64| -> Result<bool> {
        Ok(store_email::thread(tx.conn, c)?
            .is_some_and(|t| t.contact_address == sender || t.cc.iter().any(|a| a == sender)))
    };
    for id in mail.refs.iter().rev() {
        if let Some(c) = store_email::conversation_of(tx.conn, id)? {
            if joins(c)? {
                return Ok(Some(c));
            }
        }
    }
    let recipients = mail
        .to
        .iter()
        .chain(&mail.cc)
        .map(|a| a.address.as_str())
        .chain(mail.delivered_to.iter().map(String::as_str));
    for addr in recipients {
        if let Some(t) = reply_token(addr) {
            if let Some(th) = store_email::thread_by_token(tx.conn, &t.to_lowercase())? {
                if joins(th.conversation_id)? {
                    return Ok(Some(th.conversation_id));
                }
            }
        }
    }
    Ok(None)
}

/// The contact with this address, or a new one named from the header.
fn contact(tx: &mut Tx, address: &str, name: &str) -> Result<User> {
    if let Some((u, _)) = users::by_email(tx.conn, address)? {
        return Ok(u);
    }
    let name = super::text::clean_name(name);
    let (first, last) = match name.trim().split_once(' ') {
        Some((f, l)) => (f.to_string(), l.trim().to_string()),
        None if name.trim().is_empty() => (
            address.split('@').next().unwrap_or("").to_string(),
            String::new(),
        ),
        None => (name.trim().to_string(), String::new()),
    };
    let f = UserFields {
        email: Some(address.to_string()),
        first_name: Some(first.chars().take(100).collect()),
        last_name: Some(last.chars().take(100).collect()),
        ..Default::default()
    };
    let u = users::insert(tx, &f, UserType::User, None)?;
    super::users::emit_created(tx, None, &u)?;
    Ok(u)
}

/// What telling offline agents of a new thread needs (`notifications`).
struct Notify<'a> {
    public_url: &'a str,
    connected: Option<&'a [i64]>,
}

/// Logs a message that makes nothing (inside the import's write job).
fn ignored(tx: &mut Tx, mut log: Inbound, reason: &str) -> Result<Imported> {
    log.outcome = "ignored";
    log.reason = reason.into();
    store_email::log_inbound(tx, &log)?;
    Ok(Imported {
        outcome: "ignored",
        reason: log.reason,
        conversation_id: None,
        message_id: None,
        raw_path: None,
    })
}

/// The write job of one import: threads it, creates the contact and the
/// conversation when new, inserts the message (events as usual), records
/// its Message-ID and logs it.
fn import_job(
    tx: &mut Tx,
    mail: &Mail,
    message_id: &str,
    mut log: Inbound,
    files: &[uploads::Upload],
    left_out: &[String],
    notify: Notify,
) -> Result<Imported> {
    if store_email::conversation_of(tx.conn, message_id)?.is_some() {
        return ignored(tx, log, "duplicate Message-ID");
    }
    let from = mail.from.clone().unwrap_or_default();
    let own = own_addresses(tx)?;
    if is_own(&own, &from.address) {
        // Our own mail come back (a copy, a forward): answering it would loop.
        return ignored(tx, log, "sent from our own address");
    }
    let sender = contact(tx, &from.address, &from.name)?;
    if crate::store::blocks::blocking(tx.conn, Some(sender.id), None)?.is_some() {
        // `/block` holds for mail too; the row keeps it for the admin.
        return ignored(tx, log, "the sender is blocked");
    }
    if files.is_empty() {
        if let Some(conv) = super::scores::take_text_score_in(tx, sender.id, "em", &mail.shown)? {
            // A quality score answered by mail: recorded, not a message.
            store_email::record_id(tx, message_id, conv, None, "in")?;
            log.conversation_id = Some(conv);
            return ignored(tx, log, "a quality score (recorded)");
        }
    }
    let cc: Vec<String> = mail
        .to
        .iter()
        .chain(&mail.cc)
        .map(|a| a.address.clone())
        .filter(|a| !is_own(&own, a) && *a != from.address)
        .collect();
    let (conv_id, created) = match find_thread(tx, mail)? {
        Some(id) => {
            if let Some(t) = store_email::thread(tx.conn, id)? {
                let mut kept = t.cc.clone();
                for a in &cc {
                    if !kept.contains(a) && *a != t.contact_address && kept.len() < MAX_CC {
                        kept.push(a.clone());
                    }
                }
                if kept != t.cc {
                    store_email::set_cc(tx, id, &kept)?;
                }
            }
            (id, false)
        }
        None => (
            new_conversation(tx, mail, &sender, &from.address, cc)?,
            true,
        ),
    };
    for u in files {
        uploads::insert(tx, u, sender.id)?;
    }
    let attachments: Vec<super::messages::Attachment> = files
        .iter()
        .map(|u| super::messages::Attachment {
            name: u.name.clone(),
            url: format!("/uploads/{}/{}", u.token, u.name),
            content_type: Some(u.content_type.clone()),
            size: Some(u.size as u64),
        })
        .collect();
    let mut body: String = super::text::clean_body(&mail.shown)
        .chars()
        .take(super::messages::MAX_BODY_CHARS)
        .collect();
    if body.trim().is_empty() && attachments.is_empty() {
        body = "(no text)".into();
    }
    let full = super::text::clean_body(&mail.text);
    let mut email = json!({
        "subject": mail.subject, "message_id": message_id,
        "from": { "name": from.name, "address": from.address },
        "to": mail.to.iter().map(|a| &a.address).collect::<Vec<_>>(),
        "cc": mail.cc.iter().map(|a| &a.address).collect::<Vec<_>>(),
    });
    if full.trim() != body.trim() {
        email["full_text"] = json!(full.chars().take(MAX_FULL_TEXT).collect::<String>());
    }
    if !left_out.is_empty() {
        email["left_out"] = json!(left_out);
    }
    let mut payload = serde_json::Map::new();
    payload.insert("email".into(), email);
    let prepared = super::messages::Prepared {
        input: super::messages::MessageInput {
            body,
            attachments,
            payload: Some(payload),
            ..Default::default()
        },
        sender: sender.id,
        status: None,
    };
    if created {
        // Offline agents hear of it as of a conversation opened in the widget.
        let conv = convs::get(tx.conn, conv_id)?;
        let (body, connected) = (&prepared.input.body, notify.connected);
        super::notifications::new_conversation(tx, notify.public_url, &conv, body, connected)?;
    }
    let head = convs::head(tx.conn, conv_id)?;
    let m = super::messages::insert_message(tx, &head, sender.id, false, prepared)?;
    super::push::message(tx, &m, notify.connected)?;
    store_email::record_id(tx, message_id, conv_id, Some(m.id), "in")?;
    log.outcome = "imported";
    log.conversation_id = Some(conv_id);
    log.message = Some(m.id);
    store_email::log_inbound(tx, &log)?;
    Ok(Imported {
        outcome: "imported",
        reason: String::new(),
        conversation_id: Some(conv_id),
        message_id: Some(m.id),
        raw_path: None,
    })
}

fn new_conversation(
    tx: &mut Tx,
    mail: &Mail,
    contact: &User,
    address: &str,
    cc: Vec<String>,
) -> Result<i64> {
    let title: String = mail
        .subject
        .chars()
        .filter(|c| !c.is_control())
        .take(300)
        .collect();
    let extra = json!({});
    let id = convs::insert(
        tx,
        &NewConversation {
            user_id: contact.id,
            status: Status::WaitingForAgent,
            title: title.trim(),
            department_id: None,
            agent_id: None,
            source: "em",
            extra: &extra,
        },
    )?;
    let token = crate::util::random_token("", 9)
        .to_lowercase()
        .replace(['-', '_'], "x");
    store_email::insert_thread(
        tx,
        &Thread {
            conversation_id: id,
            token,
            subject: title.trim().to_string(),
            contact_address: address.to_string(),
            cc: cc.into_iter().take(MAX_CC).collect(),
        },
    )?;
    super::conversations::emit_created(tx, id, Some(contact.id))?;
    Ok(id)
}

/// In the write job of every new message: a staff member's public reply in
/// a conversation that came in by email becomes an `email` outbox row
/// (interface 2), threaded, with its Message-ID recorded.
pub(super) fn queue_reply(
    tx: &mut Tx,
    conversation_id: i64,
    sender: &User,
    m: &Message,
) -> Result<()> {
    if m.private || !sender.is_staff() || m.payload.get("email").is_some() {
        return Ok(());
    }
    let Some(thread) = store_email::thread(tx.conn, conversation_id)? else {
        return Ok(());
    };
    let from = settings::get(tx.conn, "email.smtp")?
        .and_then(|v| {
            v.get("from_address")
                .and_then(Value::as_str)
                .map(str::to_lowercase)
        })
        .filter(|a| a.contains('@') && !a.chars().any(char::is_control));
    let domain = from
        .as_deref()
        .and_then(|a| a.split_once('@'))
        .map(|(_, d)| d.to_string())
        .unwrap_or_else(|| "frontporch.invalid".into());
    let reply_to = from
        .as_deref()
        .and_then(|a| a.split_once('@'))
        .map(|(local, d)| {
            format!(
                "{}+{}@{d}",
                local.split('+').next().unwrap_or(local),
                thread.token
            )
        });
    let references = store_email::thread_ids(tx.conn, conversation_id, MAX_REFERENCES)?;
    let message_id = format!(
        "fp.{conversation_id}.{}.{}@{domain}",
        m.id,
        crate::util::random_token("", 6).replace(['-', '_'], "x")
    );
    let subject = if thread.subject.to_ascii_lowercase().starts_with("re:") {
        thread.subject.clone()
    } else if thread.subject.is_empty() {
        "Re: your message".into()
    } else {
        format!("Re: {}", thread.subject)
    };
    let attachments: Vec<&str> = m
        .attachments
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f.get("url").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let angle = |id: &String| format!("<{id}>");
    let mut payload = json!({
        "kind": "reply",
        "to": thread.contact_address,
        "subject": subject,
        "text": m.body,
        "message_id": format!("<{message_id}>"),
        "conversation_id": conversation_id,
        "message": m.id,
    });
    if !thread.cc.is_empty() {
        payload["cc"] = json!(thread.cc);
    }
    if let Some(last) = references.last() {
        payload["in_reply_to"] = json!(angle(last));
        payload["references"] = json!(references.iter().map(angle).collect::<Vec<_>>());
    }
    if let Some(r) = reply_to {
        payload["reply_to"] = json!(r);
    }
    if !attachments.is_empty() {
        payload["attachments"] = json!(attachments);
    }
    if let Some(auto) = automatic(sender, m) {
        payload["auto_submitted"] = json!(auto);
    }
    super::email::queue(tx, payload)?;
    store_email::record_id(tx, &message_id, conversation_id, Some(m.id), "out")?;
    Ok(())
}

/// The `Auto-Submitted` value of a text no person wrote: a keyword bot's,
/// the menu's, a macro's `send_text` (`payload.bot`: an answer) and the
/// score question (`payload.score`). Said so (RFC 3834), an auto-responder
/// at the other end stays silent instead of answering our bots, which
/// would answer it back. (An API token's message is the bot user's too,
/// but a person may have written it: it is left unmarked.)
fn automatic(sender: &User, m: &Message) -> Option<&'static str> {
    if sender.user_type != UserType::Bot {
        return None;
    }
    if m.payload.get("bot").is_some() {
        Some("auto-replied")
    } else if m.payload.get("score").is_some() {
        Some("auto-generated")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(reply_token("support+ab12@x.org"), Some("ab12"));
        assert_eq!(reply_token("support@x.org"), None);
        let own = vec!["support@x.org".to_string()];
        assert!(is_own(&own, "support+ab12@x.org"));
        assert!(!is_own(&own, "ann@x.org"));
    }
}
