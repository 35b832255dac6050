//! Responses: JSON bodies, the JSON error shape, and the security headers
//! every response carries.

use crate::error::{Error, Kind};
use serde_json::{json, Value};
use tiny_http::{Header, Response, StatusCode};

pub struct Resp {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
}

impl Resp {
    pub fn json(status: u16, v: &Value) -> Resp {
        Resp::raw_json(status, v.to_string())
    }
    pub fn raw_json(status: u16, body: String) -> Resp {
        Resp {
            status,
            body: body.into_bytes(),
            content_type: "application/json".into(),
            headers: Vec::new(),
        }
    }
    pub fn text(status: u16, content_type: impl Into<String>, body: impl Into<Vec<u8>>) -> Resp {
        Resp {
            status,
            body: body.into(),
            content_type: content_type.into(),
            headers: Vec::new(),
        }
    }
    pub fn empty() -> Resp {
        Resp {
            status: 204,
            body: Vec::new(),
            content_type: "application/json".into(),
            headers: Vec::new(),
        }
    }
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Resp {
        self.headers.push((name.to_string(), value.into()));
        self
    }
    pub fn error(e: &Error) -> Resp {
        let status = status_of(e.kind);
        // Disk full is logged once when it starts (metrics::set_disk_full).
        if status >= 500 && !e.is_disk_full() {
            log::error!("{e}");
        }
        let mut r = Resp::json(status, &error_body(e));
        if let Some(s) = e.retry_after {
            r.headers.push(("Retry-After".into(), s.to_string()));
        }
        r
    }

    pub fn into_tiny(self) -> Response<std::io::Cursor<Vec<u8>>> {
        let mut r = Response::from_data(self.body).with_status_code(StatusCode(self.status));
        let mut add = |k: &str, v: &str| {
            if let Ok(h) = Header::from_bytes(k.as_bytes(), v.as_bytes()) {
                r.add_header(h);
            }
        };
        add("Content-Type", &self.content_type);
        add("X-Content-Type-Options", "nosniff");
        add("Referrer-Policy", "no-referrer");
        let mut has_cache = false;
        let mut has_frame = false;
        for (k, v) in &self.headers {
            has_cache |= k.eq_ignore_ascii_case("cache-control");
            has_frame |= k.eq_ignore_ascii_case("content-security-policy");
            add(k, v);
        }
        if !has_cache {
            add("Cache-Control", "no-store");
        }
        if !has_frame {
            add("X-Frame-Options", "DENY");
            add(
                "Content-Security-Policy",
                "default-src 'none'; frame-ancestors 'none'",
            );
        }
        r
    }
}

/// The JSON error shape every surface but Support Board answers with.
pub fn error_body(e: &Error) -> Value {
    json!({ "error": { "code": e.code, "message": e.message } })
}

pub fn status_of(kind: Kind) -> u16 {
    match kind {
        Kind::BadRequest => 400,
        Kind::Unauthorized => 401,
        Kind::Forbidden => 403,
        Kind::NotFound => 404,
        Kind::MethodNotAllowed => 405,
        Kind::RequestTimeout => 408,
        Kind::Conflict => 409,
        Kind::Unprocessable => 422,
        Kind::TooLarge => 413,
        Kind::UriTooLong => 414,
        Kind::UnsupportedMediaType => 415,
        Kind::RateLimited => 429,
        Kind::HeadersTooLarge => 431,
        Kind::Unavailable => 503,
        Kind::InsufficientStorage => 507,
        Kind::Internal => 500,
    }
}
