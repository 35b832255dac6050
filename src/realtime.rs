//! Realtime by cursor. Clients ask for "events after N"; when there are none
//! their request is parked here (not on a thread) until an event they may
//! see is committed, or the poll time runs out. SSE streams subscribe the
//! same way and get each event as it is published.
//!
//! The hub keeps the recent events in memory (`ring`), already rendered as
//! JSON, so waking a thousand waiters needs no database read. A cursor older
//! than the ring is served from the database by the caller (`NeedsDb`).

use crate::store::Event;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Whose eyes: decides which events are visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    Admin,
    Agent,
    /// A visitor sees the public events of their own conversations.
    Visitor(i64),
}

/// `Audience::Public`: an event every listener sees, visitors included.
const PUBLIC: i64 = crate::store::events::Audience::Public as i64;

impl Viewer {
    pub fn sees(&self, audience: i64, visitor_id: Option<i64>) -> bool {
        match self {
            Viewer::Admin => true,
            Viewer::Agent => audience <= 1 || audience == PUBLIC,
            Viewer::Visitor(uid) => {
                audience == PUBLIC || (audience == 0 && visitor_id == Some(*uid))
            }
        }
    }
}

/// What a poll answers: event JSON objects and the cursor to ask from next,
/// or that the credential it was asked with is no longer valid.
pub struct Batch {
    pub events: Vec<Arc<str>>,
    pub cursor: i64,
    pub revoked: bool,
}

/// What a listener authenticated with, so that revoking it ends the
/// listener: its parked poll answers 401 and its stream closes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credential {
    /// The user whose login it is (sessions, visitor tokens); not API tokens.
    pub user_id: Option<i64>,
    /// SHA-256 of the session cookie or visitor token.
    pub login_hash: Option<String>,
    /// A staff session (not a visitor token).
    pub staff_session: bool,
    /// The API token used, or the one that opened the login (api.php).
    pub token_id: Option<i64>,
}

/// A credential, or a set of them, that just stopped being valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoked {
    /// One login (session or visitor token) ended, by its hash.
    Login(String),
    /// A user's staff sessions (their password changed).
    Sessions(i64),
    /// Every login of a user (disabled or deleted).
    User(i64),
    /// An API token, and the logins it opened.
    Token(i64),
}

impl Revoked {
    fn ends(&self, c: &Credential) -> bool {
        match self {
            Revoked::Login(h) => c.login_hash.as_ref() == Some(h),
            Revoked::Sessions(u) => c.staff_session && c.user_id == Some(*u),
            Revoked::User(u) => c.user_id == Some(*u),
            Revoked::Token(t) => c.token_id == Some(*t),
        }
    }

    /// The revocation a committed event stands for, if any. Events reach
    /// every server process, also when a CLI command made the change.
    fn from_event(e: &Event) -> Option<Revoked> {
        if !matches!(
            e.kind.as_str(),
            "token.revoked" | "user.password_reset" | "user.deleted" | "user.updated"
        ) {
            return None;
        }
        let v: serde_json::Value = serde_json::from_str(&e.json).ok()?;
        let data = &v["data"];
        match e.kind.as_str() {
            "token.revoked" => data["id"].as_i64().map(Revoked::Token),
            "user.password_reset" => data["user_id"].as_i64().map(Revoked::Sessions),
            "user.deleted" => data["user_id"].as_i64().map(Revoked::User),
            _ if data["user"]["disabled"] == true => data["user"]["id"].as_i64().map(Revoked::User),
            _ => None,
        }
    }
}

impl Batch {
    pub fn to_json(&self) -> String {
        let mut s =
            String::with_capacity(32 + self.events.iter().map(|e| e.len() + 1).sum::<usize>());
        s.push_str("{\"events\":[");
        for (i, e) in self.events.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(e);
        }
        s.push_str("],\"cursor\":");
        s.push_str(&self.cursor.to_string());
        s.push('}');
        s
    }
}

pub type Reply = Box<dyn FnOnce(Batch) + Send>;

pub enum Poll {
    /// Answered (immediately, with what the ring held).
    Answered,
    /// Parked until an event or the deadline.
    Parked,
    /// The cursor is older than the ring: read the database, then poll again
    /// with the cursor the database reached.
    NeedsDb(Reply),
}

#[derive(Clone)]
struct RingEvent {
    id: i64,
    audience: i64,
    visitor_id: Option<i64>,
    json: Arc<str>,
}

struct Waiter {
    viewer: Viewer,
    cred: Credential,
    /// The waiting user, so they are not woken by their own typing.
    me: i64,
    after: i64,
    deadline: Instant,
    reply: Reply,
}

/// One item on an SSE stream: an event id (None for ephemeral) and its JSON.
pub type StreamItem = (Option<i64>, Arc<str>);

struct Stream {
    viewer: Viewer,
    cred: Credential,
    me: i64,
    tx: SyncSender<StreamItem>,
}

struct State {
    ring: VecDeque<RingEvent>,
    ring_bytes: usize,
    /// Every event with id > base is in the ring.
    base: i64,
    last: i64,
    staff_waiters: Vec<Waiter>,
    visitor_waiters: HashMap<i64, Vec<Waiter>>,
    waiter_count: usize,
    streams: Vec<Stream>,
    /// When each user last asked for events: who is online.
    seen: HashMap<i64, Instant>,
}

pub struct Hub {
    state: Mutex<State>,
    responders: SyncSender<Box<dyn FnOnce() + Send>>,
    max_waiters: usize,
    pub poll_time: Duration,
    published: AtomicU64,
}

const RING_MAX_EVENTS: usize = 20_000;
const RING_MAX_BYTES: usize = 8 << 20;
/// Events queued for one SSE client before it counts as stalled and is dropped.
const STREAM_QUEUE: usize = 1024;
/// Most events in one long-poll answer.
pub const BATCH_MAX: usize = 500;

impl State {
    fn mark_seen(&mut self, user: i64) {
        let now = Instant::now();
        if self.seen.len() > 100_000 {
            self.seen
                .retain(|_, t| now.duration_since(*t) < ONLINE_WINDOW);
        }
        self.seen.insert(user, now);
    }
}

/// How long after their last poll a user still counts as online.
pub const ONLINE_WINDOW: Duration = Duration::from_secs(60);

impl Hub {
    /// Users listening now (an open stream) or who polled within
    /// `ONLINE_WINDOW`.
    pub fn online_users(&self) -> Vec<i64> {
        let s = self.state.lock().unwrap();
        let now = Instant::now();
        let mut ids: Vec<i64> = s
            .seen
            .iter()
            .filter(|(_, t)| now.duration_since(**t) < ONLINE_WINDOW)
            .map(|(id, _)| *id)
            .chain(s.streams.iter().map(|st| st.me))
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    /// `last` is the newest committed event id at start.
    pub fn new(last: i64, max_waiters: usize, poll_time: Duration) -> Arc<Hub> {
        // Answers are written by a few responder threads, so the writer thread
        // never waits on a socket.
        let (tx, rx) = mpsc::sync_channel::<Box<dyn FnOnce() + Send>>(65_536);
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..4 {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("responder-{i}"))
                .stack_size(128 * 1024)
                .spawn(move || loop {
                    let job = rx.lock().unwrap().recv();
                    match job {
                        Ok(f) => f(),
                        Err(_) => return,
                    }
                })
                .expect("spawn responder");
        }
        let hub = Arc::new(Hub {
            state: Mutex::new(State {
                ring: VecDeque::new(),
                ring_bytes: 0,
                base: last,
                last,
                staff_waiters: Vec::new(),
                visitor_waiters: HashMap::new(),
                waiter_count: 0,
                streams: Vec::new(),
                seen: HashMap::new(),
            }),
            responders: tx,
            max_waiters,
            poll_time,
            published: AtomicU64::new(0),
        });
        let weak = Arc::downgrade(&hub);
        std::thread::Builder::new()
            .name("realtime-timer".into())
            .stack_size(128 * 1024)
            .spawn(move || loop {
                std::thread::sleep(Duration::from_millis(250));
                match weak.upgrade() {
                    Some(h) => h.expire(),
                    None => return,
                }
            })
            .expect("spawn timer");
        hub
    }

    fn respond(&self, reply: Reply, batch: Batch) {
        let job: Box<dyn FnOnce() + Send> = Box::new(move || reply(batch));
        if let Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) =
            self.responders.try_send(job)
        {
            job();
        }
    }

    /// Newest published event id.
    pub fn last_id(&self) -> i64 {
        self.state.lock().unwrap().last
    }

    pub fn waiting(&self) -> (usize, usize) {
        let s = self.state.lock().unwrap();
        (s.waiter_count, s.streams.len())
    }

    pub fn published(&self) -> u64 {
        self.published.load(Ordering::Relaxed)
    }

    /// Answers from the ring if it holds anything visible after `after`,
    /// otherwise parks the reply.
    pub fn poll(
        &self,
        viewer: Viewer,
        me: i64,
        cred: &Credential,
        after: i64,
        reply: Reply,
    ) -> Poll {
        let mut s = self.state.lock().unwrap();
        s.mark_seen(me);
        if after < s.base {
            return Poll::NeedsDb(reply);
        }
        let (events, cursor) = collect(&s, viewer, after);
        if !events.is_empty() || after > s.last {
            // A cursor from the future (a restored backup?) is answered at
            // once with the real position.
            let cursor = if events.is_empty() { s.last } else { cursor };
            drop(s);
            self.respond(
                reply,
                Batch {
                    events,
                    cursor,
                    revoked: false,
                },
            );
            return Poll::Answered;
        }
        let w = Waiter {
            viewer,
            cred: cred.clone(),
            me,
            after: cursor,
            deadline: Instant::now() + self.poll_time,
            reply,
        };
        match viewer {
            Viewer::Visitor(uid) => s.visitor_waiters.entry(uid).or_default().push(w),
            _ => s.staff_waiters.push(w),
        }
        s.waiter_count += 1;
        Poll::Parked
    }

    /// Opens an SSE subscription. Returns the ring backlog after `after`
    /// (None when the cursor is older than the ring: read the database up to
    /// the returned `last` id first) and the receiver of what follows.
    #[allow(clippy::type_complexity)]
    pub fn stream(
        &self,
        viewer: Viewer,
        me: i64,
        cred: &Credential,
        after: i64,
    ) -> Result<(Option<Vec<StreamItem>>, i64, Receiver<StreamItem>), ()> {
        let mut s = self.state.lock().unwrap();
        if s.waiter_count + s.streams.len() >= self.max_waiters {
            return Err(());
        }
        s.mark_seen(me);
        let (tx, rx) = mpsc::sync_channel(STREAM_QUEUE);
        let backlog = if after >= s.base {
            Some(
                s.ring
                    .iter()
                    .filter(|e| e.id > after && viewer.sees(e.audience, e.visitor_id))
                    .map(|e| (Some(e.id), e.json.clone()))
                    .collect(),
            )
        } else {
            None
        };
        s.streams.push(Stream {
            viewer,
            cred: cred.clone(),
            me,
            tx,
        });
        Ok((backlog, s.last, rx))
    }

    /// Called after each commit with the events it made visible, in id order.
    pub fn publish(&self, events: &[Arc<Event>]) {
        if events.is_empty() {
            return;
        }
        // Listeners a revocation ends get none of the events after it.
        for r in events.iter().filter_map(|e| Revoked::from_event(e)) {
            self.revoke(&r);
        }
        // Render each event's JSON once; waiters share it.
        let events: Vec<RingEvent> = events
            .iter()
            .map(|e| RingEvent {
                id: e.id,
                audience: e.audience,
                visitor_id: e.visitor_id,
                json: Arc::from(e.json.as_str()),
            })
            .collect();
        let events = &events[..];
        let mut due: Vec<(Reply, Batch)> = Vec::new();
        {
            let mut s = self.state.lock().unwrap();
            for e in events {
                s.ring_bytes += e.json.len();
                s.ring.push_back(e.clone());
                s.last = e.id;
            }
            while s.ring.len() > RING_MAX_EVENTS || s.ring_bytes > RING_MAX_BYTES {
                let old = s.ring.pop_front().unwrap();
                s.ring_bytes -= old.json.len();
                s.base = old.id;
            }
            let last = s.last;
            // Staff waiters: wake those who can see any of the new events.
            let staff = std::mem::take(&mut s.staff_waiters);
            for w in staff {
                let evs: Vec<Arc<str>> = visible(events, w.viewer, w.after);
                if evs.is_empty() {
                    s.staff_waiters.push(Waiter { after: last, ..w });
                } else {
                    due.push((
                        w.reply,
                        Batch {
                            events: evs,
                            cursor: last,
                            revoked: false,
                        },
                    ));
                }
            }
            // Visitor waiters: only the owners of the touched conversations,
            // or all of them for a public event.
            let mut owners: Vec<i64> = if events.iter().any(|e| e.audience == PUBLIC) {
                s.visitor_waiters.keys().copied().collect()
            } else {
                events
                    .iter()
                    .filter(|e| e.audience == 0)
                    .filter_map(|e| e.visitor_id)
                    .collect()
            };
            owners.dedup();
            for uid in owners {
                if let Some(ws) = s.visitor_waiters.remove(&uid) {
                    for w in ws {
                        let evs = visible(events, w.viewer, w.after);
                        if evs.is_empty() {
                            s.visitor_waiters.entry(uid).or_default().push(w);
                        } else {
                            due.push((
                                w.reply,
                                Batch {
                                    events: evs,
                                    cursor: last,
                                    revoked: false,
                                },
                            ));
                        }
                    }
                }
            }
            s.waiter_count -= due.len();
            s.streams.retain(|st| {
                for e in events
                    .iter()
                    .filter(|e| st.viewer.sees(e.audience, e.visitor_id))
                {
                    let item = (Some(e.id), e.json.clone());
                    if st.tx.try_send(item).is_err() {
                        // Disconnected, or so far behind that it is stalled:
                        // drop it; the client reconnects with its last id.
                        return false;
                    }
                }
                true
            });
        }
        self.published
            .fetch_add(events.len() as u64, Ordering::Relaxed);
        for (reply, batch) in due {
            self.respond(reply, batch);
        }
    }

    /// Ends every listener whose credential `r` revokes: parked polls are
    /// answered `revoked`, streams are dropped (their thread closes the
    /// connection).
    pub fn revoke(&self, r: &Revoked) {
        let mut due: Vec<Reply> = Vec::new();
        {
            let mut s = self.state.lock().unwrap();
            let mut take = |ws: Vec<Waiter>, keep: &mut Vec<Waiter>| {
                for w in ws {
                    if r.ends(&w.cred) {
                        due.push(w.reply);
                    } else {
                        keep.push(w);
                    }
                }
            };
            let staff = std::mem::take(&mut s.staff_waiters);
            let mut kept = Vec::new();
            take(staff, &mut kept);
            s.staff_waiters = kept;
            for ws in s.visitor_waiters.values_mut() {
                let mut kept = Vec::new();
                take(std::mem::take(ws), &mut kept);
                *ws = kept;
            }
            s.visitor_waiters.retain(|_, ws| !ws.is_empty());
            s.waiter_count -= due.len();
            s.streams.retain(|st| !r.ends(&st.cred));
        }
        for reply in due {
            let batch = Batch {
                events: vec![],
                cursor: 0,
                revoked: true,
            };
            self.respond(reply, batch);
        }
    }

    /// An event that is delivered to whoever listens now and never stored
    /// (typing). `visitor_id` is the conversation owner; `actor` is not told
    /// of their own action.
    pub fn ephemeral(
        &self,
        kind: &str,
        conversation_id: Option<i64>,
        visitor_id: Option<i64>,
        data: serde_json::Value,
    ) {
        self.deliver_now(kind, conversation_id, visitor_id, data, true)
    }

    /// An ephemeral event for the conversation's visitor alone (a client
    /// command's script: staff read it nowhere else either).
    pub fn ephemeral_to_visitor(
        &self,
        kind: &str,
        conversation_id: i64,
        visitor_id: i64,
        data: serde_json::Value,
    ) {
        self.deliver_now(kind, Some(conversation_id), Some(visitor_id), data, false)
    }

    fn deliver_now(
        &self,
        kind: &str,
        conversation_id: Option<i64>,
        visitor_id: Option<i64>,
        data: serde_json::Value,
        staff: bool,
    ) {
        let actor = data.get("user_id").and_then(|v| v.as_i64());
        let json: Arc<str> = Arc::from(
            serde_json::json!({ "id": null, "kind": kind, "conversation_id": conversation_id, "data": data })
                .to_string()
                .as_str(),
        );
        let mut due: Vec<(Reply, Batch)> = Vec::new();
        {
            let mut s = self.state.lock().unwrap();
            for w in std::mem::take(&mut s.staff_waiters) {
                if !staff || actor == Some(w.me) {
                    s.staff_waiters.push(w);
                } else {
                    due.push((
                        w.reply,
                        Batch {
                            events: vec![json.clone()],
                            cursor: w.after,
                            revoked: false,
                        },
                    ));
                }
            }
            if let Some(uid) = visitor_id.filter(|uid| Some(*uid) != actor) {
                if let Some(ws) = s.visitor_waiters.remove(&uid) {
                    for w in ws {
                        due.push((
                            w.reply,
                            Batch {
                                events: vec![json.clone()],
                                cursor: w.after,
                                revoked: false,
                            },
                        ));
                    }
                }
            }
            s.waiter_count -= due.len();
            s.streams.retain(|st| {
                let sees = actor != Some(st.me)
                    && match st.viewer {
                        Viewer::Visitor(uid) => visitor_id == Some(uid),
                        _ => staff,
                    };
                !sees || st.tx.try_send((None, json.clone())).is_ok()
            });
        }
        for (reply, batch) in due {
            self.respond(reply, batch);
        }
    }

    /// Answers waiters whose time is up with no events and the current cursor.
    fn expire(&self) {
        let now = Instant::now();
        let mut due: Vec<(Reply, Batch)> = Vec::new();
        {
            let mut s = self.state.lock().unwrap();
            let last = s.last;
            let staff = std::mem::take(&mut s.staff_waiters);
            for w in staff {
                if w.deadline <= now {
                    due.push((
                        w.reply,
                        Batch {
                            events: vec![],
                            cursor: w.after.max(last),
                            revoked: false,
                        },
                    ));
                } else {
                    s.staff_waiters.push(w);
                }
            }
            let mut keep: HashMap<i64, Vec<Waiter>> = HashMap::new();
            for (uid, ws) in std::mem::take(&mut s.visitor_waiters) {
                for w in ws {
                    if w.deadline <= now {
                        due.push((
                            w.reply,
                            Batch {
                                events: vec![],
                                cursor: w.after.max(last),
                                revoked: false,
                            },
                        ));
                    } else {
                        keep.entry(uid).or_default().push(w);
                    }
                }
            }
            s.visitor_waiters = keep;
            s.waiter_count -= due.len();
            s.streams.retain(|st| {
                !matches!(
                    st.tx.try_send((None, Arc::from(""))),
                    Err(TrySendError::Disconnected(_))
                )
            });
        }
        for (reply, batch) in due {
            self.respond(reply, batch);
        }
    }

    /// Answers every waiter now (shutdown).
    pub fn release_all(&self) {
        let mut s = self.state.lock().unwrap();
        let last = s.last;
        let mut all: Vec<Waiter> = std::mem::take(&mut s.staff_waiters);
        for (_, ws) in std::mem::take(&mut s.visitor_waiters) {
            all.extend(ws);
        }
        s.waiter_count = 0;
        s.streams.clear();
        drop(s);
        for w in all {
            (w.reply)(Batch {
                events: vec![],
                cursor: w.after.max(last),
                revoked: false,
            });
        }
    }
}

fn visible(events: &[RingEvent], viewer: Viewer, after: i64) -> Vec<Arc<str>> {
    events
        .iter()
        .filter(|e| e.id > after && viewer.sees(e.audience, e.visitor_id))
        .map(|e| e.json.clone())
        .collect()
}

/// Visible ring events after `after` (at most BATCH_MAX) and the cursor
/// they lead to.
fn collect(s: &State, viewer: Viewer, after: i64) -> (Vec<Arc<str>>, i64) {
    let mut out = Vec::new();
    let mut cursor = after.max(s.base);
    // The ring is in id order: skip what the client has seen.
    let start = s.ring.partition_point(|e| e.id <= after);
    for e in s.ring.iter().skip(start) {
        if viewer.sees(e.audience, e.visitor_id) {
            if out.len() == BATCH_MAX {
                break;
            }
            out.push(e.json.clone());
        }
        cursor = e.id;
    }
    if out.is_empty() {
        cursor = s.last.max(after);
    }
    (out, cursor)
}
