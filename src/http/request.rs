//! The parsed request a handler sees: method, path, query, headers, the
//! caller's IP, and the body read under a size limit.

use crate::error::{self, Result};
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::io::Read;

pub struct Ctx {
    pub method: String,
    pub path: String,
    pub query: HashMap<String, String>,
    /// The query string as sent (a platform's signature covers it).
    pub raw_query: String,
    pub headers: HashMap<String, String>,
    pub ip: String,
    pub body: Vec<u8>,
}

impl Ctx {
    /// Reads everything but the body's bytes beyond `max_body` (413).
    pub fn read(rq: &mut tiny_http::Request, max_body: usize, trust_proxy: bool) -> Result<Ctx> {
        let url = rq.url().to_string();
        let (path, qs) = url.split_once('?').unwrap_or((&url, ""));
        let mut headers = HashMap::new();
        for h in rq.headers() {
            headers.insert(
                h.field.as_str().as_str().to_ascii_lowercase(),
                h.value.as_str().to_string(),
            );
        }
        let mut ip = rq
            .remote_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default();
        if trust_proxy {
            if let Some(first) = headers
                .get("x-forwarded-for")
                .and_then(|v| v.split(',').next())
            {
                ip = first.trim().to_string();
            }
        }
        let mut ctx = Ctx {
            method: rq.method().as_str().to_ascii_uppercase(),
            path: percent_decode(path),
            query: parse_form(qs),
            raw_query: qs.to_string(),
            headers,
            ip,
            body: Vec::new(),
        };
        let too_large =
            || error::BODY_TOO_LARGE.with(format!("request body is larger than {max_body} bytes"));
        if rq.body_length().is_some_and(|n| n > max_body) {
            return Err(too_large());
        }
        rq.as_reader()
            .take(max_body as u64 + 1)
            .read_to_end(&mut ctx.body)
            .map_err(|e| error::READ_ERROR.with(format!("cannot read the body: {e}")))?;
        if ctx.body.len() > max_body {
            return Err(too_large());
        }
        Ok(ctx)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.header("cookie")?
            .split(';')
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }

    pub fn q(&self, name: &str) -> Option<&str> {
        self.query
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn q_i64(&self, name: &str) -> Result<Option<i64>> {
        match self.q(name) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| error::INVALID_PARAMETER.with(format!("{name} must be an integer"))),
        }
    }

    /// `limit`/`offset` query parameters, bounded.
    pub fn page(&self, default: i64, max: i64) -> Result<(i64, i64)> {
        let limit = self.q_i64("limit")?.unwrap_or(default);
        let offset = self.q_i64("offset")?.unwrap_or(0);
        if !(1..=max).contains(&limit) || offset < 0 {
            return Err(
                error::INVALID_PARAMETER.with(format!("limit must be 1..{max} and offset >= 0"))
            );
        }
        Ok((limit, offset))
    }

    fn body_str(&self) -> Result<&str> {
        std::str::from_utf8(&self.body).map_err(|_| error::INVALID_UTF8.err())
    }

    /// The body as JSON into `T`, with clear errors for every way it can be wrong.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        if let Some(ct) = self.header("content-type") {
            if !ct.to_ascii_lowercase().starts_with("application/json") {
                return Err(error::UNSUPPORTED_MEDIA_TYPE.err());
            }
        }
        let text = self.body_str()?;
        let text = if text.trim().is_empty() { "{}" } else { text };
        serde_json::from_str(text).map_err(|e| {
            let entry = if e.is_data() {
                error::INVALID_FIELD
            } else {
                error::INVALID_JSON
            };
            entry.with(e.to_string())
        })
    }
}

pub fn parse_form(qs: &str) -> HashMap<String, String> {
    parse_form_pairs(qs).into_iter().collect()
}

/// Form fields in order, repeated keys kept (`a[]=1&a[]=2`).
pub fn parse_form_pairs(qs: &str) -> Vec<(String, String)> {
    qs.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            )
        })
        .collect()
}

/// %XX decoding; invalid sequences stay as they are, invalid UTF-8 is replaced.
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes() {
        assert_eq!(super::percent_decode("a%20b%2"), "a b%2");
        assert_eq!(super::percent_decode("%E2%9C%93"), "✓");
        let f = super::parse_form("a=1&b=x+y&c=%26");
        assert_eq!(f["b"], "x y");
        assert_eq!(f["c"], "&");
    }
}

/// Bounded fuzzing of the body and query parsers: whatever arrives, the
/// answer is a value or a 400 with a clear code, never a panic.
#[cfg(test)]
mod fuzz {
    use super::*;
    use crate::desk::conversations::{ConversationInput, ConversationPatch};
    use crate::desk::messages::MessageInput;
    use proptest::prelude::*;

    fn ctx(body: Vec<u8>, content_type: Option<&str>) -> Ctx {
        Ctx {
            method: "POST".into(),
            path: "/".into(),
            query: HashMap::new(),
            raw_query: String::new(),
            headers: content_type
                .map(|ct| HashMap::from([("content-type".to_string(), ct.to_string())]))
                .unwrap_or_default(),
            ip: "127.0.0.1".into(),
            body,
        }
    }

    /// The error contract of `Ctx::json`: a 4xx with one of its codes.
    fn check<T: DeserializeOwned>(c: &Ctx) -> std::result::Result<(), TestCaseError> {
        if let Err(e) = c.json::<T>() {
            prop_assert!(
                [
                    error::INVALID_JSON,
                    error::INVALID_FIELD,
                    error::INVALID_UTF8,
                    error::UNSUPPORTED_MEDIA_TYPE
                ]
                .iter()
                .any(|entry| e.is(entry)),
                "{e:?}"
            );
            prop_assert!(!e.message.is_empty());
        }
        Ok(())
    }

    fn check_all(c: &Ctx) -> std::result::Result<(), TestCaseError> {
        check::<serde_json::Value>(c)?;
        check::<MessageInput>(c)?;
        check::<ConversationInput>(c)?;
        check::<ConversationPatch>(c)
    }

    /// JSON values of any shape, deeper than serde_json's recursion limit
    /// now and then.
    fn json() -> impl Strategy<Value = serde_json::Value> {
        use serde_json::Value;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(8, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec(
                    (
                        prop_oneof![
                            Just("body".to_string()),
                            Just("attachments".to_string()),
                            Just("payload".to_string()),
                            Just("user_id".to_string()),
                            Just("status".to_string()),
                            Just("agent_id".to_string()),
                            Just("message".to_string()),
                            Just("extra".to_string()),
                            ".{0,6}",
                        ],
                        inner
                    ),
                    0..6
                )
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_bytes_are_a_value_or_a_400(body in prop::collection::vec(any::<u8>(), 0..256)) {
            check_all(&ctx(body, Some("application/json")))?;
        }

        #[test]
        fn any_json_is_a_value_or_a_400(v in json(), ct in prop_oneof![
            Just(None), Just(Some("application/json")), Just(Some("APPLICATION/JSON; charset=utf-8")),
            Just(Some("text/plain")),
        ]) {
            check_all(&ctx(v.to_string().into_bytes(), ct))?;
        }

        #[test]
        fn percent_decoding_inverts_encoding(s in ".{0,40}") {
            let encoded: String = s.bytes().map(|b| format!("%{b:02X}")).collect();
            prop_assert_eq!(percent_decode(&encoded), s.clone());
            let f = parse_form(&format!("k={}", encoded.replace("%20", "+")));
            prop_assert_eq!(&f["k"], &s);
        }

        #[test]
        fn any_query_string_parses(qs in ".{0,80}") {
            for (k, v) in parse_form_pairs(&qs) {
                // Decoding never grows the text: %XX is one byte or one U+FFFD.
                prop_assert!(k.len() + v.len() <= qs.len());
            }
        }
    }

    #[test]
    fn deep_json_is_a_400() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = ctx(deep.into_bytes(), None)
            .json::<serde_json::Value>()
            .unwrap_err();
        assert!(e.is(&error::INVALID_JSON), "{e:?}");
    }
}
