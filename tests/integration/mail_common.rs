//! What the email tests share: a message to pipe or file, `mail-in`, the
//! email conversations and rows, a server set up to send and receive.

use crate::harness::*;
use crate::imap_server::Imap;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

pub const BOX: &str = "Support";

pub fn mail(from: &str, to: &str, subject: &str, id: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n{extra}\
         Date: Tue, 1 Dec 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// `frontporch mail-in` with `raw` on stdin: (exit code, stdout, stderr).
pub fn pipe(data: &Path, raw: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(bin())
        .args(["mail-in", "--data"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let raw = raw.to_vec();
    let w = std::thread::spawn(move || {
        let _ = stdin.write_all(&raw);
    });
    let out = child.wait_with_output().unwrap();
    w.join().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn email_conversations(admin: &Client) -> Vec<Value> {
    admin.get("/api/v1/conversations?source=em&limit=100")["conversations"]
        .as_array()
        .unwrap()
        .clone()
}

pub fn messages(admin: &Client, cid: i64) -> Vec<Value> {
    admin.get(&format!("/api/v1/conversations/{cid}/messages?limit=200"))["messages"]
        .as_array()
        .unwrap()
        .clone()
}

/// The `email` outbox rows but agents' notifications (email_out's and
/// email_round_trip's subject), oldest first, read from the database.
pub fn email_rows(data: &Path) -> Vec<Value> {
    let c = rusqlite::Connection::open_with_flags(
        data.join("frontporch.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut st = c
        .prepare(
            "SELECT payload FROM outbox WHERE channel = 'email'
             AND json_extract(payload, '$.kind') IS NOT 'notification' ORDER BY id",
        )
        .unwrap();
    let rows = st
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|p| serde_json::from_str(&p.unwrap()).unwrap())
        .collect();
    rows
}

pub fn setup(s: &Server, imap: Option<&Imap>) -> Client {
    let admin = s.client(&s.admin_token());
    let mut settings = json!({ "email.smtp": {
        "host": "127.0.0.1", "port": 25, "security": "none",
        "from_address": "support@example.com", "from_name": "Support" } });
    if let Some(i) = imap {
        settings["email.imap"] = i.setting(BOX);
    }
    let (st, v) = admin.call("PUT", "/api/v1/settings", Some(settings));
    assert_eq!(st, 200, "{v}");
    admin
}

pub fn check(admin: &Client) -> Value {
    let (st, v) = admin.call("POST", "/api/v1/email/check", Some(json!({})));
    assert_eq!(st, 200, "{v}");
    v
}
