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

/// SMTP pointed at `smtp`; agents' notifications off (the admin is
/// offline: every new conversation would mail them), unless a test turns
/// them on.
fn configure(admin: &Client, smtp: &SmtpServer) {
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "email.smtp": smtp.setting(), "email.notifications": { "agents": false } })),
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
    // "Send again" (Settings → Email) replays it: tried once more.
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/deliveries/{}/replay", d[0]["id"]),
        None,
    );
    assert!(st < 300, "{st} {v}");
    let again = wait_deliveries(&admin, |d| {
        d.first()
            .is_some_and(|r| r["state"] == "dead" && r["attempts"] == 2)
    });
    assert_eq!(again.len(), 1, "the same row, not a new one");
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

fn sb(s: &Server, admin_token: &str, pairs: &[(&str, &str)]) -> Value {
    super::support_board::sb_with(s, admin_token, pairs)
}

#[test]
fn passwords_are_write_only_everywhere() {
    let smtp = SmtpServer::start();
    let s = Server::start();
    let token = s.admin_token();
    let admin = s.client(&token);
    let mut smtp_setting = smtp.setting();
    smtp_setting["password"] = json!("s3cret-smtp");
    let imap = json!({ "host": "127.0.0.1", "port": 1143, "security": "none",
                       "username": "u", "password": "s3cret-imap" });
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "email.smtp": smtp_setting, "email.imap": imap })),
    );
    assert_eq!(st, 200, "{v}");
    let leaks = |what: &str, v: &str| {
        assert!(!v.contains("s3cret"), "{what} shows a password: {v}");
    };
    leaks("PUT /settings", &v.to_string());
    let got = admin.get("/api/v1/settings");
    leaks("GET /settings", &got.to_string());
    assert_eq!(got["settings"]["email.smtp"]["password_set"], true);
    assert_eq!(got["settings"]["email.imap"]["mailbox"], "INBOX");
    assert_eq!(got["settings"]["email.imap"]["poll_seconds"], 60);
    leaks(
        "get-settings",
        &sb(&s, &token, &[("function", "get-settings")]).to_string(),
    );
    leaks(
        "get-setting",
        &sb(
            &s,
            &token,
            &[("function", "get-setting"), ("setting", "email.smtp")],
        )
        .to_string(),
    );
    let url = sb(&s, &token, &[("function", "export-settings")])["response"]
        .as_str()
        .unwrap()
        .to_string();
    let export = super::harness::agent()
        .get(s.url(&url))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(export.contains("email.smtp"), "{export}");
    leaks("export-settings", &export);
    // Saved again without a password (as read back): the stored one stays.
    let mut back = got["settings"]["email.smtp"].clone();
    back["from_name"] = json!("Help Desk");
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "email.smtp": back })),
    );
    assert_eq!(st, 200, "{v}");
    let db = rusqlite::Connection::open(s.data.join("frontporch.db")).unwrap();
    let stored: String = db
        .query_row(
            "SELECT value FROM settings WHERE key = 'email.smtp'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        stored.contains("s3cret-smtp") && stored.contains("Help Desk"),
        "{stored}"
    );
}

#[test]
fn bad_email_settings_are_refused_and_change_nothing() {
    let smtp = SmtpServer::start();
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let good = smtp.setting();
    for (field, value) in [
        ("port", json!(0)),
        ("port", json!(70000)),
        ("security", json!("ssl")),
        ("host", json!("")),
        ("from_address", json!("not an address")),
        ("from_address", json!("a@b.example\r\nBcc: x@evil.example")),
        ("from_name", json!("Support\r\nBcc: x@evil.example")),
    ] {
        let mut bad = good.clone();
        bad[field] = value.clone();
        let (st, v) = admin.call(
            "PUT",
            "/api/v1/settings",
            Some(json!({ "email.smtp": bad })),
        );
        assert_eq!(st, 400, "{field}={value}: {v}");
        assert!(v["error"]["code"].is_string(), "{v}");
    }
    let got = admin.get("/api/v1/settings");
    assert!(got["settings"].get("email.smtp").is_none(), "{got}");
}

#[test]
fn the_test_button_answers_the_servers_reply() {
    let smtp = SmtpServer::start();
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (st, v) = admin.call(
        "POST",
        "/api/v1/email/test",
        Some(json!({ "to": "me@example.com" })),
    );
    assert_eq!(
        (st, &v["error"]["code"]),
        (409, &json!("email_not_configured")),
        "{v}"
    );
    configure(&admin, &smtp);
    let v = admin.post("/api/v1/email/test", json!({ "to": "me@example.com" }));
    assert_eq!(v["sent"], true, "{v}");
    assert_eq!(v["code"], 250, "{v}");
    assert!(v["reply"].as_str().unwrap().contains("queued as"), "{v}");
    let m = &smtp.wait_for(1)[0];
    assert_eq!(m["rcpt_tos"], json!(["me@example.com"]));
    assert_eq!(header(m, "Subject").unwrap(), "Frontporch test email");
    let v = admin.post("/api/v1/email/test", json!({ "to": "reject@example.com" }));
    assert_eq!(v["sent"], false, "{v}");
    assert_eq!(v["code"], 550, "{v}");
    assert!(
        v["reply"].as_str().unwrap().contains("mailbox unavailable"),
        "{v}"
    );
    // A server that is down: the error, not a hang.
    drop(smtp);
    let v = admin.post("/api/v1/email/test", json!({ "to": "me@example.com" }));
    assert_eq!(v["sent"], false, "{v}");
    assert!(v["code"].is_null(), "{v}");
}

#[test]
fn send_custom_email_appends_the_sender_suffix_and_refuses_header_injection() {
    let smtp = SmtpServer::start();
    let (s, _admin) = setup(&smtp);
    let token = s.admin_token();
    let r = sb(
        &s,
        &token,
        &[
            ("function", "send-custom-email"),
            ("to", "carol@example.com"),
            ("subject", "Your order"),
            ("message", "It shipped <today>."),
            ("sender_suffix", " (Sales)"),
        ],
    );
    assert_eq!(r, json!({ "success": true, "response": true }));
    let m = &smtp.wait_for(1)[0];
    assert_eq!(m["rcpt_tos"], json!(["carol@example.com"]));
    assert_eq!(
        header(m, "From").unwrap(),
        "\"Frontporch Support (Sales)\" <support@frontporch.test>"
    );
    assert_eq!(header(m, "Subject").unwrap(), "Your order");
    let text = part(m, "text/plain").unwrap()["text"].as_str().unwrap();
    assert!(text.contains("It shipped <today>."), "{text}");
    assert!(part(m, "text/html").unwrap()["text"]
        .as_str()
        .unwrap()
        .contains("It shipped &lt;today&gt;."));
    // CR/LF in the subject, the sender suffix or the address: refused, nothing sent.
    for (k, v) in [
        ("subject", "Hi\r\nBcc: x@evil.example"),
        ("sender_suffix", "\r\nBcc: x@evil.example"),
        ("to", "carol@example.com\r\nBcc: x@evil.example"),
        ("to", "carol@example.com, x@evil.example"),
    ] {
        let mut args = vec![
            ("function", "send-custom-email"),
            ("to", "carol@example.com"),
            ("subject", "s"),
            ("message", "m"),
        ];
        args.retain(|(a, _)| *a != k);
        args.push((k, v));
        let r = sb(&s, &token, &args);
        assert_eq!(r["success"], false, "{k}: {r}");
    }
    std::thread::sleep(Duration::from_millis(2000));
    let all = smtp.messages();
    assert_eq!(all.len(), 1, "{all:?}");
    assert!(all
        .iter()
        .all(|m| !m["raw"].as_str().unwrap().contains("evil")));
}

#[test]
fn send_email_uses_the_template_and_fires_email_sent() {
    let smtp = SmtpServer::start();
    let (s, admin) = setup(&smtp);
    let token = s.admin_token();
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "email.templates": { "default": { "user": {
            "subject": "A word from {sender_name}", "body": "Dear {recipient_name},\n{message}\n-- end" } } } })),
    );
    assert_eq!(st, 200, "{v}");
    let id = super::support_board::succeed(
        &s,
        &token,
        &[
            ("function", "add-user"),
            ("first_name", "Em"),
            ("last_name", "Lee"),
            ("email", "em@example.com"),
        ],
    )
    .to_string();
    let r = sb(
        &s,
        &token,
        &[
            ("function", "send-email"),
            ("recipient_id", &id),
            ("message", "Your ticket is solved"),
        ],
    );
    assert_eq!(r, json!({ "success": true, "response": true }));
    let m = &smtp.wait_for(1)[0];
    assert_eq!(m["rcpt_tos"], json!(["em@example.com"]));
    assert!(
        header(m, "Subject").unwrap().starts_with("A word from"),
        "{m}"
    );
    let text = part(m, "text/plain").unwrap()["text"]
        .as_str()
        .unwrap()
        .replace("\r\n", "\n");
    assert!(
        text.contains("Dear Em Lee,\nYour ticket is solved\n-- end"),
        "{text}"
    );
    // email.sent, with the recipient (Support Board's email-sent data).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ev = admin.get("/api/v1/events?after=0");
        let sent = ev["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "email.sent")
            .cloned();
        if let Some(e) = sent {
            let d = &e["data"];
            assert_eq!(d["recipient_id"].to_string(), id, "{e}");
            assert_eq!(d["kind"], "notification", "{e}");
            assert_eq!(d["to"], json!(["em@example.com"]), "{e}");
            break;
        }
        assert!(Instant::now() < deadline, "no email.sent: {ev}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A contact (type user) with an email, and a conversation staff opened
/// for them.
fn contact_with_conversation(admin: &Client, email: &str) -> (i64, i64) {
    let u = admin.post(
        "/api/v1/users",
        json!({ "type": "user", "first_name": "Cleo", "email": email }),
    );
    let uid = u["user"]["id"].as_i64().unwrap();
    let c = admin.post(
        "/api/v1/conversations",
        json!({ "user_id": uid, "title": "Order 7" }),
    );
    (uid, c["conversation"]["id"].as_i64().unwrap())
}

#[test]
fn an_agent_reply_reaches_a_contact_who_left_by_email_once_per_window() {
    let smtp = SmtpServer::start();
    let (s, admin) = setup(&smtp);
    let agent = s.login(super::harness::ADMIN_EMAIL, super::harness::ADMIN_PASSWORD);
    let (_, cid) = contact_with_conversation(&admin, "cleo@example.com");
    let path = format!("/api/v1/conversations/{cid}/messages");
    agent.post(&path, json!({ "body": "Your parcel left today" }));
    // A second reply within the window: no second email.
    agent.post(&path, json!({ "body": "Tracking: 123" }));
    // An internal note never leaves.
    agent.post(&path, json!({ "body": "note", "private": true }));
    let m = &smtp.wait_for(1)[0];
    assert_eq!(m["rcpt_tos"], json!(["cleo@example.com"]));
    assert_eq!(header(m, "Subject").unwrap(), "New message from Admin");
    let text = part(m, "text/plain").unwrap()["text"].as_str().unwrap();
    assert!(text.contains("Hello Cleo,"), "{text}");
    assert!(text.contains("Your parcel left today"), "{text}");
    std::thread::sleep(Duration::from_millis(2000));
    assert_eq!(smtp.messages().len(), 1);
}

#[test]
fn a_contact_still_on_the_site_gets_no_email() {
    let smtp = SmtpServer::start();
    let (s, admin) = setup(&smtp);
    let (visitor, vid) = s.visitor("Vera");
    let c = visitor.post(
        "/api/v1/widget/conversations",
        json!({ "message": { "body": "hi" } }),
    );
    let cid = c["conversation"]["id"].as_i64().unwrap();
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/users/{vid}"),
        Some(json!({ "email": "vera@example.com" })),
    );
    assert_eq!(st, 200, "{v}");
    // She polls (presence), then the agent answers.
    visitor.get("/api/v1/events?after=0");
    let agent = s.login(super::harness::ADMIN_EMAIL, super::harness::ADMIN_PASSWORD);
    agent.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({ "body": "Hello Vera" }),
    );
    std::thread::sleep(Duration::from_millis(2500));
    let got: Vec<Value> = smtp
        .messages()
        .into_iter()
        .filter(|m| m["rcpt_tos"] == json!(["vera@example.com"]))
        .collect();
    assert!(got.is_empty(), "{got:?}");
}

#[test]
fn offline_agents_hear_of_new_and_assigned_conversations() {
    let smtp = SmtpServer::start();
    let s = Server::start_with(&[("FRONTPORCH_PUBLIC_URL", "https://chat.example.com")]);
    let admin = s.client(&s.admin_token());
    configure(&admin, &smtp);
    let a = admin.post(
        "/api/v1/users",
        json!({ "type": "agent", "first_name": "Ada", "email": "ada@example.com", "password": "long enough pw" }),
    );
    let ada = a["user"]["id"].as_i64().unwrap();
    let me = admin.get("/api/v1/users?type=admin")["users"][0]["id"]
        .as_i64()
        .unwrap();
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "email.notifications": { "agents": true, "agents_off": [me], "every_minutes": 0 } })),
    );
    assert_eq!(st, 200, "{v}");
    let (visitor, _) = s.visitor("Nina");
    let c = visitor.post(
        "/api/v1/widget/conversations",
        json!({ "message": { "body": "Is anyone there?" } }),
    );
    let cid = c["conversation"]["id"].as_i64().unwrap();
    let m = &smtp.wait_for(1)[0];
    assert_eq!(m["rcpt_tos"], json!(["ada@example.com"]));
    assert_eq!(
        header(m, "Subject").unwrap(),
        format!("Nina: conversation #{cid}")
    );
    let text = part(m, "text/plain").unwrap()["text"].as_str().unwrap();
    assert!(text.contains("Is anyone there?"), "{text}");
    assert!(
        text.contains(&format!(
            "https://chat.example.com/admin/chat?dialogID={cid}"
        )),
        "{text}"
    );
    admin.call(
        "PATCH",
        &format!("/api/v1/conversations/{cid}"),
        Some(json!({ "agent_id": ada })),
    );
    let all = smtp.wait_for(2);
    assert_eq!(all[1]["rcpt_tos"], json!(["ada@example.com"]));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(smtp
        .messages()
        .iter()
        .all(|m| m["rcpt_tos"] == json!(["ada@example.com"])));
}

/// "Online" is the setting and an inbox listening: an agent who closed the
/// inbox while marked online is told by email, one who has it open is not.
#[test]
fn an_agent_marked_online_with_no_inbox_open_is_told() {
    let smtp = SmtpServer::start();
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    configure(&admin, &smtp);
    admin.post(
        "/api/v1/users",
        json!({ "type": "agent", "first_name": "Ada", "email": "ada@example.com", "password": "long enough pw" }),
    );
    let me = admin.get("/api/v1/users?type=admin")["users"][0]["id"]
        .as_i64()
        .unwrap();
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "email.notifications": { "agents": true, "agents_off": [me], "every_minutes": 0 } })),
    );
    assert_eq!(st, 200, "{v}");
    let ada = s.login("ada@example.com", "long enough pw");
    let (st, _) = ada.call("PUT", "/api/v1/me/presence", Some(json!({"online": true})));
    assert_eq!(st, 200);
    // Marked online, no inbox listening: told.
    let (first, _) = s.visitor("Nina");
    first.post(
        "/api/v1/widget/conversations",
        json!({ "message": { "body": "Anyone?" } }),
    );
    let m = &smtp.wait_for(1)[0];
    assert_eq!(m["rcpt_tos"], json!(["ada@example.com"]));
    // Her inbox listens (a poll): not told of the next one.
    let (st, v) = ada.call("GET", "/api/v1/events?after=0", None);
    assert_eq!(st, 200, "{v}");
    let (second, _) = s.visitor("Omar");
    second.post(
        "/api/v1/widget/conversations",
        json!({ "message": { "body": "Hello?" } }),
    );
    // Rows are written with the conversation: the log is complete now.
    let log = admin.get("/api/v1/email/deliveries")["deliveries"].clone();
    assert_eq!(log.as_array().unwrap().len(), 1, "{log}");
}

#[test]
fn an_email_automation_sends_its_subject_and_message() {
    let smtp = SmtpServer::start();
    let (s, admin) = setup(&smtp);
    let token = s.admin_token();
    let (uid, _) = contact_with_conversation(&admin, "cleo@example.com");
    let auto = json!({ "id": "E1", "type": "emails", "name": "welcome",
        "subject": "Welcome, {user_name}", "message": "Thanks for visiting, {user_name}.", "conditions": [] });
    let r = sb(
        &s,
        &token,
        &[
            ("function", "automations-run"),
            ("automation", &auto.to_string()),
            ("user_id", &uid.to_string()),
        ],
    );
    assert_eq!(r, json!({ "success": true, "response": true }));
    let m = &smtp.wait_for(1)[0];
    assert_eq!(m["rcpt_tos"], json!(["cleo@example.com"]));
    assert_eq!(header(m, "Subject").unwrap(), "Welcome, Cleo");
    assert!(part(m, "text/plain").unwrap()["text"]
        .as_str()
        .unwrap()
        .contains("Thanks for visiting, Cleo."));
}

/// The smallest valid PNG (1x1, transparent).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52, 0, 0, 0,
    1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89, 0, 0, 0, 0x0a, 0x49, 0x44, 0x41, 0x54,
    0x78, 0x9c, 0x63, 0, 1, 0, 0, 5, 0, 1, 0x0d, 0x0a, 0x2d, 0xb4, 0, 0, 0, 0, 0x49, 0x45, 0x4e,
    0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A visitor's upload: its canonical link.
fn uploaded(s: &Server) -> String {
    let (visitor, _) = s.visitor("Ula");
    let token = match &visitor.auth {
        super::harness::Auth::Bearer(t) => t.clone(),
        _ => unreachable!(),
    };
    let resp = super::harness::agent()
        .post(s.url("/api/v1/widget/uploads?name=cat.png"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "image/png")
        .send(PNG)
        .unwrap();
    let v: Value = serde_json::from_str(&resp.into_body().read_to_string().unwrap()).unwrap();
    let url = v["attachment"]["url"].as_str().unwrap();
    let path = url.find("/uploads/").map_or(url, |i| &url[i..]);
    path.split('?').next().unwrap().to_string()
}

/// The outbox row interface a reply to an email conversation uses (written
/// by mail_in): the sender uses the threading headers it is given, keeps
/// CC, attaches our uploads, signs links in the text, and no subject or
/// name can add a header or a recipient.
#[test]
fn a_threaded_reply_row_is_sent_with_exactly_its_headers_and_recipients() {
    let smtp = SmtpServer::start();
    let s = Server::start_with(&[("FRONTPORCH_PUBLIC_URL", "https://chat.example.com")]);
    let admin = s.client(&s.admin_token());
    configure(&admin, &smtp);
    let link = uploaded(&s);
    let payload = json!({
        "kind": "reply", "to": ["dan@example.com"], "cc": ["eve@example.com"],
        "subject": "Re: Broken order\r\nBcc: mallory@evil.example",
        "text": format!("See the photo: {link}\nThanks"),
        "from_name": "Ada (Support)\r\nBcc: mallory@evil.example",
        "reply_to": "support+t0k3n@frontporch.test",
        "message_id": "<fp.42.reply@frontporch.test>",
        "in_reply_to": "<orig-2@mail.example.com>",
        "references": ["<orig-1@mail.example.com>", "<orig-2@mail.example.com>"],
        "attachments": [link],
    });
    let db = rusqlite::Connection::open(s.data.join("frontporch.db")).unwrap();
    db.busy_timeout(Duration::from_secs(30)).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    db.execute(
        "INSERT INTO outbox (channel, endpoint_id, event_id, payload, next_attempt_at, created_at)
         VALUES ('email', NULL, NULL, ?1, ?2, ?2)",
        rusqlite::params![payload.to_string(), now],
    )
    .unwrap();
    let m = &smtp.wait_for(1)[0];
    let mut rcpt: Vec<String> = serde_json::from_value(m["rcpt_tos"].clone()).unwrap();
    rcpt.sort();
    assert_eq!(rcpt, ["dan@example.com", "eve@example.com"]);
    assert_eq!(header(m, "To").unwrap(), "dan@example.com");
    assert_eq!(header(m, "Cc").unwrap(), "eve@example.com");
    assert_eq!(
        header(m, "Message-ID").unwrap(),
        "<fp.42.reply@frontporch.test>"
    );
    assert_eq!(
        header(m, "In-Reply-To").unwrap(),
        "<orig-2@mail.example.com>"
    );
    assert_eq!(
        header(m, "References").unwrap(),
        "<orig-1@mail.example.com> <orig-2@mail.example.com>"
    );
    assert_eq!(
        header(m, "Reply-To").unwrap(),
        "support+t0k3n@frontporch.test"
    );
    let subject = header(m, "Subject").unwrap();
    assert!(subject.starts_with("Re: Broken order"), "{subject}");
    assert!(!header_names(m).contains(&"bcc".to_string()), "{m}");
    let raw = m["raw"].as_str().unwrap();
    assert!(
        !raw.lines()
            .any(|l| l.to_ascii_lowercase().starts_with("bcc:")),
        "{raw}"
    );
    let from = header(m, "From").unwrap();
    assert!(from.ends_with("<support@frontporch.test>"), "{from}");
    // Text and escaped HTML, the link signed and absolute, the file attached.
    let text = part(m, "text/plain").unwrap()["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("https://chat.example.com{link}?exp=")) && text.contains("&sig="),
        "{text}"
    );
    assert!(part(m, "text/html").is_some(), "{m}");
    let png = part(m, "image/png").expect("the attachment");
    assert_eq!(png["filename"], "cat.png");
    assert_eq!(png["size"], PNG.len());
}

/// Support Board's `email-sent` webhook, with its documented body, once
/// the SMTP server accepted the email.
#[test]
fn a_sent_email_fires_support_boards_email_sent_webhook() {
    let smtp = SmtpServer::start();
    let s = Server::start_with(&[
        ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1"),
        ("FRONTPORCH_PUBLIC_URL", "https://chat.example.com"),
    ]);
    let token = s.admin_token();
    let admin = s.client(&token);
    configure(&admin, &smtp);
    let rx = std::sync::Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let port = rx.server_addr().to_ip().unwrap().port();
    let (st, w) = admin.call(
        "POST",
        "/api/v1/webhooks",
        Some(
            json!({ "url": format!("http://127.0.0.1:{port}/sb"), "format": "support_board",
                     "secret": "my-key", "events": ["email-sent"] }),
        ),
    );
    assert_eq!(st, 201, "{w}");
    let id = super::support_board::succeed(
        &s,
        &token,
        &[
            ("function", "add-user"),
            ("first_name", "Em"),
            ("email", "em@example.com"),
        ],
    );
    let r = sb(
        &s,
        &token,
        &[
            ("function", "send-custom-email"),
            ("to", "em@example.com"),
            ("subject", "Hi"),
            ("message", "Hello! How can I help you?"),
        ],
    );
    assert_eq!(r["success"], true, "{r}");
    let mut rq = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap()
        .expect("the email-sent webhook");
    let mut body = String::new();
    rq.as_reader().read_to_string(&mut body).unwrap();
    let _ = rq.respond(tiny_http::Response::from_string("ok"));
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v,
        json!({ "function": "email-sent", "key": "my-key", "sender-url": "https://chat.example.com",
                "data": { "recipient_id": id.to_string(), "message": "Hello! How can I help you?" } })
    );
    assert_eq!(smtp.messages().len(), 1);
}

/// An SMTP server that is down only delays mail: the attempt is recorded
/// with the connection error, the email stays pending, and it leaves
/// once the server is up.
#[test]
fn an_smtp_server_that_is_down_only_delays_mail() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s = Server::start_with(&[("FRONTPORCH_RETRY_BASE_MS", "300")]);
    let admin = s.client(&s.admin_token());
    let mut setting = json!({ "host": "127.0.0.1", "port": port, "security": "none",
        "from_address": "support@frontporch.test", "from_name": "Support" });
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "email.smtp": setting.take(), "email.notifications": { "agents": false } })),
    );
    assert_eq!(st, 200, "{v}");
    transcript(&s, "tara@example.com");
    let d = wait_deliveries(&admin, |d| {
        d.first().is_some_and(|r| r["attempts"].as_i64() >= Some(1))
    });
    assert_eq!(d[0]["state"], "pending", "{d:?}");
    assert!(
        d[0]["last_error"].as_str().is_some_and(|e| !e.is_empty()),
        "{d:?}"
    );
    // The rest of the server works meanwhile.
    assert_eq!(s.anon().call("GET", "/healthz", None).0, 200);
    let smtp = SmtpServer::start_on(port);
    assert_eq!(smtp.wait_for(1)[0]["rcpt_tos"], json!(["tara@example.com"]));
    wait_deliveries(&admin, |d| {
        d.first().is_some_and(|r| r["state"] == "delivered")
    });
}
