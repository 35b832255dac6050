//! Signed, expiring links to uploaded files.
//!
//! An upload's URL (`/uploads/<token>/<name>`) is stored canonical, without
//! a signature. Whoever reads a message gets its attachments signed on the
//! way out (`?exp=<unix seconds>&sig=<HMAC>`), so a link that leaves the
//! conversation (a forwarded transcript, a screenshot of the inbox) stops
//! working when it expires. Images in the frames cannot send credentials,
//! which is why links carry their own proof instead.
//!
//! The HMAC key is random per install and lives in the data directory
//! (`links.key`), not in the settings, so no settings export can leak it.

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::io::Write;
use std::path::Path;

/// Links shown in the widget and the inbox live at least a day: a frame
/// draws a link once and an `<img>` cannot send credentials, so the link
/// must outlive a long chat (and the frames fetch fresh ones when one has
/// expired anyway).
pub const FRAME_TTL_SECS: i64 = 24 * 3600;
/// Frame links expire at the next multiple of this past `FRAME_TTL_SECS`:
/// every read within the same six hours hands out the same URL, so
/// browser caches hit.
const FRAME_BUCKET_SECS: i64 = 6 * 3600;
/// Links that leave for mail, webhooks and messaging platforms.
pub const MAIL_TTL_SECS: i64 = 7 * 24 * 3600;
/// No valid link lives longer than this (a bound on what a key signed).
const MAX_TTL_SECS: i64 = MAIL_TTL_SECS + 3600;

/// The expiry of a frame link issued at `now`: `FRAME_TTL_SECS` rounded up
/// to a whole bucket.
fn frame_exp_at(now: i64) -> i64 {
    let t = now + FRAME_TTL_SECS;
    t + (FRAME_BUCKET_SECS - t.rem_euclid(FRAME_BUCKET_SECS)) % FRAME_BUCKET_SECS
}

pub struct Links {
    key: Vec<u8>,
    /// `FRONTPORCH_PUBLIC_URL` without its trailing slash: absolute links to
    /// our own uploads start with it; other hosts' links are left alone.
    public_url: String,
}

pub fn now_secs() -> i64 {
    crate::util::now_ms() / 1000
}

/// The token of an upload path, if `path` is `/uploads/<token>/...`.
pub fn upload_token(path: &str) -> Option<&str> {
    let token = path
        .strip_prefix("/uploads/")?
        .split(['/', '?', '#'])
        .next()?;
    (!token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric())).then_some(token)
}

impl Links {
    /// Reads the install's key from `dir/links.key`, creating it on first use.
    pub fn load(dir: &Path, public_url: &str) -> std::io::Result<Links> {
        let path = dir.join("links.key");
        let key = match std::fs::read(&path) {
            Ok(k) if k.len() >= 32 => k,
            Ok(_) => {
                return Err(std::io::Error::other(format!(
                    "{} is too short",
                    path.display()
                )))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key(dir, &path)?,
            Err(e) => return Err(e),
        };
        Ok(Links::with_key(key, public_url))
    }

    pub fn with_key(key: Vec<u8>, public_url: &str) -> Links {
        Links {
            key,
            public_url: public_url.trim_end_matches('/').to_string(),
        }
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    fn mac(&self, token: &str, exp: i64) -> String {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        m.update(format!("{token}.{exp}").as_bytes());
        // 128 bits of the tag are plenty against forgery and keep URLs short.
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&m.finalize().into_bytes()[..16])
    }

    /// Splits an absolute or relative URL of one of our uploads into
    /// (origin prefix, path without query); None for anything else.
    fn own<'a>(&self, url: &'a str) -> Option<(&'a str, &'a str)> {
        let (prefix, rest) = if url.starts_with('/') {
            ("", url)
        } else if !self.public_url.is_empty() && url.starts_with(&self.public_url) {
            url.split_at(self.public_url.len())
        } else {
            return None;
        };
        let path = rest.split(['?', '#']).next().unwrap_or(rest);
        upload_token(path)?;
        Some((prefix, path))
    }

    /// The URL as stored: our own upload links lose any signature.
    pub fn canonical(&self, url: &str) -> String {
        match self.own(url) {
            Some((prefix, path)) => format!("{prefix}{path}"),
            None => url.to_string(),
        }
    }

    /// `url` signed to work until `exp` (unix seconds) if it is one of our
    /// uploads; other URLs are returned as they are.
    pub fn sign(&self, url: &str, exp: i64) -> String {
        let Some((prefix, path)) = self.own(url) else {
            return url.to_string();
        };
        let token = upload_token(path).unwrap_or_default();
        format!("{prefix}{path}?exp={exp}&sig={}", self.mac(token, exp))
    }

    /// The expiry of links handed to the widget and the inbox now.
    pub fn frame_exp(&self) -> i64 {
        frame_exp_at(now_secs())
    }

    /// Whether `exp` and `sig` (from the query) make a live link to `token`.
    pub fn verify(&self, token: &str, exp: Option<&str>, sig: Option<&str>) -> bool {
        let (Some(exp), Some(sig)) = (exp.and_then(|e| e.parse::<i64>().ok()), sig) else {
            return false;
        };
        let now = now_secs();
        exp >= now
            && exp <= now + MAX_TTL_SECS
            && crate::util::ct_eq(self.mac(token, exp).as_bytes(), sig.as_bytes())
    }

    /// Signs the links of one message as rendered for a reader: its
    /// attachments, in the REST/widget shape (`[{"name","url",...}]`) or
    /// Support Board's (a JSON string of `[["name","url"]]`), and its
    /// sender's avatar. Only those fields are touched, never the payload
    /// or anything a sender could nest.
    pub fn sign_message(&self, message: &mut Value, exp: i64) {
        match message.get_mut("attachments") {
            Some(Value::String(s)) if !s.is_empty() => {
                if let Ok(mut list) = serde_json::from_str::<Value>(s) {
                    self.sign_list(&mut list, exp);
                    *s = list.to_string();
                }
            }
            Some(list) => self.sign_list(list, exp),
            None => {}
        }
        self.sign_field(message.pointer_mut("/sender/avatar"), exp);
    }

    /// Signs one string field in place, if it is a link to our uploads
    /// (an avatar, a logo); anything else is left as it is.
    pub fn sign_field(&self, field: Option<&mut Value>, exp: i64) {
        if let Some(Value::String(u)) = field {
            *u = self.sign(u, exp);
        }
    }

    fn sign_list(&self, list: &mut Value, exp: i64) {
        for a in list.as_array_mut().into_iter().flatten() {
            let url = match a {
                Value::Object(o) => o.get_mut("url"),
                Value::Array(pair) => pair.get_mut(1),
                s @ Value::String(_) => Some(s),
                _ => None,
            };
            if let Some(Value::String(u)) = url {
                *u = self.sign(u, exp);
            }
        }
    }

    /// A JSON document with the message at `pointer` signed until `exp`
    /// (`sign_message`): realtime events (`/data/message`; the ring is
    /// shared and long-lived, so it holds canonical links and each copy is
    /// signed as it leaves) and webhook bodies. None when the document
    /// holds no upload link or no message there, so most pass unparsed.
    pub fn sign_at(&self, json: &str, pointer: &str, exp: i64) -> Option<String> {
        if !json.contains("/uploads/") {
            return None;
        }
        let mut v: Value = serde_json::from_str(json).ok()?;
        self.sign_message(v.pointer_mut(pointer)?, exp);
        Some(v.to_string())
    }
}

fn create_key(dir: &Path, path: &Path) -> std::io::Result<Vec<u8>> {
    std::fs::create_dir_all(dir)?;
    let key = crate::util::random_bytes(32);
    let tmp = dir.join(format!("links.key.{}", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(&key)?;
        f.sync_all()?;
    }
    // A hard link never replaces: if another process (a CLI command beside
    // the server) made the key first, theirs wins and we read it.
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read(path),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn links() -> Links {
        Links::with_key(vec![7; 32], "https://chat.example.com/")
    }

    #[test]
    fn signs_only_our_uploads_and_verifies() {
        let l = links();
        let exp = now_secs() + 60;
        let s = l.sign("/uploads/abc123/a b.png", exp);
        let q: Vec<&str> = s.split(['?', '&']).collect();
        assert_eq!(q[0], "/uploads/abc123/a b.png");
        let sig = q[2].strip_prefix("sig=").unwrap();
        assert!(l.verify("abc123", Some(&exp.to_string()), Some(sig)));
        assert!(!l.verify("abc124", Some(&exp.to_string()), Some(sig)));
        assert!(!l.verify("abc123", Some(&(exp + 1).to_string()), Some(sig)));
        assert!(!l.verify("abc123", None, Some(sig)));
        let old = now_secs() - 1;
        let s = l.sign("/uploads/abc123/x", old);
        let sig = s.rsplit("sig=").next().unwrap();
        assert!(
            !l.verify("abc123", Some(&old.to_string()), Some(sig)),
            "expired"
        );
        // Absolute links to us are signed (and re-signed); others are not.
        let abs = l.sign(
            "https://chat.example.com/uploads/abc/x.pdf?exp=1&sig=zz",
            exp,
        );
        assert!(abs.starts_with("https://chat.example.com/uploads/abc/x.pdf?exp="));
        assert_eq!(abs.matches("sig=").count(), 1);
        assert_eq!(
            l.sign("https://evil.example/uploads/abc/x", exp),
            "https://evil.example/uploads/abc/x"
        );
        assert_eq!(l.sign("/uploads/../x", exp), "/uploads/../x");
        assert_eq!(
            l.canonical("/uploads/abc/x.pdf?exp=1&sig=zz"),
            "/uploads/abc/x.pdf"
        );
    }

    #[test]
    fn frame_links_expire_on_whole_buckets_at_least_a_ttl_away() {
        let b = FRAME_BUCKET_SECS;
        for now in [0, 1, b - FRAME_TTL_SECS % b, 1_796_000_123] {
            let exp = frame_exp_at(now);
            assert_eq!(exp % b, 0);
            assert!(exp >= now + FRAME_TTL_SECS && exp < now + FRAME_TTL_SECS + b);
        }
        // Reads within one bucket share the link.
        assert_eq!(frame_exp_at(b * 1000 + 1), frame_exp_at(b * 1001 - 1));
    }

    #[test]
    fn signs_message_attachments_but_not_payloads() {
        let l = links();
        let mut m = json!({
            "attachments": [{"name": "a", "url": "/uploads/t1/a"}],
            "payload": {"attachments": [{"url": "/uploads/t2/b"}]},
        });
        l.sign_message(&mut m, now_secs() + 60);
        assert!(m["attachments"][0]["url"]
            .as_str()
            .unwrap()
            .contains("sig="));
        assert_eq!(m["payload"]["attachments"][0]["url"], "/uploads/t2/b");
        let mut sb = json!({"attachments": "[[\"a\",\"/uploads/t1/a\"]]"});
        // The sender's avatar too, and a document's message by pointer.
        let event = json!({"data": {"message": {"sender": {"avatar": "/uploads/t3/me.png"}}}});
        let signed = l.sign_at(&event.to_string(), "/data/message", now_secs() + 60);
        assert!(signed.unwrap().contains("/uploads/t3/me.png?exp="));
        assert_eq!(
            l.sign_at("{\"a\":\"/uploads/t3/x\"}", "/data/message", 1),
            None
        );
        l.sign_message(&mut sb, now_secs() + 60);
        assert!(sb["attachments"].as_str().unwrap().contains("sig="));
    }
}
