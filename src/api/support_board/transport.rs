//! The transport: a call's arguments, form encoded the way PHP's
//! `http_build_query` sends them (arrays included) or as JSON.

use crate::error::{self, Entry, Error, Result};
use crate::http::request::{parse_form_pairs, Ctx};
use serde_json::{Map, Value};

/// The catalogue entries Support Board spells otherwise than as their code
/// in kebab case (`missing_user_ids` is `missing-user-ids`).
const SPELLINGS: &[(&Entry, &str)] = &[
    (&error::EMAIL_TAKEN, "duplicate-email"),
    (&error::INVALID_TYPE, "invalid-user-type"),
    (&error::INVALID_STATUS, "invalid-status-code"),
    // A JSON body that cannot be read: the HTTP layer's code, as it is.
    (&error::INVALID_JSON, "invalid_json"),
    (&error::INVALID_UTF8, "invalid_utf8"),
];

/// An error's code as Support Board spells it, in `"response"`.
pub(super) fn code(e: &Error) -> String {
    match SPELLINGS.iter().find(|(entry, _)| e.is(entry)) {
        Some((_, spelled)) => spelled.to_string(),
        None => e.code.replace('_', "-"),
    }
}

/// The arguments of one call, whatever encoding they came in.
pub(super) struct Args(pub(super) Map<String, Value>);

impl Args {
    pub(super) fn parse(ctx: &Ctx) -> Result<Args> {
        let ct = ctx
            .header("content-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        if ct.starts_with("application/json") {
            let v: Value = ctx.json()?;
            return match v {
                Value::Object(m) => Ok(Args(m)),
                _ => Err(error::INVALID_ARGUMENTS.with("the body must be a JSON object")),
            };
        }
        let text = std::str::from_utf8(&ctx.body)
            .map_err(|_| error::INVALID_ARGUMENTS.with("the body is not UTF-8"))?;
        Ok(Args(nest(parse_form_pairs(text))))
    }

    pub(super) fn str(&self, k: &str) -> Option<String> {
        match self.0.get(k)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// An optional argument: PHP clients send "false" (or "") for "not given".
    pub(super) fn given(&self, k: &str) -> Option<String> {
        self.str(k)
            .filter(|s| !s.trim().is_empty() && s.trim() != "false")
    }

    pub(super) fn id(&self, k: &str) -> Result<Option<i64>> {
        match self.str(k) {
            None => Ok(None),
            Some(s) if s.is_empty() || s == "-1" || s == "false" => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| error::INVALID_ARGUMENTS.with(format!("{k} must be an id"))),
        }
    }

    pub(super) fn need_id(&self, k: &str, missing: &Entry) -> Result<i64> {
        self.id(k)?
            .ok_or_else(|| missing.with(format!("{k} is required")))
    }

    pub(super) fn flag(&self, k: &str) -> bool {
        matches!(self.str(k).as_deref(), Some("true" | "1"))
    }

    /// A list of ids: a JSON array (form array or JSON text) or "1,2,3".
    pub(super) fn ids(&self, k: &str) -> Option<Vec<i64>> {
        let parse = |v: &Value| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        };
        match self.json(k) {
            Some(Value::Array(v)) => Some(v.iter().filter_map(parse).collect()),
            Some(single @ (Value::Number(_) | Value::String(_))) => {
                Some(parse(&single).into_iter().collect())
            }
            _ => self
                .str(k)
                .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect()),
        }
    }

    /// A list of ids that must not be empty; `missing` names the error.
    pub(super) fn need_ids(&self, k: &str, missing: &Entry) -> Result<Vec<i64>> {
        self.ids(k)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| missing.with(format!("{k} is required")))
    }

    /// A list of strings (non-strings skipped); empty when absent.
    pub(super) fn strings(&self, k: &str) -> Vec<String> {
        match self.json(k) {
            Some(Value::Array(v)) => v
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect(),
            _ => vec![],
        }
    }

    /// A JSON value given either as nested form fields or as a JSON string.
    pub(super) fn json(&self, k: &str) -> Option<Value> {
        match self.0.get(k)? {
            Value::String(s) if s.is_empty() || s == "false" => None,
            Value::String(s) => serde_json::from_str(s).ok(),
            v => Some(v.clone()),
        }
    }
}

/// PHP's `max_input_nesting_level`: deeper fields are dropped, as PHP drops
/// them. It also bounds the recursion in `arrays` and in dropping the
/// values (a 1 MB `a[b][b]...` key overflowed a worker's stack).
const MAX_NESTING: usize = 64;

/// `a[b][0]=x` pairs into nested JSON; objects whose keys are 0..n become arrays.
fn nest(pairs: Vec<(String, String)>) -> Map<String, Value> {
    let mut root = Map::new();
    for (key, value) in pairs {
        let mut path: Vec<String> = Vec::new();
        let (head, rest) = key
            .split_once('[')
            .map_or((key.as_str(), ""), |(h, r)| (h, r));
        path.push(head.to_string());
        for seg in rest.split('[') {
            if let Some(seg) = seg.strip_suffix(']') {
                path.push(seg.to_string());
            }
        }
        if path.len() > MAX_NESTING + 1 {
            continue;
        }
        let mut node = &mut root;
        for (i, seg) in path.iter().enumerate() {
            let seg = if seg.is_empty() {
                node.len().to_string()
            } else {
                seg.clone()
            };
            if i + 1 == path.len() {
                node.insert(seg, Value::String(value.clone()));
            } else {
                let next = node.entry(seg).or_insert_with(|| Value::Object(Map::new()));
                if !next.is_object() {
                    *next = Value::Object(Map::new());
                }
                node = next.as_object_mut().unwrap();
            }
        }
    }
    root.into_iter().map(|(k, v)| (k, arrays(v))).collect()
}

fn arrays(v: Value) -> Value {
    match v {
        Value::Object(m) => {
            let is_list = !m.is_empty() && (0..m.len()).all(|i| m.contains_key(&i.to_string()));
            if is_list {
                Value::Array(
                    (0..m.len())
                        .map(|i| arrays(m[&i.to_string()].clone()))
                        .collect(),
                )
            } else {
                Value::Object(m.into_iter().map(|(k, v)| (k, arrays(v))).collect())
            }
        }
        v => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn php_arrays_nest() {
        let m = nest(vec![
            ("extra[phone][0]".into(), "123".into()),
            ("extra[phone][1]".into(), "Phone".into()),
            ("user_types[]".into(), "lead".into()),
            ("user_types[]".into(), "user".into()),
            ("function".into(), "add-user".into()),
        ]);
        assert_eq!(m["extra"], json!({ "phone": ["123", "Phone"] }));
        assert_eq!(m["user_types"], json!(["lead", "user"]));
        assert_eq!(m["function"], "add-user");
    }
}

/// Bounded fuzzing of the form transport: any body, no panic; PHP's
/// array syntax keeps its meaning; nesting stays bounded.
#[cfg(test)]
mod fuzz {
    use super::*;
    use crate::http::request::parse_form_pairs;
    use proptest::prelude::*;
    use serde_json::json;

    fn depth(v: &Value) -> usize {
        match v {
            Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
            Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }

    /// Keys made of the pieces PHP's syntax is made of.
    fn key() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                Just("["),
                Just("]"),
                Just("[]"),
                Just("[0]"),
                Just("[1]"),
                Just("[x]"),
                Just("a"),
                Just("0"),
                Just("%5B"),
                Just("+"),
                Just("="),
                Just("&"),
            ],
            0..12,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_form_body_parses(body in ".{0,200}", keys in prop::collection::vec((key(), ".{0,8}"), 0..12)) {
            let built: Vec<String> = keys.iter().map(|(k, v)| format!("{k}={v}")).collect();
            for text in [body, built.join("&")] {
                let m = nest(parse_form_pairs(&text));
                for v in m.values() {
                    prop_assert!(depth(v) <= MAX_NESTING);
                }
            }
        }

        #[test]
        fn plain_fields_and_lists_keep_their_values(
            plain in prop::collection::vec(("[a-z]{1,3}", "[^&=%+]{0,6}"), 0..8),
            list in prop::collection::vec("[^&=%+]{0,6}", 1..6),
        ) {
            let mut pairs: Vec<(String, String)> = plain.clone();
            pairs.extend(list.iter().map(|v| ("L[]".to_string(), v.clone())));
            let m = nest(pairs);
            for (k, _) in &plain {
                let last = plain.iter().rev().find(|(k2, _)| k2 == k).unwrap();
                prop_assert_eq!(&m[k], &Value::String(last.1.clone()));
            }
            prop_assert_eq!(&m["L"], &json!(list));
        }
    }

    #[test]
    fn deep_nesting_is_dropped_not_a_stack_overflow() {
        let deep = format!("a{}", "[b]".repeat(300_000));
        let m = nest(vec![(deep, "x".into()), ("ok".into(), "1".into())]);
        assert!(!m.contains_key("a"));
        assert_eq!(m["ok"], "1");
        let edge = format!("e{}", "[b]".repeat(MAX_NESTING));
        assert!(nest(vec![(edge, "x".into())]).contains_key("e"));
    }
}
