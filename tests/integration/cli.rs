//! The command line, beside a running server on the same data.

use crate::harness::*;
use serde_json::json;
use std::time::Duration;

#[test]
fn every_command_has_help_and_version_works() {
    let d = TempDir::new("cli");
    let (ok, out, _) = cli(&["version"], &d.0);
    assert!(ok && out.starts_with("frontporch "), "{out}");
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["admin", "create", "--help"],
        vec!["admin", "reset-password", "--help"],
        vec!["token", "create", "--help"],
        vec!["backup", "--help"],
    ] {
        let (ok, out, err) = cli(&args, &d.0);
        assert!(ok, "{args:?}: {err}");
        assert!(out.contains("frontporch"), "{args:?}: {out}");
    }
    let (ok, _, err) = cli(&["frobnicate"], &d.0);
    assert!(!ok && err.contains("unknown command"));
    let (ok, _, err) = cli(&["admin", "create", "--email", "x@example.com"], &d.0);
    assert!(!ok && err.contains("--password"), "{err}");
}

#[test]
fn cli_commands_work_while_the_server_runs() {
    let s = Server::start_with(&[("FRONTPORCH_POLL_SECONDS", "20")]);
    let admin = s.client(&s.admin_token());
    let cursor = admin.get("/api/v1/events?after=0")["cursor"]
        .as_i64()
        .unwrap();
    // A waiter on the server hears about the account the CLI creates.
    let waiter = admin.poll_events(cursor);
    std::thread::sleep(Duration::from_millis(200));
    let (ok, out, err) = cli(
        &[
            "admin",
            "create",
            "--email",
            "agent@example.com",
            "--password",
            "agentpass99",
            "--role",
            "agent",
            "--name",
            "Ada Lovelace",
        ],
        &s.data,
    );
    assert!(ok, "{err}");
    assert!(out.contains("agent@example.com"));
    let got = waiter.join().unwrap();
    assert_eq!(got["events"][0]["kind"], "user.created", "{got}");
    let ada = s.login("agent@example.com", "agentpass99");
    assert_eq!(ada.get("/api/v1/me")["user"]["name"], "Ada Lovelace");
    assert_eq!(ada.get("/api/v1/me")["role"], "agent");

    // token create prints a token once; it works on the running server.
    let (ok, token, err) = cli(
        &["token", "create", "--name", "zapier", "--role", "admin"],
        &s.data,
    );
    assert!(ok, "{err}");
    let token = token.trim();
    assert!(token.starts_with("fp_"));
    assert_eq!(s.client(token).call("GET", "/api/v1/webhooks", None).0, 200);
    // Only its hash is stored.
    let conn = rusqlite::Connection::open(s.data.join("frontporch.db")).unwrap();
    let raw: i64 = conn
        .query_row(
            "SELECT count(*) FROM api_tokens WHERE token_hash = ?1",
            [token],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(raw, 0);

    // reset-password prints a new one, and the old sessions end.
    let (ok, out, err) = cli(
        &["admin", "reset-password", "--email", "agent@example.com"],
        &s.data,
    );
    assert!(ok, "{err}");
    let newpw = out.trim().rsplit(' ').next().unwrap().to_string();
    assert_eq!(ada.call("GET", "/api/v1/me", None).0, 401);
    s.login("agent@example.com", &newpw);
    let (ok, _, err) = cli(
        &["admin", "reset-password", "--email", "nobody@example.com"],
        &s.data,
    );
    assert!(!ok && err.contains("not found"), "{err}");

    // backup writes a consistent copy while the server is busy.
    let (visitor, _) = s.visitor("B");
    let cid = visitor.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();
    for i in 0..20 {
        admin.post(
            &format!("/api/v1/conversations/{cid}/messages"),
            json!({"body": format!("backup {i}")}),
        );
    }
    let out_dir = TempDir::new("backup");
    let file = out_dir.0.join("copy.db");
    let (ok, _, err) = cli(&["backup", file.to_str().unwrap()], &s.data);
    assert!(ok, "{err}");
    let copy = rusqlite::Connection::open(&file).unwrap();
    let check: String = copy
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let n: i64 = copy
        .query_row(
            "SELECT count(*) FROM messages WHERE body LIKE 'backup %'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 20);
    // It refuses to overwrite.
    let (ok, _, err) = cli(&["backup", file.to_str().unwrap()], &s.data);
    assert!(!ok && err.contains("exists"), "{err}");
}

#[test]
fn first_start_creates_the_admin_and_prints_a_one_time_password() {
    let d = TempDir::new("first");
    let data = d.0.join("nested").join("data");
    let mut child = std::process::Command::new(bin())
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("FRONTPORCH_DATA", &data)
        .env("FRONTPORCH_BCRYPT_COST", "4")
        .env_remove("FRONTPORCH_ADMIN_PASSWORD")
        .env_remove("FRONTPORCH_ADMIN_EMAIL")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let listening = lines.next().unwrap().unwrap();
    assert!(first.starts_with("first admin: "), "{first}");
    let words: Vec<&str> = first.split_whitespace().collect();
    let (email, password) = (words[2], words[4]);
    let base = listening.strip_prefix("listening on ").unwrap().to_string();
    assert!(data.join("frontporch.db").exists());
    let resp = agent()
        .post(format!("{base}/api/v1/auth/login"))
        .header("content-type", "application/json")
        .send(json!({"email": email, "password": password}).to_string())
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    child.kill().unwrap();
    child.wait().unwrap();
    // Second start: no new admin, no password printed.
    let out = std::process::Command::new(bin())
        .args(["version"])
        .env("FRONTPORCH_DATA", &data)
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut child = std::process::Command::new(bin())
        .args(["serve", "--addr", "127.0.0.1:0", "--data"])
        .arg(&data)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next().unwrap().unwrap();
    assert!(line.starts_with("listening on"), "{line}");
    child.kill().unwrap();
    child.wait().unwrap();
}
