//! File attachments: accepted by type and size, stored under an
//! unguessable token, and served so that a browser never runs them.

use super::{Actor, Desk};
use crate::error::{self, Error, Result};
use crate::store::uploads::{self, Upload};
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;

/// Types accepted, and whether a browser may show them inline (images
/// only; SVG never, since it can carry script).
const TYPES: &[(&str, bool)] = &[
    ("image/png", true),
    ("image/jpeg", true),
    ("image/gif", true),
    ("image/webp", true),
    ("application/pdf", false),
    ("text/plain", false),
    ("text/csv", false),
    ("application/json", false),
    ("application/zip", false),
    ("application/msword", false),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        false,
    ),
    ("application/vnd.ms-excel", false),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        false,
    ),
    ("audio/mpeg", false),
    // Voice notes from messaging apps: Opus in Ogg (Telegram, WhatsApp),
    // AAC and AMR (older phones, MMS).
    ("audio/ogg", false),
    ("audio/aac", false),
    ("audio/amr", false),
    ("video/mp4", false),
];

/// What the bytes of each declared type may be detected as (by `infer`).
/// Text types have no magic: they are checked to be text instead.
fn magic_allows(declared: &str, detected: &str) -> bool {
    const OLE: &[&str] = &[
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/x-ole-storage",
    ];
    const ZIP: &[&str] = &[
        "application/zip",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ];
    match declared {
        "application/msword" | "application/vnd.ms-excel" => OLE.contains(&detected),
        d if ZIP.contains(&d) => ZIP.contains(&detected),
        "video/mp4" => ["video/mp4", "audio/mp4", "video/x-m4v"].contains(&detected),
        d => d == detected,
    }
}

/// Refuses bytes that are not what their declared type says, and anything
/// executable whatever it claims: the declared type is the sender's word,
/// the magic bytes are the file's.
fn check_content(content_type: &str, bytes: &[u8]) -> Result<()> {
    let mismatch = |why: &str| {
        Err(error::UPLOAD_TYPE_MISMATCH
            .with(format!("the file is not a valid {content_type}: {why}")))
    };
    let detected = infer::get(bytes);
    let executable = bytes.starts_with(b"#!")
        || detected.is_some_and(|t| t.matcher_type() == infer::MatcherType::App);
    if executable {
        return mismatch("executables are not accepted");
    }
    if content_type.starts_with("text/") || content_type == "application/json" {
        if std::str::from_utf8(bytes).is_err() || bytes.contains(&0) {
            return mismatch("it is not UTF-8 text");
        }
        if detected.is_some_and(|t| t.matcher_type() != infer::MatcherType::Text) {
            return mismatch("it is a binary file");
        }
        return Ok(());
    }
    match detected {
        Some(t) if magic_allows(content_type, t.mime_type()) => Ok(()),
        Some(t) => mismatch(&format!("its content is {}", t.mime_type())),
        None => mismatch("its content is not recognised"),
    }
}

pub fn inline_ok(content_type: &str) -> bool {
    TYPES
        .iter()
        .any(|(t, inline)| *t == content_type && *inline)
}

/// RFC 5987 `attr-char`s stay as they are; every other byte is %XX.
const NOT_ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// The Content-Disposition a stored file is served with. Header values are
/// ASCII (tiny_http dropped the whole header for a name like `отчёт.pdf`),
/// so the exact name goes in `filename*` (RFC 6266) and an ASCII stand-in in
/// `filename`. `name` comes from `clean_name`: no quotes or backslashes.
pub fn content_disposition(inline: bool, name: &str) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    let ascii: String = name
        .chars()
        .map(|c| if c.is_ascii() { c } else { '_' })
        .collect();
    let exact = percent_encoding::utf8_percent_encode(name, NOT_ATTR_CHAR);
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{exact}")
}

/// The media type of a Content-Type header: parameters dropped, lower case.
fn media_type(header: &str) -> String {
    header
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// A file name safe to show and to put in a URL path segment and a header.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "._- ()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(120)
        .collect();
    let cleaned = cleaned.trim_matches(|c| c == '.' || c == ' ').to_string();
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

impl Desk {
    pub fn uploads_dir(&self) -> PathBuf {
        self.data_dir.join("uploads")
    }

    /// Stores an attachment and returns it in the shape messages take.
    pub fn save_upload(
        &self,
        actor: &Actor,
        name: &str,
        content_type: &str,
        bytes: &[u8],
        max: usize,
    ) -> Result<Value> {
        let u = self.store_upload_file(name, content_type, bytes, max)?;
        let dir = self.uploads_dir();
        let (row, uid) = (u.clone(), actor.user_id);
        if let Err(e) = self.store.write(move |tx| uploads::insert(tx, &row, uid)) {
            // No row points at the file: remove it rather than leak it.
            let _ = std::fs::remove_file(dir.join(&u.token));
            return Err(e);
        }
        // Handed to the uploader (a preview in the frame, or an admin's
        // download): signed like any link a reader gets.
        let url = format!("/uploads/{}/{}", u.token, u.name);
        Ok(json!({
            "name": u.name, "url": self.links.sign(&url, self.links.frame_exp()),
            "type": u.content_type, "size": u.size,
        }))
    }

    /// Checks a file by the upload rules (type, size, content) and writes
    /// it under `uploads/`; the caller inserts its row (or removes the file).
    pub(super) fn store_upload_file(
        &self,
        name: &str,
        content_type: &str,
        bytes: &[u8],
        max: usize,
    ) -> Result<Upload> {
        let content_type = media_type(content_type);
        if !TYPES.iter().any(|(t, _)| *t == content_type) {
            return Err(error::FILE_TYPE_NOT_ALLOWED
                .with(format!("files of type {content_type:?} are not accepted")));
        }
        if bytes.is_empty() {
            return Err(error::EMPTY_FILE.err());
        }
        if bytes.len() > max {
            return Err(error::FILE_TOO_LARGE.with(format!("files are limited to {max} bytes")));
        }
        check_content(&content_type, bytes)?;
        let u = Upload {
            token: crate::util::random_token("", 18)
                .replace('-', "x")
                .replace('_', "y"),
            name: clean_name(name),
            content_type,
            size: bytes.len() as i64,
        };
        let dir = self.uploads_dir();
        std::fs::create_dir_all(&dir).map_err(|e| Error::io("uploads dir", e))?;
        // Write, fsync, then rename: the row only ever points at a whole file.
        let tmp = dir.join(format!("{}.part", u.token));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, dir.join(&u.token))
        };
        if let Err(e) = write() {
            // A part-written file would only hold on to space (a full disk).
            let _ = std::fs::remove_file(&tmp);
            let e = Error::io("cannot store the file", e);
            if e.is_disk_full() {
                crate::metrics::METRICS
                    .disk_full_refused
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            return Err(e);
        }
        Ok(u)
    }

    /// Whether `actor` may read the upload `token` without a signed link:
    /// staff see every conversation; a visitor, only what is theirs.
    pub fn may_read_upload(&self, actor: &Actor, token: &str) -> Result<bool> {
        if actor.is_staff() {
            return Ok(true);
        }
        self.store
            .read(|c| uploads::visible_to_visitor(c, token, actor.user_id))
    }

    /// Stores attachment links canonical (a signature is per reader, never
    /// kept), and refuses a visitor's link to an upload that is not theirs:
    /// otherwise posting a stale link would have it re-signed for them.
    pub(super) fn own_attachments(
        &self,
        actor: &Actor,
        list: &mut [super::messages::Attachment],
    ) -> Result<()> {
        for a in list {
            a.url = self.own_link(Some(actor), &a.url, &error::INVALID_ATTACHMENT)?;
        }
        Ok(())
    }

    /// `url` made canonical, refused (as `refused`) when it links to one of
    /// our uploads that `actor` may not read (a visitor not yet created may
    /// read none): every link we store is signed again for its readers, so
    /// storing someone else's would renew a stale or forwarded link.
    pub(super) fn own_link(
        &self,
        actor: Option<&Actor>,
        url: &str,
        refused: &error::Entry,
    ) -> Result<String> {
        let url = self.links.canonical(url);
        let path = url.strip_prefix(self.links.public_url()).unwrap_or(&url);
        if let Some(token) = crate::links::upload_token(path) {
            let ours = match actor {
                Some(a) => self.may_read_upload(a, token)?,
                None => false,
            };
            if !ours {
                return Err(refused.with("that links to a file that is not yours"));
            }
        }
        Ok(url)
    }

    /// An upload's metadata and where its bytes are.
    pub fn open_upload(&self, token: &str) -> Result<Option<(Upload, PathBuf)>> {
        if token.is_empty() || !token.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Ok(None);
        }
        let found = self.store.read(|c| uploads::by_token(c, token))?;
        Ok(found.map(|u| {
            let path = self.uploads_dir().join(&u.token);
            (u, path)
        }))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn content_must_match_its_type() {
        use super::check_content as c;
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert!(c("image/png", png).is_ok());
        let ogg = b"OggS\0\x02\0\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\x01\x13OpusHead\x01\x01";
        assert!(c("audio/ogg", ogg).is_ok());
        assert!(c("audio/ogg", png).is_err());
        assert!(c("image/jpeg", png).is_err());
        assert!(c("image/png", b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0").is_err());
        assert!(c("application/pdf", b"MZ\x90\0\x03\0\0\0").is_err());
        assert!(c("text/plain", b"#!/bin/sh\nrm -rf /\n").is_err());
        assert!(c("text/plain", b"hello\0world").is_err());
        assert!(c("text/csv", b"a,b\r\n\xff\xfe").is_err());
        assert!(c("text/csv", "a,b\r\n\u{e9},1\r\n".as_bytes()).is_ok());
        assert!(c("application/json", b"{\"a\":1}").is_ok());
        assert!(c("application/pdf", b"%PDF-1.4 x").is_ok());
        assert!(c("application/zip", b"PK\x03\x04rest").is_ok());
        assert!(c("application/msword", b"PK\x03\x04rest").is_err());
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(super::clean_name("../../etc/passwd"), "passwd");
        assert_eq!(super::clean_name(r#"a<b>"c".png"#), "a_b__c_.png");
        assert_eq!(super::clean_name("..."), "file");
        assert_eq!(super::clean_name(r"C:\x\report (1).pdf"), "report (1).pdf");
    }
}

/// Bounded fuzzing of what the upload path derives from request headers
/// and the `?name=` parameter.
#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn names_are_safe_anywhere(name in ".{0,300}") {
            let n = clean_name(&name);
            prop_assert!(!n.is_empty() && n.chars().count() <= 120);
            prop_assert!(n.chars().all(|c| c.is_alphanumeric() || "._- ()".contains(c)), "{n:?}");
            prop_assert!(!n.starts_with(['.', ' ']) && !n.ends_with(['.', ' ']), "{n:?}");
        }

        #[test]
        fn disposition_is_a_valid_header(name in ".{0,300}", inline in any::<bool>()) {
            let d = content_disposition(inline, &clean_name(&name));
            prop_assert!(d.bytes().all(|b| (0x20..0x7f).contains(&b)), "{d:?}");
            prop_assert!(tiny_http::Header::from_bytes("Content-Disposition", d.as_bytes()).is_ok());
            // One quoted filename: the name cannot close the quotes early.
            prop_assert_eq!(d.matches('"').count(), 2, "{}", d);
            let exact = d.split("filename*=UTF-8''").nth(1).unwrap();
            prop_assert_eq!(
                percent_encoding::percent_decode_str(exact).decode_utf8().unwrap(),
                clean_name(&name)
            );
        }

        #[test]
        fn media_types_are_bare_and_folded(header in ".{0,80}") {
            let t = media_type(&header);
            prop_assert!(!t.contains(';') && t.trim() == t);
            prop_assert!(!t.chars().any(|c| c.is_ascii_uppercase()));
            if inline_ok(&t) {
                prop_assert!(t.starts_with("image/") && t != "image/svg+xml");
            }
        }
    }

    #[test]
    fn non_ascii_names_keep_their_disposition() {
        let d = content_disposition(false, "отчёт 2024.pdf");
        assert_eq!(
            d,
            "attachment; filename=\"_____ 2024.pdf\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82%202024.pdf"
        );
    }
}
