//! A real SMTP server on loopback (aiosmtpd, `tests/mail/smtp_server.py`)
//! that records what it receives: started per test, stopped on drop.

use super::harness::TempDir;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SmtpServer {
    child: Child,
    pub port: u16,
    pub dir: TempDir,
}

impl SmtpServer {
    /// Fails (rather than skips) when python3 or aiosmtpd is missing:
    /// tests/run.sh installs them.
    pub fn start() -> SmtpServer {
        SmtpServer::start_on(0)
    }

    /// On `port` (0: any free one).
    pub fn start_on(port: u16) -> SmtpServer {
        let dir = TempDir::new("smtp");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mail/smtp_server.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(&dir.0)
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 is required for the SMTP tests");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!("the SMTP server did not start (pip install aiosmtpd): {line:?}")
            });
        SmtpServer { child, port, dir }
    }

    /// `email.smtp` pointing at this server (plain SMTP on loopback).
    pub fn setting(&self) -> Value {
        json!({ "host": "127.0.0.1", "port": self.port, "security": "none",
                "username": "", "password": "", "from_address": "support@frontporch.test",
                "from_name": "Frontporch Support" })
    }

    /// Every message received so far, in order.
    pub fn messages(&self) -> Vec<Value> {
        let mut names: Vec<_> = std::fs::read_dir(&self.dir.0)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
            .collect();
        names.sort();
        names
            .iter()
            .map(|n| {
                serde_json::from_str(&std::fs::read_to_string(self.dir.0.join(n)).unwrap()).unwrap()
            })
            .collect()
    }

    /// Waits (generously) until at least `n` messages arrived.
    pub fn wait_for(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "expected {n} emails, got {}",
                m.len()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of the first header `name` (case-insensitive) of a recorded message.
pub fn header(msg: &Value, name: &str) -> Option<String> {
    msg["headers"]
        .as_array()?
        .iter()
        .find(|h| h[0].as_str().is_some_and(|k| k.eq_ignore_ascii_case(name)))
        .and_then(|h| h[1].as_str().map(String::from))
}

/// Every header name of a recorded message.
pub fn header_names(msg: &Value) -> Vec<String> {
    msg["headers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h[0].as_str().map(|s| s.to_ascii_lowercase()))
        .collect()
}

/// The recorded leaf part of type `ctype`.
pub fn part<'a>(msg: &'a Value, ctype: &str) -> Option<&'a Value> {
    msg["parts"]
        .as_array()?
        .iter()
        .find(|p| p["content_type"] == ctype && p["multipart"] != true)
}
