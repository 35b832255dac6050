//! What a first customer hits (issue 10): widget texts per language
//! (`widget.texts`, checked when saved and served by the public widget
//! config for the visitor's language, falling back to the default texts),
//! the list preview of a message that is only a file, and the favicon.

use crate::harness::*;
use serde_json::json;

/// The smallest valid PNG (1x1, transparent).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

#[test]
fn last_message_names_its_files_without_links() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (visitor, _) = s.visitor("Uma");
    let Auth::Bearer(vt) = visitor.auth.clone() else {
        unreachable!()
    };
    let resp = agent()
        .post(s.url("/api/v1/widget/uploads?name=photo.png"))
        .header("authorization", format!("Bearer {vt}"))
        .header("content-type", "image/png")
        .send(PNG)
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let up: serde_json::Value =
        serde_json::from_str(&resp.into_body().read_to_string().unwrap()).unwrap();
    let r = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "", "attachments": [up["attachment"]]}}),
    );
    let cid = r["conversation"]["id"].as_i64().unwrap();
    let list = admin.get("/api/v1/conversations");
    let c = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == cid)
        .unwrap();
    assert_eq!(
        c["last_message"]["attachments"],
        json!([{"name": "photo.png", "type": "image/png"}]),
        "{c}"
    );
    // A conversation with text only has no files.
    let (other, _) = s.visitor("Vic");
    other.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "Hello"}}),
    );
    let list = admin.get("/api/v1/conversations");
    let c = &list["conversations"][0];
    assert_eq!(
        (
            c["last_message"]["body"].as_str(),
            &c["last_message"]["attachments"]
        ),
        (Some("Hello"), &json!([]))
    );
}

#[test]
fn favicon_is_served() {
    let s = Server::start();
    let resp = agent().get(s.url("/favicon.ico")).call().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap(),
        "image/x-icon"
    );
    let bytes = resp.into_body().read_to_vec().unwrap();
    assert_eq!(&bytes[..4], &[0, 0, 1, 0]);
}

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
