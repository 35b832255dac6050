//! Issue 8, input and limits: control characters and FTS5 syntax in
//! searches, names and bodies (7), empty conversations (8), the SSRF guard's
//! ranges (11) and transcript mail (12).

use crate::harness::*;
use serde_json::{json, Value};

/// Percent-encodes every byte but the unreserved ones.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A form-encoded api.php call: (HTTP status, body).
fn api_php(s: &Server, pairs: &[(&str, &str)]) -> (u16, String) {
    let body = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let (st, _, text) = s.anon().raw(
        "POST",
        "/script/include/api.php",
        Some(body),
        &[("content-type", "application/x-www-form-urlencoded")],
    );
    (st, text)
}

#[test]
fn every_search_path_answers_results_or_400_never_500() {
    let s = Server::start();
    let token = s.admin_token();
    let admin = s.client(&token);
    let (visitor, vid) = s.visitor("Searcher");
    visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hello there"}}),
    );
    let vid = vid.to_string();
    let long = "word ".repeat(40) + &"x".repeat(3000);
    let queries = [
        "a\0b",
        "\0",
        "hello\0",
        "\"",
        "\"\"\"",
        "*",
        "AND",
        "a AND",
        "OR b",
        "NOT",
        "NEAR(",
        "NEAR(a b",
        "a:b",
        "^x",
        "(",
        ")",
        "-x",
        "\u{1}\u{1f}\u{7f}",
        &long,
    ];
    for q in queries {
        let e = enc(q);
        for path in [
            format!("/api/v1/articles/search?q={e}"),
            format!("/api/v1/search?q={e}"),
            format!("/api/v1/users?search={e}"),
            format!("/api/v1/conversations?search={e}"),
        ] {
            let (st, _, body) = admin.raw("GET", &path, None, &[]);
            assert!(st == 200 || st == 400, "{path}: {st} {body}");
        }
        for (function, extra) in [
            ("search-users", None),
            ("get-users", None),
            ("search-conversations", None),
            ("search-user-conversations", Some(("id", vid.as_str()))),
            ("search-articles", None),
        ] {
            let mut pairs = vec![
                ("token", token.as_str()),
                ("function", function),
                ("search", q),
            ];
            pairs.extend(extra);
            let (st, body) = api_php(&s, &pairs);
            assert_eq!(st, 200, "api.php {function} {q:?}: {body}");
        }
    }
    // A NUL does not hide what the rest of the words find.
    let found = admin.get(&format!("/api/v1/search?q={}", enc("hel\0lo")));
    assert!(found.to_string().contains("hello there"), "{found}");
}

#[test]
fn control_characters_are_stripped_from_names_and_bodies_and_refused_elsewhere() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());

    // Names: controls, bidi overrides and zero-width characters stripped,
    // on every path that stores one.
    let (st, v) = s.anon().call(
        "POST",
        "/api/v1/widget/session",
        Some(json!({"first_name": "Ev\u{0}e\u{202E}\u{200B}", "last_name": "\u{2066}Admin\u{2069}\u{FEFF}"})),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["user"]["first_name"], "Eve");
    assert_eq!(v["user"]["last_name"], "Admin");
    let visitor = s.client(v["token"].as_str().unwrap());
    let (st, v) = visitor.call(
        "PATCH",
        "/api/v1/widget/me",
        Some(json!({"first_name": "Sup\u{200D}port\u{1b}[31m"})),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["user"]["first_name"], "Support[31m");
    let (st, v) = admin.call(
        "POST",
        "/api/v1/users",
        Some(json!({"first_name": "Bo\u{202D}b\u{7}", "last_name": "\u{2060}Roe"})),
    );
    assert_eq!(st, 201, "{v}");
    assert_eq!(
        (&v["user"]["first_name"], &v["user"]["last_name"]),
        (&json!("Bob"), &json!("Roe"))
    );

    // Emails and titles: refused, nothing stored.
    let (st, v) = visitor.call(
        "PATCH",
        "/api/v1/widget/me",
        Some(json!({"email": "eve\u{0}@example.com"})),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("invalid_characters")),
        "{v}"
    );
    assert_eq!(
        visitor.get("/api/v1/widget/me")["user"]["email"],
        Value::Null
    );
    let (st, v) = visitor.call(
        "POST",
        "/api/v1/widget/conversations",
        Some(json!({"title": "Hi\u{0}", "message": {"body": "x"}})),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("invalid_characters")),
        "{v}"
    );
    assert_eq!(
        visitor.get("/api/v1/widget/conversations")["conversations"],
        json!([])
    );

    // Bodies: C0 controls stripped except newline and tab; the rest kept.
    let v = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "line\u{0}one\n\tline\u{1b}two\u{7f} \u{202E}ok"}}),
    );
    assert_eq!(v["message"]["body"], "lineone\n\tlinetwo \u{202E}ok");
    let cid = v["conversation"]["id"].as_i64().unwrap();
    let (st, v) = visitor.call(
        "POST",
        &format!("/api/v1/widget/conversations/{cid}/messages"),
        Some(json!({"body": "\u{0}\u{0}\u{8}"})),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("empty_message")),
        "{v}"
    );
    let msgs = admin.get(&format!("/api/v1/conversations/{cid}/messages"));
    assert!(!msgs.to_string().contains("\\u0000"), "{msgs}");

    // Every default-ignorable character (and the blank braille pattern) leaves
    // a name, not only bidi controls; C1 controls leave bodies.
    let (st, v) = visitor.call(
        "PATCH",
        "/api/v1/widget/me",
        Some(json!({"first_name": "Ad\u{2066}min\u{2069}\u{3164}\u{115F}\u{E0041}\u{34F}\u{AD}\u{180E}\u{2800}"})),
    );
    assert_eq!(
        (st, v["user"]["first_name"].as_str()),
        (200, Some("Admin")),
        "{v}"
    );
    let v = visitor.post(
        &format!("/api/v1/widget/conversations/{cid}/messages"),
        json!({"body": "a\u{85}b\u{9B}c"}),
    );
    assert_eq!(v["message"]["body"], "abc");
    // Custom fields and titles are labels: invisible characters stripped,
    // control characters refused.
    let (st, v) = visitor.call(
        "PATCH",
        "/api/v1/widget/me",
        Some(json!({"custom": {"pl\u{202E}an": "p\u{200B}ro"}})),
    );
    assert_eq!(
        (st, &v["user"]["custom"]),
        (200, &json!({"plan": "pro"})),
        "{v}"
    );
    let (st, v) = visitor.call(
        "PATCH",
        "/api/v1/widget/me",
        Some(json!({"custom": {"plan": "p\u{0}ro"}})),
    );
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("invalid_characters")),
        "{v}"
    );
    let (st, v) = admin.call(
        "PATCH",
        &format!("/api/v1/conversations/{cid}"),
        Some(json!({"title": "Re\u{202E}fund"})),
    );
    assert_eq!(
        (st, v["conversation"]["title"].as_str()),
        (200, Some("Refund")),
        "{v}"
    );
}

#[test]
fn empty_conversations_are_bounded_per_visitor_and_per_address() {
    let s = Server::start();
    let (visitor, _) = s.visitor("Opener");
    let mut opened = 0;
    let limited = loop {
        let (st, h, body) = visitor.raw(
            "POST",
            "/api/v1/widget/conversations",
            Some("{}".into()),
            &[],
        );
        if st == 429 {
            break (h, body);
        }
        assert_eq!(st, 201, "{body}");
        opened += 1;
        assert!(opened < 50, "500 empty conversations are not bounded");
    };
    assert!(header(&limited.0, "retry-after").is_some());
    assert!(limited.1.contains("rate_limited"), "{}", limited.1);

    // New visitors from the same address run into the address's bound.
    let mut fresh = 0;
    loop {
        let (v, _) = s.visitor("Another");
        let (st, h, body) = v.raw(
            "POST",
            "/api/v1/widget/conversations",
            Some("{}".into()),
            &[],
        );
        if st == 429 {
            assert!(header(&h, "retry-after").is_some());
            // A chat-message automation may open one too: same bound.
            let (st, _, body) = v.raw(
                "POST",
                "/api/v1/widget/automations/run",
                Some(json!({"id": "1"}).to_string()),
                &[],
            );
            assert_eq!(st, 429, "{body}");
            break;
        }
        assert_eq!(st, 201, "{body}");
        fresh += 1;
        assert!(fresh < 25, "conversations per address are not bounded");
    }

    // The switch for test rigs still lets everything through.
    let off = Server::start_with(&[("FRONTPORCH_RATE_LIMITS", "off")]);
    let (v, _) = off.visitor("Rig");
    for _ in 0..40 {
        v.post("/api/v1/widget/conversations", json!({}));
    }
}

#[test]
fn webhook_urls_in_every_special_purpose_range_are_refused_on_save() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    for url in [
        "http://[2002:7f00:1::1]/",      // 6to4 around 127.0.0.1
        "http://[2002:a9fe:a9fe::1]/",   // 6to4 around 169.254.169.254
        "http://[2001:0:4136:e378::1]/", // Teredo
        "http://198.18.0.1/",            // benchmarking
        "http://198.19.255.1/",
        "http://[::127.0.0.1]/", // IPv4-compatible
        "http://[::a9fe:a9fe]/",
        "http://[64:ff9b::a9fe:a9fe]/", // NAT64
        "http://100.64.0.1/",           // CGNAT
        "http://192.0.0.1/",            // IETF protocol assignments
        "http://240.0.0.1/",            // reserved
        "http://224.0.0.1/",            // multicast
        "http://0.0.0.1/",              // this network
        "http://[fd00::1]/",            // unique local
        "http://[fe80::1]/",            // link-local
        "http://192.0.2.1/",            // documentation
        "http://203.0.113.1/",
        "http://[2001:db8::1]/",
        "http://[3fff::1]/",
        "http://[::ffff:7f00:1]/", // IPv4-mapped
        "http://[ff02::1]/",       // multicast
        "http://[100::1]/",        // discard-only
    ] {
        let (st, v) = admin.call("POST", "/api/v1/webhooks", Some(json!({"url": url})));
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (400, Some("private_address")),
            "{url}: {v}"
        );
    }
    assert_eq!(admin.get("/api/v1/webhooks")["webhooks"], json!([]));
    let (st, v) = admin.call(
        "POST",
        "/api/v1/webhooks",
        Some(json!({"url": "https://8.8.8.8/hook"})),
    );
    assert_eq!(st, 201, "{v}");
}

fn transcript(c: &Client, cid: i64, email: Option<&str>) -> (u16, Vec<(String, String)>, Value) {
    let body = match email {
        Some(e) => json!({ "email": e }),
        None => json!({}),
    };
    let (st, h, text) = c.raw(
        "POST",
        &format!("/api/v1/widget/conversations/{cid}/transcript"),
        Some(body.to_string()),
        &[],
    );
    (st, h, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[test]
fn transcripts_go_only_to_the_contact_and_at_most_three_an_hour() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    let (visitor, vid) = s.visitor("Tess");
    let cid = visitor.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hello"}}),
    )["conversation"]["id"]
        .as_i64()
        .unwrap();

    // No address on record: the one typed is saved on the record and used.
    let (st, _, v) = transcript(&visitor, cid, Some("tess@example.com"));
    assert_eq!(
        (st, v["to"].as_str()),
        (202, Some("tess@example.com")),
        "{v}"
    );
    assert_eq!(
        admin.get(&format!("/api/v1/users/{vid}"))["user"]["email"],
        "tess@example.com"
    );
    // Any other address is refused; the one on record is used when none is given.
    for other in ["victim@example.org", "someone@example.com"] {
        let (st, _, v) = transcript(&visitor, cid, Some(other));
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (403, Some("email_not_allowed")),
            "{v}"
        );
    }
    let (st, _, v) = transcript(&visitor, cid, Some("TESS@example.com"));
    assert_eq!(
        (st, v["to"].as_str()),
        (202, Some("tess@example.com")),
        "{v}"
    );
    let (st, _, v) = transcript(&visitor, cid, None);
    assert_eq!(st, 202, "{v}");
    // A fourth within the hour waits.
    let (st, h, v) = transcript(&visitor, cid, None);
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (429, Some("transcript_limit")),
        "{v}"
    );
    let wait: u64 = header(&h, "retry-after").unwrap().parse().unwrap();
    assert!(wait > 3000 && wait <= 3601, "{wait}");

    // Exactly three were queued.
    let events = admin.get("/api/v1/events?after=0").to_string();
    assert_eq!(
        events.matches("conversation.transcript_requested").count(),
        3
    );

    // An address another contact owns cannot be claimed through a transcript.
    let (other, _) = s.visitor("Mallory");
    let cid2 = other.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hi"}}),
    )["conversation"]["id"]
        .as_i64()
        .unwrap();
    let (st, _, v) = transcript(&other, cid2, Some("tess@example.com"));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (403, Some("email_not_allowed")),
        "{v}"
    );
    let (st, _, v) = transcript(&other, cid2, None);
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (400, Some("missing_email")),
        "{v}"
    );
}

/// Opens a conversation for `c` and returns its id.
fn open(c: &Client) -> i64 {
    c.post(
        "/api/v1/widget/conversations",
        json!({"message": {"body": "hello"}}),
    )["conversation"]["id"]
        .as_i64()
        .unwrap()
}

#[test]
fn transcripts_are_capped_per_contact_and_per_recipient_address() {
    let s = Server::start();
    let admin = s.client(&s.admin_token());
    // One visitor, four conversations: the cap counts all of them.
    let (vic, vid) = s.visitor("Vic");
    let convs: Vec<i64> = (0..4).map(|_| open(&vic)).collect();
    for (i, cid) in convs[..3].iter().enumerate() {
        let email = (i == 0).then_some("victim@example.org");
        let (st, _, v) = transcript(&vic, *cid, email);
        assert_eq!(st, 202, "{v}");
    }
    let (st, h, v) = transcript(&vic, convs[3], None);
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (429, Some("transcript_limit")),
        "{v}"
    );
    assert!(header(&h, "retry-after").is_some());

    // The address is given up and claimed by another visitor: the address
    // has had its three this hour, and the refused request saves nothing.
    let (st, v) = vic.call(
        "PATCH",
        "/api/v1/widget/me",
        Some(json!({"email": "vic@example.net"})),
    );
    assert_eq!(st, 200, "{v}");
    let (mal, mid) = s.visitor("Mal");
    let cid = open(&mal);
    let (st, _, v) = transcript(&mal, cid, Some("VICTIM@example.org"));
    assert_eq!(
        (st, v["error"]["code"].as_str()),
        (429, Some("transcript_limit")),
        "{v}"
    );
    assert!(v["error"]["message"].as_str().unwrap().contains("address"));
    assert_eq!(
        admin.get(&format!("/api/v1/users/{mid}"))["user"]["email"],
        Value::Null
    );
    // Another address of a fresh contact is not held up by either count.
    let (st, _, v) = transcript(&mal, cid, Some("mal@example.net"));
    assert_eq!(st, 202, "{v}");

    let events = admin.get("/api/v1/events?after=0").to_string();
    assert_eq!(
        events.matches("conversation.transcript_requested").count(),
        4,
        "{vid}"
    );
}
