//! Text hygiene for what people type: names lose control and invisible
//! characters (display-name spoofing), message bodies lose control
//! characters except newline and tab, and single-line fields that must be
//! exact (emails, titles) refuse control characters outright.

use crate::error::{self, Result};

/// Characters that reorder or hide text without showing themselves:
/// Unicode's Default_Ignorable_Code_Point set (DerivedCoreProperties.txt:
/// bidi embeddings, overrides, isolates and marks, zero-width characters,
/// the soft hyphen, the Hangul fillers, variation selectors, tags...) and
/// the blank braille pattern, which draws as a space. In a name they let
/// "Support" be spelt to look like someone else.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}'..='\u{1160}'
        | '\u{17B4}'..='\u{17B5}' | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{2800}' | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}'
        | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// A display name as stored: no control characters (C0, DEL, C1), no
/// invisible or bidi-control characters.
pub fn clean_name(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() && !is_invisible(*c))
        .collect()
}

/// A message body as stored: control characters (C0, DEL, C1) removed
/// except newline and tab (a NUL or an escape sequence has no place in a
/// chat message); any other text is kept as typed.
pub fn clean_body(s: &str) -> String {
    s.chars()
        .filter(|c| !(c.is_control() && *c != '\n' && *c != '\t'))
        .collect()
}

/// A single-line label shown to agents (a conversation title, a custom
/// field's key or value): refused if it holds control characters, stripped
/// of invisible ones.
pub fn clean_label(field: &str, s: &str) -> Result<String> {
    refuse_controls(field, s)?;
    Ok(s.chars().filter(|c| !is_invisible(*c)).collect())
}

/// Refuses a single-line field that holds any control character.
pub fn refuse_controls(field: &str, value: &str) -> Result<()> {
    if value.chars().any(char::is_control) {
        return Err(
            error::INVALID_CHARACTERS.with(format!("{field} must not contain control characters"))
        );
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
        assert_eq!(
            clean_name(
                "Ad\u{2066}min\u{2069}\u{3164}\u{115F}\u{E0041}\u{34F}\u{AD}\u{180E}\u{2800}"
            ),
            "Admin"
        );
    }

    #[test]
    fn bodies_keep_newlines_and_tabs() {
        assert_eq!(clean_body("a\u{0}b\r\n\tc\u{1b}[31m\u{7f}"), "ab\n\tc[31m");
        assert_eq!(clean_body("\u{202E}kept"), "\u{202E}kept");
        assert_eq!(clean_body("a\u{85}b\u{9B}c"), "abc");
    }

    #[test]
    fn controls_are_refused() {
        assert!(refuse_controls("email", "a\u{0}@b.c").is_err());
        assert!(refuse_controls("email", "a@b.c").is_ok());
        assert_eq!(clean_label("title", "Re\u{202E}fund").unwrap(), "Refund");
        assert!(clean_label("title", "a\u{0}").is_err());
    }
}
