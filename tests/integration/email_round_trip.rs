//! Email both ways at once (issue 11): a real Dovecot (`imap_server.rs`)
//! for mail in and a real aiosmtpd (`smtp_server.rs`) for mail out. The
//! contact's mail comes in by IMAP, the agent answers through the REST
//! API, what aiosmtpd received is what the contact answers, and that
//! answer must land in the same conversation.

use crate::harness::*;
use crate::imap_server::Imap;
use crate::mail_common::{check, email_conversations, mail, messages, BOX};
use crate::smtp_server::{header, SmtpServer};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The SMTP sender `SmtpServer::setting` configures.
const FROM: &str = "support@frontporch.test";

/// A server with fast retries, SMTP and IMAP configured (`poll_seconds`
/// as given), and `notifications` as the admin set them.
fn setup(
    smtp: &SmtpServer,
    imap: &Imap,
    poll_seconds: u64,
    notifications: Value,
) -> (Server, Client) {
    let s = Server::start_with(&[("FRONTPORCH_RETRY_BASE_MS", "200")]);
    let admin = s.client(&s.admin_token());
    let mut imap_setting = imap.setting(BOX);
    imap_setting["poll_seconds"] = json!(poll_seconds);
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(
            json!({ "email.smtp": smtp.setting(), "email.imap": imap_setting,
                     "email.notifications": notifications }),
        ),
    );
    assert_eq!(st, 200, "{v}");
    (s, admin)
}

/// Waits (generously) until `pred` holds.
fn wait_until(what: &str, mut pred: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !pred() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(150));
    }
}

/// Waits until every email row of the delivery log is delivered; answers
/// how many there are. Rows are written in the job of their cause, so once
/// this answers, aiosmtpd holds every email the server will ever send for
/// what happened so far.
fn all_delivered(admin: &Client) -> usize {
    let mut n = 0;
    wait_until("every email delivered", || {
        let d = admin.get("/api/v1/email/deliveries?limit=100")["deliveries"]
            .as_array()
            .unwrap()
            .clone();
        n = d.len();
        d.iter().all(|r| r["state"] == "delivered")
    });
    n
}

/// The emails aiosmtpd received with `address` among the recipients.
fn received_by(smtp: &SmtpServer, address: &str) -> Vec<Value> {
    smtp.messages()
        .into_iter()
        .filter(|m| {
            m["rcpt_tos"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r.as_str() == Some(address))
        })
        .collect()
}

/// The admin uploads `name` (text): the attachment to send with a message.
fn upload(s: &Server, admin: &Client, name: &str, bytes: &'static [u8]) -> Value {
    let Auth::Bearer(token) = admin.auth.clone() else {
        unreachable!()
    };
    let resp = agent()
        .post(s.url(&format!("/api/v1/uploads?name={name}")))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "text/plain")
        .send(bytes)
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let v: Value = serde_json::from_str(&resp.into_body().read_to_string().unwrap()).unwrap();
    v["attachment"].clone()
}

fn reply(admin: &Client, cid: i64, body: Value) {
    admin.post(&format!("/api/v1/conversations/{cid}/messages"), body);
}

fn strip_angle(id: &str) -> &str {
    id.trim().trim_start_matches('<').trim_end_matches('>')
}

#[test]
fn contact_to_imap_to_agent_to_smtp_and_back_into_the_same_conversation() {
    let Some(imap) = Imap::start() else { return };
    let smtp = SmtpServer::start();
    let (s, admin) = setup(&smtp, &imap, 86_400, json!({ "agents": false }));
    let contact = "ann@customer.test";
    imap.append(
        BOX,
        &mail(
            "Ann Customer <ann@customer.test>",
            FROM,
            "Order 7 never came",
            "first@customer.test",
            "",
            "Where is my <b>order</b>?",
        ),
    );
    wait_until("the contact's mail imported", || {
        check(&admin);
        email_conversations(&admin).len() == 1
    });
    let conv = email_conversations(&admin)[0].clone();
    let cid = conv["id"].as_i64().unwrap();
    assert_eq!(conv["source"], "em");
    assert_eq!(conv["title"], "Order 7 never came");

    // The agent answers through the REST API, with a file.
    let file = upload(&s, &admin, "steps.txt", b"1. wait\n2. call us\n");
    reply(
        &admin,
        cid,
        json!({ "body": "It left on <Monday> & arrives soon.", "attachments": [file] }),
    );
    assert_eq!(all_delivered(&admin), 1);
    let got = received_by(&smtp, contact);
    assert_eq!(got.len(), 1, "exactly one email for one reply: {got:?}");
    let m = &got[0];
    assert_eq!(m["rcpt_tos"], json!([contact]));
    assert_eq!(header(m, "To").unwrap(), contact);
    assert_eq!(header(m, "Subject").unwrap(), "Re: Order 7 never came");
    let ours = header(m, "Message-ID").unwrap();
    assert!(
        ours.starts_with('<') && ours.ends_with("@frontporch.test>"),
        "{ours}"
    );
    assert_eq!(header(m, "In-Reply-To").unwrap(), "<first@customer.test>");
    assert_eq!(header(m, "References").unwrap(), "<first@customer.test>");
    let reply_to = header(m, "Reply-To").unwrap();
    assert!(
        reply_to.starts_with("support+") && reply_to.ends_with("@frontporch.test"),
        "{reply_to}"
    );
    let parts = m["parts"].as_array().unwrap();
    let leaf = |pred: &dyn Fn(&Value) -> bool| parts.iter().find(|p| pred(p)).cloned();
    let text = leaf(&|p| p["content_type"] == "text/plain" && p["filename"].is_null())
        .expect("a text part");
    assert!(
        text["text"]
            .as_str()
            .unwrap()
            .contains("It left on <Monday> & arrives soon."),
        "{text}"
    );
    let html = leaf(&|p| p["content_type"] == "text/html").expect("an HTML part");
    let html = html["text"].as_str().unwrap();
    assert!(
        html.contains("It left on &lt;Monday&gt; &amp; arrives soon."),
        "escaped: {html}"
    );
    assert!(!html.contains("<Monday>"), "{html}");
    let attached = leaf(&|p| p["filename"] == "steps.txt").expect("the attachment");
    assert_eq!(attached["text"], "1. wait\n2. call us\n");

    // The contact answers what they received (their client threads it).
    let answer = mail(
        contact,
        &reply_to,
        "Re: Order 7 never came",
        "second@customer.test",
        &format!("In-Reply-To: {ours}\r\nReferences: <first@customer.test> {ours}\r\n"),
        "Thanks, got it.",
    );
    imap.append(BOX, &answer);
    assert_eq!(check(&admin)["imported"], 1);
    assert_eq!(email_conversations(&admin).len(), 1, "no new conversation");
    let last = messages(&admin, cid).last().unwrap().clone();
    assert_eq!(last["body"], "Thanks, got it.");
    assert_eq!(
        last["payload"]["email"]["message_id"],
        "second@customer.test"
    );

    // Apple Mail style: References rewritten to an id we never saw, but
    // sent to the reply address.
    imap.append(
        BOX,
        &mail(
            contact,
            &reply_to,
            "Re: Order 7 never came",
            "third@customer.test",
            "In-Reply-To: <rewritten@customer.test>\r\nReferences: <rewritten@customer.test>\r\n",
            "One more thing.",
        ),
    );
    assert_eq!(check(&admin)["imported"], 1);
    assert_eq!(email_conversations(&admin).len(), 1);
    assert_eq!(
        messages(&admin, cid).last().unwrap()["body"],
        "One more thing."
    );

    // Another sender, the same subject: never joined.
    imap.append(
        BOX,
        &mail(
            "bob@elsewhere.test",
            FROM,
            "Re: Order 7 never came",
            "bob1@elsewhere.test",
            "",
            "Mine too?",
        ),
    );
    assert_eq!(check(&admin)["imported"], 1);
    let convs = email_conversations(&admin);
    assert_eq!(convs.len(), 2, "{convs:?}");
    let bodies: Vec<Value> = messages(&admin, cid)
        .iter()
        .map(|m| m["body"].clone())
        .collect();
    assert!(!bodies.contains(&json!("Mine too?")), "{bodies:?}");

    // The next answer chains the thread (the rewritten id was never ours
    // nor received, so it is not in it): one more email, no more.
    reply(&admin, cid, json!({ "body": "Noted." }));
    assert_eq!(all_delivered(&admin), 2);
    let got = received_by(&smtp, contact);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        header(&got[1], "References").unwrap(),
        format!("<first@customer.test> {ours} <second@customer.test> <third@customer.test>")
    );
    assert_eq!(
        header(&got[1], "In-Reply-To").unwrap(),
        "<third@customer.test>",
        "the newest of the thread"
    );
    assert_ne!(
        strip_angle(&header(&got[1], "Message-ID").unwrap()),
        strip_angle(&ours)
    );
}

/// Notifications on for everyone (contacts and agents, no rate window):
/// the contact of an email conversation still gets one email per reply,
/// the reply itself, never a "you have a new message" beside it.
#[test]
fn one_reply_is_one_email_to_the_contact_with_every_notification_on() {
    let Some(imap) = Imap::start() else { return };
    let smtp = SmtpServer::start();
    let (_s, admin) = setup(
        &smtp,
        &imap,
        86_400,
        json!({ "contacts": true, "agents": true, "every_minutes": 0 }),
    );
    let contact = "cleo@customer.test";
    imap.append(
        BOX,
        &mail(
            contact,
            FROM,
            "Invoice",
            "inv1@customer.test",
            "",
            "Wrong total",
        ),
    );
    wait_until("imported", || {
        check(&admin);
        email_conversations(&admin).len() == 1
    });
    let cid = email_conversations(&admin)[0]["id"].as_i64().unwrap();
    // An agent who is offline, assigned: told by email (they are staff).
    let agent = admin.post(
        "/api/v1/users",
        json!({ "type": "agent", "first_name": "Olga", "email": "olga@example.com",
                "password": "long enough pw" }),
    );
    let agent_id = agent["user"]["id"].as_i64().unwrap();
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/conversations/{cid}"),
        Some(json!({ "agent_id": agent_id })),
    );
    assert_eq!(st, 200, "{v}");
    for (i, body) in ["First answer", "Second answer", "Third answer"]
        .iter()
        .enumerate()
    {
        reply(&admin, cid, json!({ "body": body }));
        all_delivered(&admin);
        let got = received_by(&smtp, contact);
        assert_eq!(got.len(), i + 1, "one email per reply: {got:?}");
        let subject = header(&got[i], "Subject").unwrap();
        assert_eq!(subject, "Re: Invoice", "the reply, not a notification");
        assert!(header(&got[i], "In-Reply-To").is_some(), "{:?}", got[i]);
    }
    // Notifications were on: the offline agent heard of the assignment,
    // and the admin (offline when the mail came) of the new conversation.
    assert_eq!(
        received_by(&smtp, "olga@example.com").len(),
        1,
        "{:?}",
        smtp.messages()
    );
    let told = received_by(&smtp, ADMIN_EMAIL);
    assert_eq!(told.len(), 1, "{:?}", smtp.messages());
    let subject = header(&told[0], "Subject").unwrap();
    assert!(
        subject.contains(&format!("conversation #{cid}")),
        "{subject}"
    );
    assert!(
        told[0]["raw"]
            .as_str()
            .unwrap()
            .contains(&format!("dialogID={cid}")),
        "the link to the conversation: {:?}",
        told[0]
    );
}

/// Support Board's `email-piping` polls at most once a minute unless
/// `force`: between two calls within the minute the mailbox is not read.
#[test]
fn email_piping_polls_at_most_once_a_minute_unless_forced() {
    let Some(imap) = Imap::start() else { return };
    let smtp = SmtpServer::start();
    // Filed before the mailbox is configured, so the poller's first round
    // (its last: poll_seconds is a day) is sure to import it.
    imap.append(
        BOX,
        &mail("p1@x.test", FROM, "One", "pipe1@x.test", "", "1"),
    );
    let (s, admin) = setup(&smtp, &imap, 86_400, json!({ "agents": false }));
    let token = s.admin_token();
    let piping = |force: bool| {
        let mut args = vec![("function", "email-piping")];
        if force {
            args.push(("force", "true"));
        }
        crate::support_board::succeed(&s, &token, &args)
    };
    wait_until("the poller's first round", || {
        email_conversations(&admin).len() == 1
    });
    imap.append(
        BOX,
        &mail("p2@x.test", FROM, "Two", "pipe2@x.test", "", "2"),
    );
    assert_eq!(piping(false), json!(true));
    assert_eq!(email_conversations(&admin).len(), 2, "the first call polls");
    imap.append(
        BOX,
        &mail("p3@x.test", FROM, "Three", "pipe3@x.test", "", "3"),
    );
    assert_eq!(piping(false), json!(true));
    assert_eq!(
        email_conversations(&admin).len(),
        2,
        "a second call within the minute does not poll"
    );
    assert_eq!(imap.seen(BOX).1.len(), 1, "the third message is unread");
    assert_eq!(piping(true), json!(true));
    assert_eq!(email_conversations(&admin).len(), 3, "force polls");
}

/// A contact's mail with a Cc: the agent's reply goes to the contact,
/// the Cc'd address in Cc, and the SMTP envelope names exactly those two.
#[test]
fn cc_of_the_contacts_mail_is_kept_in_the_reply_and_its_envelope() {
    let Some(imap) = Imap::start() else { return };
    let smtp = SmtpServer::start();
    let (_s, admin) = setup(&smtp, &imap, 86_400, json!({ "agents": false }));
    imap.append(
        BOX,
        &mail(
            "Dan <dan@customer.test>",
            FROM,
            "Team access",
            "cc1@customer.test",
            "Cc: Bea <b@x.test>\r\n",
            "Please add Bea.",
        ),
    );
    wait_until("imported", || {
        check(&admin);
        email_conversations(&admin).len() == 1
    });
    let cid = email_conversations(&admin)[0]["id"].as_i64().unwrap();
    reply(&admin, cid, json!({ "body": "Done." }));
    assert_eq!(all_delivered(&admin), 1);
    let got = smtp.messages();
    assert_eq!(got.len(), 1, "{got:?}");
    let m = &got[0];
    let mut rcpt: Vec<String> = serde_json::from_value(m["rcpt_tos"].clone()).unwrap();
    rcpt.sort();
    assert_eq!(rcpt, ["b@x.test", "dan@customer.test"]);
    assert_eq!(header(m, "To").unwrap(), "dan@customer.test");
    assert_eq!(header(m, "Cc").unwrap(), "b@x.test");

    // Bea answers all (to the reply address, Dan in Cc): the same
    // conversation, and the next reply still goes to exactly the two.
    let ours = header(m, "Message-ID").unwrap();
    let reply_to = header(m, "Reply-To").unwrap();
    imap.append(
        BOX,
        &mail(
            "Bea <b@x.test>",
            &reply_to,
            "Re: Team access",
            "cc2@x.test",
            &format!("Cc: dan@customer.test\r\nIn-Reply-To: {ours}\r\nReferences: <cc1@customer.test> {ours}\r\n"),
            "Thanks from Bea.",
        ),
    );
    assert_eq!(check(&admin)["imported"], 1);
    assert_eq!(email_conversations(&admin).len(), 1);
    assert_eq!(
        messages(&admin, cid).last().unwrap()["body"],
        "Thanks from Bea."
    );
    reply(&admin, cid, json!({ "body": "Welcome, Bea." }));
    assert_eq!(all_delivered(&admin), 2);
    let got = smtp.messages();
    assert_eq!(got.len(), 2, "{got:?}");
    let mut rcpt: Vec<String> = serde_json::from_value(got[1]["rcpt_tos"].clone()).unwrap();
    rcpt.sort();
    assert_eq!(rcpt, ["b@x.test", "dan@customer.test"]);
    assert_eq!(header(&got[1], "To").unwrap(), "dan@customer.test");
    assert_eq!(header(&got[1], "Cc").unwrap(), "b@x.test");
}
