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
