//! Talkus dot commands (issue 13): admins define them, agents type
//! `.name args`; the visitor never sees the command, only its public
//! result; server commands call a loopback server signed like webhooks.

use crate::fake_platform::{Call, Fake, Reply};
use crate::harness::*;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// Creates an agent (as the admin) and logs them in.
pub(crate) fn agent_login(s: &Server, admin: &Client, name: &str, email: &str) -> (Client, i64) {
    let v = admin.post(
        "/api/v1/users",
        json!({"type": "agent", "first_name": name, "email": email, "password": "agentpass1"}),
    );
    (
        s.login(email, "agentpass1"),
        v["user"]["id"].as_i64().unwrap(),
    )
}

/// A visitor named `name` with a conversation: (visitor, conversation id).
pub(crate) fn visitor_conversation(s: &Server, name: &str) -> (Client, i64) {
    let (visitor, _) = s.visitor(name);
    let cid = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hello, I need help"}}),
    )["conversation"]["id"]
        .as_i64()
        .unwrap();
    (visitor, cid)
}

/// Every message the visitor's widget shows.
fn visitor_sees(visitor: &Client, cid: i64) -> Vec<Value> {
    visitor.get(&format!("/api/v1/widget/conversations/{cid}/messages"))["messages"]
        .as_array()
        .unwrap()
        .clone()
}

/// Every message staff see, notes included.
pub(crate) fn staff_sees(staff: &Client, cid: i64) -> Vec<Value> {
    staff.get(&format!("/api/v1/conversations/{cid}/messages?limit=200"))["messages"]
        .as_array()
        .unwrap()
        .clone()
}

fn bodies(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|m| m["body"].as_str().unwrap_or("").to_string())
        .collect()
}

fn create(admin: &Client, name: &str, kind: &str, value: &str) -> Value {
    let (st, v) = admin.call(
        "POST",
        "/api/v1/commands",
        Some(json!({"name": name, "kind": kind, "value": value, "description": "test"})),
    );
    assert_eq!(st, 201, "{v}");
    v["command"].clone()
}

/// Typed into the inbox composer (REST messages): the answer is the note.
fn type_in(staff: &Client, cid: i64, text: &str) -> Value {
    staff.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({ "body": text }),
    )["message"]
        .clone()
}

/// The visitor never gets a command's note, nor any text typed with a dot.
fn assert_no_command_for(visitor: &Client, cid: i64) {
    for m in visitor_sees(visitor, cid) {
        assert_ne!(m["payload"]["type"], "command", "{m}");
        assert!(m["private"] != true, "{m}");
    }
}

#[test]
fn message_commands_fill_placeholders_and_notes_stay_with_agents() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (ann, _) = agent_login(&s, &admin, "Ann", "ann@example.com");
    create(
        &admin,
        "hello",
        "message",
        "Hi {contact_first_name}, {agent_first_name} here about {args} in #{conversation_id} {unknown}",
    );
    create(
        &admin,
        "psst",
        "message",
        "..check {contact_name}'s order first",
    );
    let (visitor, cid) = visitor_conversation(&s, "Vic");

    let note = type_in(&ann, cid, ".hello order 42");
    assert_eq!(note["private"], true, "{note}");
    assert_eq!(note["payload"]["type"], "command");
    assert_eq!(note["payload"]["command"], "hello");
    assert_eq!(note["body"], ".hello order 42");
    let expected = format!("Hi Vic, Ann here about order 42 in #{cid} {{unknown}}");
    assert!(bodies(&visitor_sees(&visitor, cid)).contains(&expected));

    // `..`: agents only, without the dots.
    type_in(&ann, cid, ".psst");
    let staff = staff_sees(&ann, cid);
    let hidden = staff
        .iter()
        .find(|m| m["body"] == "check Vic's order first")
        .expect("the agent-only result");
    assert_eq!(hidden["private"], true);
    assert!(!bodies(&visitor_sees(&visitor, cid))
        .iter()
        .any(|b| b.contains("order first")));

    // Written as an internal note, a command is the note's text, run never.
    let before = visitor_sees(&visitor, cid).len();
    let m = ann.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({ "body": ".hello order 43", "private": true }),
    )["message"]
        .clone();
    assert_eq!(
        (m["private"].as_bool(), m["payload"]["type"].as_str()),
        (Some(true), None),
        "{m}"
    );
    assert_eq!(visitor_sees(&visitor, cid).len(), before);

    // A dot and a word that names no command is text.
    let m = type_in(&ann, cid, ".5 kg");
    assert_eq!(m["private"], false, "{m}");
    assert!(bodies(&visitor_sees(&visitor, cid)).contains(&".5 kg".to_string()));

    // Explicit (REST commands, /v2): an unknown name is 400.
    let (st, v) = ann.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/commands"),
        Some(json!({ "text": ".nosuch" })),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("unknown_command")),
        "{v}"
    );
    let token = s.client(&s.admin_token());
    let (st, v) = token.call(
        "POST",
        &format!("/v2/conversations/{cid}/messages"),
        Some(json!({ "type": "command", "text": ".nosuch" })),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("unknown_command")),
        "{v}"
    );
    // ...and a known one runs through /v2 too.
    let (st, v) = token.call(
        "POST",
        &format!("/v2/conversations/{cid}/messages"),
        Some(json!({ "type": "command", "text": ".hello via v2" })),
    );
    assert_eq!(st, 201, "{v}");
    let tail = format!("about via v2 in #{cid} {{unknown}}");
    assert!(bodies(&visitor_sees(&visitor, cid))
        .iter()
        .any(|b| b.ends_with(&tail)));

    assert_no_command_for(&visitor, cid);
    assert!(!bodies(&visitor_sees(&visitor, cid))
        .iter()
        .any(|b| b.starts_with(".hello")));
}

#[test]
fn the_catalogue_is_checked_and_agents_never_read_scripts() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (ann, _) = agent_login(&s, &admin, "Ann", "ann@example.com");
    let script = create(&admin, "confetti", "client", "window.party = 1;");
    assert_eq!(script["value"], "window.party = 1;");
    create(&admin, "thanks", "message", "Thank you!");

    let list = ann.get("/api/v1/commands")["commands"]
        .as_array()
        .unwrap()
        .clone();
    let find = |n: &str| list.iter().find(|c| c["name"] == n).unwrap().clone();
    assert_eq!(
        find("confetti")["value"],
        Value::Null,
        "agents never read a script"
    );
    assert_eq!(find("confetti")["kind"], "client");
    assert_eq!(find("thanks")["value"], "Thank you!");
    assert_eq!(find("e")["value"], "end", "migration 014's default alias");
    let admin_list = admin.get("/api/v1/commands");
    assert!(admin_list.to_string().contains("window.party"));
    assert!(!admin_list.to_string().contains("secret"));
    let (st, _) = ann.call(
        "POST",
        "/api/v1/commands",
        Some(json!({"name": "x", "kind": "message", "value": "y"})),
    );
    assert_eq!(st, 403);

    let bad = |body: Value, code: &str, status: u16| {
        let (st, v) = admin.call("POST", "/api/v1/commands", Some(body.clone()));
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (status, Some(code)),
            "{body}: {v}"
        );
    };
    bad(
        json!({"name": "END", "kind": "message", "value": "x"}),
        "invalid_command",
        400,
    );
    bad(
        json!({"name": "Thanks", "kind": "message", "value": "x"}),
        "command_exists",
        409,
    );
    bad(
        json!({"name": "a b", "kind": "message", "value": "x"}),
        "invalid_command",
        400,
    );
    bad(
        json!({"name": "x", "kind": "html", "value": "x"}),
        "invalid_command",
        400,
    );
    bad(
        json!({"name": "x", "kind": "alias", "value": "nosuch"}),
        "invalid_command",
        400,
    );
    bad(
        json!({"name": "x", "kind": "redirect", "value": "javascript:alert(1)"}),
        "invalid_url",
        400,
    );
    bad(
        json!({"name": "x", "kind": "server", "value": "http://127.0.0.1:9/"}),
        "private_address",
        400,
    );
    // Aliases: a chain is bounded and never comes back.
    let a1 = create(&admin, "a1", "alias", "thanks");
    create(&admin, "a2", "alias", "a1");
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/commands/{}", a1["id"]),
        Some(json!({"value": "a2"})),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("invalid_command")),
        "{v}"
    );
    // A command an alias names stays until the alias goes.
    let thanks = find("thanks");
    let (st, v) = admin.call(
        "DELETE",
        &format!("/api/v1/commands/{}", thanks["id"]),
        None,
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("command_in_use")),
        "{v}"
    );
    // Nothing of the failures was stored.
    let names: Vec<String> = admin.get("/api/v1/commands")["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["a1", "a2", "confetti", "e", "thanks"]);
}

#[test]
fn alias_e_ends_the_conversation() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (ann, _) = agent_login(&s, &admin, "Ann", "ann@example.com");
    let (visitor, cid) = visitor_conversation(&s, "Vic");
    let note = type_in(&ann, cid, ".e");
    assert_eq!(note["payload"]["type"], "command");
    assert_eq!(note["private"], true);
    let conv = ann.get(&format!("/api/v1/conversations/{cid}"));
    assert_eq!(conv["conversation"]["status"], 3, "{conv}");
    assert_no_command_for(&visitor, cid);
}

/// What the loopback server answers for each command.
fn answer(call: &Call) -> Reply {
    match call.path() {
        "/string" => Reply::json(200, json!("Your order 42 shipped")),
        "/private" => Reply::bytes("text/plain", b"..VIP customer, be nice"),
        "/dots" => Reply::json(200, json!("..")),
        "/empty" => Reply::bytes("text/plain", b""),
        "/slack" => Reply::json(
            200,
            json!({
                "text": "<b>Order</b> status",
                "attachments": [{
                    "title": "Order 42", "title_link": "https://shop.example/orders/42",
                    "text": "Shipped", "color": "#36a64f",
                    "fields": [{"title": "Carrier", "value": "UPS", "short": true}],
                }],
            }),
        ),
        "/slow" => {
            std::thread::sleep(std::time::Duration::from_secs(7));
            Reply::json(200, json!("too late"))
        }
        _ => Reply {
            status: 500,
            content_type: "text/plain".into(),
            body: b"boom: database down".to_vec(),
            headers: Vec::new(),
        },
    }
}

/// The Standard Webhooks signature of a call, with the command's secret.
fn signature(secret: &str, call: &Call) -> String {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    let id = call.header("webhook-id").unwrap();
    let ts = call.header("webhook-timestamp").unwrap();
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(&call.body);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

#[test]
fn server_commands_post_signed_and_their_answers_land_where_they_should() {
    let fake = Fake::start(answer);
    let s = Server::start_with(&[("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1")]);
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (ann, ann_id) = agent_login(&s, &admin, "Ann", "ann@example.com");
    let mut secrets = std::collections::HashMap::new();
    for name in [
        "string", "private", "dots", "empty", "slack", "slow", "fail",
    ] {
        let c = create(&admin, name, "server", &format!("{}/{name}", fake.base()));
        let secret = c["secret"].as_str().expect("the secret, once").to_string();
        assert!(secret.starts_with("whsec_"));
        secrets.insert(format!("/{name}"), secret);
    }
    assert!(!admin.get("/api/v1/commands").to_string().contains("whsec_"));
    let (visitor, cid) = visitor_conversation(&s, "Vic");
    let run = |text: &str| {
        let (st, v) = ann.call(
            "POST",
            &format!("/api/v1/conversations/{cid}/commands"),
            Some(json!({ "text": text })),
        );
        assert_eq!(st, 201, "{text}: {v}");
        v
    };

    let v = run(".string 42 now");
    assert_eq!(v["result"]["ok"], true, "{v}");
    assert!(bodies(&visitor_sees(&visitor, cid)).contains(&"Your order 42 shipped".to_string()));
    let got = fake.wait_for(5, |c| c.path() == "/string");
    assert_eq!(
        got.header("webhook-signature").unwrap(),
        signature(&secrets["/string"], &got)
    );
    let sent = got.json();
    assert_eq!(sent["command"], "string");
    assert_eq!(sent["args"], "42 now");
    assert_eq!(sent["agent"]["id"], ann_id);
    assert_eq!(sent["agent"]["name"], "Ann");
    assert_eq!(sent["contact"]["name"], "Vic");
    assert_eq!(sent["conversation"]["id"], cid);
    let msgs = sent["messages"].as_array().unwrap();
    assert_eq!(msgs[0]["from"], "contact");
    assert_eq!(msgs[0]["text"], "hello, I need help");
    assert!(
        msgs.iter()
            .all(|m| !m["text"].as_str().unwrap().starts_with('.')),
        "no notes"
    );

    let v = run(".private");
    assert_eq!(v["posted"][0]["private"], true, "{v}");
    assert_eq!(v["posted"][0]["body"], "VIP customer, be nice");

    // Nothing to post (`..` alone, an empty answer): the agent is told.
    for text in [".dots", ".empty"] {
        let v = run(text);
        assert_eq!(
            (v["result"]["ok"].as_bool(), v["result"]["empty"].as_bool()),
            (Some(true), Some(true)),
            "{v}"
        );
        assert_eq!(v["posted"][0]["private"], true);
        assert!(
            v["posted"][0]["body"]
                .as_str()
                .unwrap()
                .contains("answered nothing"),
            "{v}"
        );
    }

    let v = run(".slack");
    let card = &v["posted"][0];
    assert_eq!(card["private"], false, "{v}");
    assert_eq!(card["payload"]["type"], "card");
    assert_eq!(card["payload"]["rich"]["text"], "<b>Order</b> status");
    assert_eq!(
        card["payload"]["rich"]["attachments"][0]["fields"][0]["value"],
        "UPS"
    );
    assert!(card["body"].as_str().unwrap().contains("Order 42"));
    let seen = visitor_sees(&visitor, cid);
    let shown = seen
        .iter()
        .find(|m| m["payload"]["type"] == "card")
        .unwrap();
    assert_eq!(
        shown["payload"]["rich"]["attachments"][0]["title_link"],
        "https://shop.example/orders/42"
    );

    let before = visitor_sees(&visitor, cid).len();
    let v = run(".slow");
    assert_eq!(v["result"]["ok"], false, "{v}");
    assert_eq!(v["posted"][0]["private"], true);
    assert!(
        v["posted"][0]["body"].as_str().unwrap().contains("failed"),
        "{v}"
    );

    let v = run(".fail");
    assert_eq!(v["result"]["ok"], false, "{v}");
    let note = v["posted"][0]["body"].as_str().unwrap();
    assert!(
        note.contains("HTTP 500") && note.contains("boom: database down"),
        "{note}"
    );
    assert_eq!(v["posted"][0]["private"], true);
    let got = fake.wait_for(5, |c| c.path() == "/fail");
    assert_eq!(
        got.header("webhook-signature").unwrap(),
        signature(&secrets["/fail"], &got)
    );

    assert_eq!(
        visitor_sees(&visitor, cid).len(),
        before,
        "failures reach agents only"
    );
    assert!(!bodies(&visitor_sees(&visitor, cid))
        .iter()
        .any(|b| b.contains("VIP")));
    assert_no_command_for(&visitor, cid);
}

#[test]
fn client_commands_reach_their_own_visitor_live_and_are_never_stored() {
    let s = Server::start_with(&[("FRONTPORCH_POLL_SECONDS", "2")]);
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let script = "document.title = 'ran';";
    create(&admin, "retitle", "client", script);
    create(&admin, "docs", "open_url", "https://docs.example/start");
    let (visitor, cid) = visitor_conversation(&s, "Vic");
    let (other, _) = visitor_conversation(&s, "Olga");

    // Nobody listening: the agent is told, in a note.
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/commands"),
        Some(json!({ "text": ".retitle" })),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["result"]["connected"], false, "{v}");
    assert_eq!(v["posted"][0]["private"], true);
    assert!(v["posted"][0]["body"]
        .as_str()
        .unwrap()
        .contains("not connected"));

    // Listening: the visitor's poll gets the event (retried: a poll being
    // renewed when it is sent misses it); another visitor's never does.
    let cursor = visitor.get("/api/v1/events?after=9007199254740991")["cursor"]
        .as_i64()
        .unwrap();
    let other_cursor = other.get("/api/v1/events?after=9007199254740991")["cursor"]
        .as_i64()
        .unwrap();
    let mut got = None;
    for _ in 0..10 {
        let poll = visitor.poll_events(cursor);
        let other_poll = other.poll_events(other_cursor);
        std::thread::sleep(std::time::Duration::from_millis(300));
        let v = admin.post(
            &format!("/api/v1/conversations/{cid}/commands"),
            json!({ "text": ".docs" }),
        );
        assert_eq!(v["result"]["connected"], true, "{v}");
        let events = poll.join().unwrap();
        let theirs = other_poll.join().unwrap();
        assert!(!theirs.to_string().contains("command.client"), "{theirs}");
        if let Some(e) = events["events"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["kind"] == "command.client")
        {
            got = Some(e.clone());
            break;
        }
    }
    let e = got.expect("the visitor got command.client");
    assert_eq!(e["data"]["action"], "open_url");
    assert_eq!(e["data"]["url"], "https://docs.example/start");
    assert_eq!(e["id"], Value::Null, "ephemeral");

    // Never stored: a fresh read of the visitor's events has none.
    let replay = visitor.get("/api/v1/events?after=0");
    assert!(!replay.to_string().contains("command.client"), "{replay}");
    assert!(!replay.to_string().contains("document.title"), "{replay}");
    assert_no_command_for(&visitor, cid);
}
