//! Support Board's reports: the named reports, and rows for what no table
//! records. The desk computes each report's data; this file presents it
//! (title, description, table headings, chart), for the REST API too.

use super::records::*;
use super::transport::Args;
use super::Function;
use crate::app::App;
use crate::desk::Actor;
use crate::error::Result;
use serde_json::{json, Map, Value};

pub(super) const FUNCTIONS: &[(&str, Function)] =
    &[("reports", reports), ("reports-update", reports_update)];

fn reports(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let name = a.str("name").unwrap_or_default();
    let data = desk.report(
        actor,
        &name,
        a.given("date_start").as_deref(),
        a.given("date_end").as_deref(),
        a.given("timezone").as_deref(),
    )?;
    ok(present(&name, data))
}

/// Report `name`'s data as Support Board shows a report.
pub(crate) fn present(name: &str, data: Map<String, Value>) -> Value {
    let sh = shape(name);
    json!({
        "title": sh.title, "description": sh.description, "data": data,
        "table": sh.table, "table-inverse": sh.chart == "line",
        "label_type": sh.label_type, "chart_type": sh.chart,
    })
}

fn reports_update(app: &App, actor: &Actor, a: &Args) -> Result<Value> {
    let desk = &app.desk;
    let text = |k: &str| a.str(k).filter(|v| !v.is_empty() && v != "false");
    let row = crate::desk::reports::Row {
        name: a.str("name").unwrap_or_default(),
        value: text("value"),
        external_id: text("external_id"),
        extra: text("extra"),
        created_at: 0,
    };
    desk.add_report_row(actor, row)?;
    ok(Value::Bool(true))
}

/// How a report reads: its title, description and how to chart it.
struct Shape {
    title: &'static str,
    description: &'static str,
    table: [&'static str; 2],
    /// 1 counts, 2 durations in seconds.
    label_type: i64,
    chart: &'static str,
}

fn shape(name: &str) -> Shape {
    let s = |title, description, table, label_type, chart| Shape {
        title,
        description,
        table,
        label_type,
        chart,
    };
    match name {
        "conversations" => s(
            "Conversations count",
            "Count of new conversations started by users.",
            ["Date", "Count"],
            1,
            "line",
        ),
        "missed-conversations" => s(
            "Missed conversations",
            "Conversations that no agent replied to.",
            ["Date", "Count"],
            1,
            "line",
        ),
        "conversations-time" => s(
            "Average conversation duration",
            "Seconds from the first message to the last, on average.",
            ["Date", "Time"],
            2,
            "line",
        ),
        "visitors" => s("Visitors", "New visitors.", ["Date", "Count"], 1, "line"),
        "leads" => s(
            "Leads",
            "New leads: visitors who left an email address.",
            ["Date", "Count"],
            1,
            "line",
        ),
        "users" => s(
            "Users",
            "New registered users.",
            ["Date", "Count"],
            1,
            "line",
        ),
        "registrations" => s(
            "Registrations",
            "Users registered by the host site (identified contacts of type user).",
            ["Date", "Count"],
            1,
            "line",
        ),
        "agents-response-time" => s(
            "Agent response time",
            "Seconds from a user's first message to the agent's first reply, on average.",
            ["Agent name", "Time"],
            2,
            "bar",
        ),
        "agents-conversations" => s(
            "Agent conversations",
            "Conversations each agent replied to.",
            ["Agent name", "Count"],
            1,
            "bar",
        ),
        "agents-conversations-time" => s(
            "Agent conversation duration",
            "Average duration, in seconds, of the conversations each agent replied to.",
            ["Agent name", "Time"],
            2,
            "bar",
        ),
        "agents-ratings" => s(
            "Agent ratings",
            "Positive and negative ratings of each agent's conversations.",
            ["Agent name", "Ratings"],
            1,
            "bar",
        ),
        "countries" => s(
            "Countries",
            "Countries of new contacts.",
            ["Country", "Count"],
            1,
            "pie",
        ),
        "languages" => s(
            "Languages",
            "Languages of new contacts.",
            ["Language", "Count"],
            1,
            "pie",
        ),
        "browsers" => s(
            "Browsers",
            "Browsers of new contacts.",
            ["Browser", "Count"],
            1,
            "pie",
        ),
        "os" => s(
            "Operating systems",
            "Operating systems of new contacts.",
            ["Operating system", "Count"],
            1,
            "pie",
        ),
        "subscribe" => s(
            "Subscriptions",
            "Subscribe-message sign-ups.",
            ["Date", "Count"],
            1,
            "line",
        ),
        "follow-up" => s(
            "Follow-up emails",
            "Emails left through the follow-up message.",
            ["Date", "Count"],
            1,
            "line",
        ),
        "articles-searches" => s(
            "Article searches",
            "What users searched in the articles, by count.",
            ["Search", "Count"],
            1,
            "bar",
        ),
        "articles-ratings" => s(
            "Article ratings",
            "Positive and negative ratings of each article.",
            ["Article", "Ratings"],
            1,
            "bar",
        ),
        "articles-views-single" => s(
            "Article views by article",
            "Views of each article.",
            ["Article", "Count"],
            1,
            "bar",
        ),
        "articles-views" => s(
            "Article views",
            "Views of all articles.",
            ["Date", "Count"],
            1,
            "line",
        ),
        "sms-automations" => s(
            "Text message automations",
            "Text messages sent by automations.",
            ["Date", "Count"],
            1,
            "line",
        ),
        "email-automations" => s(
            "Email automations",
            "Emails sent by automations.",
            ["Date", "Count"],
            1,
            "line",
        ),
        "message-automations" => s(
            "Message automations",
            "Chat messages sent by automations.",
            ["Date", "Count"],
            1,
            "line",
        ),
        "direct-sms" => s(
            "Direct text messages",
            "Text messages sent directly to users.",
            ["Date", "Count"],
            1,
            "line",
        ),
        "direct-emails" => s(
            "Direct emails",
            "Emails sent directly to users.",
            ["Date", "Count"],
            1,
            "line",
        ),
        "scores" => s(
            "Quality scores",
            "Scores clients gave closed requests: how many, and their average.",
            ["Date", "Count / average"],
            1,
            "line",
        ),
        "scores-distribution" => s(
            "Quality score distribution",
            "How many times each score was given.",
            ["Score", "Count"],
            1,
            "bar",
        ),
        _ => s(
            "Direct messages",
            "Chat messages sent directly to users.",
            ["Date", "Count"],
            1,
            "line",
        ),
    }
}
