//! `POST /v1/messages/inbox` (the external channel: a client's message in)
//! and `GET /v1/messages` (a client's or a dialog's messages).

use super::{records, transport};
use crate::api::auth::Caller;
use crate::api::rest::sign_message;
use crate::api::Reply;
use crate::app::App;
use crate::desk::chat2desk::Inbox;
use crate::desk::conversations::Conversation;
use crate::desk::messages::Message;
use crate::error::{self, Result};
use crate::http::ratelimit::CHANNEL_PER_IP;
use crate::http::request::Ctx;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// Largest inbox request body: a message is text and a few links.
const MAX_INBOX_BODY: usize = 64 * 1024;
/// Messages `GET /v1/messages` reads back through, at most.
const MAX_SCAN: usize = 5000;

/// An id as Chat2Desk clients send it: a string or a number.
#[derive(Deserialize)]
#[serde(untagged)]
enum Id {
    S(String),
    N(serde_json::Number),
}

impl Id {
    fn text(self) -> String {
        match self {
            Id::S(s) => s,
            Id::N(n) => n.to_string(),
        }
    }
}

/// `from_client` as real clients nest the sender.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FromClient {
    id: Option<Id>,
    phone: Option<Id>,
    nickname: Option<String>,
    avatar: Option<String>,
}

/// The inbox body: the manual's top-level `id`/`phone`/`nickname`/`avatar`
/// and the clients' `from_client`, `body` or `text`; the fields clients
/// send that we do not use are accepted and ignored (`channel_id`: ours is
/// always 1; `transport` must be `external`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InboxBody {
    body: Option<String>,
    text: Option<String>,
    from_client: Option<FromClient>,
    id: Option<Id>,
    phone: Option<Id>,
    nickname: Option<String>,
    avatar: Option<String>,
    external_id: Option<Id>,
    #[allow(dead_code)]
    channel_id: Option<Value>,
    transport: Option<String>,
    attachment: Option<String>,
    #[allow(dead_code)]
    attachment_filename: Option<String>,
    image: Option<String>,
    video: Option<String>,
    location: Option<Value>,
    extra_data: Option<Map<String, Value>>,
    #[allow(dead_code)]
    client_phone: Option<Value>,
    #[allow(dead_code)]
    custom_fields: Option<Value>,
}

/// One of two places a field may be in; both must agree.
fn one_of<T: PartialEq>(field: &str, a: Option<T>, b: Option<T>) -> Result<Option<T>> {
    match (a, b) {
        (Some(a), Some(b)) if a != b => {
            Err(error::INVALID_FIELD.with(format!("{field} is sent twice with different values")))
        }
        (a, b) => Ok(a.or(b)),
    }
}

/// `[lat, lon]` (numbers or strings) or `{latitude, longitude}` / `{lat, lon}`.
fn location(v: &Value) -> Result<(f64, f64)> {
    let num = |v: &Value| {
        v.as_f64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    };
    let pair = match v {
        Value::Array(a) if a.len() == 2 => num(&a[0]).zip(num(&a[1])),
        Value::Object(o) => {
            let get = |a: &str, b: &str| o.get(a).or_else(|| o.get(b)).and_then(num);
            get("latitude", "lat").zip(get("longitude", "lon"))
        }
        _ => None,
    };
    pair.ok_or_else(|| error::INVALID_FIELD.with("location must be [latitude, longitude]"))
}

fn read_inbox(b: InboxBody) -> Result<Inbox> {
    if b.transport.as_deref().is_some_and(|t| t != "external") {
        return Err(error::INVALID_FIELD.with("transport must be external"));
    }
    let from = b.from_client.unwrap_or_default();
    let text = one_of("body", b.body, b.text)?.unwrap_or_default();
    let external_id = match b.external_id {
        Some(e) => Some(e.text()),
        None => b
            .extra_data
            .as_ref()
            .and_then(|x| x.get("external_id"))
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }),
    };
    let mut links = Vec::new();
    for (kind, url) in [
        ("attachment", b.attachment),
        ("image", b.image),
        ("video", b.video),
    ] {
        if let Some(u) = url.filter(|u| !u.trim().is_empty()) {
            links.push((kind.to_string(), u));
        }
    }
    Ok(Inbox {
        id: one_of("id", from.id.map(Id::text), b.id.map(Id::text))?,
        phone: one_of("phone", from.phone.map(Id::text), b.phone.map(Id::text))?,
        nickname: one_of("nickname", from.nickname, b.nickname)?,
        avatar: one_of("avatar", from.avatar, b.avatar)?,
        text,
        external_id,
        links,
        location: b
            .location
            .filter(|l| !l.is_null())
            .map(|l| location(&l))
            .transpose()?,
    })
}

/// `POST /v1/messages/inbox`: the client's message, answered as
/// Chat2Desk's `messages (POST)` answers (a repeated `external_id`
/// answers the first one's ids and stores nothing).
pub(super) fn inbox(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    transport::answer((|| {
        app.limits
            .check(&format!("c2d:{}", ctx.ip), CHANNEL_PER_IP)?;
        let actor = transport::actor(app, ctx)?;
        if ctx.body.len() > MAX_INBOX_BODY {
            return Err(error::BODY_TOO_LARGE.with("messages/inbox takes at most 64 KiB"));
        }
        let input = read_inbox(ctx.json::<InboxBody>()?)?;
        let done = app.desk.c2d_inbox(&actor, input)?;
        Ok(transport::success(json!({
            "message_id": done.message_id,
            "client_id": done.client_id,
            "dialog_id": done.conversation_id,
            "request_id": done.conversation_id,
            "channel_id": records::CHANNEL_ID,
            "transport": "external",
            "type": "from_client",
        })))
    })())
}

/// `GET /v1/messages?client_id=&dialog_id=&limit=&offset=&order=`: the
/// messages of a dialog (conversation), or of every conversation of a
/// client, newest first (`order=asc`: oldest first); `meta.total` counts
/// at most the newest 5000.
pub(super) fn list(app: &App, ctx: &Ctx, _: &Caller, _: &[i64]) -> Result<Reply> {
    transport::answer((|| {
        let actor = transport::actor(app, ctx)?;
        let (limit, offset) = ctx.page(20, 200)?;
        let client = ctx.q_i64("client_id")?;
        let dialog = ctx.q_i64("dialog_id")?.or(ctx.q_i64("request_id")?);
        let asc = match ctx.q("order") {
            None | Some("desc") => false,
            Some("asc") => true,
            Some(_) => return Err(error::INVALID_PARAMETER.with("order must be asc or desc")),
        };
        let conversations = match (dialog, client) {
            (Some(d), c) => {
                let conv = app.desk.conversation(&actor, d)?;
                if c.is_some_and(|c| c != conv.user_id) {
                    Vec::new()
                } else {
                    vec![conv]
                }
            }
            (None, Some(c)) => app
                .desk
                .c2d_requests_of(&actor, c)?
                .into_iter()
                .map(|id| app.desk.conversation(&actor, id))
                .collect::<Result<Vec<_>>>()?,
            (None, None) => {
                return Err(error::INVALID_PARAMETER.with("send client_id or dialog_id"))
            }
        };
        let mut all = Vec::new();
        for conv in &conversations {
            if all.len() >= MAX_SCAN {
                break;
            }
            let page = app
                .desk
                .history(&actor, conv.id, None, (MAX_SCAN - all.len()) as i64)?;
            all.extend(
                page.into_iter()
                    .filter(|m| m.deleted_at.is_none())
                    .map(|m| (m, conv)),
            );
        }
        all.sort_by_key(|(m, _)| std::cmp::Reverse(m.id));
        if asc {
            all.reverse();
        }
        let total = all.len();
        let data = all
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|(m, conv)| render(app, &m, conv))
            .collect();
        Ok(transport::page(data, total, limit, offset))
    })())
}

/// A message in Chat2Desk's shape, its file links signed as REST signs them.
fn render(app: &App, m: &Message, conv: &Conversation) -> Value {
    let mut full = json!({ "attachments": m.attachments, "sender": null });
    sign_message(app, &mut full);
    records::message(m, conv, &full["attachments"])
}

/// Bounded fuzzing of the inbox reader and the desk's check: whatever
/// arrives, the answer is a message to import or a 4xx, never a panic.
#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn field() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| json!(f)),
            ".{0,40}".prop_map(Value::from),
            "(https?://)?[a-z./ ]{0,20}".prop_map(Value::from),
            prop::collection::vec(".{0,8}", 0..3).prop_map(|v| json!(v)),
            (any::<f64>(), any::<f64>()).prop_map(|(a, b)| json!({ "lat": a, "lon": b })),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn any_inbox_body_is_a_message_or_a_4xx(
            keys in prop::collection::vec(prop_oneof![
                Just("body"), Just("text"), Just("id"), Just("phone"), Just("nickname"),
                Just("avatar"), Just("external_id"), Just("image"), Just("video"),
                Just("attachment"), Just("location"), Just("transport"), Just("channel_id"),
                Just("from_client"), Just("extra_data"), Just("other"),
            ], 0..8),
            values in prop::collection::vec(field(), 8),
        ) {
            let mut body = serde_json::Map::new();
            for (k, v) in keys.iter().zip(values) {
                body.insert(k.to_string(), v);
            }
            if let Ok(b) = serde_json::from_value::<InboxBody>(Value::Object(body)) {
                if let Err(e) = read_inbox(b).and_then(crate::desk::chat2desk::check_inbox) {
                    prop_assert_eq!(e.kind, crate::error::Kind::BadRequest);
                }
            }
        }
    }
}
