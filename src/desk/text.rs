//! Text hygiene for what people type: names lose control and invisible
//! characters (display-name spoofing), message bodies lose control
//! characters except newline and tab, and single-line fields that must be
//! exact (emails, titles) refuse control characters outright.

use crate::error::{Error, Result};

/// Characters that reorder or hide text without showing themselves: the
/// bidi embeddings, overrides and isolates (U+202A–202E, U+2066–2069),
/// the bidi marks (U+200E, U+200F, U+061C), and the zero-width ones
/// (U+200B–200D, U+2060, U+FEFF). In a name they let "Support" be spelt
/// to look like someone else.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        | '\u{200B}'..='\u{200F}' | '\u{061C}' | '\u{2060}' | '\u{FEFF}')
}

/// A display name as stored: no control characters (C0, DEL, C1), no
/// invisible or bidi-control characters.
pub fn clean_name(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() && !is_invisible(*c))
        .collect()
}

/// A message body as stored: C0 controls and DEL removed except newline and
/// tab (a NUL or an escape sequence has no place in a chat message); any
/// other text is kept as typed.
pub fn clean_body(s: &str) -> String {
    s.chars()
        .filter(|c| !(c.is_ascii_control() && *c != '\n' && *c != '\t'))
        .collect()
}

/// Refuses a single-line field that holds any control character.
pub fn refuse_controls(field: &str, value: &str) -> Result<()> {
    if value.chars().any(char::is_control) {
        return Err(Error::bad(
            "invalid_characters",
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_controls_and_invisibles() {
        assert_eq!(
            clean_name("Ad\u{0}min\u{202E}\u{200B}\u{FEFF}\u{2066}"),
            "Admin"
        );
        assert_eq!(clean_name("Zoë 李"), "Zoë 李");
    }

    #[test]
    fn bodies_keep_newlines_and_tabs() {
        assert_eq!(clean_body("a\u{0}b\r\n\tc\u{1b}[31m\u{7f}"), "ab\n\tc[31m");
        assert_eq!(clean_body("\u{202E}kept"), "\u{202E}kept");
    }

    #[test]
    fn controls_are_refused() {
        assert!(refuse_controls("email", "a\u{0}@b.c").is_err());
        assert!(refuse_controls("email", "a@b.c").is_ok());
    }
}
