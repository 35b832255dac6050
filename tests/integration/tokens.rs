//! Issue 8, items 4-6: API tokens act as themselves, revocation reaches open
//! streams and parked polls, and the identity secret is strong and admin-only.

use crate::harness::{ends_while, Auth, Client, Server, ADMIN_EMAIL, ADMIN_PASSWORD};
use crate::support_board::{sb_with, succeed};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

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

/// Opens an SSE stream with raw auth headers; a reader after the headers.
fn sse(s: &Server, auth: &str) -> BufReader<TcpStream> {
    let addr = s.base.trim_start_matches("http://");
    let mut t = TcpStream::connect(addr).unwrap();
    write!(
        t,
        "GET /api/v1/events/stream HTTP/1.1\r\nHost: x\r\n{auth}\r\n\r\n"
    )
    .unwrap();
    let mut r = BufReader::new(t);
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    while line != "\r\n" {
        line.clear();
        r.read_line(&mut line).unwrap();
    }
    r
}

/// True when the stream ends within the bound (the last chunk, or the
/// connection closing), whatever it sends first.
fn closes(r: &mut BufReader<TcpStream>) -> bool {
    r.get_ref()
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let mut line = String::new();
    let mut tries = 0..20;
    ends_while(
        || tries.next().is_some(),
        || {
            line.clear();
            r.read_line(&mut line).map(|n| n == 0 || line == "0\r\n")
        },
    )
}

fn auth_header(c: &Client) -> String {
    match &c.auth {
        Auth::Bearer(t) => format!("Authorization: Bearer {t}"),
        Auth::Session { cookie, .. } => format!("Cookie: {cookie}"),
        Auth::None => String::new(),
    }
}

/// Opens a stream and a parked long-poll for `c`, runs `revoke`, makes an
/// event everyone may see, and checks that both end: the stream closes and
/// the poll answers 401.
fn listeners_end(s: &Server, admin: &Client, c: &Client, revoke: impl FnOnce()) {
    let mut stream = sse(s, &auth_header(c));
    let cursor = admin.get("/api/v1/events?after=0")["cursor"]
        .as_i64()
        .unwrap();
    let poller = {
        let c = c.clone();
        std::thread::spawn(move || c.call("GET", &format!("/api/v1/events?after={cursor}"), None))
    };
    std::thread::sleep(Duration::from_millis(1500)); // let it park
    revoke();
    // Something staff may see, which a live listener would get.
    static N: AtomicU64 = AtomicU64::new(0);
    let name = format!("dept {}", N.fetch_add(1, Ordering::Relaxed));
    admin.post("/api/v1/departments", json!({ "name": name }));
    let (st, v) = poller.join().unwrap();
    assert_eq!(st, 401, "the parked poll answered {st} {v}");
    assert!(closes(&mut stream), "the stream stayed open");
}

#[test]
fn open_streams_and_parked_polls_end_when_credentials_are_revoked() {
    // Long polls that would otherwise outlive the test's bounds.
    let s = Server::start_with(&[("FRONTPORCH_POLL_SECONDS", "60")]);
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);

    // Password change: the agent's other session loses its listeners.
    let ann = create_agent(&admin, "ann@example.com", "ann-password");
    let ann_tab = s.login("ann@example.com", "ann-password");
    let ann_other = s.login("ann@example.com", "ann-password");
    listeners_end(&s, &admin, &ann_tab, || {
        let (st, v) = ann_other.call(
            "PATCH",
            &format!("/api/v1/users/{ann}"),
            Some(json!({ "password": "ann-password-2" })),
        );
        assert_eq!(st, 200, "{v}");
    });

    // Disabled by an admin.
    let bo = create_agent(&admin, "bo@example.com", "bo-password");
    let bo_session = s.login("bo@example.com", "bo-password");
    listeners_end(&s, &admin, &bo_session, || {
        let (st, _) = admin.call(
            "PATCH",
            &format!("/api/v1/users/{bo}"),
            Some(json!({ "disabled": true })),
        );
        assert_eq!(st, 200);
    });

    // A revoked API token.
    let (secret, id) = token(&admin, "agent");
    listeners_end(&s, &admin, &s.client(&secret), || {
        let (st, _) = admin.call("DELETE", &format!("/api/v1/tokens/{id}"), None);
        assert_eq!(st, 204);
    });

    // A session that logs out.
    create_agent(&admin, "cy@example.com", "cy-password");
    let cy_session = s.login("cy@example.com", "cy-password");
    let cy_logout = cy_session.clone();
    listeners_end(&s, &admin, &cy_session, move || {
        let (st, _) = cy_logout.call("POST", "/api/v1/auth/logout", None);
        assert!(st < 300, "{st}");
    });
}

fn hmac_hex(secret: &str, id: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(id.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn identity_secret_is_strong_admin_only_and_never_empty() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    // A fresh install has a strong secret, for admins.
    let settings = admin.get("/api/v1/settings")["settings"].clone();
    let secret = settings["identity.secret"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(secret.len() >= 32, "{settings}");

    // Weak secrets are refused and change nothing.
    let spaces = " ".repeat(40);
    let repeated = "ab".repeat(20);
    for weak in [
        json!(""),
        json!("short-secret"),
        json!(null),
        json!(42),
        json!(spaces),
        json!(repeated),
    ] {
        let (st, v) = admin.call(
            "PUT",
            "/api/v1/settings",
            Some(json!({ "identity.secret": weak, "widget.title": "changed" })),
        );
        assert_eq!(st, 400, "{weak}: {v}");
        assert_eq!(v["error"]["code"], "weak_secret");
    }
    let after = admin.get("/api/v1/settings")["settings"].clone();
    assert_eq!(after["identity.secret"], json!(secret));
    assert!(after.get("widget.title").is_none());

    // HMAC("") proves nothing.
    let (visitor, _) = s.visitor("Mallory");
    let (st, v) = visitor.call(
        "POST",
        "/api/v1/widget/identify",
        Some(json!({ "id": "customer-1", "hash": hmac_hex("", "customer-1") })),
    );
    assert_eq!(st, 403, "{v}");
    // The real secret does.
    let (st, v) = visitor.call(
        "POST",
        "/api/v1/widget/identify",
        Some(json!({ "id": "customer-1", "hash": hmac_hex(&secret, "customer-1") })),
    );
    assert_eq!(st, 200, "{v}");

    // Rotating to another strong secret works.
    let fresh = "0123456789abcdef0123456789abcdef-rotated";
    let (st, _) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "identity.secret": fresh })),
    );
    assert_eq!(st, 200);

    // Agents never read it: REST and the widget config.
    create_agent(&admin, "ann@example.com", "ann-password");
    let ann = s.login("ann@example.com", "ann-password");
    let agent_token = token(&admin, "agent").0;
    for c in [ann, s.client(&agent_token)] {
        let got = c.get("/api/v1/settings")["settings"].clone();
        assert!(got.get("identity.secret").is_none(), "{got}");
    }
    let config = s.anon().get("/api/v1/widget/config");
    assert!(!config.to_string().contains(fresh));
}

#[test]
fn an_upgraded_install_with_an_empty_secret_gets_a_strong_one() {
    let mut s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    drop(admin);
    // What an earlier version accepted: an empty secret, written directly.
    let _ = s.child.kill();
    s.child.wait().unwrap();
    let db = rusqlite::Connection::open(s.data.join("frontporch.db")).unwrap();
    db.execute(
        "INSERT INTO settings (key, value, updated_at) VALUES ('identity.secret', '\"\"', 0)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [],
    )
    .unwrap();
    drop(db);
    s.kill_and_restart();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let settings: Value = admin.get("/api/v1/settings")["settings"].clone();
    assert!(
        settings["identity.secret"].as_str().unwrap_or("").len() >= 32,
        "{settings}"
    );
    let (visitor, _) = s.visitor("Mallory");
    let (st, _) = visitor.call(
        "POST",
        "/api/v1/widget/identify",
        Some(json!({ "id": "customer-1", "hash": hmac_hex("", "customer-1") })),
    );
    assert_eq!(st, 403);
}

/// Agents' browsers load a contact's picture: an anonymous visitor may only
/// name one of their own uploads, never a server of their choosing (it would
/// learn when and from where agents read); an identity the site verified
/// may name any picture.
#[test]
fn only_a_verified_identity_names_a_picture_elsewhere() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let secret = "0123456789abcdef0123456789abcdef-pictures";
    let (st, _) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "identity.secret": secret })),
    );
    assert_eq!(st, 200);
    let tracker = "https://tracker.example/pixel.png";
    let (visitor, vid) = s.visitor("Mallory");
    for (path, body) in [
        ("/api/v1/widget/me", json!({ "avatar": tracker })),
        (
            "/api/v1/widget/identify",
            json!({ "id": "m-1", "avatar": tracker }),
        ),
    ] {
        let (st, v) = visitor.call(
            if path.ends_with("me") {
                "PATCH"
            } else {
                "POST"
            },
            path,
            Some(body),
        );
        assert_eq!(st, 400, "{path}: {v}");
        assert_eq!(v["error"]["code"], "invalid_avatar", "{path}");
    }
    let stored = admin.get(&format!("/api/v1/users/{vid}"));
    assert!(stored["user"]["avatar"].is_null(), "{stored}");

    let (st, v) = visitor.call(
        "POST",
        "/api/v1/widget/identify",
        Some(json!({ "id": "m-1", "hash": hmac_hex(secret, "m-1"), "avatar": tracker })),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["user"]["avatar"], tracker);
}
