//! Email out (issue 11): every sending path against a real SMTP server on
//! loopback (`smtp_server.rs`), with the exact headers it received.

use super::harness::{Client, Server};
use super::smtp_server::{header, header_names, part, SmtpServer};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A server with fast retries, an admin client and SMTP configured.
fn setup(smtp: &SmtpServer) -> (Server, Client) {
    let s = Server::start_with(&[("FRONTPORCH_RETRY_BASE_MS", "200")]);
    let admin = s.client(&s.admin_token());
    configure(&admin, smtp);
    (s, admin)
}

fn configure(admin: &Client, smtp: &SmtpServer) {
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "email.smtp": smtp.setting() })),
    );
    assert_eq!(st, 200, "{v}");
}

/// A visitor's conversation with one message, and its transcript queued.
fn transcript(s: &Server, to: &str) -> i64 {
    let (visitor, _) = s.visitor("Tara");
    let c = visitor.post(
        "/api/v1/widget/conversations",
        json!({ "message": { "body": "Hello <b>there</b>" } }),
    );
    let cid = c["conversation"]["id"].as_i64().unwrap();
    let (st, v) = visitor.call(
        "POST",
        &format!("/api/v1/widget/conversations/{cid}/transcript"),
        Some(json!({ "email": to })),
    );
    assert_eq!(st, 202, "{v}");
    cid
}

/// Waits (generously) for `pred` over the email deliveries.
fn wait_deliveries(admin: &Client, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let d = admin.get("/api/v1/email/deliveries")["deliveries"]
            .as_array()
            .unwrap()
            .clone();
        if pred(&d) {
            return d;
        }
        assert!(Instant::now() < deadline, "deliveries: {d:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_queued_transcript_is_sent_with_its_headers_and_both_parts() {
    let smtp = SmtpServer::start();
    let (s, admin) = setup(&smtp);
    let cid = transcript(&s, "tara@example.com");
    let m = &smtp.wait_for(1)[0];
    assert_eq!(m["rcpt_tos"], json!(["tara@example.com"]));
    assert_eq!(m["mail_from"], "support@frontporch.test");
    assert_eq!(
        header(m, "From").unwrap(),
        "Frontporch Support <support@frontporch.test>"
    );
    assert_eq!(header(m, "To").unwrap(), "tara@example.com");
    assert_eq!(
        header(m, "Subject").unwrap(),
        format!("Your conversation #{cid}")
    );
    let id = header(m, "Message-ID").unwrap();
    assert!(
        id.starts_with('<') && id.ends_with("@frontporch.test>"),
        "{id}"
    );
    let text = part(m, "text/plain").unwrap()["text"].as_str().unwrap();
    assert!(text.contains("Tara: Hello <b>there</b>"), "{text}");
    let html = part(m, "text/html").unwrap()["text"].as_str().unwrap();
    assert!(html.contains("Hello &lt;b&gt;there&lt;/b&gt;"), "{html}");
    assert!(!html.contains("<b>there"), "{html}");
    // The delivery log shows it with the server's reply.
    let d = wait_deliveries(&admin, |d| {
        d.first().is_some_and(|r| r["state"] == "delivered")
    });
    assert_eq!(d[0]["to"], json!(["tara@example.com"]));
    assert_eq!(d[0]["subject"], format!("Your conversation #{cid}"));
    assert!(
        d[0]["reply"].as_str().unwrap().starts_with("250"),
        "{:?}",
        d[0]
    );
    // Only the intended recipient, once.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(smtp.messages().len(), 1);
    assert!(header_names(m).iter().all(|h| h != "bcc"));
}

#[test]
fn a_4xx_answer_is_retried_until_accepted() {
    let smtp = SmtpServer::start();
    let (s, admin) = setup(&smtp);
    transcript(&s, "tempfail2@example.com");
    let m = &smtp.wait_for(1)[0];
    assert_eq!(m["rcpt_tos"], json!(["tempfail2@example.com"]));
    let d = wait_deliveries(&admin, |d| {
        d.first().is_some_and(|r| r["state"] == "delivered")
    });
    let one = admin.get(&format!("/api/v1/deliveries/{}", d[0]["id"]));
    let log = one["delivery"]["attempt_log"].as_array().unwrap().clone();
    assert_eq!(log.len(), 3, "{log:?}");
    assert_eq!(log[0]["status_code"], 451, "{log:?}");
    assert!(log[0]["error"]
        .as_str()
        .unwrap()
        .contains("try again later"));
    assert_eq!(log[2]["status_code"], 250, "{log:?}");
}

#[test]
fn a_5xx_answer_marks_the_email_failed_without_retry() {
    let smtp = SmtpServer::start();
    let (s, admin) = setup(&smtp);
    transcript(&s, "reject@example.com");
    let d = wait_deliveries(&admin, |d| d.first().is_some_and(|r| r["state"] == "dead"));
    assert!(
        d[0]["last_error"].as_str().unwrap().contains("550"),
        "{:?}",
        d[0]
    );
    std::thread::sleep(Duration::from_millis(1500));
    let one = admin.get(&format!("/api/v1/deliveries/{}", d[0]["id"]));
    assert_eq!(one["delivery"]["attempt_log"].as_array().unwrap().len(), 1);
    assert_eq!(one["delivery"]["attempt_log"][0]["status_code"], 550);
    assert!(smtp.messages().is_empty());
}

#[test]
fn with_no_smtp_server_email_waits_and_is_not_a_stuck_webhook() {
    let smtp = SmtpServer::start();
    let s = Server::start_with(&[("FRONTPORCH_RETRY_BASE_MS", "200")]);
    let admin = s.client(&s.admin_token());
    transcript(&s, "tara@example.com");
    std::thread::sleep(Duration::from_millis(2500));
    let d = admin.get("/api/v1/email/deliveries")["deliveries"].clone();
    assert_eq!(d[0]["state"], "pending", "{d}");
    assert_eq!(d[0]["attempts"], 0, "{d}");
    let (_, _, metrics) = s.anon().raw("GET", "/metrics", None, &[]);
    assert!(metrics.contains("frontporch_outbox_depth 0"), "{metrics}");
    assert!(
        metrics.contains("frontporch_email_outbox_depth 1"),
        "{metrics}"
    );
    // Configured later: it leaves.
    configure(&admin, &smtp);
    assert_eq!(smtp.wait_for(1)[0]["rcpt_tos"], json!(["tara@example.com"]));
}
