//! Bugs the parser fuzzing found, through the real server.

use crate::harness::*;

/// A form body nesting PHP arrays 300,000 deep (900 KB, no token needed)
/// overflowed a worker's stack and aborted the whole process.
#[test]
fn a_deeply_nested_form_body_does_not_kill_the_server() {
    let s = Server::start();
    let body = format!("function=get-user&a{}=x", "[b]".repeat(300_000));
    let (st, _, text) = s.anon().raw(
        "POST",
        "/api.php",
        Some(body),
        &[("content-type", "application/x-www-form-urlencoded")],
    );
    assert!(st < 500, "{st} {text}");
    let (st, _, _) = s.anon().raw("GET", "/healthz", None, &[]);
    assert_eq!(st, 200);
}

/// A file name with non-ASCII letters made the Content-Disposition header
/// non-ASCII, and tiny_http dropped it: the file was served without
/// `attachment`. Now the exact name travels as RFC 6266 `filename*`.
#[test]
fn a_non_ascii_file_name_keeps_its_content_disposition() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (st, _, text) = admin.raw(
        "POST",
        "/api/v1/uploads?name=%D0%BE%D1%82%D1%87%D1%91%D1%82.txt",
        Some("hello".into()),
        &[("content-type", "text/plain")],
    );
    assert_eq!(st, 201, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let url = v["attachment"]["url"].as_str().unwrap();
    let token = url.split('/').nth(2).unwrap();
    let (st, headers, _) = admin.raw("GET", &format!("/uploads/{token}/x"), None, &[]);
    assert_eq!(st, 200);
    assert_eq!(
        header(&headers, "content-disposition"),
        Some("attachment; filename=\"_____.txt\"; filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.txt")
    );
}
