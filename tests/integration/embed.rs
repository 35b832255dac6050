//! Issue 14, part E: the embedded inbox. `/chat/all` framable only by the
//! allowed origins in its embed modes; embed tokens made only with an
//! admin API token, spent once for a session that reads the dialog; the
//! cookie a login inside a frame gets.

use crate::harness::{agent, header, Client, Server, ADMIN_EMAIL, ADMIN_PASSWORD};
use serde_json::{json, Value};

/// The `frame-ancestors` of a page's Content-Security-Policy.
fn frame_ancestors(s: &Server, path: &str) -> String {
    let (st, hs, _) = s.anon().raw("GET", path, None, &[]);
    assert_eq!(st, 200, "GET {path}");
    assert!(header(&hs, "x-frame-options").is_none(), "{path}: {hs:?}");
    let csp = header(&hs, "content-security-policy").unwrap_or_default();
    csp.split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix("frame-ancestors "))
        .unwrap_or_else(|| panic!("{path}: no frame-ancestors in {csp}"))
        .to_string()
}

/// A conversation with one visitor message; its id.
fn conversation(s: &Server, admin: &Client) -> i64 {
    let (visitor, _) = s.visitor("Vera");
    let v = visitor.post(
        "/api/v1/widget/conversations",
        json!({ "message": { "body": "Hello from the host site" } }),
    );
    let cid = v["conversation"]["id"].as_i64().unwrap();
    admin.get(&format!("/api/v1/conversations/{cid}"));
    cid
}

fn new_token(admin_session: &Client, name: &str, role: &str) -> (String, i64) {
    let v = admin_session.post("/api/v1/tokens", json!({ "name": name, "role": role }));
    (
        v["token"]["secret"].as_str().unwrap().to_string(),
        v["token"]["id"].as_i64().unwrap(),
    )
}

/// `POST /api/v1/auth/embed`: status, headers, body.
fn exchange(s: &Server, token: &str) -> (u16, Vec<(String, String)>, Value) {
    let body = json!({ "token": token }).to_string();
    let (st, hs, text) = s.anon().raw("POST", "/api/v1/auth/embed", Some(body), &[]);
    (st, hs, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

#[test]
fn chat_all_is_framable_only_by_the_allowed_origins_in_its_embed_modes() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let embed = "/chat/all?dialogID=1&minifiedView=2";
    // Nothing allowed yet: nobody frames it.
    assert_eq!(frame_ancestors(&s, embed), "'none'");
    admin.call(
        "PUT",
        "/api/v1/settings",
        Some(
            json!({ "inbox.embed_origins": ["https://crm.example.com", "http://localhost:8080"] }),
        ),
    );
    for mode in [
        "/chat/all?dialogID=1&minifiedView=2",
        "/chat/all?dialogID=7&minifiedView=3",
        "/chat/all?minifiedView=1",
    ] {
        assert_eq!(
            frame_ancestors(&s, mode),
            "https://crm.example.com http://localhost:8080",
            "{mode}"
        );
    }
    // The page is the inbox.
    let (_, _, html) = s.anon().raw("GET", embed, None, &[]);
    assert!(html.contains("/assets/admin/app.js"), "{html}");
    // Outside the embed modes, and everywhere else, nobody frames it.
    assert_eq!(frame_ancestors(&s, "/chat/all"), "'none'");
    assert_eq!(frame_ancestors(&s, "/chat/all?minifiedView=9"), "'none'");
    assert_eq!(frame_ancestors(&s, "/admin"), "'none'");
    // `/admin/chat` keeps its embed modes.
    assert_eq!(
        frame_ancestors(&s, "/admin/chat?minifiedView=2&dialogID=1"),
        "https://crm.example.com http://localhost:8080"
    );
}

#[test]
fn embed_tokens_are_made_only_with_an_admin_api_token_and_checked() {
    let s = Server::start();
    let admin_token = s.admin_token();
    let admin = s.client(&admin_token);
    let session = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let cid = conversation(&s, &admin);
    let me = json!({ "email": ADMIN_EMAIL, "ttl_s": 60 });

    // Not a browser session (even an admin's), not an agent token, not nobody.
    let (st, v) = session.call("POST", "/api/v1/embed-tokens", Some(me.clone()));
    assert_eq!((st, code(&v)), (403, "embed_needs_api_token"), "{v}");
    let (agent_token, _) = new_token(&session, "agent", "agent");
    let (st, _) = s
        .client(&agent_token)
        .call("POST", "/api/v1/embed-tokens", Some(me.clone()));
    assert_eq!(st, 403);
    let (st, _) = s
        .anon()
        .call("POST", "/api/v1/embed-tokens", Some(me.clone()));
    assert_eq!(st, 401);

    // Bad input: a clear 400 (or 404 for a conversation that is not there).
    let contact = admin.post(
        "/api/v1/users",
        json!({ "first_name": "Cy", "email": "cy@example.com", "type": "user" }),
    )["user"]["id"]
        .as_i64()
        .unwrap();
    for (body, status, want) in [
        (
            json!({ "email": ADMIN_EMAIL, "ttl_s": 301 }),
            400,
            "invalid_embed_ttl",
        ),
        (
            json!({ "email": ADMIN_EMAIL, "ttl_s": 0 }),
            400,
            "invalid_embed_ttl",
        ),
        (json!({ "ttl_s": 60 }), 400, "invalid_embed_user"),
        (
            json!({ "email": ADMIN_EMAIL, "user_id": 1 }),
            400,
            "invalid_embed_user",
        ),
        (
            json!({ "email": "nobody@example.com" }),
            400,
            "invalid_embed_user",
        ),
        (json!({ "user_id": contact }), 400, "invalid_embed_user"),
        (
            json!({ "email": ADMIN_EMAIL, "minified_view": 2 }),
            400,
            "invalid_embed_view",
        ),
        (
            json!({ "email": ADMIN_EMAIL, "dialog_id": cid, "minified_view": 4 }),
            400,
            "invalid_embed_view",
        ),
        (
            json!({ "email": ADMIN_EMAIL, "dialog_id": 999_999 }),
            404,
            "not_found",
        ),
        (
            json!({ "email": ADMIN_EMAIL, "surprise": 1 }),
            400,
            "invalid_field",
        ),
    ] {
        let (st, v) = admin.call("POST", "/api/v1/embed-tokens", Some(body.clone()));
        assert_eq!((st, code(&v)), (status, want), "{body}: {v}");
    }

    // A token, its URL and expiry.
    let (st, v) = admin.call(
        "POST",
        "/api/v1/embed-tokens",
        Some(json!({ "email": ADMIN_EMAIL, "ttl_s": 120, "dialog_id": cid })),
    );
    assert_eq!(st, 201, "{v}");
    let token = v["token"].as_str().unwrap();
    assert!(token.starts_with("fpe_") && token.len() > 40, "{token}");
    assert_eq!(
        v["url"].as_str().unwrap(),
        format!("/chat/all?dialogID={cid}&minifiedView=2&embed_token={token}")
    );
    assert!(v["expires_at"].as_str().unwrap().ends_with('Z'), "{v}");
    let (st, v) = admin.call(
        "POST",
        "/api/v1/embed-tokens",
        Some(json!({ "email": ADMIN_EMAIL, "dialog_id": cid, "minified_view": 3 })),
    );
    assert_eq!(st, 201, "{v}");
    assert!(v["url"].as_str().unwrap().contains("minifiedView=3"), "{v}");
}

#[test]
fn an_embed_token_is_spent_once_for_a_session_that_reads_the_dialog() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let cid = conversation(&s, &admin);
    let make = |ttl: i64| {
        let v = admin.post(
            "/api/v1/embed-tokens",
            json!({ "email": ADMIN_EMAIL, "ttl_s": ttl, "dialog_id": cid }),
        );
        v["token"].as_str().unwrap().to_string()
    };

    // Wrong tokens: 401.
    for wrong in ["fpe_nope", "", "fp_not-an-embed-token"] {
        let (st, _, v) = exchange(&s, wrong);
        assert_eq!((st, code(&v)), (401, "embed_token_invalid"), "{wrong}: {v}");
    }
    // Only POST spends one.
    let token = make(60);
    let (st, _, _) = s.anon().raw(
        "GET",
        &format!("/api/v1/auth/embed?token={token}"),
        None,
        &[],
    );
    assert_eq!(st, 405);

    let (st, hs, v) = exchange(&s, &token);
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["user"]["email"], ADMIN_EMAIL);
    // The cookie a third-party frame keeps: partitioned, SameSite=None, Secure.
    let cookie = header(&hs, "set-cookie").unwrap();
    for attr in [
        "HttpOnly",
        "SameSite=None",
        "Secure",
        "Partitioned",
        "Path=/",
    ] {
        assert!(cookie.split("; ").any(|a| a == attr), "{attr} in {cookie}");
    }
    let pair = cookie.split(';').next().unwrap().to_string();
    let sess = v["session"].as_str().unwrap().to_string();
    assert_eq!(pair, format!("fp_session={sess}"));
    let csrf = v["csrf_token"].as_str().unwrap().to_string();

    // Single use.
    let (st, _, v) = exchange(&s, &token);
    assert_eq!((st, code(&v)), (401, "embed_token_invalid"), "{v}");

    // The session reads the dialog, by its cookie or held in the page.
    let by_cookie = Client {
        base: s.base.clone(),
        auth: crate::harness::Auth::Session {
            cookie: pair,
            csrf: csrf.clone(),
        },
    };
    let by_bearer = s.client(&sess);
    for c in [&by_cookie, &by_bearer] {
        let v = c.get(&format!("/api/v1/conversations/{cid}/messages"));
        assert_eq!(v["messages"][0]["body"], "Hello from the host site");
        assert_eq!(c.get("/api/v1/me")["csrf_token"], csrf.as_str());
    }
    // CSRF rules stay for the bearer session too.
    let reply = json!({ "body": "Answered from the frame" });
    let (st, _, text) = by_bearer.raw(
        "POST",
        &format!("/api/v1/conversations/{cid}/messages"),
        Some(reply.to_string()),
        &[],
    );
    assert_eq!(st, 403, "{text}");
    let (st, _, text) = by_bearer.raw(
        "POST",
        &format!("/api/v1/conversations/{cid}/messages"),
        Some(reply.to_string()),
        &[("x-csrf-token", &csrf)],
    );
    assert_eq!(st, 201, "{text}");
    // A session that is not one: 401, not an API-token lookup.
    let (st, _) = s.client("fps_nope").call("GET", "/api/v1/me", None);
    assert_eq!(st, 401);

    // Expired: a token of one second, spent after three.
    let short = make(1);
    std::thread::sleep(std::time::Duration::from_millis(3000));
    let (st, _, v) = exchange(&s, &short);
    assert_eq!((st, code(&v)), (401, "embed_token_invalid"), "{v}");
}

#[test]
fn revoking_the_api_token_kills_its_embed_tokens_and_their_sessions() {
    let s = Server::start();
    let session = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (host, host_id) = new_token(&session, "host app", "admin");
    let host = s.client(&host);
    let make = || {
        host.post("/api/v1/embed-tokens", json!({ "email": ADMIN_EMAIL }))["token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let spent = make();
    let unspent = make();
    let (st, _, v) = exchange(&s, &spent);
    assert_eq!(st, 200);
    let framed = s.client(v["session"].as_str().unwrap());
    assert_eq!(framed.call("GET", "/api/v1/me", None).0, 200);

    let (st, _) = session.call("DELETE", &format!("/api/v1/tokens/{host_id}"), None);
    assert_eq!(st, 204);
    assert_eq!(framed.call("GET", "/api/v1/me", None).0, 401);
    let (st, _, v) = exchange(&s, &unspent);
    assert_eq!((st, code(&v)), (401, "embed_token_invalid"), "{v}");
}

#[test]
fn a_password_login_inside_the_embed_gets_the_partitioned_cookie() {
    let s = Server::start();
    let login = |body: Value| {
        let resp = agent()
            .post(s.url("/api/v1/auth/login"))
            .header("content-type", "application/json")
            .send(body.to_string())
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        let cookie = resp
            .headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let v: Value = serde_json::from_str(&resp.into_body().read_to_string().unwrap()).unwrap();
        (cookie, v)
    };
    let (cookie, v) =
        login(json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "embed": true }));
    for attr in ["HttpOnly", "SameSite=None", "Secure", "Partitioned"] {
        assert!(cookie.split("; ").any(|a| a == attr), "{attr} in {cookie}");
    }
    let sess = v["session"].as_str().unwrap();
    assert_eq!(
        s.client(sess).get("/api/v1/me")["user"]["email"],
        ADMIN_EMAIL
    );
    // A top-level login is unchanged: Lax, and its token stays in the cookie.
    let (cookie, v) = login(json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }));
    assert!(
        cookie.contains("SameSite=Lax") && !cookie.contains("Partitioned"),
        "{cookie}"
    );
    assert!(v.get("session").is_none(), "{v}");
}
