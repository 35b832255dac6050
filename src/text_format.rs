//! Chat text formatting as Support Board writes it: `*bold*`, `_italic_`,
//! `~strikethrough~`, `` `code` `` and ```` ```block``` ````, rendered to
//! HTML (the text itself always escaped) or removed.

/// (marker, opening tag, closing tag), longest marker first.
const MARKS: &[(&str, &str, &str)] = &[
    ("```", "<pre>", "</pre>"),
    ("`", "<code>", "</code>"),
    ("*", "<b>", "</b>"),
    ("_", "<i>", "</i>"),
    ("~", "<del>", "</del>"),
];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Splits `text` into plain and marked spans: a span opens at a marker
/// that is followed by a non-space and closes at the next same marker that
/// follows a non-space, on the same line (blocks may span lines).
fn spans(text: &str) -> Vec<(Option<usize>, &str)> {
    let mut out = Vec::new();
    let mut rest = text;
    let mut plain_start = 0;
    let mut i = 0;
    while i < rest.len() {
        let found = MARKS.iter().enumerate().find(|(_, (m, ..))| {
            rest[i..].starts_with(m)
                && rest[i + m.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| !c.is_whitespace())
        });
        let Some((k, (m, ..))) = found else {
            i += rest[i..].chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let body_start = i + m.len();
        let close = rest[body_start..].find(m).map(|p| body_start + p);
        let closes = close.filter(|&c| {
            let inner = &rest[body_start..c];
            !inner.is_empty()
                && !inner.ends_with(char::is_whitespace)
                && (*m == "```" || !inner.contains('\n'))
        });
        match closes {
            Some(c) => {
                if plain_start < i {
                    out.push((None, &rest[plain_start..i]));
                }
                out.push((Some(k), &rest[body_start..c]));
                rest = &rest[c + m.len()..];
                i = 0;
                plain_start = 0;
            }
            None => i = body_start,
        }
    }
    if plain_start < rest.len() {
        out.push((None, &rest[plain_start..]));
    }
    out
}

/// The message as HTML: formatting to tags, line breaks to `<br>`.
pub fn to_html(text: &str) -> String {
    let mut out = String::new();
    for (mark, s) in spans(text) {
        match mark {
            Some(k) => {
                let (_, open, close) = MARKS[k];
                let inner = if k == 0 {
                    escape(s.trim_matches('\n'))
                } else {
                    to_html(s)
                };
                out.push_str(open);
                out.push_str(&inner);
                out.push_str(close);
            }
            None => out.push_str(&escape(s).replace('\n', "<br>")),
        }
    }
    out
}

/// The message without its formatting markers.
pub fn clear(text: &str) -> String {
    spans(text)
        .into_iter()
        .map(|(mark, s)| match mark {
            Some(k) if k > 1 => clear(s),
            _ => s.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_and_clears() {
        let m = "Lorem ipsum dolor *sit amet*, _consectetur adipiscing elit_, `sed` do.";
        assert_eq!(
            to_html(m),
            "Lorem ipsum dolor <b>sit amet</b>, <i>consectetur adipiscing elit</i>, <code>sed</code> do."
        );
        assert_eq!(
            clear(m),
            "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do."
        );
        assert_eq!(to_html("<script>*x*"), "&lt;script&gt;<b>x</b>");
        assert_eq!(
            to_html("2 * 3 * 4 and snake_case"),
            "2 * 3 * 4 and snake_case"
        );
        assert_eq!(to_html("~gone~\nnext"), "<del>gone</del><br>next");
        assert_eq!(to_html("```a <b>\n*c*```"), "<pre>a &lt;b&gt;\n*c*</pre>");
        assert_eq!(to_html("*_both_*"), "<b><i>both</i></b>");
        assert_eq!(clear("*_both_* `*k*`"), "both *k*");
    }
}

/// Bounded fuzzing of the formatter: no panic, nothing from the text ever
/// becomes markup, the output stays proportional to the input.
#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    /// The tags `to_html` may write; everything else must be escaped.
    const TAGS: &[&str] = &[
        "<pre>", "</pre>", "<code>", "</code>", "<b>", "</b>", "<i>", "</i>", "<del>", "</del>",
        "<br>",
    ];

    /// Chat text rich in markers, markup and odd characters.
    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                Just("*".to_string()),
                Just("_".to_string()),
                Just("~".to_string()),
                Just("`".to_string()),
                Just("```".to_string()),
                Just(" ".to_string()),
                Just("\n".to_string()),
                Just("<".to_string()),
                Just(">".to_string()),
                Just("&".to_string()),
                Just("\"".to_string()),
                Just("'".to_string()),
                Just("<script>".to_string()),
                "[a-z]{1,3}",
                any::<char>().prop_map(String::from),
            ],
            0..48,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn html_escapes_everything_but_its_own_tags(t in text()) {
            let html = to_html(&t);
            let mut rest = html.clone();
            for tag in TAGS {
                rest = rest.replace(tag, "");
            }
            prop_assert!(!rest.contains(['<', '>', '"', '\'']), "{t:?} -> {html:?}");
            // Every & starts an entity the escaper writes.
            for (i, _) in rest.match_indices('&') {
                let tail = &rest[i..];
                prop_assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"].iter().any(|e| tail.starts_with(e)),
                    "{t:?} -> {html:?}"
                );
            }
            prop_assert!(html.len() <= 7 * t.len(), "{t:?} -> {html:?}");
        }

        #[test]
        fn clear_only_removes(t in text()) {
            let c = clear(&t);
            prop_assert!(c.len() <= t.len());
            // What remains is the text in order, less some markers.
            let mut it = t.chars();
            for ch in c.chars() {
                prop_assert!(it.any(|x| x == ch), "{t:?} -> {c:?}");
            }
        }
    }
}
