//! Review of issue 13's merged agent commands (r13a): defects found by
//! attacking the finished parts, each test failing before its fix.

use crate::commands_dot::{agent_login, staff_sees, visitor_conversation};
use crate::harness::*;
use serde_json::{json, Value};

fn status(staff: &Client, cid: i64) -> Value {
    staff.get(&format!("/api/v1/conversations/{cid}"))["conversation"]["status"].clone()
}

/// An agent's session speaks only for the agent: a command typed with
/// `user_id` naming someone else is refused as a message would be (403),
/// and runs nothing. Before the fix the command ran as that other user.
#[test]
fn an_agent_session_cannot_run_a_command_as_someone_else() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let admin_id = admin.get("/api/v1/me")["user"]["id"].as_i64().unwrap();
    let (agent, _) = agent_login(&s, &admin, "Ann", "ann@example.com");
    let (_visitor, cid) = visitor_conversation(&s, "Vic");
    let before = status(&admin, cid);
    let count = staff_sees(&admin, cid).len();

    // A plain message as the admin is refused today...
    let (st, v) = agent.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/messages"),
        Some(json!({"body": "hello", "user_id": admin_id})),
    );
    assert_eq!(st, 403, "{v}");
    // ...and so is a command.
    for text in [".end", "/join"] {
        let (st, v) = agent.call(
            "POST",
            &format!("/api/v1/conversations/{cid}/messages"),
            Some(json!({"body": text, "user_id": admin_id})),
        );
        assert_eq!(st, 403, "{text}: {v}");
    }
    assert_eq!(status(&admin, cid), before, "nothing changed");
    assert_eq!(staff_sees(&admin, cid).len(), count, "nothing stored");
}

/// A disabled agent runs nothing, even when an admin token names them as
/// the sender of a typed command (400 invalid_agent, nothing stored).
#[test]
fn a_disabled_agent_runs_no_command_through_a_token() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let token = s.client(&s.admin_token());
    let (_agent, agent_id) = agent_login(&s, &admin, "Ann", "ann@example.com");
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/users/{agent_id}"),
        Some(json!({"disabled": true})),
    );
    assert_eq!(st, 200, "{v}");
    let (_visitor, cid) = visitor_conversation(&s, "Vic");
    let before = status(&admin, cid);
    let count = staff_sees(&admin, cid).len();
    let (st, v) = token.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/messages"),
        Some(json!({"body": ".end", "user_id": agent_id})),
    );
    assert_eq!(st, 400, "{v}");
    assert_eq!(v["error"]["code"], "invalid_agent", "{v}");
    assert_eq!(status(&admin, cid), before, "not closed");
    assert_eq!(staff_sees(&admin, cid).len(), count, "nothing stored");
}

/// A visitor cannot dress a message as a server command's rich card (the
/// inbox drew it instead of the text: links, an outside image loaded in
/// the agent's browser), nor as a command, results or a form: 400,
/// nothing stored. Ordinary payloads still pass.
#[test]
fn a_visitor_cannot_post_staff_payload_types() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (visitor, cid) = visitor_conversation(&s, "Vic");
    let count = staff_sees(&admin, cid).len();
    let card = json!({"type": "card", "rich": {"text": "Refund approved", "attachments": [
        {"title": "Click", "title_link": "https://evil.test/", "image_url": "https://evil.test/pixel.png"}]}});
    for payload in [
        card.clone(),
        json!({"type": "command", "command": "end"}),
        json!({"type": "results", "results": [{"name": "F", "values": {"a": "b"}}]}),
        json!({"type": "form", "form": {"id": 1, "name": "F", "fields": []}}),
    ] {
        let (st, v) = visitor.call(
            "POST",
            &format!("/api/v1/widget/conversations/{cid}/messages"),
            Some(json!({"body": "hi", "payload": payload})),
        );
        assert_eq!(st, 400, "{payload}: {v}");
        assert_eq!(v["error"]["code"], "invalid_field", "{v}");
    }
    assert_eq!(staff_sees(&admin, cid).len(), count, "nothing stored");
    // A new conversation's first message neither.
    let (st, v) = visitor.call(
        "POST",
        "/api/v1/widget/conversations",
        Some(json!({"message": {"body": "hi", "payload": card}})),
    );
    assert_eq!(st, 400, "{v}");
    // Other payloads are the visitor's to send.
    let (st, v) = visitor.call(
        "POST",
        &format!("/api/v1/widget/conversations/{cid}/messages"),
        Some(json!({"body": "yes", "payload": {"type": "postback", "value": "yes"}})),
    );
    assert_eq!(st, 201, "{v}");
}

/// ChatShipper's `/v2` chat message names its sender in `user`: a
/// disabled agent is no sender (400 invalid_user, nothing stored), as a
/// disabled agent is no subject of a command.
#[test]
fn v2_chat_refuses_a_disabled_agent_as_sender() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let token = s.client(&s.admin_token());
    let (_agent, agent_id) = agent_login(&s, &admin, "Ann", "ann@example.com");
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/users/{agent_id}"),
        Some(json!({"disabled": true})),
    );
    assert_eq!(st, 200, "{v}");
    let (_visitor, cid) = visitor_conversation(&s, "Vic");
    let count = staff_sees(&admin, cid).len();
    let (st, v) = token.call(
        "POST",
        &format!("/v2/conversations/{cid}/messages"),
        Some(json!({"type": "chat", "text": "as a ghost", "user": agent_id.to_string()})),
    );
    assert_eq!(st, 400, "{v}");
    assert_eq!(v["error"]["code"], "invalid_user", "{v}");
    assert_eq!(staff_sees(&admin, cid).len(), count, "nothing stored");
}

/// A client command's script reaches the conversation's visitor alone:
/// agents never read scripts (not in the catalogue), so neither on their
/// event stream. Before the fix every staff stream and poll got it.
#[test]
fn a_client_script_reaches_its_visitor_and_no_agent() {
    use crate::realtime::{read_until, sse};
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (st, v) = admin.call(
        "POST",
        "/api/v1/commands",
        Some(json!({"name": "confetti", "kind": "client", "value": "window.party = 1;"})),
    );
    assert_eq!(st, 201, "{v}");
    let (st, v) = admin.call(
        "POST",
        "/api/v1/tokens",
        Some(json!({"name": "agent stream", "role": "agent"})),
    );
    assert_eq!(st, 201, "{v}");
    let agent_token = v["token"]["secret"].as_str().unwrap().to_string();
    let (st, v) = s.anon().call(
        "POST",
        "/api/v1/widget/session",
        Some(json!({"first_name": "Vic"})),
    );
    assert_eq!(st, 201, "{v}");
    let visitor_token = v["token"].as_str().unwrap().to_string();
    let visitor = s.client(&visitor_token);
    let cid = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hello"}}),
    )["conversation"]["id"]
        .as_i64()
        .unwrap();
    let mut agent_stream = sse(&s, &agent_token, "");
    let mut visitor_stream = sse(&s, &visitor_token, "");
    admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({"body": ".confetti"}),
    );
    admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({"body": "after the confetti"}),
    );
    let (_, seen) = read_until(&mut visitor_stream, "window.party");
    assert!(seen.iter().any(|d| d.contains("command.client")));
    let (_, seen) = read_until(&mut agent_stream, "after the confetti");
    assert!(
        !seen.iter().any(|d| d.contains("window.party")),
        "an agent's stream carried the script: {seen:?}"
    );
}

/// A server command answering `..` alone (agent-only, and empty) ran:
/// the agent gets the note that it ran (201), nothing reaches the
/// visitor. Before the fix the command failed 400 `empty_message` and
/// the agent saw no note.
#[test]
fn a_server_answer_of_two_dots_alone_is_nothing_to_post() {
    use crate::fake_platform::{Fake, Reply};
    let fake = Fake::start(|_| Reply::bytes("text/plain", b".. "));
    let s = Server::start_with(&[("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1")]);
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (st, v) = admin.call(
        "POST",
        "/api/v1/commands",
        Some(json!({"name": "quiet", "kind": "server", "value": format!("{}/quiet", fake.base())})),
    );
    assert_eq!(st, 201, "{v}");
    let (visitor, cid) = visitor_conversation(&s, "Vic");
    let seen = |c: &Client| {
        c.get(&format!("/api/v1/widget/conversations/{cid}/messages"))["messages"]
            .as_array()
            .unwrap()
            .len()
    };
    let before = seen(&visitor);
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/commands"),
        Some(json!({"text": ".quiet"})),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["result"]["empty"], true, "{v}");
    assert_eq!(v["posted"][0]["private"], true, "{v}");
    assert_eq!(seen(&visitor), before, "nothing to the visitor");
}

/// The widget's conversation lists its participants: an agent merely
/// invited (`/assign`, not accepted) or gone (`/leave`) is not shown to
/// the visitor, and the inbox's own flags never are. Before the fix the
/// visitor read who was invited, who left, and the routing flags.
#[test]
fn a_visitor_does_not_read_the_inbox_participant_flags() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (_ann, ann) = agent_login(&s, &admin, "Ann", "ann@example.com");
    let (_bob, bob) = agent_login(&s, &admin, "Bob", "bob@example.com");
    let (visitor, cid) = visitor_conversation(&s, "Vic");
    let run = |text: &str, meta: Value, user: Option<i64>| {
        let (st, v) = admin.call(
            "POST",
            &format!("/api/v1/conversations/{cid}/commands"),
            Some(json!({"text": text, "meta": meta, "user": user})),
        );
        assert_eq!(st, 201, "{text}: {v}");
    };
    run("/assign", json!({"users": [ann]}), None);
    run("/join", json!({}), Some(bob));
    run("/leave", json!({}), Some(bob));
    let staff = admin.get(&format!("/v2/conversations/{cid}"))["participants"].to_string();
    assert!(
        staff.contains("inbox"),
        "staff still see the flags: {staff}"
    );
    let seen = visitor.get(&format!("/api/v1/widget/conversations/{cid}"))["participants"].clone();
    let ids: Vec<i64> = seen
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_i64())
        .collect();
    assert!(!ids.contains(&ann), "an invited agent shown: {seen}");
    assert!(!ids.contains(&bob), "an agent who left shown: {seen}");
    for flag in ["inbox", "active", "accepted", "left"] {
        assert!(!seen.to_string().contains(flag), "{flag} shown: {seen}");
    }
}

/// `/send`'s results message holds at most what a message may (10,000
/// characters): a form's long answers (three textareas of 5,000) are cut
/// in the message's text and kept whole in the results. Before the fix
/// the note was ~15,000 characters, past every message's limit.
#[test]
fn results_message_stays_within_the_message_limit() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let fields: Vec<Value> = (1..=3)
        .map(|i| json!({"name": format!("t{i}"), "label": format!("T{i}"), "type": "textarea"}))
        .collect();
    let (st, v) = admin.call(
        "POST",
        "/api/v1/forms",
        Some(json!({"name": "Long", "fields": fields})),
    );
    assert_eq!(st, 201, "{v}");
    let fid = v["form"]["id"].as_i64().unwrap();
    let (_visitor, cid) = visitor_conversation(&s, "Vic");
    admin.post(
        &format!("/api/v1/conversations/{cid}/forms/{fid}"),
        json!({}),
    );
    let long = "x".repeat(5000);
    let (st, v) = admin.call(
        "PUT",
        &format!("/api/v1/conversations/{cid}/forms/{fid}"),
        Some(json!({"answers": {"t1": long, "t2": long, "t3": long}})),
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/commands"),
        Some(json!({"text": "/send"})),
    );
    assert_eq!(st, 201, "{v}");
    let body = v["posted"][0]["body"].as_str().unwrap();
    assert!(body.chars().count() <= 10_000, "{}", body.len());
    assert_eq!(v["result"]["results"][0]["values"]["t3"], long);
}
