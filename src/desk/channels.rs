//! Messaging platforms in (issue 12, contract items 3 and 4): what a
//! platform's verified webhook request said, imported in one write job.
//! A message finds its contact by platform identity (else a new contact)
//! and the contact's open conversation on that source (else a new one,
//! with the platform's ids in `extra`), is inserted as the contact's words
//! (the usual events), and is recorded by the platform's id so a repeated
//! delivery is stored once. Its media files are fetched after the commit
//! (`channel_media.rs`). A status report moves one of our messages forward
//! (delivered, read) or records why it failed.

use super::Desk;
use crate::channels::{self, Event, InMessage, Platform, State, StatusReport};
use crate::domain::{Status, UserType};
use crate::error::{self, Result};
use crate::store::channels as store_ch;
use crate::store::conversations::{self as convs, Filter, NewConversation};
use crate::store::events::Audience;
use crate::store::messages;
use crate::store::users::{self, User, UserFields};
use crate::store::{outbox, Tx};
use serde_json::{json, Map, Value};

/// Events taken from one request: Meta batches up to 1000 updates in one
/// webhook call (Webhooks, "Event Notifications"), and a batch refused
/// would be retried as it is, never taken; more is junk.
const MAX_EVENTS: usize = 1000;
/// Media files kept of one message.
pub const MAX_MEDIA: usize = 10;
/// Longest platform id (message, identity, media) accepted.
const MAX_ID: usize = 512;
/// Largest `extra` kept with a conversation, as JSON.
const MAX_EXTRA: usize = 4096;

/// What became of one event of a request.
#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct Imported {
    /// `imported`, `duplicate`, `status` (a report applied), `ignored`
    /// (a report about a message we do not know, or a step back),
    /// `scored` (a quality score given in text), `blocked`.
    pub outcome: &'static str,
    pub conversation_id: Option<i64>,
    pub message_id: Option<i64>,
    /// Media fetches queued.
    pub media: usize,
}

impl Imported {
    fn only(outcome: &'static str) -> Imported {
        Imported {
            outcome,
            conversation_id: None,
            message_id: None,
            media: 0,
        }
    }
}

impl Desk {
    /// A contact's platform identities, (source, id), oldest first (staff).
    pub fn platform_ids(
        &self,
        actor: &super::Actor,
        user_id: i64,
    ) -> Result<Vec<(String, String)>> {
        actor.require_staff()?;
        self.store.read(|c| store_ch::identities_of(c, user_id))
    }

    /// Imports what one verified request of platform `p` said, in one
    /// write job: nothing of it is stored unless all of it is.
    pub fn import_channel(
        &self,
        p: &'static Platform,
        events: Vec<Event>,
    ) -> Result<Vec<Imported>> {
        if events.len() > MAX_EVENTS {
            return Err(error::CHANNEL_PAYLOAD.with(format!(
                "at most {MAX_EVENTS} messages and reports per request"
            )));
        }
        for e in &events {
            check_event(p, e)?;
        }
        if events.is_empty() {
            // A "typing", an edit, a sticker: nothing to write.
            return Ok(Vec::new());
        }
        let public_url = self.links.public_url().to_string();
        let connected = self.hub.online_users();
        let done = self.store.write(move |tx| {
            let mut done = Vec::with_capacity(events.len());
            for e in &events {
                done.push(match e {
                    Event::Message(m) => import_message(tx, p, m, &public_url, &connected)?,
                    Event::Status(s) => status_report(tx, p, s)?,
                });
            }
            Ok(done)
        })?;
        if done.iter().any(|d| d.media > 0) {
            super::channel_media::wake();
        }
        Ok(done)
    }
}

/// Refuses what no platform sends: ids without bounds, a message of
/// another platform's source, oversized extra data.
fn check_event(p: &Platform, e: &Event) -> Result<()> {
    let bad = |what: &str| Err(error::CHANNEL_PAYLOAD.with(what.to_string()));
    match e {
        Event::Status(s) if s.id.is_empty() || s.id.len() > MAX_ID => bad("a status names no id"),
        Event::Status(_) => Ok(()),
        Event::Message(m) => {
            if !p.sources.contains(&m.source) {
                return bad("a message of another platform");
            }
            if m.id.is_empty() || m.id.len() > MAX_ID || m.from.is_empty() || m.from.len() > MAX_ID
            {
                return bad("a message needs an id and a sender of at most 512 bytes");
            }
            // They come back as `to` and in API URLs: one line each.
            if [&m.id, &m.from]
                .iter()
                .any(|s| s.chars().any(char::is_control))
            {
                return bad("a message's id and sender must not contain control characters");
            }
            if m.media
                .iter()
                .any(|f| f.id.is_empty() || f.id.len() > 2000 || f.id.chars().any(char::is_control))
            {
                return bad("a media file without a usable id");
            }
            if serde_json::to_string(&m.extra)?.len() > MAX_EXTRA {
                return bad("the message's extra data is too large");
            }
            Ok(())
        }
    }
}

/// One customer message (contract item 3).
fn import_message(
    tx: &mut Tx,
    p: &Platform,
    m: &InMessage,
    public_url: &str,
    connected: &[i64],
) -> Result<Imported> {
    if store_ch::known(tx.conn, p.name, &m.id)?.is_some() {
        return Ok(Imported::only("duplicate"));
    }
    let contact = contact(tx, p, m)?;
    if crate::store::blocks::blocking(tx.conn, Some(contact.id), None)?.is_some() {
        // `/block` holds on every platform; the platform still gets its
        // 200, or it would retry the update for hours.
        return Ok(Imported::only("blocked"));
    }
    if m.media.is_empty() {
        if let Some(conv) = super::scores::take_text_score_in(tx, contact.id, m.source, &m.text)? {
            // A quality score answered in text: recorded, not a message
            // (the request stays closed); kept by id so a repeat is a duplicate.
            store_ch::record(tx, p.name, &m.id, "in", Some(conv), None)?;
            return Ok(Imported {
                outcome: "scored",
                conversation_id: Some(conv),
                message_id: None,
                media: 0,
            });
        }
    }
    let open = convs::list(
        tx.conn,
        &Filter {
            statuses: Status::INBOX.to_vec(),
            source: Some(m.source.to_string()),
            user_id: Some(contact.id),
            limit: 1,
            ..Default::default()
        },
    )?;
    let (conv_id, created) = match open.first() {
        Some(c) => (c.id, false),
        None => (new_conversation(tx, &contact, m)?, true),
    };
    let media: Vec<_> = m.media.iter().take(MAX_MEDIA).collect();
    let mut body: String = super::text::clean_body(&m.text)
        .chars()
        .take(super::messages::MAX_BODY_CHARS)
        .collect();
    if body.trim().is_empty() && media.is_empty() {
        body = "(no text)".into();
    }
    let mut payload = Map::new();
    let mut channel = json!({ "platform": p.name, "id": m.id });
    if !media.is_empty() {
        // Shown as "pending" until the fetcher stores or leaves out each.
        channel["media"] = json!(media
            .iter()
            .map(|f| json!({ "name": media_name(f), "state": "pending" }))
            .collect::<Vec<_>>());
    }
    payload.insert("channel".into(), channel);
    let prepared = super::messages::Prepared {
        input: super::messages::MessageInput {
            body,
            payload: Some(payload),
            ..Default::default()
        },
        sender: contact.id,
        status: None,
    };
    if created {
        // Offline agents hear of it as of a conversation opened in the widget.
        let conv = convs::get(tx.conn, conv_id)?;
        let text = if m.text.trim().is_empty() {
            "(a file)"
        } else {
            &prepared.input.body
        };
        super::notifications::new_conversation(tx, public_url, &conv, text, Some(connected))?;
    }
    let head = convs::head(tx.conn, conv_id)?;
    let msg = super::messages::insert_message(tx, &head, contact.id, false, prepared)?;
    super::push::message(tx, &msg, Some(connected))?;
    store_ch::record(tx, p.name, &m.id, "in", Some(conv_id), Some(msg.id))?;
    for (index, f) in media.iter().enumerate() {
        let row = json!({
            "platform": p.name, "conversation_id": conv_id, "message_id": msg.id,
            "index": index,
            "media": { "id": f.id, "content_type": f.content_type, "name": f.name },
        });
        outbox::insert(
            tx,
            super::channel_media::CHANNEL,
            None,
            None,
            &row.to_string(),
        )?;
    }
    Ok(Imported {
        outcome: "imported",
        conversation_id: Some(conv_id),
        message_id: Some(msg.id),
        media: media.len(),
    })
}

/// What a pending file is called until it arrives.
pub(super) fn media_name(f: &channels::MediaRef) -> String {
    let name = f.name.as_deref().map(super::text::clean_name);
    match (name, f.content_type.as_deref()) {
        (Some(n), _) if !n.trim().is_empty() => n.chars().take(100).collect(),
        (_, Some(t)) if t.starts_with("image/") => "image".into(),
        (_, Some(t)) if t.starts_with("video/") => "video".into(),
        (_, Some(t)) if t.starts_with("audio/") => "audio".into(),
        _ => "file".into(),
    }
}

/// The contact with this platform identity, or a new one (type `user`,
/// named as the platform names them, their phone when it tells it).
fn contact(tx: &mut Tx, p: &Platform, m: &InMessage) -> Result<User> {
    if let Some(id) = store_ch::identity(tx.conn, m.source, &m.from)? {
        if let Some(u) = users::find(tx.conn, id)? {
            return Ok(u);
        }
    }
    let clean = |s: &str| -> String {
        super::text::clean_name(s)
            .trim()
            .chars()
            .take(100)
            .collect()
    };
    let phone = m
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty() && p.len() <= 40 && !p.chars().any(char::is_control))
        .map(str::to_string);
    let (mut first, last) = (clean(&m.first_name), clean(&m.last_name));
    if first.is_empty() && last.is_empty() {
        // Nameless (SMS): the number, else the platform and the id.
        first = match &phone {
            Some(p) => p.clone(),
            None => clean(&format!("{} {}", p.label, m.from)),
        };
    }
    let f = UserFields {
        first_name: Some(first),
        last_name: Some(last),
        phone,
        ..Default::default()
    };
    let u = users::insert(tx, &f, UserType::User, None)?;
    super::users::emit_created(tx, None, &u)?;
    store_ch::set_identity(tx, m.source, &m.from, u.id)?;
    Ok(u)
}

fn new_conversation(tx: &mut Tx, contact: &User, m: &InMessage) -> Result<i64> {
    open_conversation(tx, contact, m.source, &Value::Object(m.extra.clone()))
}

/// A new conversation of `contact` from a channel (`source`), waiting for
/// an agent, with `conversation.created`.
pub(super) fn open_conversation(
    tx: &mut Tx,
    contact: &User,
    source: &str,
    extra: &Value,
) -> Result<i64> {
    let id = convs::insert(
        tx,
        &NewConversation {
            user_id: contact.id,
            status: Status::WaitingForAgent,
            title: "",
            department_id: None,
            agent_id: None,
            source,
            extra,
        },
    )?;
    super::conversations::emit_created(tx, id, Some(contact.id))?;
    Ok(id)
}

/// The rank of a state: reports only move a message forward.
fn rank(status: Option<&str>) -> u8 {
    match status {
        Some("delivered") => 2,
        Some("read") => 3,
        Some("failed") => 4,
        _ => 1,
    }
}

/// A platform's report on a message we sent (contract item 4): delivered
/// and read as the contact's own client would mark them (same verbs, same
/// events), failed recorded and shown on the message.
pub(super) fn status_report(tx: &mut Tx, p: &Platform, s: &StatusReport) -> Result<Imported> {
    let Some(k) = store_ch::known(tx.conn, p.name, &s.id)? else {
        return Ok(Imported::only("ignored"));
    };
    let (Some(conv_id), Some(msg_id)) = (k.conversation_id, k.message_id) else {
        return Ok(Imported::only("ignored"));
    };
    if k.direction != "out" {
        return Ok(Imported::only("ignored"));
    }
    let (name, now) = match s.state {
        State::Sent => return Ok(Imported::only("ignored")),
        State::Delivered => ("delivered", 2),
        State::Read => ("read", 3),
        State::Failed => ("failed", 4),
    };
    // Failed is final; delivered never follows read; a message that
    // arrived cannot have failed.
    let was = rank(k.status.as_deref());
    if was >= now || was == 4 || (s.state == State::Failed && was >= 2) {
        return Ok(Imported::only("ignored"));
    }
    let error: Option<String> = s
        .error
        .as_deref()
        .map(|e| super::text::clean_body(e).chars().take(500).collect());
    store_ch::set_status(tx, p.name, &s.id, name, error.as_deref())?;
    let head = convs::head(tx.conn, conv_id)?;
    let contact = head.user_id;
    let by = json!("visitor");
    match s.state {
        State::Delivered => {
            let ids = messages::mark_delivered(tx, conv_id, msg_id, false)?;
            if !ids.is_empty() {
                tx.emit(
                    "message.delivered",
                    Some(conv_id),
                    Some(contact),
                    Audience::Everyone,
                    json!({ "message_ids": ids, "by": by, "user_id": contact }),
                )?;
            }
        }
        State::Read => {
            let ids = messages::mark_read(tx, conv_id, msg_id, false)?;
            messages::set_last_read(tx, conv_id, contact, msg_id)?;
            if !ids.is_empty() {
                tx.emit(
                    "message.read",
                    Some(conv_id),
                    Some(contact),
                    Audience::Everyone,
                    json!({ "message_ids": ids, "by": by, "user_id": contact }),
                )?;
            }
        }
        State::Failed => failed(tx, p, conv_id, msg_id, error.as_deref())?,
        State::Sent => {}
    }
    Ok(Imported {
        outcome: "status",
        conversation_id: Some(conv_id),
        message_id: Some(msg_id),
        media: 0,
    })
}

/// Records on the message that the platform could not deliver it
/// (`payload.channel.failed`), with `message.updated` so the inbox shows it.
fn failed(tx: &mut Tx, p: &Platform, conv_id: i64, msg_id: i64, error: Option<&str>) -> Result<()> {
    let m = messages::get(tx.conn, msg_id)?;
    let mut payload = m.payload.as_object().cloned().unwrap_or_default();
    let why = error.unwrap_or("the platform did not deliver it");
    let channel = payload
        .entry("channel")
        .or_insert_with(|| json!({ "platform": p.name }));
    if let Some(c) = channel.as_object_mut() {
        c.insert("failed".into(), json!(why));
    }
    let payload = serde_json::to_string(&payload)?;
    let m = messages::annotate(tx, msg_id, &m.attachments.to_string(), &payload)?;
    let aud = if m.private {
        Audience::Staff
    } else {
        Audience::Everyone
    };
    tx.emit(
        "message.updated",
        Some(conv_id),
        None,
        aud,
        json!({ "message": m.to_json() }),
    )?;
    // As the channel lane says of a send that died, so listeners hear of
    // a failure one way whichever side found it.
    tx.emit(
        "message.failed",
        Some(conv_id),
        None,
        Audience::Staff,
        json!({ "message_id": msg_id, "platform": p.name, "error": why }),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channels::telegram;
    use crate::config::{Checkpoints, Durability};
    use crate::store::{events, Store};
    use std::sync::Arc;

    #[test]
    fn states_only_move_forward() {
        assert!(rank(Some("delivered")) > rank(Some("sent")));
        assert!(rank(Some("read")) > rank(Some("delivered")));
        assert!(rank(None) < rank(Some("delivered")));
    }

    /// A desk on a fresh database in a temporary directory.
    fn desk(tag: &str) -> (Desk, std::path::PathBuf) {
        let dir = std::env::temp_dir().join(format!(
            "frontporch-desk-{tag}-{}-{}",
            std::process::id(),
            crate::util::now_ms()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(
            &dir.join("frontporch.db"),
            Durability::Normal,
            Checkpoints::External,
            Box::new(|_| {}),
            |_, _, _, _| Vec::new(),
        )
        .unwrap();
        let hub = crate::realtime::Hub::new(0, 10, std::time::Duration::from_secs(1));
        let desk = Desk::new(store, Arc::clone(&hub), 4, dir.clone(), "").unwrap();
        (desk, dir)
    }

    /// A Telegram conversation with two of our messages, sent as platform
    /// ids `42:1` and `42:2`: (conversation, first message, second message).
    fn sent_messages(desk: &Desk) -> (i64, i64, i64) {
        let bot = desk.bot_id;
        desk.store
            .write(move |tx| {
                let f = UserFields {
                    first_name: Some("Zoë".into()),
                    ..Default::default()
                };
                let contact = users::insert(tx, &f, UserType::User, None)?;
                let extra = json!({ "chat_id": "42" });
                let conv = convs::insert(
                    tx,
                    &NewConversation {
                        user_id: contact.id,
                        status: Status::WaitingForUser,
                        title: "",
                        department_id: None,
                        agent_id: None,
                        source: "tg",
                        extra: &extra,
                    },
                )?;
                let mut ids = Vec::new();
                for (n, text) in ["one", "two"].iter().enumerate() {
                    let head = convs::head(tx.conn, conv)?;
                    let p = super::super::messages::Prepared {
                        input: super::super::messages::MessageInput {
                            body: text.to_string(),
                            ..Default::default()
                        },
                        sender: bot,
                        status: None,
                    };
                    let m = super::super::messages::insert_message(tx, &head, bot, true, p)?;
                    store_ch::record(
                        tx,
                        "telegram",
                        &format!("42:{}", n + 1),
                        "out",
                        Some(conv),
                        Some(m.id),
                    )?;
                    ids.push(m.id);
                }
                Ok((conv, ids[0], ids[1]))
            })
            .unwrap()
    }

    fn report(desk: &Desk, id: &str, state: State, error: Option<&str>) -> Imported {
        let e = Event::Status(StatusReport {
            id: id.into(),
            state,
            error: error.map(str::to_string),
        });
        desk.import_channel(&telegram::PLATFORM, vec![e])
            .unwrap()
            .remove(0)
    }

    /// The events after `after`: (kind, data).
    fn events_after(desk: &Desk, after: i64) -> Vec<(String, Value)> {
        desk.store
            .read(|c| events::since(c, after, 100))
            .unwrap()
            .into_iter()
            .map(|e| {
                let v: Value = serde_json::from_str(&e.json).unwrap();
                (e.kind, v["data"].clone())
            })
            .collect()
    }

    #[test]
    fn status_reports_move_our_message_forward() {
        let (desk, dir) = desk("status");
        let (conv, first, second) = sent_messages(&desk);
        let message = |id| desk.store.read(|c| messages::get(c, id)).unwrap();
        let mut last = desk.last_event_id().unwrap();

        assert_eq!(
            report(&desk, "42:1", State::Delivered, None).outcome,
            "status"
        );
        let m = message(first);
        assert!(m.delivered_at.is_some() && m.read_at.is_none());
        assert!(
            message(second).delivered_at.is_none(),
            "only up to the one reported"
        );
        let ev = events_after(&desk, last);
        assert_eq!(ev.len(), 1, "{ev:?}");
        assert_eq!(ev[0].0, "message.delivered");
        assert_eq!(ev[0].1["message_ids"], json!([first]));
        assert_eq!(ev[0].1["by"], "visitor");
        last = desk.last_event_id().unwrap();

        assert_eq!(report(&desk, "42:1", State::Read, None).outcome, "status");
        assert!(message(first).read_at.is_some());
        let ev = events_after(&desk, last);
        assert_eq!((ev.len(), ev[0].0.as_str()), (1, "message.read"), "{ev:?}");
        assert_eq!(ev[0].1["message_ids"], json!([first]));
        last = desk.last_event_id().unwrap();

        // Late or repeated reports never move it back, and change nothing.
        assert_eq!(
            report(&desk, "42:1", State::Delivered, None).outcome,
            "ignored"
        );
        assert_eq!(report(&desk, "42:1", State::Read, None).outcome, "ignored");
        assert_eq!(
            report(&desk, "42:1", State::Failed, Some("x")).outcome,
            "ignored"
        );
        assert_eq!(
            report(&desk, "nobody:9", State::Read, None).outcome,
            "ignored"
        );
        assert!(events_after(&desk, last).is_empty());
        let k = desk
            .store
            .read(|c| store_ch::known(c, "telegram", "42:1"))
            .unwrap()
            .unwrap();
        assert_eq!(k.status.as_deref(), Some("read"));

        // A failure is recorded and shown on the message, not as an edit.
        let r = report(
            &desk,
            "42:2",
            State::Failed,
            Some("Forbidden: bot was blocked by the user"),
        );
        assert_eq!((r.outcome, r.conversation_id), ("status", Some(conv)));
        let m = message(second);
        assert_eq!(
            m.payload["channel"]["failed"],
            "Forbidden: bot was blocked by the user"
        );
        assert!(m.edited_at.is_none() && m.read_at.is_none());
        let ev = events_after(&desk, last);
        assert_eq!(ev[0].0, "message.updated", "{ev:?}");
        assert_eq!(ev[0].1["message"]["id"], second);
        assert_eq!(ev[1].0, "message.failed", "{ev:?}");
        assert_eq!(ev[1].1["message_id"], second);
        desk.shutdown();
        let _ = std::fs::remove_dir_all(dir);
    }

    /// r12a: a batch as large as Meta sends (1000 updates) is taken whole,
    /// in one job; a larger one is refused and nothing of it is stored.
    #[test]
    fn a_batch_of_a_thousand_is_taken() {
        let (desk, dir) = desk("batch");
        let batch = |n: usize| -> Vec<Event> {
            (0..n)
                .map(|i| {
                    Event::Message(InMessage {
                        source: "tg",
                        id: format!("{i}:1"),
                        from: i.to_string(),
                        text: format!("message {i} ✨"),
                        ..Default::default()
                    })
                })
                .collect()
        };
        assert!(desk
            .import_channel(&telegram::PLATFORM, batch(1001))
            .is_err());
        assert!(desk
            .store
            .read(|c| store_ch::identity(c, "tg", "0"))
            .unwrap()
            .is_none());
        let started = std::time::Instant::now();
        let done = desk
            .import_channel(&telegram::PLATFORM, batch(1000))
            .unwrap();
        eprintln!("1000 messages imported in {:?}", started.elapsed());
        assert_eq!(done.len(), 1000);
        assert!(done.iter().all(|d| d.outcome == "imported"));
        desk.shutdown();
        let _ = std::fs::remove_dir_all(dir);
    }

    /// r12a: a sender or id with a line break (it returns as `to` and in
    /// API URLs) is refused before the job, and nothing is stored.
    #[test]
    fn control_characters_in_ids_are_refused() {
        let (desk, dir) = desk("controls");
        let ok = InMessage {
            source: "tg",
            id: "42:9".into(),
            from: "42".into(),
            text: "hi".into(),
            ..Default::default()
        };
        let media = |id: &str| channels::MediaRef {
            id: id.into(),
            ..Default::default()
        };
        for bad in [
            InMessage {
                from: "42\r\nX-Evil: 1".into(),
                ..ok.clone()
            },
            InMessage {
                id: "42:9\n".into(),
                ..ok.clone()
            },
            InMessage {
                media: vec![media("a\u{0}b")],
                ..ok.clone()
            },
        ] {
            let e = desk
                .import_channel(&telegram::PLATFORM, vec![Event::Message(bad.clone())])
                .unwrap_err();
            assert_eq!(e.code, "invalid_channel_payload", "{bad:?}");
        }
        let stored = desk
            .store
            .read(|c| store_ch::identity(c, "tg", "42\r\nX-Evil: 1"))
            .unwrap();
        assert!(stored.is_none());
        let done = desk
            .import_channel(&telegram::PLATFORM, vec![Event::Message(ok)])
            .unwrap();
        assert_eq!(done[0].outcome, "imported");
        desk.shutdown();
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn an_inbound_id_is_not_ours_to_report_on() {
        let (desk, dir) = desk("inbound-id");
        let m = InMessage {
            source: "tg",
            id: "42:7".into(),
            from: "42".into(),
            text: "hi".into(),
            ..Default::default()
        };
        let done = desk
            .import_channel(&telegram::PLATFORM, vec![Event::Message(m.clone())])
            .unwrap();
        assert_eq!(done[0].outcome, "imported");
        // A report naming a customer's message is ignored.
        assert_eq!(report(&desk, "42:7", State::Read, None).outcome, "ignored");
        // A message of another platform's source is refused before the job.
        let wa = InMessage { source: "wa", ..m };
        assert!(desk
            .import_channel(&telegram::PLATFORM, vec![Event::Message(wa)])
            .is_err());
        desk.shutdown();
        let _ = std::fs::remove_dir_all(dir);
    }
}
