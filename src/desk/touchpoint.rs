//! Where an agent's public reply goes (ChatShipper's touchpoints). Without
//! `extra._touchpoint` (set by `/set @touchpoint`), a reply leaves as the
//! conversation's source says: by email for an email conversation
//! (`mail_in::queue_reply`), through its platform for a platform's
//! (`channel_out::queue_reply`), nowhere for the widget's. With it, the
//! reply goes to that touchpoint when the contact can be reached there,
//! else to the first reachable one in the order web, facebook, email, sms
//! (else, as the source says), and ONLY there: one touchpoint per reply,
//! so a reply never leaves twice.
//!
//! Reachable: web when the conversation is the widget's (source `''`) or
//! the contact has a visitor session; email when the contact has an
//! address (or the conversation is an email one) and SMTP is configured
//! (a thread a touchpoint opened follows the contact's address);
//! sms when the contact has a phone (or the conversation is an SMS one)
//! and Twilio is configured; facebook when the contact has a Messenger
//! identity and Messenger is configured.

use crate::channels;
use crate::error::Result;
use crate::store::conversations::Head;
use crate::store::email as store_email;
use crate::store::messages::Message;
use crate::store::users::{self, User};
use crate::store::{channel_out as rows, settings, Tx};

/// The touchpoints `/set @touchpoint` takes.
pub const TOUCHPOINTS: &[&str] = &["web", "email", "sms", "facebook"];
/// The order the others are tried in when the chosen one is unreachable.
const FALLBACK: &[&str] = &["web", "facebook", "email", "sms"];

/// What deciding needs about a conversation.
struct Route {
    conversation_id: i64,
    source: String,
    contact: User,
}

/// The hook in `messages::insert_message`: queues what leaves for `m`.
pub(super) fn queue_reply(tx: &mut Tx, conv: &Head, sender: &User, m: &Message) -> Result<()> {
    if chat2desk(tx, conv)? {
        return Ok(());
    }
    let public = !m.private && sender.is_staff() && sender.id != conv.user_id;
    let wanted = if public { wanted(tx, conv.id)? } else { None };
    let target = match wanted {
        Some(w) => target(tx, conv, &w)?,
        None => None,
    };
    let Some((route, target)) = target else {
        // As the source says: only an email conversation answers by email
        // (a thread a touchpoint opened elsewhere is left unused once the
        // touchpoint is gone, or the reply would leave by email beside the
        // contact's "you have a reply" notice).
        if rows::route(tx.conn, conv.id)?.is_some_and(|(source, _)| source == "em") {
            super::mail_in::queue_reply(tx, conv.id, sender, m)?;
        }
        return super::channel_out::queue_reply(tx, conv.id, conv.user_id, sender, m);
    };
    match target {
        "email" => by_email(tx, &route, sender, m),
        "sms" if route.source == "tx" => {
            super::channel_out::queue_reply(tx, conv.id, conv.user_id, sender, m)
        }
        "sms" => {
            let phone = route.contact.phone.clone().unwrap_or_default();
            super::channel_out::queue_reply_to(tx, "twilio", phone.trim(), "tx", conv.id, m)
        }
        "facebook" if route.source == "fb" => {
            super::channel_out::queue_reply(tx, conv.id, conv.user_id, sender, m)
        }
        "facebook" => {
            let psid = identity(tx, route.contact.id, "fb")?.unwrap_or_default();
            super::channel_out::queue_reply_to(tx, "messenger", &psid, "fb", conv.id, m)
        }
        _ => Ok(()), // web: the widget shows it; nothing leaves
    }
}

/// Whether an agent's reply in conversation `id` is routed by its
/// touchpoint to somewhere other than the widget (then no "you have a
/// reply" notification goes out beside it).
pub(super) fn routed_away(tx: &Tx, conv: &Head) -> Result<bool> {
    if chat2desk(tx, conv)? {
        return Ok(true);
    }
    let Some(w) = wanted(tx, conv.id)? else {
        return Ok(false);
    };
    Ok(target(tx, conv, &w)?.is_some_and(|(_, t)| t != "web"))
}

/// Chat2Desk's external channel (source `c2d`) answers by the `outbox`
/// webhook only (the integrator forwards it): no lane, no notice.
fn chat2desk(tx: &Tx, conv: &Head) -> Result<bool> {
    Ok(rows::route(tx.conn, conv.id)?.is_some_and(|(s, _)| s == super::chat2desk::SOURCE))
}

/// The conversation's `_touchpoint`, if one is set.
fn wanted(tx: &Tx, id: i64) -> Result<Option<String>> {
    let extra = rows::route(tx.conn, id)?.map(|(_, e)| e);
    Ok(extra
        .and_then(|e| e["_touchpoint"].as_str().map(str::to_string))
        .filter(|t| TOUCHPOINTS.contains(&t.as_str())))
}

/// The touchpoint a reply goes to: `wanted` if reachable, else the first
/// reachable in the fallback order; None when none is.
fn target(tx: &Tx, conv: &Head, wanted: &str) -> Result<Option<(Route, &'static str)>> {
    let Some((source, _)) = rows::route(tx.conn, conv.id)? else {
        return Ok(None);
    };
    let Some(contact) = users::find(tx.conn, conv.user_id)? else {
        return Ok(None);
    };
    let route = Route {
        conversation_id: conv.id,
        source,
        contact,
    };
    let order = TOUCHPOINTS
        .iter()
        .filter(|t| **t == wanted)
        .chain(FALLBACK.iter().filter(|t| **t != wanted));
    for t in order {
        if reachable(tx, &route, t)? {
            return Ok(Some((route, t)));
        }
    }
    Ok(None)
}

fn reachable(tx: &Tx, r: &Route, touchpoint: &str) -> Result<bool> {
    let has = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
    Ok(match touchpoint {
        "web" => {
            r.source.is_empty() || crate::store::auth::has_visitor_token(tx.conn, r.contact.id)?
        }
        "email" => {
            // An email conversation's thread has the address the mail came
            // from; any other conversation goes to the contact's address now.
            let address = has(&r.contact.email)
                || (r.source == "em" && store_email::thread(tx.conn, r.conversation_id)?.is_some());
            address && crate::delivery::email::Smtp::load(tx.conn)?.is_some()
        }
        "sms" => (has(&r.contact.phone) || r.source == "tx") && configured(tx, "twilio")?,
        "facebook" => identity(tx, r.contact.id, "fb")?.is_some() && configured(tx, "messenger")?,
        _ => false,
    })
}

/// Whether platform `name` has a complete setting.
fn configured(tx: &Tx, name: &str) -> Result<bool> {
    let Some(p) = channels::platform(name) else {
        return Ok(false);
    };
    let setting = settings::get(tx.conn, &format!("channels.{name}"))?;
    Ok(channels::Config::of(p, setting).is_ok())
}

/// The contact's id on platform source `source`, if they have one.
fn identity(tx: &Tx, user_id: i64, source: &str) -> Result<Option<String>> {
    let ids = crate::store::channels::identities_of(tx.conn, user_id)?;
    Ok(ids.into_iter().find(|(s, _)| s == source).map(|(_, id)| id))
}

/// An email reply: threaded as an email conversation's replies are. A
/// conversation that began elsewhere gets its email thread now (its
/// reply-to token brings the contact's answer back here).
fn by_email(tx: &mut Tx, r: &Route, sender: &User, m: &Message) -> Result<()> {
    let address = r
        .contact
        .email
        .clone()
        .unwrap_or_default()
        .trim()
        .to_string();
    let thread = store_email::thread(tx.conn, r.conversation_id)?;
    if let Some(t) = &thread {
        // The thread this touchpoint opened follows the contact's address
        // when it is corrected: the old one may be a stranger's mailbox.
        if r.source != "em" && !address.is_empty() && t.contact_address != address {
            store_email::set_contact_address(tx, r.conversation_id, &address)?;
        }
    }
    if thread.is_none() {
        let title = crate::store::conversations::get(tx.conn, r.conversation_id)?.title;
        let subject = if title.trim().is_empty() {
            "Your conversation".to_string()
        } else {
            title
        };
        let token = crate::util::random_token("", 9)
            .to_lowercase()
            .replace(['-', '_'], "x");
        store_email::insert_thread(
            tx,
            &store_email::Thread {
                conversation_id: r.conversation_id,
                token,
                subject,
                contact_address: address,
                cc: Vec::new(),
            },
        )?;
    }
    super::mail_in::queue_reply(tx, r.conversation_id, sender, m)
}
