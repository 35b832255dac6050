//! Attachments: type and size limits, unguessable URLs, safe serving.

use crate::harness::*;
use serde_json::{json, Value};

/// The smallest valid PNG (1x1, transparent).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

fn upload(
    s: &Server,
    token: &str,
    path: &str,
    name: &str,
    content_type: &str,
    bytes: &[u8],
) -> (u16, Value) {
    let resp = agent()
        .post(s.url(&format!("{path}?name={name}")))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .send(bytes)
        .unwrap();
    let status = resp.status().as_u16();
    let text = resp.into_body().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[test]
fn attachments_round_trip_and_are_served_safely() {
    let s = Server::start_with(&[("FRONTPORCH_MAX_UPLOAD", "4096")]);
    let admin = s.client(&s.admin_token());
    let (visitor, _) = s.visitor("Uma");
    let Auth::Bearer(vt) = visitor.auth.clone() else {
        unreachable!()
    };
    let cid = visitor.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();

    let (st, up) = upload(
        &s,
        &vt,
        "/api/v1/widget/uploads",
        "../../photo.png",
        "image/png",
        PNG,
    );
    assert_eq!(st, 201, "{up}");
    let a = up["attachment"].clone();
    assert_eq!(a["name"], "photo.png");
    assert_eq!(a["size"], PNG.len());
    let url = a["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("/uploads/") && url.len() > 30, "{url}");
    let m = visitor.post(
        &format!("/api/v1/widget/conversations/{cid}/messages"),
        json!({"attachments": [a]}),
    );
    // Stored canonical; each reader gets the link signed afresh.
    let path = |u: &Value| u.as_str().unwrap().split('?').next().unwrap().to_string();
    assert_eq!(
        path(&m["message"]["attachments"][0]["url"]),
        url.split('?').next().unwrap()
    );
    // The agent sees it in the history and can fetch it.
    let hist = admin.get(&format!("/api/v1/conversations/{cid}/messages"));
    assert_eq!(hist["messages"][0]["attachments"][0]["type"], "image/png");
    let resp = agent().get(s.url(&url)).call().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let h = |n: &str| {
        resp.headers()
            .get(n)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    };
    assert_eq!(h("content-type"), "image/png");
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert!(h("content-disposition").starts_with("inline"));
    assert!(h("content-security-policy").contains("sandbox"));
    assert_eq!(resp.into_body().read_to_vec().unwrap(), PNG);

    // A PDF downloads rather than displays.
    let (st, up) = upload(
        &s,
        &vt,
        "/api/v1/widget/uploads",
        "invoice.pdf",
        "application/pdf",
        b"%PDF-1.4 fake",
    );
    assert_eq!(st, 201);
    let resp = agent()
        .get(s.url(up["attachment"]["url"].as_str().unwrap()))
        .call()
        .unwrap();
    assert!(resp
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("attachment"));

    // HTML, SVG and script are refused; so are empty and oversized files.
    for (name, ct) in [
        ("x.html", "text/html"),
        ("x.svg", "image/svg+xml"),
        ("x.js", "text/javascript"),
    ] {
        let (st, v) = upload(
            &s,
            &vt,
            "/api/v1/widget/uploads",
            name,
            ct,
            b"<script>alert(1)</script>",
        );
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (415, Some("file_type_not_allowed")),
            "{name}"
        );
    }
    assert_eq!(
        upload(
            &s,
            &vt,
            "/api/v1/widget/uploads",
            "e.txt",
            "text/plain",
            b""
        )
        .0,
        400
    );
    assert_eq!(
        upload(
            &s,
            &vt,
            "/api/v1/widget/uploads",
            "big.txt",
            "text/plain",
            &[b'a'; 5000]
        )
        .0,
        413
    );
    // Staff upload through their own endpoint; visitors cannot use it.
    let Auth::Bearer(at) = admin.auth.clone() else {
        unreachable!()
    };
    assert_eq!(
        upload(
            &s,
            &at,
            "/api/v1/uploads",
            "notes.txt",
            "text/plain",
            b"hello"
        )
        .0,
        201
    );
    assert_eq!(
        upload(
            &s,
            &vt,
            "/api/v1/uploads",
            "notes.txt",
            "text/plain",
            b"hello"
        )
        .0,
        403
    );
    // An unsigned link is refused before anything is looked up (403, as for
    // a file that exists); a malformed one is a plain 404.
    assert_eq!(
        agent()
            .get(s.url("/uploads/nope/x.png"))
            .call()
            .unwrap()
            .status()
            .as_u16(),
        403
    );
    assert_eq!(
        agent()
            .get(s.url("/uploads/../../etc/passwd"))
            .call()
            .unwrap()
            .status()
            .as_u16(),
        404
    );
}
