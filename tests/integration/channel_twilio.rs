//! Twilio end to end (issue 12): SMS and MMS in through `/channels/twilio`,
//! signed as Twilio signs (the signature is computed here, from the
//! documented recipe, not with the server's code), status callbacks, and
//! replies and Support Board's `send-sms` reaching a loopback Twilio that
//! checks the exact Messages.json request.

use super::fake_platform::{conversations_of, messages, until, Call, Fake, Reply};
use super::harness::{Client, Server};
use super::support_board::succeed;
use base64::Engine;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const AUTH: &str = "twilio-auth-token-ü";
const OURS: &str = "+15104564545";
const CUSTOMER: &str = "+15305431221";

/// The smallest valid PNG (1x1, transparent).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

fn start() -> (Server, Client, String) {
    let s = Server::start_with(&[
        ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1"),
        ("FRONTPORCH_RETRY_BASE_MS", "200"),
    ]);
    let token = s.admin_token();
    let admin = s.client(&token);
    (s, admin, token)
}

/// Twilio's API: Messages.json answers the Message resource (201) with a
/// new sid each time; a media URL redirects to the CDN, which has the file.
fn twilio() -> Fake {
    let n = Arc::new(AtomicUsize::new(0));
    Fake::start(move |c: &Call| {
        if c.path().ends_with("/Messages.json") {
            let i = n.fetch_add(1, Ordering::SeqCst);
            return Reply::json(
                201,
                json!({
                    "sid": format!("SM{i:032}"), "account_sid": SID,
                    "date_created": "Fri, 13 Aug 2010 01:16:24 +0000", "date_sent": null,
                    "to": c.field("To"), "from": c.field("From"), "body": c.field("Body"),
                    "status": "queued", "num_media": "0", "api_version": "2010-04-01",
                    "price": null, "flags": ["outbound"],
                    "uri": format!("/2010-04-01/Accounts/{SID}/Messages/SM{i:032}.json")
                }),
            );
        }
        if c.path().ends_with("/IncomingPhoneNumbers.json") {
            return Reply::json(
                200,
                json!({"incoming_phone_numbers": [{"sid": "PN2a0747eba6abf96b7e3c3ff0b4530f6e",
                        "phone_number": OURS}], "page": 0, "page_size": 50}),
            );
        }
        if c.path().contains("/IncomingPhoneNumbers/PN") {
            return Reply::json(
                200,
                json!({"sid": "PN2a0747eba6abf96b7e3c3ff0b4530f6e", "sms_url": c.field("SmsUrl")}),
            );
        }
        if c.path().contains("/Media/") {
            return Reply::redirect("/cdn/ME1.png");
        }
        if c.path() == "/cdn/ME1.png" {
            return Reply::bytes("image/png", PNG);
        }
        Reply::json(404, json!({"code": 20404, "message": "not found"}))
    })
}

fn configure(admin: &Client, fake: &Fake) {
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({"channels.twilio": {
            "account_sid": SID, "auth_token": AUTH, "from": OURS, "api_base": fake.base()}})),
    );
    assert_eq!(st, 200, "{v}");
}

/// X-Twilio-Signature as documented: base64(HMAC-SHA1(auth token, URL +
/// each parameter's name and value, sorted by name)).
fn sign(url: &str, params: &[(&str, &str)]) -> String {
    use hmac::Mac;
    let mut sorted = params.to_vec();
    sorted.sort();
    let mut data = url.to_string();
    for (k, v) in sorted {
        data.push_str(k);
        data.push_str(v);
    }
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(AUTH.as_bytes()).unwrap();
    mac.update(data.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn form(params: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    params
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Posts a form to `/channels/twilio`, signed with `signature` (None: as
/// Twilio signs it). Status, content type, body.
fn post(s: &Server, params: &[(&str, &str)], signature: Option<&str>) -> (u16, String, String) {
    post_signed_for(s, &s.url("/channels/twilio"), params, signature)
}

/// As `post`, signed over `url`: the URL Twilio called.
fn post_signed_for(
    s: &Server,
    url: &str,
    params: &[(&str, &str)],
    signature: Option<&str>,
) -> (u16, String, String) {
    let sig = signature
        .map(str::to_string)
        .unwrap_or_else(|| sign(url, params));
    let (st, headers, body) = s.anon().raw(
        "POST",
        "/channels/twilio",
        Some(form(params)),
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("x-twilio-signature", &sig),
        ],
    );
    let ct = super::harness::header(&headers, "content-type")
        .unwrap_or("")
        .to_string();
    (st, ct, body)
}

/// An incoming SMS as Twilio posts it.
fn sms<'a>(sid: &'a str, body: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("ToCountry", "US"),
        ("SmsMessageSid", sid),
        ("NumMedia", "0"),
        ("SmsSid", sid),
        ("SmsStatus", "received"),
        ("Body", body),
        ("To", OURS),
        ("NumSegments", "1"),
        ("MessageSid", sid),
        ("AccountSid", SID),
        ("From", CUSTOMER),
        ("ApiVersion", "2010-04-01"),
    ]
}

#[test]
fn sms_in_reply_out_and_delivery_reports() {
    let (s, admin, _) = start();
    let fake = twilio();
    configure(&admin, &fake);
    let text = "Grüße aus Köln! Ça va ? 🚲✨ 你好";
    let incoming = sms("SM11111111111111111111111111111111", text);

    // Not Twilio's signature (another token, or none): 403, nothing stored.
    for bad in ["", "0/KCTR6DLpKmkAf8muzZqo1nDgQ="] {
        let (st, _, body) = post(&s, &incoming, Some(bad));
        assert_eq!(st, 403, "{body}");
        assert!(body.contains("bad_signature"), "{body}");
    }
    assert!(conversations_of(&admin, "tx").is_empty());

    // Signed: empty TwiML, a conversation with the text.
    let (st, ct, body) = post(&s, &incoming, None);
    assert_eq!(st, 200, "{body}");
    assert!(ct.starts_with("text/xml"), "{ct}");
    assert_eq!(
        body,
        r#"<?xml version="1.0" encoding="UTF-8"?><Response></Response>"#
    );
    let convs = conversations_of(&admin, "tx");
    assert_eq!(convs.len(), 1, "{convs:?}");
    let c = &convs[0];
    assert_eq!(c["source"], "tx");
    assert_eq!(c["extra"]["twilio_number"], OURS, "{c}");
    let cid = c["id"].as_i64().unwrap();
    assert_eq!(messages(&admin, cid)[0]["body"], text);
    let user = admin.get(&format!("/api/v1/users/{}", c["user_id"]));
    let user = if user["user"].is_object() {
        user["user"].clone()
    } else {
        user
    };
    assert_eq!(user["phone"], CUSTOMER, "{user}");

    // Twilio retries the same webhook: stored once.
    let (st, _, _) = post(&s, &incoming, None);
    assert_eq!(st, 200);
    assert_eq!(messages(&admin, cid).len(), 1);

    // The agent's reply reaches Messages.json exactly as Twilio wants it.
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/messages"),
        Some(json!({"body": "Hallo! Wie können wir helfen? 👋"})),
    );
    assert_eq!(st, 201, "{v}");
    let mid = v["message"]["id"].as_i64().unwrap();
    let call = fake.wait_for(60, |c| c.path().ends_with("/Messages.json"));
    assert_eq!(call.method, "POST");
    assert_eq!(
        call.path(),
        format!("/2010-04-01/Accounts/{SID}/Messages.json")
    );
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{AUTH}"));
    assert_eq!(
        call.header("authorization"),
        Some(format!("Basic {basic}").as_str())
    );
    assert!(call
        .header("content-type")
        .unwrap()
        .starts_with("application/x-www-form-urlencoded"));
    assert_eq!(call.field("To").as_deref(), Some(CUSTOMER));
    assert_eq!(call.field("From").as_deref(), Some(OURS));
    assert_eq!(
        call.field("Body").as_deref(),
        Some("Hallo! Wie können wir helfen? 👋")
    );
    if let Some(cb) = call.field("StatusCallback") {
        assert!(cb.ends_with("/channels/twilio"), "{cb}");
    }

    // Twilio reports it delivered (to the same URL, signed): the message moves.
    let sent_sid = format!("SM{:032}", 0);
    let status = |state: &'static str, sid: &str| {
        let sid = sid.to_string();
        let p = [
            ("SmsSid", sid.as_str()),
            ("SmsStatus", state),
            ("MessageStatus", state),
            ("To", CUSTOMER),
            ("MessageSid", sid.as_str()),
            ("AccountSid", SID),
            ("From", OURS),
            ("ApiVersion", "2010-04-01"),
        ];
        let (st, _, body) = post(&s, &p, None);
        assert_eq!(st, 200, "{body}");
    };
    until("the sent sid recorded", || {
        status("delivered", &sent_sid);
        let m = messages(&admin, cid)
            .into_iter()
            .find(|m| m["id"] == mid)
            .unwrap();
        (m["delivered"] == true).then_some(())
    });
    let m = messages(&admin, cid)
        .into_iter()
        .find(|m| m["id"] == mid)
        .unwrap();
    assert!(m["delivered_at"].is_string(), "{m}");
    // A report of a message that is not ours changes nothing.
    status("delivered", "SMffffffffffffffffffffffffffffffff");
    assert_eq!(messages(&admin, cid).len(), 2);
}

#[test]
fn mms_media_is_fetched_through_the_redirect() {
    let (s, admin, _) = start();
    let fake = twilio();
    configure(&admin, &fake);
    let media = format!(
        "{}/2010-04-01/Accounts/{SID}/Messages/MM22222222222222222222222222222222/Media/ME1",
        fake.base()
    );
    let mut p = sms("MM22222222222222222222222222222222", "Photo 📷");
    p.retain(|(k, _)| *k != "NumMedia");
    p.push(("NumMedia", "1"));
    p.push(("MediaContentType0", "image/png"));
    p.push(("MediaUrl0", &media));
    let (st, _, body) = post(&s, &p, None);
    assert_eq!(st, 200, "{body}");
    let cid = conversations_of(&admin, "tx")[0]["id"].as_i64().unwrap();
    // The media URL with the account's credentials, then the CDN without.
    let first = fake.wait_for(60, |c| c.path().contains("/Media/ME1"));
    assert!(first.header("authorization").unwrap().starts_with("Basic "));
    let cdn = fake.wait_for(60, |c| c.path() == "/cdn/ME1.png");
    assert_eq!(cdn.header("authorization"), None);
    let files = until("the attachment", || {
        let m = &messages(&admin, cid)[0];
        let a = m["attachments"].as_array().cloned().unwrap_or_default();
        (!a.is_empty()).then_some(a)
    });
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(messages(&admin, cid)[0]["body"], "Photo 📷");
}

#[test]
fn send_sms_answers_twilios_message_resource() {
    let (s, admin, token) = start();
    let fake = twilio();
    configure(&admin, &fake);
    // A Support Board endpoint listening for sms-sent.
    let hook = Fake::start(|_| Reply::bytes("text/plain", b"ok"));
    let (st, w) = admin.call(
        "POST",
        "/api/v1/webhooks",
        Some(
            json!({ "url": format!("{}/sb", hook.base()), "format": "support_board",
                     "secret": "my-key", "events": ["sms-sent"] }),
        ),
    );
    assert_eq!(st, 201, "{w}");
    let r = succeed(
        &s,
        &token,
        &[
            ("function", "send-sms"),
            ("to", "+15305431221"),
            ("message", "Votre commande est prête ✅"),
            ("template", "false"),
        ],
    );
    let call = fake.wait_for(60, |c| c.path().ends_with("/Messages.json"));
    assert_eq!(call.field("To").as_deref(), Some("+15305431221"));
    assert_eq!(
        call.field("Body").as_deref(),
        Some("Votre commande est prête ✅")
    );
    assert!(call.header("authorization").unwrap().starts_with("Basic "));
    // The resource, whole, as Twilio answered it.
    assert_eq!(r["sid"], format!("SM{:032}", 0), "{r}");
    assert_eq!(r["status"], "queued");
    assert_eq!(r["account_sid"], SID);
    // sms-sent carries the message and the same resource.
    let v = hook.wait_for(60, |c| c.path() == "/sb").json();
    assert_eq!(v["function"], "sms-sent", "{v}");
    assert_eq!(v["key"], "my-key");
    assert_eq!(v["data"]["message"], "Votre commande est prête ✅", "{v}");
    assert_eq!(v["data"]["response"]["sid"], r["sid"], "{v}");
}

#[test]
fn behind_a_public_url_twilio_signs_it_and_reports_to_it() {
    let public = "https://chat.example.com";
    let s = Server::start_with(&[
        ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1"),
        ("FRONTPORCH_PUBLIC_URL", public),
    ]);
    let admin = s.client(&s.admin_token());
    let fake = twilio();
    configure(&admin, &fake);
    let incoming = sms("SM33333333333333333333333333333333", "Hej! Å ä ö 🌲");
    // Signed over the address we listen on, not the one Twilio called: 403.
    let (st, _, body) = post(&s, &incoming, None);
    assert_eq!(st, 403, "{body}");
    // Signed over the public URL (the default port written or not): taken.
    let with_port = format!("{public}:443/channels/twilio");
    let (st, _, body) = post_signed_for(&s, &with_port, &incoming, None);
    assert_eq!(st, 200, "{body}");
    let cid = conversations_of(&admin, "tx")[0]["id"].as_i64().unwrap();
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/messages"),
        Some(json!({"body": "Tack!"})),
    );
    assert_eq!(st, 201, "{v}");
    let call = fake.wait_for(60, |c| c.path().ends_with("/Messages.json"));
    assert_eq!(
        call.field("StatusCallback").as_deref(),
        Some("https://chat.example.com/channels/twilio")
    );
}

#[test]
fn register_points_the_numbers_sms_url_at_us() {
    let s = Server::start_with(&[
        ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1"),
        ("FRONTPORCH_PUBLIC_URL", "https://chat.example.com"),
    ]);
    let admin = s.client(&s.admin_token());
    let fake = twilio();
    configure(&admin, &fake);
    let (st, v) = admin.call("POST", "/api/v1/channels/twilio/register", Some(json!({})));
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["ok"], true, "{v}");
    let find = fake.wait_for(30, |c| c.path().ends_with("/IncomingPhoneNumbers.json"));
    assert_eq!(find.method, "GET");
    assert_eq!(
        find.url,
        format!("/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers.json?PhoneNumber=%2B15104564545")
    );
    let set = fake.wait_for(30, |c| c.path().contains("/IncomingPhoneNumbers/PN"));
    assert_eq!(set.method, "POST");
    assert_eq!(
        set.path(),
        format!("/2010-04-01/Accounts/{SID}/IncomingPhoneNumbers/PN2a0747eba6abf96b7e3c3ff0b4530f6e.json")
    );
    assert!(set.header("authorization").unwrap().starts_with("Basic "));
    assert_eq!(
        set.field("SmsUrl").as_deref(),
        Some("https://chat.example.com/channels/twilio")
    );
    assert_eq!(set.field("SmsMethod").as_deref(), Some("POST"));
}
