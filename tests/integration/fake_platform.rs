//! A loopback server standing in for a messaging platform's API (or a
//! push service): it records every request exactly as it arrived and
//! answers each with what the test's handler says, so a test checks the
//! request the real API requires and answers as the platform does.

use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: String,
    /// Path and query, as sent.
    pub url: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Call {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.url.split('?').next().unwrap_or("")
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} {}: not JSON ({e}): {}",
                self.method,
                self.url,
                self.text()
            )
        })
    }

    /// An `application/x-www-form-urlencoded` body's pairs, in order.
    pub fn form(&self) -> Vec<(String, String)> {
        let dec = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        self.text()
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (dec(k), dec(v))
            })
            .collect()
    }

    /// One form field's value.
    pub fn field(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

/// What the fake answers.
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    /// Headers besides Content-Type (a redirect's Location).
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn json(status: u16, v: serde_json::Value) -> Reply {
        Reply {
            status,
            content_type: "application/json".into(),
            body: v.to_string().into_bytes(),
            headers: Vec::new(),
        }
    }

    pub fn bytes(content_type: &str, body: &[u8]) -> Reply {
        Reply {
            status: 200,
            content_type: content_type.into(),
            body: body.to_vec(),
            headers: Vec::new(),
        }
    }

    /// A 307 to `location` (Twilio's media URLs answer so, towards its CDN).
    pub fn redirect(location: &str) -> Reply {
        Reply {
            status: 307,
            content_type: "text/plain".into(),
            body: Vec::new(),
            headers: vec![("Location".into(), location.into())],
        }
    }
}

type Handler = dyn Fn(&Call) -> Reply + Send + Sync;

pub struct Fake {
    server: Arc<tiny_http::Server>,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl Fake {
    /// Starts on a free loopback port; `answer` decides each reply.
    pub fn start(answer: impl Fn(&Call) -> Reply + Send + Sync + 'static) -> Fake {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let calls = Arc::new(Mutex::new(Vec::new()));
        let answer: Arc<Handler> = Arc::new(answer);
        let (srv, got) = (server.clone(), calls.clone());
        std::thread::spawn(move || {
            for mut rq in srv.incoming_requests() {
                let mut body = Vec::new();
                let _ = rq.as_reader().take(64 << 20).read_to_end(&mut body);
                let call = Call {
                    method: rq.method().as_str().to_string(),
                    url: rq.url().to_string(),
                    headers: rq
                        .headers()
                        .iter()
                        .map(|h| {
                            (
                                h.field.as_str().as_str().to_ascii_lowercase(),
                                h.value.to_string(),
                            )
                        })
                        .collect(),
                    body,
                };
                let reply = answer(&call);
                got.lock().unwrap().push(call);
                let ct =
                    tiny_http::Header::from_bytes("Content-Type", reply.content_type.as_bytes())
                        .unwrap();
                let mut response = tiny_http::Response::from_data(reply.body)
                    .with_status_code(reply.status)
                    .with_header(ct);
                for (k, v) in &reply.headers {
                    response.add_header(
                        tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()).unwrap(),
                    );
                }
                let _ = rq.respond(response);
            }
        });
        Fake { server, calls }
    }

    /// `http://127.0.0.1:<port>`: the `api_base` to configure.
    pub fn base(&self) -> String {
        format!("http://{}", self.server.server_addr().to_ip().unwrap())
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// The first request matching `pred`, waiting up to `secs` for it.
    pub fn wait_for(&self, secs: u64, pred: impl Fn(&Call) -> bool) -> Call {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(c) = self.calls().into_iter().find(|c| pred(c)) {
                return c;
            }
            assert!(
                Instant::now() < deadline,
                "no matching request in {secs} s; got: {:#?}",
                self.calls()
                    .iter()
                    .map(|c| (&c.method, &c.url))
                    .collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

/// A source's conversations, as the REST API lists them (up to 100).
pub fn conversations_of(admin: &super::harness::Client, source: &str) -> Vec<serde_json::Value> {
    admin.get(&format!("/api/v1/conversations?source={source}&limit=100"))["conversations"]
        .as_array()
        .unwrap()
        .clone()
}

/// A conversation's messages, oldest first (up to 200).
pub fn messages(admin: &super::harness::Client, cid: i64) -> Vec<serde_json::Value> {
    admin.get(&format!("/api/v1/conversations/{cid}/messages?limit=200"))["messages"]
        .as_array()
        .unwrap()
        .clone()
}

/// Waits (generously: the machine stalls) until `probe` gives a value.
pub fn until<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_fake_records_what_it_is_sent() {
    let fake = Fake::start(|c| Reply::json(201, serde_json::json!({"path": c.path()})));
    let (st, _, body) = super::harness::Client {
        base: fake.base(),
        auth: super::harness::Auth::None,
    }
    .raw(
        "POST",
        "/v1/send?x=1",
        Some("a=%C3%A9t%C3%A9+%F0%9F%98%80&b=".into()),
        &[("content-type", "application/x-www-form-urlencoded")],
    );
    assert_eq!((st, body.as_str()), (201, r#"{"path":"/v1/send"}"#));
    let c = fake.wait_for(5, |c| c.method == "POST");
    assert_eq!(c.url, "/v1/send?x=1");
    assert_eq!(
        c.header("Content-Type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(c.field("a").as_deref(), Some("été 😀"));
    assert_eq!(c.field("b").as_deref(), Some(""));
    let png = Fake::start(|_| Reply::bytes("image/png", b"\x89PNG"));
    let client = super::harness::Client {
        base: png.base(),
        auth: super::harness::Auth::None,
    };
    let (_, headers, body) = client.raw_bytes("GET", "/f", None, &[]);
    assert_eq!(body, b"\x89PNG");
    assert_eq!(
        super::harness::header(&headers, "content-type"),
        Some("image/png")
    );
    let echo = Fake::start(|c| Reply::json(200, c.json()));
    let (_, v) = super::harness::Client {
        base: echo.base(),
        auth: super::harness::Auth::None,
    }
    .call("POST", "/j", Some(serde_json::json!({"k": "ü"})));
    assert_eq!(v["k"], "ü");
}
