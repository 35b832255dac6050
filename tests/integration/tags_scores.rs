//! Issue 14, part C: Chat2Desk's tags (admin catalogue; on clients and
//! requests, with their events; the inbox filter; scope) and quality
//! scores (asked when a request closes: buttons in the widget, text on a
//! platform; a score tags the request; the reports count them).

use super::fake_platform::{Call, Fake, Reply};
use super::harness::{Client, Server};
use serde_json::{json, Value};

/// Every event the client may see after `cursor` (the poll answers at
/// once when there are some), with the new cursor.
fn events_after(c: &Client, cursor: i64) -> (Vec<Value>, i64) {
    let v = c.get(&format!("/api/v1/events?after={cursor}"));
    let list = v["events"].as_array().cloned().unwrap_or_default();
    (list, v["cursor"].as_i64().unwrap_or(cursor))
}

fn cursor(c: &Client) -> i64 {
    c.get("/api/v1/events?after=0")["cursor"].as_i64().unwrap()
}

/// The events of `kind` after `cursor`.
fn of_kind(c: &Client, cursor: i64, kind: &str) -> Vec<Value> {
    events_after(c, cursor)
        .0
        .into_iter()
        .filter(|e| e["kind"] == kind)
        .collect()
}

fn start() -> (Server, Client) {
    let s = Server::start_with(&[
        ("FRONTPORCH_POLL_SECONDS", "1"),
        ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1"),
    ]);
    let admin = s.client(&s.admin_token());
    (s, admin)
}

fn new_tag(admin: &Client, label: &str) -> i64 {
    admin.post(
        "/api/v1/tags",
        json!({ "label": label, "bg_color": "#dc2626" }),
    )["tag"]["id"]
        .as_i64()
        .unwrap()
}

fn agent_token(s: &Server, admin: &Client) -> Client {
    let t = admin.post("/api/v1/tokens", json!({"name": "desk", "role": "agent"}));
    s.client(t["token"]["secret"].as_str().unwrap())
}

fn labels(v: &Value) -> Vec<String> {
    v["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["label"].as_str().unwrap().to_string())
        .collect()
}

fn ids_of(list: &Value) -> Vec<i64> {
    list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn tag_catalogue_is_admin_managed() {
    let (s, admin) = start();
    let agent = agent_token(&s, &admin);
    let vip = new_tag(&admin, "VIP");
    new_tag(&admin, "Billing");
    // Agents read the catalogue, never change it.
    assert_eq!(labels(&agent.get("/api/v1/tags")), ["Billing", "VIP"]);
    let (st, _) = agent.call("POST", "/api/v1/tags", Some(json!({"label": "X"})));
    assert_eq!(st, 403);
    let path = format!("/api/v1/tags/{vip}");
    assert_eq!(
        agent.call("PATCH", &path, Some(json!({"label": "Y"}))).0,
        403
    );
    assert_eq!(agent.call("DELETE", &path, None).0, 403);
    // Labels are unique in any case; colours are #rrggbb.
    let (st, v) = admin.call("POST", "/api/v1/tags", Some(json!({"label": "vip"})));
    assert_eq!((st, v["error"]["code"].as_str()), (409, Some("tag_exists")));
    for bad in [
        json!({"label": "Red", "bg_color": "red"}),
        json!({"label": "Red", "text_color": "#12345"}),
        json!({"label": "Red", "bg_color": "#12345g"}),
        json!({"label": ""}),
        json!({"label": "Red", "colour": "#ffffff"}),
    ] {
        let (st, v) = admin.call("POST", "/api/v1/tags", Some(bad.clone()));
        assert_eq!(st, 400, "{bad} → {v}");
    }
    let (st, v) = admin.call("PATCH", &path, Some(json!({"bg_color": "not a colour"})));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("invalid_tag"))
    );
    let (st, _) = admin.call("PATCH", &path, Some(json!({"label": "BILLING"})));
    assert_eq!(st, 409);
    assert_eq!(labels(&admin.get("/api/v1/tags")), ["Billing", "VIP"]);

    let c = cursor(&admin);
    let v = admin.call("PATCH", &path, Some(json!({"bg_color": "#00AA00"})));
    assert_eq!(v.0, 200, "{}", v.1);
    assert_eq!(v.1["tag"]["bg_color"], "#00aa00");
    assert_eq!(v.1["tag"]["label"], "VIP");
    assert_eq!(
        of_kind(&admin, c, "tag.updated")[0]["data"]["tag"]["bg_color"],
        "#00aa00"
    );

    // Deleting takes it off what carried it.
    let (visitor, vid) = s.visitor("Ada");
    visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hi"}}),
    );
    admin.post(&format!("/api/v1/users/{vid}/tags"), json!({"tag_id": vip}));
    let c = cursor(&admin);
    assert_eq!(admin.call("DELETE", &path, None).0, 200);
    assert_eq!(of_kind(&admin, c, "tag.deleted")[0]["data"]["tag_id"], vip);
    assert_eq!(labels(&admin.get("/api/v1/tags")), ["Billing"]);
    assert!(labels(&admin.get(&format!("/api/v1/users/{vid}/tags"))).is_empty());
    assert_eq!(admin.call("DELETE", &path, None).0, 404);
}

#[test]
fn tags_go_on_clients_and_requests_and_filter_the_list() {
    let (s, admin) = start();
    let vip = new_tag(&admin, "VIP");
    let urgent = new_tag(&admin, "Urgent");
    let (ada, ada_id) = s.visitor("Ada");
    let (bob, bob_id) = s.visitor("Bob");
    let open = |v: &Client| {
        v.post(
            "/api/v1/widget/conversations",
            json!({"message": {"body": "hello"}}),
        )["conversation"]["id"]
            .as_i64()
            .unwrap()
    };
    let (a1, b1) = (open(&ada), open(&bob));

    let c = cursor(&admin);
    let v = admin.post(
        &format!("/api/v1/conversations/{a1}/tags"),
        json!({"tag_id": urgent}),
    );
    assert_eq!(
        (v["added"].as_bool(), labels(&v)),
        (Some(true), vec!["Urgent".to_string()])
    );
    let again = admin.post(
        &format!("/api/v1/conversations/{a1}/tags"),
        json!({"tag_id": urgent}),
    );
    assert_eq!(again["added"], false);
    let v = admin.post(
        &format!("/api/v1/users/{bob_id}/tags"),
        json!({"tag_id": vip}),
    );
    assert_eq!(labels(&v), ["VIP"]);
    let (events, _) = events_after(&admin, c);
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["conversation.tag_added", "contact.tag_added"]);
    assert_eq!(events[0]["data"]["conversation_id"], a1);
    assert_eq!(events[0]["data"]["user_id"], ada_id);
    assert_eq!(events[0]["data"]["tag"]["label"], "Urgent");
    assert_eq!(events[1]["data"]["user_id"], bob_id);
    assert_eq!(events[1]["data"]["tag"]["bg_color"], "#dc2626");

    // The list shows each row's request tags; the filter takes a request
    // tag or a client tag.
    let list = admin.get("/api/v1/conversations");
    for row in list["conversations"].as_array().unwrap() {
        let want: Vec<String> = if row["id"] == a1 {
            vec!["Urgent".into()]
        } else {
            vec![]
        };
        assert_eq!(labels(row), want, "{row}");
    }
    assert_eq!(
        ids_of(&admin.get(&format!("/api/v1/conversations?tag={urgent}"))),
        [a1]
    );
    assert_eq!(
        ids_of(&admin.get(&format!("/api/v1/conversations?tag={vip}"))),
        [b1]
    );
    let (st, _) = admin.call("GET", "/api/v1/conversations?tag=x", None);
    assert_eq!(st, 400);

    // Taken off, with their events; a second time changes nothing.
    let c = cursor(&admin);
    let v = admin.call(
        "DELETE",
        &format!("/api/v1/conversations/{a1}/tags/{urgent}"),
        None,
    );
    assert_eq!((v.0, v.1["removed"].as_bool()), (200, Some(true)));
    let v = admin.call(
        "DELETE",
        &format!("/api/v1/users/{bob_id}/tags/{vip}"),
        None,
    );
    assert_eq!((v.0, v.1["removed"].as_bool()), (200, Some(true)));
    let v = admin.call(
        "DELETE",
        &format!("/api/v1/users/{bob_id}/tags/{vip}"),
        None,
    );
    assert_eq!((v.0, v.1["removed"].as_bool()), (200, Some(false)));
    let kinds: Vec<String> = events_after(&admin, c)
        .0
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["conversation.tag_removed", "contact.tag_removed"]);
    assert!(ids_of(&admin.get(&format!("/api/v1/conversations?tag={vip}"))).is_empty());

    // Scope: staff see every conversation (the desk's rule), so an agent's
    // token tags any request and any contact; visitors tag nothing, staff
    // are no clients, unknown ids are 404 and change nothing.
    let agent = agent_token(&s, &admin);
    agent.post(
        &format!("/api/v1/conversations/{b1}/tags"),
        json!({"tag_id": urgent}),
    );
    let c = cursor(&admin);
    let post = |who: &Client, path: String, tag: i64| {
        who.call("POST", &path, Some(json!({"tag_id": tag}))).0
    };
    assert_eq!(
        post(&ada, format!("/api/v1/conversations/{a1}/tags"), vip),
        403
    );
    assert_eq!(post(&ada, format!("/api/v1/users/{ada_id}/tags"), vip), 403);
    assert_eq!(
        ada.call("GET", &format!("/api/v1/conversations/{a1}/tags"), None)
            .0,
        403
    );
    let me = admin.get("/api/v1/me")["user"]["id"].as_i64().unwrap();
    assert_eq!(post(&agent, format!("/api/v1/users/{me}/tags"), vip), 404);
    assert_eq!(
        post(&agent, "/api/v1/conversations/999999/tags".into(), vip),
        404
    );
    assert_eq!(
        post(&agent, format!("/api/v1/conversations/{a1}/tags"), 999_999),
        404
    );
    let (st, _) = agent.call(
        "POST",
        &format!("/api/v1/conversations/{a1}/tags"),
        Some(json!({})),
    );
    assert_eq!(st, 400);
    assert!(events_after(&admin, c)
        .0
        .iter()
        .all(|e| !e["kind"].as_str().unwrap().contains("tag")));
    assert_eq!(
        ids_of(&admin.get(&format!("/api/v1/conversations?tag={urgent}"))),
        [b1]
    );
}

/// Scores on, scale 5, score 1 tags the request with `low`.
fn enable_scores(admin: &Client, low: i64) {
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(
            json!({"scores": {"enabled": true, "scale": 5, "question": "How did we do?",
                               "tags": {"1": low}}}),
        ),
    );
    assert_eq!(st, 200, "{v}");
}

fn status(admin: &Client, cid: i64) -> i64 {
    admin.get(&format!("/api/v1/conversations/{cid}"))["conversation"]["status"]
        .as_i64()
        .unwrap()
}

fn close(admin: &Client, cid: i64) {
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/conversations/{cid}"),
        Some(json!({"status": 3})),
    );
    assert_eq!(st, 200, "{v}");
}

/// The report's values summed over its days: (count, sum of averages).
fn report_total(admin: &Client, name: &str) -> Value {
    admin.get(&format!("/api/v1/reports?name={name}&timezone=UTC"))["report"]["data"].clone()
}

#[test]
fn widget_scores_end_to_end() {
    let (s, admin) = start();
    let low = new_tag(&admin, "Low score");
    for bad in [
        json!({"scores": {"enabled": true, "scale": 11}}),
        json!({"scores": {"enabled": true, "tags": {"1": 999}}}),
        json!({"scores": {"enabled": true, "tags": {"6": low}}}),
        json!({"scores": {"enabled": "yes"}}),
    ] {
        let (st, v) = admin.call("PUT", "/api/v1/settings", Some(bad.clone()));
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (400, Some("invalid_scores_setting")),
            "{bad}"
        );
    }
    enable_scores(&admin, low);
    assert_eq!(
        admin.get("/api/v1/settings")["settings"]["scores"]["scale"],
        5
    );

    let (ada, ada_id) = s.visitor("Ada");
    let cid = ada.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "help"}}),
    )["conversation"]["id"]
        .as_i64()
        .unwrap();
    let score_path = format!("/api/v1/widget/conversations/{cid}/score");
    // Not asked yet: refused, nothing recorded.
    let (st, v) = ada.call("POST", &score_path, Some(json!({"score": 4})));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("score_not_asked"))
    );
    assert_eq!(ada.get(&score_path)["score"], Value::Null);

    let vc = cursor(&ada);
    close(&admin, cid);
    let asked = of_kind(&ada, vc, "conversation.score_asked");
    assert_eq!(asked.len(), 1, "{asked:?}");
    assert_eq!(
        asked[0]["data"],
        json!({"scale": 5, "question": "How did we do?"})
    );
    assert_eq!(ada.get(&score_path)["score"]["scale"], 5);
    assert_eq!(ada.get(&score_path)["score"]["score"], Value::Null);

    // Out of scale, someone else's conversation, staff: refused.
    for bad in [
        json!({"score": 6}),
        json!({"score": 0}),
        json!({"score": "1"}),
    ] {
        let (st, _) = ada.call("POST", &score_path, Some(bad.clone()));
        assert_eq!(st, 400, "{bad}");
    }
    let (eve, _) = s.visitor("Eve");
    assert_eq!(
        eve.call("POST", &score_path, Some(json!({"score": 5}))).0,
        404
    );
    assert!(admin.call("POST", &score_path, Some(json!({"score": 5}))).0 >= 400);
    assert_eq!(ada.get(&score_path)["score"]["score"], Value::Null);

    let c = cursor(&admin);
    let v = ada.post(&score_path, json!({"score": 1}));
    assert_eq!(v["score"]["score"], 1);
    let (events, _) = events_after(&admin, c);
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["conversation.scored", "conversation.tag_added"]);
    assert_eq!(
        events[0]["data"],
        json!({"score": 1, "scale": 5, "tag_id": low, "user_id": ada_id})
    );
    assert_eq!(
        labels(&admin.get(&format!("/api/v1/conversations/{cid}/tags"))),
        ["Low score"]
    );
    assert_eq!(
        admin.get(&format!("/api/v1/conversations/{cid}/score"))["score"]["score"],
        1
    );
    assert_eq!(status(&admin, cid), 3, "scoring leaves the request closed");

    // Once only; and a request reopened and closed again is not asked twice.
    let (st, v) = ada.call("POST", &score_path, Some(json!({"score": 5})));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("already_scored"))
    );
    admin.call(
        "PATCH",
        &format!("/api/v1/conversations/{cid}"),
        Some(json!({"status": 2})),
    );
    let vc = cursor(&ada);
    close(&admin, cid);
    assert!(of_kind(&ada, vc, "conversation.score_asked").is_empty());
    assert_eq!(
        admin.get(&format!("/api/v1/conversations/{cid}/score"))["score"]["score"],
        1
    );

    // A contact archived by `/block` is not asked.
    let (mal, _) = s.visitor("Mal");
    let spam = mal.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "spam"}}),
    )["conversation"]["id"]
        .as_i64()
        .unwrap();
    let vc = cursor(&mal);
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{spam}/commands"),
        Some(json!({"text": "/block spam", "meta": {}})),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(status(&admin, spam), 3);
    assert!(of_kind(&mal, vc, "conversation.score_asked").is_empty());
    assert_eq!(
        admin.get(&format!("/api/v1/conversations/{spam}/score"))["score"],
        Value::Null
    );

    // The reports count it.
    let per_day = report_total(&admin, "scores");
    let days: Vec<&Value> = per_day
        .as_object()
        .unwrap()
        .values()
        .filter(|v| v[0] != 0)
        .collect();
    assert_eq!(days.len(), 1, "{per_day}");
    assert_eq!(days[0], &json!([1, 1.0]));
    // A deleted tag leaves the setting (its id could come back).
    admin.call("DELETE", &format!("/api/v1/tags/{low}"), None);
    assert_eq!(
        admin.get("/api/v1/settings")["settings"]["scores"]["tags"],
        json!({})
    );
    assert_eq!(
        report_total(&admin, "scores-distribution"),
        json!({"1": [1], "2": [0], "3": [0], "4": [0], "5": [0]})
    );
}

const SECRET: &str = "tg-secret";

fn telegram_ok(c: &Call) -> Reply {
    let v = c.json();
    Reply::json(
        200,
        json!({"ok": true, "result": {"message_id": 2030, "chat": {"id": v["chat_id"]},
               "date": 1699621061, "text": v["text"]}}),
    )
}

/// Zoë writes `text` to the Telegram bot (update and message id `n`).
fn zoe_says(s: &Server, n: i64, text: &str) {
    let update = json!({ "update_id": n, "message": {
        "message_id": n, "date": 1733068800,
        "from": { "id": 4242, "is_bot": false, "first_name": "Zoë" },
        "chat": { "id": 4242, "first_name": "Zoë", "type": "private" },
        "text": text } });
    let (st, _, body) = s.anon().raw(
        "POST",
        "/channels/telegram",
        Some(update.to_string()),
        &[
            ("content-type", "application/json"),
            ("x-telegram-bot-api-secret-token", SECRET),
        ],
    );
    assert_eq!(st, 200, "{body}");
}

fn tg_ids(admin: &Client) -> Vec<i64> {
    ids_of(&admin.get("/api/v1/conversations?source=tg&status=all&limit=100"))
}

#[test]
fn platform_scores_by_text() {
    let (s, admin) = start();
    let fake = Fake::start(telegram_ok);
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({"channels.telegram": {
            "bot_token": "123456:ABC-DEF_ghi", "secret_token": SECRET, "api_base": fake.base()}})),
    );
    assert_eq!(st, 200, "{v}");
    let low = new_tag(&admin, "Low score");
    enable_scores(&admin, low);

    // A bare number before any question is a message as today.
    zoe_says(&s, 1, "3");
    let ids = tg_ids(&admin);
    assert_eq!(ids.len(), 1);
    let cid = ids[0];
    assert!(super::harness::message_bodies(&admin, cid).contains("3"));

    close(&admin, cid);
    let sent = fake.wait_for(60, |c| c.path().ends_with("/sendMessage"));
    let text = sent.json()["text"].as_str().unwrap().to_string();
    assert!(
        text.contains("How did we do?") && text.contains("Reply with a number from 1 to 5"),
        "{text}"
    );
    assert_eq!(
        status(&admin, cid),
        3,
        "the question does not reopen the request"
    );

    // The client answers with a number on the scale: the score, not a message.
    let c = cursor(&admin);
    zoe_says(&s, 2, "4");
    // (The question's delivery report, `channel.sent`, may land meanwhile.)
    let (events, _) = events_after(&admin, c);
    let events: Vec<Value> = events
        .into_iter()
        .filter(|e| !e["kind"].as_str().unwrap().starts_with("channel."))
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["conversation.scored"], "{events:?}");
    assert_eq!(events[0]["data"]["score"], 4);
    assert_eq!(events[0]["data"]["tag_id"], Value::Null);
    assert_eq!(tg_ids(&admin), [cid], "the answer opens no conversation");
    assert_eq!(status(&admin, cid), 3);
    assert!(!super::harness::message_bodies(&admin, cid).contains("4"));
    assert_eq!(
        admin.get(&format!("/api/v1/conversations/{cid}/score"))["score"]["score"],
        4
    );
    // The same update again is a duplicate, and a second number is a
    // message (the request has its score): a new request.
    zoe_says(&s, 2, "4");
    assert_eq!(tg_ids(&admin), [cid]);
    zoe_says(&s, 3, "2");
    let ids = tg_ids(&admin);
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert_eq!(
        admin.get(&format!("/api/v1/conversations/{cid}/score"))["score"]["score"],
        4
    );
    assert!(labels(&admin.get(&format!("/api/v1/conversations/{cid}/tags"))).is_empty());

    let dist = report_total(&admin, "scores-distribution");
    assert_eq!(dist["4"], json!([1]), "{dist}");
    assert_eq!(
        dist.as_object()
            .unwrap()
            .values()
            .map(|v| v[0].as_i64().unwrap())
            .sum::<i64>(),
        1
    );
}

#[test]
fn email_scores_by_reply() {
    use super::mail_common::{email_conversations, email_rows, mail, messages, pipe, setup};
    let s = Server::start_with(&[("FRONTPORCH_POLL_SECONDS", "1")]);
    let admin = setup(&s, None);
    let low = new_tag(&admin, "Low score");
    enable_scores(&admin, low);
    let first = mail(
        "Ann <ann@customer.test>",
        "support@example.com",
        "Printer",
        "p1@customer.test",
        "",
        "It is on fire.",
    );
    assert_eq!(pipe(&s.data, &first).0, 0);
    let cid = email_conversations(&admin)[0]["id"].as_i64().unwrap();
    close(&admin, cid);
    let rows = email_rows(&s.data);
    let asked = rows.last().unwrap();
    assert!(
        asked["text"]
            .as_str()
            .unwrap()
            .contains("Reply with a number from 1 to 5"),
        "{rows:?}"
    );
    assert_eq!(asked["to"], "ann@customer.test");

    let answer = mail(
        "Ann <ann@customer.test>",
        "support@example.com",
        "Re: Printer",
        "p2@customer.test",
        "",
        "1",
    );
    assert_eq!(pipe(&s.data, &answer).0, 0);
    assert_eq!(pipe(&s.data, &answer).0, 0, "a repeat is ignored");
    assert_eq!(
        admin.get(&format!("/api/v1/conversations/{cid}/score"))["score"]["score"],
        1
    );
    assert_eq!(
        labels(&admin.get(&format!("/api/v1/conversations/{cid}/tags"))),
        ["Low score"]
    );
    assert_eq!(status(&admin, cid), 3);
    let all = admin.get("/api/v1/conversations?source=em&status=all");
    assert_eq!(ids_of(&all), [cid], "the answer opens no conversation");
    let bodies: Vec<Value> = messages(&admin, cid)
        .iter()
        .map(|m| m["body"].clone())
        .collect();
    assert!(!bodies.contains(&json!("1")), "{bodies:?}");
}
