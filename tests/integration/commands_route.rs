//! Issue 13, part "route": departments as a tree with routing rules,
//! notification channels, `/notify` (round robin with capacity, offline
//! agents' channels, `meta.organizations`, `meta.channels`: an email
//! channel reaching the email outbox, a webhook channel reaching only its
//! endpoint) and `/block` (the visitor's next session and post refused,
//! lifted by an admin).

use super::harness::{Client, Server};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ALLOW: (&str, &str) = ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1");
const FAST_RETRY: (&str, &str) = ("FRONTPORCH_RETRY_BASE_MS", "200");

fn department(admin: &Client, body: Value) -> i64 {
    let (st, v) = admin.call("POST", "/api/v1/departments", Some(body));
    assert_eq!(st, 201, "{v}");
    v["department"]["id"].as_i64().unwrap()
}

fn patch_department(admin: &Client, id: i64, body: Value) -> (u16, Value) {
    admin.call("PATCH", &format!("/api/v1/departments/{id}"), Some(body))
}

/// An agent of department `dept`: (their logged-in client, id).
fn agent(s: &Server, admin: &Client, name: &str, dept: i64) -> (Client, i64) {
    let email = format!("{}@route.test", name.to_lowercase());
    let v = admin.post(
        "/api/v1/users",
        json!({"type": "agent", "first_name": name, "email": email, "password": "agentpass1",
               "department_id": dept}),
    );
    (
        s.login(&email, "agentpass1"),
        v["user"]["id"].as_i64().unwrap(),
    )
}

/// Marks a staff member online: a poll answered at once (the hub
/// remembers who polled in the last minute).
fn online(c: &Client) {
    c.get("/api/v1/events?after=9007199254740991");
}

fn channel(admin: &Client, body: Value) -> i64 {
    let (st, v) = admin.call("POST", "/api/v1/notify-channels", Some(body));
    assert_eq!(st, 201, "{v}");
    v["channel"]["id"].as_i64().unwrap()
}

/// A visitor's conversation in department `dept`.
fn conversation(s: &Server, name: &str, dept: Option<i64>) -> (Client, i64) {
    let (visitor, _) = s.visitor(name);
    let c = visitor.post(
        "/api/v1/widget/conversations",
        json!({"department_id": dept, "message": {"body": format!("Hello from {name}")}}),
    );
    (visitor, c["conversation"]["id"].as_i64().unwrap())
}

fn command(admin: &Client, cid: i64, text: &str, meta: Value) -> (u16, Value) {
    admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/commands"),
        Some(json!({"text": text, "meta": meta})),
    )
}

fn notify(admin: &Client, cid: i64, meta: Value) -> Value {
    let (st, v) = command(admin, cid, "/notify", meta);
    assert_eq!(st, 201, "{v}");
    v["result"].clone()
}

fn ids(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_i64().unwrap())
        .collect()
}

fn notes(admin: &Client, cid: i64) -> usize {
    admin.get(&format!("/api/v1/conversations/{cid}/messages?limit=200"))["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["payload"]["type"] == "command")
        .count()
}

#[test]
fn department_trees_refuse_cycles_and_bad_fields() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let a = department(&admin, json!({"name": "Sales"}));
    let b = department(&admin, json!({"name": "Cars", "parent_id": a}));
    let c = department(
        &admin,
        json!({"name": "Used", "parent_id": b, "categories": ["Used Car", "Lease"],
               "routing": {"policy": "round_robin", "capacity": 3}}),
    );
    let listed = admin.get("/api/v1/departments")["departments"].clone();
    let used = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == c)
        .unwrap()
        .clone();
    assert_eq!(used["parent_id"], b);
    assert_eq!(used["categories"], json!(["Used Car", "Lease"]));
    assert_eq!(
        used["routing"],
        json!({"policy": "round_robin", "capacity": 3})
    );
    let sales = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == a)
        .unwrap()
        .clone();
    assert_eq!(sales["parent_id"], Value::Null);
    assert_eq!(sales["routing"], json!({"policy": "none", "capacity": 10}));

    // A cycle (A under its grandchild, or under itself) is refused.
    for parent in [c, a] {
        let (st, v) = patch_department(&admin, a, json!({"parent_id": parent, "name": "X"}));
        assert_eq!(st, 400, "{v}");
        assert_eq!(v["error"]["code"], "invalid_parent");
    }
    let bad = [
        json!({"parent_id": 999_999}),
        json!({"categories": (0..21).map(|i| format!("c{i}")).collect::<Vec<_>>()}),
        json!({"categories": ["x".repeat(101)]}),
        json!({"routing": {"policy": "random"}}),
        json!({"routing": {"policy": "round_robin", "capacity": 0}}),
        json!({"routing": {"policy": "round_robin", "capacity": 1001}}),
        json!({"routing": {"policy": "none", "weight": 2}}),
    ];
    for body in bad {
        let (st, v) = patch_department(&admin, b, body.clone());
        assert_eq!(st, 400, "{body}: {v}");
    }
    // Nothing changed.
    let after = admin.get("/api/v1/departments")["departments"].clone();
    assert_eq!(after, listed);

    // Ten levels deep is the most: the chain A > B > C > 7 more is 10.
    let mut last = c;
    for i in 0..7 {
        last = department(&admin, json!({"name": format!("L{i}"), "parent_id": last}));
    }
    let (st, v) = admin.call(
        "POST",
        "/api/v1/departments",
        Some(json!({"name": "Too deep", "parent_id": last})),
    );
    assert_eq!(st, 400, "{v}");
    assert_eq!(v["error"]["code"], "invalid_parent");
    // Moving a subtree under a deep branch counts the subtree's depth too.
    let top = department(&admin, json!({"name": "Top"}));
    let (st, v) = patch_department(&admin, top, json!({"parent_id": a}));
    assert_eq!(st, 200, "{v}");
    let (st, _) = patch_department(&admin, a, json!({"parent_id": null}));
    assert_eq!(st, 200);
    let (st, v) = patch_department(&admin, b, json!({"parent_id": top}));
    assert_eq!(st, 400, "the chain would be 11 deep: {v}");

    // Deleting a department takes its channels (said in the event) and
    // leaves its children at the top.
    let sam = admin.post(
        "/api/v1/users",
        json!({"type": "agent", "first_name": "Sam", "email": "sam@tree.test", "password": "agentpass1"}),
    )["user"]["id"]
        .clone();
    let ch = channel(
        &admin,
        json!({"kind": "sms", "user_id": sam, "department_id": b}),
    );
    let (st, _) = admin.call("DELETE", &format!("/api/v1/departments/{b}"), None);
    assert_eq!(st, 204);
    assert_eq!(admin.get("/api/v1/notify-channels")["channels"], json!([]));
    let ev = admin.get("/api/v1/events?after=0")["events"].clone();
    assert!(ev
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "department.deleted" && e["data"]["notify_channels"] == json!([ch])));
    let listed = admin.get("/api/v1/departments")["departments"].clone();
    let used = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == c)
        .unwrap();
    assert_eq!(used["parent_id"], Value::Null);
}

#[test]
fn notify_round_robin_respects_capacity_and_lists_offline_channels() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let d = department(
        &admin,
        json!({"name": "Support", "routing": {"policy": "round_robin", "capacity": 1}}),
    );
    let (c1, a1) = agent(&s, &admin, "Ann", d);
    let (c2, a2) = agent(&s, &admin, "Bob", d);
    let (_c3, a3) = agent(&s, &admin, "Cyd", d); // never online
    let ch1 = channel(
        &admin,
        json!({"kind": "email", "user_id": a1, "department_id": d, "name": "Ann's mail"}),
    );
    let ch3 = channel(
        &admin,
        json!({"kind": "email", "user_id": a3, "department_id": d}),
    );
    online(&c1);
    online(&c2);

    let (_, k1) = conversation(&s, "Vic", Some(d));
    let r = notify(&admin, k1, json!({}));
    assert_eq!(ids(&r["agents"]), vec![a1], "{r}");
    assert_eq!(ids(&r["channels"]), vec![ch1], "{r}");
    assert_eq!(ids(&r["offline"]), vec![ch3], "{r}");
    // The channels reached the email outbox: one to Ann, one to Cyd.
    let log = admin.get("/api/v1/email/deliveries")["deliveries"].clone();
    for to in ["ann@route.test", "cyd@route.test"] {
        assert!(
            log.as_array()
                .unwrap()
                .iter()
                .any(|e| e["to"].to_string().contains(to) && e["kind"] == "notification"),
            "{to}: {log}"
        );
    }
    // The event says the same, and the picked agent got the inbox flag.
    let ev = admin.get("/api/v1/events?after=0")["events"].clone();
    let queued: Vec<&Value> = ev
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "conversation.queued" && e["conversation_id"] == k1)
        .collect();
    assert_eq!(queued.len(), 1, "{ev}");
    assert_eq!(ids(&queued[0]["data"]["channels"]), vec![ch1]);
    assert_eq!(ids(&queued[0]["data"]["offline"]), vec![ch3]);
    assert!(ev.as_array().unwrap().iter().any(|e| {
        e["kind"] == "conversation.participant"
            && e["data"]["user_id"] == a1
            && e["data"]["flags"].to_string().contains("inbox")
    }));

    // Next conversation: the next online agent.
    let (_, k2) = conversation(&s, "Wes", Some(d));
    assert_eq!(ids(&notify(&admin, k2, json!({}))["agents"]), vec![a2]);
    // Both at capacity (one open conversation each): no one is picked.
    for (k, a) in [(k1, a1), (k2, a2)] {
        let (st, v) = admin.call(
            "PATCH",
            &format!("/api/v1/conversations/{k}"),
            Some(json!({"agent_id": a})),
        );
        assert_eq!(st, 200, "{v}");
    }
    online(&c1);
    online(&c2);
    let (_, k3) = conversation(&s, "Xia", Some(d));
    let r = notify(&admin, k3, json!({}));
    assert_eq!(ids(&r["agents"]), Vec::<i64>::new(), "{r}");
    assert_eq!(ids(&r["channels"]), vec![ch1]);
    // Room for two each: the rotation goes on after Bob, back to Ann.
    let (st, v) = patch_department(
        &admin,
        d,
        json!({"routing": {"policy": "round_robin", "capacity": 2}}),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(ids(&notify(&admin, k3, json!({}))["agents"]), vec![a1]);
    // Archived (closed) conversations are queued again.
    let (st, _) = admin.call(
        "PATCH",
        &format!("/api/v1/conversations/{k3}"),
        Some(json!({"status": 3})),
    );
    assert_eq!(st, 200);
    notify(&admin, k3, json!({}));
    let conv = admin.get(&format!("/api/v1/conversations/{k3}"));
    assert_eq!(conv["conversation"]["status"], 2, "{conv}");
}

/// A webhook receiver on loopback: every body it got.
struct Receiver {
    got: Arc<Mutex<Vec<Value>>>,
    server: Arc<tiny_http::Server>,
}

impl Receiver {
    fn start() -> Receiver {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let (srv, g) = (server.clone(), got.clone());
        std::thread::spawn(move || {
            for mut rq in srv.incoming_requests() {
                let mut body = String::new();
                rq.as_reader().read_to_string(&mut body).unwrap();
                g.lock()
                    .unwrap()
                    .push(serde_json::from_str(&body).unwrap_or(Value::Null));
                let _ = rq.respond(tiny_http::Response::from_string("ok"));
            }
        });
        Receiver { got, server }
    }
    fn url(&self) -> String {
        let port = self.server.server_addr().to_ip().unwrap().port();
        format!("http://127.0.0.1:{port}/hook")
    }
    fn wait_until(&self, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let got = self.got.lock().unwrap().clone();
            if pred(&got) {
                return got;
            }
            assert!(Instant::now() < deadline, "received: {got:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

fn of_type<'a>(got: &'a [Value], t: &str) -> Vec<&'a Value> {
    got.iter().filter(|b| b["type"] == t).collect()
}

#[test]
fn notify_by_organizations_and_by_channels() {
    let s = Server::start_with(&[ALLOW, FAST_RETRY]);
    let admin = s.client(&s.admin_token());
    let parent = department(
        &admin,
        json!({"name": "Dealers", "routing": {"policy": "round_robin"}}),
    );
    let child = department(&admin, json!({"name": "Garage", "parent_id": parent}));
    let (cx, x) = agent(&s, &admin, "Xavier", parent);
    online(&cx);
    let (w1, w2) = (Receiver::start(), Receiver::start());
    let hook = |r: &Receiver, events: Value| {
        let (st, v) = admin.call(
            "POST",
            "/api/v1/webhooks",
            Some(json!({"url": r.url(), "events": events})),
        );
        assert_eq!(st, 201, "{v}");
        v["webhook"]["id"].as_i64().unwrap()
    };
    // w1 subscribes to nothing it would get otherwise; w2 to everything.
    let e1 = hook(&w1, json!(["user.deleted"]));
    hook(&w2, json!(["*"]));
    let ch_parent = channel(
        &admin,
        json!({"kind": "email", "user_id": x, "department_id": parent}),
    );
    let ch_child = channel(
        &admin,
        json!({"kind": "webhook", "endpoint_id": e1, "department_id": child}),
    );
    let ch_loose = channel(&admin, json!({"kind": "email", "user_id": x}));
    let ch_hook = channel(&admin, json!({"kind": "webhook", "endpoint_id": e1}));

    // The rules of the department and its ancestors.
    let (_, k) = conversation(&s, "Yann", Some(child));
    let r = notify(&admin, k, json!({}));
    assert_eq!(ids(&r["channels"]), vec![ch_child, ch_parent], "{r}");
    assert_eq!(ids(&r["agents"]), vec![x]);

    // Only the organizations named: the child's rule picks no one.
    let r = notify(&admin, k, json!({"organizations": [child.to_string()]}));
    assert_eq!(ids(&r["channels"]), vec![ch_child], "{r}");
    assert_eq!(ids(&r["agents"]), Vec::<i64>::new());
    let r = notify(&admin, k, json!({"organizations": [parent.to_string()]}));
    assert_eq!(ids(&r["channels"]), vec![ch_parent], "{r}");

    // Unknown ids: 400, and nothing stored.
    let before = notes(&admin, k);
    for meta in [
        json!({"organizations": ["999999"]}),
        json!({"channels": ["999999"]}),
        json!({"channels": ["abc"]}),
        json!({"channels": "1"}),
    ] {
        let (st, v) = command(&admin, k, "/notify", meta.clone());
        assert_eq!(st, 400, "{meta}: {v}");
    }
    assert_eq!(notes(&admin, k), before);

    // Exactly the channels named, bypassing the rules.
    let log_before = admin.get("/api/v1/email/deliveries")["deliveries"]
        .as_array()
        .unwrap()
        .len();
    let r = notify(
        &admin,
        k,
        json!({"channels": [ch_loose.to_string(), ch_hook.to_string()]}),
    );
    assert_eq!(ids(&r["channels"]), vec![ch_loose, ch_hook], "{r}");
    assert_eq!(ids(&r["agents"]), Vec::<i64>::new());
    let log = admin.get("/api/v1/email/deliveries")["deliveries"].clone();
    assert_eq!(
        log.as_array().unwrap().len(),
        log_before + 1,
        "one email: {log}"
    );
    // The webhook channels reach their endpoint (three notifications named
    // one: the rules, the child alone, and meta.channels)...
    let got = w1.wait_until(|g| of_type(g, "channel.notify").len() >= 3);
    for b in of_type(&got, "channel.notify") {
        assert_eq!(b["data"]["conversation_id"], k, "{b}");
    }
    assert!(
        of_type(&got, "channel.notify")
            .iter()
            .any(|b| b["data"]["channel_id"] == ch_hook),
        "{got:?}"
    );
    // ...and only it: the endpoint taking every event got the queued
    // events, never a channel notification.
    let all = w2.wait_until(|g| {
        g.iter()
            .filter(|b| b["type"] == "conversation.queued")
            .count()
            >= 4
    });
    assert!(of_type(&all, "channel.notify").is_empty(), "{all:?}");
}

/// A request from address `ip` (the server trusts `X-Forwarded-For`).
fn from(c: &Client, ip: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
    let (st, _, text) = c.raw(
        method,
        path,
        Some(body.to_string()),
        &[("x-forwarded-for", ip)],
    );
    (st, serde_json::from_str(&text).unwrap_or(Value::Null))
}

const HOME: &str = "203.0.113.9";

#[test]
fn block_refuses_the_visitors_next_session_and_post_until_lifted() {
    let s = Server::start_with(&[("FRONTPORCH_TRUST_PROXY", "1")]);
    let admin = s.client(&s.admin_token());
    let session = |ip: &str, name: &str| {
        from(
            &s.anon(),
            ip,
            "POST",
            "/api/v1/widget/session",
            json!({"first_name": name}),
        )
    };
    let (st, v) = session(HOME, "Mallory");
    assert_eq!(st, 201, "{v}");
    let visitor = s.client(v["token"].as_str().unwrap());
    let visitor_id = v["user"]["id"].as_i64().unwrap();
    let (st, v) = from(
        &visitor,
        HOME,
        "POST",
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hello"}}),
    );
    assert_eq!(st, 201, "{v}");
    let cid = v["conversation"]["id"].as_i64().unwrap();

    let (st, v) = command(&admin, cid, "/block spam", json!({}));
    assert_eq!(st, 201, "{v}");
    let block = v["result"]["block"].clone();
    assert_eq!(block["user_id"], visitor_id, "{v}");
    assert_eq!(block["ip"], HOME, "the address the visitor wrote from");
    let conv = admin.get(&format!("/api/v1/conversations/{cid}"));
    assert_eq!(conv["conversation"]["status"], 3, "closed: {conv}");

    // The visitor's next post (from anywhere), and a new session from the
    // same address, are refused.
    let post = |ip: &str| {
        from(
            &visitor,
            ip,
            "POST",
            &format!("/api/v1/widget/conversations/{cid}/messages"),
            json!({"body": "let me in"}),
        )
    };
    for ip in [HOME, "198.51.100.7"] {
        let (st, v) = post(ip);
        assert_eq!(st, 403, "{v}");
        assert_eq!(v["error"]["code"], "blocked");
        assert!(v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot start a chat"));
    }
    let (st, v) = session(HOME, "Mallory again");
    assert_eq!(st, 403, "{v}");
    assert_eq!(v["error"]["code"], "blocked");
    // Someone else, elsewhere, is not; nor is every visitor behind a proxy
    // that does not say who they are (loopback is never blocked).
    assert_eq!(session("198.51.100.7", "Neighbour").0, 201);
    s.visitor("Through a proxy");

    // Admins see it, with the event, and lift it.
    let list = admin.get("/api/v1/blocks")["blocks"].clone();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["id"], block["id"]);
    assert_eq!(list[0]["user_name"], "Mallory");
    let ev = admin.get("/api/v1/events?after=0")["events"].clone();
    assert!(ev
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "contact.blocked" && e["data"]["block"]["id"] == block["id"]));
    let (st, v) = admin.call("DELETE", &format!("/api/v1/blocks/{}", block["id"]), None);
    assert_eq!(st, 204, "{v}");
    let (st, _) = admin.call("DELETE", &format!("/api/v1/blocks/{}", block["id"]), None);
    assert_eq!(st, 404);
    let ev = admin.get("/api/v1/events?after=0")["events"].clone();
    assert!(ev
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "block.lifted"));
    let (st, v) = post(HOME);
    assert_eq!(st, 201, "{v}");
    assert_eq!(session(HOME, "Mallory again").0, 201);
    assert!(admin.get("/api/v1/blocks")["blocks"]
        .as_array()
        .unwrap()
        .is_empty());

    // Staff cannot be blocked; agents only may block.
    let staff = admin.post(
        "/api/v1/users",
        json!({"type": "agent", "first_name": "Sam", "email": "sam@route.test", "password": "agentpass1"}),
    )["user"]["id"]
        .clone();
    let own = admin.post(
        "/api/v1/conversations",
        json!({"title": "internal", "user_id": staff}),
    );
    let own_id = own["conversation"]["id"].as_i64().unwrap();
    let (st, v) = command(&admin, own_id, "/block", json!({}));
    assert_eq!(st, 400, "{v}");
    let (st, _) = visitor.call("GET", "/api/v1/blocks", None);
    assert!(st == 401 || st == 403);
}
