//! The IMAP client behind a small interface: connect (TLS, STARTTLS or
//! plain) and log in, select a mailbox (its UIDVALIDITY), list the UIDs
//! above one with their sizes, fetch one message, mark it seen. TLS is the
//! project's rustls (ring, webpki roots), so `imap` runs without its own
//! TLS features. Every read and write has a timeout.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub trait Stream: Read + Write + Send {}
impl<T: Read + Write + Send> Stream for T {}
type Conn = Box<dyn Stream>;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
const IO_TIMEOUT: Duration = Duration::from_secs(60);
/// One whole session (a poll of up to 50 messages of up to 25 MiB).
const SESSION: Duration = Duration::from_secs(600);

/// The TCP connection of one session, which fails every read and write
/// once the session has lasted its time: a server that answers a byte
/// a minute would otherwise hold the poller, and the "check now" and
/// email-piping requests waiting behind it, for ever.
struct Deadline {
    tcp: TcpStream,
    until: Instant,
}

impl Deadline {
    fn too_long() -> std::io::Error {
        std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the IMAP session lasted too long",
        )
    }

    fn arm(&self) -> std::io::Result<()> {
        let left = self.until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Self::too_long());
        }
        self.tcp.set_read_timeout(Some(left.min(IO_TIMEOUT)))?;
        self.tcp.set_write_timeout(Some(left.min(IO_TIMEOUT)))
    }

    /// A socket timeout that ran into the deadline says so.
    fn named<T>(&self, r: std::io::Result<T>) -> std::io::Result<T> {
        r.map_err(|e| {
            let timeout = matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            );
            if timeout && Instant::now() >= self.until {
                Self::too_long()
            } else {
                e
            }
        })
    }
}

impl Read for Deadline {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.arm()?;
        let r = self.tcp.read(buf);
        self.named(r)
    }
}

impl Write for Deadline {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.arm()?;
        let r = self.tcp.write(buf);
        self.named(r)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.tcp.flush()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    None,
    StartTls,
    Tls,
}

pub struct Server<'a> {
    pub host: &'a str,
    pub port: u16,
    pub security: Security,
    pub username: &'a str,
    pub password: &'a str,
}

pub struct Mailbox {
    session: imap::Session<Conn>,
    /// The server's greeting, for "check the mailbox now".
    pub greeting: String,
}

/// Connects and logs in.
pub fn connect(s: &Server) -> Result<Mailbox, String> {
    connect_until(s, Instant::now() + SESSION)
}

/// Connects and logs in, for a session that ends at `until`.
fn connect_until(s: &Server, until: Instant) -> Result<Mailbox, String> {
    let addr = (s.host, s.port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {}: {e}", s.host))?
        .next()
        .ok_or_else(|| format!("cannot resolve {}", s.host))?;
    let tcp = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)
        .map_err(|e| format!("cannot connect to {}:{}: {e}", s.host, s.port))?;
    let mut tcp = Deadline { tcp, until };
    let err = |e: imap::Error| format!("{}:{}: {e}", s.host, s.port);
    let (client, greeting) = match s.security {
        Security::Tls => {
            let mut c = imap::Client::new(tls(s.host, Box::new(tcp))?);
            let g = c.read_greeting().map_err(err)?;
            (c, g)
        }
        Security::StartTls => {
            let g = starttls(&mut tcp).map_err(|e| format!("{}:{}: {e}", s.host, s.port))?;
            // No greeting after STARTTLS: the next line answers LOGIN.
            (imap::Client::new(tls(s.host, Box::new(tcp))?), g)
        }
        Security::None => {
            let mut c = imap::Client::new(Box::new(tcp) as Conn);
            let g = c.read_greeting().map_err(err)?;
            (c, g)
        }
    };
    let session = client
        .login(s.username, s.password)
        .map_err(|(e, _)| err(e))?;
    Ok(Mailbox {
        session,
        greeting: String::from_utf8_lossy(&greeting).trim().to_string(),
    })
}

/// Reads the greeting and asks for STARTTLS in plain text (the `imap`
/// crate offers it only with its own TLS); answers the greeting.
fn starttls(tcp: &mut Deadline) -> Result<Vec<u8>, String> {
    let greeting = line(tcp)?;
    tcp.write_all(b"fp0 STARTTLS\r\n")
        .map_err(|e| e.to_string())?;
    for _ in 0..100 {
        let l = line(tcp)?;
        if l.starts_with(b"fp0 OK") {
            return Ok(greeting);
        }
        if l.starts_with(b"fp0 ") {
            return Err(format!("STARTTLS: {}", String::from_utf8_lossy(&l).trim()));
        }
    }
    Err("STARTTLS: no answer".into())
}

/// One line, read a byte at a time (nothing after it may be consumed:
/// TLS starts there), at most 8 KiB.
fn line(tcp: &mut Deadline) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    while out.len() < 8192 {
        match tcp.read(&mut b) {
            Ok(0) => return Err("the server closed the connection".into()),
            Ok(_) => {
                out.push(b[0]);
                if b[0] == b'\n' {
                    return Ok(out);
                }
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    Err("a line longer than 8 KiB".into())
}

fn tls(host: &str, plain: Conn) -> Result<Conn, String> {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|e| format!("{host}: {e}"))?;
    let conn = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| format!("{host}: {e}"))?;
    Ok(Box::new(rustls::StreamOwned::new(conn, plain)))
}

impl Mailbox {
    /// Selects `name`; answers its UIDVALIDITY.
    pub fn select(&mut self, name: &str) -> Result<u32, String> {
        let m = self
            .session
            .select(name)
            .map_err(|e| format!("SELECT {name}: {e}"))?;
        m.uid_validity
            .ok_or_else(|| format!("SELECT {name}: the server gave no UIDVALIDITY"))
    }

    /// Up to `max` (UID, size) above `last`, lowest first.
    pub fn above(&mut self, last: u32, max: usize) -> Result<Vec<(u32, u32)>, String> {
        let from = last.saturating_add(1);
        let fetches = self
            .session
            .uid_fetch(format!("{from}:*"), "(UID RFC822.SIZE)")
            .map_err(|e| format!("UID FETCH: {e}"))?;
        // `N:*` also answers the newest message when every UID is below N.
        let mut list: Vec<(u32, u32)> = fetches
            .iter()
            .filter_map(|f| Some((f.uid?, f.size.unwrap_or(0))))
            .filter(|(uid, _)| *uid > last)
            .collect();
        list.sort_unstable();
        list.truncate(max);
        Ok(list)
    }

    /// The oldest unread message's UID, else the newest message's, else 0
    /// (an empty mailbox): where a mailbox polled for the first time starts.
    pub fn start_uid(&mut self) -> Result<u32, String> {
        let unseen = self
            .session
            .uid_search("UNSEEN")
            .map_err(|e| format!("UID SEARCH: {e}"))?;
        if let Some(oldest) = unseen.iter().min() {
            return Ok(oldest - 1);
        }
        let newest = self
            .session
            .uid_fetch("*", "(UID)")
            .map_err(|e| format!("UID FETCH: {e}"))?;
        Ok(newest.iter().filter_map(|f| f.uid).max().unwrap_or(0))
    }

    /// The whole message `uid` (BODY.PEEK: not marked seen by reading).
    pub fn fetch(&mut self, uid: u32) -> Result<Option<Vec<u8>>, String> {
        let fetches = self
            .session
            .uid_fetch(uid.to_string(), "BODY.PEEK[]")
            .map_err(|e| format!("UID FETCH {uid}: {e}"))?;
        Ok(fetches
            .iter()
            .find(|f| f.uid == Some(uid) || f.uid.is_none())
            .and_then(|f| f.body().map(<[u8]>::to_vec)))
    }

    pub fn mark_seen(&mut self, uid: u32) -> Result<(), String> {
        self.session
            .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)")
            .map(|_| ())
            .map_err(|e| format!("UID STORE {uid}: {e}"))
    }

    pub fn logout(mut self) {
        let _ = self.session.logout();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A server that sends its greeting a byte every 100 ms, for ever:
    /// every read returns in time, only the session's deadline ends it.
    #[test]
    fn a_server_that_drips_bytes_cannot_hold_a_session_for_ever() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            if let Ok((mut c, _)) = listener.accept() {
                while c.write_all(b"*").is_ok() {
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        });
        let server = Server {
            host: "127.0.0.1",
            port,
            security: Security::None,
            username: "u",
            password: "p",
        };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let r = connect_until(&server, Instant::now() + Duration::from_secs(1));
            let _ = tx.send(r.err());
        });
        // Generous: the deadline is 1 s; without one this never answers.
        let err = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the session ended");
        assert!(
            err.as_ref().is_some_and(|e| e.contains("too long")),
            "{err:?}"
        );
    }
}
