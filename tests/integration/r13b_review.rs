//! Review r13b (issue 13: `/block`, `/import`, `/action`, touchpoints,
//! `/notify`): the holes found and closed, each with its test.

use super::harness::{Client, Server};
use serde_json::{json, Value};

fn command(admin: &Client, cid: i64, text: &str, meta: Value) -> (u16, Value) {
    admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/commands"),
        Some(json!({ "text": text, "meta": meta })),
    )
}

/// A visitor with a conversation: (client, user id, conversation id).
fn visitor_with_conversation(s: &Server, name: &str, text: &str) -> (Client, i64, i64) {
    let (visitor, vid) = s.visitor(name);
    let v = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": text}}),
    );
    (visitor, vid, v["conversation"]["id"].as_i64().unwrap())
}

/// A blocked visitor keeps their token: every write of the widget API
/// (files, typing, ratings, transcripts, identify, profile, automations,
/// forms, read marks) is refused like a post, not only posts and sessions.
#[test]
fn a_blocked_visitor_can_write_nothing_through_the_widget_api() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (visitor, _, cid) = visitor_with_conversation(&s, "Mallory", "hello");
    let (st, v) = command(&admin, cid, "/block spam", json!({}));
    assert_eq!(st, 201, "{v}");
    let c = format!("/api/v1/widget/conversations/{cid}");
    let writes: Vec<(&str, String, Value)> = vec![
        ("POST", format!("{c}/typing"), json!({"typing": true})),
        (
            "POST",
            format!("{c}/rating"),
            json!({"rating": -1, "comment": "spam"}),
        ),
        (
            "POST",
            format!("{c}/transcript"),
            json!({"email": "victim@example.com"}),
        ),
        ("POST", format!("{c}/read"), json!({})),
        ("POST", format!("{c}/delivered"), json!({})),
        ("PUT", format!("{c}/forms/1"), json!({})),
        (
            "POST",
            "/api/v1/widget/identify".into(),
            json!({"email": "m@example.com"}),
        ),
        (
            "PATCH",
            "/api/v1/widget/me".into(),
            json!({"first_name": "Spam"}),
        ),
        ("POST", "/api/v1/widget/uploads".into(), json!({})),
        ("POST", "/api/v1/widget/automations/run".into(), json!({})),
        ("POST", "/api/v1/articles/ratings".into(), json!({})),
    ];
    for (method, path, body) in writes {
        let (st, v) = visitor.call(method, &path, Some(body));
        assert_eq!(st, 403, "{method} {path}: {v}");
        assert_eq!(v["error"]["code"], "blocked", "{method} {path}: {v}");
    }
    // Reading their own thread (where the widget says they are blocked)
    // and ending the session still work.
    assert_eq!(visitor.call("GET", &c, None).0, 200);
    assert_eq!(
        visitor.call("DELETE", "/api/v1/widget/session", None).0,
        204
    );
}

/// A blocked contact who writes by email is not let back in through the
/// mailbox: the mail is logged as ignored (kept, visible to admins) and
/// posts nothing, until the block is lifted.
#[test]
fn a_blocked_contact_cannot_post_by_email() {
    use super::mail_common::{email_conversations, mail, messages, pipe, setup};
    let s = Server::start();
    let admin = setup(&s, None);
    let to = "support@example.com";
    let first = mail("ann@c.test", to, "Hello", "b1@c.test", "", "Buy pills");
    assert_eq!(pipe(&s.data, &first).0, 0);
    let cid = email_conversations(&admin)[0]["id"].as_i64().unwrap();
    let (st, v) = command(&admin, cid, "/block spam", json!({}));
    assert_eq!(st, 201, "{v}");
    let block = v["result"]["block"]["id"].as_i64().unwrap();

    let again = mail("ann@c.test", to, "Again", "b2@c.test", "", "More pills");
    let (code, out, err) = pipe(&s.data, &again);
    assert_eq!(code, 0, "the MTA is not asked to retry: {out} {err}");
    assert!(
        email_conversations(&admin).is_empty(),
        "no new conversation"
    );
    let bodies: Vec<Value> = messages(&admin, cid)
        .iter()
        .map(|m| m["body"].clone())
        .collect();
    assert!(!bodies.contains(&json!("More pills")), "{bodies:?}");
    let log = admin.get("/api/v1/email/inbound?limit=5");
    let row = &log["inbound"][0];
    assert_eq!(row["outcome"], "ignored", "{log}");
    assert!(row["reason"].as_str().unwrap().contains("blocked"), "{log}");

    let (st, _) = admin.call("DELETE", &format!("/api/v1/blocks/{block}"), None);
    assert_eq!(st, 204);
    let third = mail("ann@c.test", to, "Sorry", "b3@c.test", "", "Sorry");
    assert_eq!(pipe(&s.data, &third).0, 0);
    let log = admin.get("/api/v1/email/inbound?limit=5");
    assert_eq!(log["inbound"][0]["outcome"], "imported", "lifted: {log}");
}

/// Nor through a messaging platform: a blocked Telegram contact's update is
/// acknowledged to Telegram (a refusal would make it retry for a day) and
/// posts nothing.
#[test]
fn a_blocked_contact_cannot_post_through_a_messaging_platform() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "channels.telegram": {
            "bot_token": "123456:ABC-def", "secret_token": "s3cret-Token_1",
            "api_base": "http://127.0.0.1:9" } })),
    );
    let update = |id: i64, text: &str| {
        let u = json!({ "update_id": id, "message": {
            "message_id": id, "date": 1733068800,
            "from": { "id": 4242, "is_bot": false, "first_name": "Zoë" },
            "chat": { "id": 4242, "first_name": "Zoë", "type": "private" },
            "text": text } });
        let (st, _, body) = s.anon().raw(
            "POST",
            "/channels/telegram",
            Some(u.to_string()),
            &[
                ("content-type", "application/json"),
                ("x-telegram-bot-api-secret-token", "s3cret-Token_1"),
            ],
        );
        assert_eq!(st, 200, "{body}");
    };
    let all_bodies = || -> Vec<String> {
        let convs = admin.get("/api/v1/conversations?limit=100&status=0,1,2,3,4");
        let mut out = Vec::new();
        for c in convs["conversations"].as_array().unwrap() {
            let id = c["id"].as_i64().unwrap();
            let ms = admin.get(&format!("/api/v1/conversations/{id}/messages?limit=200"));
            for m in ms["messages"].as_array().unwrap() {
                out.push(m["body"].as_str().unwrap_or("").to_string());
            }
        }
        out
    };
    update(1, "spam one");
    let convs = admin.get("/api/v1/conversations?limit=100&status=0,1,2,3,4");
    let cid = convs["conversations"][0]["id"].as_i64().unwrap();
    let (st, v) = command(&admin, cid, "/block spam", json!({}));
    assert_eq!(st, 201, "{v}");
    update(2, "spam two");
    assert!(
        !all_bodies().contains(&"spam two".to_string()),
        "{:?}",
        all_bodies()
    );
}

/// The last `kind: reply` email queued for conversation `cid`: (to, text).
fn last_reply_to(s: &Server, cid: i64) -> (Value, Value) {
    let c = rusqlite::Connection::open_with_flags(
        s.data.join("frontporch.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let p: String = c
        .query_row(
            "SELECT payload FROM outbox WHERE channel = 'email'
             AND json_extract(payload, '$.kind') = 'reply'
             AND json_extract(payload, '$.conversation_id') = ?1 ORDER BY id DESC LIMIT 1",
            [cid],
            |r| r.get(0),
        )
        .unwrap();
    let v: Value = serde_json::from_str(&p).unwrap();
    (v["to"].clone(), v["text"].clone())
}

/// `@touchpoint email` on a widget conversation: when the contact's
/// address is corrected (a typo that is someone else's mailbox), the next
/// reply goes to the corrected address, not on to the stranger; with the
/// address removed, no reply email leaves at all.
#[test]
fn a_touchpoint_email_follows_the_contacts_corrected_address() {
    let s = Server::start();
    let admin = super::mail_common::setup(&s, None);
    let (_, vid, cid) = visitor_with_conversation(&s, "Ann", "hello");
    let set_email = |email: Value| {
        let (st, v) = admin.call(
            "PATCH",
            &format!("/api/v1/users/{vid}"),
            Some(json!({ "email": email })),
        );
        assert_eq!(st, 200, "{v}");
    };
    let reply = |text: &str| {
        admin.post(
            &format!("/api/v1/conversations/{cid}/messages"),
            json!({ "body": text }),
        )
    };
    set_email(json!("ann@typo.test"));
    let (st, v) = command(&admin, cid, "/set @touchpoint email", json!({}));
    assert_eq!(st, 201, "{v}");
    reply("first");
    assert_eq!(last_reply_to(&s, cid).0, "ann@typo.test");
    set_email(json!("ann@c.test"));
    reply("second");
    assert_eq!(last_reply_to(&s, cid).0, "ann@c.test", "not to the typo");
    set_email(json!(""));
    reply("third");
    assert_eq!(
        last_reply_to(&s, cid).1,
        "second",
        "no email without an address"
    );
    let sent = admin.get(&format!("/api/v1/conversations/{cid}/messages"));
    assert!(
        sent.to_string().contains("third"),
        "the reply itself is kept"
    );
}

/// Round robin with capacity 1 and one online agent: the second `/notify`
/// must not hand the same agent a second conversation while the first is
/// still in their inbox, not yet accepted (a burst of notifies before
/// anyone accepts would otherwise pile every conversation on one agent).
#[test]
fn round_robin_capacity_counts_conversations_waiting_in_an_agents_inbox() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (st, v) = admin.call(
        "POST",
        "/api/v1/departments",
        Some(json!({"name": "Support", "routing": {"policy": "round_robin", "capacity": 1}})),
    );
    assert_eq!(st, 201, "{v}");
    let d = v["department"]["id"].as_i64().unwrap();
    let v = admin.post(
        "/api/v1/users",
        json!({"type": "agent", "first_name": "Ann", "email": "ann@rr.test",
               "password": "agentpass1", "department_id": d}),
    );
    let ann = v["user"]["id"].as_i64().unwrap();
    let ann_client = s.login("ann@rr.test", "agentpass1");
    let mut picked = Vec::new();
    for name in ["Vic", "Wes"] {
        let (visitor, _) = s.visitor(name);
        let c = visitor.post(
            "/api/v1/widget/conversations",
            json!({"department_id": d, "message": {"body": "help"}}),
        );
        let cid = c["conversation"]["id"].as_i64().unwrap();
        ann_client.get("/api/v1/events?after=9007199254740991"); // online
        let (st, v) = command(&admin, cid, "/notify", json!({}));
        assert_eq!(st, 201, "{v}");
        picked.push(v["result"]["agents"].clone());
    }
    assert_eq!(picked[0], json!([ann]));
    assert_eq!(picked[1], json!([]), "Ann is at capacity: {picked:?}");
}

/// A webhook channel whose endpoint the admin turned off (or that answered
/// 410 Gone): `/notify` queues nothing for it (the row would wait and
/// leave, stale, the day the endpoint is turned back on), and does not
/// count it as reached.
#[test]
fn notify_skips_a_webhook_channel_whose_endpoint_is_off() {
    let s = Server::start_with(&[("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1")]);
    let admin = s.client(&s.admin_token());
    let (st, v) = admin.call(
        "POST",
        "/api/v1/webhooks",
        Some(json!({"url": "http://127.0.0.1:9/hook", "events": ["user.deleted"]})),
    );
    assert_eq!(st, 201, "{v}");
    let ep = v["webhook"]["id"].as_i64().unwrap();
    let (st, v) = admin.call(
        "POST",
        "/api/v1/notify-channels",
        Some(json!({"kind": "webhook", "endpoint_id": ep})),
    );
    assert_eq!(st, 201, "{v}");
    let ch = v["channel"]["id"].as_i64().unwrap();
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/webhooks/{ep}"),
        Some(json!({"active": false})),
    );
    assert_eq!(st, 200, "{v}");
    let (_, _, cid) = visitor_with_conversation(&s, "Vic", "help");
    let (st, v) = command(
        &admin,
        cid,
        "/notify",
        json!({"channels": [ch.to_string()]}),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["result"]["channels"], json!([]), "{v}");
    let c = rusqlite::Connection::open_with_flags(
        s.data.join("frontporch.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let rows: i64 = c
        .query_row(
            "SELECT count(*) FROM outbox WHERE endpoint_id = ?1",
            [ep],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rows, 0, "nothing waits for the endpoint that is off");
}

/// `@touchpoint email` opened an email thread for a widget conversation;
/// once the touchpoint is removed (REST `extra: {"_touchpoint": null}`),
/// replies leave as the source says (the widget's: by no email), not by
/// the thread the touchpoint left behind (beside the contact's "you have
/// a reply" notice: two emails for one reply).
#[test]
fn without_its_touchpoint_a_widget_conversation_sends_no_reply_email() {
    let s = Server::start();
    let admin = super::mail_common::setup(&s, None);
    let (_, vid, cid) = visitor_with_conversation(&s, "Ann", "hello");
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/users/{vid}"),
        Some(json!({ "email": "ann@c.test" })),
    );
    assert_eq!(st, 200, "{v}");
    let reply = |text: &str| {
        admin.post(
            &format!("/api/v1/conversations/{cid}/messages"),
            json!({ "body": text }),
        )
    };
    let (st, v) = command(&admin, cid, "/set @touchpoint email", json!({}));
    assert_eq!(st, 201, "{v}");
    reply("by email");
    assert_eq!(last_reply_to(&s, cid).1, "by email");
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/conversations/{cid}"),
        Some(json!({ "extra": { "_touchpoint": null } })),
    );
    assert_eq!(st, 200, "{v}");
    reply("in the widget");
    assert_eq!(last_reply_to(&s, cid).1, "by email", "no reply email now");
}
