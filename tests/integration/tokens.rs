//! Issue 8, items 4-6: API tokens act as themselves, revocation reaches open
//! streams and parked polls, and the identity secret is strong and admin-only.

use crate::harness::{Auth, Client, Server, ADMIN_EMAIL, ADMIN_PASSWORD};
use crate::support_board::{sb_with, succeed};
use serde_json::json;

fn token(admin: &Client, role: &str) -> (String, i64) {
    let (st, v) = admin.call(
        "POST",
        "/api/v1/tokens",
        Some(json!({ "name": format!("{role} token"), "role": role })),
    );
    assert_eq!(st, 201, "{v}");
    (
        v["token"]["secret"].as_str().unwrap().to_string(),
        v["token"]["id"].as_i64().unwrap(),
    )
}

fn create_agent(admin: &Client, email: &str, password: &str) -> i64 {
    let v = admin.post(
        "/api/v1/users",
        json!({ "first_name": "Ann", "email": email, "password": password, "type": "agent" }),
    );
    v["user"]["id"].as_i64().unwrap()
}

fn login_status(s: &Server, email: &str, password: &str) -> u16 {
    s.anon()
        .call(
            "POST",
            "/api/v1/auth/login",
            Some(json!({ "email": email, "password": password })),
        )
        .0
}

/// A client carrying a session cookie (a login token from api.php `login`).
fn session_client(s: &Server, session: &str) -> Client {
    Client {
        base: s.base.clone(),
        auth: Auth::Session {
            cookie: format!("fp_session={session}"),
            csrf: String::new(),
        },
    }
}

#[test]
fn agent_token_cannot_take_over_accounts_and_revoked_token_creations_die() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (agent_token, _) = token(&admin, "agent");
    let agent_api = s.client(&agent_token);
    let bot = agent_api.get("/api/v1/me")["user"]["id"].as_i64().unwrap();

    // The bot takeover: its credentials cannot be set through the token...
    let (st, v) = agent_api.call(
        "PATCH",
        &format!("/api/v1/users/{bot}"),
        Some(json!({ "email": "bot@example.com", "password": "takeover-123" })),
    );
    assert_eq!(st, 403, "{v}");
    assert_eq!(login_status(&s, "bot@example.com", "takeover-123"), 401);
    // ...nor by an admin: the bot never logs in.
    let (admin_token, admin_token_id) = token(&admin, "admin");
    let (st, v) = s.client(&admin_token).call(
        "PATCH",
        &format!("/api/v1/users/{bot}"),
        Some(json!({ "password": "takeover-123" })),
    );
    assert_eq!(st, 409, "{v}");
    assert_eq!(v["error"]["code"], "bot_user");

    // Another account's email or password needs the admin role: a contact
    // with a login, and another agent.
    let contact = admin.post(
        "/api/v1/users",
        json!({ "first_name": "Cy", "email": "cy@example.com", "password": "contact-pass", "type": "user" }),
    )["user"]["id"]
        .as_i64()
        .unwrap();
    let ann = create_agent(&admin, "ann@example.com", "ann-password");
    for (id, body) in [
        (contact, json!({ "email": "evil@example.com" })),
        (contact, json!({ "password": "evil-password" })),
        (ann, json!({ "email": "evil2@example.com" })),
    ] {
        let (st, v) = agent_api.call("PATCH", &format!("/api/v1/users/{id}"), Some(body));
        assert_eq!(st, 403, "{v}");
    }
    // The agent's own session may still change their own password.
    let ann_session = s.login("ann@example.com", "ann-password");
    let (st, v) = ann_session.call(
        "PATCH",
        &format!("/api/v1/users/{ann}"),
        Some(json!({ "password": "ann-password-2" })),
    );
    assert_eq!(st, 200, "{v}");
    // An agent's name edits on contacts keep working.
    let (st, _) = agent_api.call(
        "PATCH",
        &format!("/api/v1/users/{contact}"),
        Some(json!({ "first_name": "Cyril" })),
    );
    assert_eq!(st, 200);

    // What a token logs in through api.php ends with the token.
    let staff_login = succeed(
        &s,
        &admin_token,
        &[
            ("function", "login"),
            ("email", "ann@example.com"),
            ("password", "ann-password-2"),
        ],
    )[1]
    .as_str()
    .unwrap()
    .to_string();
    let contact_login = succeed(
        &s,
        &admin_token,
        &[("function", "login"), ("user_id", &contact.to_string())],
    )[1]
    .as_str()
    .unwrap()
    .to_string();
    let staff = session_client(&s, &staff_login);
    let visitor = s.client(&contact_login);
    assert_eq!(staff.call("GET", "/api/v1/me", None).0, 200);
    assert_eq!(visitor.call("GET", "/api/v1/widget/me", None).0, 200);
    let (st, _) = admin.call("DELETE", &format!("/api/v1/tokens/{admin_token_id}"), None);
    assert_eq!(st, 204);
    assert_eq!(
        s.client(&admin_token).call("GET", "/api/v1/me", None).0,
        401
    );
    assert_eq!(staff.call("GET", "/api/v1/me", None).0, 401);
    assert_eq!(visitor.call("GET", "/api/v1/widget/me", None).0, 401);
    // Ann's own session, opened with her password, is hers: it stays.
    let ann_again = s.login("ann@example.com", "ann-password-2");
    assert_eq!(ann_again.call("GET", "/api/v1/me", None).0, 200);
}

#[test]
fn support_board_update_user_follows_the_same_rules_for_the_bot() {
    let s = Server::start();
    let admin_token = s.admin_token();
    let bot = succeed(&s, &admin_token, &[("function", "get-bot-id")]);
    let bot = bot.as_str().unwrap().to_string();
    let v = sb_with(
        &s,
        &admin_token,
        &[
            ("function", "update-user"),
            ("user_id", &bot),
            ("email", "bot@example.com"),
            ("password", "takeover-123"),
        ],
    );
    assert_eq!(v["success"], false, "{v}");
    assert_eq!(v["response"], "bot-user");
    assert_eq!(login_status(&s, "bot@example.com", "takeover-123"), 401);
}
