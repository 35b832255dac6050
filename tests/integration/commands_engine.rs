//! The command engine (src/desk/commands/mod.rs): what is a command and
//! what is text, bot commands, and that a command's note never reaches the
//! visitor.

use crate::harness::*;
use serde_json::{json, Value};

fn bodies(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn bot_commands_are_kept_for_staff_and_text_stays_text() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let token = Client {
        base: admin.base.clone(),
        auth: Auth::Bearer(s.admin_token()),
    };
    let (visitor, _) = s.visitor("Bo");
    let cid = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hello"}}),
    )["conversation"]["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/conversations/{cid}");

    // `>onboard` sent as a command: a staff-only note and its own event.
    let r = token.post(
        &format!("/v2/conversations/{cid}/messages"),
        json!({"type": "command", "text": ">onboard now", "meta": {"step": 1}}),
    );
    assert!(r["id"].as_str().is_some(), "{r}");
    let all = admin.get(&format!("{path}/messages"));
    let note = all["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["body"] == ">onboard now")
        .expect("the bot command is stored")
        .clone();
    assert_eq!(note["private"], true, "{note}");
    assert_eq!(note["payload"]["type"], "command");
    let events = admin.get("/api/v1/events?after=0");
    let bot = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "command.bot")
        .expect("a command.bot event")
        .clone();
    assert_eq!(bot["data"]["command"], "onboard");
    assert_eq!(bot["data"]["args"], "now");
    assert_eq!(bot["data"]["meta"]["step"], 1);

    // Explicit commands that name nothing are refused and store nothing.
    for text in ["/nosuchcommand", "hello", ".nosuchcommand"] {
        let (st, v) = token.call(
            "POST",
            &format!("/api/v1/conversations/{cid}/commands"),
            Some(json!({"text": text})),
        );
        assert_eq!(st, 400, "{text}: {v}");
        assert_eq!(v["error"]["code"], "unknown_command", "{v}");
    }

    // Typed into a message, what names no command is text for the visitor.
    for text in [
        "/etc/hosts is a file",
        "/nosuchcommand hi",
        ".5 kg",
        "> quoted",
    ] {
        admin.post(&format!("{path}/messages"), json!({"body": text}));
    }
    let seen = bodies(&visitor.get(&format!("/api/v1/widget/conversations/{cid}"))["messages"]);
    for text in [
        "/etc/hosts is a file",
        "/nosuchcommand hi",
        ".5 kg",
        "> quoted",
    ] {
        assert!(seen.contains(&text.to_string()), "{text} in {seen:?}");
    }
    assert!(
        !seen.iter().any(|b| b.contains("onboard")),
        "the visitor never sees a command: {seen:?}"
    );
    let (_, ev) = visitor.call("GET", "/api/v1/events?after=0", None);
    assert!(!ev.to_string().contains("onboard"), "nor its event: {ev}");
}

/// The inbox composer has no `meta`: the commands an agent types there
/// run through `POST .../messages` like any reply (here `/assign` by
/// email, `/join`, `/notify`, `/block`), each kept as a note.
#[test]
fn commands_typed_into_the_composer_run() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let bob = admin.post(
        "/api/v1/users",
        json!({"type": "agent", "first_name": "Bob", "email": "bob@example.com", "password": "agentpass1"}),
    )["user"]["id"]
        .as_i64()
        .unwrap();
    let (visitor, _) = s.visitor("Cy");
    let cid = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hello"}}),
    )["conversation"]["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/conversations/{cid}");
    let type_in = |text: &str| {
        let (st, v) = admin.call(
            "POST",
            &format!("{path}/messages"),
            Some(json!({"body": text})),
        );
        assert_eq!(st, 201, "{text}: {v}");
        assert_eq!(
            v["message"]["private"], true,
            "{text} is kept as a note: {v}"
        );
    };
    let flags = |uid: i64| -> String {
        admin.get(&path)["participants"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == uid)
            .map(|p| p["flags"].as_str().unwrap_or_default().to_string())
            .unwrap_or_default()
    };

    type_in("/assign bob@example.com");
    assert!(flags(bob).contains("inbox"), "{}", flags(bob));
    let (st, v) = admin.call(
        "POST",
        &format!("{path}/messages"),
        Some(json!({"body": "/assign nobody@example.com"})),
    );
    assert_eq!(st, 400, "{v}");

    type_in("/join");
    let me = admin.get("/api/v1/me")["user"]["id"].as_i64().unwrap();
    assert!(flags(me).contains("active"), "{}", flags(me));

    type_in("/notify");
    let events = admin.get("/api/v1/events?after=0");
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "conversation.queued"),
        "{events}"
    );

    type_in("/block spam");
    assert_eq!(admin.get(&path)["conversation"]["status"], 3);
    let (st, v) = visitor.call(
        "POST",
        &format!("/api/v1/widget/conversations/{cid}/messages"),
        Some(json!({"body": "still here"})),
    );
    assert_eq!(st, 403, "{v}");
    assert_eq!(v["error"]["code"], "blocked");
}

/// Support Board's `send-message` runs a command when its sender is staff,
/// and posts the same text as text when the sender is the contact.
#[test]
fn support_board_send_message_runs_an_agents_command() {
    let s = Server::start();
    let token = s.admin_token();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let me = admin.get("/api/v1/me")["user"]["id"].as_i64().unwrap();
    let (visitor, contact) = s.visitor("Sue");
    let cid = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hello"}}),
    )["conversation"]["id"]
        .as_i64()
        .unwrap();
    let send = |from: i64, text: &str| {
        crate::support_board::succeed(
            &s,
            &token,
            &[
                ("function", "send-message"),
                ("user_id", &from.to_string()),
                ("conversation_id", &cid.to_string()),
                ("message", text),
            ],
        )
    };
    send(me, "/set @name Renamed by a command");
    let path = format!("/api/v1/conversations/{cid}");
    assert_eq!(
        admin.get(&path)["conversation"]["title"],
        "Renamed by a command"
    );
    send(contact, "/set @name Not a command");
    assert_eq!(
        admin.get(&path)["conversation"]["title"],
        "Renamed by a command"
    );
    let seen = bodies(&visitor.get(&format!("/api/v1/widget/conversations/{cid}"))["messages"]);
    assert!(
        seen.contains(&"/set @name Not a command".to_string()),
        "{seen:?}"
    );
    assert!(!seen.iter().any(|b| b.contains("Renamed")), "{seen:?}");
}
