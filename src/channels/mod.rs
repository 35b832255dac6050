//! Messaging platforms (SMS and messaging apps): one module each, behind
//! one table (`PLATFORMS`), as webhook formats are. A platform module is
//! pure: it answers the platform's webhook handshake, verifies a request
//! over its raw bytes the way the platform signs it, reads the messages
//! and status reports in it, and says which HTTP requests send a message
//! or fetch a media file, through `Http`. It knows no store, no desk and
//! no HTTP client, so its tests need no server.
//!
//! Around it: `api/channels.rs` takes `/channels/<name>` and hands the
//! request here; `desk/channels.rs` imports what `parse` read (contacts by
//! platform identity, the open conversation, dedupe by provider id,
//! statuses); an agent's reply becomes a `channel` outbox row that
//! `delivery/channels.rs` sends with `send`, through the SSRF guard.

pub mod line;
pub mod messenger;
pub mod meta;
pub mod telegram;
pub mod twilio;
pub mod viber;
pub mod wechat;
pub mod whatsapp;

use crate::error::Result;
use serde_json::{Map, Value};

/// Every platform, by `name`.
pub const PLATFORMS: &[&Platform] = &[
    &twilio::PLATFORM,
    &whatsapp::PLATFORM,
    &messenger::PLATFORM,
    &telegram::PLATFORM,
    &viber::PLATFORM,
    &line::PLATFORM,
    &wechat::PLATFORM,
];

/// The platform named `name` (its setting `channels.<name>`, its route
/// `/channels/<name>`).
pub fn platform(name: &str) -> Option<&'static Platform> {
    PLATFORMS.iter().copied().find(|p| p.name == name)
}

/// The platform a route names, or `unknown_channel` (404).
pub fn named(name: &str) -> Result<&'static Platform> {
    platform(name).ok_or_else(|| crate::error::UNKNOWN_CHANNEL.err())
}

/// The platform that serves a Support Board source code (`tg`, `fb`, ...).
pub fn by_source(source: &str) -> Option<&'static Platform> {
    PLATFORMS
        .iter()
        .copied()
        .find(|p| p.sources.contains(&source))
}

/// What a platform can do.
pub struct Caps {
    /// Longest text of one message, in characters: the outbox splits
    /// longer text into several messages.
    pub max_text: usize,
    /// Whether files leave as media; if not, they leave as links in the text.
    pub media: bool,
    /// Hours after the customer's last message in which free text may be
    /// sent (WhatsApp: 24); outside it, only templates.
    pub reply_window_hours: Option<u32>,
    /// Whether the platform reports our messages delivered and read.
    pub statuses: bool,
    /// Whether it sends message templates (WhatsApp).
    pub templates: bool,
}

/// One field of the platform's setting `channels.<name>`, named as the
/// platform names it (`account_sid`, `bot_token`, ...). `api_base` is
/// always accepted and defaults to `Platform::api_base`.
pub struct Field {
    pub name: &'static str,
    /// Write-only: never read back through any API or export.
    pub secret: bool,
    pub required: bool,
}

pub struct Platform {
    /// `twilio`, `whatsapp`, `messenger`, `telegram`, `viber`, `line`, `wechat`.
    pub name: &'static str,
    /// What the inbox calls it.
    pub label: &'static str,
    /// Support Board's source codes of its conversations (`messenger`:
    /// `fb` and `ig`); the first is the default.
    pub sources: &'static [&'static str],
    pub fields: &'static [Field],
    /// The platform's real API host, e.g. `https://api.telegram.org`.
    pub api_base: &'static str,
    pub caps: Caps,
    /// A GET that verifies the webhook (Meta's `hub.challenge`, WeChat's
    /// `echostr`): the body to answer, or an error (403).
    pub handshake: Option<fn(&Config, &Inbound) -> Result<String>>,
    /// Whether the request is the platform's own: `error::CHANNEL_SIGNATURE`
    /// (403) if not. Runs before `parse`, over the raw bytes.
    pub verify: fn(&Config, &Inbound) -> Result<()>,
    /// The messages and status reports in a verified request; what the
    /// platform sends that is neither (a "user typing", a "subscribed")
    /// is left out. `error::CHANNEL_PAYLOAD` (400) if unreadable.
    pub parse: fn(&Config, &Inbound) -> Result<Vec<Event>>,
    /// What a verified webhook request is answered (content type, body):
    /// Twilio wants TwiML, WeChat the word `success`.
    pub ack: (&'static str, &'static str),
    /// Sends one message (text within `caps.max_text`, or a template).
    pub send: fn(&dyn Http, &Config, &Outgoing) -> Sent,
    /// Downloads one media file a message named.
    pub media: fn(&dyn Http, &Config, &MediaRef) -> std::result::Result<Fetched, String>,
    /// Tells the platform our inbound URL, where its API can (Telegram's
    /// `setWebhook`); None where only its console can (Meta, WeChat).
    pub register: Option<Register>,
}

/// `Platform::register`: the platform's answer to being told our URL.
pub type Register = fn(&dyn Http, &Config, &str) -> Sent;

/// The stored setting `channels.<name>`, secrets included, `api_base`
/// filled in.
#[derive(Clone, Debug, Default)]
pub struct Config(pub Map<String, Value>);

impl Config {
    /// The stored setting `channels.<name>` as the platform's config, or
    /// `channel_not_configured` when it is absent or misses a required field.
    pub fn of(p: &Platform, setting: Option<Value>) -> Result<Config> {
        let Some(Value::Object(mut m)) = setting else {
            return Err(crate::error::CHANNEL_NOT_CONFIGURED.err());
        };
        for f in p.fields.iter().filter(|f| f.required) {
            if m.get(f.name)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                return Err(crate::error::CHANNEL_NOT_CONFIGURED
                    .with(format!("channels.{} has no {}", p.name, f.name)));
            }
        }
        if m.get("api_base")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            m.insert("api_base".into(), Value::String(p.api_base.into()));
        }
        Ok(Config(m))
    }

    /// `of`, with our inbound URL (`inbound_url`) when the public URL is
    /// known.
    pub fn load(p: &Platform, setting: Option<Value>, public_url: &str) -> Result<Config> {
        let mut c = Config::of(p, setting)?;
        if !public_url.is_empty() {
            let url = format!("{}/channels/{}", public_url.trim_end_matches('/'), p.name);
            c.0.insert("inbound_url".into(), Value::String(url));
        }
        Ok(c)
    }

    /// A field as text ("" when absent).
    pub fn get(&self, key: &str) -> &str {
        self.0.get(key).and_then(Value::as_str).unwrap_or("")
    }

    /// Our inbound URL for this platform (`<public URL>/channels/<name>`),
    /// filled in by whoever builds the config when the public URL is
    /// known; "" otherwise. Twilio's `StatusCallback` names it.
    pub fn inbound_url(&self) -> &str {
        self.get("inbound_url")
    }

    /// The API base URL, without a trailing slash.
    pub fn api_base(&self) -> &str {
        self.get("api_base").trim_end_matches('/')
    }

    /// `text` with each of `p`'s secret fields in it (as stored, or
    /// percent-encoded as a URL carries it) hidden: a platform's error or
    /// answer may echo the URL we called, and Telegram's token is in its
    /// path. For anything kept or shown (attempts, reasons, events, logs).
    pub fn hide_secrets(&self, p: &Platform, text: &str) -> String {
        let mut out = text.to_string();
        for f in p.fields.iter().filter(|f| f.secret) {
            let secret = self.get(f.name);
            if secret.is_empty() {
                continue;
            }
            let encoded =
                percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
                    .to_string();
            out = out
                .replace(secret, "[hidden]")
                .replace(&encoded, "[hidden]");
        }
        out
    }
}

/// A request a platform sent us, as it arrived.
#[derive(Clone, Debug, Default)]
pub struct Inbound {
    /// The URL the platform requested, as it sees it (this server's public
    /// URL, the path and the query): Twilio signs it.
    pub url: String,
    pub query: Vec<(String, String)>,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Inbound {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as a JSON value.
    pub fn json(&self) -> Result<Value> {
        serde_json::from_slice(&self.body)
            .map_err(|e| crate::error::CHANNEL_PAYLOAD.with(format!("not JSON: {e}")))
    }

    /// The body as `application/x-www-form-urlencoded` pairs, in order.
    pub fn form(&self) -> Vec<(String, String)> {
        form_pairs(&self.body)
    }
}

/// `a=1&b=%20` as pairs (`+` is a space).
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    let dec = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8_lossy()
            .into_owned()
    };
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (dec(k), dec(v)),
            None => (dec(p), String::new()),
        })
        .collect()
}

/// Something a platform told us.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Message(InMessage),
    Status(StatusReport),
}

/// A customer's message.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InMessage {
    /// Support Board's source code (`tx`, `wa`, `fb`, `ig`, `tg`, `vb`, `ln`, `wc`).
    pub source: &'static str,
    /// The platform's id of this message: a repeated delivery is stored once.
    pub id: String,
    /// The customer's identity on the platform (phone number, chat id,
    /// PSID, user id): the contact is found or created by (source, from).
    pub from: String,
    /// Their name, when the platform tells it.
    pub first_name: String,
    pub last_name: String,
    /// Their phone number, when the platform tells it (SMS, WhatsApp).
    pub phone: Option<String>,
    pub text: String,
    pub media: Vec<MediaRef>,
    /// What a reply needs besides `from` (`chat_id`, `page_id`,
    /// `phone_number_id`, ...): kept in the conversation's extra data.
    pub extra: Map<String, Value>,
}

/// A media file a message names: the platform's id or URL of it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MediaRef {
    pub id: String,
    pub content_type: Option<String>,
    pub name: Option<String>,
}

/// A downloaded media file.
#[derive(Clone, Debug, Default)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub content_type: Option<String>,
    pub name: Option<String>,
}

/// What became of a message we sent, by the id the platform gave it.
#[derive(Clone, Debug, PartialEq)]
pub struct StatusReport {
    pub id: String,
    pub state: State,
    /// Why it failed, as the platform says.
    pub error: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Sent,
    Delivered,
    Read,
    Failed,
}

/// One message to send.
#[derive(Clone, Debug, Default)]
pub struct Outgoing {
    /// The customer's identity on the platform (`InMessage::from`), or the
    /// number/id an API caller named.
    pub to: String,
    /// The conversation's source code (`fb` or `ig` for `messenger`).
    pub source: String,
    /// The conversation's extra data (`InMessage::extra`).
    pub extra: Map<String, Value>,
    /// At most `caps.max_text` characters.
    pub text: String,
    /// Absolute, signed URLs; only when `caps.media` (else the links are in
    /// `text`).
    pub media: Vec<Link>,
    /// A template instead of text (WhatsApp).
    pub template: Option<Template>,
    /// Our message id, for platforms that carry one back (Messenger's
    /// `metadata`).
    pub reference: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct Link {
    pub name: String,
    pub url: String,
    pub content_type: String,
}

/// A WhatsApp message template.
#[derive(Clone, Debug, Default)]
pub struct Template {
    pub name: String,
    /// e.g. `en_US`.
    pub language: String,
    /// Header, body and button parameters, as Support Board's
    /// `whatsapp-send-template` gives them.
    pub header: Vec<String>,
    pub body: Vec<String>,
    pub buttons: Vec<String>,
}

/// What a send came to.
#[derive(Clone, Debug)]
pub enum Sent {
    /// The platform took it: its id(s) of the message (status reports name
    /// them) and its answer, as Support Board's functions return it.
    Ok { ids: Vec<String>, response: Value },
    Failed {
        status: Option<u16>,
        text: String,
        /// Temporary (connection failure, 429, 5xx): try again later.
        retry: bool,
    },
}

impl Sent {
    /// This outcome with `p`'s secrets hidden in the platform's words (the
    /// error text, the answer): what is kept, emitted or shown of a send.
    pub fn hide_secrets(self, p: &Platform, c: &Config) -> Sent {
        match self {
            Sent::Ok { ids, response } => {
                let text = c.hide_secrets(p, &response.to_string());
                Sent::Ok {
                    ids,
                    response: serde_json::from_str(&text).unwrap_or(response),
                }
            }
            Sent::Failed {
                status,
                text,
                retry,
            } => Sent::Failed {
                status,
                text: c.hide_secrets(p, &text),
                retry,
            },
        }
    }

    /// The usual reading of an answer: a 2xx is taken (with `ids` read
    /// from its JSON), a 429 or 5xx or no answer is retried, any other
    /// status is final.
    pub fn judge(
        answer: std::result::Result<Response, String>,
        ids: impl Fn(&Value) -> Vec<String>,
    ) -> Sent {
        match answer {
            Err(text) => Sent::Failed {
                status: None,
                text,
                retry: true,
            },
            Ok(r) => {
                let body: Value = serde_json::from_slice(&r.body)
                    .unwrap_or_else(|_| Value::String(r.text().chars().take(512).collect()));
                if (200..300).contains(&r.status) {
                    Sent::Ok {
                        ids: ids(&body),
                        response: body,
                    }
                } else {
                    Sent::Failed {
                        status: Some(r.status),
                        text: r.text().chars().take(512).collect(),
                        retry: r.status == 429 || r.status >= 500,
                    }
                }
            }
        }
    }
}

/// Sends a message that takes several calls (text, then files; parts of
/// a batch), in order, stopping at the first failure: every id and the
/// last answer. `sends` is lazy, so a call is made only once the one
/// before it went. A failure after a first call went out is final unless
/// `idempotent` (the platform drops what it already took, as LINE does
/// with a retry key): a retry would send that part twice.
pub fn in_order(sends: impl IntoIterator<Item = Sent>, idempotent: bool) -> Sent {
    let mut ids = Vec::new();
    let mut last = Value::Object(Map::new());
    for sent in sends {
        match sent {
            Sent::Ok { ids: got, response } => {
                ids.extend(got);
                last = response;
            }
            Sent::Failed {
                status,
                text,
                retry,
            } => {
                return Sent::Failed {
                    status,
                    text,
                    retry: retry && (idempotent || ids.is_empty()),
                }
            }
        }
    }
    Sent::Ok {
        ids,
        response: last,
    }
}

/// An HTTP request a platform module asks for.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// Largest answer body read, in bytes (more is an error).
    pub limit: usize,
}

impl Request {
    /// An API call: an answer of at most 1 MiB.
    pub fn new(method: &'static str, url: impl Into<String>, body: Body) -> Request {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body,
            limit: 1 << 20,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Request {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

#[derive(Clone, Debug)]
pub enum Body {
    None,
    Json(Value),
    /// `application/x-www-form-urlencoded`, in this order.
    Form(Vec<(String, String)>),
}

#[derive(Clone, Debug, Default)]
pub struct Response {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    /// Names in lower case: a redirect's `location` (the agent follows
    /// none), a file's `content-length`.
    pub headers: Vec<(String, String)>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// How platform modules reach the network: `delivery::platform_http`
/// (guarded, bounded); tests pass a recorder.
pub trait Http {
    /// The answer, whatever its status; `Err` when there was none
    /// (connection refused, timeout, body over `limit`).
    fn call(&self, req: Request) -> std::result::Result<Response, String>;
}

/// Equal, in time that does not depend on where they differ (signatures).
pub fn same(a: &[u8], b: &[u8]) -> bool {
    use hmac::Mac;
    // Compare through an HMAC's verify, which is constant-time.
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"frontporch-compare")
        .expect("HMAC takes any key length");
    mac.update(a);
    let tag_a = mac.finalize().into_bytes();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"frontporch-compare")
        .expect("HMAC takes any key length");
    mac.update(b);
    mac.verify_slice(&tag_a).is_ok()
}

/// HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A media file's name from the end of a URL or path, when it has one.
pub fn file_name(path: &str) -> Option<String> {
    let last = path.split(['?', '#']).next()?.rsplit('/').next()?;
    (!last.is_empty() && last.contains('.')).then(|| last.chars().take(100).collect())
}

#[cfg(test)]
pub mod testing {
    //! A recorder standing in for `Http` in platform modules' unit tests.
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    pub struct Recorder {
        pub requests: Mutex<Vec<Request>>,
        pub answers: Mutex<Vec<std::result::Result<Response, String>>>,
    }

    impl Recorder {
        /// Answers each call with the next of `answers` (then 200 `{}`).
        pub fn answering(answers: Vec<std::result::Result<Response, String>>) -> Recorder {
            Recorder {
                requests: Mutex::new(Vec::new()),
                answers: Mutex::new(answers.into_iter().rev().collect()),
            }
        }

        pub fn json(status: u16, v: Value) -> std::result::Result<Response, String> {
            Ok(Response {
                status,
                content_type: "application/json".into(),
                body: v.to_string().into_bytes(),
                headers: Vec::new(),
            })
        }
    }

    impl Http for Recorder {
        fn call(&self, req: Request) -> std::result::Result<Response, String> {
            self.requests.lock().unwrap().push(req);
            self.answers
                .lock()
                .unwrap()
                .pop()
                .unwrap_or_else(|| Recorder::json(200, serde_json::json!({})))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_sources_are_unique() {
        let mut names = std::collections::HashSet::new();
        let mut sources = std::collections::HashSet::new();
        for p in PLATFORMS {
            assert!(names.insert(p.name), "{} twice", p.name);
            for s in p.sources {
                assert!(sources.insert(*s), "{s} twice");
            }
            assert!(p.api_base.starts_with("https://"), "{}", p.name);
            assert!(p.caps.max_text > 0);
        }
    }

    #[test]
    fn config_needs_the_required_fields() {
        let p = &telegram::PLATFORM;
        assert!(Config::of(p, None).is_err());
        assert!(Config::of(p, Some(serde_json::json!({"bot_token": "1:a"}))).is_err());
        let c = Config::of(
            p,
            Some(serde_json::json!({"bot_token": "1:a", "secret_token": "s"})),
        )
        .unwrap();
        assert_eq!(c.api_base(), "https://api.telegram.org");
        assert!(named("fax").is_err());
    }

    #[test]
    fn secrets_are_hidden_in_platform_words() {
        let p = &telegram::PLATFORM;
        let c = Config::of(
            p,
            Some(serde_json::json!({"bot_token": "12:a-b", "secret_token": "s3c"})),
        )
        .unwrap();
        let said = "GET /bot12:a-b/getFile and /bot12%3Aa%2Db/x";
        assert_eq!(
            c.hide_secrets(p, said),
            "GET /bot[hidden]/getFile and /bot[hidden]/x"
        );
        let sent = Sent::Ok {
            ids: vec!["1".into()],
            response: serde_json::json!({"url": "/bot12:a-b/x", "secret": "s3c"}),
        }
        .hide_secrets(p, &c);
        let Sent::Ok { response, .. } = sent else {
            panic!()
        };
        assert_eq!(
            response,
            serde_json::json!({"url": "/bot[hidden]/x", "secret": "[hidden]"})
        );
    }

    #[test]
    fn parts_go_in_order_and_a_partial_failure_is_final() {
        let ok = |id: &str| Sent::Ok {
            ids: vec![id.into()],
            response: serde_json::json!({ "id": id }),
        };
        let down = || Sent::Failed {
            status: Some(503),
            text: "later".into(),
            retry: true,
        };
        let Sent::Ok { ids, response } = in_order([ok("a"), ok("b")], false) else {
            panic!()
        };
        assert_eq!(
            (ids, response["id"].clone()),
            (vec!["a".into(), "b".into()], "b".into())
        );
        assert!(matches!(
            in_order([down()], false),
            Sent::Failed { retry: true, .. }
        ));
        assert!(matches!(
            in_order([ok("a"), down()], false),
            Sent::Failed { retry: false, .. }
        ));
        assert!(matches!(
            in_order([ok("a"), down()], true),
            Sent::Failed { retry: true, .. }
        ));
        // Lazy: nothing after a failure is attempted.
        let mut made = 0;
        let calls = (0..3).map(|i| {
            made += 1;
            if i == 1 {
                down()
            } else {
                ok("x")
            }
        });
        in_order(calls, false);
        assert_eq!(made, 2);
    }

    #[test]
    fn form_pairs_decode() {
        assert_eq!(
            form_pairs(b"Body=Hi+there%21&From=%2B15551234567&Empty="),
            vec![
                ("Body".to_string(), "Hi there!".to_string()),
                ("From".to_string(), "+15551234567".to_string()),
                ("Empty".to_string(), String::new()),
            ]
        );
    }

    #[test]
    fn same_compares() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
    }
}
