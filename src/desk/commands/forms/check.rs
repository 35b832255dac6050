//! What a form may be (its fields, addresses) and what its answers may
//! be, checked without the store: pure, so the rules are unit-tested here.

use crate::desk::check_len;
use crate::desk::email::check_address;
use crate::desk::text::{clean_body, clean_label};
use crate::error::{self, Error, Result};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Map, Value};

pub const FIELD_TYPES: &[&str] = &["text", "textarea", "email", "number", "select", "checkbox"];
pub const MAX_FIELDS: usize = 30;
pub const MAX_EMAIL_TO: usize = 5;
pub const MAX_OPTIONS: usize = 50;
const MAX_TEXT: usize = 1_000;
const MAX_TEXTAREA: usize = 5_000;

/// A field as an admin writes it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldInput {
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub options: Vec<String>,
}

/// A form as an admin writes it (`POST /api/v1/forms`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormInput {
    pub name: String,
    #[serde(default)]
    pub department_id: Option<i64>,
    #[serde(default)]
    pub category: String,
    pub fields: Vec<FieldInput>,
    #[serde(default)]
    pub email_to: Vec<String>,
}

/// A change to a form (`PATCH`): what is given replaces what was.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormPatch {
    pub name: Option<String>,
    /// Absent: unchanged; `null`: every department.
    #[serde(default, deserialize_with = "present")]
    pub department_id: Option<Option<i64>>,
    pub category: Option<String>,
    pub fields: Option<Vec<FieldInput>>,
    pub email_to: Option<Vec<String>>,
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

fn invalid(message: impl Into<String>) -> Error {
    error::INVALID_FORM.with(message)
}

/// A key: 1 to 40 letters, digits and `_`.
fn is_key(s: &str) -> bool {
    (1..=40).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A short single-line text: trimmed, no control or invisible characters.
fn label(field: &str, s: &str, max: usize) -> Result<String> {
    let s = clean_label(field, s.trim())?;
    if s.is_empty() {
        return Err(invalid(format!("{field} must not be empty")));
    }
    check_len(field, &s, max)?;
    Ok(s)
}

/// The form's name, checked.
pub fn name(s: &str) -> Result<String> {
    label("name", s, 100)
}

/// The fields as stored: `[{name, label, type, required, options}]`.
pub fn fields(list: &[FieldInput]) -> Result<Value> {
    if list.is_empty() || list.len() > MAX_FIELDS {
        return Err(invalid(format!("a form has 1 to {MAX_FIELDS} fields")));
    }
    let mut out = Vec::with_capacity(list.len());
    let mut seen = std::collections::HashSet::new();
    for f in list {
        if !is_key(&f.name) {
            return Err(invalid(format!(
                "field name {:?} must be 1 to 40 letters, digits or _",
                f.name
            )));
        }
        if !seen.insert(f.name.to_ascii_lowercase()) {
            return Err(invalid(format!("two fields are named {:?}", f.name)));
        }
        let kind = f.kind.as_deref().unwrap_or("text");
        if !FIELD_TYPES.contains(&kind) {
            return Err(invalid(format!(
                "field {:?}: type must be one of {}",
                f.name,
                FIELD_TYPES.join(", ")
            )));
        }
        let lbl = match &f.label {
            Some(l) if !l.trim().is_empty() => label("label", l, 100)?,
            _ => f.name.clone(),
        };
        let options = options(&f.name, kind, &f.options)?;
        out.push(json!({
            "name": f.name, "label": lbl, "type": kind, "required": f.required, "options": options,
        }));
    }
    Ok(Value::Array(out))
}

fn options(field: &str, kind: &str, list: &[String]) -> Result<Vec<String>> {
    if kind != "select" {
        if !list.is_empty() {
            return Err(invalid(format!(
                "field {field:?}: only a select has options"
            )));
        }
        return Ok(Vec::new());
    }
    if list.is_empty() || list.len() > MAX_OPTIONS {
        return Err(invalid(format!(
            "field {field:?}: a select has 1 to {MAX_OPTIONS} options"
        )));
    }
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for o in list {
        let o = label("option", o, 100)?;
        if out.contains(&o) {
            return Err(invalid(format!("field {field:?}: option {o:?} twice")));
        }
        out.push(o);
    }
    Ok(out)
}

/// The addresses results are emailed to.
pub fn email_to(list: &[String]) -> Result<Value> {
    if list.len() > MAX_EMAIL_TO {
        return Err(invalid(format!(
            "email_to holds at most {MAX_EMAIL_TO} addresses"
        )));
    }
    let mut out: Vec<String> = Vec::new();
    for a in list {
        let a = a.trim();
        check_address("email_to", a).map_err(|e| invalid(e.message))?;
        if !out.iter().any(|b| b.eq_ignore_ascii_case(a)) {
            out.push(a.to_string());
        }
    }
    Ok(json!(out))
}

/// The category a form is offered in: `""` (every one), else one of its
/// department's categories (`None`: the form names no department).
pub fn category(category: &str, categories: Option<&[String]>) -> Result<String> {
    let c = category.trim();
    match categories {
        _ if c.is_empty() => Ok(String::new()),
        None => Err(invalid(
            "a form for every department has no category (category must be \"\")",
        )),
        Some(list) => match list.iter().find(|n| n.as_str() == c) {
            Some(n) => Ok(n.clone()),
            None => Err(invalid(format!(
                "category {c:?} is not a category of the department ({})",
                list.join(", ")
            ))),
        },
    }
}

/// The stored fields of a form, as a list.
pub fn field_list(fields: &Value) -> &[Value] {
    fields.as_array().map(Vec::as_slice).unwrap_or_default()
}

/// One answer checked against its field: `None` clears it.
fn answer(field: &Value, v: &Value) -> Result<Option<Value>> {
    let key = field["name"].as_str().unwrap_or("");
    let bad = |why: &str| error::INVALID_ANSWERS.with(format!("{key}: {why}"));
    if v.is_null() || v.as_str().is_some_and(|s| s.trim().is_empty()) {
        return Ok(None);
    }
    let kind = field["type"].as_str().unwrap_or("text");
    let text = || v.as_str().ok_or_else(|| bad("must be text"));
    Ok(Some(match kind {
        "checkbox" => json!(v.as_bool().ok_or_else(|| bad("must be true or false"))?),
        "number" => {
            let n = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|n| n.is_finite())
            .ok_or_else(|| bad("must be a number"))?;
            if n.fract() == 0.0 && n.abs() < 9e15 {
                json!(n as i64)
            } else {
                json!(n)
            }
        }
        "email" => {
            let s = text()?.trim();
            check_address(key, s).map_err(|_| bad("must be an email address"))?;
            json!(s)
        }
        "select" => {
            let s = text()?;
            let options = field_list(&field["options"]);
            if !options.iter().any(|o| o.as_str() == Some(s)) {
                return Err(bad("must be one of the options"));
            }
            json!(s)
        }
        "textarea" => {
            let s = clean_body(text()?);
            check_len(key, &s, MAX_TEXTAREA)?;
            json!(s)
        }
        _ => {
            let s = clean_label(key, text()?.trim()).map_err(|_| bad("must be one line"))?;
            check_len(key, &s, MAX_TEXT)?;
            json!(s)
        }
    }))
}

/// `given` merged into `current` (a key given as `null` or `""` is
/// cleared), each checked against `fields`; an unknown key is refused.
pub fn merge(
    fields: &Value,
    current: &Value,
    given: &Map<String, Value>,
) -> Result<Map<String, Value>> {
    let list = field_list(fields);
    let mut out = current.as_object().cloned().unwrap_or_default();
    for (k, v) in given {
        let f = list
            .iter()
            .find(|f| f["name"].as_str() == Some(k))
            .ok_or_else(|| error::INVALID_ANSWERS.with(format!("the form has no field {k:?}")))?;
        match answer(f, v)? {
            Some(v) => out.insert(k.clone(), v),
            None => out.remove(k),
        };
    }
    // Fields removed from the form since are dropped.
    out.retain(|k, _| list.iter().any(|f| f["name"].as_str() == Some(k)));
    Ok(out)
}

/// The labels of the required fields that have no answer (a required
/// checkbox must be ticked).
pub fn missing(fields: &Value, answers: &Map<String, Value>) -> Vec<String> {
    field_list(fields)
        .iter()
        .filter(|f| f["required"].as_bool() == Some(true))
        .filter(|f| {
            let v = f["name"].as_str().and_then(|k| answers.get(k));
            match v {
                None | Some(Value::Bool(false)) => true,
                Some(_) => false,
            }
        })
        .map(|f| f["label"].as_str().unwrap_or("").to_string())
        .collect()
}

/// Complete: every required field answered, and at least one answer (a
/// form with no required field is complete once anything is filled in).
pub fn complete(fields: &Value, answers: &Map<String, Value>) -> bool {
    !answers.is_empty() && missing(fields, answers).is_empty()
}

/// The answers as a result keeps them: `[{key, label, value}]` in the
/// form's field order, so a later change to the form leaves them as sent.
pub fn snapshot(fields: &Value, answers: &Value) -> Value {
    let list = field_list(fields)
        .iter()
        .filter_map(|f| {
            let key = f["name"].as_str()?;
            let value = answers.get(key)?;
            Some(json!({ "key": key, "label": f["label"], "value": value }))
        })
        .collect();
    Value::Array(list)
}

/// A value as text: yes/no for a checkbox.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        other => other.to_string(),
    }
}

/// A result as plain text: its name, then `Label: value` a line.
pub fn render(name: &str, snapshot: &Value) -> String {
    let mut out = name.to_string();
    for a in field_list(snapshot) {
        out.push('\n');
        out.push_str(a["label"].as_str().unwrap_or(""));
        out.push_str(": ");
        out.push_str(&value_text(&a["value"]));
    }
    out
}

/// `{key: value}` of a snapshot.
pub fn values(snapshot: &Value) -> Value {
    let map: Map<String, Value> = field_list(snapshot)
        .iter()
        .filter_map(|a| Some((a["key"].as_str()?.to_string(), a["value"].clone())))
        .collect();
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, kind: &str, required: bool, options: &[&str]) -> FieldInput {
        FieldInput {
            name: name.into(),
            label: Some(format!("The {name}")),
            kind: Some(kind.into()),
            required,
            options: options.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn a_form_definition_is_checked() {
        assert!(fields(&[]).is_err());
        assert!(fields(&[field("bad key", "text", false, &[])]).is_err());
        assert!(fields(&[field("a", "date", false, &[])]).is_err());
        assert!(fields(&[field("a", "select", false, &[])]).is_err());
        assert!(fields(&[field("a", "text", false, &["x"])]).is_err());
        assert!(fields(&[
            field("a", "text", false, &[]),
            field("A", "text", false, &[])
        ])
        .is_err());
        let many: Vec<_> = (0..31)
            .map(|i| field(&format!("f{i}"), "text", false, &[]))
            .collect();
        assert!(fields(&many).is_err());
        let ok = fields(&[field("brand", "select", true, &["VW", "BMW"])]).unwrap();
        assert_eq!(ok[0]["options"], json!(["VW", "BMW"]));
        assert!(email_to(&vec!["a@b.co".to_string(); 6]).is_err());
        assert!(email_to(&["nope".into()]).is_err());
        assert!(category("Used", None).is_err());
        assert!(category("Boats", Some(&["Used".into()])).is_err());
        assert_eq!(category("Used", Some(&["Used".into()])).unwrap(), "Used");
    }

    #[test]
    fn answers_are_checked_and_completion_follows_the_required_fields() {
        let f = fields(&[
            field("name", "text", true, &[]),
            field("mail", "email", false, &[]),
            field("age", "number", false, &[]),
            field("car", "select", false, &["VW"]),
            field("ok", "checkbox", true, &[]),
        ])
        .unwrap();
        let given = |v: Value| v.as_object().unwrap().clone();
        assert!(merge(&f, &json!({}), &given(json!({"nope": 1}))).is_err());
        assert!(merge(&f, &json!({}), &given(json!({"mail": "x"}))).is_err());
        assert!(merge(&f, &json!({}), &given(json!({"age": "ten"}))).is_err());
        assert!(merge(&f, &json!({}), &given(json!({"car": "BMW"}))).is_err());
        assert!(merge(&f, &json!({}), &given(json!({"ok": "yes"}))).is_err());
        assert!(merge(&f, &json!({}), &given(json!({"name": "a\nb"}))).is_err());
        let a = merge(
            &f,
            &json!({}),
            &given(json!({"name": "Ann", "age": "42", "ok": false})),
        )
        .unwrap();
        assert_eq!(a["age"], json!(42));
        assert!(!complete(&f, &a));
        assert_eq!(missing(&f, &a), vec!["The ok"]);
        let a = merge(&f, &Value::Object(a), &given(json!({"ok": true}))).unwrap();
        assert!(complete(&f, &a));
        let a = merge(&f, &Value::Object(a), &given(json!({"name": ""}))).unwrap();
        assert!(!complete(&f, &a));
        let s = snapshot(&f, &json!({"name": "Ann", "ok": true}));
        assert_eq!(
            render("Test drive", &s),
            "Test drive\nThe name: Ann\nThe ok: yes"
        );
        assert_eq!(values(&s), json!({"name": "Ann", "ok": true}));
    }
}
