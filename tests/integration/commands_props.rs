//! Issue 13, part "props": `/set` (properties and meta), touchpoints (where
//! an agent's reply goes), `/action like|comment`, `/import`.

use super::harness::{Client, Server};
use super::smtp_server::SmtpServer;
use serde_json::{json, Value};

/// Runs a command through ChatShipper's `/v2` as `c`.
fn cmd(c: &Client, cid: i64, text: &str, meta: Value) -> (u16, Value) {
    c.call(
        "POST",
        &format!("/v2/conversations/{cid}/messages"),
        Some(json!({ "type": "command", "text": text, "meta": meta })),
    )
}

/// Runs a command through REST (answers the command's result).
fn rest_cmd(c: &Client, cid: i64, text: &str, meta: Value) -> (u16, Value) {
    c.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/commands"),
        Some(json!({ "text": text, "meta": meta })),
    )
}

fn conv(c: &Client, cid: i64) -> Value {
    c.get(&format!("/api/v1/conversations/{cid}"))
}

/// A visitor's widget conversation with a first message: (conversation, visitor id).
fn widget_conversation(s: &Server, name: &str) -> (i64, i64) {
    let (visitor, vid) = s.visitor(name);
    let c = visitor.post(
        "/api/v1/widget/conversations",
        json!({ "message": { "body": format!("Hello, I am {name}") } }),
    );
    (c["conversation"]["id"].as_i64().unwrap(), vid)
}

/// Read-only rows of the database: `sql` answers one JSON text column.
fn rows(s: &Server, sql: &str) -> Vec<Value> {
    let c = rusqlite::Connection::open_with_flags(
        s.data.join("frontporch.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut st = c.prepare(sql).unwrap();
    let out = st
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|p| serde_json::from_str(&p.unwrap()).unwrap())
        .collect();
    out
}

/// Runs one write on the database beside the server (what another
/// part's settings screen would do: department categories).
fn write(s: &Server, sql: &str) {
    let c = rusqlite::Connection::open(s.data.join("frontporch.db")).unwrap();
    c.busy_timeout(std::time::Duration::from_secs(30)).unwrap();
    c.execute_batch(sql).unwrap();
}

fn reply(admin: &Client, cid: i64, body: &str) -> Value {
    admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({ "body": body }),
    )
}

#[test]
fn set_properties_and_meta_and_their_errors() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (cid, _) = widget_conversation(&s, "Sam");

    // @name: the title, cleaned like titles.
    let (st, v) = cmd(
        &admin,
        cid,
        "/set @name  Account\u{200b} Review ",
        json!({}),
    );
    assert_eq!(st, 201, "{v}");
    let c = conv(&admin, cid);
    assert_eq!(c["conversation"]["title"], "Account Review");
    // The command is kept as a note, never shown to the visitor.
    let note = c["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(note["private"], true);
    assert_eq!(note["payload"]["type"], "command");
    assert_eq!(note["payload"]["command"], "set");

    // key value, a meta object (merged; null removes), @touchpoint, @language.
    let (st, v) = cmd(&admin, cid, "/set engagement high", json!({}));
    assert_eq!(st, 201, "{v}");
    let (st, v) = cmd(
        &admin,
        cid,
        "/set",
        json!({ "scores": [8, 7, 6.5], "tier": "gold" }),
    );
    assert_eq!(st, 201, "{v}");
    let (st, v) = cmd(&admin, cid, "/set", json!({ "tier": null }));
    assert_eq!(st, 201, "{v}");
    let (st, v) = cmd(&admin, cid, "/set @touchpoint Email", json!({}));
    assert_eq!(st, 201, "{v}");
    let (st, v) = rest_cmd(&admin, cid, "/set @language de", json!({}));
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["result"]["meta"]["_language"], "de", "{v}");
    let extra = conv(&admin, cid)["conversation"]["extra"].clone();
    assert_eq!(
        extra,
        json!({ "engagement": "high", "scores": [8, 7, 6.5], "_touchpoint": "email", "_language": "de" })
    );

    // @category without a department: 409, clear.
    let (st, v) = cmd(&admin, cid, "/set @category 1", json!({}));
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["error"]["code"], "no_department");

    // With a department and its categories: by slot, by name in any case.
    let d = admin.post("/api/v1/departments", json!({ "name": "Cars" }));
    let did = d["department"]["id"].as_i64().or(d["id"].as_i64()).unwrap();
    write(
        &s,
        &format!(
            "UPDATE departments SET categories = '[\"New Car\",\"Used Car\"]' WHERE id = {did}"
        ),
    );
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/conversations/{cid}"),
        Some(json!({ "department_id": did })),
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = cmd(&admin, cid, "/set @category 1", json!({}));
    assert_eq!(st, 201, "{v}");
    assert_eq!(conv(&admin, cid)["conversation"]["extra"]["_category"], 1);
    let (st, v) = cmd(&admin, cid, "/set @category new car", json!({}));
    assert_eq!(st, 201, "{v}");
    assert_eq!(conv(&admin, cid)["conversation"]["extra"]["_category"], 0);

    // Every refusal is a 400 (or 409) that changes nothing.
    let before = conv(&admin, cid);
    let count = before["messages"].as_array().unwrap().len();
    for (text, meta, status, code) in [
        ("/set @category Truck", json!({}), 400, "unknown_category"),
        ("/set @category 2", json!({}), 400, "unknown_category"),
        (
            "/set @touchpoint pigeon",
            json!({}),
            400,
            "invalid_property",
        ),
        ("/set @language DE", json!({}), 400, "invalid_property"),
        ("/set @language deu", json!({}), 400, "invalid_property"),
        ("/set @colour red", json!({}), 400, "invalid_property"),
        ("/set @name", json!({}), 400, "invalid_property"),
        ("/set", json!({}), 400, "invalid_property"),
        ("/set engagement", json!({}), 400, "invalid_property"),
        ("/set _touchpoint sms", json!({}), 400, "invalid_meta_key"),
        ("/set", json!({ "_title": "x" }), 400, "invalid_meta_key"),
        (
            "/set",
            json!({ "a": "x", "_agent": 1 }),
            400,
            "invalid_meta_key",
        ),
        (
            &format!("/set {} x", "k".repeat(65)),
            json!({}),
            400,
            "invalid_meta_key",
        ),
        (
            "/set",
            json!({ "big": "x".repeat(15_000), "more": "y".repeat(1_500) }),
            400,
            "too_large",
        ),
    ] {
        let (st, v) = cmd(&admin, cid, text, meta);
        assert_eq!(st, status, "{text}: {v}");
        assert_eq!(v["error"]["code"], code, "{text}: {v}");
        if code == "unknown_category" {
            let m = v["error"]["message"].as_str().unwrap();
            assert!(m.contains("0 New Car") && m.contains("1 Used Car"), "{m}");
        }
    }
    let after = conv(&admin, cid);
    assert_eq!(
        after["conversation"]["extra"],
        before["conversation"]["extra"]
    );
    assert_eq!(
        after["conversation"]["title"],
        before["conversation"]["title"]
    );
    assert_eq!(after["messages"].as_array().unwrap().len(), count);
}

/// Settings for the touchpoint tests: SMTP at `smtp`, contacts told of
/// replies by email when away (so a reply could leave twice).
fn email_on(admin: &Client, smtp: &SmtpServer) {
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "email.smtp": smtp.setting(),
            "email.notifications": { "agents": false, "contacts": true, "every_minutes": 0 } })),
    );
    assert_eq!(st, 200, "{v}");
}

/// The email outbox rows of a conversation, oldest first.
fn email_rows(s: &Server, cid: i64) -> Vec<Value> {
    rows(
        s,
        &format!(
            "SELECT payload FROM outbox WHERE channel = 'email'
             AND json_extract(payload, '$.conversation_id') = {cid} ORDER BY id"
        ),
    )
}

#[test]
fn touchpoint_email_sends_a_widget_conversations_reply_by_email_once() {
    let smtp = SmtpServer::start();
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    email_on(&admin, &smtp);
    let (cid, vid) = widget_conversation(&s, "Wendy");
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/users/{vid}"),
        Some(json!({ "email": "wendy@example.com" })),
    );
    assert_eq!(st, 200, "{v}");

    // Without a touchpoint: a widget reply leaves by no reply email.
    reply(&admin, cid, "Before the touchpoint");
    assert!(
        email_rows(&s, cid).iter().all(|r| r["kind"] != "reply"),
        "{:?}",
        email_rows(&s, cid)
    );
    let before = email_rows(&s, cid).len();
    // ...but the contact, away, is told of it (what must not double up).
    assert!(before >= 1, "no notice was queued");

    let (st, v) = cmd(&admin, cid, "/set @touchpoint email", json!({}));
    assert_eq!(st, 201, "{v}");
    reply(&admin, cid, "Your order ships tomorrow");
    let rows_now = email_rows(&s, cid);
    // Exactly one email for the reply: the reply itself, no notice beside it.
    assert_eq!(rows_now.len(), before + 1, "{rows_now:?}");
    let row = rows_now.last().unwrap();
    assert_eq!(row["kind"], "reply");
    assert_eq!(row["to"], "wendy@example.com");
    assert_eq!(row["text"], "Your order ships tomorrow");

    // It reaches the SMTP server.
    let got = smtp.wait_for(before + 1);
    let last = got
        .iter()
        .find(|m| {
            m["rcpt_tos"] == json!(["wendy@example.com"])
                && m.to_string().contains("ships tomorrow")
        })
        .unwrap_or_else(|| panic!("{got:?}"));
    assert_eq!(last["mail_from"], "support@frontporch.test");

    // An internal note never leaves.
    admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({ "body": "note to self", "private": true }),
    );
    assert_eq!(email_rows(&s, cid).len(), before + 1);
}

#[test]
fn an_unreachable_touchpoint_falls_back_in_order() {
    let smtp = SmtpServer::start();
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    email_on(&admin, &smtp);

    // A widget conversation; the contact has an email, Twilio is not
    // configured: sms is unreachable, web (the widget) comes first.
    let (cid, vid) = widget_conversation(&s, "Walt");
    admin.call(
        "PATCH",
        &format!("/api/v1/users/{vid}"),
        Some(json!({ "email": "walt@example.com", "phone": "+15550001111" })),
    );
    let (st, v) = cmd(&admin, cid, "/set @touchpoint sms", json!({}));
    assert_eq!(st, 201, "{v}");
    reply(&admin, cid, "Stays in the widget");
    // (The away contact's notice still goes, as for any widget reply.)
    let replies: Vec<Value> = email_rows(&s, cid)
        .into_iter()
        .filter(|r| r["kind"] == "reply")
        .collect();
    assert!(replies.is_empty(), "{replies:?}");
    let sms = rows(&s, "SELECT payload FROM outbox WHERE channel = 'twilio'");
    assert!(sms.is_empty(), "{sms:?}");

    // A contact with no visitor session in a conversation of no widget:
    // web is unreachable too, facebook as well; email is next.
    let u = admin.post(
        "/api/v1/users",
        json!({ "first_name": "Olga", "email": "olga@example.com", "phone": "+15550002222" }),
    );
    let uid = u["user"]["id"].as_i64().or(u["id"].as_i64()).unwrap();
    let c = admin.post(
        "/api/v1/conversations",
        json!({ "user_id": uid, "source": "ph", "title": "By phone" }),
    );
    let cid2 = c["conversation"]["id"].as_i64().unwrap();
    let (st, v) = cmd(&admin, cid2, "/set @touchpoint sms", json!({}));
    assert_eq!(st, 201, "{v}");
    reply(&admin, cid2, "Falls back to email");
    let got = email_rows(&s, cid2);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["kind"], "reply");
    assert_eq!(got[0]["to"], "olga@example.com");
    assert_eq!(got[0]["text"], "Falls back to email");
}

/// The reactions the inbox reads for a conversation, by message id.
fn reactions(admin: &Client, cid: i64, mid: i64) -> Value {
    let v = admin.get(&format!("/api/v1/conversations/{cid}/reactions"));
    v["reactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["message_id"] == mid)
        .cloned()
        .unwrap_or(json!({ "likes": [], "comments": [] }))
}

#[test]
fn likes_and_comments_are_bounded_and_scoped() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (cid, _) = widget_conversation(&s, "Lia");
    let (other, _) = widget_conversation(&s, "Otto");
    let first = conv(&admin, cid)["messages"][0]["id"].as_i64().unwrap();
    let elsewhere = conv(&admin, other)["messages"][0]["id"].as_i64().unwrap();

    // A like, by id as a string; again (by number): still one like.
    let (st, v) = cmd(
        &admin,
        cid,
        "/action like",
        json!({ "message": first.to_string() }),
    );
    assert_eq!(st, 201, "{v}");
    let (st, v) = rest_cmd(&admin, cid, "/action like", json!({ "message": first }));
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["result"]["likes"].as_array().unwrap().len(), 1, "{v}");
    let r = reactions(&admin, cid, first);
    assert_eq!(r["likes"].as_array().unwrap().len(), 1, "{r}");
    assert_eq!(r["likes"][0]["name"], "Frontporch Bot");

    // Scope and shape: another conversation's message, or no message: 404;
    // no meta.message or no such action: 400.
    for (text, meta, status) in [
        ("/action like", json!({ "message": elsewhere }), 404),
        (
            "/action comment hi",
            json!({ "message": elsewhere.to_string() }),
            404,
        ),
        (
            "/action like",
            json!({ "message": "5d4af42a529b5549737d5574" }),
            404,
        ),
        ("/action like", json!({ "message": 999_999 }), 404),
        ("/action like", json!({}), 400),
        ("/action wave", json!({ "message": first }), 400),
        ("/action comment", json!({ "message": first }), 400),
        ("/action comment   ", json!({ "message": first }), 400),
    ] {
        let (st, v) = cmd(&admin, cid, text, meta.clone());
        assert_eq!(st, status, "{text} {meta}: {v}");
    }
    let long = format!("/action comment {}", "x".repeat(1001));
    let (st, v) = cmd(&admin, cid, &long, json!({ "message": first }));
    assert_eq!(st, 400, "{v}");
    assert!(reactions(&admin, other, elsewhere)["likes"]
        .as_array()
        .unwrap()
        .is_empty());

    // Ten comments, then 409; each names the note that made it.
    for i in 0..10 {
        let (st, v) = rest_cmd(
            &admin,
            cid,
            &format!("/action comment Nice one {i}"),
            json!({ "message": first }),
        );
        assert_eq!(st, 201, "{v}");
        assert_eq!(v["result"]["comment"]["message"], v["command"]["id"], "{v}");
    }
    let (st, v) = cmd(
        &admin,
        cid,
        "/action comment one more",
        json!({ "message": first }),
    );
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["error"]["code"], "too_many_comments");
    let r = reactions(&admin, cid, first);
    let comments = r["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 10);
    assert_eq!(comments[0]["text"], "Nice one 0");
    assert_eq!(comments[9]["text"], "Nice one 9");

    // 100 likes in all (99 more, written beside the server), then a
    // new liker is refused while a repeat like of a liker still answers.
    let mut sql = String::from("BEGIN;");
    for i in 0..99 {
        sql.push_str(&format!(
            "INSERT INTO users (first_name, last_name, user_type, created_at) VALUES ('Fan{i}', '', 'agent', 0);
             INSERT INTO message_likes (message_id, user_id, created_at) VALUES ({first}, last_insert_rowid(), 1);"
        ));
    }
    sql.push_str("COMMIT;");
    write(&s, &sql);
    let second = conv(&admin, cid)["messages"][0]["id"].as_i64().unwrap();
    assert_eq!(second, first);
    let (st, v) = rest_cmd(&admin, cid, "/action like", json!({ "message": first }));
    assert_eq!(st, 201, "a repeat like: {v}");
    let agent = admin.post(
        "/api/v1/users",
        json!({ "first_name": "Ada", "email": "ada@example.com", "password": "correct horse 1", "type": "agent" }),
    );
    assert!(agent.is_object());
    let ada = s.login("ada@example.com", "correct horse 1");
    let (st, v) = cmd(&ada, cid, "/action like", json!({ "message": first }));
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["error"]["code"], "too_many_likes");
    assert_eq!(
        reactions(&admin, cid, first)["likes"]
            .as_array()
            .unwrap()
            .len(),
        100
    );
}

/// A conversation's messages (all: `limit` 200) ordered as a thread by time
/// shows them: by `created_at`, then id.
fn thread(admin: &Client, cid: i64) -> Vec<Value> {
    let mut list = admin.get(&format!("/api/v1/conversations/{cid}?limit=200"))["messages"]
        .as_array()
        .unwrap()
        .clone();
    list.sort_by_key(|m| {
        (
            m["created_at"].as_str().unwrap().to_string(),
            m["id"].as_i64().unwrap(),
        )
    });
    list
}

fn post(c: &Client, path: &str, body: &str) -> Value {
    c.post(path, json!({ "body": body }))
}

/// A new widget conversation of `visitor` with a first message; its id.
fn open_conversation(visitor: &Client, body: &str) -> i64 {
    visitor.post(
        "/api/v1/widget/conversations",
        json!({ "message": { "body": body } }),
    )["conversation"]["id"]
        .as_i64()
        .unwrap()
}

#[test]
fn import_interweaves_by_time_and_marks_both_sides() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (visitor, vid) = s.visitor("Ann");
    let open = |body: &str| open_conversation(&visitor, body);
    let a = open("A1");
    std::thread::sleep(std::time::Duration::from_millis(15));
    let b = open("B1");
    // Alternately, in both conversations: A2, B2, A3, B3 (an agent's reply in B).
    for (cid, body, staff) in [
        (a, "A2", false),
        (b, "B2", true),
        (a, "A3", false),
        (b, "B3", false),
    ] {
        std::thread::sleep(std::time::Duration::from_millis(15));
        if staff {
            post(
                &admin,
                &format!("/api/v1/conversations/{cid}/messages"),
                body,
            );
        } else {
            post(
                &visitor,
                &format!("/api/v1/widget/conversations/{cid}/messages"),
                body,
            );
        }
    }
    let origin_ids: Vec<i64> = thread(&admin, b)
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();

    let (st, v) = rest_cmd(&admin, a, &format!("/import {b}"), json!({}));
    assert_eq!(st, 201, "{v}");
    assert_eq!(
        v["result"],
        json!({ "origin": b, "target": a, "copied": 3 })
    );

    // The target: interwoven by time, copies naming their source.
    let t = thread(&admin, a);
    let bodies: Vec<&str> = t
        .iter()
        .filter(|m| !m["private"].as_bool().unwrap())
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["A1", "B1", "A2", "B2", "A3", "B3"]);
    let copies: Vec<&Value> = t
        .iter()
        .filter(|m| m["payload"]["meta"]["_source"].is_i64())
        .collect();
    let sources: Vec<i64> = copies
        .iter()
        .map(|m| m["payload"]["meta"]["_source"].as_i64().unwrap())
        .collect();
    assert_eq!(sources, origin_ids);
    // Sender, private flag and time kept.
    let b2 = copies.iter().find(|m| m["body"] == "B2").unwrap();
    assert_eq!(b2["sender"]["type"], "bot");
    let b3 = copies.iter().find(|m| m["body"] == "B3").unwrap();
    assert_eq!(b3["user_id"], vid);

    // The origin: TRANSFERRED, archived, each message naming its copy.
    let o = admin.get(&format!("/api/v1/conversations/{b}?limit=200"));
    assert_eq!(o["conversation"]["title"], "TRANSFERRED");
    assert_eq!(o["conversation"]["status"], 3);
    for m in o["messages"].as_array().unwrap() {
        let copy = m["payload"]["meta"]["_target"].as_i64().unwrap();
        let c = copies.iter().find(|c| c["id"] == copy).unwrap();
        assert_eq!(c["payload"]["meta"]["_source"], m["id"]);
        assert_eq!(c["created_at"], m["created_at"]);
        assert_eq!(c["body"], m["body"]);
    }

    // The event on both conversations.
    let ev = admin.get("/api/v1/events?after=0");
    let imported: Vec<i64> = ev["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "conversation.imported")
        .map(|e| e["conversation_id"].as_i64().unwrap())
        .collect();
    assert_eq!(imported.len(), 2, "{ev}");
    assert!(imported.contains(&a) && imported.contains(&b));

    // Twice, into itself, unknown: refused, nothing changes.
    let count = thread(&admin, a).len();
    for (text, status) in [
        (format!("/import {b}"), 409),
        (format!("/import {a}"), 409),
        ("/import 999999".to_string(), 404),
        ("/import abc".to_string(), 404),
        ("/import".to_string(), 400),
    ] {
        let (st, v) = cmd(&admin, a, &text, json!({}));
        assert_eq!(st, status, "{text}: {v}");
    }
    assert_eq!(thread(&admin, a).len(), count);
}

#[test]
fn import_refuses_strangers_but_merges_a_shared_email() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (a, ann) = widget_conversation(&s, "Ann");
    let (b, bob) = widget_conversation(&s, "Bob");
    let (st, v) = cmd(&admin, a, &format!("/import {b}"), json!({}));
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["error"]["code"], "import_refused");
    assert!(v["error"]["message"]
        .as_str()
        .unwrap()
        .contains("different contacts"));
    let o = admin.get(&format!("/api/v1/conversations/{b}"));
    assert_ne!(o["conversation"]["title"], "TRANSFERRED");
    assert!(o["messages"][0]["payload"]["meta"].is_null());
    assert_eq!(thread(&admin, a).len(), 1);

    // The same person by email (two visitor records): merged.
    for (id, email) in [(ann, "Ann@Example.com"), (bob, "x@y.z")] {
        let (st, v) = admin.call(
            "PATCH",
            &format!("/api/v1/users/{id}"),
            Some(json!({ "email": email })),
        );
        assert_eq!(st, 200, "{v}");
    }
    let (st, v) = cmd(&admin, a, &format!("/import {b}"), json!({}));
    assert_eq!(st, 409, "{v}");
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/users/{bob}"),
        Some(json!({ "email": null, "phone": "+1 555 000 3333" })),
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/users/{ann}"),
        Some(json!({ "phone": "+15550003333" })),
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = cmd(&admin, a, &format!("/import {b}"), json!({}));
    assert_eq!(st, 201, "{v}");
    let bodies: Vec<String> = thread(&admin, a)
        .iter()
        .filter(|m| !m["private"].as_bool().unwrap())
        .map(|m| m["body"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(bodies, ["Hello, I am Ann", "Hello, I am Bob"]);
}

/// The platform outbox rows of `channel` for a conversation, oldest first.
fn platform_rows(s: &Server, channel: &str, cid: i64) -> Vec<Value> {
    rows(
        s,
        &format!(
            "SELECT payload FROM outbox WHERE channel = '{channel}'
             AND json_extract(payload, '$.conversation_id') = {cid} ORDER BY id"
        ),
    )
}

#[test]
fn touchpoints_sms_and_facebook_reach_the_contacts_phone_and_messenger_identity() {
    use super::fake_platform::{Fake, Reply};
    let twilio = Fake::start(|c| {
        Reply::json(
            201,
            json!({ "sid": "SM1f0e8ae6ade43cb3c0ce4525424e404f", "status": "queued",
                    "to": c.field("To"), "body": c.field("Body") }),
        )
    });
    let s = Server::start_with(&[("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1")]);
    let admin = s.client(&s.admin_token());
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({
            "channels.twilio": { "account_sid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
                "auth_token": "twilio-token", "from": "+15104564545", "api_base": twilio.base() },
            "channels.messenger": { "page_id": "1001", "page_access_token": "page-token",
                "app_secret": "app-secret", "verify_token": "verify", "api_base": "http://127.0.0.1:9" } })),
    );
    assert_eq!(st, 200, "{v}");
    let (cid, vid) = widget_conversation(&s, "Pia");
    admin.call(
        "PATCH",
        &format!("/api/v1/users/{vid}"),
        Some(json!({ "phone": "+15305431221" })),
    );

    // sms: an SMS to the contact's phone, sent through Twilio; no Messenger row.
    let (st, v) = cmd(&admin, cid, "/set @touchpoint sms", json!({}));
    assert_eq!(st, 201, "{v}");
    reply(&admin, cid, "Your table is ready");
    let sms = platform_rows(&s, "twilio", cid);
    assert_eq!(sms.len(), 1, "{sms:?}");
    assert_eq!(sms[0]["kind"], "reply");
    assert_eq!(sms[0]["to"], "+15305431221");
    assert_eq!(sms[0]["text"], "Your table is ready");
    let sent = twilio.wait_for(60, |c| {
        c.field("Body").as_deref() == Some("Your table is ready")
    });
    assert_eq!(sent.field("To").as_deref(), Some("+15305431221"));

    // facebook without a Messenger identity: unreachable; web comes first.
    let (st, v) = cmd(&admin, cid, "/set @touchpoint facebook", json!({}));
    assert_eq!(st, 201, "{v}");
    reply(&admin, cid, "Still here?");
    assert!(platform_rows(&s, "messenger", cid).is_empty());
    assert_eq!(platform_rows(&s, "twilio", cid).len(), 1);

    // With one: to that identity, and only there.
    write(
        &s,
        &format!(
            "INSERT INTO channel_identities (source, external_id, user_id, created_at)
             VALUES ('fb', 'PSID-42', {vid}, 0)"
        ),
    );
    reply(&admin, cid, "Over to Messenger");
    let fb = platform_rows(&s, "messenger", cid);
    assert_eq!(fb.len(), 1, "{fb:?}");
    assert_eq!(fb[0]["to"], "PSID-42");
    assert_eq!(fb[0]["source"], "fb");
    assert_eq!(fb[0]["text"], "Over to Messenger");
    assert_eq!(platform_rows(&s, "twilio", cid).len(), 1);
}

#[test]
fn typed_into_the_composer_they_run_as_commands() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (visitor, _) = s.visitor("Cora");
    let open = |body: &str| open_conversation(&visitor, body);
    let (a, b) = (open("first"), open("second"));
    let m = reply(&admin, a, "/set @name Typed title");
    assert_eq!(
        m["message"]["private"].as_bool().or(m["private"].as_bool()),
        Some(true),
        "{m}"
    );
    assert_eq!(conv(&admin, a)["conversation"]["title"], "Typed title");
    reply(&admin, a, "/set tier gold");
    assert_eq!(conv(&admin, a)["conversation"]["extra"]["tier"], "gold");
    reply(&admin, a, &format!("/import {b}"));
    assert_eq!(conv(&admin, b)["conversation"]["title"], "TRANSFERRED");
    let bodies: Vec<String> = thread(&admin, a)
        .iter()
        .filter(|m| !m["private"].as_bool().unwrap())
        .map(|m| m["body"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(bodies, ["first", "second"]);
    // The visitor saw none of the commands.
    let seen = visitor.get(&format!("/api/v1/widget/conversations/{a}"));
    let texts = seen.to_string();
    assert!(
        !texts.contains("/set") && !texts.contains("/import"),
        "{texts}"
    );
}
