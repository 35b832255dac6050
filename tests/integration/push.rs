//! Web Push to agents (issue 12): every path against a push service on
//! loopback (`tests/push/push_service.py`) that makes each device's keys as
//! a browser would, checks the VAPID JWT and decrypts what it receives with
//! the reference implementation (`http_ece`), independently of our code.

use super::harness::{agent, Client, Server, TempDir, ADMIN_EMAIL, ADMIN_PASSWORD};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct PushService {
    child: Child,
    port: u16,
    dir: TempDir,
}

impl PushService {
    /// Fails (rather than skips) without python3, http_ece or
    /// cryptography: tests/run.sh installs them.
    fn start() -> PushService {
        let dir = TempDir::new("push");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/push/push_service.py");
        let mut child = Command::new("python3")
            .arg(script)
            .arg(&dir.0)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 is required for the push tests");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("port ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| {
                panic!("the push service did not start (pip install http_ece): {line:?}")
            });
        PushService { child, port, dir }
    }

    fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A new device's `PushSubscription.toJSON()`.
    fn device(&self, name: &str) -> Value {
        let resp = agent()
            .get(format!("{}/new/{name}", self.origin()))
            .call()
            .unwrap();
        serde_json::from_str(&resp.into_body().read_to_string().unwrap()).unwrap()
    }

    /// Every push received so far, in order.
    fn pushes(&self) -> Vec<Value> {
        let mut names: Vec<_> = std::fs::read_dir(&self.dir.0)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".json") && !n.starts_with('.'))
            .collect();
        names.sort();
        names
            .iter()
            .map(|n| {
                serde_json::from_str(&std::fs::read_to_string(self.dir.0.join(n)).unwrap()).unwrap()
            })
            .collect()
    }

    /// Waits (generously) until `pred` holds over the pushes received.
    fn wait(&self, what: &str, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let p = self.pushes();
            if pred(&p) {
                return p;
            }
            assert!(Instant::now() < deadline, "{what}: {p:#?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits for a push to `device`, the newest one.
    fn wait_for(&self, device: &str, n: usize) -> Value {
        let p = self.wait(&format!("{n} push(es) to {device}"), |p| {
            p.iter().filter(|x| x["device"] == device).count() >= n
        });
        p.into_iter()
            .filter(|x| x["device"] == device)
            .nth(n - 1)
            .unwrap()
    }
}

impl Drop for PushService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const PW: &str = "long enough pw";

/// A server that may send to loopback push services, with fast retries.
fn server() -> Server {
    Server::start_with(&[
        ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1"),
        ("FRONTPORCH_PUBLIC_URL", "https://chat.example.com"),
        ("FRONTPORCH_RETRY_BASE_MS", "200"),
    ])
}

/// A new agent (optionally of a department): id and signed-in session.
fn agent_session(s: &Server, admin: &Client, name: &str, dept: Option<i64>) -> (i64, Client) {
    let email = format!("{}@example.com", name.to_lowercase());
    let mut body = json!({ "type": "agent", "first_name": name, "email": email, "password": PW });
    if let Some(d) = dept {
        body["department_id"] = json!(d);
    }
    let id = admin.post("/api/v1/users", body)["user"]["id"]
        .as_i64()
        .unwrap();
    (id, s.login(&email, PW))
}

/// Registers a device of the push service for `who`; its id.
fn subscribe(who: &Client, sub: &Value) -> i64 {
    let (st, v) = who.call("POST", "/api/v1/push/subscriptions", Some(sub.clone()));
    assert_eq!(st, 201, "{v}");
    v["subscription"]["id"].as_i64().unwrap()
}

#[test]
fn an_offline_agent_gets_visitor_messages_and_assignments_encrypted() {
    let push = PushService::start();
    let s = server();
    let admin = s.client(&s.admin_token());
    let (ada, ada_s) = agent_session(&s, &admin, "Ada", None);
    let key = ada_s.get("/api/v1/push/key");
    let public_key = key["public_key"].as_str().unwrap().to_string();
    assert_eq!(key["enabled"], true);
    subscribe(&ada_s, &push.device("ada-laptop"));

    // A visitor writes; Ada has no inbox open.
    let (visitor, _) = s.visitor("Nina");
    let c = visitor.post(
        "/api/v1/widget/conversations",
        json!({ "message": { "body": "Is anyone there? <b>café</b> 👋" } }),
    );
    let cid = c["conversation"]["id"].as_i64().unwrap();
    let got = push.wait_for("ada-laptop", 1);
    assert!(got["error"].is_null(), "{got:#}");
    assert_eq!(
        got["payload"],
        json!({ "title": "Nina", "body": "Is anyone there? <b>café</b> 👋", "conversation_id": cid,
                "url": format!("/admin#conversation={cid}"), "tag": format!("conversation-{cid}") })
    );
    let vapid = &got["vapid"];
    assert_eq!(vapid["valid"], true, "{vapid:#}");
    assert_eq!(vapid["k"], public_key.as_str());
    assert_eq!(vapid["claims"]["aud"], push.origin().as_str());
    assert_eq!(vapid["claims"]["sub"], "https://chat.example.com");
    let h = &got["headers"];
    assert_eq!(h["content-encoding"], "aes128gcm");
    assert_eq!(h["urgency"], "high");
    assert!(h["ttl"].as_str().unwrap().parse::<i64>().unwrap() > 0);

    // The visitor's next message in the same conversation, within minutes:
    // not told twice. The assignment is news: told.
    visitor.post(
        &format!("/api/v1/widget/conversations/{cid}/messages"),
        json!({ "body": "Hello?" }),
    );
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/conversations/{cid}"),
        Some(json!({ "agent_id": ada })),
    );
    assert_eq!(st, 200, "{v}");
    let got = push.wait_for("ada-laptop", 2);
    assert_eq!(got["payload"]["title"], "Conversation assigned to you");
    assert_eq!(got["payload"]["conversation_id"], cid);
    assert_eq!(got["headers"]["urgency"], "normal");
    assert_eq!(got["vapid"]["valid"], true);

    // A message in another conversation: told again.
    let (other, _) = s.visitor("Omar");
    other.post(
        "/api/v1/widget/conversations",
        json!({ "message": { "body": "Second" } }),
    );
    let got = push.wait_for("ada-laptop", 3);
    assert_eq!(got["payload"]["body"], "Second");
    assert_eq!(
        push.pushes().len(),
        3,
        "the repeated message was not pushed"
    );

    // The private key is in no settings read or export.
    let settings = admin.get("/api/v1/settings").to_string();
    assert!(
        !settings.contains(&public_key) && !settings.contains("vapid"),
        "{settings}"
    );
}

#[test]
fn an_agent_with_the_inbox_open_is_not_pushed() {
    let push = PushService::start();
    let s = server();
    let admin = s.client(&s.admin_token());
    let (_, ada_s) = agent_session(&s, &admin, "Ada", None);
    let (_, bob_s) = agent_session(&s, &admin, "Bob", None);
    subscribe(&ada_s, &push.device("ada"));
    subscribe(&bob_s, &push.device("bob"));
    // Ada is online with her inbox listening (a poll); Bob is away.
    let (st, _) = ada_s.call("PUT", "/api/v1/me/presence", Some(json!({"online": true})));
    assert_eq!(st, 200);
    let (st, v) = ada_s.call("GET", "/api/v1/events?after=0", None);
    assert_eq!(st, 200, "{v}");
    let (visitor, _) = s.visitor("Nina");
    visitor.post(
        "/api/v1/widget/conversations",
        json!({ "message": { "body": "Anyone?" } }),
    );
    // Rows leave in id order from one lane, Ada's (lower id) first: once
    // Bob's arrived, Ada's would have too.
    push.wait_for("bob", 1);
    let to_ada: Vec<Value> = push
        .pushes()
        .into_iter()
        .filter(|p| p["device"] == "ada")
        .collect();
    assert!(to_ada.is_empty(), "{to_ada:#?}");
}

#[test]
fn a_gone_device_is_removed_and_a_failing_one_retried() {
    let push = PushService::start();
    let s = server();
    let admin = s.client(&s.admin_token());
    let (_, ada_s) = agent_session(&s, &admin, "Ada", None);
    let gone = subscribe(&ada_s, &push.device("gone-phone"));
    subscribe(&ada_s, &push.device("fail-laptop"));
    assert_eq!(
        ada_s.get("/api/v1/push/subscriptions")["subscriptions"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (visitor, _) = s.visitor("Nina");
    visitor.post(
        "/api/v1/widget/conversations",
        json!({ "message": { "body": "Hi" } }),
    );
    // 410: the device is removed.
    push.wait_for("gone-phone", 1);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list = ada_s.get("/api/v1/push/subscriptions")["subscriptions"].clone();
        if list.as_array().unwrap().iter().all(|d| d["id"] != gone) {
            assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
            break;
        }
        assert!(Instant::now() < deadline, "the gone device stays: {list}");
        std::thread::sleep(Duration::from_millis(100));
    }
    // 500 then 201: sent again, and the same notification arrives.
    let second = push.wait_for("fail-laptop", 2);
    assert_eq!(second["status"], 201);
    assert_eq!(second["payload"]["body"], "Hi");
    let first = push.wait_for("fail-laptop", 1);
    assert_eq!(first["status"], 500);
}

#[test]
fn devices_are_each_agents_own_and_bad_input_is_refused() {
    let push = PushService::start();
    let s = server();
    let token = s.admin_token();
    let admin = s.client(&token);
    let (_, ada_s) = agent_session(&s, &admin, "Ada", None);
    let (_, bob_s) = agent_session(&s, &admin, "Bob", None);
    let dev = push.device("ada");
    let id = subscribe(&ada_s, &dev);
    let listed = ada_s.get("/api/v1/push/subscriptions")["subscriptions"].clone();
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["push_service"], push.origin().as_str());
    assert!(
        !listed.to_string().contains("/push/ada"),
        "endpoint shown: {listed}"
    );
    // Bob sees none of Ada's devices and cannot remove one.
    let bobs = bob_s.get("/api/v1/push/subscriptions")["subscriptions"].clone();
    assert_eq!(bobs, json!([]));
    let (st, v) = bob_s.call("DELETE", &format!("/api/v1/push/subscriptions/{id}"), None);
    assert_eq!(st, 404, "{v}");
    assert_eq!(
        ada_s.get("/api/v1/push/subscriptions")["subscriptions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // An API token is not a person with a device.
    let (st, v) = admin.call("POST", "/api/v1/push/subscriptions", Some(dev.clone()));
    assert_eq!(st, 403, "{v}");

    // 65 bytes of the right shape, not a point on P-256.
    let mut bad_key = dev.clone();
    bad_key["keys"]["p256dh"] = json!(format!("BA{}E", "EBAQ".repeat(21)));
    let mut short_auth = dev.clone();
    short_auth["keys"]["auth"] = json!("c2hvcnQ");
    let mut ftp = dev.clone();
    ftp["endpoint"] = json!("ftp://push.example.com/x");
    let mut extra = dev.clone();
    extra["owner"] = json!(1);
    let cases = [
        (json!({ "endpoint": dev["endpoint"] }), "invalid_field"),
        (bad_key, "invalid_subscription"),
        (short_auth, "invalid_subscription"),
        (ftp, "invalid_url"),
        (extra, "invalid_field"),
    ];
    for (body, code) in cases {
        let (st, v) = bob_s.call("POST", "/api/v1/push/subscriptions", Some(body.clone()));
        assert!((400..500).contains(&st), "{body}: {st} {v}");
        assert_eq!(v["error"]["code"], code, "{body}: {v}");
    }
    assert_eq!(
        bob_s.get("/api/v1/push/subscriptions")["subscriptions"],
        json!([])
    );
    // At most ten devices per agent; the same endpoint again is no new one.
    for i in 0..10 {
        subscribe(&bob_s, &push.device(&format!("bob-{i}")));
    }
    let again = push.device("bob-3");
    subscribe(&bob_s, &again);
    let (st, v) = bob_s.call(
        "POST",
        "/api/v1/push/subscriptions",
        Some(push.device("bob-10")),
    );
    assert_eq!(
        (st, v["error"]["code"].clone()),
        (400, json!("too_many")),
        "{v}"
    );
    // Removing one's own device.
    let (st, _) = ada_s.call("DELETE", &format!("/api/v1/push/subscriptions/{id}"), None);
    assert_eq!(st, 204);
    assert_eq!(
        ada_s.get("/api/v1/push/subscriptions")["subscriptions"],
        json!([])
    );
    // Without private addresses allowed, endpoints are public https URLs.
    let strict = Server::start();
    let admin2 = strict.client(&strict.admin_token());
    let (_, cleo) = agent_session(&strict, &admin2, "Cleo", None);
    for (endpoint, code) in [
        ("http://push.example.com/x", "invalid_url"),
        ("https://127.0.0.1/x", "private_address"),
    ] {
        let mut d = dev.clone();
        d["endpoint"] = json!(endpoint);
        let (st, v) = cleo.call("POST", "/api/v1/push/subscriptions", Some(d));
        assert_eq!((st, v["error"]["code"].clone()), (400, json!(code)), "{v}");
    }
}

#[test]
fn support_board_push_notification_reaches_each_interest() {
    let push = PushService::start();
    let s = server();
    let token = s.admin_token();
    let admin = s.client(&token);
    let dept = admin.post("/api/v1/departments", json!({ "name": "Sales" }))["department"]["id"]
        .as_i64()
        .unwrap();
    let (ada, ada_s) = agent_session(&s, &admin, "Ada", None);
    let (bob, bob_s) = agent_session(&s, &admin, "Bob", Some(dept));
    let (_, _cleo_s) = agent_session(&s, &admin, "Cleo", Some(dept)); // no device
    subscribe(&ada_s, &push.device("ada"));
    subscribe(&bob_s, &push.device("bob"));
    let me = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    subscribe(&me, &push.device("admin"));
    let admin_dept = json!({ "department_id": dept });
    let me_id = admin.get("/api/v1/users?type=admin")["users"][0]["id"]
        .as_i64()
        .unwrap();
    let (st, v) = admin.call("PATCH", &format!("/api/v1/users/{me_id}"), Some(admin_dept));
    assert_eq!(st, 200, "{v}");
    let (visitor, _) = s.visitor("Nina");
    let cid = visitor.post(
        "/api/v1/widget/conversations",
        json!({ "message": { "body": "x" } }),
    )["conversation"]["id"]
        .as_i64()
        .unwrap();
    // The conversation's own pushes (to all three, offline) first.
    push.wait("the message's pushes", |p| p.len() >= 3);

    let cases: Vec<(String, Vec<&str>)> = vec![
        (ada.to_string(), vec!["ada"]),
        (format!("[{ada}, {bob}]"), vec!["ada", "bob"]),
        ("agents".into(), vec!["ada"]),
        ("all-agents".into(), vec!["admin", "ada", "bob"]),
        (format!("department-{dept}"), vec!["admin", "bob"]),
    ];
    let cid_s = cid.to_string();
    for (interest, devices) in &cases {
        let r = super::support_board::succeed(
            &s,
            &token,
            &[
                ("function", "push-notification"),
                ("title", "Heads up"),
                ("message", "Lunch <i>is</i> ready"),
                ("icon", "https://cdn.example.com/i.png"),
                ("interest", interest),
                ("conversation_id", &cid_s),
            ],
        );
        let id = r["publishId"].as_str().unwrap_or_else(|| panic!("{r}"));
        assert!(id.starts_with("pubid-"), "{r}");
        // The rows were committed before the answer; each arrives.
        let got = push.wait(&format!("interest {interest}"), |p| {
            p.iter()
                .filter(|x| x["payload"]["publish_id"] == id)
                .count()
                >= devices.len()
        });
        let mut to: Vec<&str> = got
            .iter()
            .filter(|x| x["payload"]["publish_id"] == id)
            .map(|x| x["device"].as_str().unwrap())
            .collect();
        to.sort();
        let mut want = devices.clone();
        want.sort();
        assert_eq!(to, want, "interest {interest}");
        let one = got
            .iter()
            .find(|x| x["payload"]["publish_id"] == id)
            .unwrap();
        assert_eq!(one["vapid"]["valid"], true);
        assert_eq!(
            one["payload"],
            json!({ "title": "Heads up", "body": "Lunch <i>is</i> ready", "conversation_id": cid,
                    "url": format!("/admin#conversation={cid}"), "publish_id": id,
                    "icon": "https://cdn.example.com/i.png" })
        );
    }
    // A form array of ids works as a list.
    let r = super::support_board::succeed(
        &s,
        &token,
        &[
            ("function", "push-notification"),
            ("title", "t"),
            ("message", "m"),
            ("interest[]", &ada.to_string()),
            ("interest[]", &bob.to_string()),
        ],
    );
    assert!(r["publishId"].as_str().unwrap().starts_with("pubid-"));
    // Bad interest forms are refused.
    for bad in ["department-x", "everyone", "[\"a\"]"] {
        let r = super::support_board::sb_with(
            &s,
            &token,
            &[
                ("function", "push-notification"),
                ("title", "t"),
                ("message", "m"),
                ("interest", bad),
            ],
        );
        assert_eq!(r["success"], false, "{bad}: {r}");
    }
    // Turned off: false, as the seed says.
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "push.enabled": false })),
    );
    assert_eq!(st, 200, "{v}");
    let r = super::support_board::succeed(
        &s,
        &token,
        &[
            ("function", "push-notification"),
            ("title", "t"),
            ("message", "m"),
            ("interest", "all-agents"),
        ],
    );
    assert_eq!(r, json!(false));
}

#[test]
fn the_vapid_key_is_made_on_first_start_and_kept() {
    let mut s = Server::start();
    let admin = s.client(&s.admin_token());
    let key = admin.get("/api/v1/push/key")["public_key"].clone();
    // An uncompressed P-256 point (65 bytes), base64url without padding.
    let k = key.as_str().unwrap();
    assert!(k.len() == 87 && k.starts_with('B'), "{k}");
    s.kill_and_restart();
    assert_eq!(admin.get("/api/v1/push/key")["public_key"], key);
    // Visitors do not get it.
    let (visitor, _) = s.visitor("Vic");
    let (st, _) = visitor.call("GET", "/api/v1/push/key", None);
    assert_eq!(st, 403);
}

#[test]
fn a_message_from_a_messaging_app_is_pushed_too() {
    let push = PushService::start();
    let s = server();
    let admin = s.client(&s.admin_token());
    let (_, ada_s) = agent_session(&s, &admin, "Ada", None);
    subscribe(&ada_s, &push.device("ada"));
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "channels.telegram": { "bot_token": "1:abc", "secret_token": "tg-secret" } })),
    );
    assert_eq!(st, 200, "{v}");
    let update = json!({ "update_id": 5, "message": { "message_id": 9, "date": 1,
        "from": { "id": 77, "first_name": "Olga" }, "chat": { "id": 77, "type": "private" },
        "text": "Привет from Telegram" } });
    let (st, _, body) = s.anon().raw(
        "POST",
        "/channels/telegram",
        Some(update.to_string()),
        &[("x-telegram-bot-api-secret-token", "tg-secret")],
    );
    assert_eq!(st, 200, "{body}");
    let got = push.wait_for("ada", 1);
    assert_eq!(got["payload"]["title"], "Olga", "{got:#}");
    assert_eq!(got["payload"]["body"], "Привет from Telegram");
}
