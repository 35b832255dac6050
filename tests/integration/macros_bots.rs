//! Macros, keyword bots and the self-service menu (issue 14, part D):
//! macros run their steps from the inbox and POST the conversation's data
//! to a loopback receiver; keyword bots answer whole words in any case,
//! once per cool-down; the menu is offered once to a new client, a choice
//! tags and routes, unknown input repeats it once and then hands over.

use crate::commands_dot::{agent_login, staff_sees, visitor_conversation};
use crate::fake_platform::{Call, Fake, Reply};
use crate::harness::*;
use serde_json::{json, Value};

const ALLOW: (&str, &str) = ("FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS", "1");

fn tag(admin: &Client, label: &str) -> i64 {
    admin.post("/api/v1/tags", json!({ "label": label }))["tag"]["id"]
        .as_i64()
        .unwrap()
}

fn department(admin: &Client, name: &str) -> i64 {
    admin.post("/api/v1/departments", json!({ "name": name }))["department"]["id"]
        .as_i64()
        .unwrap()
}

fn conversation(staff: &Client, cid: i64) -> Value {
    staff.get(&format!("/api/v1/conversations/{cid}"))["conversation"].clone()
}

/// The bot's messages in a conversation, oldest first.
fn bot_messages(staff: &Client, cid: i64) -> Vec<Value> {
    staff_sees(staff, cid)
        .into_iter()
        .filter(|m| m["payload"]["bot"].is_string())
        .collect()
}

fn say(visitor: &Client, cid: i64, text: &str) {
    visitor.post(
        &format!("/api/v1/widget/conversations/{cid}/messages"),
        json!({ "body": text }),
    );
}

fn answer(call: &Call) -> Reply {
    match call.path() {
        "/lead" => Reply::json(
            200,
            json!({ "url": "https://crm.example/leads/7", "id": 7 }),
        ),
        "/script" => Reply::json(200, json!({ "url": "javascript:alert(1)" })),
        "/slow" => {
            std::thread::sleep(std::time::Duration::from_secs(8));
            Reply::json(200, json!({ "url": "https://late.example" }))
        }
        _ => Reply {
            status: 503,
            content_type: "text/plain".into(),
            body: b"down for maintenance".to_vec(),
            headers: Vec::new(),
        },
    }
}

#[test]
fn macros_are_managed_by_admins_and_run_their_steps_in_a_conversation() {
    let fake = Fake::start(answer);
    let s = Server::start_with(&[ALLOW]);
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (ann, ann_id) = agent_login(&s, &admin, "Ann", "ann@example.com");
    let (bob, bob_id) = agent_login(&s, &admin, "Bob", "bob@example.com");
    let vip = tag(&admin, "VIP");
    let lead = tag(&admin, "Lead");
    let sales = department(&admin, "Sales");

    // Checked when saved: ids exist, URLs http(s), admins only, names unique.
    let bad = [
        json!([{ "type": "add_tag", "tag_id": 9999 }]),
        json!([{ "type": "assign", "agent_id": 9999 }]),
        json!([{ "type": "department", "department_id": 9999 }]),
        json!([{ "type": "post", "url": "ftp://crm.example/x" }]),
        json!([{ "type": "send_text", "text": "" }]),
        json!([{ "type": "explode" }]),
    ];
    for steps in bad {
        let (st, v) = admin.call(
            "POST",
            "/api/v1/macros",
            Some(json!({ "name": "Bad", "steps": steps })),
        );
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (400, Some("invalid_steps")),
            "{steps}: {v}"
        );
    }
    let (st, _) = ann.call(
        "POST",
        "/api/v1/macros",
        Some(json!({ "name": "Mine", "steps": [] })),
    );
    assert_eq!(st, 403);
    assert!(
        admin.get("/api/v1/macros")["macros"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nothing saved"
    );

    let steps = json!([
        { "type": "send_text", "text": "Thanks, we are on it" },
        { "type": "add_tag", "tag_id": vip, "to": "client" },
        { "type": "add_tag", "tag_id": lead, "to": "request" },
        { "type": "assign", "agent_id": bob_id },
        { "type": "department", "department_id": sales },
    ]);
    let (st, v) = admin.call(
        "POST",
        "/api/v1/macros",
        Some(json!({ "name": "Qualify", "steps": steps })),
    );
    assert_eq!(st, 201, "{v}");
    let qualify = v["macro"]["id"].as_i64().unwrap();
    let (st, v) = admin.call("POST", "/api/v1/macros", Some(json!({ "name": "qualify" })));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("macro_exists"))
    );
    let export = json!([{ "type": "post", "url": format!("{}/lead", fake.base()), "token": "Bearer crm-secret" }]);
    let v = admin.post(
        "/api/v1/macros",
        json!({ "name": "Export", "steps": export }),
    );
    let export_id = v["macro"]["id"].as_i64().unwrap();
    let listed = ann.get("/api/v1/macros");
    assert_eq!(listed["macros"].as_array().unwrap().len(), 2);
    assert!(
        !listed.to_string().contains("crm-secret"),
        "agents never get the token: {listed}"
    );
    assert!(listed.to_string().contains("token_set"));
    let events = ann.get("/api/v1/events?after=0").to_string();
    assert!(
        events.contains("macro.created") && !events.contains("crm-secret"),
        "no token in events"
    );

    let (visitor, cid) = visitor_conversation(&s, "Vic");
    let v = ann.post(
        &format!("/api/v1/conversations/{cid}/macros/{qualify}"),
        json!({}),
    );
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 5, "{v}");
    assert!(results.iter().all(|r| r["ok"] == true), "{v}");
    assert_eq!(v["open_url"], Value::Null);
    let seen: Vec<Value> = visitor.get(&format!("/api/v1/widget/conversations/{cid}/messages"))
        ["messages"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        seen.iter().any(|m| m["body"] == "Thanks, we are on it"),
        "the visitor gets the text"
    );
    let c = conversation(&ann, cid);
    assert_eq!(
        (c["agent_id"].as_i64(), c["department_id"].as_i64()),
        (Some(bob_id), Some(sales))
    );

    // The POST: the complete data about client, request (with the tags
    // the first macro put on), operator and macro; the token as given.
    let v = ann.post(
        &format!("/api/v1/conversations/{cid}/macros/{export_id}"),
        json!({}),
    );
    assert_eq!(v["open_url"], "https://crm.example/leads/7", "{v}");
    assert_eq!(v["results"][0]["ok"], true);
    assert_eq!(v["results"][0]["status"], 200);
    let call = fake.wait_for(5, |c| c.path() == "/lead");
    assert_eq!(call.method, "POST");
    assert_eq!(call.header("authorization"), Some("Bearer crm-secret"));
    assert_eq!(call.header("content-type"), Some("application/json"));
    let body = call.json();
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["client", "request", "operator", "macro"]);
    assert_eq!(body["client"]["name"], "Vic");
    assert_eq!(body["client"]["id"], c["user_id"]);
    assert_eq!(body["client"]["tags"][0]["label"], "VIP");
    assert_eq!(body["request"]["id"], cid);
    assert_eq!(body["request"]["tags"][0]["label"], "Lead");
    assert_eq!(body["request"]["agent_id"], bob_id);
    assert_eq!(body["request"]["department_id"], sales);
    assert_eq!(body["request"]["score"], Value::Null);
    assert_eq!(
        body["operator"],
        json!({ "id": ann_id, "type": "agent", "name": "Ann", "first_name": "Ann",
            "last_name": "", "email": "ann@example.com", "department_id": null })
    );
    assert_eq!(body["macro"], json!({ "id": export_id, "name": "Export" }));
    let runs = ann.get(&format!("/api/v1/conversations/{cid}/macro-runs"))["runs"].clone();
    assert_eq!(runs[0]["macro_id"], export_id);
    assert_eq!(runs[0]["result"]["open_url"], "https://crm.example/leads/7");
    assert!(runs[0]["result"]["results"][0]["answer"]
        .as_str()
        .unwrap()
        .contains("leads/7"));

    // What the server answers wrong is a failed result, recorded; never a 500.
    for (path, why) in [("/slow", "no answer"), ("/down", "503"), ("/script", "")] {
        let steps = json!([{ "type": "post", "url": format!("{}{path}", fake.base()) }]);
        let id = admin.post("/api/v1/macros", json!({ "name": path, "steps": steps }))["macro"]
            ["id"]
            .as_i64()
            .unwrap();
        let (st, v) = bob.call(
            "POST",
            &format!("/api/v1/conversations/{cid}/macros/{id}"),
            Some(json!({})),
        );
        assert_eq!(st, 200, "{path}: {v}");
        assert_eq!(v["open_url"], Value::Null, "{path}: {v}");
        if path == "/script" {
            assert_eq!(
                v["results"][0]["ok"], true,
                "an answer, but no web URL to open"
            );
            continue;
        }
        assert_eq!(v["results"][0]["ok"], false, "{path}: {v}");
        assert!(
            v["results"][0]["error"].as_str().unwrap().contains(why),
            "{v}"
        );
        let runs = bob.get(&format!("/api/v1/conversations/{cid}/macro-runs"))["runs"].clone();
        assert_eq!(runs[0]["macro_id"], id);
        assert_eq!(runs[0]["result"]["results"][0]["ok"], false);
    }

    // Close; a conversation out of scope or a missing macro is 404.
    let closer = admin.post(
        "/api/v1/macros",
        json!({ "name": "Close", "steps": [{ "type": "close" }] }),
    )["macro"]["id"]
        .as_i64()
        .unwrap();
    ann.post(
        &format!("/api/v1/conversations/{cid}/macros/{closer}"),
        json!({}),
    );
    assert_eq!(conversation(&ann, cid)["status_name"], "archive");
    let (st, _) = ann.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/macros/99999"),
        Some(json!({})),
    );
    assert_eq!(st, 404);
    let (st, _) = visitor.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/macros/{closer}"),
        Some(json!({})),
    );
    assert!(st == 401 || st == 403, "{st}");

    // Edit and delete.
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/macros/{closer}"),
        Some(json!({ "name": "Close it" })),
    );
    assert_eq!(
        (st, v["macro"]["name"].as_str()),
        (200, Some("Close it")),
        "{v}"
    );
    assert_eq!(v["macro"]["steps"], json!([{ "type": "close" }]));
    let (st, _) = admin.call("DELETE", &format!("/api/v1/macros/{closer}"), None);
    assert_eq!(st, 204);
    let (st, _) = admin.call("DELETE", &format!("/api/v1/macros/{closer}"), None);
    assert_eq!(st, 404);
}

#[test]
fn keyword_bots_answer_whole_words_in_any_case_once_per_cool_down() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (ann, ann_id) = agent_login(&s, &admin, "Ann", "ann@example.com");
    let pricing = tag(&admin, "Pricing");
    // Without FRONTPORCH_ALLOW_PRIVATE_WEBHOOKS a macro cannot POST to a
    // private address: refused when saved.
    let steps = json!([{ "type": "post", "url": "http://127.0.0.1:9/x" }]);
    let (st, v) = admin.call(
        "POST",
        "/api/v1/macros",
        Some(json!({ "name": "In", "steps": steps })),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("invalid_steps")),
        "{v}"
    );
    let (st, v) = admin.call(
        "POST",
        "/api/v1/keyword-bots",
        Some(json!({ "name": "Prices", "keywords": ["price", "цена", "opening hours"] })),
    );
    assert_eq!(st, 201, "{v}");
    let bot = v["keyword_bot"]["id"].as_i64().unwrap();
    let (st, v) = admin.call(
        "POST",
        "/api/v1/keyword-bots",
        Some(json!({ "name": "x", "keywords": [] })),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("invalid_keyword_bot"))
    );
    let (st, _) = ann.call(
        "POST",
        "/api/v1/keyword-bots",
        Some(json!({ "name": "x", "keywords": ["a"] })),
    );
    assert_eq!(st, 403);
    let steps = json!([
        { "type": "send_text", "text": "Our prices are at example.com/prices" },
        { "type": "add_tag", "tag_id": pricing },
        { "type": "assign", "agent_id": ann_id },
    ]);
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/keyword-bots/{bot}"),
        Some(json!({ "steps": steps })),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["keyword_bot"]["cooldown_s"], 3600);

    let (visitor, cid) = visitor_conversation(&s, "Vic");
    say(&visitor, cid, "That was priceless advice");
    assert!(bot_messages(&admin, cid).is_empty(), "no whole word");
    say(&visitor, cid, "What is the PRICE of a box?");
    let answers = bot_messages(&admin, cid);
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0]["body"], "Our prices are at example.com/prices");
    assert_eq!(answers[0]["payload"]["bot"], "keyword");
    assert_eq!(conversation(&admin, cid)["agent_id"], ann_id);
    assert_eq!(
        conversation(&admin, cid)["status_name"],
        "waiting_for_agent",
        "a bot's answer keeps it queued"
    );
    let events = admin.get("/api/v1/events?after=0");
    let tagged = events["events"].as_array().unwrap().iter().any(|e| {
        e["kind"] == "conversation.tag_added"
            && e["conversation_id"] == cid
            && e["data"]["tag"]["label"] == "Pricing"
    });
    assert!(tagged, "the bot tagged the request: {events}");
    say(&visitor, cid, "price again, please");
    assert_eq!(
        bot_messages(&admin, cid).len(),
        1,
        "within the cool-down: no second answer"
    );

    // Any script and case; phrases as whole words.
    let (v2, cid2) = visitor_conversation(&s, "Вика");
    say(&v2, cid2, "Какая ЦЕНА?");
    assert_eq!(bot_messages(&admin, cid2).len(), 1, "ЦЕНА fires цена");
    let (v3, cid3) = visitor_conversation(&s, "Opal");
    say(&v3, cid3, "opening the hours");
    assert!(bot_messages(&admin, cid3).is_empty());
    say(&v3, cid3, "Your OPENING  hours?");
    assert_eq!(bot_messages(&admin, cid3).len(), 1);

    // Staff writing the keyword triggers nothing; a disabled bot is silent.
    ann.post(
        &format!("/api/v1/conversations/{cid3}/messages"),
        json!({ "body": "price list coming" }),
    );
    assert_eq!(bot_messages(&admin, cid3).len(), 1);
    admin.call(
        "PATCH",
        &format!("/api/v1/keyword-bots/{bot}"),
        Some(json!({ "enabled": false })),
    );
    let (v4, cid4) = visitor_conversation(&s, "Quiet");
    say(&v4, cid4, "price?");
    assert!(bot_messages(&admin, cid4).is_empty());
    let (st, _) = admin.call("DELETE", &format!("/api/v1/keyword-bots/{bot}"), None);
    assert_eq!(st, 204);
    assert!(admin.get("/api/v1/keyword-bots")["keyword_bots"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn the_menu_is_offered_once_a_choice_routes_and_unknown_input_hands_over() {
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let billing_tag = tag(&admin, "Billing");
    let billing = department(&admin, "Billing");
    admin.post(
        "/api/v1/keyword-bots",
        json!({ "name": "Prices", "keywords": ["price"], "steps": [{ "type": "send_text", "text": "Prices!" }] }),
    );
    let bad = json!({ "menu": { "enabled": true, "text": "Hi", "items": [{ "key": "1", "label": "x", "steps": [{ "type": "add_tag", "tag_id": 999 }] }] } });
    let (st, v) = admin.call("PUT", "/api/v1/settings", Some(bad));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("invalid_menu")),
        "{v}"
    );
    let menu = json!({
        "enabled": true,
        "text": "How can we help?",
        "items": [
            { "key": "1", "label": "Billing", "reply": "Billing it is.",
              "steps": [{ "type": "add_tag", "tag_id": billing_tag }, { "type": "department", "department_id": billing }] },
            { "key": "2", "label": "Talk to a person", "steps": [{ "type": "handover" }] },
        ],
        "handover_text": "An agent will be with you shortly.",
    });
    let (st, v) = admin.call("PUT", "/api/v1/settings", Some(json!({ "menu": menu })));
    assert_eq!(st, 200, "{v}");

    // A new client's first message: the menu, with buttons for the widget.
    let (visitor, cid) = visitor_conversation(&s, "Vic");
    let bots = bot_messages(&admin, cid);
    assert_eq!(bots.len(), 1, "{bots:?}");
    assert_eq!(bots[0]["body"], "How can we help?");
    assert_eq!(bots[0]["payload"]["bot"], "menu");
    assert_eq!(
        bots[0]["payload"]["menu"]["items"],
        json!([{ "key": "1", "label": "Billing" }, { "key": "2", "label": "Talk to a person" }])
    );
    say(&visitor, cid, "1");
    let bots = bot_messages(&admin, cid);
    assert_eq!(bots.len(), 2);
    assert_eq!(bots[1]["body"], "Billing it is.");
    assert_eq!(conversation(&admin, cid)["department_id"], billing);
    // (The tag it put on is checked in the next test, by its event.)
    say(&visitor, cid, "1");
    say(&visitor, cid, "price?");
    let bots = bot_messages(&admin, cid);
    assert_eq!(
        bots.len(),
        3,
        "offered once; after it, keyword bots run: {bots:?}"
    );
    assert_eq!(bots[2]["body"], "Prices!");

    // Unknown input repeats the menu once, then hands over; keyword bots
    // stay quiet while the menu waits.
    let (v2, cid2) = visitor_conversation(&s, "Wanda");
    say(&v2, cid2, "price");
    let bots = bot_messages(&admin, cid2);
    assert_eq!(bots.len(), 2, "{bots:?}");
    assert_eq!(
        bots[1]["payload"]["menu"]["items"][0]["label"], "Billing",
        "repeated"
    );
    say(&v2, cid2, "what?");
    let bots = bot_messages(&admin, cid2);
    assert_eq!(bots.len(), 3, "{bots:?}");
    assert_eq!(bots[2]["body"], "An agent will be with you shortly.");
    assert_eq!(
        conversation(&admin, cid2)["status_name"],
        "waiting_for_agent"
    );
    say(&v2, cid2, "hello?");
    assert_eq!(bot_messages(&admin, cid2).len(), 3, "the menu is done");

    // A client who has a request already is no new client.
    let cid3 = v2.post(
        "/api/v1/widget/conversations",
        json!({ "message": { "body": "another question" } }),
    )["conversation"]["id"]
        .as_i64()
        .unwrap();
    assert!(bot_messages(&admin, cid3).is_empty());

    // Other channels get the items as numbered text.
    let contact = admin.post("/api/v1/users", json!({ "first_name": "Tex" }))["user"]["id"]
        .as_i64()
        .unwrap();
    let cid4 = admin.post(
        "/api/v1/conversations",
        json!({ "user_id": contact, "source": "tg", "message": { "body": "hi", "user_id": contact } }),
    )["conversation"]["id"]
        .as_i64()
        .unwrap();
    let bots = bot_messages(&admin, cid4);
    assert_eq!(bots.len(), 1, "{bots:?}");
    assert_eq!(
        bots[0]["body"],
        "How can we help?\n1. Billing\n2. Talk to a person"
    );
}

#[test]
fn tags_put_on_by_the_menu_reach_the_request() {
    // The menu's add_tag goes through tags::tag_in: its event is staff's.
    let s = Server::start();
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let t = tag(&admin, "Billing");
    let menu = json!({ "enabled": true, "text": "Choose", "items": [
        { "key": "1", "label": "Billing", "steps": [{ "type": "add_tag", "tag_id": t }] }] });
    admin.call("PUT", "/api/v1/settings", Some(json!({ "menu": menu })));
    let (visitor, cid) = visitor_conversation(&s, "Vic");
    say(&visitor, cid, "billing");
    let events = admin.get("/api/v1/events?after=0");
    let added = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "conversation.tag_added")
        .cloned()
        .unwrap_or_else(|| panic!("no conversation.tag_added: {events}"));
    assert_eq!(added["data"]["conversation_id"], cid);
    assert_eq!(added["data"]["tag"]["label"], "Billing");
}
