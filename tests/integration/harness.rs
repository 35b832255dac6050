//! Starts the real binary on 127.0.0.1:0 with a temporary data directory and
//! talks HTTP to it.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_frontporch")
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let p = std::env::temp_dir().join(format!(
            "frontporch-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Server {
    pub child: Child,
    pub base: String,
    pub data: PathBuf,
    pub stdout_lines: Vec<String>,
    env: Vec<(String, String)>,
}

// The child is handed to the caller, whose Drop waits for it.
#[allow(clippy::zombie_processes)]
fn spawn(data: &Path, env: &[(String, String)], addr: &str) -> (Child, String, Vec<String>) {
    let mut cmd = Command::new(bin());
    cmd.arg("serve")
        .arg("--data")
        .arg(data)
        .arg("--addr")
        .arg(addr)
        .env("FRONTPORCH_BCRYPT_COST", "4")
        .env("FRONTPORCH_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("FRONTPORCH_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start frontporch");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 {
            let _ = child.wait();
            panic!("server exited before listening; output: {lines:?}");
        }
        let line = line.trim().to_string();
        if let Some(url) = line.strip_prefix("listening on ") {
            let url = url.to_string();
            lines.push(line);
            // Keep draining stdout so the child never blocks on a full pipe.
            std::thread::spawn(move || for _ in out.lines() {});
            return (child, url, lines);
        }
        lines.push(line);
    }
}

impl Server {
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    pub fn start_with(env: &[(&str, &str)]) -> Server {
        let dir = TempDir::new("srv");
        let data = dir.0.clone();
        std::mem::forget(dir); // removed in Server::drop
        Server::start_in(data, env)
    }

    pub fn start_in(data: PathBuf, env: &[(&str, &str)]) -> Server {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let (child, base, stdout_lines) = spawn(&data, &env, "127.0.0.1:0");
        Server {
            child,
            base,
            data,
            stdout_lines,
            env,
        }
    }

    /// Kills the process (SIGKILL) and starts it again on the same data and port.
    pub fn kill_and_restart(&mut self) {
        let _ = self.child.kill(); // it may be dead already
        self.child.wait().unwrap();
        let addr = self.base.trim_start_matches("http://").to_string();
        let (child, base, lines) = spawn(&self.data, &self.env, &addr);
        self.child = child;
        self.base = base;
        self.stdout_lines = lines;
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn admin_token(&self) -> String {
        let s = self.login(ADMIN_EMAIL, ADMIN_PASSWORD);
        let (st, v) = s.call(
            "POST",
            "/api/v1/tokens",
            Some(json!({ "name": "tests", "role": "admin" })),
        );
        assert_eq!(st, 201, "{v}");
        v["token"]["secret"].as_str().unwrap().to_string()
    }

    pub fn client(&self, token: &str) -> Client {
        Client {
            base: self.base.clone(),
            auth: Auth::Bearer(token.to_string()),
        }
    }

    pub fn anon(&self) -> Client {
        Client {
            base: self.base.clone(),
            auth: Auth::None,
        }
    }

    /// Logs in and returns a cookie-authenticated client.
    pub fn login(&self, email: &str, password: &str) -> Client {
        let resp = agent()
            .post(self.url("/api/v1/auth/login"))
            .header("content-type", "application/json")
            .send(json!({ "email": email, "password": password }).to_string())
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200, "login failed");
        let cookie = resp
            .headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let body: Value =
            serde_json::from_str(&resp.into_body().read_to_string().unwrap()).unwrap();
        Client {
            base: self.base.clone(),
            auth: Auth::Session {
                cookie,
                csrf: body["csrf_token"].as_str().unwrap().to_string(),
            },
        }
    }

    /// A new visitor: (client, user id).
    pub fn visitor(&self, name: &str) -> (Client, i64) {
        let (st, v) = self.anon().call(
            "POST",
            "/api/v1/widget/session",
            Some(json!({ "first_name": name })),
        );
        assert_eq!(st, 201, "{v}");
        (
            self.client(v["token"].as_str().unwrap()),
            v["user"]["id"].as_i64().unwrap(),
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

#[derive(Clone)]
pub enum Auth {
    None,
    Bearer(String),
    Session { cookie: String, csrf: String },
}

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub auth: Auth,
}

impl Client {
    /// Sends a JSON request; returns status and parsed body (Null when empty).
    pub fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let (st, _, text) = self.raw(method, path, body.map(|b| b.to_string()), &[]);
        let v = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (st, v)
    }

    /// Long-polls `/api/v1/events?after=` on a thread; join it for the answer.
    pub fn poll_events(&self, after: i64) -> std::thread::JoinHandle<Value> {
        let c = self.clone();
        std::thread::spawn(move || c.get(&format!("/api/v1/events?after={after}")))
    }

    pub fn get(&self, path: &str) -> Value {
        let (st, v) = self.call("GET", path, None);
        assert_eq!(st, 200, "GET {path}: {v}");
        v
    }

    pub fn post(&self, path: &str, body: Value) -> Value {
        let (st, v) = self.call("POST", path, Some(body));
        assert!(st == 200 || st == 201, "POST {path}: {st} {v}");
        v
    }

    /// Any request; returns status, headers (lower-case names) and body text.
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        headers: &[(&str, &str)],
    ) -> (u16, Vec<(String, String)>, String) {
        let (status, hs, bytes) = self.raw_bytes(method, path, body, headers);
        (status, hs, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// `raw`, with the body as bytes (a compressed or binary answer).
    pub fn raw_bytes(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        headers: &[(&str, &str)],
    ) -> (u16, Vec<(String, String)>, Vec<u8>) {
        let uri = format!("{}{}", self.base, path);
        let mut rb = ureq::http::Request::builder().method(method).uri(&uri);
        match &self.auth {
            Auth::None => {}
            Auth::Bearer(t) => rb = rb.header("authorization", format!("Bearer {t}")),
            Auth::Session { cookie, csrf } => {
                rb = rb.header("cookie", cookie).header("x-csrf-token", csrf)
            }
        }
        let has_ct = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        if body.is_some() && !has_ct {
            rb = rb.header("content-type", "application/json");
        }
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        let req = rb.body(body.unwrap_or_default()).unwrap();
        let resp = agent().run(req).unwrap();
        let status = resp.status().as_u16();
        let hs = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        let bytes = resp.into_body().read_to_vec().unwrap_or_default();
        (status, hs, bytes)
    }
}

/// Every message body of a conversation, through the API (paged back with
/// `before=` until a page comes back empty).
pub fn message_bodies(admin: &Client, cid: i64) -> std::collections::HashSet<String> {
    let mut stored = std::collections::HashSet::new();
    let mut before = None::<i64>;
    loop {
        let path = match before {
            Some(b) => format!("/api/v1/conversations/{cid}/messages?limit=200&before={b}"),
            None => format!("/api/v1/conversations/{cid}/messages?limit=200"),
        };
        let page = admin.get(&path);
        let msgs = page["messages"].as_array().unwrap();
        if msgs.is_empty() {
            return stored;
        }
        for m in msgs {
            stored.insert(m["body"].as_str().unwrap().to_string());
        }
        before = msgs[0]["id"].as_i64();
    }
}

/// True once a connection has ended: `read` makes one bounded read and says
/// whether it saw the end (EOF, or an end marker such as a last chunk); an
/// error other than the read timing out counts as the end too (a reset).
/// Anything else read is ignored. Gives up (false) once `waiting` says so;
/// it is asked before every read.
pub fn ends_while(
    mut waiting: impl FnMut() -> bool,
    mut read: impl FnMut() -> std::io::Result<bool>,
) -> bool {
    while waiting() {
        match read() {
            Ok(true) => return true,
            Ok(false) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return true,
        }
    }
    false
}

pub fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Runs the binary as a CLI command; returns (exit ok, stdout, stderr).
pub fn cli(args: &[&str], data: &Path) -> (bool, String, String) {
    let out = Command::new(bin())
        .args(args)
        .env("FRONTPORCH_DATA", data)
        .env("FRONTPORCH_BCRYPT_COST", "4")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
