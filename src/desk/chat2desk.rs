//! Chat2Desk's external channel (issue 14, part B): `messages/inbox` puts
//! an integrator's client message in, in one write job, the way the
//! messaging platforms do (`channels.rs` `import_channel`): dedupe by the
//! integrator's message id (`channel_messages`, platform `c2d`), the client
//! by identity (`channel_identities`, source `c2d`: the integrator's client
//! id, or `phone:<digits>`), a new contact when unknown, the open request
//! (conversation, source `c2d`) continued or a new one opened. Answers go
//! out as the `outbox` webhook (`webhook_formats/chat2desk.rs`): `c2d` has
//! no platform lane (`touchpoint.rs` queues nothing else for it).
//!
//! Also the reads and changes Chat2Desk's API names that the desk had no
//! verb for: a client's record with its identity and tags, updating it as
//! Chat2Desk does (`nickname`, `comment`, `external_id`), tags put on and
//! off by the API, closing a client's request.

use super::{Actor, Desk};
use crate::domain::{Status, UserType};
use crate::error::{self, Error, Result};
use crate::store::channels as store_ch;
use crate::store::conversations::{self as convs, Filter};
use crate::store::users::{self, User, UserFields};
use crate::store::{tags as store_tags, Tx};
use serde_json::{json, Map, Value};

/// Conversations of the external channel: their `source`.
pub const SOURCE: &str = "c2d";
/// `channel_messages.platform` of the integrator's message ids.
const PLATFORM: &str = "c2d";
/// Longest id (client, message) accepted.
const MAX_ID: usize = 200;
/// Links (attachment, image, video) kept of one message.
const MAX_LINKS: usize = 10;
/// Longest link kept.
const MAX_URL: usize = 2000;

/// Who the message is from: the integrator's client id, or a phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    Id(String),
    Phone(String),
}

impl Who {
    /// The `channel_identities` external id.
    fn key(&self) -> String {
        match self {
            Who::Id(id) => id.clone(),
            Who::Phone(digits) => format!("phone:{digits}"),
        }
    }
}

/// One client message as `messages/inbox` sends it (read by the surface).
#[derive(Debug, Clone, Default)]
pub struct Inbox {
    /// Exactly one of these names the client.
    pub id: Option<String>,
    pub phone: Option<String>,
    pub nickname: Option<String>,
    pub avatar: Option<String>,
    pub text: String,
    pub external_id: Option<String>,
    /// (kind, url): `attachment`, `image`, `video`; kept as links, never fetched.
    pub links: Vec<(String, String)>,
    /// Latitude, longitude.
    pub location: Option<(f64, f64)>,
}

/// What became of one inbox message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inboxed {
    /// `imported`, `duplicate` (the external id was seen: the first
    /// import's ids), `blocked` (dropped, as every channel drops a blocked
    /// contact's message), `scored` (the text was a quality score).
    pub outcome: &'static str,
    pub client_id: Option<i64>,
    pub conversation_id: Option<i64>,
    pub message_id: Option<i64>,
}

/// A checked inbox message: what the job needs.
struct Checked {
    who: Who,
    nickname: Option<String>,
    avatar: Option<String>,
    phone: Option<String>,
    text: String,
    body: String,
    external_id: Option<String>,
    links: Vec<(String, String)>,
    location: Option<(f64, f64)>,
}

impl Desk {
    /// `messages/inbox`: one client message in, one write job (staff).
    pub fn c2d_inbox(&self, actor: &Actor, input: Inbox) -> Result<Inboxed> {
        actor.require_staff()?;
        let c = check(input)?;
        let public_url = self.links.public_url().to_string();
        let connected = self.hub.online_users();
        self.store
            .write(move |tx| import(tx, &c, &public_url, &connected))
    }

    /// A client (a contact, not staff): the record, its Chat2Desk identity
    /// (the integrator's id or `phone:<digits>`, if any) and its tags.
    pub fn c2d_client(&self, actor: &Actor, id: i64) -> Result<(User, Option<String>, Vec<Value>)> {
        actor.require_staff()?;
        self.store.read(|c| {
            let u = users::find(c, id)?
                .filter(|u| !u.is_staff())
                .ok_or_else(|| Error::not_found("client"))?;
            let identity = store_ch::identities_of(c, id)?
                .into_iter()
                .find(|(s, _)| s == SOURCE)
                .map(|(_, e)| e);
            let tags = store_tags::of(c, store_tags::Target::Client(id))?;
            Ok((u, identity, tags))
        })
    }

    /// Chat2Desk's `PUT /clients/{id}`: `nickname` is the name, `comment`
    /// the custom field `comment`, `external_id` the host site's id (the
    /// `identify` one). Emits `user.updated` when something changed.
    pub fn c2d_update_client(
        &self,
        actor: &Actor,
        id: i64,
        nickname: Option<String>,
        comment: Option<String>,
        external_id: Option<String>,
    ) -> Result<User> {
        let (before, _, _) = self.c2d_client(actor, id)?;
        let mut f = UserFields::default();
        if let Some(n) = nickname {
            let n = super::text::clean_name(&n).trim().to_string();
            if n.is_empty() {
                return Err(error::INVALID_FIELD.with("nickname must not be empty"));
            }
            f.first_name = Some(n);
            f.last_name = Some(String::new());
        }
        if let Some(c) = comment {
            super::check_len("comment", &c, 1000)?;
            let mut custom = before.custom.as_object().cloned().unwrap_or_default();
            custom.insert("comment".into(), Value::String(c));
            f.custom = Some(custom);
        }
        if let Some(e) = external_id {
            f.external_id = Some(one_line("external_id", &e, MAX_ID)?);
        }
        let unchanged = f.first_name.as_deref().is_none_or(|n| n == before.name())
            && f.custom
                .as_ref()
                .is_none_or(|c| Value::Object(c.clone()) == before.custom)
            && f.external_id
                .as_ref()
                .is_none_or(|e| Some(e) == before.external_id.as_ref());
        if unchanged {
            return Ok(before);
        }
        self.update_user(actor, id, f)
    }

    /// The conversations of a client, newest first (staff): Chat2Desk's
    /// requests and dialogs are both our conversations.
    pub fn c2d_requests_of(&self, actor: &Actor, client_id: i64) -> Result<Vec<i64>> {
        self.c2d_client(actor, client_id)?;
        let list = self.store.read(|c| {
            convs::list(
                c,
                &Filter {
                    user_id: Some(client_id),
                    statuses: Status::ALL.to_vec(),
                    limit: 200,
                    ..Default::default()
                },
            )
        })?;
        Ok(list.into_iter().map(|c| c.id).collect())
    }

    /// Chat2Desk's `tags/assign_to` and `tags/{id}/delete_from`: every tag
    /// on (or off) one client or request, in one job (each with its event);
    /// an unknown tag, client or request changes nothing (404).
    pub fn c2d_tags(
        &self,
        actor: &Actor,
        target: super::tags::Target,
        tag_ids: Vec<i64>,
        on: bool,
    ) -> Result<usize> {
        actor.require_staff()?;
        if tag_ids.is_empty() || tag_ids.len() > 100 {
            return Err(error::TOO_MANY.with("send 1 to 100 tag ids"));
        }
        let actor_id = actor.user_id;
        self.store.write(move |tx| {
            let mut changed = 0;
            for t in &tag_ids {
                let done = if on {
                    super::tags::tag_in(tx, target, *t, Some(actor_id))?
                } else {
                    super::tags::untag_in(tx, target, *t, Some(actor_id))?
                };
                changed += usize::from(done);
            }
            Ok(changed)
        })
    }

    /// Chat2Desk's `requests/close`: the request named, or the client's
    /// open ones, archived (`move_status`). Returns the ids closed.
    pub fn c2d_close(
        &self,
        actor: &Actor,
        client_id: Option<i64>,
        request_id: Option<i64>,
    ) -> Result<Vec<i64>> {
        actor.require_staff()?;
        let ids = match (client_id, request_id) {
            (None, Some(r)) => vec![self.conversation(actor, r)?.id],
            (Some(c), None) => {
                self.c2d_client(actor, c)?;
                self.store
                    .read(|conn| {
                        convs::list(
                            conn,
                            &Filter {
                                user_id: Some(c),
                                statuses: Status::INBOX.to_vec(),
                                limit: 200,
                                ..Default::default()
                            },
                        )
                    })?
                    .into_iter()
                    .map(|c| c.id)
                    .collect()
            }
            _ => return Err(error::C2D_CLIENT.with("send exactly one of client_id or request_id")),
        };
        let actor_id = actor.user_id;
        self.store.write(move |tx| {
            let mut closed = Vec::new();
            for id in &ids {
                let head = convs::head(tx.conn, *id)?;
                if !head.status.is_closed() {
                    super::conversations::move_status(
                        tx,
                        *id,
                        actor_id,
                        head.status,
                        Status::Archive,
                    )?;
                    closed.push(*id);
                }
            }
            Ok(closed)
        })
    }
}

/// A line of text from an outside system: no control characters, bounded.
fn one_line(field: &str, v: &str, max: usize) -> Result<String> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(
            error::INVALID_FIELD.with(format!("{field} must be 1 to {max} characters on one line"))
        );
    }
    Ok(v.to_string())
}

/// An http(s) link kept as text (never fetched).
fn link(field: &str, v: &str) -> Result<String> {
    let v = v.trim();
    let scheme = v.get(..8).unwrap_or(v).to_ascii_lowercase();
    if !(scheme.starts_with("https://") || scheme.starts_with("http://"))
        || v.len() > MAX_URL
        || v.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(error::INVALID_URL.with(format!(
            "{field} must be an http(s) URL of at most {MAX_URL} characters"
        )));
    }
    Ok(v.to_string())
}

/// Whether an inbox message would be taken (its check alone, for tests).
#[cfg(test)]
pub fn check_inbox(i: Inbox) -> Result<()> {
    check(i).map(|_| ())
}

/// Checks an inbox message before the job: exactly one of id and phone,
/// bounded ids, text or a link, links http(s).
fn check(i: Inbox) -> Result<Checked> {
    let id = i.id.filter(|s| !s.trim().is_empty());
    let phone = i.phone.filter(|s| !s.trim().is_empty());
    let who = match (id, phone) {
        (Some(id), None) => {
            let id = one_line("id", &id, MAX_ID)?;
            if id.starts_with("phone:") {
                return Err(error::INVALID_FIELD.with("id must not start with phone:"));
            }
            Who::Id(id)
        }
        (None, Some(p)) => {
            let digits: String = p
                .chars()
                .filter(|c| !matches!(c, ' ' | '+' | '-' | '(' | ')'))
                .collect();
            if !(5..=20).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
                return Err(error::INVALID_FIELD.with("phone must be 5 to 20 digits"));
            }
            Who::Phone(digits)
        }
        _ => return Err(error::C2D_CLIENT.err()),
    };
    let nickname = i
        .nickname
        .map(|n| {
            super::text::clean_name(&n)
                .trim()
                .chars()
                .take(100)
                .collect::<String>()
        })
        .filter(|n| !n.is_empty());
    let avatar = i.avatar.map(|a| link("avatar", &a)).transpose()?;
    let external_id = i
        .external_id
        .filter(|s| !s.trim().is_empty())
        .map(|e| one_line("external_id", &e, MAX_ID))
        .transpose()?;
    if i.links.len() > MAX_LINKS {
        return Err(error::TOO_MANY.with(format!("at most {MAX_LINKS} attachments")));
    }
    let links = i
        .links
        .into_iter()
        .map(|(k, u)| Ok((k.clone(), link(&k, &u)?)))
        .collect::<Result<Vec<_>>>()?;
    if let Some((lat, lon)) = i.location {
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(error::INVALID_FIELD.with("location must be [latitude, longitude]"));
        }
    }
    let text = super::text::clean_body(&i.text);
    super::check_len("text", &text, super::messages::MAX_BODY_CHARS)?;
    if text.trim().is_empty() && links.is_empty() && i.location.is_none() {
        return Err(error::EMPTY_MESSAGE.with("text is empty and nothing is attached"));
    }
    // The links and the place are kept in the text, as the reader sees them.
    let mut lines: Vec<String> = Vec::new();
    if !text.trim().is_empty() {
        lines.push(text.clone());
    }
    lines.extend(links.iter().map(|(_, u)| u.clone()));
    if let Some((lat, lon)) = i.location {
        lines.push(format!("📍 {lat}, {lon}"));
    }
    let body = lines.join("\n");
    super::check_len("text", &body, super::messages::MAX_BODY_CHARS)?;
    let phone = match &who {
        Who::Phone(d) => Some(d.clone()),
        Who::Id(_) => None,
    };
    Ok(Checked {
        who,
        nickname,
        avatar,
        phone,
        text,
        body,
        external_id,
        links,
        location: i.location,
    })
}

fn import(tx: &mut Tx, c: &Checked, public_url: &str, connected: &[i64]) -> Result<Inboxed> {
    if let Some(ext) = &c.external_id {
        if let Some(k) = store_ch::known(tx.conn, PLATFORM, ext)? {
            let client_id = match k.conversation_id {
                Some(conv) => Some(convs::head(tx.conn, conv)?.user_id),
                None => None,
            };
            return Ok(Inboxed {
                outcome: "duplicate",
                client_id,
                conversation_id: k.conversation_id,
                message_id: k.message_id,
            });
        }
    }
    let key = c.who.key();
    let known = match store_ch::identity(tx.conn, SOURCE, &key)? {
        Some(id) => users::find(tx.conn, id)?,
        None => None,
    };
    if let Some(u) = &known {
        let dropped = if crate::store::blocks::blocking(tx.conn, Some(u.id), None)?.is_some() {
            Some("blocked")
        } else if super::scores::take_text_score(tx, u.id, SOURCE, &c.text)? {
            Some("scored")
        } else {
            None
        };
        if let Some(outcome) = dropped {
            if let Some(ext) = &c.external_id {
                store_ch::record(tx, PLATFORM, ext, "in", None, None)?;
            }
            return Ok(Inboxed {
                outcome,
                client_id: Some(u.id),
                conversation_id: None,
                message_id: None,
            });
        }
    }
    let (contact, new_client) = match known {
        Some(u) => (u, false),
        None => (new_client(tx, c, &key)?, true),
    };
    let open = convs::list(
        tx.conn,
        &Filter {
            statuses: Status::INBOX.to_vec(),
            source: Some(SOURCE.to_string()),
            user_id: Some(contact.id),
            limit: 1,
            ..Default::default()
        },
    )?;
    let (conv_id, new_request) = match open.first() {
        Some(conv) => (conv.id, false),
        None => (
            super::channels::open_conversation(tx, &contact, SOURCE, &json!({}))?,
            true,
        ),
    };
    let mut c2d = Map::new();
    c2d.insert("new_client".into(), json!(new_client));
    c2d.insert("new_request".into(), json!(new_request));
    if !c.links.is_empty() {
        c2d.insert(
            "links".into(),
            json!(c
                .links
                .iter()
                .map(|(k, u)| json!({ "type": k, "url": u }))
                .collect::<Vec<_>>()),
        );
    }
    if let Some((lat, lon)) = c.location {
        c2d.insert("location".into(), json!([lat, lon]));
    }
    let mut payload = Map::new();
    payload.insert(
        "channel".into(),
        json!({ "platform": PLATFORM, "id": c.external_id }),
    );
    payload.insert("c2d".into(), Value::Object(c2d));
    let prepared = super::messages::Prepared {
        input: super::messages::MessageInput {
            body: c.body.clone(),
            payload: Some(payload),
            ..Default::default()
        },
        sender: contact.id,
        status: None,
    };
    if new_request {
        let conv = convs::get(tx.conn, conv_id)?;
        super::notifications::new_conversation(tx, public_url, &conv, &c.body, Some(connected))?;
    }
    let head = convs::head(tx.conn, conv_id)?;
    let msg = super::messages::insert_message(tx, &head, contact.id, false, prepared)?;
    super::push::message(tx, &msg, Some(connected))?;
    if let Some(ext) = &c.external_id {
        store_ch::record(tx, PLATFORM, ext, "in", Some(conv_id), Some(msg.id))?;
    }
    Ok(Inboxed {
        outcome: "imported",
        client_id: Some(contact.id),
        conversation_id: Some(conv_id),
        message_id: Some(msg.id),
    })
}

/// A new contact: named by the nickname (else the phone, else the id),
/// with the phone and avatar sent; `user.created`.
fn new_client(tx: &mut Tx, c: &Checked, key: &str) -> Result<User> {
    let name = c.nickname.clone().unwrap_or_else(|| match &c.who {
        Who::Phone(d) => format!("+{d}"),
        Who::Id(id) => format!("Chat2Desk {}", id.chars().take(80).collect::<String>()),
    });
    let f = UserFields {
        first_name: Some(name),
        last_name: Some(String::new()),
        phone: c.phone.clone(),
        avatar: c.avatar.clone(),
        ..Default::default()
    };
    let u = users::insert(tx, &f, UserType::User, None)?;
    super::users::emit_created(tx, None, &u)?;
    store_ch::set_identity(tx, SOURCE, key, u.id)?;
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inbox(id: Option<&str>, phone: Option<&str>, text: &str) -> Inbox {
        Inbox {
            id: id.map(str::to_string),
            phone: phone.map(str::to_string),
            text: text.into(),
            ..Default::default()
        }
    }

    #[test]
    fn exactly_one_of_id_and_phone() {
        assert_eq!(
            check(inbox(Some("a"), Some("79001234567"), "hi"))
                .err()
                .unwrap()
                .code,
            "c2d_client"
        );
        assert_eq!(
            check(inbox(None, None, "hi")).err().unwrap().code,
            "c2d_client"
        );
        assert_eq!(
            check(inbox(Some("ext-1"), None, "hi")).unwrap().who,
            Who::Id("ext-1".into())
        );
        let c = check(inbox(None, Some("+7 900 123-45-67"), "hi")).unwrap();
        assert_eq!(c.who.key(), "phone:79001234567");
        assert!(check(inbox(None, Some("12ab5"), "hi")).is_err());
        assert!(check(inbox(Some("phone:1"), None, "hi")).is_err());
        assert!(check(inbox(Some("a\nb"), None, "hi")).is_err());
    }

    #[test]
    fn text_or_a_link() {
        assert_eq!(
            check(inbox(Some("a"), None, "  ")).err().unwrap().code,
            "empty_message"
        );
        let mut i = inbox(Some("a"), None, "");
        i.links = vec![("image".into(), "https://x.example/p.jpg".into())];
        assert_eq!(check(i.clone()).unwrap().body, "https://x.example/p.jpg");
        i.links = vec![("image".into(), "javascript:alert(1)".into())];
        assert!(check(i.clone()).is_err());
        i.links = vec![];
        i.location = Some((55.75, 37.61));
        assert_eq!(check(i.clone()).unwrap().body, "📍 55.75, 37.61");
        i.location = Some((155.0, 0.0));
        assert!(check(i).is_err());
        let long = "x".repeat(super::super::messages::MAX_BODY_CHARS + 1);
        assert!(check(inbox(Some("a"), None, &long)).is_err());
    }
}
