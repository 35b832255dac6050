//! Twilio Programmable Messaging (SMS, MMS; WhatsApp through Twilio works
//! the same way with `whatsapp:` addresses). Followed:
//! - webhooks: https://www.twilio.com/docs/messaging/guides/webhook-request
//!   (form-encoded `MessageSid`, `From`, `To`, `Body`, `NumMedia`,
//!   `MediaUrl{N}`, `MediaContentType{N}`, `ProfileName`), answered with
//!   empty TwiML;
//! - signatures: https://www.twilio.com/docs/usage/webhooks/webhooks-security
//!   (`X-Twilio-Signature` = base64 HMAC-SHA1, keyed by the auth token,
//!   of the URL Twilio called followed by every POST parameter's name and
//!   value, sorted by name);
//! - status callbacks: https://www.twilio.com/docs/messaging/guides/track-outbound-message-status
//!   (`MessageSid`, `MessageStatus`, `ErrorCode`), which come to the same
//!   URL because every send names it as `StatusCallback`;
//! - sending: https://www.twilio.com/docs/messaging/api/message-resource
//!   (`POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP Basic
//!   `AccountSid:AuthToken`, form `To`, `From` or `MessagingServiceSid`,
//!   `Body`, `MediaUrl` repeated, at most 10; errors as JSON `code`,
//!   `message`, `more_info`).

use super::*;
use crate::error;
use base64::Engine;
use serde_json::json;

pub const PLATFORM: Platform = Platform {
    name: "twilio",
    label: "Twilio",
    sources: &["tx"],
    fields: &[
        Field {
            name: "account_sid",
            secret: false,
            required: true,
        },
        Field {
            name: "auth_token",
            secret: true,
            required: true,
        },
        // A phone number (E.164, or `whatsapp:+...`) or a Messaging
        // Service SID (`MG...`).
        Field {
            name: "from",
            secret: false,
            required: true,
        },
    ],
    api_base: "https://api.twilio.com",
    caps: Caps {
        max_text: 1600,
        media: true,
        reply_window_hours: None,
        statuses: true,
        templates: false,
    },
    handshake: None,
    verify,
    parse,
    ack: (
        "text/xml",
        r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#,
    ),
    send,
    media,
    register: Some(register),
};

/// Twilio takes at most 10 `MediaUrl` per message.
const MEDIA_PER_MESSAGE: usize = 10;

/// The extra key of the number the customer wrote to: replies leave from
/// it (a customer who texted one of several numbers, or a `whatsapp:`
/// sender, is answered from that number), unless `from` is a Messaging
/// Service, which picks its own sender.
const OUR_NUMBER: &str = "twilio_number";

/// The documented signature: base64(HMAC-SHA1(auth token, URL + each
/// parameter's name and value, sorted by name)).
pub fn signature(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    use hmac::Mac;
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac =
        hmac::Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes()).expect("any key length");
    mac.update(url.as_bytes());
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn verify(c: &Config, r: &Inbound) -> Result<()> {
    let token = c.get("auth_token");
    let got = r.header("x-twilio-signature").unwrap_or("");
    if token.is_empty() || got.is_empty() {
        return Err(error::CHANNEL_SIGNATURE.err());
    }
    let params = r.form();
    let ok = url_forms(&r.url)
        .iter()
        .any(|u| same(signature(token, u, &params).as_bytes(), got.as_bytes()));
    if ok {
        Ok(())
    } else {
        Err(error::CHANNEL_SIGNATURE.err())
    }
}

/// The URL as called, and with the scheme's default port added or
/// removed: Twilio's own validators accept both, because a proxy in front
/// may or may not have kept the port Twilio signed with.
fn url_forms(url: &str) -> Vec<String> {
    let mut forms = vec![url.to_string()];
    let Some((scheme, rest)) = url.split_once("://") else {
        return forms;
    };
    let default = match scheme {
        "https" => "443",
        "http" => "80",
        _ => return forms,
    };
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(split);
    let other = match authority.rsplit_once(':') {
        Some((host, port)) if port == default => host.to_string(),
        Some((_, port)) if port.bytes().all(|b| b.is_ascii_digit()) => return forms,
        _ => format!("{authority}:{default}"),
    };
    forms.push(format!("{scheme}://{other}{tail}"));
    forms
}

/// An incoming message, or a status callback of a message we sent.
fn parse(_: &Config, r: &Inbound) -> Result<Vec<Event>> {
    let form = r.form();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let sid = field("MessageSid");
    let sid = if sid.is_empty() { field("SmsSid") } else { sid };
    if sid.is_empty() {
        return Err(error::CHANNEL_PAYLOAD.with("MessageSid is missing"));
    }
    let status = match field("MessageStatus") {
        "" => field("SmsStatus"),
        s => s,
    };
    if !matches!(status, "" | "received" | "receiving") {
        return Ok(status_report(sid, status, field("ErrorCode"))
            .map(Event::Status)
            .into_iter()
            .collect());
    }
    let from = field("From");
    if from.is_empty() {
        return Err(error::CHANNEL_PAYLOAD.with("From is missing"));
    }
    let count: usize = field("NumMedia").parse().unwrap_or(0);
    // Twilio sends at most 10; more would be a forgery the signature let
    // through, or a change we do not know yet.
    let media = (0..count.min(MEDIA_PER_MESSAGE))
        .filter_map(|i| {
            let url = field(&format!("MediaUrl{i}"));
            let ct = field(&format!("MediaContentType{i}"));
            (!url.is_empty()).then(|| MediaRef {
                id: url.to_string(),
                content_type: (!ct.is_empty()).then(|| ct.to_string()),
                name: None,
            })
        })
        .collect::<Vec<_>>();
    let text = field("Body");
    if text.is_empty() && media.is_empty() {
        return Ok(Vec::new());
    }
    let mut extra = Map::new();
    let to = field("To");
    if !to.is_empty() {
        extra.insert(OUR_NUMBER.into(), json!(to));
    }
    let phone = from.strip_prefix("whatsapp:").unwrap_or(from);
    Ok(vec![Event::Message(InMessage {
        source: "tx",
        id: sid.to_string(),
        from: from.to_string(),
        // WhatsApp senders have a profile name; SMS senders none.
        first_name: field("ProfileName").to_string(),
        last_name: String::new(),
        phone: phone.starts_with('+').then(|| phone.to_string()),
        text: text.to_string(),
        media,
        extra,
    })])
}

/// `MessageStatus` values: https://www.twilio.com/docs/messaging/api/message-resource#message-status-values
fn status_report(sid: &str, status: &str, error_code: &str) -> Option<StatusReport> {
    let state = match status {
        "accepted" | "scheduled" | "queued" | "sending" | "sent" => State::Sent,
        "delivered" => State::Delivered,
        "read" => State::Read,
        "undelivered" | "failed" | "canceled" => State::Failed,
        _ => return None,
    };
    let error = (state == State::Failed).then(|| match error_code {
        "" => format!("Twilio: {status}"),
        code => {
            format!("Twilio: {status}, error {code} (https://www.twilio.com/docs/errors/{code})")
        }
    });
    Some(StatusReport {
        id: sid.to_string(),
        state,
        error,
    })
}

fn basic_auth(c: &Config) -> String {
    let pair = format!("{}:{}", c.get("account_sid"), c.get("auth_token"));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

fn messages_url(c: &Config) -> String {
    let sid = c.get("account_sid");
    let sid = percent_encoding::utf8_percent_encode(sid, percent_encoding::NON_ALPHANUMERIC);
    format!("{}/2010-04-01/Accounts/{sid}/Messages.json", c.api_base())
}

/// One Messages.json request per 10 files (the text with the first).
fn send(http: &dyn Http, c: &Config, m: &Outgoing) -> Sent {
    let mut chunks: Vec<&[Link]> = m.media.chunks(MEDIA_PER_MESSAGE).collect();
    if chunks.is_empty() {
        chunks.push(&[]);
    }
    let sends = chunks.into_iter().enumerate().map(|(i, files)| {
        let text = if i == 0 { m.text.as_str() } else { "" };
        let req = Request::new("POST", messages_url(c), Body::Form(form(c, m, text, files)))
            .header("authorization", basic_auth(c));
        judge(http.call(req))
    });
    in_order(sends, false)
}

fn form(c: &Config, m: &Outgoing, text: &str, files: &[Link]) -> Vec<(String, String)> {
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    let mut f = vec![pair("To", &m.to)];
    let from = c.get("from");
    let ours = m.extra.get(OUR_NUMBER).and_then(Value::as_str);
    if from.starts_with("MG") {
        f.push(pair("MessagingServiceSid", from));
    } else {
        f.push(pair("From", ours.filter(|n| !n.is_empty()).unwrap_or(from)));
    }
    if !text.is_empty() {
        f.push(pair("Body", text));
    }
    for l in files {
        f.push(pair("MediaUrl", &l.url));
    }
    if !c.inbound_url().is_empty() {
        f.push(pair("StatusCallback", c.inbound_url()));
    }
    f
}

/// `Sent::judge` of a Message resource (its `sid` the id). A failure's
/// text is Twilio's error JSON as it came (`code`, `message`, `more_info`,
/// `status`): Support Board's `send-sms` answers it as Twilio did.
fn judge(answer: std::result::Result<Response, String>) -> Sent {
    match Sent::judge(answer, |v| {
        v["sid"]
            .as_str()
            .map(|s| vec![s.to_string()])
            .unwrap_or_default()
    }) {
        Sent::Ok { ids, .. } if ids.is_empty() => Sent::Failed {
            status: None,
            text: "Twilio's answer has no sid".into(),
            retry: false,
        },
        other => other,
    }
}

/// Points the `from` number's incoming messages at our URL
/// (https://www.twilio.com/docs/phone-numbers/api/incomingphonenumber-resource):
/// the number's sid by `PhoneNumber`, then its `SmsUrl` (POST). A
/// Messaging Service's inbound URL is set on messaging.twilio.com, another
/// API: that one is left to Twilio's console.
fn register(http: &dyn Http, c: &Config, url: &str) -> Sent {
    let number = c.get("from");
    if !number.starts_with('+') {
        return Sent::Failed {
            status: None,
            text: format!("set the inbound URL of {number} in Twilio's console"),
            retry: false,
        };
    }
    let numbers = format!(
        "{}/2010-04-01/Accounts/{}/IncomingPhoneNumbers",
        c.api_base(),
        percent_encoding::utf8_percent_encode(
            c.get("account_sid"),
            percent_encoding::NON_ALPHANUMERIC
        )
    );
    let query = format!(
        "{numbers}.json?PhoneNumber={}",
        percent_encoding::utf8_percent_encode(number, percent_encoding::NON_ALPHANUMERIC)
    );
    let found = match Sent::judge(
        http.call(Request::new("GET", query, Body::None).header("authorization", basic_auth(c))),
        |v| {
            v["incoming_phone_numbers"][0]["sid"]
                .as_str()
                .map(|s| vec![s.to_string()])
                .unwrap_or_default()
        },
    ) {
        Sent::Ok { ids, .. } if !ids.is_empty() => ids[0].clone(),
        Sent::Ok { .. } => {
            return Sent::Failed {
                status: None,
                text: format!("{number} is not a number of this Twilio account"),
                retry: false,
            }
        }
        failed => return failed,
    };
    let form = vec![
        ("SmsUrl".to_string(), url.to_string()),
        ("SmsMethod".to_string(), "POST".to_string()),
    ];
    judge(
        http.call(
            Request::new("POST", format!("{numbers}/{found}.json"), Body::Form(form))
                .header("authorization", basic_auth(c)),
        ),
    )
}

/// A `MediaUrl`: Basic auth when it is on the API's host (Twilio may
/// require it for media), then one redirect followed by hand, because the
/// guarded agent follows none and Twilio answers media URLs with a
/// redirect to its CDN (a pre-signed URL: no credentials sent there).
fn media(http: &dyn Http, c: &Config, f: &MediaRef) -> std::result::Result<Fetched, String> {
    let mut req = Request::new("GET", f.id.clone(), Body::None);
    if f.id.starts_with(&format!("{}/", c.api_base())) {
        req = req.header("authorization", basic_auth(c));
    }
    req.limit = usize::MAX;
    let mut file = http.call(req)?;
    if (300..400).contains(&file.status) {
        let to = file
            .header("location")
            .ok_or_else(|| format!("Twilio answered {} without a Location", file.status))?;
        let mut again = Request::new("GET", absolute(&f.id, to), Body::None);
        again.limit = usize::MAX;
        file = http.call(again)?;
    }
    if file.status != 200 {
        return Err(format!("the media URL answered {}", file.status));
    }
    let name = file_name(&f.id).or_else(|| {
        let ct = f.content_type.as_deref().unwrap_or(&file.content_type);
        let ext = ct.split(['/', ';']).nth(1).unwrap_or("bin").trim();
        Some(format!("media.{ext}"))
    });
    Ok(Fetched {
        content_type: f.content_type.clone().or(Some(file.content_type)),
        bytes: file.body,
        name,
    })
}

/// A `Location` made absolute against the URL it answered.
fn absolute(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let origin_end = base
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| base[start..].find('/').map(|j| start + j))
        .unwrap_or(base.len());
    if location.starts_with('/') {
        format!("{}{location}", &base[..origin_end])
    } else {
        let dir = &base[..base
            .rfind('/')
            .filter(|&i| i >= origin_end)
            .unwrap_or(base.len())];
        format!("{dir}/{location}")
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::Recorder;
    use super::*;

    fn config() -> Config {
        let mut m = Map::new();
        m.insert(
            "account_sid".into(),
            json!("ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
        );
        m.insert("auth_token".into(), json!("12345"));
        m.insert("from".into(), json!("+15104564545"));
        m.insert("api_base".into(), json!("http://127.0.0.1:9/"));
        Config(m)
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn encode(p: &[(String, String)]) -> Vec<u8> {
        let enc = |s: &str| {
            percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
        };
        p.iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&")
            .into_bytes()
    }

    fn post(url: &str, params: &[(String, String)], sig: &str) -> Inbound {
        Inbound {
            url: url.into(),
            headers: vec![("x-twilio-signature".into(), sig.into())],
            body: encode(params),
            ..Default::default()
        }
    }

    /// Twilio's documented example (webhooks-security): this URL, these
    /// parameters and auth token 12345 sign as 0/KCTR6DLpKmkAf8muzZqo1nDgQ=.
    fn documented() -> (&'static str, Vec<(String, String)>) {
        (
            "https://mycompany.com/myapp.php?foo=1&bar=2",
            pairs(&[
                ("CallSid", "CA1234567890ABCDE"),
                ("Caller", "+12349013030"),
                ("Digits", "1234"),
                ("From", "+12349013030"),
                ("To", "+18005551212"),
            ]),
        )
    }

    #[test]
    fn the_documented_signature() {
        let (url, mut params) = documented();
        assert_eq!(
            signature("12345", url, &params),
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        );
        // The order the form came in does not matter: names are sorted.
        params.reverse();
        let c = config();
        assert!(verify(&c, &post(url, &params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")).is_ok());
        // Twilio signs with :443 or without; either is accepted.
        let with_port = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
        assert!(verify(
            &c,
            &post(with_port, &params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
        )
        .is_ok());
    }

    #[test]
    fn a_wrong_signature_is_refused() {
        let (url, params) = documented();
        let c = config();
        let good = "0/KCTR6DLpKmkAf8muzZqo1nDgQ=";
        // Another URL, a changed parameter, no header, another token.
        assert!(verify(&c, &post("https://mycompany.com/myapp.php", &params, good)).is_err());
        let mut changed = params.clone();
        changed[2].1 = "9999".into();
        assert!(verify(&c, &post(url, &changed, good)).is_err());
        assert!(verify(&c, &post(url, &params, "")).is_err());
        let mut other = config();
        other.0.insert("auth_token".into(), json!("54321"));
        assert!(verify(&other, &post(url, &params, good)).is_err());
        assert!(verify(&Config::default(), &post(url, &params, good)).is_err());
    }

    #[test]
    fn url_forms_add_or_drop_the_default_port() {
        assert_eq!(
            url_forms("https://a.example/x?y=1"),
            vec!["https://a.example/x?y=1", "https://a.example:443/x?y=1"]
        );
        assert_eq!(
            url_forms("http://a.example:80/x"),
            vec!["http://a.example:80/x", "http://a.example/x"]
        );
        assert_eq!(
            url_forms("http://127.0.0.1:8080/x"),
            vec!["http://127.0.0.1:8080/x"]
        );
    }

    fn inbound(params: &[(&str, &str)]) -> Inbound {
        Inbound {
            body: encode(&pairs(params)),
            ..Default::default()
        }
    }

    #[test]
    fn an_sms_with_emoji() {
        let ev = parse(
            &config(),
            &inbound(&[
                ("ToCountry", "US"),
                ("SmsMessageSid", "SM0123456789abcdef0123456789abcdef"),
                ("NumMedia", "0"),
                ("SmsSid", "SM0123456789abcdef0123456789abcdef"),
                ("SmsStatus", "received"),
                ("Body", "Grüße aus Köln 🚲"),
                ("To", "+15104564545"),
                ("NumSegments", "1"),
                ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
                ("AccountSid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
                ("From", "+15305431221"),
                ("ApiVersion", "2010-04-01"),
            ]),
        )
        .unwrap();
        let Event::Message(m) = &ev[0] else { panic!() };
        assert_eq!(m.source, "tx");
        assert_eq!(m.id, "SM0123456789abcdef0123456789abcdef");
        assert_eq!(m.from, "+15305431221");
        assert_eq!(m.phone.as_deref(), Some("+15305431221"));
        assert_eq!(m.text, "Grüße aus Köln 🚲");
        assert!(m.media.is_empty());
        assert_eq!(m.extra[OUR_NUMBER], "+15104564545");
    }

    #[test]
    fn an_mms_names_its_media() {
        let url0 = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1";
        let ev = parse(
            &config(),
            &inbound(&[
                ("MessageSid", "MM1"),
                ("From", "whatsapp:+447700900123"),
                ("To", "whatsapp:+14155238886"),
                ("ProfileName", "Zoë"),
                ("Body", ""),
                ("NumMedia", "2"),
                ("MediaUrl0", url0),
                ("MediaContentType0", "image/jpeg"),
                ("MediaUrl1", "https://api.twilio.com/x/ME2"),
                ("MediaContentType1", "application/pdf"),
            ]),
        )
        .unwrap();
        let Event::Message(m) = &ev[0] else { panic!() };
        assert_eq!(m.media.len(), 2);
        assert_eq!(m.media[0].id, url0);
        assert_eq!(m.media[0].content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(m.first_name, "Zoë");
        assert_eq!(m.phone.as_deref(), Some("+447700900123"));
        assert_eq!(m.from, "whatsapp:+447700900123");
    }

    #[test]
    fn status_callbacks() {
        let report = |status: &str, code: &str| {
            let mut p = vec![
                ("MessageSid", "SM1"),
                ("SmsSid", "SM1"),
                ("MessageStatus", status),
                ("SmsStatus", status),
                ("From", "+15104564545"),
                ("To", "+15305431221"),
            ];
            if !code.is_empty() {
                p.push(("ErrorCode", code));
            }
            parse(&config(), &inbound(&p)).unwrap()
        };
        let one = |ev: Vec<Event>| match &ev[..] {
            [Event::Status(s)] => s.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(one(report("delivered", "")).state, State::Delivered);
        assert_eq!(one(report("read", "")).state, State::Read);
        assert_eq!(one(report("queued", "")).state, State::Sent);
        let failed = one(report("undelivered", "30003"));
        assert_eq!((failed.id.as_str(), failed.state), ("SM1", State::Failed));
        assert!(failed.error.unwrap().contains("30003"));
        assert!(report("some-new-status", "").is_empty());
        // No sid: unreadable.
        assert!(parse(&config(), &inbound(&[("Body", "x")])).is_err());
    }

    #[test]
    fn send_request() {
        let http = Recorder::answering(vec![Recorder::json(
            201,
            json!({"sid": "SM1f0e8ae6ade43cb3c0ce4525424e404f", "status": "queued",
                   "to": "+15305431221", "from": "+15104564545", "body": "Hello"}),
        )]);
        let mut c = config();
        c.0.insert(
            "inbound_url".into(),
            json!("https://chat.example/channels/twilio"),
        );
        let out = Outgoing {
            to: "+15305431221".into(),
            text: "Hello 👋".into(),
            media: vec![Link {
                name: "a.png".into(),
                url: "https://chat.example/uploads/t/a.png?exp=1&sig=s".into(),
                content_type: "image/png".into(),
            }],
            ..Default::default()
        };
        let Sent::Ok { ids, response } = send(&http, &c, &out) else {
            panic!()
        };
        assert_eq!(ids, vec!["SM1f0e8ae6ade43cb3c0ce4525424e404f"]);
        // The resource, whole, as Support Board's send-sms returns it.
        assert_eq!(response["status"], "queued");
        let req = &http.requests.lock().unwrap()[0];
        assert_eq!(req.method, "POST");
        assert_eq!(
            req.url,
            "http://127.0.0.1:9/2010-04-01/Accounts/ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Messages.json"
        );
        let auth = base64::engine::general_purpose::STANDARD
            .encode("ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:12345");
        assert_eq!(
            req.headers,
            vec![("authorization".to_string(), format!("Basic {auth}"))]
        );
        let Body::Form(f) = &req.body else { panic!() };
        assert_eq!(
            f,
            &pairs(&[
                ("To", "+15305431221"),
                ("From", "+15104564545"),
                ("Body", "Hello 👋"),
                (
                    "MediaUrl",
                    "https://chat.example/uploads/t/a.png?exp=1&sig=s"
                ),
                ("StatusCallback", "https://chat.example/channels/twilio"),
            ])
        );
    }

    #[test]
    fn replies_leave_from_the_number_written_to_or_the_service() {
        let mut extra = Map::new();
        extra.insert(OUR_NUMBER.into(), json!("whatsapp:+14155238886"));
        let out = Outgoing {
            to: "whatsapp:+447700900123".into(),
            extra,
            text: "Hi".into(),
            ..Default::default()
        };
        let f = form(&config(), &out, "Hi", &[]);
        assert!(f.contains(&("From".into(), "whatsapp:+14155238886".into())));
        let mut c = config();
        c.0.insert("from".into(), json!("MG9752274e9e519418a7406176694466fa"));
        let f = form(&c, &out, "Hi", &[]);
        assert!(f.contains(&(
            "MessagingServiceSid".into(),
            "MG9752274e9e519418a7406176694466fa".into()
        )));
        assert!(!f.iter().any(|(k, _)| k == "From" || k == "StatusCallback"));
    }

    #[test]
    fn eleven_files_make_two_messages() {
        let http = Recorder::answering(vec![
            Recorder::json(201, json!({"sid": "MM1"})),
            Recorder::json(201, json!({"sid": "MM2"})),
        ]);
        let link = Link {
            name: "f.jpg".into(),
            url: "https://chat.example/f.jpg".into(),
            content_type: "image/jpeg".into(),
        };
        let out = Outgoing {
            to: "+15305431221".into(),
            text: "Photos".into(),
            media: vec![link; 11],
            ..Default::default()
        };
        let Sent::Ok { ids, .. } = send(&http, &config(), &out) else {
            panic!()
        };
        assert_eq!(ids, vec!["MM1", "MM2"]);
        let reqs = http.requests.lock().unwrap();
        let count = |i: usize, k: &str| {
            let Body::Form(f) = &reqs[i].body else {
                panic!()
            };
            f.iter().filter(|(n, _)| n == k).count()
        };
        assert_eq!((count(0, "MediaUrl"), count(0, "Body")), (10, 1));
        assert_eq!((count(1, "MediaUrl"), count(1, "Body")), (1, 0));
    }

    #[test]
    fn errors_final_or_retried() {
        let out = Outgoing {
            to: "+1555".into(),
            text: "x".into(),
            ..Default::default()
        };
        let refused = Recorder::answering(vec![Recorder::json(
            400,
            json!({"code": 21211, "message": "The 'To' number +1555 is not a valid phone number.",
                   "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}),
        )]);
        match send(&refused, &config(), &out) {
            Sent::Failed {
                status: Some(400),
                retry: false,
                text,
            } => {
                let v: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(v["code"], 21211, "{text}");
                assert_eq!(v["more_info"], "https://www.twilio.com/docs/errors/21211");
            }
            other => panic!("{other:?}"),
        }
        for answer in [
            Recorder::json(429, json!({"code": 20429, "message": "Too Many Requests"})),
            Recorder::json(503, json!({})),
            Err("connection refused".into()),
        ] {
            let http = Recorder::answering(vec![answer]);
            assert!(matches!(
                send(&http, &config(), &out),
                Sent::Failed { retry: true, .. }
            ));
        }
    }

    #[test]
    fn media_follows_one_redirect_without_credentials() {
        let redirect = Ok(Response {
            status: 307,
            content_type: "text/html".into(),
            body: Vec::new(),
            headers: vec![(
                "location".into(),
                "https://s3-external-1.amazonaws.com/media.twiliocdn.com/AC1/abc".into(),
            )],
        });
        let file = Ok(Response {
            status: 200,
            content_type: "image/jpeg".into(),
            body: b"\xff\xd8\xff".to_vec(),
            headers: Vec::new(),
        });
        let http = Recorder::answering(vec![redirect, file]);
        let url = "http://127.0.0.1:9/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1";
        let f = media(
            &http,
            &config(),
            &MediaRef {
                id: url.into(),
                content_type: Some("image/jpeg".into()),
                name: None,
            },
        )
        .unwrap();
        assert_eq!(f.bytes, b"\xff\xd8\xff");
        assert_eq!(f.name.as_deref(), Some("media.jpeg"));
        let reqs = http.requests.lock().unwrap();
        assert_eq!(reqs[0].url, url);
        assert!(reqs[0].headers[0].1.starts_with("Basic "));
        assert_eq!(
            reqs[1].url,
            "https://s3-external-1.amazonaws.com/media.twiliocdn.com/AC1/abc"
        );
        assert!(reqs[1].headers.is_empty());
        // Not on the API's host: no credentials at all.
        let http = Recorder::answering(vec![Recorder::json(200, json!({}))]);
        let other = MediaRef {
            id: "https://elsewhere.example/x.jpg".into(),
            ..Default::default()
        };
        assert!(media(&http, &config(), &other).is_ok());
        assert!(http.requests.lock().unwrap()[0].headers.is_empty());
    }

    #[test]
    fn register_sets_the_numbers_sms_url() {
        let http = Recorder::answering(vec![
            Recorder::json(
                200,
                json!({"incoming_phone_numbers": [{"sid": "PN2a0747eba6abf96b7e3c3ff0b4530f6e",
                        "phone_number": "+15104564545"}], "page": 0}),
            ),
            Recorder::json(200, json!({"sid": "PN2a0747eba6abf96b7e3c3ff0b4530f6e"})),
        ]);
        let sent = register(&http, &config(), "https://chat.example/channels/twilio");
        assert!(matches!(sent, Sent::Ok { .. }), "{sent:?}");
        let reqs = http.requests.lock().unwrap();
        let base = "http://127.0.0.1:9/2010-04-01/Accounts/ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";
        assert_eq!(
            (reqs[0].method, reqs[0].url.as_str()),
            (
                "GET",
                format!("{base}/IncomingPhoneNumbers.json?PhoneNumber=%2B15104564545").as_str()
            )
        );
        assert_eq!(
            (reqs[1].method, reqs[1].url.as_str()),
            (
                "POST",
                format!("{base}/IncomingPhoneNumbers/PN2a0747eba6abf96b7e3c3ff0b4530f6e.json")
                    .as_str()
            )
        );
        assert!(reqs[1].headers[0].1.starts_with("Basic "));
        let Body::Form(f) = &reqs[1].body else {
            panic!()
        };
        assert_eq!(
            f,
            &pairs(&[
                ("SmsUrl", "https://chat.example/channels/twilio"),
                ("SmsMethod", "POST")
            ])
        );
        drop(reqs);
        // Not a number of the account; a Messaging Service: clear refusals.
        let none = Recorder::answering(vec![Recorder::json(
            200,
            json!({"incoming_phone_numbers": []}),
        )]);
        assert!(matches!(
            register(&none, &config(), "u"),
            Sent::Failed { retry: false, .. }
        ));
        let mut c = config();
        c.0.insert("from".into(), json!("MG9752274e9e519418a7406176694466fa"));
        assert!(matches!(
            register(&none, &c, "u"),
            Sent::Failed { retry: false, .. }
        ));
    }

    #[test]
    fn relative_locations() {
        assert_eq!(
            absolute("https://a.example/x/y/z", "/cdn/1"),
            "https://a.example/cdn/1"
        );
        assert_eq!(
            absolute("https://a.example/x/y/z", "w"),
            "https://a.example/x/y/w"
        );
        assert_eq!(
            absolute("https://a.example/x", "https://b/c"),
            "https://b/c"
        );
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;
        proptest! {
            #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
            #[test]
            fn never_panics(body in proptest::collection::vec(any::<u8>(), 0..2048),
                            url in "\\PC{0,60}", location in "\\PC{0,40}") {
                let r = Inbound { url: url.clone(), body, ..Default::default() };
                let _ = verify(&config(), &r);
                let _ = parse(&config(), &r);
                let _ = url_forms(&url);
                let _ = absolute(&url, &location);
            }
            #[test]
            fn never_panics_on_form_like(
                body in "((MessageSid|From|To|Body|NumMedia|MediaUrl[0-9]{1,2}|MediaContentType[0-9]|MessageStatus|ErrorCode)=[%+a-zA-Z0-9:/.]{0,12}&){0,20}"
            ) {
                let r = Inbound { body: body.into_bytes(), ..Default::default() };
                let _ = parse(&config(), &r);
            }
        }
    }
}
