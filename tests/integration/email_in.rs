//! Email in (issue 11): IMAP polling into conversations (real Dovecot),
//! import once across restarts and UIDVALIDITY changes, piped mail,
//! threading, auto-replies, bad mail, and the reply rows agents' answers
//! queue.

use crate::harness::*;
use crate::imap_server::Imap;
use crate::mail_common::*;
use serde_json::{json, Value};
use std::path::Path;

#[test]
fn imap_round_trip_threads_and_imports_each_message_once() {
    let Some(imap) = Imap::start() else { return };
    let mut s = Server::start();
    let admin = setup(&s, Some(&imap));
    let first = mail(
        "Ann Customer <Ann@customer.test>",
        "support@example.com",
        "Printer on fire",
        "first@customer.test",
        "Cc: Boss <boss@customer.test>\r\n",
        "It is on fire.\r\n\r\n-- \r\nAnn, ACME",
    );
    imap.append(BOX, &first);
    let r = check(&admin);
    assert_eq!(r["imported"], 1, "{r}");
    assert!(r["reply"].as_str().unwrap().contains("OK"), "{r}");
    let convs = email_conversations(&admin);
    assert_eq!(convs.len(), 1);
    let cid = convs[0]["id"].as_i64().unwrap();
    assert_eq!(convs[0]["title"], "Printer on fire");
    assert_eq!(convs[0]["source"], "em");
    let m = messages(&admin, cid);
    assert_eq!(m[0]["body"], "It is on fire.", "signature folded away");
    assert_eq!(
        m[0]["payload"]["email"]["cc"],
        json!(["boss@customer.test"])
    );
    assert!(m[0]["payload"]["email"]["full_text"]
        .as_str()
        .unwrap()
        .contains("ACME"));
    let contact = admin.get(&format!("/api/v1/users/{}", convs[0]["user_id"]));
    assert_eq!(contact["user"]["email"], "ann@customer.test", "{contact}");
    assert_eq!(contact["user"]["first_name"], "Ann");
    let (seen, unseen) = imap.seen(BOX);
    assert_eq!(
        (seen.len(), unseen.len()),
        (1, 0),
        "imported mail is marked seen"
    );

    // Marked unread again: still imported once.
    imap.mark_unseen(BOX);
    assert_eq!(check(&admin)["imported"], 0);

    // The agent's answer is queued as a threaded email.
    admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({ "body": "We are on our way." }),
    );
    admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({ "body": "internal", "private": true }),
    );
    let rows = email_rows(&s.data);
    assert_eq!(rows.len(), 1, "one row, none for the note: {rows:?}");
    let row = &rows[0];
    assert_eq!(row["kind"], "reply");
    assert_eq!(row["to"], "ann@customer.test");
    assert_eq!(row["cc"], json!(["boss@customer.test"]));
    assert_eq!(row["subject"], "Re: Printer on fire");
    assert_eq!(row["text"], "We are on our way.");
    assert_eq!(row["in_reply_to"], "<first@customer.test>");
    assert_eq!(row["references"], json!(["<first@customer.test>"]));
    assert_eq!(row["conversation_id"], cid);
    let ours = row["message_id"].as_str().unwrap().to_string();
    assert!(
        ours.starts_with('<') && ours.ends_with("@example.com>"),
        "{ours}"
    );
    let reply_to = row["reply_to"].as_str().unwrap();
    assert!(
        reply_to.starts_with("support+") && reply_to.ends_with("@example.com"),
        "{reply_to}"
    );

    // The contact answers our message: same conversation.
    let answer = mail(
        "ann@customer.test",
        "support@example.com",
        "Re: Printer on fire",
        "second@customer.test",
        &format!("In-Reply-To: {ours}\r\nReferences: <first@customer.test> {ours}\r\n"),
        "Thanks!\r\n\r\nOn Tue, Support wrote:\r\n> We are on our way.",
    );
    imap.append(BOX, &answer);
    assert_eq!(check(&admin)["imported"], 1);
    assert_eq!(email_conversations(&admin).len(), 1);
    let m = messages(&admin, cid);
    assert_eq!(m.last().unwrap()["body"], "Thanks!", "quoted reply folded");

    // The second reply chains both ids.
    admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({ "body": "Fixed." }),
    );
    let rows = email_rows(&s.data);
    assert_eq!(rows[1]["in_reply_to"], "<second@customer.test>");
    assert_eq!(
        rows[1]["references"],
        json!(["<first@customer.test>", ours, "<second@customer.test>"])
    );

    // A restart: nothing is imported again.
    s.kill_and_restart();
    let admin = s.client(&s.admin_token());
    imap.mark_unseen(BOX);
    assert_eq!(check(&admin)["imported"], 0);

    // A new UIDVALIDITY: only the message never seen is imported.
    let third = mail(
        "carl@other.test",
        "support@example.com",
        "New question",
        "third@other.test",
        "",
        "Hello?",
    );
    imap.recreate(BOX, &[&first, &answer, &third]);
    let r = check(&admin);
    assert_eq!(
        (r["imported"].as_i64(), r["ignored"].as_i64()),
        (Some(1), Some(2)),
        "{r}"
    );
    assert_eq!(email_conversations(&admin).len(), 2);
    assert_eq!(
        messages(&admin, cid)
            .iter()
            .filter(|m| m["payload"]["email"].is_object())
            .count(),
        2
    );
}

#[test]
fn the_poller_imports_by_itself_and_a_server_down_is_an_answer_not_a_crash() {
    let Some(imap) = Imap::start() else { return };
    let s = Server::start();
    let admin = setup(&s, Some(&imap));
    // The shortest interval the settings take; the other tests poll by hand.
    let mut setting = imap.setting(BOX);
    setting["poll_seconds"] = json!(10);
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "email.imap": setting })),
    );
    assert_eq!(st, 200, "{v}");
    imap.append(
        BOX,
        &mail(
            "dee@x.test",
            "support@example.com",
            "Poll me",
            "p1@x.test",
            "",
            "Hi",
        ),
    );
    // The thread finds it within a round or two (bound generous: the machine stalls).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while email_conversations(&admin).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "the poller imported nothing"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let port = imap.port;
    drop(imap);
    let (st, v) = admin.call("POST", "/api/v1/email/check", Some(json!({})));
    assert_eq!(st, 503, "{v}");
    assert_eq!(v["error"]["code"], "mailbox_unavailable");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&port.to_string()),
        "{v}"
    );
    assert_eq!(admin.get("/healthz")["status"], "ok");
}

#[test]
fn bad_mail_never_blocks_the_next_message() {
    let Some(imap) = Imap::start() else { return };
    let s = Server::start();
    let admin = setup(&s, Some(&imap));
    imap.append(BOX, b"this is not a message at all");
    imap.append(
        BOX,
        &mail(
            "eve@x.test",
            "support@example.com",
            "After",
            "after@x.test",
            "",
            "Fine",
        ),
    );
    let r = check(&admin);
    assert_eq!(
        (r["imported"].as_i64(), r["failed"].as_i64()),
        (Some(1), Some(1)),
        "{r}"
    );
    let log = admin.get("/api/v1/email/inbound")["inbound"].clone();
    let failed = log
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["outcome"] == "failed")
        .unwrap();
    let kept = s.data.join(failed["raw_path"].as_str().unwrap());
    assert_eq!(
        std::fs::read(kept).unwrap(),
        b"this is not a message at all"
    );
}

#[test]
fn email_check_needs_an_admin_and_a_mailbox() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (st, v) = admin.call("POST", "/api/v1/email/check", Some(json!({})));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("email_not_configured")),
        "{v}"
    );
    let (st, _) = s
        .anon()
        .call("POST", "/api/v1/email/check", Some(json!({})));
    assert_eq!(st, 401);
}

#[test]
fn piped_mail_threads_by_reply_address_never_by_subject_alone() {
    let s = Server::start();
    let admin = setup(&s, None);
    let cursor = admin.get("/api/v1/events?after=0")["cursor"]
        .as_i64()
        .unwrap();
    let (code, out, err) = pipe(
        &s.data,
        &mail(
            "ann@c.test",
            "support@example.com",
            "Hello",
            "a1@c.test",
            "",
            "Question one",
        ),
    );
    assert_eq!(code, 0, "{out} {err}");
    // Live in the inbox: the server publishes what the command committed.
    let live = admin.get(&format!("/api/v1/events?after={cursor}"));
    let kinds: Vec<&str> = live["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"message.created"), "{live}");
    let convs = email_conversations(&admin);
    assert_eq!(convs.len(), 1, "imported while the server runs");
    let cid = convs[0]["id"].as_i64().unwrap();
    admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({ "body": "Answer" }),
    );
    let reply_to = email_rows(&s.data)[0]["reply_to"]
        .as_str()
        .unwrap()
        .to_string();

    // References rewritten (a client that drops them): the reply address threads it.
    let rewritten = mail(
        "ann@c.test",
        &reply_to,
        "Re: Hello",
        "a2@c.test",
        "In-Reply-To: <unknown@c.test>\r\nReferences: <unknown@c.test>\r\n",
        "Follow-up",
    );
    assert_eq!(pipe(&s.data, &rewritten).0, 0);
    assert_eq!(email_conversations(&admin).len(), 1);
    assert_eq!(messages(&admin, cid).len(), 3);

    // Another sender, same subject: a conversation of its own.
    assert_eq!(
        pipe(
            &s.data,
            &mail(
                "bob@d.test",
                "support@example.com",
                "Hello",
                "b1@d.test",
                "",
                "Me too"
            )
        )
        .0,
        0
    );
    // The same sender, the same subject, nothing else: not joined either.
    assert_eq!(
        pipe(
            &s.data,
            &mail(
                "ann@c.test",
                "support@example.com",
                "Re: Hello",
                "a3@c.test",
                "",
                "New"
            )
        )
        .0,
        0
    );
    assert_eq!(email_conversations(&admin).len(), 3);
    assert_eq!(messages(&admin, cid).len(), 3);

    // The same message piped twice: imported once.
    let (code, out, _) = pipe(&s.data, &rewritten);
    assert_eq!(code, 0);
    assert!(out.contains("ignored"), "{out}");
    assert_eq!(messages(&admin, cid).len(), 3);
}

#[test]
fn auto_replies_and_bounces_make_no_conversation_and_no_reply() {
    let s = Server::start();
    let admin = setup(&s, None);
    let autos: Vec<Vec<u8>> = vec![
        mail("a@x.test", "support@example.com", "Away", "x1@x.test", "Auto-Submitted: auto-replied\r\n", "Away"),
        mail("a@x.test", "support@example.com", "Away", "x2@x.test", "X-Autoreply: yes\r\n", "Away"),
        mail("a@x.test", "support@example.com", "Away", "x3@x.test", "X-Autorespond: yes\r\n", "Away"),
        mail("a@x.test", "support@example.com", "News", "x4@x.test", "Precedence: bulk\r\n", "News"),
        mail("MAILER-DAEMON@x.test", "support@example.com", "Undelivered", "x5@x.test", "", "Failed"),
        b"From: postmaster@x.test\r\nTo: support@example.com\r\nSubject: DSN\r\nMessage-ID: <x6@x.test>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b--\r\n".to_vec(),
    ];
    for a in &autos {
        let (code, out, err) = pipe(&s.data, a);
        assert_eq!(code, 0, "{out} {err}");
        assert!(out.starts_with("ignored"), "{out}");
    }
    // Our own address (a copy of our mail come back): no loop.
    let own = mail(
        "Support <support+abc@example.com>",
        "support@example.com",
        "Re: x",
        "x8@x.test",
        "",
        "Loop?",
    );
    let (code, out, _) = pipe(&s.data, &own);
    assert_eq!(
        (code, out.trim()),
        (0, "ignored: sent from our own address")
    );
    assert!(email_conversations(&admin).is_empty());
    assert!(email_rows(&s.data).is_empty());
    let ok = mail(
        "a@x.test",
        "support@example.com",
        "Real",
        "x7@x.test",
        "Auto-Submitted: no\r\n",
        "Hi",
    );
    assert_eq!(pipe(&s.data, &ok).0, 0);
    assert_eq!(email_conversations(&admin).len(), 1);
}

#[test]
fn piped_mail_failures_exit_for_the_mta() {
    let s = Server::start();
    // Too large: EX_DATAERR, the MTA bounces it.
    let big = vec![b'a'; 25 * 1024 * 1024 + 10];
    let (code, _, err) = pipe(&s.data, &big);
    assert_eq!(code, 65, "{err}");
    assert!(err.contains("larger"), "{err}");
    // No database to write to: EX_TEMPFAIL, the MTA retries.
    let not_a_dir = TempDir::new("mailin-file");
    let file = not_a_dir.0.join("file");
    std::fs::write(&file, b"x").unwrap();
    let (code, _, err) = pipe(
        &file,
        &mail("a@x.test", "s@x.test", "S", "f1@x.test", "", "Hi"),
    );
    assert_eq!(code, 75, "{err}");
    assert!(err.starts_with("error:"), "{err}");
}

#[test]
fn the_corpus_of_bad_mail_never_crashes_and_is_kept() {
    let s = Server::start();
    let admin = setup(&s, None);
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mail/corpus");
    let mut corpus: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    corpus.sort();
    // A 10,000-part message, generated.
    let mut many = String::from("From: parts@x.test\r\nSubject: parts\r\nMessage-ID: <parts@x.test>\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n");
    for i in 0..10_000 {
        many.push_str(&format!("--zz\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"p{i}.txt\"\r\n\r\npart {i}\r\n"));
    }
    many.push_str("--zz--\r\n");
    corpus.push(("10000 parts".into(), many.into_bytes()));
    assert!(corpus.len() >= 8, "the corpus is there");
    for (name, raw) in &corpus {
        let (code, out, err) = pipe(&s.data, raw);
        assert_eq!(code, 0, "{name}: {out} {err}");
    }
    let log = admin.get("/api/v1/email/inbound?limit=500")["inbound"].clone();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), corpus.len(), "every message is logged");
    let agent = {
        admin.post(
            "/api/v1/users",
            json!({ "type": "agent", "first_name": "Ann", "email": "ann@example.com",
                    "password": "long enough pw" }),
        );
        s.login("ann@example.com", "long enough pw")
    };
    let mut kept = 0;
    for l in log {
        let raw = format!("/api/v1/email/inbound/{}/raw", l["id"]);
        if l["outcome"] == "failed" {
            // The admin downloads it as it came; it is never shown inline.
            let on_disk = std::fs::read(s.data.join(l["raw_path"].as_str().unwrap())).unwrap();
            let (st, hs, body) = admin.raw_bytes("GET", &raw, None, &[]);
            assert_eq!(st, 200, "{l}");
            assert_eq!(body, on_disk, "{l}");
            assert_eq!(header(&hs, "content-type"), Some("message/rfc822"));
            assert!(header(&hs, "content-disposition")
                .unwrap()
                .starts_with("attachment"));
            assert_eq!(
                agent.raw_bytes("GET", &raw, None, &[]).0,
                403,
                "admins only"
            );
            kept += 1;
        } else {
            assert_eq!(admin.raw_bytes("GET", &raw, None, &[]).0, 404, "{l}");
        }
    }
    assert!(kept > 0, "the corpus has unreadable mail");
    let parts = email_conversations(&admin)
        .into_iter()
        .find(|c| c["title"] == "parts")
        .expect("the 10,000-part message is imported");
    let m = messages(&admin, parts["id"].as_i64().unwrap());
    assert_eq!(
        m[0]["attachments"].as_array().unwrap().len(),
        10,
        "attachments capped"
    );
    assert_eq!(admin.get("/healthz")["status"], "ok");
}

#[test]
fn support_board_email_piping_polls_the_mailbox() {
    let Some(imap) = Imap::start() else { return };
    let s = crate::support_board::Sb::start(&[]);
    let v = s.raw(&[("function", "email-piping")]);
    assert_eq!(v["success"], false, "{v}");
    assert!(
        v["response"].to_string().contains("email-not-configured")
            || v.to_string().contains("email-not-configured"),
        "{v}"
    );
    let admin = s.client(s.t());
    let mut setting = imap.setting(BOX);
    setting["poll_seconds"] = json!(86_400);
    let (st, _) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "email.imap": setting })),
    );
    assert_eq!(st, 200);
    imap.append(
        BOX,
        &mail(
            "sb@x.test",
            "support@example.com",
            "Piped",
            "sb1@x.test",
            "",
            "Via SB",
        ),
    );
    assert_eq!(
        s.call(&[("function", "email-piping"), ("force", "true")]),
        json!(true)
    );
    let convs = email_conversations(&admin);
    assert_eq!(convs.len(), 1);
    assert_eq!(convs[0]["title"], "Piped");
    // Support Board lists it among the email conversations.
    let sb = s.call(&[("function", "get-conversations"), ("source", "em")]);
    assert_eq!(sb.as_array().map(Vec::len), Some(1), "{sb}");
    assert!(sb.to_string().contains("Via SB"), "{sb}");
}

#[test]
fn starttls_is_negotiated_and_an_untrusted_certificate_refused() {
    let Some(imap) = Imap::start_with(true) else {
        return;
    };
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    // STARTTLS, then implicit TLS (imaps): the handshake runs and refuses it.
    for (security, port) in [("starttls", imap.port), ("tls", imap.tls_port)] {
        let mut setting = imap.setting(BOX);
        setting["security"] = json!(security);
        setting["port"] = json!(port);
        let (st, _) = admin.call(
            "PUT",
            "/api/v1/settings",
            Some(json!({ "email.imap": setting })),
        );
        assert_eq!(st, 200);
        let (st, v) = admin.call("POST", "/api/v1/email/check", Some(json!({})));
        assert_eq!(st, 503, "{security}: {v}");
        let msg = v["error"]["message"].as_str().unwrap().to_lowercase();
        assert!(msg.contains("certificate"), "{security}: {msg}");
    }
}

#[test]
fn attachments_come_in_as_uploads_and_go_out_as_canonical_links() {
    let s = Server::start();
    let admin = setup(&s, None);
    let raw = b"From: ann@c.test\r\nTo: support@example.com\r\nSubject: Files\r\nMessage-ID: <files@c.test>\r\nContent-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--q\r\nContent-Type: text/plain; name=notes.txt\r\nContent-Disposition: attachment; filename=notes.txt\r\n\r\nplain notes\r\n--q\r\nContent-Type: application/x-msdownload; name=evil.exe\r\nContent-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAgAAAAA==\r\n--q--\r\n";
    assert_eq!(pipe(&s.data, raw).0, 0);
    let cid = email_conversations(&admin)[0]["id"].as_i64().unwrap();
    let m = &messages(&admin, cid)[0];
    let files = m["attachments"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{m}");
    assert_eq!(files[0]["name"], "notes.txt");
    let left_out = m["payload"]["email"]["left_out"].to_string();
    assert!(left_out.contains("evil.exe"), "{left_out}");

    let crate::harness::Auth::Bearer(token) = admin.auth.clone() else {
        unreachable!()
    };
    let resp = agent()
        .post(s.url("/api/v1/uploads?name=answer.txt"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "text/plain")
        .send(&b"the answer"[..])
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let up: Value = serde_json::from_str(&resp.into_body().read_to_string().unwrap()).unwrap();
    admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({ "body": "Here", "attachments": [up["attachment"]] }),
    );
    let row = &email_rows(&s.data)[0];
    let links = row["attachments"].as_array().unwrap();
    assert_eq!(links.len(), 1, "{row}");
    let link = links[0].as_str().unwrap();
    assert!(
        link.starts_with("/uploads/") && link.ends_with("/answer.txt") && !link.contains('?'),
        "canonical: {link}"
    );
}

#[test]
fn a_mailbox_connected_for_the_first_time_leaves_its_read_mail_alone() {
    let Some(imap) = Imap::start() else { return };
    imap.append(
        BOX,
        &mail(
            "old@x.test",
            "support@example.com",
            "Old",
            "old1@x.test",
            "",
            "Read long ago",
        ),
    );
    imap.append(
        BOX,
        &mail(
            "old@x.test",
            "support@example.com",
            "Older",
            "old2@x.test",
            "",
            "Also read",
        ),
    );
    imap.mark_seen_all(BOX);
    let s = Server::start();
    let admin = setup(&s, Some(&imap));
    check(&admin);
    assert!(
        email_conversations(&admin).is_empty(),
        "read mail stays in the mailbox"
    );
    imap.append(
        BOX,
        &mail(
            "new@x.test",
            "support@example.com",
            "New",
            "new1@x.test",
            "",
            "Unread",
        ),
    );
    check(&admin);
    let convs = email_conversations(&admin);
    assert_eq!(convs.len(), 1);
    assert_eq!(convs[0]["title"], "New");
}

/// Legacy CJK charsets (still common: ISO-2022-JP in Japan, GB2312 in
/// China) are decoded, in the body and in encoded words.
#[test]
fn cjk_charsets_are_decoded() {
    let s = Server::start();
    let admin = setup(&s, None);
    let iso_2022_jp: &[u8] = &[
        27, 36, 66, 36, 51, 36, 115, 36, 75, 36, 65, 36, 79, 33, 34, 67, 109, 74, 56, 36, 75, 36,
        68, 36, 36, 36, 70, 27, 40, 66,
    ];
    let mut raw = b"From: taro@x.test\r\nTo: support@example.com\r\n\
        Subject: =?ISO-2022-JP?B?GyRCN29MPiVGJTklSBsoQg==?=\r\nMessage-ID: <jp1@x.test>\r\n\
        Content-Type: text/plain; charset=ISO-2022-JP\r\n\r\n"
        .to_vec();
    raw.extend_from_slice(iso_2022_jp);
    raw.extend_from_slice(b"\r\n");
    let (code, out, err) = pipe(&s.data, &raw);
    assert_eq!(code, 0, "{out} {err}");
    let gb2312: &[u8] = &[196, 227, 186, 195, 163, 172, 182, 169, 181, 165];
    let mut raw = b"From: li@x.test\r\nTo: support@example.com\r\nSubject: order\r\n\
        Message-ID: <cn1@x.test>\r\nContent-Type: text/plain; charset=GB2312\r\n\r\n"
        .to_vec();
    raw.extend_from_slice(gb2312);
    let (code, out, err) = pipe(&s.data, &raw);
    assert_eq!(code, 0, "{out} {err}");
    let convs = email_conversations(&admin);
    let jp = convs
        .iter()
        .find(|c| c["title"] == "件名テスト")
        .expect("the subject decoded");
    let body = &messages(&admin, jp["id"].as_i64().unwrap())[0]["body"];
    assert_eq!(body, "こんにちは、注文について");
    let cn = convs.iter().find(|c| c["title"] == "order").unwrap();
    assert_eq!(
        messages(&admin, cn["id"].as_i64().unwrap())[0]["body"],
        "你好，订单"
    );
}
