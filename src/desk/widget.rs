//! What the chat widget needs beyond messages: its public configuration and
//! identifying a visitor as a known contact.

use super::users::UserType;
use super::Desk;
use crate::error::{self, Result};
use crate::store::events::{self, Audience};
use crate::store::users::{self, User, UserFields};
use crate::store::{auth, conversations, settings};
use crate::util::{ct_eq, sha256_hex};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use sha2::Sha256;

/// Transcript emails per hour for one contact (all their conversations),
/// and for one recipient address (from any contact).
pub const TRANSCRIPTS_PER_HOUR: i64 = 3;

/// Refuses a transcript over either hourly cap, with the wait until the
/// oldest counted request leaves the hour.
fn transcript_cap(conn: &rusqlite::Connection, contact: i64, to: &str, now: i64) -> Result<()> {
    let hour_ago = now - 3_600_000;
    let [by_contact, by_address] = events::transcripts_since(conn, contact, to, hour_ago)?;
    for (per, (sent, oldest)) in [("contact", by_contact), ("address", by_address)] {
        if sent >= TRANSCRIPTS_PER_HOUR {
            let wait_ms = oldest.unwrap_or(now) - hour_ago;
            return Err(error::TRANSCRIPT_LIMIT
                .with(format!(
                    "at most {TRANSCRIPTS_PER_HOUR} transcripts per {per} per hour"
                ))
                .retry_in((wait_ms / 1000 + 1) as u64));
        }
    }
    Ok(())
}

/// Widget settings a visitor's browser may read (`widget.<key>`).
const PUBLIC_KEYS: &[&str] = &[
    "title",
    "subtitle",
    "greeting",
    "color",
    "position",
    "logo",
    "language",
    "prechat",
    "prechat_message",
    "offline_form",
    "offline_message",
    "away_message",
    "sound",
    "hours",
];

/// The texts an admin may give per language in `widget.texts`
/// (`{"fr": {"title": ..., ...}}`), laid over the default ones for a
/// visitor whose language matches.
pub const TEXT_KEYS: &[&str] = &[
    "title",
    "subtitle",
    "greeting",
    "away_message",
    "offline_message",
    "prechat_message",
];

/// Checks a `widget.texts` value before it is saved: an object of language
/// codes, each an object of the keys of `TEXT_KEYS` with string (or null)
/// values of at most 2,000 characters.
pub fn check_texts(v: &Value) -> Result<()> {
    let Some(langs) = v.as_object() else {
        return Err(error::INVALID_FIELD.with(
            "widget.texts must be an object of languages, e.g. {\"fr\": {\"title\": \"...\"}}",
        ));
    };
    for (lang, texts) in langs {
        super::articles::check_language(lang)?;
        let Some(texts) = texts.as_object() else {
            return Err(error::INVALID_FIELD.with(format!("widget.texts.{lang} must be an object")));
        };
        for (k, t) in texts {
            if !TEXT_KEYS.contains(&k.as_str()) {
                return Err(error::INVALID_FIELD.with(format!(
                    "widget.texts.{lang}.{k} is not a widget text (one of {})",
                    TEXT_KEYS.join(", ")
                )));
            }
            match t {
                Value::Null => {}
                Value::String(t) if t.chars().count() <= 2_000 => {}
                Value::String(_) => {
                    return Err(error::TOO_LARGE.with(format!(
                        "widget.texts.{lang}.{k} is longer than 2,000 characters"
                    )))
                }
                _ => {
                    return Err(error::INVALID_FIELD
                        .with(format!("widget.texts.{lang}.{k} must be a string")))
                }
            }
        }
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identify {
    /// The host site's own id for this person.
    pub id: String,
    /// HMAC-SHA256 of `id` with the install's identity secret, hex.
    pub hash: Option<String>,
    #[serde(flatten)]
    pub fields: UserFields,
}

/// The hex HMAC-SHA256 the host site's server computes for an id.
pub fn identity_hash(secret: &str, id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(id.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Desk {
    pub fn public_setting(&self, key: &str) -> Result<Option<Value>> {
        let mut v = self.store.read(|c| settings::get(c, key))?;
        if let Some(v) = v.as_mut().filter(|_| super::email::has_password(key)) {
            super::email::redact_value(v);
        }
        if let Some(v) = v.as_mut() {
            super::channel_settings::redact_value(key, v);
        }
        Ok(v)
    }

    /// The widget's public configuration, and whether anyone is online.
    /// With the visitor's language (`fr`, or `fr-CA` falling back to `fr`),
    /// the texts an admin gave for it in `widget.texts` replace the default
    /// ones.
    pub fn widget_config(&self, lang: Option<&str>) -> Result<Value> {
        if let Some(lang) = lang {
            super::articles::check_language(lang)?;
        }
        let all = self.store.read(settings::all)?;
        let mut config = Map::new();
        for key in PUBLIC_KEYS {
            if let Some(v) = all.get(&format!("widget.{key}")) {
                config.insert((*key).to_string(), v.clone());
            }
        }
        if let (Some(lang), Some(Value::Object(texts))) = (lang, all.get("widget.texts")) {
            let lang = lang.to_ascii_lowercase().replace('_', "-");
            let base = lang.split('-').next().unwrap_or_default();
            let own = texts
                .iter()
                .find(|(k, _)| k.to_ascii_lowercase().replace('_', "-") == lang)
                .or_else(|| texts.iter().find(|(k, _)| k.to_ascii_lowercase() == base));
            if let Some((_, Value::Object(own))) = own {
                for key in TEXT_KEYS {
                    if let Some(Value::String(t)) = own.get(*key) {
                        if !t.trim().is_empty() {
                            config.insert((*key).to_string(), Value::String(t.clone()));
                        }
                    }
                }
            }
        }
        // An uploaded logo is shown to every visitor: signed like any link.
        self.links
            .sign_field(config.get_mut("logo"), self.links.frame_exp());
        let online = !self.online_staff()?.is_empty();
        let identity_required = all
            .get("identity.required")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        // Whether the widget has a knowledge base to ask for.
        let articles = !self
            .articles(&super::articles::Language::Default)?
            .is_empty();
        Ok(json!({
            "config": config,
            "online": online,
            "identity_required": identity_required,
            "articles": articles,
            // Who answers and how soon (`team.rs`), for the header.
            "agents": self.widget_team()?,
            "reply_time": self.reply_time()?,
        }))
    }

    /// Identifies the visitor behind `token` as the host site's user `id`.
    /// With a valid hash the visitor is merged into that contact (created if
    /// new); a wrong hash is refused, and so is a missing one when the admin
    /// requires verification. Without a secret or hash, the details only
    /// describe the current visitor and never merge into anyone.
    pub fn identify_visitor(
        &self,
        visitor: &User,
        token: &str,
        input: Identify,
    ) -> Result<(User, bool)> {
        let Identify {
            id,
            hash,
            mut fields,
        } = input;
        super::check_len("id", &id, 200)?;
        // A weak secret counts as none: verification is off, not open.
        let secret = self
            .public_setting(super::settings::IDENTITY_SECRET)?
            .filter(super::settings::strong_secret)
            .and_then(|v| v.as_str().map(String::from));
        let required = self
            .public_setting("identity.required")?
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        let verified = match (&secret, &hash) {
            (Some(s), Some(h)) => {
                if !ct_eq(
                    identity_hash(s, &id).as_bytes(),
                    h.to_ascii_lowercase().as_bytes(),
                ) {
                    return Err(error::IDENTITY_INVALID.err());
                }
                true
            }
            (None, Some(_)) => {
                return Err(error::IDENTITY_INVALID.with("identity verification is not set up"))
            }
            (_, None) if required => return Err(error::IDENTITY_REQUIRED.err()),
            (_, None) => false,
        };
        self.visitor_fields(Some(visitor.id), &mut fields, "identify", verified)?;
        if !verified {
            let user = self.update_self_visitor(visitor, fields)?;
            return Ok((user, false));
        }
        let (visitor_id, th) = (visitor.id, sha256_hex(token.as_bytes()));
        self.store.write(move |tx| {
            let existing = users::by_external_id(tx.conn, &id)?;
            let (user, merged) = match existing {
                Some(contact) if contact.id != visitor_id => {
                    if contact.is_staff() {
                        return Err(error::IDENTITY_INVALID.with("that id belongs to a staff account"));
                    }
                    conversations::move_owner(tx, visitor_id, contact.id)?;
                    auth::repoint_visitor_token(tx, &th, contact.id)?;
                    // The anonymous record is now empty; keep contacts that had details.
                    if users::get(tx.conn, visitor_id)?.user_type == UserType::Visitor {
                        users::delete(tx, visitor_id)?;
                    }
                    super::users::drop_taken_email(tx.conn, &mut fields, Some(contact.id))?;
                    (users::update(tx, contact.id, &fields, None)?, true)
                }
                _ => {
                    fields.external_id = Some(id.clone());
                    super::users::drop_taken_email(tx.conn, &mut fields, Some(visitor_id))?;
                    fields.user_type = Some(UserType::User.into());
                    (users::update(tx, visitor_id, &fields, None)?, false)
                }
            };
            tx.emit("user.identified", None, Some(user.id), Audience::Staff,
                json!({ "user": user.to_json(), "merged_visitor_id": merged.then_some(visitor_id) }))?;
            Ok((user, merged))
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn identity_hash_is_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            super::identity_hash("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rating {
    /// 1 for a good conversation, -1 for a bad one.
    pub rating: i64,
    pub comment: Option<String>,
}

impl Desk {
    /// The visitor rates their conversation (again, if they change their mind).
    pub fn rate_conversation(&self, actor: &super::Actor, id: i64, r: Rating) -> Result<Value> {
        if r.rating != 1 && r.rating != -1 {
            return Err(error::INVALID_RATING.err());
        }
        if let Some(c) = &r.comment {
            super::check_len("comment", c, 2000)?;
        }
        self.conversation(actor, id)?;
        let uid = actor.user_id;
        self.store.write(move |tx| {
            let c = conversations::get(tx.conn, id)?;
            let rating = json!({ "rating": r.rating, "comment": r.comment, "at": crate::util::rfc3339(tx.now) });
            let mut extra = c.extra.as_object().cloned().unwrap_or_default();
            extra.insert("rating".into(), rating.clone());
            conversations::set_extra(tx, id, &Value::Object(extra))?;
            tx.emit("conversation.rated", Some(id), Some(uid), Audience::Everyone, rating.clone())?;
            Ok(rating)
        })
    }

    /// Queues an email with the conversation's transcript (visible messages
    /// only) in the outbox; it leaves once an email provider is configured.
    /// It goes only to the contact's own address: a visitor without one may
    /// name it here, and it is saved on their record first (as the details
    /// form would). Capped per contact and per recipient address
    /// (`transcript_cap`), counted from the event log, so neither a visitor
    /// with many conversations nor a restart gets past the cap.
    pub fn request_transcript(
        &self,
        actor: &super::Actor,
        id: i64,
        email: Option<String>,
    ) -> Result<Value> {
        let c = self.conversation(actor, id)?;
        let mut contact = self.user_by_id(c.user_id)?;
        let given = email
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty());
        let on_record = contact.email.clone().filter(|e| !e.is_empty());
        let refused = || error::EMAIL_NOT_ALLOWED.err();
        let to = match (on_record, given) {
            (Some(mine), None) => mine,
            (Some(mine), Some(g)) if mine.eq_ignore_ascii_case(&g) => mine,
            (Some(_), Some(_)) => return Err(refused()),
            (None, None) => return Err(error::MISSING_EMAIL.err()),
            (None, Some(g)) if actor.user_id == contact.id => {
                // A refused request must not save the address either.
                let now = crate::util::now_ms();
                self.store.read(|conn| {
                    if users::by_email(conn, &g)?.is_some_and(|(u, _)| u.id != contact.id) {
                        return Err(refused());
                    }
                    transcript_cap(conn, contact.id, &g, now)
                })?;
                let fields = UserFields {
                    email: Some(g.clone()),
                    ..Default::default()
                };
                contact = self.update_self_visitor(&contact, fields)?;
                // Saving drops an address another contact already has.
                contact.email.filter(|e| *e == g).ok_or_else(refused)?
            }
            (None, Some(_)) => return Err(refused()),
        };
        // The outbox keeps links canonical (invariant 6): the email sender
        // signs them when it sends.
        let text = self.transcript_text(actor, id, false, None)?;
        let payload = json!({ "kind": "transcript", "to": to, "subject": format!("Your conversation #{}", c.id),
                    "text": text, "conversation_id": c.id });
        let (uid, contact_id) = (actor.user_id, contact.id);
        self.store.write(move |tx| {
            transcript_cap(tx.conn, contact_id, &to, tx.now)?;
            let outbox_id = super::email::queue(tx, payload.clone())?;
            tx.emit(
                "conversation.transcript_requested",
                Some(id),
                Some(uid),
                Audience::Everyone,
                json!({ "to": payload["to"], "outbox_id": outbox_id }),
            )?;
            Ok(json!({ "queued": true, "to": payload["to"] }))
        })
    }

    /// A conversation as the customer saw it (no internal notes, no deleted
    /// messages): plain text, or CSV (`date,user,message,attachments`).
    /// Attachment links are signed for days: the file is kept and shared.
    pub fn transcript(&self, actor: &super::Actor, id: i64, csv: bool) -> Result<String> {
        let exp = crate::links::now_secs() + crate::links::MAIL_TTL_SECS;
        self.transcript_text(actor, id, csv, Some(exp))
    }

    /// A transcript with its attachment links signed until `exp`, or left
    /// canonical without one.
    fn transcript_text(
        &self,
        actor: &super::Actor,
        id: i64,
        csv: bool,
        exp: Option<i64>,
    ) -> Result<String> {
        let c = self.conversation(actor, id)?;
        let mut out = if csv {
            String::from("date,user,message,attachments\r\n")
        } else {
            format!(
                "Conversation #{} — {}\n\n",
                c.id,
                crate::util::sql_datetime(c.created_at)
            )
        };
        for m in self
            .all_messages(actor, id)?
            .iter()
            .filter(|m| m.deleted_at.is_none() && !m.private)
        {
            let who = m
                .sender
                .as_ref()
                .map(|(_, f, l, _)| format!("{f} {l}").trim().to_string())
                .unwrap_or_default();
            let when = crate::util::sql_datetime(m.created_at);
            let files: Vec<String> = m
                .attachments
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x["url"].as_str())
                .map(|u| match exp {
                    Some(exp) => self.links.sign(u, exp),
                    None => u.to_string(),
                })
                .collect();
            if csv {
                let q = crate::util::csv_cell;
                out.push_str(&format!(
                    "{},{},{},{}\r\n",
                    q(&when),
                    q(&who),
                    q(&m.body),
                    q(&files.join(" "))
                ));
            } else {
                out.push_str(&format!(
                    "[{when}] {}: {}\n",
                    if who.is_empty() { "?" } else { &who },
                    m.body
                ));
                for f in files {
                    out.push_str(&format!("    attachment: {f}\n"));
                }
            }
        }
        Ok(out)
    }
}
