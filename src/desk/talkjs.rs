//! TalkJS's REST API as desk verbs (issue 14, part A): users and
//! conversations keyed by the caller's own string ids, upserted
//! idempotently (a repeat that changes nothing writes nothing and emits
//! nothing), messages posted as an ordered array in one write job, and the
//! reads a TalkJS client pages through. A TalkJS user is a contact whose
//! `users.external_id` is the id (a staff member with that external id is
//! that staff member, read-only here); a TalkJS conversation is ours with
//! source `tj`, owned by its first contact participant, every participant
//! a `participants` row flagged `member` (staff: `agent`).

use super::messages::{insert_message, MessageInput, Prepared, MAX_BODY_CHARS};
use super::{check_len, Actor, Desk};
use crate::domain::{Status, UserType};
use crate::error::{self, Error, Result};
use crate::store::conversations::{self as convs, Conversation, NewConversation};
use crate::store::events::Audience;
use crate::store::messages::{self, Message};
use crate::store::talkjs::{self as tj, Conv, UserExtra};
use crate::store::users::{self, User, UserFields};
use crate::store::{idempotency, participants, settings, Tx};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Map, Value};

/// The setting that holds the install's TalkJS app id (`/v1/{appId}`).
pub const APP_ID: &str = "talkjs.app_id";
/// Ids (users, conversations, idempotency keys) are at most this long.
pub const MAX_ID: usize = 255;
/// Items of `email`, `phone` and `welcomeMessages`.
const MAX_ITEMS: usize = 10;
/// Keys of `custom`, and the length of each value.
const MAX_CUSTOM_KEYS: usize = 50;
const MAX_CUSTOM_VALUE: usize = 1000;
/// Participants named in one PUT, and in one conversation.
const MAX_PUT_PARTICIPANTS: usize = 100;
const MAX_PARTICIPANTS: usize = 300;
/// Messages in one POST (TalkJS's limit).
pub const MAX_MESSAGES: usize = 10;
/// Ids starting with this are ours (the bot is `frontporch:bot`).
const RESERVED: &str = "frontporch:";
/// The bot's external id (`users::ensure_bot`).
const BOT_ID: &str = "frontporch:bot";

/// `Some(None)` for an explicit `null`, `None` for an absent field.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `email` and `phone`: arrays, or (as TalkJS's client SDKs send them) one string.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Strings {
    One(String),
    Many(Vec<String>),
}

impl Strings {
    fn into_vec(self) -> Vec<String> {
        match self {
            Strings::One(s) => vec![s],
            Strings::Many(v) => v,
        }
    }
}

/// `PUT /users/{id}`: only the fields sent change; `null` clears.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct UserPut {
    #[serde(default, deserialize_with = "nullable")]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub email: Option<Option<Strings>>,
    #[serde(default, deserialize_with = "nullable")]
    pub phone: Option<Option<Strings>>,
    #[serde(default, deserialize_with = "nullable")]
    pub photo_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub welcome_message: Option<Option<String>>,
    /// Older TalkJS clients send `configuration`.
    #[serde(default, deserialize_with = "nullable", alias = "configuration")]
    pub role: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub locale: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub custom: Option<Option<Map<String, Value>>>,
    /// Accepted as TalkJS clients send them; not kept (see README).
    #[serde(default)]
    #[allow(dead_code)]
    pub availability_text: Option<Value>,
    #[serde(default)]
    #[allow(dead_code)]
    pub push_tokens: Option<Value>,
}

/// `PUT /conversations/{id}`: participants are only added.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConversationPut {
    #[serde(default)]
    pub participants: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub subject: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub photo_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub welcome_messages: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "nullable")]
    pub custom: Option<Option<Map<String, Value>>>,
}

/// One element of `POST /conversations/{id}/messages`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct MessagePost {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub sender: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub custom: Option<Map<String, Value>>,
    #[serde(default)]
    pub idempotency_key: Option<String>,
    #[serde(default)]
    pub referenced_message_id: Option<String>,
}

/// An `Idempotency-Key` header: its scope (surface and credential), the
/// key, and the fingerprint of the request it came with.
pub struct IdempotencyKey {
    pub scope: String,
    pub key: String,
    pub fingerprint: String,
}

/// What a messages POST answers: the status and the JSON body, either
/// made now or (`replayed`) the first answer to the same key.
pub struct Posted {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

/// A TalkJS user as the reads show it: our row, and its TalkJS fields
/// (made from the row for a contact or staff member never PUT here).
pub struct TalkUser {
    pub user: User,
    pub extra: UserExtra,
}

/// A TalkJS conversation as the reads show it.
pub struct TalkConversation {
    pub tj: Conv,
    pub conv: Conversation,
    /// Participants: (user id, the id TalkJS knows them by, flags).
    pub members: Vec<(i64, String, String)>,
    pub last: Option<Message>,
}

impl TalkConversation {
    /// The TalkJS id of user `id` (a sender), if they take part.
    pub fn member_id(&self, id: i64) -> Option<&str> {
        self.members
            .iter()
            .find(|m| m.0 == id)
            .map(|m| m.1.as_str())
    }
}

/// The id a user goes by in TalkJS's shapes: their external id, else
/// `frontporch:<id>` (staff who answered from the inbox).
pub fn talk_id(user_id: i64, external_id: Option<&str>) -> String {
    external_id
        .map(str::to_string)
        .unwrap_or_else(|| format!("{RESERVED}{user_id}"))
}

/// A caller's id: 1 to 255 characters, no control characters, not one of ours.
pub fn check_id(what: &str, id: &str) -> Result<()> {
    if id.is_empty() || id.chars().count() > MAX_ID || id.chars().any(char::is_control) {
        return Err(error::INVALID_ID.with(format!(
            "{what} must be 1 to {MAX_ID} characters without control characters"
        )));
    }
    if id.starts_with(RESERVED) {
        return Err(error::INVALID_ID.with(format!("{what} must not start with {RESERVED}")));
    }
    Ok(())
}

/// A single-line field: invisible characters dropped, control characters
/// refused, at most `max` characters.
fn line(field: &str, s: &str, max: usize) -> Result<String> {
    let s = super::text::clean_label(field, s)?;
    check_len(field, &s, max)?;
    Ok(s)
}

fn opt_line(field: &str, v: Option<Option<String>>, max: usize) -> Result<Option<Option<String>>> {
    v.map(|o| o.map(|s| line(field, &s, max)).transpose())
        .transpose()
}

/// A picture's address: http(s), as the inbox shows it in an `<img>`.
fn url(field: &str, v: Option<Option<String>>) -> Result<Option<Option<String>>> {
    let v = opt_line(field, v, 2000)?;
    if let Some(Some(u)) = &v {
        let lower = u.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://")) {
            return Err(error::INVALID_URL.with(format!("{field} must be an http(s) URL")));
        }
    }
    Ok(v)
}

fn list(field: &str, v: Vec<String>, max_len: usize) -> Result<Vec<String>> {
    if v.len() > MAX_ITEMS {
        return Err(error::TOO_MANY.with(format!("{field} holds at most {MAX_ITEMS} items")));
    }
    v.iter().map(|s| line(field, s, max_len)).collect()
}

/// `custom`: string values (or `null`, which removes the key), bounded.
fn custom(c: Map<String, Value>) -> Result<Map<String, Value>> {
    if c.len() > MAX_CUSTOM_KEYS {
        return Err(error::TOO_MANY.with(format!("custom holds at most {MAX_CUSTOM_KEYS} keys")));
    }
    let mut out = Map::new();
    for (k, v) in c {
        let k = line("custom key", &k, 100)?;
        if k.is_empty() {
            return Err(error::INVALID_FIELD.with("custom keys must not be empty"));
        }
        let v = match v {
            Value::Null => Value::Null,
            Value::String(s) => Value::String(line(&k, &s, MAX_CUSTOM_VALUE)?),
            _ => {
                return Err(error::INVALID_FIELD.with(format!(
                    "custom.{k} must be a string (TalkJS's custom values are strings)"
                )))
            }
        };
        out.insert(k, v);
    }
    Ok(out)
}

/// Applies a checked `custom` to `old`: `None` keeps it, `Some(None)`
/// clears it, else key by key (a null value removes the key).
fn merge_custom(
    old: &Map<String, Value>,
    change: &Option<Option<Map<String, Value>>>,
) -> Result<Map<String, Value>> {
    let merged = match change {
        None => old.clone(),
        Some(None) => Map::new(),
        Some(Some(c)) => {
            let mut m = old.clone();
            for (k, v) in c {
                if v.is_null() {
                    m.remove(k);
                } else {
                    m.insert(k.clone(), v.clone());
                }
            }
            m
        }
    };
    if merged.len() > MAX_CUSTOM_KEYS {
        return Err(error::TOO_MANY.with(format!("custom holds at most {MAX_CUSTOM_KEYS} keys")));
    }
    Ok(merged)
}

/// A user PUT, checked and cleaned.
struct UserChange {
    name: Option<String>,
    emails: Option<Vec<String>>,
    phones: Option<Vec<String>>,
    photo_url: Option<Option<String>>,
    welcome_message: Option<Option<String>>,
    role: Option<Option<String>>,
    locale: Option<Option<String>>,
    custom: Option<Option<Map<String, Value>>>,
}

fn check_user(put: UserPut) -> Result<UserChange> {
    let name = match put.name {
        None => None,
        Some(None) => return Err(error::INVALID_FIELD.with("name cannot be null")),
        Some(Some(n)) => {
            let n = super::text::clean_name(&n);
            check_len("name", &n, MAX_ID)?;
            Some(n)
        }
    };
    let emails = match put.email {
        None => None,
        Some(v) => {
            let v = list("email", v.map(Strings::into_vec).unwrap_or_default(), 254)?;
            if let Some(bad) = v.iter().find(|e| !plausible_email(e)) {
                return Err(error::INVALID_EMAIL.with(format!("{bad:?} is not an email address")));
            }
            Some(v)
        }
    };
    let phones = match put.phone {
        None => None,
        Some(v) => Some(list(
            "phone",
            v.map(Strings::into_vec).unwrap_or_default(),
            40,
        )?),
    };
    Ok(UserChange {
        name,
        emails,
        phones,
        photo_url: url("photoUrl", put.photo_url)?,
        welcome_message: put
            .welcome_message
            .map(|o| o.map(|s| body("welcomeMessage", &s, 1000)).transpose())
            .transpose()?,
        role: opt_line("role", put.role, 100)?,
        locale: opt_line("locale", put.locale, 35)?,
        custom: put.custom.map(|o| o.map(custom).transpose()).transpose()?,
    })
}

/// One mailbox, as `users::validate_fields` checks it.
fn plausible_email(e: &str) -> bool {
    let mut parts = e.splitn(2, '@');
    let (l, d) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    !l.is_empty()
        && d.contains('.')
        && !d.starts_with('.')
        && !d.ends_with('.')
        && !d.contains('@')
        && !e.contains(char::is_whitespace)
        && !e.contains([',', ';', '<', '>', '"'])
}

/// Message-like text: control characters but newline and tab removed, bounded.
fn body(field: &str, s: &str, max: usize) -> Result<String> {
    let s = super::text::clean_body(s);
    check_len(field, &s, max)?;
    Ok(s)
}

/// A user's TalkJS fields as they are now (made from the row when never PUT).
fn extra_of(conn: &rusqlite::Connection, u: &User) -> Result<(UserExtra, bool)> {
    Ok(match tj::user_extra(conn, u.id)? {
        Some(e) => (e, true),
        None => (
            UserExtra {
                emails: u.email.iter().cloned().collect(),
                phones: u.phone.iter().cloned().collect(),
                photo_url: u.profile_image.clone(),
                locale: u.language.clone(),
                ..Default::default()
            },
            false,
        ),
    })
}

fn apply_user(old: &UserExtra, c: &UserChange) -> Result<UserExtra> {
    let pick = |new: &Option<Option<String>>, old: &Option<String>| match new {
        None => old.clone(),
        Some(v) => v.clone(),
    };
    Ok(UserExtra {
        emails: c.emails.clone().unwrap_or_else(|| old.emails.clone()),
        phones: c.phones.clone().unwrap_or_else(|| old.phones.clone()),
        photo_url: pick(&c.photo_url, &old.photo_url),
        welcome_message: pick(&c.welcome_message, &old.welcome_message),
        role: pick(&c.role, &old.role),
        locale: pick(&c.locale, &old.locale),
        custom: merge_custom(&old.custom, &c.custom)?,
    })
}

/// Writes a TalkJS user's fields and the `users` columns that mirror them.
fn write_user(tx: &Tx, user_id: i64, name: &str, e: &UserExtra) -> Result<()> {
    let mut email = None;
    for candidate in &e.emails {
        if !tj::email_taken(tx.conn, candidate, Some(user_id))? {
            email = Some(candidate.as_str());
            break;
        }
    }
    tj::set_mirror(
        tx,
        user_id,
        &tj::Mirror {
            name,
            email,
            phone: e.phones.first().map(String::as_str),
            photo_url: e.photo_url.as_deref(),
            locale: e.locale.as_deref(),
        },
    )?;
    tj::put_user_extra(tx, user_id, e)
}

/// A conversation PUT, checked and cleaned.
struct ConvChange {
    participants: Vec<String>,
    subject: Option<Option<String>>,
    photo_url: Option<Option<String>>,
    welcome_messages: Option<Option<Vec<String>>>,
    custom: Option<Option<Map<String, Value>>>,
}

fn check_conversation(put: ConversationPut) -> Result<ConvChange> {
    let mut participants: Vec<String> = Vec::new();
    let sent = put.participants.unwrap_or_default();
    if sent.len() > MAX_PUT_PARTICIPANTS {
        return Err(error::TOO_MANY.with(format!(
            "participants holds at most {MAX_PUT_PARTICIPANTS} users"
        )));
    }
    for p in sent {
        check_id("a participant", &p)?;
        if !participants.contains(&p) {
            participants.push(p);
        }
    }
    let welcome_messages = match put.welcome_messages {
        None => None,
        Some(None) => Some(None),
        Some(Some(list)) => {
            if list.len() > MAX_ITEMS {
                return Err(error::TOO_MANY.with(format!(
                    "welcomeMessages holds at most {MAX_ITEMS} messages"
                )));
            }
            let list = list
                .iter()
                .map(|m| body("welcomeMessages", m, 1000))
                .collect::<Result<Vec<_>>>()?;
            Some(Some(list))
        }
    };
    Ok(ConvChange {
        participants,
        subject: opt_line("subject", put.subject, 300)?,
        photo_url: url("photoUrl", put.photo_url)?,
        welcome_messages,
        custom: put.custom.map(|o| o.map(custom).transpose()).transpose()?,
    })
}

/// A message of a POST, checked; the sender is resolved in the write job.
struct Checked {
    text: String,
    /// None: a SystemMessage (sent by the bot).
    sender: Option<String>,
    payload: Map<String, Value>,
    key: Option<String>,
}

fn check_message(m: MessagePost) -> Result<Checked> {
    let system = match m.kind.as_deref() {
        Some("UserMessage") => false,
        Some("SystemMessage") => true,
        _ => return Err(error::INVALID_MESSAGE_TYPE.err()),
    };
    let sender = match (system, m.sender) {
        (true, Some(_)) => return Err(error::SYSTEM_MESSAGE_SENDER.err()),
        (true, None) => None,
        (false, None) => return Err(error::MISSING_SENDER.err()),
        (false, Some(s)) => {
            check_id("sender", &s)?;
            Some(s)
        }
    };
    let text = super::text::clean_body(&m.text);
    check_len("text", &text, MAX_BODY_CHARS)?;
    if text.trim().is_empty() {
        return Err(error::EMPTY_MESSAGE.err());
    }
    let custom = custom(m.custom.unwrap_or_default())?;
    if custom.values().any(Value::is_null) {
        return Err(error::INVALID_FIELD.with("a message's custom values must be strings"));
    }
    if let Some(k) = &m.idempotency_key {
        check_id("idempotencyKey", k)?;
    }
    let mut talkjs = Map::new();
    talkjs.insert(
        "type".into(),
        json!(if system {
            "SystemMessage"
        } else {
            "UserMessage"
        }),
    );
    talkjs.insert("custom".into(), Value::Object(custom));
    if let Some(r) = m.referenced_message_id {
        check_id("referencedMessageId", &r)?;
        talkjs.insert("referencedMessageId".into(), Value::String(r));
    }
    let mut payload = Map::new();
    payload.insert("talkjs".into(), Value::Object(talkjs));
    Ok(Checked {
        text,
        sender,
        payload,
        key: m.idempotency_key,
    })
}

/// `conversation.participant` for a TalkJS participant who joined.
fn joined(
    tx: &mut Tx,
    conversation_id: i64,
    actor_id: i64,
    user_id: i64,
    flags: &[String],
) -> Result<()> {
    tx.emit(
        "conversation.participant",
        Some(conversation_id),
        Some(actor_id),
        Audience::Staff,
        json!({ "user_id": user_id, "flags": flags, "action": "join" }),
    )?;
    Ok(())
}

/// Makes each of `users` a participant (flag `member`, staff `agent`)
/// unless they already are one; emits a join for each new one.
fn add_members(tx: &mut Tx, conversation_id: i64, actor_id: i64, list: &[User]) -> Result<usize> {
    let mut added = 0;
    for u in list {
        let flags = participants::flags(tx.conn, conversation_id, u.id)?;
        let owner = flags
            .as_deref()
            .is_some_and(|f| participants::has(f, "owner"));
        if flags.is_some() && !owner {
            continue;
        }
        if owner
            && flags
                .as_deref()
                .is_some_and(|f| participants::has(f, "member"))
        {
            continue;
        }
        let flag = if u.is_staff() { "agent" } else { "member" };
        let now = participants::change(tx, conversation_id, u.id, &[flag], &[])?;
        joined(tx, conversation_id, actor_id, u.id, &now)?;
        added += 1;
    }
    Ok(added)
}

/// Per-message `idempotencyKey`s are kept per conversation.
fn message_scope(conversation_id: i64) -> String {
    format!("talkjs.message:{conversation_id}")
}

impl Desk {
    /// Gives the install a TalkJS app id on first start: `fp` and 20 hex
    /// digits (letters and digits only, never a Chat2Desk resource name).
    pub fn ensure_talkjs_app_id(&self) -> Result<()> {
        self.store.write(|tx| {
            if settings::get(tx.conn, APP_ID)?
                .as_ref()
                .and_then(Value::as_str)
                .is_some_and(valid_app_id)
            {
                return Ok(());
            }
            let hex: String = crate::util::random_bytes(10)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            settings::set(tx, APP_ID, &Value::String(format!("fp{hex}")))
        })
    }

    /// The install's TalkJS app id.
    pub fn talkjs_app_id(&self) -> Result<String> {
        let v = self.store.read(|c| settings::get(c, APP_ID))?;
        v.and_then(|v| v.as_str().map(str::to_string))
            .ok_or_else(|| Error::internal("talkjs.app_id is not set"))
    }

    /// `PUT /users/{id}`: creates the contact or changes the fields sent;
    /// answers whether anything changed (nothing changed: no write, no event).
    pub fn talkjs_put_user(&self, actor: &Actor, id: &str, put: UserPut) -> Result<bool> {
        actor.require_staff()?;
        check_id("the user id", id)?;
        let change = check_user(put)?;
        let (id, actor_id) = (id.to_string(), actor.user_id);
        self.store
            .write(move |tx| match users::by_external_id(tx.conn, &id)? {
                Some(u) if u.is_staff() => Err(error::STAFF_PROFILE.err()),
                Some(u) => {
                    let (old, had_row) = extra_of(tx.conn, &u)?;
                    let new = apply_user(&old, &change)?;
                    let name = change.name.clone().unwrap_or_else(|| u.name());
                    if had_row && new == old && name == u.name() {
                        return Ok(false);
                    }
                    write_user(tx, u.id, &name, &new)?;
                    let user = users::get(tx.conn, u.id)?;
                    super::users::emit_updated(tx, Some(actor_id), &user)?;
                    Ok(true)
                }
                None => {
                    let name = change.name.clone().unwrap_or_default();
                    if name.trim().is_empty() {
                        return Err(error::MISSING_NAME.with("a new user needs a name"));
                    }
                    let fields = UserFields {
                        first_name: Some(name.clone()),
                        external_id: Some(id.clone()),
                        ..Default::default()
                    };
                    let u = users::insert(tx, &fields, UserType::User, None)?;
                    let extra = apply_user(&UserExtra::default(), &change)?;
                    write_user(tx, u.id, &name, &extra)?;
                    let user = users::get(tx.conn, u.id)?;
                    super::users::emit_created(tx, Some(actor_id), &user)?;
                    Ok(true)
                }
            })
    }

    /// `GET /users/{id}`.
    pub fn talkjs_user(&self, actor: &Actor, id: &str) -> Result<TalkUser> {
        actor.require_staff()?;
        let id = id.to_string();
        self.store.read(|c| {
            let user = users::by_external_id(c, &id)?.ok_or_else(|| Error::not_found("user"))?;
            let (extra, _) = extra_of(c, &user)?;
            Ok(TalkUser { user, extra })
        })
    }

    /// `PUT /conversations/{id}`: creates the conversation or changes the
    /// fields sent (participants only added); answers whether anything
    /// changed. An unknown participant changes nothing.
    pub fn talkjs_put_conversation(
        &self,
        actor: &Actor,
        id: &str,
        put: ConversationPut,
    ) -> Result<bool> {
        actor.require_staff()?;
        check_id("the conversation id", id)?;
        let change = check_conversation(put)?;
        let (id, actor_id) = (id.to_string(), actor.user_id);
        self.store.write(move |tx| {
            let mut people = Vec::new();
            for p in &change.participants {
                let u = users::by_external_id(tx.conn, p)?;
                people.push(u.ok_or_else(|| {
                    error::UNKNOWN_PARTICIPANT.with(format!(
                        "participant {p:?} is not a user: PUT /users/{p} first"
                    ))
                })?);
            }
            let changed = match tj::conv(tx.conn, &id)? {
                None => create_conversation(tx, actor_id, &id, &change, &people)?,
                Some(old) => update_conversation(tx, actor_id, old, &change, &people)?,
            };
            Ok(changed)
        })
    }

    /// `GET /conversations/{id}`.
    pub fn talkjs_conversation(&self, actor: &Actor, id: &str) -> Result<TalkConversation> {
        actor.require_staff()?;
        let id = id.to_string();
        self.store.read(|c| {
            let t = tj::conv(c, &id)?.ok_or_else(|| Error::not_found("conversation"))?;
            read_conversation(c, t)
        })
    }

    /// `GET /conversations/{id}/messages`: public messages newest first,
    /// older than `before` (a message id), at most `limit`.
    pub fn talkjs_messages(
        &self,
        actor: &Actor,
        id: &str,
        before: Option<i64>,
        limit: i64,
    ) -> Result<(TalkConversation, Vec<Message>)> {
        actor.require_staff()?;
        let id = id.to_string();
        self.store.read(|c| {
            let t = tj::conv(c, &id)?.ok_or_else(|| Error::not_found("conversation"))?;
            let ids = tj::message_ids(c, t.conversation_id, before.unwrap_or(i64::MAX), limit)?;
            let list = ids
                .into_iter()
                .map(|m| messages::get(c, m))
                .collect::<Result<Vec<_>>>()?;
            Ok((read_conversation(c, t)?, list))
        })
    }

    /// `GET /users/{id}/conversations`: the TalkJS conversations the user
    /// takes part in that hold a message, latest activity first, after
    /// conversation `after` (its id), at most `limit`.
    pub fn talkjs_user_conversations(
        &self,
        actor: &Actor,
        id: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<TalkConversation>> {
        actor.require_staff()?;
        let (id, after) = (id.to_string(), after.map(str::to_string));
        self.store.read(|c| {
            let user = users::by_external_id(c, &id)?.ok_or_else(|| Error::not_found("user"))?;
            let before = match after {
                None => i64::MAX,
                Some(a) => {
                    let t = tj::conv(c, &a)?.ok_or_else(|| {
                        error::INVALID_PARAMETER.with("startingAfter is not a conversation id")
                    })?;
                    tj::last_message(c, t.conversation_id)?.unwrap_or(i64::MAX)
                }
            };
            tj::user_convs(c, user.id, before, limit)?
                .into_iter()
                .map(|(_, cid, _)| read_conversation(c, tj::conv_by_id(c, cid)?))
                .collect()
        })
    }

    /// `POST /conversations/{id}/messages`: every message stored, in
    /// order, in one write job, or none. With `key`, the answer is stored
    /// in the same job and a repeat answers it again (another request
    /// with the key: 422). `render` makes the answer from the messages' ids.
    pub fn talkjs_post_messages(
        &self,
        actor: &Actor,
        id: &str,
        list: Vec<MessagePost>,
        key: Option<IdempotencyKey>,
        render: fn(&[i64]) -> Value,
    ) -> Result<Posted> {
        actor.require_staff()?;
        check_id("the conversation id", id)?;
        if list.is_empty() || list.len() > MAX_MESSAGES {
            return Err(error::TOO_MANY.with(format!("send 1 to {MAX_MESSAGES} messages at once")));
        }
        let checked = list
            .into_iter()
            .enumerate()
            .map(|(i, m)| check_message(m).map_err(|e| at(i, e)))
            .collect::<Result<Vec<_>>>()?;
        let (id, actor_id, bot) = (id.to_string(), actor.user_id, self.bot_id);
        let connected = self.hub.online_users();
        self.store.write(move |tx| {
            if let Some(k) = &key {
                if let Some(s) = idempotency::get(tx.conn, tx.now, &k.scope, &k.key)? {
                    if s.fingerprint != k.fingerprint {
                        return Err(error::IDEMPOTENCY_KEY_REUSED.err());
                    }
                    return Ok(Posted {
                        status: s.status,
                        body: s.response,
                        replayed: true,
                    });
                }
            }
            let t = tj::conv(tx.conn, &id)?.ok_or_else(|| Error::not_found("conversation"))?;
            let cid = t.conversation_id;
            let members = tj::members(tx.conn, cid)?;
            let mut ids = Vec::new();
            for (i, m) in checked.into_iter().enumerate() {
                if let Some(k) = &m.key {
                    if let Some(s) = idempotency::get(tx.conn, tx.now, &message_scope(cid), k)? {
                        ids.push(s.response.parse::<i64>().unwrap_or_default());
                        continue;
                    }
                }
                let system = m.sender.is_none();
                let sender = match &m.sender {
                    None => bot,
                    Some(s) => members
                        .iter()
                        .find(|(_, ext, flags)| {
                            ext.as_deref() == Some(s.as_str()) && !participants::has(flags, "left")
                        })
                        .map(|(uid, ..)| *uid)
                        .ok_or_else(|| {
                            at(
                                i,
                                error::SENDER_NOT_PARTICIPANT.with(format!(
                                    "sender {s:?} is not a participant of the conversation"
                                )),
                            )
                        })?,
                };
                let input = MessageInput {
                    body: m.text,
                    payload: Some(m.payload),
                    user_id: Some(sender),
                    literal: true,
                    // A system message leaves the status as it is.
                    keep_status: system,
                    ..Default::default()
                };
                let head = convs::head(tx.conn, cid)?;
                let p = Prepared {
                    input,
                    sender,
                    status: opening_status(tx, &head, sender, system)?,
                };
                let posted = insert_message(tx, &head, actor_id, true, p)?;
                super::push::message(tx, &posted, Some(&connected))?;
                if let Some(k) = &m.key {
                    let stored = idempotency::Stored {
                        fingerprint: String::new(),
                        status: 200,
                        response: posted.id.to_string(),
                    };
                    idempotency::put(tx, &message_scope(cid), k, &stored)?;
                }
                ids.push(posted.id);
            }
            let body = render(&ids).to_string();
            if let Some(k) = &key {
                let stored = idempotency::Stored {
                    fingerprint: k.fingerprint.clone(),
                    status: 200,
                    response: body.clone(),
                };
                idempotency::put(tx, &k.scope, &k.key, &stored)?;
            }
            Ok(Posted {
                status: 200,
                body,
                replayed: false,
            })
        })
    }
}

/// A conversation still waiting in Archive for its first message (see
/// `create_conversation`) opens on its first user message, whoever sends
/// it (a staff member's answer alone would leave it archived).
fn opening_status(
    tx: &Tx,
    head: &convs::Head,
    sender: i64,
    system: bool,
) -> Result<Option<Status>> {
    if system || head.status != Status::Archive || tj::last_message(tx.conn, head.id)?.is_some() {
        return Ok(None);
    }
    let staff = users::get(tx.conn, sender)?.is_staff();
    Ok(Some(if staff {
        Status::WaitingForUser
    } else {
        Status::WaitingForAgent
    }))
}

/// An error of the `i`-th message of a POST (counted from 1 in the message).
fn at(i: usize, mut e: Error) -> Error {
    e.message = format!("message {}: {}", i + 1, e.message);
    e
}

fn valid_app_id(s: &str) -> bool {
    (8..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn create_conversation(
    tx: &mut Tx,
    actor_id: i64,
    id: &str,
    c: &ConvChange,
    people: &[User],
) -> Result<bool> {
    let owner = people
        .iter()
        .find(|u| !u.is_staff())
        .ok_or_else(|| error::MISSING_PARTICIPANTS.err())?;
    if people.len() > MAX_PARTICIPANTS {
        return Err(error::TOO_MANY.with(format!(
            "a conversation has at most {MAX_PARTICIPANTS} participants"
        )));
    }
    let title = c.subject.clone().flatten().unwrap_or_default();
    let mut ordered: Vec<User> = vec![owner.clone()];
    ordered.extend(people.iter().filter(|u| u.id != owner.id).cloned());
    let ids: Vec<i64> = ordered.iter().map(|u| u.id).collect();
    // No message yet: TalkJS's inbox does not show it, so it waits in
    // Archive; its first user message opens it (waiting for an agent).
    let cid = convs::insert(
        tx,
        &NewConversation {
            user_id: owner.id,
            status: Status::Archive,
            title: &title,
            department_id: None,
            agent_id: None,
            source: "tj",
            extra: &json!({ "talkjs": { "id": id, "participants": ids } }),
        },
    )?;
    super::conversations::emit_created(tx, cid, Some(actor_id))?;
    add_members(tx, cid, actor_id, &ordered)?;
    let t = Conv {
        ext_id: id.to_string(),
        conversation_id: cid,
        photo_url: c.photo_url.clone().flatten(),
        welcome_messages: c.welcome_messages.clone().flatten(),
        custom: merge_custom(&Map::new(), &c.custom)?,
    };
    tj::put_conv(tx, &t)?;
    Ok(true)
}

fn update_conversation(
    tx: &mut Tx,
    actor_id: i64,
    old: Conv,
    c: &ConvChange,
    people: &[User],
) -> Result<bool> {
    let cid = old.conversation_id;
    let mut changed = false;
    if let Some(subject) = &c.subject {
        let before = convs::get(tx.conn, cid)?;
        let title = subject.clone().unwrap_or_default();
        if title != before.title {
            super::conversations::retitle(tx, &before, &title, actor_id)?;
            changed = true;
        }
    }
    let new = Conv {
        photo_url: c.photo_url.clone().unwrap_or_else(|| old.photo_url.clone()),
        welcome_messages: c
            .welcome_messages
            .clone()
            .unwrap_or_else(|| old.welcome_messages.clone()),
        custom: merge_custom(&old.custom, &c.custom)?,
        ..old.clone()
    };
    if new != old {
        tj::put_conv(tx, &new)?;
        tx.emit(
            "conversation.updated",
            Some(cid),
            Some(actor_id),
            Audience::Staff,
            json!({ "talkjs": { "photoUrl": new.photo_url, "welcomeMessages": new.welcome_messages,
                "custom": new.custom } }),
        )?;
        changed = true;
    }
    let fresh: Vec<User> = {
        let mut out = Vec::new();
        for u in people {
            if participants::flags(tx.conn, cid, u.id)?.is_none() {
                out.push(u.clone());
            }
        }
        out
    };
    if !fresh.is_empty() {
        let now = convs::participants(tx.conn, cid)?.len();
        if now + fresh.len() > MAX_PARTICIPANTS {
            return Err(error::TOO_MANY.with(format!(
                "a conversation has at most {MAX_PARTICIPANTS} participants"
            )));
        }
        add_members(tx, cid, actor_id, &fresh)?;
        list_members(tx, cid, &fresh)?;
        changed = true;
    }
    Ok(changed)
}

/// Adds `fresh` to the participants the inbox's list row names
/// (`extra.talkjs.participants`, user ids in the order they joined).
fn list_members(tx: &Tx, cid: i64, fresh: &[User]) -> Result<()> {
    let mut extra = convs::get(tx.conn, cid)?.extra;
    let Some(list) = extra
        .pointer_mut("/talkjs/participants")
        .and_then(Value::as_array_mut)
    else {
        return Ok(());
    };
    list.extend(fresh.iter().map(|u| json!(u.id)));
    convs::set_extra(tx, cid, &extra)
}

fn read_conversation(c: &rusqlite::Connection, t: Conv) -> Result<TalkConversation> {
    let conv = convs::get(c, t.conversation_id)?;
    let members = tj::members(c, t.conversation_id)?
        .into_iter()
        // The bot (system messages) takes part but is no TalkJS user.
        .filter(|(_, ext, flags)| {
            !participants::has(flags, "left") && ext.as_deref() != Some(BOT_ID)
        })
        .map(|(uid, ext, flags)| (uid, talk_id(uid, ext.as_deref()), flags))
        .collect();
    let last = match tj::last_message(c, t.conversation_id)? {
        Some(id) => Some(messages::get(c, id)?),
        None => None,
    };
    Ok(TalkConversation {
        tj: t,
        conv,
        members,
        last,
    })
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Any user PUT is checked without panicking; what passes is bounded.
        #[test]
        fn any_user_put_is_bounded(name in ".{0,300}", email in ".{0,60}", n in 0usize..14,
                                   key in ".{0,20}", value in ".{0,40}") {
            let body = json!({ "name": name, "email": vec![email; n], "custom": { key: value } });
            if let Ok(c) = serde_json::from_value::<UserPut>(body).map_err(Error::from).and_then(check_user) {
                let name = c.name.unwrap_or_default();
                prop_assert!(name.chars().count() <= MAX_ID && !name.chars().any(char::is_control));
                prop_assert!(c.emails.unwrap_or_default().len() <= MAX_ITEMS);
                for v in c.custom.flatten().unwrap_or_default().values() {
                    prop_assert!(v.as_str().is_some_and(|s| s.chars().count() <= MAX_CUSTOM_VALUE));
                }
            }
        }

        /// Any message is checked without panicking: what passes has text,
        /// and a sender exactly when it is a user message.
        #[test]
        fn any_message_is_checked(text in ".{0,100}", sender in proptest::option::of(".{0,300}"),
                                  kind in proptest::option::of("UserMessage|SystemMessage|.{0,5}")) {
            let user = kind.as_deref() == Some("UserMessage");
            let m = MessagePost { text, sender, kind, ..Default::default() };
            if let Ok(c) = check_message(m) {
                prop_assert!(!c.text.trim().is_empty());
                prop_assert_eq!(c.sender.is_some(), user);
                prop_assert!(c.sender.iter().all(|s| check_id("sender", s).is_ok()));
            }
        }
    }
}
