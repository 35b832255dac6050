//! Media files of platform messages, fetched after the message's commit
//! (contract item 3). The import job writes one outbox row per file
//! (channel `media`, no endpoint), so a fetch pending at a crash is done
//! after the restart. A thread `serve` starts (`start`) works the due rows
//! through the platform's `media` and the guarded `PlatformHttp`: no answer
//! larger than the upload limit is read, the file must pass the upload
//! rules (types by magic bytes), and the message gets it as an attachment
//! with `message.updated`. A file of a refused type or size is named as
//! left out, never stored; a failure that may pass is retried with the
//! webhooks' backoff, and left out after `MAX_ATTEMPTS`; while the platform
//! has no setting, the row waits without counting a try.

use super::Desk;
use crate::channels::{self, Http, MediaRef, Request, Response};
use crate::error::Kind;
use crate::store::channels as store_ch;
use crate::store::events::Audience;
use crate::store::outbox::{self, Attempt, DueEmail, Outcome};
use crate::store::uploads::{self, Upload};
use crate::store::{messages, Tx};
use serde::Deserialize;
use serde_json::{json, Value};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The outbox channel of media fetches.
pub const CHANNEL: &str = "media";
/// Tries of a fetch that failed in a way that may pass (no answer, a 5xx,
/// the platform not configured now); then the file is left out.
const MAX_ATTEMPTS: i64 = 5;
/// Rows taken per look at the outbox.
const BATCH: usize = 4;
/// Longest wait between looks (a wake-up comes sooner).
const IDLE: Duration = Duration::from_secs(1);

static WAKE: (Mutex<bool>, Condvar) = (Mutex::new(false), Condvar::new());

/// Tells the fetcher that rows are waiting.
pub fn wake() {
    *WAKE.0.lock().unwrap() = true;
    WAKE.1.notify_all();
}

/// A `media` row's payload, as `channels::import_message` writes it.
#[derive(Deserialize)]
struct Row {
    platform: String,
    message_id: i64,
    index: usize,
    media: RowMedia,
}

#[derive(Deserialize)]
struct RowMedia {
    id: String,
    content_type: Option<String>,
    name: Option<String>,
}

/// What became of one fetch.
enum Done {
    Stored(Upload),
    /// For good: the file is named on the message as left out, with why.
    LeftOut(String),
    /// Maybe later.
    Retry(String),
    /// The platform has no setting now (removed, or being replaced): the
    /// row waits, no try counted, as the channel lane's rows do.
    Wait,
}

/// `Http` that reads no answer larger than `max` bytes, and remembers
/// whether one was.
struct Capped<'a> {
    http: &'a dyn Http,
    max: usize,
    over: Cell<bool>,
}

impl Http for Capped<'_> {
    fn call(&self, mut req: Request) -> Result<Response, String> {
        req.limit = req.limit.min(self.max);
        let answer = self.http.call(req);
        // PlatformHttp's words for an answer over the request's limit.
        if matches!(&answer, Err(e) if e.contains("is larger than")) {
            self.over.set(true);
        }
        answer
    }
}

impl Desk {
    /// Works the media fetches that are due; answers how many it took.
    pub fn fetch_media(
        &self,
        http: &dyn Http,
        max_upload: usize,
        retry_base_ms: i64,
    ) -> crate::error::Result<usize> {
        let now = crate::util::now_ms();
        let due = self
            .store
            .read(|c| outbox::due_of(c, CHANNEL, now, BATCH))?;
        for row in &due {
            self.fetch_one(http, max_upload, retry_base_ms, row)?;
        }
        Ok(due.len())
    }

    fn fetch_one(
        &self,
        http: &dyn Http,
        max_upload: usize,
        retry_base_ms: i64,
        row: &DueEmail,
    ) -> crate::error::Result<()> {
        let started = Instant::now();
        let parsed = serde_json::from_str::<Row>(&row.payload);
        let mut done = match &parsed {
            Ok(r) => self.fetch(http, max_upload, r),
            Err(e) => Done::LeftOut(format!("unreadable row: {e}")),
        };
        if let Done::Wait = done {
            let (id, at) = (row.id, crate::util::now_ms() + retry_base_ms.max(1000));
            return self.store.write(move |tx| store_ch::postpone(tx, id, at));
        }
        if let Done::Retry(why) = &done {
            if row.attempts + 1 >= MAX_ATTEMPTS {
                done = Done::LeftOut(format!("could not be fetched: {why}"));
            }
        }
        let attempt = Attempt {
            status_code: None,
            error: match &done {
                Done::Stored(_) | Done::Wait => None,
                Done::LeftOut(why) | Done::Retry(why) => Some(why.chars().take(500).collect()),
            },
            duration_ms: started.elapsed().as_millis() as i64,
            response: None,
        };
        let outcome = match &done {
            Done::Stored(_) => Outcome::Delivered,
            Done::LeftOut(_) if parsed.is_err() => Outcome::Dead,
            Done::LeftOut(_) => Outcome::Delivered,
            Done::Retry(_) | Done::Wait => Outcome::RetryAt(
                crate::util::now_ms()
                    + crate::delivery::backoff_ms(retry_base_ms, row.attempts + 1),
            ),
        };
        let stored = match &done {
            Done::Stored(u) => Some(u.token.clone()),
            _ => None,
        };
        let (id, dir) = (row.id, self.uploads_dir());
        let kept = self.store.write(move |tx| {
            let kept = match (&parsed, done) {
                (Ok(r), Done::Stored(u)) => finish(tx, r, Ok(u))?,
                (Ok(r), Done::LeftOut(why)) => finish(tx, r, Err(why))?,
                _ => false,
            };
            outbox::record(tx, id, &attempt, outcome)?;
            Ok(kept)
        });
        if !matches!(kept, Ok(true)) {
            // No message points at the file (a failed job, a deleted message).
            if let Some(t) = stored {
                let _ = std::fs::remove_file(dir.join(t));
            }
        }
        kept.map(|_| ())
    }

    /// Downloads one file and stores it by the upload rules.
    fn fetch(&self, http: &dyn Http, max_upload: usize, r: &Row) -> Done {
        let Some(p) = channels::platform(&r.platform) else {
            return Done::LeftOut(format!("unknown platform {}", r.platform));
        };
        let config = match self.channel_config(p.name).map(|(_, c)| c) {
            Ok(c) => c,
            Err(e) if e.code == crate::error::CHANNEL_NOT_CONFIGURED.code => return Done::Wait,
            Err(e) => return Done::Retry(e.message),
        };
        let capped = Capped {
            http,
            max: max_upload,
            over: Cell::new(false),
        };
        let reference = MediaRef {
            id: r.media.id.clone(),
            content_type: r.media.content_type.clone(),
            name: r.media.name.clone(),
        };
        let file = match (p.media)(&capped, &config, &reference) {
            Ok(f) => f,
            Err(_) if capped.over.get() => {
                return Done::LeftOut(format!("larger than {max_upload} bytes"))
            }
            // The platform's words may echo the URL, token and all.
            Err(e) => return Done::Retry(config.hide_secrets(p, &e)),
        };
        // The type the platform named, else the one the bytes show; the
        // upload rules check the bytes against it either way.
        let sniffed = infer::get(&file.bytes);
        let content_type = file
            .content_type
            .as_deref()
            // `audio/ogg; codecs=opus` (WhatsApp) is an `audio/ogg`.
            .map(|t| {
                t.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .filter(|t| !t.is_empty() && t != "application/octet-stream")
            .or_else(|| sniffed.map(|k| k.mime_type().to_string()))
            .unwrap_or_else(|| "application/octet-stream".into());
        let name = file.name.clone().unwrap_or_else(|| {
            let base = super::channels::media_name(&reference);
            match sniffed {
                Some(k) => format!("{base}.{}", k.extension()),
                None => base,
            }
        });
        match self.store_upload_file(&name, &content_type, &file.bytes, max_upload) {
            Ok(u) => Done::Stored(u),
            Err(e)
                if matches!(
                    e.kind,
                    Kind::BadRequest | Kind::TooLarge | Kind::UnsupportedMediaType
                ) =>
            {
                Done::LeftOut(e.message)
            }
            // The disk, say: try again later.
            Err(e) => Done::Retry(e.message),
        }
    }
}

/// Puts the outcome of a fetch on its message: the file as an attachment,
/// or its name as left out with why; `message.updated` so the inbox shows
/// it. False when the message is gone (the file is then not kept).
fn finish(tx: &mut Tx, r: &Row, file: Result<Upload, String>) -> crate::error::Result<bool> {
    let Ok(m) = messages::get(tx.conn, r.message_id) else {
        return Ok(false);
    };
    if m.deleted_at.is_some() {
        return Ok(false);
    }
    let mut attachments = m.attachments.as_array().cloned().unwrap_or_default();
    let mut payload = m.payload.as_object().cloned().unwrap_or_default();
    let entry = payload
        .get_mut("channel")
        .and_then(|c| c.get_mut("media"))
        .and_then(|l| l.get_mut(r.index));
    let state = match &file {
        Ok(u) => {
            uploads::insert(tx, u, m.user_id.unwrap_or_default())?;
            attachments.push(json!({
                "name": u.name, "url": format!("/uploads/{}/{}", u.token, u.name),
                "type": u.content_type, "size": u.size,
            }));
            json!({ "name": u.name, "state": "stored" })
        }
        Err(why) => {
            let name = entry
                .as_ref()
                .and_then(|e| e.get("name").cloned())
                .unwrap_or(Value::String("file".into()));
            json!({ "name": name, "state": "left_out", "reason": why })
        }
    };
    if let Some(e) = entry {
        *e = state;
    }
    let m = messages::annotate(
        tx,
        m.id,
        &Value::Array(attachments).to_string(),
        &Value::Object(payload).to_string(),
    )?;
    let audience = if m.private {
        Audience::Staff
    } else {
        Audience::Everyone
    };
    tx.emit(
        "message.updated",
        Some(m.conversation_id),
        m.user_id,
        audience,
        json!({ "message": m.to_json() }),
    )?;
    Ok(file.is_ok())
}

/// Starts the fetcher thread (`serve`): it looks for due rows when woken
/// by an import, and at least every second (retries, rows left at a crash).
pub fn start(
    desk: Arc<Desk>,
    max_upload: usize,
    allow_private: bool,
    retry_base_ms: i64,
    stop: &'static AtomicBool,
) {
    let spawned = std::thread::Builder::new()
        .name("channel-media".into())
        .stack_size(1 << 20)
        .spawn(move || {
            let http = crate::delivery::platform_http::PlatformHttp::new(allow_private);
            while !stop.load(Ordering::SeqCst) {
                match desk.fetch_media(&http, max_upload, retry_base_ms) {
                    Ok(n) if n > 0 => continue,
                    Ok(_) => {}
                    Err(e) => log::warn!("media fetch: {e}"),
                }
                let mut woken = WAKE.0.lock().unwrap();
                if !*woken {
                    woken = WAKE.1.wait_timeout(woken, IDLE).unwrap().0;
                }
                *woken = false;
            }
        });
    if let Err(e) = spawned {
        log::error!("cannot start the media fetcher: {e}");
    }
}
