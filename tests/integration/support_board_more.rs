//! The Support Board functions beyond users and messages, driven as its PHP
//! client does: knowledge base, automations, reports, logins, files,
//! formatting, realtime triggers and housekeeping.

use crate::harness::*;
use crate::support_board::{sb_with, Sb};
use serde_json::{json, Value};

/// Fails unless the call answers `{"success": false, "response": code}`.
fn fails_with(s: &Server, t: &str, pairs: &[(&str, &str)], code: &str) {
    let v = sb_with(s, t, pairs);
    assert_eq!(
        (v["success"].as_bool(), v["response"].as_str()),
        (Some(false), Some(code)),
        "{pairs:?}: {v}"
    );
}

fn fetch(s: &Server, url: &str) -> (u16, String, String) {
    let path = url.strip_prefix("https://chat.example.com").unwrap_or(url);
    let resp = agent().get(s.url(path)).call().unwrap();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (
        resp.status().as_u16(),
        ct,
        resp.into_body().read_to_string().unwrap(),
    )
}

#[test]
fn articles_categories_translations_search_and_ratings() {
    let s = Sb::start(&[]);
    let t = s.t();

    assert_eq!(s.call(&[("function", "get-articles")]), json!([]));
    let long = "The API V2 is the new iteration of our developer API. ".repeat(4);
    let articles = json!([
        {"id": "6P2Oq", "title": "What's new with the API V2?", "content": long, "link": "https://example.com/v2", "categories": ["K92kl"]},
        {"id": "", "title": "Should I move to the new system?", "content": "Yes. The newest version of the Actions is faster.", "link": "", "categories": ["ols85"]}
    ]);
    let translations = json!({"fr": [{"id": "6P2Oq", "title": "Quoi de neuf avec l'API V2 ?", "content": "L'API V2 est la nouvelle version.", "link": "", "categories": ["K92kl"]}]});
    assert_eq!(
        s.call(&[
            ("function", "save-articles"),
            ("articles", &articles.to_string()),
            ("translations", &translations.to_string()),
        ]),
        true
    );
    let list = s.call(&[("function", "get-articles")]);
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert_eq!(list[0]["id"], "6P2Oq");
    assert_eq!(list[0]["link"], "https://example.com/v2");
    assert_eq!(list[0]["categories"], json!(["K92kl"]));
    let short = list[0]["content"].as_str().unwrap();
    assert!(
        short.ends_with(" ...") && short.len() < long.len(),
        "{short}"
    );
    let new_id = list[1]["id"].as_str().unwrap().to_string();
    assert_eq!(new_id.len(), 5, "an id is made for a new article");
    let full = s.call(&[("function", "get-articles"), ("full", "true")]);
    assert_eq!(full[0]["content"], long.as_str());
    let one = s.call(&[("function", "get-articles"), ("id", "6P2Oq")]);
    assert_eq!(one["title"], "What's new with the API V2?");
    assert_eq!(one["content"], long.as_str());
    assert_eq!(
        s.call(&[("function", "get-articles"), ("id", "nope1")]),
        false
    );
    assert_eq!(
        s.call(&[("function", "get-articles"), ("count", "1")])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // A translation where there is one, the default language elsewhere.
    let fr = s.call(&[("function", "get-articles"), ("articles_language", "fr")]);
    assert_eq!(fr[0]["title"], "Quoi de neuf avec l'API V2 ?");
    assert_eq!(fr[1]["title"], "Should I move to the new system?");
    let all = s.call(&[("function", "get-articles"), ("articles_language", "all")]);
    assert_eq!(all.as_array().unwrap().len(), 3);
    // PHP's false is "not given": the default language.
    let default = s.call(&[("function", "get-articles"), ("articles_language", "false")]);
    assert_eq!(default.as_array().unwrap().len(), 2);
    assert_eq!(default[1]["title"], "Should I move to the new system?");

    // Categories, and articles by category.
    let cats = json!([{"id": "K92kl", "title": "Business"}, {"id": "ols85", "title": "Travel And Tourism"}]);
    assert_eq!(
        s.call(&[
            ("function", "save-articles-categories"),
            ("categories", &cats.to_string())
        ]),
        true
    );
    assert_eq!(s.call(&[("function", "get-articles-categories")]), cats);
    let both = s.call(&[("function", "get-articles"), ("categories", "true")]);
    assert_eq!(both[1], cats);
    assert_eq!(both[0].as_array().unwrap().len(), 2);
    let travel = s.call(&[("function", "get-articles"), ("categories", "ols85")]);
    assert_eq!(travel.as_array().unwrap().len(), 1);
    assert_eq!(travel[0]["id"], new_id.as_str());

    // Full-text search over titles and contents, by language.
    let found = s.call(&[
        ("function", "search-articles"),
        ("search", "newest actions"),
    ]);
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found[0]["id"], new_id.as_str());
    let found = s.call(&[
        ("function", "search-articles"),
        ("search", "nouvelle"),
        ("articles_language", "fr"),
    ]);
    assert_eq!(found[0]["title"], "Quoi de neuf avec l'API V2 ?");
    assert_eq!(
        s.call(&[("function", "search-articles"), ("search", "zebra")]),
        json!([])
    );

    // Ratings: added, then read back as the seed's JSON string.
    for r in ["1", "0", "1"] {
        assert_eq!(
            s.call(&[
                ("function", "article-ratings"),
                ("article_id", "6P2Oq"),
                ("rating", r)
            ]),
            true
        );
    }
    assert_eq!(
        s.call(&[("function", "article-ratings"), ("article_id", "6P2Oq")]),
        "[1, -1, 1]"
    );
    fails_with(
        &s,
        t,
        &[
            ("function", "article-ratings"),
            ("article_id", "nope1"),
            ("rating", "1"),
        ],
        "article-not-found",
    );

    // Bad input changes nothing.
    fails_with(
        &s,
        t,
        &[
            ("function", "save-articles"),
            ("articles", r#"[{"id": "x", "title": ""}]"#),
        ],
        "missing-title",
    );
    fails_with(
        &s,
        t,
        &[
            ("function", "save-articles"),
            (
                "articles",
                r#"[{"title": "a", "link": "javascript:alert(1)"}]"#,
            ),
        ],
        "invalid-link",
    );
    fails_with(
        &s,
        t,
        &[("function", "save-articles"), ("articles", r#""nope""#)],
        "invalid-articles",
    );
    assert_eq!(
        s.call(&[("function", "get-articles")])
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Searches and views feed the reports.
    let searches = s.call(&[("function", "reports"), ("name", "articles-searches")]);
    assert_eq!(searches["data"]["newest actions"], json!([1]), "{searches}");
    let views = s.call(&[("function", "reports"), ("name", "articles-views-single")]);
    assert_eq!(
        views["data"]["What's new with the API V2?"],
        json!([1]),
        "{views}"
    );
    let ratings = s.call(&[("function", "reports"), ("name", "articles-ratings")]);
    assert_eq!(
        ratings["data"]["What's new with the API V2?"],
        json!([2, 1])
    );

    // An id is kept as given (even one containing "null"); a null id gets a new one.
    s.call(&[
        ("function", "save-articles-categories"),
        (
            "categories",
            r#"[{"id": "nullable", "title": "Keep"}, {"id": null, "title": "New"}]"#,
        ),
    ]);
    let cats = s.call(&[("function", "get-articles-categories")]);
    assert_eq!(cats[0]["id"], "nullable");
    assert_eq!(cats[1]["id"].as_str().unwrap().len(), 5, "{cats}");
}

#[test]
fn automations_are_saved_validated_and_run() {
    let s = Sb::start(&[]);
    let t = s.t();
    let rest = s.client(t);

    let automations = json!({
        "messages": [
            {"id": "y6hNE", "name": "Welcome users", "message": "Welcome back!",
             "conditions": [["user_type", "is-user"], ["datetime", "is-between", "01/01/2000 - 31/12/2999"]]},
            {"id": "old01", "name": "Expired", "message": "Too late", "conditions": [["datetime", "is-exactly", "13/04/2021"]]}
        ],
        "emails": [{"id": "0BOaG", "name": "Mail", "message": "Hi", "subject": "Hello",
                    "conditions": [["user_type", "is-user"]]}],
        "popups": [{"id": "ckN24", "name": "s", "message": "Pop", "title": "Offer",
                    "conditions": [["include_urls", "contains", "https://example.com"]]}]
    });
    let translations = json!({"fr": {"messages": [{"id": "y6hNE", "name": "Bienvenue", "message": "Bon retour !",
        "conditions": [["user_type", "is-user"]]}]}});
    assert_eq!(
        s.call(&[
            ("function", "automations-save"),
            ("automations", &automations.to_string()),
            ("translations", &translations.to_string()),
        ]),
        true
    );
    let got = s.call(&[("function", "automations-get")]);
    assert_eq!(got[0]["messages"][0]["id"], "y6hNE");
    assert_eq!(got[0]["messages"][0]["message"], "Welcome back!");
    assert_eq!(got[0]["sms"], json!([]));
    assert_eq!(got[0]["design"], json!([]));
    assert_eq!(got[0]["popups"][0]["title"], "Offer");
    assert_eq!(got[1]["fr"]["messages"][0]["message"], "Bon retour !");

    // Unknown conditions and types are refused; nothing changes.
    fails_with(
        &s,
        t,
        &[
            ("function", "automations-save"),
            (
                "automations",
                r#"{"messages": [{"name": "x", "message": "y", "conditions": [["moon_phase", "full"]]}]}"#,
            ),
        ],
        "invalid-condition",
    );
    fails_with(
        &s,
        t,
        &[
            ("function", "automations-save"),
            ("automations", r#"{"faxes": []}"#),
        ],
        "invalid-automation-type",
    );
    assert_eq!(
        s.call(&[("function", "automations-get")])[0]["messages"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let user = s
        .call(&[
            ("function", "add-user"),
            ("first_name", "Ann"),
            ("email", "ann@example.com"),
            ("user_type", "user"),
        ])
        .as_i64()
        .unwrap()
        .to_string();
    let visitor = s
        .call(&[("function", "add-user"), ("first_name", "Vic")])
        .as_i64()
        .unwrap()
        .to_string();

    // Validation: client-side conditions come back; failing ones give false.
    let welcome = automations["messages"][0].to_string();
    let v = s.call(&[
        ("function", "automations-validate"),
        ("automation", &welcome),
    ]);
    assert_eq!(
        v,
        json!({"conditions": [["user_type", "is-user"]], "repeat_id": ""}),
        "without a user, the user's type is checked later"
    );
    let v = s.call(&[
        ("function", "automations-validate"),
        ("automation", &welcome),
        ("user_id", &user),
    ]);
    assert_eq!(v, json!({"conditions": [], "repeat_id": ""}));
    assert_eq!(
        s.call(&[
            ("function", "automations-validate"),
            ("automation", &welcome),
            ("user_id", &visitor)
        ]),
        false
    );
    assert_eq!(
        s.call(&[
            ("function", "automations-validate"),
            ("automation", &automations["messages"][1].to_string())
        ]),
        false
    );

    // Running: the message reaches the user's conversation, once.
    assert_eq!(
        s.call(&[
            ("function", "automations-run"),
            ("automation", &welcome),
            ("user_id", &user),
            ("validate", "true"),
        ]),
        true
    );
    let convs = rest.get(&format!("/api/v1/conversations?user_id={user}"));
    let cid = convs["conversations"][0]["id"].as_i64().unwrap();
    let msgs = rest.get(&format!("/api/v1/conversations/{cid}/messages"));
    assert_eq!(msgs["messages"][0]["body"], "Welcome back!", "{msgs}");
    assert_eq!(
        s.call(&[
            ("function", "automations-validate"),
            ("automation", &welcome),
            ("user_id", &user)
        ]),
        false,
        "it already ran for this user"
    );
    assert_eq!(
        s.call(&[
            ("function", "automations-run"),
            ("automation", &welcome),
            ("user_id", &user),
            ("validate", "true"),
        ]),
        false
    );
    // Emails need a provider: a clear error, not a pretend success.
    fails_with(
        &s,
        t,
        &[
            ("function", "automations-run"),
            ("automation", &automations["emails"][0].to_string()),
            ("user_id", &user),
        ],
        "email-not-configured",
    );

    // run-all for a French user: the French message runs; the pop-up (and
    // the email waiting for its provider) are returned for later.
    let fr_user = s
        .call(&[
            ("function", "add-user"),
            ("first_name", "Élise"),
            ("email", "elise@example.com"),
            ("user_type", "user"),
            ("extra[language][0]", "fr"),
            ("extra[language][1]", "Language"),
        ])
        .as_i64()
        .unwrap()
        .to_string();
    let pending = s.call(&[("function", "automations-run-all"), ("user_id", &fr_user)]);
    let types: Vec<&str> = pending
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["emails", "popups"], "{pending}");
    assert_eq!(
        pending[1]["conditions"],
        json!([["include_urls", "contains", "https://example.com"]])
    );
    let convs = rest.get(&format!("/api/v1/conversations?user_id={fr_user}"));
    let cid = convs["conversations"][0]["id"].as_i64().unwrap();
    let msgs = rest.get(&format!("/api/v1/conversations/{cid}/messages"));
    assert_eq!(msgs["messages"][0]["body"], "Bon retour !");
    let report = s.call(&[("function", "reports"), ("name", "message-automations")]);
    let total: i64 = report["data"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v[0].as_i64().unwrap())
        .sum();
    assert_eq!(total, 2, "{report}");
    fails_with(
        &s,
        t,
        &[("function", "automations-run"), ("user_id", &user)],
        "invalid-automation",
    );

    // `repeat`: once per period, not once for ever.
    let hourly =
        json!({"id": "hour1", "type": "messages", "name": "Hourly", "message": "Still there?",
                        "conditions": [["repeat", "every-hour"]]})
        .to_string();
    let run = || {
        s.call(&[
            ("function", "automations-run"),
            ("automation", &hourly),
            ("user_id", &user),
            ("validate", "true"),
        ])
    };
    assert_eq!(run(), true);
    assert_eq!(run(), false, "not again within the hour");
    {
        let db = rusqlite::Connection::open(s.data.join("frontporch.db")).unwrap();
        db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        db.execute(
            "UPDATE automation_runs SET created_at = created_at - 7200000 WHERE automation_id = 'hour1'",
            [],
        )
        .unwrap();
    }
    assert_eq!(run(), true, "an hour later it runs again");
}

/// The `dd/mm/yyyy` label of an RFC 3339 time's date moved by `shift`
/// days (-1, 0 or 1).
fn day_label(rfc3339: &str, shift: i64) -> String {
    let (mut y, mut m, mut d): (i64, i64, i64) = (
        rfc3339[0..4].parse().unwrap(),
        rfc3339[5..7].parse().unwrap(),
        rfc3339[8..10].parse().unwrap(),
    );
    let len = |y: i64, m: i64| {
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
        [
            31,
            if leap { 29 } else { 28 },
            31,
            30,
            31,
            30,
            31,
            31,
            30,
            31,
            30,
            31,
        ][(m - 1) as usize]
    };
    d += shift;
    if d > len(y, m) {
        (d, m) = (1, m + 1);
        if m > 12 {
            (m, y) = (1, y + 1);
        }
    } else if d < 1 {
        (m, y) = if m == 1 { (12, y - 1) } else { (m - 1, y) };
        d = len(y, m);
    }
    format!("{d:02}/{m:02}/{y}")
}

#[test]
fn reports_count_real_activity() {
    let s = Sb::start(&[]);
    let t = s.t();
    // The conversation's own creation time names today's bucket, in UTC
    // and in a zone where it is another day (11 hours behind or 14 ahead).
    let (today, zone, zone_day) = {
        let (visitor, _) = s.visitor("Rita");
        let c = visitor.post(
            "/api/v1/widget/conversations",
            json!({"message": {"body": "Is anyone there?"}}),
        );
        let at = c["conversation"]["created_at"]
            .as_str()
            .unwrap()
            .to_string();
        let hour: i64 = at[11..13].parse().unwrap();
        let (zone, shift) = if hour < 11 {
            ("Pacific/Pago_Pago", -1)
        } else {
            ("Pacific/Kiritimati", 1)
        };
        (day_label(&at, 0), zone, day_label(&at, shift))
    };
    // A second conversation, answered by an agent (the admin, logged in).
    let agent_session = s.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    let (visitor, _) = s.visitor("Sam");
    let c = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "Hello"}}),
    );
    let cid = c["conversation"]["id"].as_i64().unwrap();
    agent_session.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({"body": "Hi Sam"}),
    );
    s.call(&[
        ("function", "set-rating"),
        ("settings[conversation_id]", &cid.to_string()),
        ("settings[rating]", "1"),
    ]);

    let r = s.call(&[("function", "reports"), ("name", "conversations")]);
    assert_eq!(r["title"], "Conversations count");
    assert_eq!(r["table"], json!(["Date", "Count"]));
    assert_eq!(r["chart_type"], "line");
    assert_eq!(r["data"].as_object().unwrap().len(), 30, "the last 30 days");
    assert_eq!(
        r["data"].as_object().unwrap().keys().next_back(),
        Some(&today),
        "in date order, today last"
    );
    assert_eq!(r["data"][&today], json!([2]), "{r}");
    let r = s.call(&[("function", "reports"), ("name", "missed-conversations")]);
    assert_eq!(r["data"][&today], json!([1]));
    let r = s.call(&[("function", "reports"), ("name", "visitors")]);
    assert_eq!(r["data"][&today], json!([2]));
    let r = s.call(&[("function", "reports"), ("name", "agents-conversations")]);
    assert_eq!(
        r["data"].as_object().unwrap().values().next(),
        Some(&json!([1])),
        "{r}"
    );
    let r = s.call(&[("function", "reports"), ("name", "agents-response-time")]);
    assert_eq!(r["label_type"], 2);
    assert_eq!(r["data"].as_object().unwrap().len(), 1);
    let r = s.call(&[("function", "reports"), ("name", "agents-ratings")]);
    let me = agent_session.get("/api/v1/me");
    let name = format!(
        "{} {}",
        me["user"]["first_name"].as_str().unwrap(),
        me["user"]["last_name"].as_str().unwrap()
    );
    assert_eq!(
        r["data"],
        json!({ name.trim(): [1, 0] }),
        "the agent who replied gets the rating"
    );
    // get-rating counts it the same way.
    let admin_id = me["user"]["id"].as_i64().unwrap().to_string();
    assert_eq!(
        s.call(&[("function", "get-rating"), ("user_id", &admin_id)]),
        json!([1, 0])
    );

    // Days in the caller's time zone.
    let r = s.call(&[
        ("function", "reports"),
        ("name", "conversations"),
        ("timezone", zone),
    ]);
    assert_eq!(r["data"][&zone_day], json!([2]), "{zone}: {r}");
    fails_with(
        &s,
        t,
        &[
            ("function", "reports"),
            ("name", "conversations"),
            ("timezone", "Mars/Olympus_Mons"),
        ],
        "invalid-timezone",
    );

    // A range in either date form; months beyond three months.
    let r = s.call(&[
        ("function", "reports"),
        ("name", "conversations"),
        ("date_start", "2020-01-01"),
        ("date_end", "31/12/2020"),
    ]);
    assert_eq!(r["data"].as_object().unwrap().len(), 12);
    assert_eq!(r["data"]["03/2020"], json!([0]));

    // reports-update rows count in their report.
    assert_eq!(
        s.call(&[
            ("function", "reports-update"),
            ("name", "follow-up"),
            ("value", "ann@example.com")
        ]),
        true
    );
    let r = s.call(&[("function", "reports"), ("name", "follow-up")]);
    assert_eq!(r["data"][&today], json!([1]));
    // Direct messages are counted too.
    let uid = s
        .call(&[("function", "add-user"), ("first_name", "Dee")])
        .as_i64()
        .unwrap()
        .to_string();
    s.call(&[
        ("function", "direct-message"),
        ("user_ids", &format!("[{uid}]")),
        ("message", "Hello Dee"),
    ]);
    let r = s.call(&[("function", "reports"), ("name", "direct-messages")]);
    assert_eq!(r["data"][&today], json!([1]));

    fails_with(
        &s,
        t,
        &[("function", "reports"), ("name", "weather")],
        "invalid-report",
    );
    fails_with(
        &s,
        t,
        &[
            ("function", "reports"),
            ("name", "visitors"),
            ("date_start", "1970-01-01"),
            ("date_end", "9999-12-31"),
        ],
        "invalid-date",
    );
    fails_with(
        &s,
        t,
        &[
            ("function", "reports"),
            ("name", "conversations"),
            ("date_start", "31/02/2024"),
        ],
        "invalid-date",
    );
    fails_with(
        &s,
        t,
        &[("function", "reports-update"), ("name", "nope")],
        "invalid-report",
    );
}

#[test]
fn logins_files_formatting_triggers_and_housekeeping() {
    let s = Sb::start(&[
        ("FRONTPORCH_PUBLIC_URL", "https://chat.example.com"),
        ("FRONTPORCH_POLL_SECONDS", "5"),
    ]);
    let t = s.t();
    let admin = s.client(t);

    // login with email and password gives a visitor token the widget API takes.
    let uid = s
        .call(&[
            ("function", "add-user"),
            ("first_name", "Don"),
            ("last_name", "John"),
            ("email", "don@example.com"),
            ("password", "correct horse"),
            ("user_type", "user"),
        ])
        .as_i64()
        .unwrap();
    assert_eq!(
        s.call(&[
            ("function", "login"),
            ("email", "don@example.com"),
            ("password", "wrong password")
        ]),
        false
    );
    let v = s.call(&[
        ("function", "login"),
        ("email", "don@example.com"),
        ("password", "correct horse"),
    ]);
    assert_eq!(v[0]["id"], uid.to_string());
    assert_eq!(v[0]["user_type"], "user");
    let login = v[1].as_str().unwrap().to_string();
    assert_eq!(v[0]["token"], login.as_str());
    let me = s.client(&login).get("/api/v1/widget/me");
    assert_eq!(me["user"]["id"], uid, "{me}");
    // user_id logins are vouched for by the admin token.
    let v = s.call(&[("function", "login"), ("user_id", &uid.to_string())]);
    assert_eq!(v[0]["email"], "don@example.com");
    // update-login rewrites the logged-in user's details.
    assert_eq!(
        s.call(&[
            ("function", "update-login"),
            ("login", &login),
            ("first_name", "Donald"),
            ("last_name", "Johnson"),
            ("email", "donald@example.com"),
        ]),
        login.as_str()
    );
    let u = s.call(&[("function", "get-user"), ("user_id", &uid.to_string())]);
    assert_eq!(
        (u["first_name"].as_str(), u["email"].as_str()),
        (Some("Donald"), Some("donald@example.com"))
    );
    fails_with(
        &s,
        t,
        &[("function", "update-login"), ("login", "bogus")],
        "invalid-login",
    );
    assert_eq!(s.call(&[("function", "logout"), ("login", &login)]), true);
    let (st, _) = s.client(&login).call("GET", "/api/v1/widget/me", None);
    assert_eq!(st, 401, "the login ended");

    // csv-users: a file at an unguessable URL, formulas defused.
    s.call(&[
        ("function", "add-user"),
        ("first_name", "=HYPERLINK(\"x\")"),
        ("extra[city][0]", "London"),
        ("extra[city][1]", "City"),
    ]);
    let url = s.call(&[("function", "csv-users")]);
    let url = url.as_str().unwrap();
    assert!(
        url.starts_with("https://chat.example.com/uploads/")
            && url.contains("&sig=")
            && url.split('?').next().unwrap().ends_with("/users.csv"),
        "{url}"
    );
    let (st, ct, body) = fetch(&s, url);
    assert_eq!((st, ct.as_str()), (200, "text/csv"));
    assert!(body.starts_with("\"id\",\"first_name\""), "{body}");
    assert!(
        body.contains("\"city\"") && body.contains("\"London\""),
        "{body}"
    );
    assert!(body.contains("\"'=HYPERLINK(\"\"x\"\")\""), "{body}");
    assert!(body.contains("donald@example.com"));

    // export-settings, change a setting, import-settings puts it back.
    admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({"widget.greeting": "Hello there"})),
    );
    let url = s.call(&[("function", "export-settings")]);
    let url = url.as_str().unwrap().to_string();
    let (_, _, body) = fetch(&s, &url);
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["settings"]["widget.greeting"], "Hello there");
    admin.call(
        "PUT",
        "/api/v1/settings",
        Some(json!({"widget.greeting": "Changed"})),
    );
    assert_eq!(
        s.call(&[("function", "import-settings"), ("file_url", &url)]),
        true
    );
    assert_eq!(
        s.call(&[("function", "get-setting"), ("setting", "widget.greeting")]),
        "Hello there"
    );
    fails_with(
        &s,
        t,
        &[
            ("function", "import-settings"),
            ("file_url", "http://127.0.0.1:9/settings.json"),
        ],
        "private-address",
    );

    // Text formatting.
    let m = "Lorem ipsum dolor *sit amet*, _consectetur adipiscing elit_, `sed` do <b>eiusmod</b>.";
    assert_eq!(
        s.call(&[("function", "text-formatting-to-html"), ("message", m)]),
        "Lorem ipsum dolor <b>sit amet</b>, <i>consectetur adipiscing elit</i>, <code>sed</code> do &lt;b&gt;eiusmod&lt;/b&gt;."
    );
    assert_eq!(
        s.call(&[("function", "clear-text-formatting"), ("message", m)]),
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do <b>eiusmod</b>."
    );

    // get-avatar: an image drawn from the initials, at a URL that keeps working.
    let url = s.call(&[
        ("function", "get-avatar"),
        ("first_name", "don"),
        ("last_name", "<John>"),
    ]);
    assert_eq!(url, "https://chat.example.com/avatars/DJ.svg");
    let (st, ct, svg) = fetch(&s, url.as_str().unwrap());
    assert_eq!((st, ct.as_str()), (200, "image/svg+xml"));
    assert!(svg.contains(">DJ</text>"), "{svg}");
    let (st, _) = s.anon().call("GET", "/avatars/%3Cs%3E.svg", None);
    assert_eq!(st, 404);

    // pusher-trigger reaches the realtime stream of staff and of the user.
    let (visitor, vid) = s.visitor("Pat");
    // Polls without a cursor wait for what happens next.
    let wait = |c: &Client| {
        let c = c.clone();
        std::thread::spawn(move || c.get("/api/v1/events"))
    };
    let staff_wait = wait(&admin);
    let visitor_wait = wait(&visitor);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(
        s.call(&[
            ("function", "pusher-trigger"),
            ("channel", &format!("private-user-{vid}")),
            ("event", "new-offer"),
            ("data[discount]", "10"),
        ]),
        true
    );
    for got in [staff_wait.join().unwrap(), visitor_wait.join().unwrap()] {
        let e = &got["events"][0];
        assert_eq!(e["kind"], "custom", "{got}");
        assert_eq!(
            e["data"],
            json!({"channel": format!("private-user-{vid}"), "event": "new-offer", "data": {"discount": "10"}})
        );
    }
    fails_with(
        &s,
        t,
        &[("function", "pusher-trigger"), ("event", "x")],
        "missing-arguments",
    );
}

#[test]
fn clean_data_removes_only_what_is_stale() {
    let s = Sb::start(&[]);
    let t = s.t();
    let admin = s.client(t);
    let id = |v: Value| v.as_i64().unwrap();
    let stale_visitor = id(s.call(&[("function", "add-user"), ("first_name", "Old")]));
    let fresh_visitor = id(s.call(&[("function", "add-user"), ("first_name", "New")]));
    let talker = id(s.call(&[("function", "add-user"), ("first_name", "Talker")]));
    let conv = |user: i64| {
        let v = s.call(&[
            ("function", "new-conversation"),
            ("user_id", &user.to_string()),
        ]);
        v["details"]["id"].as_str().unwrap().parse::<i64>().unwrap()
    };
    let old_trash = conv(talker);
    let new_trash = conv(talker);
    let answered = conv(talker);
    let waiting = conv(talker);
    for c in [old_trash, new_trash] {
        admin.call(
            "PATCH",
            &format!("/api/v1/conversations/{c}"),
            Some(json!({"status": 4})),
        );
    }
    admin.post(
        &format!("/api/v1/conversations/{answered}/messages"),
        json!({"body": "Done?"}),
    );
    s.call(&[
        ("function", "send-message"),
        ("user_id", &talker.to_string()),
        ("conversation_id", &waiting.to_string()),
        ("message", "Still waiting"),
    ]);
    // Age what should go; the rest stays recent.
    {
        let db = rusqlite::Connection::open(s.data.join("frontporch.db")).unwrap();
        db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
        let day = 86_400_000i64;
        db.execute(
            "UPDATE users SET created_at = created_at - ?2, last_seen = NULL WHERE id IN (?1, ?3)",
            rusqlite::params![stale_visitor, 2 * day, talker],
        )
        .unwrap();
        db.execute(
            "UPDATE conversations SET updated_at = updated_at - ?2 WHERE id = ?1",
            rusqlite::params![old_trash, 31 * day],
        )
        .unwrap();
        db.execute(
            "UPDATE messages SET created_at = created_at - ?2 WHERE conversation_id IN (?1, ?3)",
            rusqlite::params![answered, 2 * day, waiting],
        )
        .unwrap();
    }
    assert_eq!(s.call(&[("function", "clean-data")]), true);
    let exists = |u: i64| s.call(&[("function", "get-user"), ("user_id", &u.to_string())]) != false;
    assert!(
        !exists(stale_visitor),
        "an idle visitor without conversations goes"
    );
    assert!(exists(fresh_visitor));
    assert!(exists(talker), "a visitor with conversations stays");
    let status = |c: i64| {
        let (st, v) = admin.call("GET", &format!("/api/v1/conversations/{c}"), None);
        (st, v["conversation"]["status"].as_i64())
    };
    assert_eq!(status(old_trash).0, 404);
    assert_eq!(status(new_trash), (200, Some(4)));
    assert_eq!(
        status(answered),
        (200, Some(3)),
        "answered a day ago: archived"
    );
    assert_eq!(
        status(waiting).1,
        Some(2),
        "the user spoke last: it stays open"
    );
}

#[test]
fn user_listing_presence_and_conversation_lookups() {
    let s = Sb::start(&[("FRONTPORCH_POLL_SECONDS", "2")]);
    let t = s.t();
    let mk = |first: &str, email: &str| {
        s.call(&[
            ("function", "add-user"),
            ("first_name", first),
            ("email", email),
            ("extra[phone][0]", "+100"),
            ("extra[phone][1]", "Phone"),
            ("extra[city][0]", "Oslo"),
            ("extra[city][1]", "City"),
        ])
        .as_i64()
        .unwrap()
    };
    let b = mk("Bea", "bea@example.com");
    let a = mk("Abe", "abe@example.com");
    let c = mk("Cy", "");

    let names = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|u| u["first_name"].as_str().unwrap().to_string())
            .collect()
    };
    let sorted = s.call(&[
        ("function", "get-users"),
        ("sorting[]", "first_name"),
        ("sorting[]", "ASC"),
        ("user_types[]", "user"),
        ("user_types[]", "visitor"),
    ]);
    assert_eq!(names(&sorted), ["Abe", "Bea", "Cy"]);
    let desc = s.call(&[
        ("function", "get-users"),
        ("sorting", r#"["first_name", "DESC"]"#),
        ("user_ids", &format!("[{a}, {c}]")),
    ]);
    assert_eq!(names(&desc), ["Cy", "Abe"]);
    // extra as a list of slugs: only those details.
    let with = s.call(&[
        ("function", "get-users"),
        ("user_ids", &format!("[{b}]")),
        ("extra", r#"["city"]"#),
    ]);
    assert_eq!(
        with[0]["details"],
        json!([{"slug": "city", "name": "City", "value": "Oslo"}])
    );
    let with = s.call(&[
        ("function", "get-users"),
        ("user_ids", &format!("[{b}]")),
        ("extra", "true"),
    ]);
    assert_eq!(with[0]["details"].as_array().unwrap().len(), 2);
    fails_with(
        &s,
        t,
        &[
            ("function", "get-users"),
            ("sorting", r#"["password", "ASC"]"#),
        ],
        "invalid-sorting",
    );

    // Presence: a visitor whose widget listens is online.
    let (visitor, vid) = s.visitor("Olive");
    assert_eq!(
        s.call(&[("function", "is-online"), ("user_id", &vid.to_string())]),
        false
    );
    let listening = {
        let v = visitor.clone();
        std::thread::spawn(move || v.get("/api/v1/events"))
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(
        s.call(&[("function", "is-online"), ("user_id", &vid.to_string())]),
        true
    );
    let online = s.call(&[("function", "get-online-users")]);
    assert!(names(&online).contains(&"Olive".to_string()), "{online}");
    let agents = s.call(&[("function", "get-online-users"), ("agents", "true")]);
    assert!(!names(&agents).contains(&"Olive".to_string()));
    let excluded = s.call(&[
        ("function", "get-online-users"),
        ("exclude_id", &format!("[{vid}]")),
    ]);
    assert!(!names(&excluded).contains(&"Olive".to_string()));
    listening.join().unwrap();

    // get-new-user-conversations, search-user-conversations, assignment.
    let conv = |user: i64, text: &str| {
        let v = s.call(&[
            ("function", "new-conversation"),
            ("user_id", &user.to_string()),
        ]);
        let id = v["details"]["id"].as_str().unwrap().to_string();
        s.call(&[
            ("function", "send-message"),
            ("user_id", &user.to_string()),
            ("conversation_id", &id),
            ("message", text),
        ]);
        id
    };
    let first = conv(a, "My invoice is wrong");
    let second = conv(a, "Shipping question");
    let newer = s.call(&[
        ("function", "get-new-user-conversations"),
        ("user_id", &a.to_string()),
        ("datetime", &first),
    ]);
    assert_eq!(newer.as_array().unwrap().len(), 1, "{newer}");
    assert_eq!(newer[0]["conversation_id"], second.as_str());
    assert_eq!(newer[0]["message"], "Shipping question");
    let since_2000 = s.call(&[
        ("function", "get-new-user-conversations"),
        ("user_id", &a.to_string()),
        ("datetime", "2000-01-01"),
    ]);
    assert_eq!(since_2000.as_array().unwrap().len(), 2);
    let found = s.call(&[
        ("function", "search-user-conversations"),
        ("id", &a.to_string()),
        ("search", "invoice"),
    ]);
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["conversation_id"], first.as_str());
    assert_eq!(
        s.call(&[
            ("function", "search-user-conversations"),
            ("id", &b.to_string()),
            ("search", "invoice"),
        ]),
        json!([])
    );
    let admin_id = s.call(&[("function", "get-agents-ids")])[0]
        .as_i64()
        .unwrap()
        .to_string();
    s.call(&[
        ("function", "update-conversation-agent"),
        ("conversation_id", &first),
        ("agent_id", &admin_id),
    ]);
    let mine = s.call(&[
        ("function", "check-conversations-assignment"),
        ("conversation_ids", &format!("[{first}, {second}, 999999]")),
        ("agent_id", &admin_id),
    ]);
    assert_eq!(mine, json!([first.parse::<i64>().unwrap()]));

    // Routing: what is assigned to the token's user (this one acts as the
    // bot, to whom nothing is assigned), and the unassigned ones on request.
    let ids = |v: Value| -> Vec<String> {
        let mut ids: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["conversation_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(
        ids(s.call(&[("function", "get-conversations")])),
        [first.clone(), second.clone()]
    );
    assert!(ids(s.call(&[("function", "get-conversations"), ("routing", "true")])).is_empty());
    assert_eq!(
        ids(s.call(&[
            ("function", "get-conversations"),
            ("routing", "true"),
            ("routing_unassigned", "true")
        ])),
        [second]
    );
}

#[test]
fn user_details_updates_searches_and_lists() {
    let s = Sb::start(&[]);
    let t = s.t();
    let admin = s.client(t);
    let id = s
        .call(&[
            ("function", "add-user"),
            ("first_name", "Don"),
            ("email", "don@example.com"),
            ("extra[browser][0]", "Chrome"),
            ("extra[browser][1]", "Browser"),
            ("extra[phone][0]", "3203057977"),
            ("extra[phone][1]", "Phone"),
        ])
        .as_i64()
        .unwrap()
        .to_string();

    // get-user-extra: all details, one by slug, or the default.
    let all = s.call(&[("function", "get-user-extra"), ("user_id", &id)]);
    assert_eq!(
        all,
        json!([{"slug": "browser", "name": "Browser", "value": "Chrome"},
               {"slug": "phone", "name": "Phone", "value": "3203057977"}])
    );
    assert_eq!(
        s.call(&[
            ("function", "get-user-extra"),
            ("user_id", &id),
            ("slug", "browser")
        ]),
        "Chrome"
    );
    assert_eq!(
        s.call(&[
            ("function", "get-user-extra"),
            ("user_id", &id),
            ("slug", "os"),
            ("default", "unknown")
        ]),
        "unknown"
    );
    assert_eq!(
        s.call(&[("function", "get-user-extra"), ("user_id", "999999")]),
        json!([])
    );

    // search-users matches names, and the additional details too.
    for q in ["don", "chrome", "3057"] {
        let found = s.call(&[("function", "search-users"), ("search", q)]);
        assert_eq!(found.as_array().unwrap().len(), 1, "{q}: {found}");
        assert_eq!(found[0]["id"], id.as_str());
    }
    assert_eq!(
        s.call(&[("function", "search-users"), ("search", "firefox")]),
        json!([])
    );

    // update-user: fields, settings_extra, NULL deletes the email.
    assert_eq!(
        s.call(&[
            ("function", "update-user"),
            ("user_id", &id),
            ("last_name", "John"),
            ("email", "NULL"),
            ("settings_extra[city][0]", "London"),
            ("settings_extra[city][1]", "City"),
        ]),
        true
    );
    let u = s.call(&[
        ("function", "get-user"),
        ("user_id", &id),
        ("extra", "true"),
    ]);
    assert_eq!(u["last_name"], "John");
    assert_eq!(
        u["email"],
        serde_json::Value::Null,
        "the seed shows a missing email as null"
    );
    assert!(
        u["details"]
            .as_array()
            .unwrap()
            .contains(&json!({"slug": "city", "name": "City", "value": "London"})),
        "{u}"
    );
    s.call(&[
        ("function", "add-user"),
        ("first_name", "Other"),
        ("email", "taken@example.com"),
    ]);
    fails_with(
        &s,
        t,
        &[
            ("function", "update-user"),
            ("user_id", &id),
            ("email", "taken@example.com"),
        ],
        "duplicate-email",
    );
    fails_with(
        &s,
        t,
        &[
            ("function", "update-user"),
            ("user_id", &id),
            ("user_type", "emperor"),
        ],
        "invalid-user-type",
    );
    fails_with(
        &s,
        t,
        &[
            ("function", "update-user"),
            ("user_id", "999999"),
            ("first_name", "X"),
        ],
        "not-found",
    );

    // get-new-conversations: after an id, or a date.
    let conv = |user: &str| {
        s.call(&[("function", "new-conversation"), ("user_id", user)])["details"]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let first = conv(&id);
    let second = conv(&id);
    let sent = s.call(&[
        ("function", "send-message"),
        ("user_id", &id),
        ("conversation_id", &first),
        ("message", "Hi"),
        ("queue", "true"),
        ("recipient_id", &id),
    ]);
    assert_eq!(sent["status"], "success");
    assert_eq!(sent["queue"], false);
    assert!(sent["message-id"].as_i64().is_some());
    fails_with(
        &s,
        t,
        &[
            ("function", "send-message"),
            ("user_id", &id),
            ("conversation_id", &first),
            ("message", "Hi"),
            ("recipient_id", "999999"),
        ],
        "user-not-found",
    );
    let newer = s.call(&[("function", "get-new-conversations"), ("datetime", &first)]);
    assert_eq!(newer.as_array().unwrap().len(), 1, "{newer}");
    assert_eq!(newer[0]["conversation_id"], second.as_str());
    assert_eq!(newer[0]["conversation_status_code"], "0");
    assert_eq!(
        s.call(&[
            ("function", "get-new-conversations"),
            ("datetime", "2999-01-01")
        ]),
        json!([])
    );

    // delete-users removes them and their conversations.
    let other = s
        .call(&[("function", "add-user"), ("first_name", "Gone")])
        .as_i64()
        .unwrap();
    assert_eq!(
        s.call(&[
            ("function", "delete-users"),
            ("user_ids[]", &id),
            ("user_ids[]", &other.to_string()),
        ]),
        true
    );
    assert_eq!(s.call(&[("function", "get-user"), ("user_id", &id)]), false);
    let (st, _) = admin.call("GET", &format!("/api/v1/conversations/{first}"), None);
    assert_eq!(st, 404);

    // get-departments, keyed by id.
    let d = admin.post(
        "/api/v1/departments",
        json!({"name": "Sales", "color": "yellow"}),
    );
    let did = d["department"]["id"].as_i64().unwrap().to_string();
    assert_eq!(
        s.call(&[("function", "get-departments")]),
        json!({ did: {"name": "Sales", "color": "yellow", "image": ""} })
    );

    // email-piping has nothing to read from until an email channel exists.
    fails_with(
        &s,
        t,
        &[("function", "email-piping")],
        "email-not-configured",
    );
}

/// Every function the issue names: a bad token is refused before anything
/// runs, and a call without arguments (or with nonsense ids) answers the
/// envelope, never a server error or a success that did nothing.
#[test]
fn every_function_checks_its_token_and_arguments() {
    let s = Sb::start(&[]);
    let functions = [
        "get-user",
        "get-user-extra",
        "get-user-language",
        "get-users",
        "get-new-users",
        "get-online-users",
        "get-users-with-details",
        "get-agent",
        "get-agents-ids",
        "get-user-from-conversation",
        "search-users",
        "add-user",
        "update-user",
        "delete-user",
        "delete-users",
        "is-online",
        "current-url",
        "count-users",
        "update-user-to-lead",
        "get-avatar",
        "get-bot-id",
        "is-typing",
        "is-agent-typing",
        "set-typing",
        "login",
        "logout",
        "update-login",
        "delete-leads",
        "get-conversation",
        "get-conversations",
        "get-new-conversations",
        "get-user-conversations",
        "get-new-user-conversations",
        "search-conversations",
        "search-user-conversations",
        "new-conversation",
        "update-conversation-status",
        "update-conversation-department",
        "update-conversation-agent",
        "set-rating",
        "get-rating",
        "get-new-messages",
        "send-message",
        "update-message",
        "delete-message",
        "update-messages-status",
        "get-agents-in-conversation",
        "transcript",
        "direct-message",
        "count-conversations",
        "check-conversations-assignment",
        "get-setting",
        "get-settings",
        "save-settings",
        "saved-replies",
        "get-articles",
        "save-articles",
        "search-articles",
        "get-articles-categories",
        "save-articles-categories",
        "article-ratings",
        "csv-users",
        "text-formatting-to-html",
        "clear-text-formatting",
        "get-notes",
        "add-note",
        "delete-note",
        "automations-get",
        "automations-save",
        "automations-validate",
        "automations-run-all",
        "automations-run",
        "clean-data",
        "get-departments",
        "reports",
        "reports-update",
        "export-settings",
        "import-settings",
        "pusher-trigger",
        "send-email",
        "send-custom-email",
        "email-piping",
        "send-sms",
        "push-notification",
        "messaging-platforms-send-message",
        "whatsapp-send-message",
        "whatsapp-send-template",
        "messenger-send-message",
        "telegram-send-message",
        "viber-send-message",
        "line-send-message",
        "wechat-send-message",
    ];
    // Functions that may succeed with no arguments: lists, counts, files,
    // housekeeping, and the ones whose arguments all have defaults.
    let no_args_ok = [
        "get-users",
        "get-new-users",
        "get-online-users",
        "get-users-with-details",
        "get-agents-ids",
        "search-users",
        "add-user",
        "count-users",
        "get-avatar",
        "get-bot-id",
        "logout",
        "delete-leads",
        "get-conversations",
        "get-new-conversations",
        "search-conversations",
        "count-conversations",
        "check-conversations-assignment",
        "get-settings",
        "saved-replies",
        "get-articles",
        "search-articles",
        "get-articles-categories",
        "csv-users",
        "text-formatting-to-html",
        "clear-text-formatting",
        "automations-get",
        "automations-run-all",
        "clean-data",
        "get-departments",
        "export-settings",
    ];
    for f in functions {
        let v = sb_with(&s, "wrong-token", &[("function", f)]);
        assert_eq!(
            v,
            json!({"success": false, "response": "security-error"}),
            "{f}"
        );
        let v = s.raw(&[("function", f)]);
        assert!(v["success"].is_boolean(), "{f}: {v}");
        if v["success"] == false {
            let code = v["response"].as_str().unwrap_or("");
            assert!(
                !code.is_empty() && code != "function-not-supported" && code != "internal",
                "{f}: {v}"
            );
        } else {
            assert!(
                no_args_ok.contains(&f),
                "{f} succeeded without arguments: {v}"
            );
        }
        let v = s.raw(&[
            ("function", f),
            ("user_id", "abc"),
            ("conversation_id", "[1"),
            ("message_id", "-5x"),
        ]);
        assert!(v["success"].is_boolean(), "{f}: {v}");
    }
    // A saved-articles call with no arguments clears nothing it was not given.
    assert_eq!(s.call(&[("function", "get-articles")]), json!([]));
}

#[test]
fn the_other_documented_arguments() {
    let s = Sb::start(&[]);
    let t = s.t();
    let admin = s.client(t);
    let uid = s
        .call(&[("function", "add-user"), ("first_name", "Ola")])
        .as_i64()
        .unwrap()
        .to_string();
    let other = s
        .call(&[("function", "add-user"), ("first_name", "Per")])
        .as_i64()
        .unwrap()
        .to_string();
    let cid = s.call(&[("function", "new-conversation"), ("user_id", &uid)])["details"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mid = s.call(&[
        ("function", "send-message"),
        ("user_id", &uid),
        ("conversation_id", &cid),
        ("message", "Hello"),
    ])["message-id"]
        .to_string();

    // user_id scopes get-conversation and get-new-messages.
    let get = |user: &str| {
        s.call(&[
            ("function", "get-conversation"),
            ("conversation_id", &cid),
            ("user_id", user),
        ])
    };
    assert_eq!(get(&uid)["details"]["user_id"], uid.as_str());
    assert_eq!(get(&other), json!({"messages": [], "details": ""}));
    let new = |user: &str| {
        s.call(&[
            ("function", "get-new-messages"),
            ("conversation_id", &cid),
            ("user_id", user),
            ("datetime", "0"),
        ])
    };
    assert_eq!(new(&uid).as_array().unwrap().len(), 1);
    assert_eq!(new(&other), json!([]));

    // A reassignment's message reaches the agents as an internal note.
    let admin_id = s.call(&[("function", "get-agents-ids")])[0]
        .as_i64()
        .unwrap()
        .to_string();
    s.call(&[
        ("function", "update-conversation-agent"),
        ("conversation_id", &cid),
        ("agent_id", &admin_id),
        ("message", "Please take this one"),
    ]);
    let msgs = admin.get(&format!("/api/v1/conversations/{cid}/messages"));
    let note = msgs["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["body"] == "Please take this one")
        .unwrap_or_else(|| panic!("{msgs}"));
    assert_eq!(note["private"], true);
    // agents=true: the conversations assigned to that agent.
    let mine = s.call(&[
        ("function", "get-user-conversations"),
        ("user_id", &admin_id),
        ("agents", "true"),
    ]);
    assert_eq!(mine[0]["conversation_id"], cid.as_str());

    // set-rating may rewrite the rating message and its payload.
    s.call(&[
        ("function", "set-rating"),
        ("settings[settings][conversation_id]", &cid),
        ("settings[settings][rating]", "1"),
        ("message_id", &mid),
        ("message", "Rated: helpful"),
        ("payload", r#"{"rating": 1}"#),
    ]);
    let m = admin.get(&format!("/api/v1/conversations/{cid}/messages"))["messages"][0].clone();
    assert_eq!(
        (m["body"].as_str(), m["payload"].clone()),
        (Some("Rated: helpful"), json!({"rating": 1}))
    );

    // external_settings are kept and read back.
    s.call(&[
        ("function", "save-settings"),
        ("settings", r#"{"widget.greeting": "Hej"}"#),
        ("external_settings", r#"{"crm-key": "abc"}"#),
    ]);
    assert_eq!(
        s.call(&[
            ("function", "get-setting"),
            ("setting", "external_settings")
        ]),
        json!({"crm-key": "abc"})
    );

    // routing in get-new-conversations: the token's user (the bot) has none.
    assert_eq!(
        s.call(&[
            ("function", "get-new-conversations"),
            ("datetime", "0"),
            ("routing", "true")
        ]),
        json!([])
    );
    assert_eq!(
        s.call(&[("function", "get-new-conversations"), ("datetime", "0")])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// Every report name answers the documented shape; the contact and
/// duration reports count what was made.
#[test]
fn every_report_name_answers_from_real_rows() {
    let s = Sb::start(&[]);
    s.call(&[
        ("function", "add-user"),
        ("first_name", "Lea"),
        ("email", "lea@example.com"),
        ("user_type", "lead"),
        ("extra[language][0]", "fr"),
        ("extra[language][1]", "Language"),
        ("extra[country][0]", "France"),
        ("extra[country][1]", "Country"),
        ("extra[browser][0]", "Firefox"),
        ("extra[browser][1]", "Browser"),
        ("extra[os][0]", "Linux"),
        ("extra[os][1]", "OS"),
    ]);
    s.call(&[
        ("function", "add-user"),
        ("first_name", "Uma"),
        ("email", "uma@example.com"),
        ("user_type", "user"),
    ]);
    // A conversation of the lead: two messages two seconds apart.
    let (visitor, _) = s.visitor("Vik");
    let c = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "First"}}),
    );
    let cid = c["conversation"]["id"].as_i64().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(2100));
    visitor.post(
        &format!("/api/v1/widget/conversations/{cid}/messages"),
        json!({"body": "Second"}),
    );
    let total = |r: &Value| -> i64 {
        r["data"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v[0].as_i64().unwrap())
            .sum()
    };
    for name in [
        "conversations",
        "missed-conversations",
        "conversations-time",
        "visitors",
        "leads",
        "users",
        "agents-response-time",
        "agents-conversations",
        "agents-conversations-time",
        "agents-ratings",
        "countries",
        "languages",
        "browsers",
        "os",
        "subscribe",
        "follow-up",
        "registrations",
        "articles-searches",
        "articles-ratings",
        "articles-views-single",
        "articles-views",
        "sms-automations",
        "email-automations",
        "message-automations",
        "direct-sms",
        "direct-emails",
        "direct-messages",
    ] {
        let r = s.call(&[("function", "reports"), ("name", name)]);
        assert!(
            r["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{name}: {r}"
        );
        assert!(
            r["data"].is_object() && r["table"].as_array().is_some_and(|t| t.len() == 2),
            "{name}: {r}"
        );
        assert!(
            matches!(r["chart_type"].as_str(), Some("line" | "bar" | "pie")),
            "{name}"
        );
        let expect = match name {
            "leads"
            | "users"
            | "registrations"
            | "visitors"
            | "conversations"
            | "missed-conversations" => Some(1),
            "countries" | "languages" | "browsers" | "os" => Some(1),
            "conversations-time" => Some(2),
            _ => None,
        };
        if let Some(n) = expect {
            assert_eq!(total(&r), n, "{name}: {r}");
        }
    }
    let r = s.call(&[("function", "reports"), ("name", "languages")]);
    assert_eq!(r["data"], json!({"fr": [1]}));
    let r = s.call(&[("function", "reports"), ("name", "countries")]);
    assert_eq!(r["data"], json!({"France": [1]}));
}

/// Whole-conversation reads are not cut at a page: 510 messages.
#[test]
fn long_conversations_are_read_whole() {
    let s = Sb::start(&[]);
    let t = s.t();
    let admin = s.client(t);
    let uid = s
        .call(&[("function", "add-user"), ("first_name", "Long")])
        .as_i64()
        .unwrap();
    let cid = s.call(&[
        ("function", "new-conversation"),
        ("user_id", &uid.to_string()),
    ])["details"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for i in 0..510 {
        admin.post(
            &format!("/api/v1/conversations/{cid}/messages"),
            json!({"body": format!("line {i}"), "user_id": uid}),
        );
    }
    let conv = s.call(&[("function", "get-conversation"), ("conversation_id", &cid)]);
    let msgs = conv["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 510);
    assert_eq!(
        (msgs[0]["message"].as_str(), msgs[509]["message"].as_str()),
        (Some("line 0"), Some("line 509"))
    );
    let url = s.call(&[("function", "transcript"), ("conversation_id", &cid)]);
    let text = agent()
        .get(s.url(url.as_str().unwrap()))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert!(
        text.contains(": line 0\n") && text.contains(": line 509\n"),
        "{}",
        &text[..200]
    );
}
