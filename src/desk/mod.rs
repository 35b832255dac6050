//! The domain: what Frontporch does, as verbs every API surface calls
//! (`post_message`, `set_status`, `assign`, `login`...). No HTTP types here
//! and no SQL: verbs check the actor's scope, then run store queries inside
//! one write job, appending the event that describes the change.

pub mod articles;
pub mod auth;
pub mod automations;
pub mod channel_media;
pub mod channel_out;
pub mod channel_settings;
pub mod channels;
pub mod chat2desk;
pub mod cleanup;
pub mod commands;
pub mod conversations;
pub mod email;
pub mod embed;
pub mod inbox;
pub mod keyword_bots;
pub mod macros;
pub mod mail_in;
pub mod menu;
pub mod messages;
pub mod notifications;
pub mod push;
pub mod reports;
pub mod scores;
pub mod settings;
pub mod sms;
pub mod steps;
pub mod tags;
pub mod talkjs;
pub mod team;
pub mod text;
pub mod touchpoint;
pub mod uploads;
pub mod users;
pub mod webhooks;
pub mod widget;

/// A domain value as a client sent it (the desk's JSON inputs hold them).
pub use crate::domain::Sent;
use crate::domain::Status;
use crate::error::{self, Error, Result};
use crate::realtime::Hub;
use crate::store::users::User;
use crate::store::Store;
use std::sync::{Arc, Condvar, Mutex};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Agent,
    Visitor,
}

/// Who is asking. Staff sessions and visitor tokens carry a user; API tokens
/// carry a role and their `token_id`, and send as the install's bot user
/// (unless they name a user) without ever being that account: a token is
/// never "self" for any user, so it cannot change anyone's own credentials.
#[derive(Debug, Clone)]
pub struct Actor {
    pub role: Role,
    pub user_id: i64,
    pub token_id: Option<i64>,
}

impl Actor {
    pub fn is_staff(&self) -> bool {
        self.role != Role::Visitor
    }
    /// A session (or visitor login) of user `id` itself, not a token.
    pub fn is_self(&self, id: i64) -> bool {
        self.token_id.is_none() && self.user_id == id
    }
    pub fn require_staff(&self) -> Result<()> {
        if self.is_staff() {
            Ok(())
        } else {
            Err(Error::forbidden("staff only"))
        }
    }
    pub fn require_admin(&self) -> Result<()> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(Error::forbidden("admins only"))
        }
    }
}

/// Bounds how many bcrypt computations run at once, so a login flood
/// cannot pin every core.
struct Semaphore {
    free: Mutex<usize>,
    cv: Condvar,
}

impl Semaphore {
    fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        {
            let mut free = self.free.lock().unwrap();
            while *free == 0 {
                free = self.cv.wait(free).unwrap();
            }
            *free -= 1;
        }
        let out = f();
        *self.free.lock().unwrap() += 1;
        self.cv.notify_one();
        out
    }
}

/// Someone said they are (or stopped) typing.
struct TypingMark {
    user_id: i64,
    staff: bool,
    at: std::time::Instant,
    typing: bool,
}

pub struct Desk {
    store: Store,
    pub hub: Arc<Hub>,
    bcrypt_cost: u32,
    hashing: Semaphore,
    /// The install's bot user: the sender for API tokens that name nobody.
    pub bot_id: i64,
    /// Where uploads are kept (`uploads/` below it).
    pub data_dir: std::path::PathBuf,
    /// Signs the upload links handed to readers (see `links`).
    pub links: Arc<crate::links::Links>,
    /// Who typed where, lately, by conversation.
    typing: Mutex<std::collections::HashMap<i64, Vec<TypingMark>>>,
    dummy_hash: std::sync::OnceLock<String>,
}

impl Desk {
    pub fn new(
        store: Store,
        hub: Arc<Hub>,
        bcrypt_cost: u32,
        data_dir: std::path::PathBuf,
        public_url: &str,
    ) -> Result<Desk> {
        let bot_id = users::ensure_bot(&store)?;
        let links = crate::links::Links::load(&data_dir, public_url)
            .map_err(|e| Error::internal(format!("the link signing key: {e}")))?;
        steps::attach(hub.clone(), links.public_url());
        let desk = Desk {
            store,
            hub,
            bcrypt_cost,
            hashing: Semaphore {
                free: Mutex::new(2),
                cv: Condvar::new(),
            },
            bot_id,
            data_dir,
            links: Arc::new(links),
            typing: Mutex::new(Default::default()),
            dummy_hash: std::sync::OnceLock::new(),
        };
        desk.ensure_identity_secret()?;
        desk.ensure_vapid_key()?;
        desk.ensure_talkjs_app_id()?;
        Ok(desk)
    }

    pub fn hash_password(&self, password: &str) -> Result<String> {
        validate_password(password)?;
        let cost = self.bcrypt_cost;
        self.hashing
            .run(|| bcrypt::hash(password, cost))
            .map_err(|e| Error::internal(format!("bcrypt: {e}")))
    }

    pub fn verify_password(&self, password: &str, hash: &str) -> bool {
        self.hashing
            .run(|| bcrypt::verify(password, hash).unwrap_or(false))
    }

    /// A hash of a random password, checked for unknown accounts.
    fn dummy_hash(&self) -> &str {
        self.dummy_hash.get_or_init(|| {
            bcrypt::hash(crate::util::random_token("", 16), self.bcrypt_cost).unwrap_or_default()
        })
    }

    /// Any user, unscoped: for verbs that have checked their actor.
    fn user_by_id(&self, id: i64) -> Result<User> {
        self.store.read(|c| crate::store::users::get(c, id))
    }

    /// The id of the newest event (a read that proves the database answers).
    pub fn last_event_id(&self) -> Result<i64> {
        self.store.read(crate::store::events::max_id)
    }

    /// Stops the writer after the jobs queued so far (CLI commands).
    pub fn shutdown(&self) {
        self.store.shutdown();
    }
}

pub fn validate_password(password: &str) -> Result<()> {
    if password.chars().count() < 8 {
        return Err(error::WEAK_PASSWORD.err());
    }
    if password.len() > 72 {
        return Err(error::PASSWORD_TOO_LONG.err());
    }
    Ok(())
}

/// Rejects strings longer than `max` characters, naming the field.
pub fn check_len(field: &str, value: &str, max: usize) -> Result<()> {
    if value.chars().count() > max {
        return Err(error::TOO_LONG.with(format!("{field} must be at most {max} characters")));
    }
    Ok(())
}

/// A status as sent, or `invalid_status`.
pub fn check_status(status: &Sent<Status>) -> Result<Status> {
    status.known().ok_or_else(|| error::INVALID_STATUS.err())
}

/// Events as (id, JSON) and the cursor they lead to.
pub type EventPage = (Vec<(i64, Arc<str>)>, i64);

impl Desk {
    /// Events after `after` visible to `viewer`, read from the database (for
    /// cursors older than the realtime ring), and the cursor they lead to.
    pub fn events_after(&self, viewer: crate::realtime::Viewer, after: i64) -> Result<EventPage> {
        use crate::realtime::{Viewer, BATCH_MAX};
        use crate::store::events;
        self.store.read(|c| {
            let max = events::max_id(c)?;
            let rows = match viewer {
                Viewer::Visitor(uid) => events::since_for_visitor(c, uid, after, BATCH_MAX as i64)?,
                _ => events::since(c, after, BATCH_MAX as i64)?,
            };
            let full = rows.len() == BATCH_MAX;
            // `max` was read before the rows, so nothing between them is skipped.
            let last_row = rows.last().map_or(after, |e| e.id);
            let cursor = if full {
                last_row
            } else {
                max.max(last_row).max(after)
            };
            let visible = rows
                .into_iter()
                .filter(|e| viewer.sees(e.audience, e.visitor_id))
                .map(|e| (e.id, Arc::from(e.json.as_str())))
                .collect();
            Ok((visible, cursor))
        })
    }
}
