//! Review B of issue 14 (tags, scores, macros, keyword bots, the menu):
//! what the review found, each test failing before its fix.

use super::harness::{Client, Server};
use super::mail_common::{email_conversations, mail, pipe};
use super::smtp_server::{header, SmtpServer};
use serde_json::json;

/// A server sending by the loopback SMTP server, agents' notifications off.
fn mail_server(smtp: &SmtpServer) -> (Server, Client) {
    let s = Server::start_with(&[("FRONTPORCH_RETRY_BASE_MS", "200")]);
    let admin = s.client(&s.admin_token());
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "email.smtp": smtp.setting(), "email.notifications": { "agents": false } })),
    );
    assert_eq!(st, 200, "{v}");
    (s, admin)
}

/// The messages the SMTP server received addressed to `to`, after at least
/// `n` arrived in all.
fn received(smtp: &SmtpServer, n: usize, to: &str) -> Vec<serde_json::Value> {
    smtp.wait_for(n)
        .into_iter()
        .filter(|m| header(m, "To").is_some_and(|t| t.contains(to)))
        .collect()
}

#[test]
fn a_bots_text_that_leaves_by_email_says_it_is_automatic() {
    let smtp = SmtpServer::start();
    let (s, admin) = mail_server(&smtp);
    let (st, v) = admin.call(
        "POST",
        "/api/v1/keyword-bots",
        Some(json!({ "name": "Prices", "keywords": ["price"], "cooldown_s": 0,
                     "steps": [{ "type": "send_text", "text": "Our prices: example.com/prices" }] })),
    );
    assert_eq!(st, 201, "{v}");
    let first = mail(
        "Ann <ann@customer.test>",
        "support@frontporch.test",
        "Price?",
        "rb1@customer.test",
        "",
        "What is the price?",
    );
    assert_eq!(pipe(&s.data, &first).0, 0);
    let cid = email_conversations(&admin)[0]["id"].as_i64().unwrap();
    let got = received(&smtp, 1, "ann@customer.test");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        header(&got[0], "Auto-Submitted").as_deref(),
        Some("auto-replied"),
        "the bot's answer: {:?}",
        got[0]["headers"]
    );

    // A person's reply in the same thread is not marked.
    let person = s.login(super::harness::ADMIN_EMAIL, super::harness::ADMIN_PASSWORD);
    let (st, v) = person.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/messages"),
        Some(json!({ "body": "Hello Ann, a person here." })),
    );
    assert!(st == 200 || st == 201, "{st} {v}");
    let got = received(&smtp, 2, "ann@customer.test");
    assert_eq!(got.len(), 2);
    assert_eq!(
        header(&got[1], "Auto-Submitted"),
        None,
        "{:?}",
        got[1]["headers"]
    );

    // The score question, asked when the request closes, is automatic too.
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "scores": { "enabled": true } })),
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = person.call(
        "PATCH",
        &format!("/api/v1/conversations/{cid}"),
        Some(json!({ "status": 3 })),
    );
    assert_eq!(st, 200, "{v}");
    let got = received(&smtp, 3, "ann@customer.test");
    assert_eq!(got.len(), 3);
    assert!(
        got[2]["parts"].to_string().contains("Reply with a number"),
        "{:?}",
        got[2]
    );
    assert_eq!(
        header(&got[2], "Auto-Submitted").as_deref(),
        Some("auto-generated"),
        "{:?}",
        got[2]["headers"]
    );
}

#[test]
fn a_number_in_a_request_reopened_after_the_score_question_is_a_message() {
    use super::mail_common::{messages, setup};
    let s = Server::start();
    let admin = setup(&s, None);
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "scores": { "enabled": true } })),
    );
    assert_eq!(st, 200, "{v}");
    let say = |id: &str, body: &str| {
        let m = mail(
            "Ann <ann@customer.test>",
            "support@example.com",
            "Re: Printer",
            id,
            "In-Reply-To: <q1@customer.test>\r\n",
            body,
        );
        assert_eq!(pipe(&s.data, &m).0, 0);
    };
    say("q1@customer.test", "The printer is on fire.");
    let cid = email_conversations(&admin)[0]["id"].as_i64().unwrap();
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/conversations/{cid}"),
        Some(json!({ "status": 3 })),
    );
    assert_eq!(st, 200, "{v}");
    // Asked; instead of a score, Ann writes again (the request reopens),
    // the agent asks her something and she answers with a number.
    say("q2@customer.test", "Still burning, sorry.");
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/messages"),
        Some(json!({ "body": "How many printers are on fire?" })),
    );
    assert!(st == 200 || st == 201, "{st} {v}");
    say("q3@customer.test", "3");
    let bodies: Vec<serde_json::Value> = messages(&admin, cid)
        .iter()
        .map(|m| m["body"].clone())
        .collect();
    assert!(
        bodies.contains(&json!("3")),
        "her answer is kept: {bodies:?}"
    );
    assert_eq!(email_conversations(&admin).len(), 1, "one thread");
    let score = admin.get(&format!("/api/v1/conversations/{cid}/score"));
    assert!(score["score"]["score"].is_null(), "{score}");
}

#[test]
fn the_menu_by_email_is_numbered_text_and_a_reply_with_a_signature_chooses() {
    use super::mail_common::{email_rows, setup};
    let s = Server::start();
    let admin = setup(&s, None);
    let menu = json!({
        "enabled": true, "text": "How can we help?",
        "items": [{ "key": "1", "label": "Billing", "reply": "Billing it is." },
                  { "key": "2", "label": "Shipping", "reply": "Shipping it is." }],
    });
    let (st, v) = admin.call("PUT", "/api/v1/settings", Some(json!({ "menu": menu })));
    assert_eq!(st, 200, "{v}");
    let first = mail(
        "Ann <ann@customer.test>",
        "support@example.com",
        "Help",
        "m1@customer.test",
        "",
        "Hello",
    );
    assert_eq!(pipe(&s.data, &first).0, 0);
    let rows = email_rows(&s.data);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["text"], "How can we help?\n1. Billing\n2. Shipping");
    assert_eq!(rows[0]["auto_submitted"], "auto-replied");
    let answer = mail(
        "Ann <ann@customer.test>",
        "support@example.com",
        "Re: Help",
        "m2@customer.test",
        "In-Reply-To: <m1@customer.test>\r\n",
        "2\r\n\r\nSent from my iPhone",
    );
    assert_eq!(pipe(&s.data, &answer).0, 0);
    let rows = email_rows(&s.data);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[1]["text"], "Shipping it is.", "{rows:?}");
}
