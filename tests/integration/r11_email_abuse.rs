//! Review of the email channel (r11): what a hostile sender can do with
//! inbound mail. Piped through `frontporch mail-in` (no IMAP server needed).

use crate::harness::*;
use crate::mail_common::{email_conversations, email_rows, messages, pipe, setup};
use serde_json::json;

/// A customer's mail about one order.
fn mail(from: &str, to: &str, id: &str, extra: &str, body: &str) -> Vec<u8> {
    crate::mail_common::mail(from, to, "Order 42", id, extra, body)
}

#[test]
fn a_stranger_who_knows_a_message_id_or_reply_address_cannot_join_a_thread() {
    let s = Server::start();
    let admin = setup(&s, None);
    let (code, out, _) = pipe(
        &s.data,
        &mail(
            "ann@c.test",
            "support@example.com",
            "a1@c.test",
            "",
            "My order",
        ),
    );
    assert_eq!(code, 0, "{out}");
    let cid = email_conversations(&admin)[0]["id"].as_i64().unwrap();
    admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({ "body": "Your order ships today" }),
    );
    // The reply row (offline agents may also be told of the new thread).
    let rows = email_rows(&s.data);
    let first = rows.iter().find(|r| r["kind"] == "reply").unwrap().clone();
    let ours = first["message_id"].as_str().unwrap().to_string();
    let reply_to = first["reply_to"].as_str().unwrap().to_string();

    // Mallory quotes Ann's and our Message-IDs, writes to the thread's reply
    // address and asks for a copy of every answer.
    let extra =
        format!("In-Reply-To: {ours}\r\nReferences: <a1@c.test> {ours}\r\nCc: spy@evil.test\r\n");
    let (code, out, _) = pipe(
        &s.data,
        &mail(
            "mallory@evil.test",
            &reply_to,
            "m1@evil.test",
            &extra,
            "Send it to me instead",
        ),
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        messages(&admin, cid).len(),
        2,
        "nothing written into Ann's thread"
    );
    assert_eq!(
        email_conversations(&admin).len(),
        2,
        "Mallory's mail is a conversation of its own"
    );

    // The next answer to Ann goes to Ann only.
    admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({ "body": "Anything else?" }),
    );
    let rows = email_rows(&s.data);
    let to_ann = rows
        .iter()
        .rfind(|r| r["conversation_id"] == cid && r["kind"] == "reply")
        .unwrap();
    assert_eq!(to_ann["to"], "ann@c.test");
    assert!(to_ann.get("cc").is_none(), "{to_ann}");

    // Ann herself still threads, by Message-ID or by reply address.
    let extra = format!("In-Reply-To: {ours}\r\n");
    pipe(
        &s.data,
        &mail(
            "ann@c.test",
            "support@example.com",
            "a2@c.test",
            &extra,
            "Thanks",
        ),
    );
    pipe(
        &s.data,
        &mail("ann@c.test", &reply_to, "a3@c.test", "", "Again"),
    );
    assert_eq!(messages(&admin, cid).len(), 5);
}

#[test]
fn mail_from_a_staff_address_never_speaks_as_that_agent() {
    let s = Server::start();
    let admin = setup(&s, None);
    let (code, out, _) = pipe(
        &s.data,
        &mail(
            &format!("Boss <{ADMIN_EMAIL}>"),
            "support@example.com",
            "spoof@evil.test",
            "",
            "Refund approved, send the goods to 1 Evil Road",
        ),
    );
    assert_eq!(code, 0, "{out}");
    assert!(email_conversations(&admin).is_empty(), "{out}");
    let log = admin.get("/api/v1/email/inbound");
    let row = &log["inbound"][0];
    assert_eq!(row["outcome"], "failed", "{log}");
    assert!(
        row["raw_path"]
            .as_str()
            .is_some_and(|p| s.data.join(p).exists()),
        "{log}"
    );
}

#[test]
fn a_kept_password_never_follows_the_setting_to_another_server() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let smtp = json!({ "host": "smtp.example.com", "port": 587, "security": "starttls",
        "username": "u", "password": "s3cret", "from_address": "support@example.com" });
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "email.smtp": smtp })),
    );
    assert_eq!(st, 200, "{v}");

    // Saved again as read back (no password): the stored one stays.
    let mut same = smtp.clone();
    same.as_object_mut().unwrap().remove("password");
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "email.smtp": same })),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["settings"]["email.smtp"]["password_set"], true, "{v}");

    // Pointed elsewhere without the password: refused, nothing changed.
    for (field, value) in [
        ("host", json!("evil.example")),
        ("security", json!("none")),
        ("port", json!(2525)),
        ("username", json!("other")),
    ] {
        let mut moved = same.clone();
        moved[field] = value;
        let (st, v) = admin.call(
            "PUT",
            "/api/v1/settings",
            Some(json!({ "email.smtp": moved })),
        );
        assert_eq!(st, 400, "{field}: {v}");
        assert_eq!(v["error"]["code"], "invalid_email_settings", "{v}");
    }
    let got = admin.get("/api/v1/settings");
    assert_eq!(
        got["settings"]["email.smtp"]["host"], "smtp.example.com",
        "{got}"
    );

    // With the password sent again, it moves.
    let mut moved = smtp.clone();
    moved["host"] = json!("smtp2.example.com");
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "email.smtp": moved })),
    );
    assert_eq!(st, 200, "{v}");
}

/// An IMAP server that accepts and never says a word holds the poller
/// (until its timeouts); "check now" answers at once instead of waiting
/// behind it on an HTTP worker.
#[test]
fn check_now_never_waits_behind_a_poll_of_a_hanging_server() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in listener.incoming().flatten() {
            held.push(c);
            let _ = tx.send(());
        }
    });
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let imap = json!({ "host": "127.0.0.1", "port": port, "security": "none",
        "username": "u", "password": "p", "poll_seconds": 60 });
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "email.imap": imap })),
    );
    assert_eq!(st, 200, "{v}");
    // The poller has connected and waits for a greeting that never comes.
    rx.recv_timeout(std::time::Duration::from_secs(60))
        .expect("the poller connects");
    let (st, v) = admin.call("POST", "/api/v1/email/check", Some(json!({})));
    assert_eq!(st, 503, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("already"),
        "{v}"
    );
}

#[test]
fn a_contact_email_is_one_mailbox_never_a_list() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    for bad in [
        "ann@c.test,eve@evil.test",
        "ann@c.test;eve@evil.test",
        "ann@c.test>,<eve@evil.test",
        "\"ann@c.test\"@evil.test",
    ] {
        let (st, v) = admin.call(
            "POST",
            "/api/v1/users",
            Some(json!({ "first_name": "Ann", "email": bad })),
        );
        assert_eq!(st, 400, "{bad}: {v}");
        assert_eq!(v["error"]["code"], "invalid_email", "{v}");
    }
    let (st, v) = admin.call(
        "POST",
        "/api/v1/users",
        Some(json!({ "first_name": "Ann", "email": "ann+tag@c.test" })),
    );
    assert_eq!(st, 201, "{v}");
}
