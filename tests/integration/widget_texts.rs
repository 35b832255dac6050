//! Widget texts per language (issue 10, bug 6): `widget.texts` is checked
//! when saved and served by the public widget config for the visitor's
//! language, falling back to the default texts.

use crate::harness::*;
use serde_json::json;

#[test]
fn widget_texts_per_language() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (st, _) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({
            "widget.title": "Chat with ACME",
            "widget.greeting": "Hello!",
            "widget.texts": {
                "fr": {"title": "Discutez avec ACME", "greeting": "Bonjour !", "subtitle": ""},
                "pt-BR": {"title": "Fale com a ACME"},
            },
        })),
    );
    assert_eq!(st, 200);
    let anon = s.anon();
    let config = |q: &str| anon.get(&format!("/api/v1/widget/config{q}"))["config"].clone();

    let c = config("");
    assert_eq!(
        (c["title"].as_str(), c["greeting"].as_str()),
        (Some("Chat with ACME"), Some("Hello!"))
    );
    assert!(
        c.get("texts").is_none(),
        "the texts of other languages are not sent: {c}"
    );
    let c = config("?lang=fr");
    assert_eq!(
        (c["title"].as_str(), c["greeting"].as_str()),
        (Some("Discutez avec ACME"), Some("Bonjour !"))
    );
    // An empty text falls back to the default (here: none, the widget's own).
    assert!(c.get("subtitle").is_none(), "{c}");
    // A regional code falls back to its language; an exact match wins.
    assert_eq!(config("?lang=fr-CA")["title"], "Discutez avec ACME");
    assert_eq!(config("?lang=pt-br")["title"], "Fale com a ACME");
    assert_eq!(config("?lang=pt")["title"], "Chat with ACME");
    assert_eq!(config("?lang=de")["title"], "Chat with ACME");

    let (st, e) = anon.call("GET", "/api/v1/widget/config?lang=%3Cscript%3E", None);
    assert_eq!(
        (st, e["error"]["code"].as_str()),
        (400, Some("invalid_language")),
        "{e}"
    );

    for (bad, code) in [
        (json!("French"), "invalid_field"),
        (json!({"fr": "Bonjour"}), "invalid_field"),
        (json!({"fr": {"colour": "red"}}), "invalid_field"),
        (json!({"fr": {"title": 3}}), "invalid_field"),
        (json!({"fr": {"title": "x".repeat(2001)}}), "too_large"),
        (
            json!({"not a language": {"title": "x"}}),
            "invalid_language",
        ),
    ] {
        let (st, e) = admin.call(
            "PUT",
            "/api/v1/settings",
            Some(json!({ "widget.texts": bad })),
        );
        assert_eq!(
            (st, e["error"]["code"].as_str()),
            (400, Some(code)),
            "{bad}: {e}"
        );
    }
    // Nothing of a refused save was kept.
    assert_eq!(config("?lang=fr")["title"], "Discutez avec ACME");
    // null removes the texts.
    let (st, _) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "widget.texts": null })),
    );
    assert_eq!(st, 200);
    assert_eq!(config("?lang=fr")["title"], "Chat with ACME");
}
