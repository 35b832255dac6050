//! File attachments: accepted by type and size, stored under an
//! unguessable token, and served so that a browser never runs them.

use super::{Actor, Desk};
use crate::error::{Error, Kind, Result};
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
    ("video/mp4", false),
];

pub fn inline_ok(content_type: &str) -> bool {
    TYPES
        .iter()
        .any(|(t, inline)| *t == content_type && *inline)
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
        let content_type = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if !TYPES.iter().any(|(t, _)| *t == content_type) {
            return Err(Error::new(
                Kind::UnsupportedMediaType,
                "file_type_not_allowed",
                format!("files of type {content_type:?} are not accepted"),
            ));
        }
        if bytes.is_empty() {
            return Err(Error::bad("empty_file", "the file is empty"));
        }
        if bytes.len() > max {
            return Err(Error::new(
                Kind::TooLarge,
                "file_too_large",
                format!("files are limited to {max} bytes"),
            ));
        }
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
        let (row, uid) = (u.clone(), actor.user_id);
        if let Err(e) = self.store.write(move |tx| uploads::insert(tx, &row, uid)) {
            // No row points at the file: remove it rather than leak it.
            let _ = std::fs::remove_file(dir.join(&u.token));
            return Err(e);
        }
        Ok(json!({
            "name": u.name, "url": format!("/uploads/{}/{}", u.token, u.name),
            "type": u.content_type, "size": u.size,
        }))
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
    fn names_are_cleaned() {
        assert_eq!(super::clean_name("../../etc/passwd"), "passwd");
        assert_eq!(super::clean_name(r#"a<b>"c".png"#), "a_b__c_.png");
        assert_eq!(super::clean_name("..."), "file");
        assert_eq!(super::clean_name(r"C:\x\report (1).pdf"), "report (1).pdf");
    }
}
