//! One RFC 5322 message, read with `mail-parser` into what an import needs:
//! ids for threading, addresses, the text (HTML turned into text, never
//! kept as HTML), the text without quoted replies and signatures, the
//! attachments, and whether a machine sent it (auto-replies, bounces).

use mail_parser::{HeaderValue, MessageParser, MimeHeaders};

/// The largest message imported (bytes): larger ones are kept as .eml.
pub const MAX_RAW: usize = 25 * 1024 * 1024;
/// Attachments kept per message (the messages' own limit); the rest are named only.
pub const MAX_ATTACHMENTS: usize = 10;
/// Text kept per message, in bytes (the inbox shows `MAX_BODY_CHARS` of it).
const MAX_TEXT: usize = 256 * 1024;
/// Ids read from In-Reply-To and References (the newest ones).
const MAX_REFS: usize = 50;
/// Envelope recipients read (`Delivered-To` and the like).
const MAX_DELIVERED_TO: usize = 10;
/// Body parts read for the text.
const MAX_TEXT_PARTS: usize = 20;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Addr {
    pub name: String,
    /// Lower case.
    pub address: String,
}

#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Default)]
pub struct Mail {
    /// Without angle brackets.
    pub message_id: Option<String>,
    /// In-Reply-To then References, newest last, without angle brackets.
    pub refs: Vec<String>,
    pub from: Option<Addr>,
    pub to: Vec<Addr>,
    pub cc: Vec<Addr>,
    /// Envelope recipients the delivering server recorded.
    pub delivered_to: Vec<String>,
    pub subject: String,
    /// The whole text.
    pub text: String,
    /// The text without quoted replies and signatures.
    pub shown: String,
    pub attachments: Vec<Part>,
    /// Names of the attachments left out (over the count).
    pub left_out: Vec<String>,
    /// Why a machine sent it, if one did (then no conversation, no reply).
    pub automatic: Option<String>,
}

/// Parses a message; a panic inside the parser is an error, never a crash.
pub fn parse(raw: &[u8]) -> Result<Mail, String> {
    if raw.len() > MAX_RAW {
        return Err(format!("the message is larger than {MAX_RAW} bytes"));
    }
    // Nested messages (message/rfc822 inside message/rfc822 ...) take stack
    // in proportion to their depth, and 25 MiB can nest half a million
    // deep: an overflow aborts the whole server, which catch_unwind cannot
    // stop. So the parse runs on a thread whose stack grows with the
    // message (reserved, touched only as deep as the message goes).
    let stack = (8 << 20) + raw.len().saturating_mul(4);
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .name("mail-parse".into())
            .stack_size(stack)
            .spawn_scoped(s, || read(raw))
            .map_err(|e| format!("cannot parse the message now: {e}"))?
            .join()
            .unwrap_or_else(|_| Err("the message could not be parsed".into()))
    })
}

fn read(raw: &[u8]) -> Result<Mail, String> {
    let msg = MessageParser::default()
        .parse(raw)
        .filter(|m| !m.headers().is_empty())
        .ok_or("not an RFC 5322 message (no headers)")?;
    let mut mail = Mail {
        message_id: msg.message_id().map(strip_id).filter(|s| !s.is_empty()),
        subject: one_line(msg.subject().unwrap_or("")),
        ..Default::default()
    };
    let mut refs = ids(msg.references());
    refs.extend(ids(msg.in_reply_to()));
    let skip = refs.len().saturating_sub(MAX_REFS);
    mail.refs = refs.into_iter().skip(skip).collect();
    mail.from = msg.from().and_then(|a| a.first()).and_then(addr);
    mail.to = msg.to().map(addrs).unwrap_or_default();
    mail.cc = msg.cc().map(addrs).unwrap_or_default();
    for name in ["Delivered-To", "X-Original-To", "Envelope-To"] {
        for h in msg
            .headers()
            .iter()
            .filter(|h| h.name().eq_ignore_ascii_case(name))
        {
            // Each may be a reply address looked up in the write job.
            if mail.delivered_to.len() >= MAX_DELIVERED_TO {
                break;
            }
            if let Some(t) = h.value().as_text() {
                mail.delivered_to
                    .push(t.trim().trim_matches(['<', '>']).to_lowercase());
            }
        }
    }
    mail.automatic = automatic(&msg, mail.from.as_ref());
    mail.text = text(&msg);
    mail.shown = fold_quotes(&mail.text);
    for part in msg.attachments() {
        if part.is_message() || part.is_multipart() {
            continue;
        }
        let name = part.attachment_name().unwrap_or("attachment").to_string();
        if mail.attachments.len() >= MAX_ATTACHMENTS {
            if mail.left_out.len() < 100 {
                mail.left_out.push(name);
            }
            continue;
        }
        let content_type = part
            .content_type()
            .map(|c| match c.subtype() {
                Some(s) => format!("{}/{}", c.ctype(), s),
                None => c.ctype().to_string(),
            })
            .unwrap_or_else(|| "application/octet-stream".into())
            .to_ascii_lowercase();
        mail.attachments.push(Part {
            name,
            content_type,
            bytes: part.contents().to_vec(),
        });
    }
    Ok(mail)
}

fn strip_id(s: &str) -> String {
    s.trim().trim_matches(['<', '>']).trim().to_string()
}

fn ids(v: &HeaderValue) -> Vec<String> {
    let list: Vec<String> = match v {
        HeaderValue::Text(t) => t.split_whitespace().map(strip_id).collect(),
        HeaderValue::TextList(l) => l.iter().map(|t| strip_id(t)).collect(),
        _ => Vec::new(),
    };
    list.into_iter()
        .filter(|s| !s.is_empty() && s.len() <= 250)
        .collect()
}

fn addr(a: &mail_parser::Addr) -> Option<Addr> {
    let address = a.address()?.trim().to_lowercase();
    if !address.contains('@') || address.len() > 254 || address.chars().any(char::is_control) {
        return None;
    }
    Some(Addr {
        name: one_line(a.name().unwrap_or("")),
        address,
    })
}

fn addrs(a: &mail_parser::Address) -> Vec<Addr> {
    a.iter().filter_map(addr).take(50).collect()
}

/// A header text on one line (folded or encoded words may carry newlines).
fn one_line(s: &str) -> String {
    s.split(char::is_control)
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .chars()
        .take(300)
        .collect()
}

/// Why a machine sent the message (RFC 3834, common auto-responder
/// headers, bulk mail and delivery reports), if one did.
fn automatic(msg: &mail_parser::Message, from: Option<&Addr>) -> Option<String> {
    let raw = |name: &str| msg.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    if let Some(v) = raw("Auto-Submitted") {
        if v.split(';').next().unwrap_or("").trim() != "no" {
            return Some(format!("Auto-Submitted: {v}"));
        }
    }
    for h in ["X-Autoreply", "X-Autorespond", "X-Auto-Reply"] {
        if raw(h).is_some() {
            return Some(format!("{h} header"));
        }
    }
    if let Some(v) = raw("Precedence") {
        if ["bulk", "junk", "list", "auto_reply"].contains(&v.as_str()) {
            return Some(format!("Precedence: {v}"));
        }
    }
    if let Some(ct) = msg.content_type() {
        if ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        {
            return Some("a delivery or read report (multipart/report)".into());
        }
    }
    if raw("Return-Path").as_deref() == Some("<>") {
        return Some("a bounce (empty Return-Path)".into());
    }
    let local = from.map(|a| a.address.split('@').next().unwrap_or("").to_string());
    if let Some(l) = local.filter(|l| ["mailer-daemon", "postmaster"].contains(&l.as_str())) {
        return Some(format!("sent by {l}"));
    }
    None
}

/// The text parts (text/plain preferred; an HTML-only part becomes text),
/// joined, bounded.
fn text(msg: &mail_parser::Message) -> String {
    let mut out = String::new();
    for i in 0..msg.text_body_count().min(MAX_TEXT_PARTS) {
        if let Some(t) = msg.body_text(i) {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&t);
        }
        if out.len() > MAX_TEXT {
            break;
        }
    }
    if out.len() > MAX_TEXT {
        let mut end = MAX_TEXT;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
    }
    out.replace("\r\n", "\n").trim().to_string()
}

/// The text an agent needs: what comes before the quoted message ("On ...
/// wrote:", an Outlook "Original Message" block, a trailing block of `>`
/// lines) and the signature (`-- `). Falls back to the whole text when
/// nothing is left.
pub fn fold_quotes(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut end = lines.len();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_end();
        let quote_follows = || {
            lines[i + 1..]
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.is_empty())
                .is_some_and(|l| l.starts_with('>'))
        };
        let rest_quoted = || {
            lines[i..]
                .iter()
                .all(|l| l.trim().is_empty() || l.trim_start().starts_with('>'))
        };
        let cut = t == "--"
            || t == "-- "
            || line.trim_end_matches(['\r']) == "-- "
            || t.trim()
                .to_ascii_lowercase()
                .contains("original message-----")
            || t.starts_with("________________________________")
            || (t.trim_end().ends_with("wrote:") && quote_follows())
            || (t.trim_start().starts_with('>') && rest_quoted());
        if cut {
            end = i;
            break;
        }
    }
    let shown = lines[..end].join("\n").trim().to_string();
    if shown.is_empty() {
        text.trim().to_string()
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_quotes_and_signatures() {
        let t =
            "Thanks, that works.\n\nOn Mon, 1 Dec 2026, Ann <a@b.c> wrote:\n> Try again\n> please";
        assert_eq!(fold_quotes(t), "Thanks, that works.");
        assert_eq!(fold_quotes("Hi\n-- \nBob\nACME"), "Hi");
        assert_eq!(fold_quotes("Hi\n> quoted\nmine"), "Hi\n> quoted\nmine");
        assert_eq!(fold_quotes("> only quoted"), "> only quoted");
    }

    #[test]
    fn reads_headers_text_and_flags() {
        let raw = b"From: =?utf-8?q?Ren=C3=A9e?= <Renee@Example.com>\r\nTo: support+tok123@x.org\r\nCc: a@b.c, Bob <bob@d.e>\r\nSubject: =?iso-8859-1?q?Caf=E9?=\r\nMessage-ID: <m1@x>\r\nIn-Reply-To: <p2@y>\r\nReferences: <p1@y> <p2@y>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <b>there</b></p><script>x</script>";
        let m = parse(raw).unwrap();
        assert_eq!(m.message_id.as_deref(), Some("m1@x"));
        assert_eq!(m.refs.last().map(String::as_str), Some("p2@y"));
        assert!(m.refs.contains(&"p1@y".to_string()));
        let from = m.from.unwrap();
        assert_eq!(
            (from.name.as_str(), from.address.as_str()),
            ("Renée", "renee@example.com")
        );
        assert_eq!(m.subject, "Café");
        assert_eq!(m.cc.len(), 2);
        assert!(m.text.contains("Hello there"), "{}", m.text);
        assert!(!m.text.contains('<'), "{}", m.text);
        assert!(m.automatic.is_none());
        let auto = parse(b"From: a@b.c\r\nAuto-Submitted: auto-replied\r\n\r\nAway").unwrap();
        assert!(auto.automatic.is_some());
        let no = parse(b"From: a@b.c\r\nAuto-Submitted: no\r\n\r\nHi").unwrap();
        assert!(no.automatic.is_none());
    }

    #[test]
    fn header_text_stays_on_one_line() {
        let raw = b"From: =?utf-8?q?Eve=0D=0ABcc:_x@y.z?= <eve@x.test>\r\nSubject: =?utf-8?q?hi=0D=0ABcc:_x@y.z?=\r\n\r\nx";
        let m = parse(raw).unwrap();
        assert!(!m.subject.contains(['\r', '\n']), "{:?}", m.subject);
        let from = m.from.unwrap();
        assert!(!from.name.contains(['\r', '\n']), "{:?}", from.name);
    }

    #[test]
    fn recipients_are_bounded() {
        let mut raw = String::from("From: a@b.c\r\n");
        for i in 0..10_000 {
            raw.push_str(&format!("Delivered-To: s+t{i}@x.test\r\n"));
        }
        let to: Vec<String> = (0..10_000).map(|i| format!("r{i}@x.test")).collect();
        raw.push_str(&format!(
            "To: {}\r\nCc: {}\r\n\r\nhi",
            to.join(", "),
            to.join(", ")
        ));
        let m = parse(raw.as_bytes()).unwrap();
        assert!(m.delivered_to.len() <= 10, "{}", m.delivered_to.len());
        assert!(m.to.len() <= 50 && m.cc.len() <= 50);
    }

    /// Half a million nested messages, parsed from a thread with the
    /// poller's 1 MiB stack: an answer, not a stack overflow.
    #[test]
    fn deeply_nested_messages_never_overflow_the_stack() {
        let level = "From: a@b.c\r\nContent-Type: message/rfc822\r\n\r\n";
        let raw = level.repeat(500_000) + "From: a@b.c\r\n\r\nhi\r\n";
        let done = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || parse(raw.as_bytes()).is_ok())
            .unwrap()
            .join();
        assert!(done.is_ok());
    }

    mod fuzz {
        use proptest::prelude::*;
        proptest! {
            #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
            #[test]
            fn never_panics(raw in proptest::collection::vec(any::<u8>(), 0..4096)) {
                let _ = super::super::parse(&raw);
            }
            #[test]
            fn never_panics_on_mime_like(body in "(--b\r\n|Content-Type: multipart/mixed; boundary=b\r\n|\r\n|=\\?utf-8\\?[bq]\\?[A-Za-z0-9=]{0,8}\\?=|[a-z ]{0,10}){0,40}") {
                let raw = format!("From: a@b.c\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n{body}");
                let _ = super::super::parse(raw.as_bytes());
            }
        }
    }
}
