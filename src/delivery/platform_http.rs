//! `channels::Http` over the guarded ureq agent: what platform modules
//! send and fetch leaves through the SSRF guard (unless private addresses
//! are allowed), under the agent's timeouts, and answers are read up to
//! the request's `limit`.

use crate::channels::{Body, Http, Request, Response};
use std::io::Read;

pub struct PlatformHttp {
    agent: ureq::Agent,
    /// A shorter deadline than the agent's, for a call someone waits on.
    timeout: Option<std::time::Duration>,
}

impl PlatformHttp {
    pub fn new(allow_private: bool) -> PlatformHttp {
        PlatformHttp {
            agent: super::webhook::agent(allow_private),
            timeout: None,
        }
    }

    /// Each call given up after `timeout` in all (connecting included).
    pub fn with_timeout(allow_private: bool, timeout: std::time::Duration) -> PlatformHttp {
        PlatformHttp {
            timeout: Some(timeout),
            ..PlatformHttp::new(allow_private)
        }
    }
}

impl Http for PlatformHttp {
    fn call(&self, req: Request) -> Result<Response, String> {
        let mut b = ureq::http::Request::builder()
            .method(req.method)
            .uri(&req.url);
        for (k, v) in &req.headers {
            b = b.header(k, v);
        }
        let (content_type, bytes) = match req.body {
            Body::None => (None, Vec::new()),
            Body::Json(v) => (
                Some("application/json".to_string()),
                v.to_string().into_bytes(),
            ),
            Body::Form(pairs) => {
                let enc = |s: &str| {
                    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                        .to_string()
                };
                let body = pairs
                    .iter()
                    .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
                    .collect::<Vec<_>>()
                    .join("&");
                (
                    Some("application/x-www-form-urlencoded".to_string()),
                    body.into_bytes(),
                )
            }
        };
        if let Some(ct) = content_type {
            b = b.header("content-type", ct);
        }
        let mut request = b.body(bytes).map_err(|e| format!("bad request: {e}"))?;
        if let Some(t) = self.timeout {
            request = self
                .agent
                .configure_request(request)
                .timeout_global(Some(t))
                .timeout_connect(Some(t))
                .build();
        }
        let resp = self
            .agent
            .run(request)
            .map_err(|e| format!("no answer: {e}"))?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let headers = resp
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let mut body = Vec::new();
        let limit = req.limit.min(1 << 40) as u64;
        resp.into_body()
            .into_reader()
            .take(limit + 1)
            .read_to_end(&mut body)
            .map_err(|e| format!("reading the answer: {e}"))?;
        if body.len() as u64 > limit {
            return Err(format!("the answer is larger than {limit} bytes"));
        }
        Ok(Response {
            status,
            content_type,
            body,
            headers,
        })
    }
}
