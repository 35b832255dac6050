//! What Meta's platforms (WhatsApp Cloud API, Messenger, Instagram
//! Messaging) share: they are all Graph API apps.
//!
//! - The webhook is verified once by a GET handshake (`hub.mode=subscribe`,
//!   `hub.verify_token`, `hub.challenge` echoed back), and each POST is
//!   signed: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw
//!   body)>` (developers.facebook.com/docs/graph-api/webhooks/getting-started,
//!   "Verification Requests" and "Validate Payloads").
//! - API calls carry the token as `Authorization: Bearer <token>`, and a
//!   refusal is `{"error": {"message", "code", "error_subcode",
//!   "is_transient"}}` (developers.facebook.com/docs/graph-api/guides/error-handling).
//! - WhatsApp media is fetched in two steps: `GET /{media-id}` answers a
//!   short-lived `url`, which is fetched with the same bearer token
//!   (developers.facebook.com/docs/whatsapp/cloud-api/reference/media).

use super::*;
use crate::error;

/// Largest media file fetched: WhatsApp's own limit (documents, 100 MB).
/// The caller may bound it further (the upload limit).
pub const MEDIA_LIMIT: usize = 100 << 20;

/// The subscription handshake: `hub.challenge` when the mode is
/// `subscribe` and the token is the configured `verify_token`; 403
/// otherwise. The challenge is echoed only if it looks like one (Meta
/// sends a number), so the route cannot reflect arbitrary text.
pub fn handshake(c: &Config, r: &Inbound) -> Result<String> {
    let want = c.get("verify_token");
    let got = r.query("hub.verify_token").unwrap_or("");
    if r.query("hub.mode") != Some("subscribe")
        || want.is_empty()
        || !same(want.as_bytes(), got.as_bytes())
    {
        return Err(
            error::CHANNEL_SIGNATURE.with("hub.verify_token is not the configured verify_token")
        );
    }
    let challenge = r.query("hub.challenge").unwrap_or("");
    let plain = |ch: char| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' || ch == '.';
    if challenge.is_empty() || challenge.len() > 256 || !challenge.chars().all(plain) {
        return Err(error::CHANNEL_PAYLOAD.with("hub.challenge is missing or not a token"));
    }
    Ok(challenge.to_string())
}

/// `X-Hub-Signature-256` over the raw body with the app secret.
pub fn verify(c: &Config, r: &Inbound) -> Result<()> {
    let secret = c.get("app_secret");
    let got = r
        .header("x-hub-signature-256")
        .and_then(|h| h.trim().strip_prefix("sha256="))
        .unwrap_or("")
        .to_ascii_lowercase();
    let want = hex(&hmac_sha256(secret.as_bytes(), &r.body));
    if secret.is_empty() || !same(want.as_bytes(), got.as_bytes()) {
        return Err(error::CHANNEL_SIGNATURE.err());
    }
    Ok(())
}

/// A Graph API call with the config's token `token_field` as bearer.
pub fn call(
    c: &Config,
    token_field: &str,
    method: &'static str,
    url: String,
    body: Body,
) -> Request {
    Request::new(method, url, body)
        .header("authorization", format!("Bearer {}", c.get(token_field)))
}

/// An id or name as one path segment.
pub fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The Graph API error in an answer: (code, subcode, message).
pub fn graph_error(r: &Response) -> Option<(i64, i64, String)> {
    let v = r.json();
    let e = v.get("error")?;
    Some((
        e["code"].as_i64().unwrap_or(0),
        e["error_subcode"].as_i64().unwrap_or(0),
        e["message"].as_str().unwrap_or("").to_string(),
    ))
}

/// Graph error codes that mean "later" though the status is 400: unknown
/// and temporary errors, the app, user, page and WhatsApp rate limits,
/// WhatsApp's "service unavailable" (developers.facebook.com/docs/graph-api/guides/error-handling,
/// developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).
const LATER: &[i64] = &[
    1, 2, 4, 17, 32, 341, 613, 80007, 130429, 131000, 131016, 131056,
];

/// `Sent::judge`, knowing that Graph reports some temporary failures as
/// 400 (rate limits, `is_transient`): those are retried too.
pub fn judge(
    answer: std::result::Result<Response, String>,
    ids: impl Fn(&Value) -> Vec<String>,
) -> Sent {
    let transient = match &answer {
        Ok(r) if !(200..300).contains(&r.status) => {
            let v = r.json();
            v["error"]["is_transient"].as_bool() == Some(true)
                || graph_error(r).is_some_and(|(code, _, _)| LATER.contains(&code))
        }
        _ => false,
    };
    match Sent::judge(answer, ids) {
        Sent::Failed {
            status,
            text,
            retry,
        } => Sent::Failed {
            status,
            text,
            retry: retry || transient,
        },
        ok => ok,
    }
}

/// WhatsApp media: `GET /{media-id}` for the file's URL, then that URL,
/// both with the bearer token.
pub fn media_by_id(
    http: &dyn Http,
    c: &Config,
    token_field: &str,
    f: &MediaRef,
) -> std::result::Result<Fetched, String> {
    let info = http.call(call(
        c,
        token_field,
        "GET",
        format!("{}/{}", c.api_base(), segment(&f.id)),
        Body::None,
    ))?;
    let v = info.json();
    let url = v["url"]
        .as_str()
        .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
        .ok_or_else(|| {
            format!(
                "the media id answered {}: {}",
                info.status,
                clip(&info.text())
            )
        })?;
    let mut req = call(c, token_field, "GET", url.to_string(), Body::None);
    req.limit = MEDIA_LIMIT;
    let file = http.call(req)?;
    if file.status != 200 {
        return Err(format!("the media file answered {}", file.status));
    }
    Ok(Fetched {
        bytes: file.body,
        content_type: v["mime_type"]
            .as_str()
            .map(str::to_string)
            .or(f.content_type.clone())
            .or(Some(file.content_type).filter(|t| !t.is_empty())),
        name: f.name.clone(),
    })
}

/// At most 300 characters of a platform's answer, for an error message.
pub fn clip(s: &str) -> String {
    s.chars().take(300).collect()
}

/// Sends `bodies` one after the other to `url` and gathers the ids; a
/// failure after a first part went out is final (a retry would send that
/// part twice).
pub fn send_all(
    bodies: Vec<Value>,
    request: impl Fn(Value) -> std::result::Result<Response, String>,
    ids_of: impl Fn(&Value) -> Vec<String>,
) -> Sent {
    in_order(
        bodies.into_iter().map(|body| judge(request(body), &ids_of)),
        false,
    )
}

#[cfg(test)]
mod tests {
    use super::super::testing::Recorder;
    use super::*;
    use serde_json::json;

    fn config() -> Config {
        let mut m = Map::new();
        m.insert("app_secret".into(), json!("app-secret-ünï"));
        m.insert("verify_token".into(), json!("v-token"));
        m.insert("access_token".into(), json!("EAAtoken"));
        m.insert("api_base".into(), json!("http://127.0.0.1:9/v25.0"));
        Config(m)
    }

    fn get(query: &[(&str, &str)]) -> Inbound {
        Inbound {
            query: query
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn handshake_echoes_the_challenge_for_the_right_token() {
        let c = config();
        let ok = get(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", "v-token"),
            ("hub.challenge", "1158201444"),
        ]);
        assert_eq!(handshake(&c, &ok).unwrap(), "1158201444");
        for bad in [
            get(&[
                ("hub.mode", "subscribe"),
                ("hub.verify_token", "nope"),
                ("hub.challenge", "1"),
            ]),
            get(&[
                ("hub.mode", "unsubscribe"),
                ("hub.verify_token", "v-token"),
                ("hub.challenge", "1"),
            ]),
            get(&[("hub.challenge", "1")]),
        ] {
            assert_eq!(handshake(&c, &bad).unwrap_err().code, "bad_signature");
        }
        // No verify token configured: nothing matches, not even "".
        let none = get(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", ""),
            ("hub.challenge", "1"),
        ]);
        assert!(handshake(&Config::default(), &none).is_err());
        // The challenge is echoed only when it is a plain token.
        let html = get(&[
            ("hub.mode", "subscribe"),
            ("hub.verify_token", "v-token"),
            ("hub.challenge", "<script>alert(1)</script>"),
        ]);
        assert_eq!(
            handshake(&c, &html).unwrap_err().code,
            "invalid_channel_payload"
        );
    }

    #[test]
    fn signature_is_hmac_sha256_of_the_raw_body_under_the_app_secret() {
        // Computed outside this code base:
        // printf '%s' '{"object":"page","entry":[]}' | openssl dgst -sha256 -hmac 'app-secret-ünï'
        let body = br#"{"object":"page","entry":[]}"#;
        let sig = "sha256=aadfa1c28c30b6c0f014b5857b5e9e950399d22aa15e19e0342cc590be35459e";
        let signed = |h: &str| Inbound {
            headers: vec![("x-hub-signature-256".into(), h.to_string())],
            body: body.to_vec(),
            ..Default::default()
        };
        let c = config();
        assert!(verify(&c, &signed(sig)).is_ok());
        assert!(verify(
            &c,
            &signed(&sig.to_uppercase().replace("SHA256=", "sha256="))
        )
        .is_ok());
        assert!(verify(&c, &signed(&sig.replace("sha256=", "sha1="))).is_err());
        assert!(verify(&c, &signed("sha256=00")).is_err());
        let mut tampered = signed(sig);
        tampered.body.push(b' ');
        assert!(verify(&c, &tampered).is_err());
        assert!(verify(&c, &Inbound::default()).is_err());
        assert!(verify(&Config::default(), &signed(sig)).is_err());
    }

    #[test]
    fn graph_rate_limits_are_retried_other_refusals_are_final() {
        let answer = |code: i64, transient: bool| {
            Recorder::json(
                400,
                json!({"error": {"message": "(#x) something", "type": "OAuthException",
                                 "code": code, "is_transient": transient, "fbtrace_id": "A"}}),
            )
        };
        let retry = |s: Sent| matches!(s, Sent::Failed { retry: true, .. });
        assert!(retry(judge(answer(130429, false), |_| vec![])));
        assert!(retry(judge(answer(100, true), |_| vec![])));
        assert!(!retry(judge(answer(100, false), |_| vec![])));
        assert!(!retry(judge(answer(131047, false), |_| vec![])));
        assert!(retry(judge(Recorder::json(503, json!({})), |_| vec![])));
        assert!(retry(judge(Err("refused".into()), |_| vec![])));
    }

    #[test]
    fn media_by_id_fetches_the_url_the_id_names_with_the_token() {
        let http = Recorder::answering(vec![
            Recorder::json(
                200,
                json!({"messaging_product": "whatsapp", "url": "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1&ext=2",
                       "mime_type": "image/jpeg", "sha256": "x", "file_size": 3, "id": "1037543291543636"}),
            ),
            Ok(Response {
                status: 200,
                content_type: "image/jpeg".into(),
                body: vec![0xff, 0xd8, 0xff],
                headers: Vec::new(),
            }),
        ]);
        let f = media_by_id(
            &http,
            &config(),
            "access_token",
            &MediaRef {
                id: "1037543291543636".into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(f.bytes, vec![0xff, 0xd8, 0xff]);
        assert_eq!(f.content_type.as_deref(), Some("image/jpeg"));
        let reqs = http.requests.lock().unwrap();
        assert_eq!(reqs[0].url, "http://127.0.0.1:9/v25.0/1037543291543636");
        assert_eq!(
            reqs[1].url,
            "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1&ext=2"
        );
        for r in reqs.iter() {
            assert_eq!(r.method, "GET");
            assert!(r
                .headers
                .contains(&("authorization".into(), "Bearer EAAtoken".into())));
        }
        assert_eq!(reqs[1].limit, MEDIA_LIMIT);
    }
}
