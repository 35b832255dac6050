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
