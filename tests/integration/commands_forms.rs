//! Forms per category, filled in a conversation, and `/send` (issue 13,
//! ChatShipper's result processing): admin CRUD and its validation,
//! scope (a visitor fills only a form open in their own conversation),
//! required fields, `/send` with and without `meta.form`, the results
//! message and its email at a loopback SMTP server, 409 when nothing is
//! completed.

use super::harness::{Client, Server};
use super::smtp_server::{header, part, SmtpServer};
use serde_json::{json, Value};

fn test_drive() -> Value {
    json!({
        "name": "Test drive",
        "fields": [
            {"name": "model", "label": "Model", "type": "select", "required": true, "options": ["Golf", "Polo"]},
            {"name": "email", "label": "Email", "type": "email", "required": true},
            {"name": "people", "label": "People", "type": "number"},
            {"name": "agree", "label": "I agree", "type": "checkbox", "required": true},
            {"name": "notes", "label": "Notes", "type": "textarea"}
        ],
        "email_to": ["sales@example.com"]
    })
}

fn create_form(admin: &Client, form: Value) -> i64 {
    let (st, v) = admin.call("POST", "/api/v1/forms", Some(form));
    assert_eq!(st, 201, "{v}");
    v["form"]["id"].as_i64().unwrap()
}

/// A visitor's conversation: (visitor client, conversation id).
fn conversation(s: &Server, name: &str) -> (Client, i64) {
    let (visitor, _) = s.visitor(name);
    let c = visitor.post(
        "/api/v1/widget/conversations",
        json!({ "message": { "body": "I would like a test drive" } }),
    );
    (visitor, c["conversation"]["id"].as_i64().unwrap())
}

fn send(admin: &Client, cid: i64, meta: Value) -> (u16, Value) {
    admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/commands"),
        Some(json!({ "text": "/send", "meta": meta })),
    )
}

#[test]
fn forms_are_validated_listed_changed_and_deleted_by_admins() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let bad = [
        json!({"name": "", "fields": [{"name": "a"}]}),
        json!({"name": "No fields", "fields": []}),
        json!({"name": "Key", "fields": [{"name": "a b"}]}),
        json!({"name": "Twice", "fields": [{"name": "a"}, {"name": "a"}]}),
        json!({"name": "Type", "fields": [{"name": "a", "type": "date"}]}),
        json!({"name": "Select", "fields": [{"name": "a", "type": "select"}]}),
        json!({"name": "Options", "fields": [{"name": "a", "type": "text", "options": ["x"]}]}),
        json!({"name": "Mail", "fields": [{"name": "a"}], "email_to": ["not an address"]}),
        json!({"name": "Mails", "fields": [{"name": "a"}], "email_to": ["a@x.co","b@x.co","c@x.co","d@x.co","e@x.co","f@x.co"]}),
        json!({"name": "Dept", "fields": [{"name": "a"}], "department_id": 999}),
        json!({"name": "Cat", "fields": [{"name": "a"}], "category": "Used car"}),
        json!({"name": "Many", "fields": (0..31).map(|i| json!({"name": format!("f{i}")})).collect::<Vec<_>>()}),
    ];
    for b in bad {
        let (st, v) = admin.call("POST", "/api/v1/forms", Some(b.clone()));
        assert_eq!(st, 400, "{b} → {v}");
        assert!(v["error"]["code"].is_string(), "{v}");
    }
    let (st, v) = admin.call("GET", "/api/v1/forms", None);
    assert_eq!((st, v["forms"].as_array().unwrap().len()), (200, 0), "{v}");

    let id = create_form(&admin, test_drive());
    let forms = admin.get("/api/v1/forms")["forms"].clone();
    assert_eq!(forms[0]["name"], "Test drive");
    assert_eq!(forms[0]["fields"][0]["options"], json!(["Golf", "Polo"]));
    assert_eq!(forms[0]["fields"][2]["required"], false);
    // A department with no categories takes no category.
    let dept = admin.post("/api/v1/departments", json!({"name": "Sales"}))["department"]["id"]
        .as_i64()
        .unwrap();
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/forms/{id}"),
        Some(json!({"department_id": dept, "category": "Boats"})),
    );
    assert_eq!(st, 400, "{v}");
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/forms/{id}"),
        Some(json!({"name": "Proefrit", "department_id": dept})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (&v["form"]["name"], &v["form"]["department_id"]),
        (&json!("Proefrit"), &json!(dept))
    );
    assert_eq!(v["form"]["fields"].as_array().unwrap().len(), 5);

    // Agents neither list nor write forms.
    let t = admin.post("/api/v1/tokens", json!({"name": "desk", "role": "agent"}));
    let agent = s.client(t["token"]["secret"].as_str().unwrap());
    assert_eq!(agent.call("GET", "/api/v1/forms", None).0, 403);
    assert_eq!(
        agent.call("POST", "/api/v1/forms", Some(test_drive())).0,
        403
    );

    let (st, _) = admin.call("DELETE", &format!("/api/v1/forms/{id}"), None);
    assert_eq!(st, 204);
    assert_eq!(
        admin.call("DELETE", &format!("/api/v1/forms/{id}"), None).0,
        404
    );
    assert!(admin.get("/api/v1/forms")["forms"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn a_form_is_offered_opened_and_filled_only_in_its_own_conversation() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let form = create_form(&admin, test_drive());
    let dept = admin.post("/api/v1/departments", json!({"name": "Boats"}))["department"]["id"]
        .as_i64()
        .unwrap();
    let boats = create_form(
        &admin,
        json!({"name": "Boat", "department_id": dept, "fields": [{"name": "length", "type": "number"}]}),
    );
    let (visitor, cid) = conversation(&s, "Vera");
    let (other, other_cid) = conversation(&s, "Otto");

    // Offered: the form for every department, not the Boats one.
    let v = admin.get(&format!("/api/v1/conversations/{cid}/forms"));
    let names: Vec<_> = v["forms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["form"]["name"].clone())
        .collect();
    assert_eq!(names, vec![json!("Test drive")], "{v}");
    assert_eq!(v["forms"][0]["open"], false);
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/forms/{boats}"),
        None,
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("form_not_offered")),
        "{v}"
    );

    // Not open yet: 404 for the visitor and the agent alike.
    let put = |c: &Client, path: String, answers: Value| {
        c.call("PUT", &path, Some(json!({ "answers": answers })))
    };
    let wpath = |c: i64| format!("/api/v1/widget/conversations/{c}/forms/{form}");
    let (st, v) = put(&visitor, wpath(cid), json!({"model": "Golf"}));
    assert_eq!(st, 404, "{v}");
    let (st, _) = put(
        &admin,
        format!("/api/v1/conversations/{cid}/forms/{form}"),
        json!({"model": "Golf"}),
    );
    assert_eq!(st, 404);

    // Opened: a message of type form the visitor reads, and the form card.
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/forms/{form}"),
        None,
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["message"]["payload"]["type"], "form");
    assert_eq!(v["message"]["payload"]["form"]["id"], form);
    assert_eq!(
        v["message"]["payload"]["form"]["fields"][0]["name"],
        "model"
    );
    assert!(
        v["message"]["payload"]["form"].get("email_to").is_none(),
        "{v}"
    );
    assert_eq!(v["message"]["private"], false);
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/forms/{form}"),
        None,
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("form_already_open"))
    );
    let history = visitor.get(&format!("/api/v1/widget/conversations/{cid}/messages"));
    assert!(
        history["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["payload"]["type"] == "form"),
        "{history}"
    );

    // Another visitor cannot fill it, through their own conversation or this one.
    assert_eq!(put(&other, wpath(cid), json!({"model": "Golf"})).0, 404);
    assert_eq!(
        put(&other, wpath(other_cid), json!({"model": "Golf"})).0,
        404
    );
    assert!(
        other
            .call(
                "GET",
                &format!("/api/v1/widget/conversations/{cid}/forms"),
                None
            )
            .0
            == 404
    );
    // Visitors cannot open forms nor read the staff route.
    assert_eq!(
        visitor
            .call(
                "POST",
                &format!("/api/v1/conversations/{cid}/forms/{form}"),
                None
            )
            .0,
        403
    );

    // Answers are checked against the fields.
    for bad in [
        json!({"nope": "x"}),
        json!({"model": "Beetle"}),
        json!({"email": "not-an-address"}),
        json!({"people": "many"}),
        json!({"agree": "yes"}),
    ] {
        let (st, v) = put(&visitor, wpath(cid), bad.clone());
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (400, Some("invalid_answers")),
            "{bad}: {v}"
        );
    }

    // Required fields: completed only when all are there.
    let (st, v) = put(
        &visitor,
        wpath(cid),
        json!({"model": "Golf", "people": "3", "agree": false}),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["form"]["completed"], false);
    assert_eq!(v["form"]["answers"]["people"], 3);
    assert_eq!(v["form"]["missing"], json!(["Email", "I agree"]));
    // The agent fills in the rest.
    let (st, v) = put(
        &admin,
        format!("/api/v1/conversations/{cid}/forms/{form}"),
        json!({"email": "vera@example.com"}),
    );
    assert_eq!((st, &v["form"]["completed"]), (200, &json!(false)), "{v}");
    let (_, v) = put(&visitor, wpath(cid), json!({"agree": true}));
    assert_eq!(v["form"]["completed"], true, "{v}");
    let mine = visitor.get(&format!("/api/v1/widget/conversations/{cid}/forms"));
    assert_eq!(mine["forms"][0]["completed"], true, "{mine}");
    assert_eq!(mine["forms"][0]["answers"]["model"], "Golf");
    assert!(mine["forms"][0]["form"].get("email_to").is_none());
    let staff = admin.get(&format!("/api/v1/conversations/{cid}/forms"));
    assert_eq!(staff["forms"][0]["open"], true);
    assert_eq!(staff["forms"][0]["answers"]["email"], "vera@example.com");

    // Each change was an event (conversation.form) the visitor sees too.
    let events = visitor.get("/api/v1/events?after=0");
    let forms: Vec<_> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "conversation.form")
        .collect();
    assert!(forms.len() >= 4, "{events}");
    assert_eq!(forms.last().unwrap()["data"]["completed"], true, "{events}");
}

#[test]
fn send_moves_completed_forms_into_results_posts_one_note_and_emails_them() {
    let smtp = SmtpServer::start();
    let s = Server::start_with(&[("FRONTPORCH_RETRY_BASE_MS", "200")]);
    let admin = s.client(&s.admin_token());
    let (st, v) = admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({ "email.smtp": smtp.setting(), "email.notifications": { "agents": false } })),
    );
    assert_eq!(st, 200, "{v}");
    let drive = create_form(&admin, test_drive());
    let survey = create_form(
        &admin,
        json!({"name": "Survey", "fields": [{"name": "score", "label": "Score", "type": "number", "required": true}]}),
    );
    let callback = create_form(
        &admin,
        json!({"name": "Callback", "fields": [{"name": "phone", "label": "Phone", "required": true}]}),
    );
    let (visitor, cid) = conversation(&s, "Vera");
    let fill = |form: i64, answers: Value| {
        admin.post(
            &format!("/api/v1/conversations/{cid}/forms/{form}"),
            json!({}),
        );
        let (st, v) = admin.call(
            "PUT",
            &format!("/api/v1/conversations/{cid}/forms/{form}"),
            Some(json!({ "answers": answers })),
        );
        assert_eq!(st, 200, "{v}");
        v["form"]["completed"].as_bool().unwrap()
    };

    // Nothing completed: 409, nothing stored.
    let (st, v) = send(&admin, cid, json!({}));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("no_completed_forms")),
        "{v}"
    );
    assert!(fill(
        drive,
        json!({"model": "Polo", "email": "vera@example.com", "agree": true, "notes": "Saturday <b>morning</b>"})
    ));
    assert!(fill(survey, json!({"score": 9})));
    assert!(!fill(callback, json!({"phone": null})));

    // meta.form names one: an incomplete or unknown form is 409.
    let (st, v) = send(&admin, cid, json!({"form": callback}));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("form_not_completed")),
        "{v}"
    );
    let (st, v) = send(&admin, cid, json!({"form": "99999"}));
    assert_eq!(st, 409, "{v}");
    let (st, _) = send(&admin, cid, json!({"form": [1]}));
    assert_eq!(st, 400);
    let notes = |c: &Client| {
        c.get(&format!("/api/v1/conversations/{cid}/messages"))["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["payload"]["type"] == "results" || m["payload"]["command"] == "send")
            .count()
    };
    assert_eq!(notes(&admin), 0, "a failed /send stores nothing");

    // /v2 with meta.form as ChatShipper's string id: only the survey.
    let (st, v) = admin.call(
        "POST",
        &format!("/v2/conversations/{cid}/messages"),
        Some(json!({"type": "command", "text": "/send", "meta": {"form": survey.to_string()}})),
    );
    assert_eq!(st, 201, "{v}");
    let state = admin.get(&format!("/api/v1/conversations/{cid}/forms"));
    let results = state["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{state}");
    assert_eq!(
        (&results[0]["name"], &results[0]["values"]),
        (&json!("Survey"), &json!({"score": 9}))
    );
    let open: Vec<_> = state["forms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["open"] == true)
        .map(|f| f["form"]["id"].clone())
        .collect();
    assert_eq!(open, vec![json!(callback), json!(drive)], "{state}");

    // Without meta.form: every completed one (the test drive), not the callback.
    let (st, v) = send(&admin, cid, json!({}));
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["command"]["payload"]["command"], "send");
    assert_eq!(v["command"]["private"], true);
    let posted = &v["posted"][0];
    assert_eq!(posted["payload"]["type"], "results");
    assert_eq!(posted["private"], true, "results are for the agents");
    assert_eq!(
        posted["payload"]["results"],
        json!([{"name": "Test drive", "values": {"model": "Polo", "email": "vera@example.com", "agree": true, "notes": "Saturday <b>morning</b>"}}])
    );
    assert_eq!(
        posted["body"],
        "Test drive\nModel: Polo\nEmail: vera@example.com\nI agree: yes\nNotes: Saturday <b>morning</b>"
    );
    assert_eq!(v["result"]["emailed"], 1);
    let state = admin.get(&format!("/api/v1/conversations/{cid}/forms"));
    assert_eq!(state["results"].as_array().unwrap().len(), 2);
    assert_eq!(state["results"][1]["message_id"], posted["id"]);
    let open: Vec<_> = state["forms"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["open"] == true)
        .collect();
    assert_eq!(open.len(), 1, "only the callback stays open: {state}");
    // Sent: the visitor cannot change it any more; nothing left to send.
    let (st, _) = visitor.call(
        "PUT",
        &format!("/api/v1/widget/conversations/{cid}/forms/{drive}"),
        Some(json!({"answers": {"model": "Golf"}})),
    );
    assert_eq!(st, 404);
    assert_eq!(send(&admin, cid, json!({})).0, 409);
    // The visitor never sees the results or the command.
    let theirs = visitor.get(&format!("/api/v1/widget/conversations/{cid}/messages"));
    assert!(
        !theirs["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["payload"]["type"] == "results" || m["payload"]["type"] == "command"),
        "{theirs}"
    );
    // The event.
    let events = admin.get("/api/v1/events?after=0");
    assert!(
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "conversation.results"
                && e["data"]["results"][0]["name"] == "Test drive"),
        "{events}"
    );

    // The emails: the survey has no address, the test drive's went to sales.
    let m = &smtp.wait_for(1)[0];
    assert_eq!(m["rcpt_tos"], json!(["sales@example.com"]));
    assert_eq!(
        header(m, "Subject").unwrap(),
        format!("Form results: Test drive (conversation #{cid})")
    );
    let text = part(m, "text/plain").unwrap()["text"].as_str().unwrap();
    assert!(
        text.contains("Model: Polo") && text.contains("Notes: Saturday <b>morning</b>"),
        "{text}"
    );
    assert!(
        header(m, "Auto-Submitted").is_some(),
        "an automatic mail: {m}"
    );
    let queued = admin.get("/api/v1/email/deliveries")["deliveries"].clone();
    assert_eq!(queued.as_array().unwrap().len(), 1, "{queued}");
}

#[test]
fn send_without_smtp_keeps_results_and_emails_nothing() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let form = create_form(&admin, test_drive());
    let (_, cid) = conversation(&s, "Vera");
    admin.post(
        &format!("/api/v1/conversations/{cid}/forms/{form}"),
        json!({}),
    );
    admin.call(
        "PUT",
        &format!("/api/v1/conversations/{cid}/forms/{form}"),
        Some(json!({"answers": {"model": "Golf", "email": "v@example.com", "agree": true}})),
    );
    let (st, v) = send(&admin, cid, json!({"form": form}));
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["result"]["emailed"], 0);
    assert_eq!(v["result"]["results"][0]["values"]["model"], "Golf");
    assert_eq!(
        admin.get("/api/v1/email/deliveries")["deliveries"],
        json!([])
    );

    // Typed into the composer, /send runs too (and is kept as a note).
    admin.post(
        &format!("/api/v1/conversations/{cid}/forms/{form}"),
        json!({}),
    );
    admin.call(
        "PUT",
        &format!("/api/v1/conversations/{cid}/forms/{form}"),
        Some(json!({"answers": {"model": "Polo", "email": "v@example.com", "agree": true}})),
    );
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/messages"),
        Some(json!({"body": "/send"})),
    );
    assert_eq!(st, 201, "{v}");
    let state = admin.get(&format!("/api/v1/conversations/{cid}/forms"));
    let names: Vec<_> = state["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["values"]["model"].clone())
        .collect();
    assert_eq!(names, vec![json!("Golf"), json!("Polo")], "{state}");
    let (st, v) = admin.call(
        "POST",
        &format!("/api/v1/conversations/{cid}/messages"),
        Some(json!({"body": "/send"})),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (409, Some("no_completed_forms")),
        "{v}"
    );
}
