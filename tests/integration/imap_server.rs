//! A real IMAP server for the email-in tests: Debian's Dovecot
//! (`dovecot-imapd`, installed by tests/run.sh), started per test in a
//! temporary directory with a passwd-file, plain IMAP on a free loopback
//! port. Mail goes in by IMAP APPEND, as a mail server would file it.
//! Without dovecot the tests say so and pass, unless
//! FRONTPORCH_REQUIRE_DOVECOT=1 (run.sh sets it where it installed it).

use crate::harness::TempDir;
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const USER: &str = "support@example.com";
pub const PASSWORD: &str = "imap-test-password";

pub struct Imap {
    child: Child,
    pub port: u16,
    /// Implicit TLS (imaps), when started with `tls`; else 0 (off).
    pub tls_port: u16,
    /// Removed on drop, after the server stops.
    _dir: TempDir,
}

fn dovecot() -> Option<String> {
    ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn id(flag: &str, name: Option<&str>) -> String {
    let mut c = Command::new("id");
    c.arg(flag);
    if let Some(n) = name {
        c.arg(n);
    }
    String::from_utf8(c.output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string()
}

impl Imap {
    /// Starts Dovecot, or None (the caller skips) when it is not installed.
    pub fn start() -> Option<Imap> {
        Imap::start_with(false)
    }

    /// With `tls`: STARTTLS offered on the port, with a self-signed
    /// certificate (which the client must refuse).
    pub fn start_with(tls: bool) -> Option<Imap> {
        let Some(bin) = dovecot() else {
            assert!(
                std::env::var("FRONTPORCH_REQUIRE_DOVECOT").as_deref() != Ok("1"),
                "dovecot is required but missing: apt-get install dovecot-imapd"
            );
            eprintln!("SKIPPED: no dovecot (apt-get install dovecot-imapd)");
            return None;
        };
        let dir = TempDir::new("imap");
        let d = dir.0.display().to_string();
        let root = id("-u", None) == "0";
        // As root, Dovecot runs its processes as its own unprivileged users.
        let (login_user, internal_user, mail_user) = if root {
            (
                "dovenull".to_string(),
                "dovecot".to_string(),
                "dovecot".to_string(),
            )
        } else {
            let me = id("-un", None);
            (me.clone(), me.clone(), me)
        };
        let (uid, gid) = (id("-u", Some(&mail_user)), id("-g", Some(&mail_user)));
        let port = free_port();
        let tls_port = if tls { free_port() } else { 0 };
        let ssl = if tls {
            let ok = Command::new("openssl")
                .args([
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "1",
                    "-subj",
                    "/CN=127.0.0.1",
                ])
                .args([
                    "-keyout",
                    &format!("{d}/key.pem"),
                    "-out",
                    &format!("{d}/cert.pem"),
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .unwrap()
                .success();
            assert!(ok, "openssl made no certificate");
            format!("ssl = yes\nssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem\n")
        } else {
            "ssl = no\n".to_string()
        };
        std::fs::write(
            format!("{d}/passwd"),
            format!("{USER}:{{PLAIN}}{PASSWORD}\n"),
        )
        .unwrap();
        let conf = format!(
            "base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 1
mail_location = maildir:{d}/mail/%u
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={d}/home/%u
}}
"
        );
        std::fs::write(format!("{d}/dovecot.conf"), conf).unwrap();
        for sub in ["run", "state", "mail", "home"] {
            std::fs::create_dir_all(format!("{d}/{sub}")).unwrap();
        }
        if root {
            let _ = Command::new("chown")
                .args([
                    "-R",
                    &format!("{uid}:{gid}"),
                    &format!("{d}/mail"),
                    &format!("{d}/home"),
                ])
                .status();
            let _ = Command::new("chmod").args(["755", &d]).status();
        }
        let child = Command::new(bin)
            .args(["-F", "-c", &format!("{d}/dovecot.conf")])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start dovecot");
        let imap = Imap {
            child,
            port,
            tls_port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "dovecot did not listen: {}",
                std::fs::read_to_string(format!("{d}/dovecot.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(imap)
    }

    /// The `email.imap` setting for this server.
    pub fn setting(&self, mailbox: &str) -> serde_json::Value {
        serde_json::json!({
            "host": "127.0.0.1", "port": self.port, "security": "none",
            "username": USER, "password": PASSWORD, "mailbox": mailbox, "poll_seconds": 86_400,
        })
    }

    pub fn session(&self) -> imap::Session<TcpStream> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut c = imap::Client::new(tcp);
        c.read_greeting().unwrap();
        c.login(USER, PASSWORD).map_err(|(e, _)| e).unwrap()
    }

    /// Files `raw` into `mailbox` (created if needed), unseen.
    pub fn append(&self, mailbox: &str, raw: &[u8]) {
        let mut s = self.session();
        let _ = s.create(mailbox);
        s.append(mailbox, raw).finish().unwrap();
        let _ = s.logout();
    }

    /// UIDs of `mailbox` with the \Seen flag, and without.
    pub fn seen(&self, mailbox: &str) -> (Vec<u32>, Vec<u32>) {
        let mut s = self.session();
        s.select(mailbox).unwrap();
        let f = s.uid_fetch("1:*", "(UID FLAGS)").unwrap();
        let (mut seen, mut unseen) = (Vec::new(), Vec::new());
        for m in f.iter() {
            let is_seen = m
                .flags()
                .iter()
                .any(|f| matches!(f, imap::types::Flag::Seen));
            if is_seen {
                seen.push(m.uid.unwrap())
            } else {
                unseen.push(m.uid.unwrap())
            }
        }
        let _ = s.logout();
        (seen, unseen)
    }

    /// Clears \Seen on every message of `mailbox` (a user marking unread).
    pub fn mark_unseen(&self, mailbox: &str) {
        let mut s = self.session();
        s.select(mailbox).unwrap();
        s.uid_store("1:*", "-FLAGS (\\Seen)").unwrap();
        let _ = s.logout();
    }

    /// Sets \Seen on every message of `mailbox` (mail read before).
    pub fn mark_seen_all(&self, mailbox: &str) {
        let mut s = self.session();
        s.select(mailbox).unwrap();
        s.uid_store("1:*", "+FLAGS (\\Seen)").unwrap();
        let _ = s.logout();
    }

    /// Deletes and recreates `mailbox` (a new UIDVALIDITY), filing `raws` again.
    pub fn recreate(&self, mailbox: &str, raws: &[&[u8]]) {
        let mut s = self.session();
        s.delete(mailbox).unwrap();
        s.create(mailbox).unwrap();
        for r in raws {
            s.append(mailbox, r).finish().unwrap();
        }
        let _ = s.logout();
    }
}

impl Drop for Imap {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
