//! The REST API as a client uses it: auth, users, conversations, messages,
//! departments, settings, search, tokens.

use crate::harness::*;
use serde_json::json;

#[test]
fn login_sessions_csrf_and_logout() {
    let s = Server::start();
    // Unknown user and wrong password give the same answer.
    let (st1, e1) = s.anon().call(
        "POST",
        "/api/v1/auth/login",
        Some(json!({"email": "nobody@example.com", "password": "whatever1"})),
    );
    let (st2, e2) = s.anon().call(
        "POST",
        "/api/v1/auth/login",
        Some(json!({"email": ADMIN_EMAIL, "password": "wrong-password"})),
    );
    assert_eq!((st1, st2), (401, 401));
    assert_eq!(e1, e2);

    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let me = admin.get("/api/v1/me");
    assert_eq!(me["role"], "admin");
    assert_eq!(me["user"]["email"], ADMIN_EMAIL);

    // The session cookie is HttpOnly and SameSite.
    let (_, headers, _) = s.anon().raw(
        "POST",
        "/api/v1/auth/login",
        Some(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).to_string()),
        &[],
    );
    let cookie = header(&headers, "set-cookie").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    // A cookie-authenticated write without the CSRF header is refused and changes nothing.
    let Auth::Session { cookie, .. } = admin.auth.clone() else {
        unreachable!()
    };
    let no_csrf = Client {
        base: s.base.clone(),
        auth: Auth::None,
    };
    let (st, _, body) = no_csrf.raw(
        "POST",
        "/api/v1/departments",
        Some(r#"{"name":"Sales"}"#.into()),
        &[("cookie", &cookie)],
    );
    assert_eq!(st, 403, "{body}");
    assert!(body.contains("csrf_failed"));
    assert_eq!(
        admin.get("/api/v1/departments")["departments"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Reads need no CSRF header.
    let (st, _, _) = no_csrf.raw("GET", "/api/v1/me", None, &[("cookie", &cookie)]);
    assert_eq!(st, 200);

    // A public endpoint works even with a session cookie and no CSRF header
    // (an admin trying the widget on their own site).
    let (st, _, body) = no_csrf.raw(
        "POST",
        "/api/v1/widget/session",
        Some("{}".into()),
        &[("cookie", &cookie)],
    );
    assert_eq!(st, 201, "{body}");
    let (st, _) = admin.call("POST", "/api/v1/auth/logout", None);
    assert_eq!(st, 204);
    let (st, _) = admin.call("GET", "/api/v1/me", None);
    assert_eq!(st, 401);
}

#[test]
fn login_is_rate_limited_per_account() {
    let s = Server::start();
    let mut last = (0, vec![]);
    for _ in 0..12 {
        let (st, h, _) = s.anon().raw(
            "POST",
            "/api/v1/auth/login",
            Some(json!({"email": ADMIN_EMAIL, "password": "wrong-password"}).to_string()),
            &[],
        );
        last = (st, h);
    }
    assert_eq!(last.0, 429);
    let retry: u64 = header(&last.1, "retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1);
}

#[test]
fn roles_tokens_and_agents() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (st, agent) = admin.call(
        "POST",
        "/api/v1/users",
        Some(json!({"type": "agent", "first_name": "Ann", "email": "ann@example.com", "password": "agentpass1"})),
    );
    assert_eq!(st, 201, "{agent}");
    assert!(agent["user"].get("password").is_none());
    let ann = s.login("ann@example.com", "agentpass1");
    assert_eq!(ann.get("/api/v1/me")["role"], "agent");
    // Agents cannot reach admin endpoints or create staff.
    assert_eq!(ann.call("GET", "/api/v1/webhooks", None).0, 403);
    assert_eq!(
        ann.call(
            "POST",
            "/api/v1/users",
            Some(json!({"type": "admin", "email": "x@example.com"}))
        )
        .0,
        403
    );
    // Agent tokens are agents.
    let (st, t) = admin.call(
        "POST",
        "/api/v1/tokens",
        Some(json!({"name": "bot", "role": "agent"})),
    );
    assert_eq!(st, 201);
    let agent_token = s.client(t["token"]["secret"].as_str().unwrap());
    assert_eq!(agent_token.call("GET", "/api/v1/settings", None).0, 200);
    assert_eq!(
        agent_token
            .call("PUT", "/api/v1/settings", Some(json!({"a": 1})))
            .0,
        403
    );
    // Token list never shows secrets; revoked tokens stop working.
    let list = admin.get("/api/v1/tokens");
    assert!(!list
        .to_string()
        .contains(t["token"]["secret"].as_str().unwrap()));
    let id = t["token"]["id"].as_i64().unwrap();
    assert_eq!(
        admin
            .call("DELETE", &format!("/api/v1/tokens/{id}"), None)
            .0,
        204
    );
    assert_eq!(agent_token.call("GET", "/api/v1/settings", None).0, 401);
    // An agent's session cannot post in someone else's name; an API token can.
    let (visitor, vid) = s.visitor("Pat");
    let cid = visitor.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/v1/conversations/{cid}/messages");
    assert_eq!(
        ann.call(
            "POST",
            &path,
            Some(json!({"body": "as Pat", "user_id": vid}))
        )
        .0,
        403
    );
    let m = admin.post(
        &path,
        json!({"body": "imported from email", "user_id": vid}),
    );
    assert_eq!(m["message"]["user_id"], vid);
    // Disabling an agent ends their open sessions.
    let ann_id = agent["user"]["id"].as_i64().unwrap();
    let (st, _) = admin.call(
        "PATCH",
        &format!("/api/v1/users/{ann_id}"),
        Some(json!({"disabled": true})),
    );
    assert_eq!(st, 200);
    assert_eq!(ann.call("GET", "/api/v1/me", None).0, 401);
    assert_eq!(
        s.anon()
            .call(
                "POST",
                "/api/v1/auth/login",
                Some(json!({"email": "ann@example.com", "password": "agentpass1"}))
            )
            .0,
        401
    );
    // No token at all.
    assert_eq!(s.anon().call("GET", "/api/v1/conversations", None).0, 401);
    assert_eq!(
        s.client("fp_not-a-token")
            .call("GET", "/api/v1/conversations", None)
            .0,
        401
    );
}

#[test]
fn contacts_crud_and_search() {
    let s = Server::start();
    let c = s.client(&s.admin_token());
    let (st, u) = c.call(
        "POST",
        "/api/v1/users",
        Some(json!({"first_name": "Bianca", "last_name": "Santos", "email": "bianca@example.com", "phone": "555", "custom": {"plan": "pro"}})),
    );
    assert_eq!(st, 201, "{u}");
    let id = u["user"]["id"].as_i64().unwrap();
    assert_eq!(u["user"]["type"], "user");
    // Duplicate email is a conflict.
    assert_eq!(
        c.call(
            "POST",
            "/api/v1/users",
            Some(json!({"email": "BIANCA@example.com"}))
        )
        .0,
        409
    );
    let (st, u) = c.call(
        "PATCH",
        &format!("/api/v1/users/{id}"),
        Some(json!({"language": "pt", "custom": {"plan": null, "tier": 2}})),
    );
    assert_eq!(st, 200);
    assert_eq!(u["user"]["language"], "pt");
    assert_eq!(u["user"]["custom"], json!({"tier": 2}));
    let found = c.get("/api/v1/users?search=bian");
    assert_eq!(found["users"].as_array().unwrap().len(), 1);
    assert_eq!(
        c.get("/api/v1/users?search=santos&type=user")["users"][0]["id"],
        id
    );
    assert_eq!(
        c.get("/api/v1/users?search=santos&type=agent")["users"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        c.call("DELETE", &format!("/api/v1/users/{id}"), None).0,
        204
    );
    assert_eq!(c.call("GET", &format!("/api/v1/users/{id}"), None).0, 404);
}

#[test]
fn conversations_messages_and_statuses() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let me = s.login(ADMIN_EMAIL, ADMIN_PASSWORD).get("/api/v1/me")["user"]["id"]
        .as_i64()
        .unwrap();
    let dept = admin.post(
        "/api/v1/departments",
        json!({"name": "Sales", "color": "#f00"}),
    )["department"]["id"]
        .as_i64()
        .unwrap();
    let (visitor, vid) = s.visitor("Vera");
    let conv = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "Hello, I need help"}}),
    );
    let cid = conv["conversation"]["id"].as_i64().unwrap();
    assert_eq!(conv["conversation"]["status"], 2);

    // Listed in the inbox with its unread count and last message.
    let list = admin.get("/api/v1/conversations");
    assert_eq!(list["conversations"][0]["id"], cid);
    assert_eq!(list["conversations"][0]["unread"], 1);
    assert_eq!(
        list["conversations"][0]["last_message"]["body"],
        "Hello, I need help"
    );

    // An agent reply moves it to "waiting for user".
    let m = admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({"body": "Hi Vera!"}),
    );
    let mid = m["message"]["id"].as_i64().unwrap();
    assert_eq!(
        admin.get(&format!("/api/v1/conversations/{cid}"))["conversation"]["status"],
        1
    );
    // An internal note is invisible to the visitor.
    admin.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({"body": "VIP customer", "private": true}),
    );
    let vhist = visitor.get(&format!("/api/v1/widget/conversations/{cid}/messages"));
    let bodies: Vec<&str> = vhist["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["Hello, I need help", "Hi Vera!"]);
    assert_eq!(
        admin.get(&format!("/api/v1/conversations/{cid}/messages"))["messages"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // Assign, department, title, status; filters find it.
    let (st, c) = admin.call(
        "PATCH",
        &format!("/api/v1/conversations/{cid}"),
        Some(json!({"agent_id": me, "department_id": dept, "title": "Pricing", "status": 3})),
    );
    assert_eq!(st, 200, "{c}");
    assert_eq!(c["conversation"]["status_name"], "archive");
    assert_eq!(
        admin.get("/api/v1/conversations")["conversations"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        admin.get("/api/v1/conversations?status=archive")["conversations"][0]["title"],
        "Pricing"
    );
    assert_eq!(
        admin.get(&format!(
            "/api/v1/conversations?status=all&department_id={dept}"
        ))["conversations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        admin.get(&format!("/api/v1/conversations?status=all&agent_id={me}"))["conversations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        admin.get("/api/v1/conversations?status=all&agent_id=none")["conversations"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        admin.get("/api/v1/conversations?status=all&search=pricing")["conversations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        admin
            .call(
                "PATCH",
                &format!("/api/v1/conversations/{cid}"),
                Some(json!({"status": 9}))
            )
            .0,
        400
    );
    // Unassign with null.
    let (_, c) = admin.call(
        "PATCH",
        &format!("/api/v1/conversations/{cid}"),
        Some(json!({"agent_id": null})),
    );
    assert_eq!(c["conversation"]["agent_id"], serde_json::Value::Null);
    // A visitor message brings it back to "waiting for agent".
    visitor.post(
        &format!("/api/v1/widget/conversations/{cid}/messages"),
        json!({"body": "still there?"}),
    );
    assert_eq!(
        admin.get(&format!("/api/v1/conversations/{cid}"))["conversation"]["status"],
        2
    );

    // Read marks: the visitor reads the agent's message.
    let r = visitor.post(
        &format!("/api/v1/widget/conversations/{cid}/read"),
        json!({"message_id": mid}),
    );
    assert_eq!(r["marked"], json!([mid]));
    let hist = admin.get(&format!("/api/v1/conversations/{cid}/messages"));
    assert_eq!(hist["messages"][1]["read"], true);

    // Edit and delete own messages.
    let (st, e) = admin.call(
        "PATCH",
        &format!("/api/v1/conversations/{cid}/messages/{mid}"),
        Some(json!({"body": "Hi Vera, welcome!"})),
    );
    assert_eq!(st, 200);
    assert!(e["message"]["edited_at"].is_string());
    assert_eq!(
        admin
            .call(
                "DELETE",
                &format!("/api/v1/conversations/{cid}/messages/{mid}"),
                None
            )
            .0,
        204
    );
    let hist = admin.get(&format!("/api/v1/conversations/{cid}/messages"));
    assert_eq!(hist["messages"][1]["deleted"], true);
    assert_eq!(hist["messages"][1]["body"], "");

    // Paged history: 3 newest before a cursor, oldest first.
    for i in 0..10 {
        admin.post(
            &format!("/api/v1/conversations/{cid}/messages"),
            json!({"body": format!("page {i}")}),
        );
    }
    let page = admin.get(&format!("/api/v1/conversations/{cid}/messages?limit=3"));
    let ids: Vec<i64> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    assert_eq!(page["messages"][2]["body"], "page 9");
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let older = admin.get(&format!(
        "/api/v1/conversations/{cid}/messages?limit=3&before={}",
        ids[0]
    ));
    assert_eq!(older["messages"][2]["body"], "page 6");

    // Full-text search finds messages and the contact.
    let found = admin.get("/api/v1/search?q=help");
    assert_eq!(found["messages"][0]["conversation_id"], cid);
    assert_eq!(admin.get("/api/v1/search?q=vera")["users"][0]["id"], vid);

    // Staff-created conversation with a first message waits for the user; delete for good.
    let (st, c2) = admin.call(
        "POST",
        "/api/v1/conversations",
        Some(json!({"user_id": vid, "message": {"body": "Follow-up"}, "source": "api"})),
    );
    assert_eq!(st, 201, "{c2}");
    assert_eq!(c2["conversation"]["status"], 1);
    let c2id = c2["conversation"]["id"].as_i64().unwrap();
    assert_eq!(
        admin.get("/api/v1/conversations?source=api")["conversations"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        admin
            .call("DELETE", &format!("/api/v1/conversations/{c2id}"), None)
            .0,
        204
    );
    assert_eq!(
        admin
            .call("GET", &format!("/api/v1/conversations/{c2id}"), None)
            .0,
        404
    );
}

#[test]
fn departments_settings_presence() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let d = admin.post("/api/v1/departments", json!({"name": "Support"}));
    let id = d["department"]["id"].as_i64().unwrap();
    assert_eq!(
        admin
            .call(
                "POST",
                "/api/v1/departments",
                Some(json!({"name": "Support"}))
            )
            .0,
        409
    );
    let (st, d) = admin.call(
        "PATCH",
        &format!("/api/v1/departments/{id}"),
        Some(json!({"name": "Help"})),
    );
    assert_eq!((st, d["department"]["name"].as_str()), (200, Some("Help")));
    assert_eq!(
        admin
            .call("DELETE", &format!("/api/v1/departments/{id}"), None)
            .0,
        204
    );
    assert_eq!(
        admin
            .call("DELETE", &format!("/api/v1/departments/{id}"), None)
            .0,
        404
    );

    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({"widget.color": "#123456", "greeting": "Hi!"})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(admin.get("/api/v1/settings")["settings"]["greeting"], "Hi!");
    admin.call("PUT", "/api/v1/settings", Some(json!({"greeting": null})));
    assert!(admin.get("/api/v1/settings")["settings"]
        .get("greeting")
        .is_none());
    assert_eq!(
        admin
            .call("PUT", "/api/v1/settings", Some(json!({"bad key!": 1})))
            .0,
        400
    );

    assert_eq!(s.anon().get("/api/v1/widget/status")["online"], false);
    admin.call("PUT", "/api/v1/me/presence", Some(json!({"online": true})));
    assert_eq!(
        admin.get("/api/v1/presence")["online"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let st = s.anon().get("/api/v1/widget/status");
    assert_eq!(st["online"], true);
    // Visitors learn names, never emails.
    assert!(st["agents"][0].get("email").is_none());
}

#[test]
fn visitor_token_reaches_only_its_own_conversations() {
    let s = Server::start();
    let (alice, _) = s.visitor("Alice");
    let (mallory, _) = s.visitor("Mallory");
    let c = alice.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "my secret order 4411"}}),
    );
    let cid = c["conversation"]["id"].as_i64().unwrap();
    // Mallory cannot read, post, mark or type into Alice's conversation: 404, as if it did not exist.
    assert_eq!(
        mallory
            .call("GET", &format!("/api/v1/widget/conversations/{cid}"), None)
            .0,
        404
    );
    assert_eq!(
        mallory
            .call(
                "GET",
                &format!("/api/v1/widget/conversations/{cid}/messages"),
                None
            )
            .0,
        404
    );
    assert_eq!(
        mallory
            .call(
                "POST",
                &format!("/api/v1/widget/conversations/{cid}/messages"),
                Some(json!({"body": "hi"}))
            )
            .0,
        404
    );
    assert_eq!(
        mallory
            .call(
                "POST",
                &format!("/api/v1/widget/conversations/{cid}/read"),
                Some(json!({"message_id": 1}))
            )
            .0,
        404
    );
    assert_eq!(
        mallory
            .call(
                "POST",
                &format!("/api/v1/widget/conversations/{cid}/typing"),
                Some(json!({"typing": true}))
            )
            .0,
        404
    );
    assert_eq!(
        mallory.get("/api/v1/widget/conversations")["conversations"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    // Nor any staff endpoint.
    assert_eq!(mallory.call("GET", "/api/v1/conversations", None).0, 403);
    assert_eq!(
        mallory
            .call("GET", &format!("/api/v1/conversations/{cid}"), None)
            .0,
        403
    );
    assert_eq!(mallory.call("GET", "/api/v1/users", None).0, 403);
    // Nor post as someone else, or a note.
    let mine = mallory.post("/api/v1/widget/conversations", json!({}))["conversation"]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        mallory
            .call(
                "POST",
                &format!("/api/v1/widget/conversations/{mine}/messages"),
                Some(json!({"body": "x", "user_id": 1}))
            )
            .0,
        403
    );
    assert_eq!(
        mallory
            .call(
                "POST",
                &format!("/api/v1/widget/conversations/{mine}/messages"),
                Some(json!({"body": "x", "private": true}))
            )
            .0,
        403
    );
    // Nothing of Alice's leaked into Mallory's event feed.
    let (_, ev) = mallory.call("GET", "/api/v1/events?after=0", None);
    assert!(!ev.to_string().contains("4411"), "{ev}");
    // Alice still has everything.
    assert_eq!(
        alice.get(&format!("/api/v1/widget/conversations/{cid}"))["messages"][0]["body"],
        "my secret order 4411"
    );
    // Reset ends the token.
    assert_eq!(alice.call("DELETE", "/api/v1/widget/session", None).0, 204);
    assert_eq!(alice.call("GET", "/api/v1/widget/me", None).0, 401);
}

#[test]
fn knowledge_base_automations_and_reports_over_rest() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let anon = s.anon();

    // Admins write the knowledge base; anyone reads and searches it.
    let body = json!({
        "articles": [
            {"id": "ship1", "title": "Shipping times", "content": "Parcels arrive in 3 days.", "categories": ["faq"]},
            {"title": "Returns", "content": "Send it back within 30 days.", "link": "https://example.com/returns"}
        ],
        "translations": {"fr": [{"id": "ship1", "title": "Délais de livraison", "content": "Les colis arrivent en 3 jours."}]}
    });
    assert_eq!(
        anon.call("PUT", "/api/v1/articles", Some(body.clone())).0,
        401
    );
    let (st, v) = admin.call("PUT", "/api/v1/articles", Some(body));
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["articles"].as_array().unwrap().len(), 3);
    let list = anon.get("/api/v1/articles");
    assert_eq!(list["articles"].as_array().unwrap().len(), 2);
    assert_eq!(list["articles"][0]["title"], "Shipping times");
    let fr = anon.get("/api/v1/articles?language=fr");
    assert_eq!(fr["articles"][0]["title"], "Délais de livraison");
    assert_eq!(fr["articles"][0]["language"], "fr");
    assert_eq!(fr["articles"][1]["title"], "Returns");
    let one = anon.get("/api/v1/articles?id=ship1");
    assert_eq!(one["article"]["content"], "Parcels arrive in 3 days.");
    assert_eq!(anon.call("GET", "/api/v1/articles?id=nope", None).0, 404);
    let faq = anon.get("/api/v1/articles?category=faq");
    assert_eq!(faq["articles"].as_array().unwrap().len(), 1);
    let found = anon.get("/api/v1/articles/search?q=back%20within");
    assert_eq!(found["articles"][0]["title"], "Returns");
    let typing = anon.get("/api/v1/articles/search?q=back%20wi&record=0");
    assert_eq!(typing["articles"][0]["title"], "Returns");
    let (visitor, _) = s.visitor("Rae");
    let (st, r) = visitor.call(
        "POST",
        "/api/v1/articles/ratings",
        Some(json!({"article_id": "ship1", "helpful": true})),
    );
    assert_eq!((st, r["helpful"].as_i64()), (200, Some(1)), "{r}");
    assert_eq!(
        anon.call(
            "POST",
            "/api/v1/articles/ratings",
            Some(json!({"article_id": "ship1", "helpful": true}))
        )
        .0,
        401
    );

    // Bad input is refused and changes nothing.
    for bad in [
        json!({"articles": [{"title": ""}]}),
        json!({"articles": [{"title": "x", "link": "javascript:alert(1)"}]}),
        json!({"articles": [{"title": "x", "colour": "red"}]}),
        json!({"articles": [{"id": "a b", "title": "x"}]}),
        json!({"translations": {}}),
    ] {
        let (st, e) = admin.call("PUT", "/api/v1/articles", Some(bad.clone()));
        assert_eq!(st, 400, "{bad}: {e}");
    }
    assert_eq!(
        anon.get("/api/v1/articles")["articles"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Categories.
    let (st, c) = admin.call(
        "PUT",
        "/api/v1/article-categories",
        Some(json!({"categories": [{"id": "faq", "title": "FAQ"}, {"title": "Billing"}]})),
    );
    assert_eq!(st, 200, "{c}");
    let cats = anon.get("/api/v1/article-categories")["categories"].clone();
    assert_eq!(cats[0], json!({"id": "faq", "title": "FAQ"}));
    assert_eq!(cats[1]["title"], "Billing");
    assert_eq!(cats[1]["id"].as_str().unwrap().len(), 5);

    // Automations: staff read, admins write.
    let (st, a) = admin.call(
        "PUT",
        "/api/v1/automations",
        Some(json!({"automations": {"messages": [{"name": "Hi", "message": "Hello!", "conditions": [["user_type", "is-user"]]}]}})),
    );
    assert_eq!(st, 200, "{a}");
    let got = admin.get("/api/v1/automations");
    assert_eq!(got["automations"]["messages"][0]["message"], "Hello!");
    assert_eq!(got["automations"]["popups"], json!([]));
    let (st, _) = admin.call(
        "PUT",
        "/api/v1/automations",
        Some(json!({"automations": {"messages": [{"name": "x", "conditions": [["phase_of_moon", "full"]]}]}})),
    );
    assert_eq!(st, 400);
    assert_eq!(visitor.call("GET", "/api/v1/automations", None).0, 403);

    // Reports, with the searches and views just made.
    let r = admin.get("/api/v1/reports?name=articles-searches");
    assert_eq!(
        r["report"]["data"],
        json!({"back within": [1]}),
        "searches while typing are not counted"
    );
    let r = admin.get("/api/v1/reports?name=articles-views-single");
    assert_eq!(r["report"]["data"]["Shipping times"], json!([1]));
    assert_eq!(admin.call("GET", "/api/v1/reports?name=nope", None).0, 400);
    assert_eq!(
        visitor
            .call("GET", "/api/v1/reports?name=conversations", None)
            .0,
        403
    );
}

#[test]
fn the_widget_gets_its_automations_and_runs_chat_messages_once() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/automations",
        Some(json!({"automations": {
            "popups": [
                {"id": "pop01", "name": "Offer", "title": "10% off", "message": "Today only", "conditions": [["include_urls", "contains", "/pricing"]]},
                {"id": "popU", "name": "Members", "title": "Hi member", "message": "x", "conditions": [["user_type", "is-user"]]}
            ],
            "messages": [{"id": "msg01", "name": "Nudge", "message": "Need help with pricing?", "conditions": [["browsing_time", "10"]]}],
            "design": [{"id": "des01", "name": "Green", "color_1": "rgb(0, 235, 26)"}],
            "emails": [{"id": "mail1", "name": "Mail", "message": "Hi", "subject": "Hello"}]
        }})),
    );
    assert_eq!(st, 200, "{v}");
    let ids = |v: &serde_json::Value| -> Vec<String> {
        let mut ids: Vec<String> = v["automations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    // A page without a visitor: what needs no user; emails are not the widget's.
    let anon = s.anon().get("/api/v1/widget/automations");
    assert_eq!(ids(&anon), ["des01", "msg01", "pop01"], "{anon}");
    let pop = anon["automations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == "pop01")
        .unwrap();
    assert_eq!(pop["type"], "popups");
    assert_eq!(
        pop["conditions"],
        json!([["include_urls", "contains", "/pricing"]])
    );

    let (visitor, _) = s.visitor("Vera");
    assert_eq!(
        ids(&visitor.get("/api/v1/widget/automations")),
        ["des01", "msg01", "pop01"]
    );
    let (st, r) = visitor.call(
        "POST",
        "/api/v1/widget/automations/run",
        Some(json!({"id": "msg01"})),
    );
    assert_eq!(st, 200, "{r}");
    let cid = r["conversation_id"].as_i64().unwrap();
    let msgs = visitor.get(&format!("/api/v1/widget/conversations/{cid}/messages"));
    assert_eq!(msgs["messages"][0]["body"], "Need help with pricing?");
    assert_eq!(msgs["messages"][0]["sender"]["type"], "bot");
    // Once per visitor.
    let (st, _) = visitor.call(
        "POST",
        "/api/v1/widget/automations/run",
        Some(json!({"id": "msg01"})),
    );
    assert_eq!(st, 409);
    assert_eq!(
        ids(&visitor.get("/api/v1/widget/automations")),
        ["des01", "pop01"]
    );
    for (id, status) in [("pop01", 400), ("nope", 404)] {
        let (st, _) = visitor.call(
            "POST",
            "/api/v1/widget/automations/run",
            Some(json!({"id": id})),
        );
        assert_eq!(st, status, "{id}");
    }
    let (st, _) = s.anon().call(
        "POST",
        "/api/v1/widget/automations/run",
        Some(json!({"id": "msg01"})),
    );
    assert_eq!(st, 401);
}

#[test]
fn a_flood_of_public_article_searches_is_answered_but_not_all_counted() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (st, _) = admin.call(
        "PUT",
        "/api/v1/articles",
        Some(json!({"articles": [{"id": "a1", "title": "Shipping", "content": "Parcels arrive in 3 days."}]})),
    );
    assert_eq!(st, 200);
    let anon = s.anon();
    for _ in 0..100 {
        let v = anon.get("/api/v1/articles/search?q=parcels");
        assert_eq!(v["articles"][0]["id"], "a1", "every search is answered");
    }
    let r = admin.get("/api/v1/reports?name=articles-searches");
    let counted = r["report"]["data"]["parcels"][0].as_i64().unwrap();
    assert!((60..=70).contains(&counted), "counted {counted} of 100");
    // Ratings are refused (not silently dropped) past the same bound.
    let (visitor, _) = s.visitor("Flo");
    let statuses: Vec<u16> = (0..10)
        .map(|_| {
            visitor
                .call(
                    "POST",
                    "/api/v1/articles/ratings",
                    Some(json!({"article_id": "a1", "helpful": true})),
                )
                .0
        })
        .collect();
    assert!(statuses.contains(&429), "{statuses:?}");
}
