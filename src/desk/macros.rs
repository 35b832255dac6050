//! Macros (Chat2Desk's star button): an admin's named list of steps an
//! agent runs in a conversation with one click. The steps that change data
//! run in one write job; a `post` step runs after the commit: the complete
//! data about the client, the request and the operator POSTed to the
//! admin's URL (SSRF guard, 5 s, 64 KiB answer, at most 4 at once), its
//! answer recorded in `macro_runs` and, when it is JSON with an http(s)
//! `url`, handed back as `open_url` for the inbox to open in a new tab.

use super::steps::{self, Step};
use super::{Actor, Desk};
use crate::channels::{Body, Http, Request};
use crate::error::{self, Result};
use crate::store::events::Audience;
use crate::store::macros as store;
use crate::store::tags::{self, Target};
use crate::store::{conversations as convs, users};
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

/// Macro POSTs waiting on their server at once, at most.
const MAX_RUNNING: usize = 4;
const TIMEOUT: Duration = Duration::from_secs(5);
/// The most of an answer read.
const MAX_ANSWER: usize = 64 << 10;
/// The most of an answer recorded and shown.
const KEPT_ANSWER: usize = 2000;

static RUNNING: crate::util::Gate = crate::util::Gate::new(MAX_RUNNING);

/// A macro as an admin sends it; PATCH changes the fields given.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MacroInput {
    pub name: Option<String>,
    pub steps: Option<Value>,
    pub position: Option<i64>,
}

/// What running a macro did: each step's result and the URL to open.
#[derive(Debug)]
pub struct MacroRun {
    pub results: Vec<Value>,
    pub open_url: Option<String>,
}

impl Desk {
    /// Every macro (staff); agents get the `post` steps without their token.
    pub fn macros(&self, actor: &Actor) -> Result<Vec<Value>> {
        actor.require_staff()?;
        let mut list = self.store.read(store::list)?;
        if actor.role != super::Role::Admin {
            list.iter_mut().for_each(hide_tokens);
        }
        Ok(list)
    }

    /// A new macro (admins): `macro.created` for staff.
    pub fn create_macro(
        &self,
        actor: &Actor,
        input: MacroInput,
        allow_private: bool,
    ) -> Result<Value> {
        actor.require_admin()?;
        let name = name(input.name.as_deref().unwrap_or(""))?;
        let steps =
            self.checked_steps(input.steps.as_ref().unwrap_or(&json!([])), allow_private)?;
        let position = input.position.unwrap_or(0).clamp(0, 10_000);
        let actor_id = actor.user_id;
        self.store.write(move |tx| {
            if store::count(tx.conn)? >= store::MAX {
                return Err(error::TOO_MANY_MACROS.err());
            }
            steps::check_ids(tx.conn, &steps)?;
            let m = store::insert(tx, &name, &json!(steps), position)?;
            // Staff (and webhooks) get the event: never a token in it.
            let mut shown = m.clone();
            hide_tokens(&mut shown);
            tx.emit(
                "macro.created",
                None,
                Some(actor_id),
                Audience::Staff,
                json!({ "macro": shown }),
            )?;
            Ok(m)
        })
    }

    /// Changes the fields given (admins): `macro.updated`.
    pub fn update_macro(
        &self,
        actor: &Actor,
        id: i64,
        input: MacroInput,
        allow_private: bool,
    ) -> Result<Value> {
        actor.require_admin()?;
        let name = input.name.as_deref().map(name).transpose()?;
        let steps = input
            .steps
            .as_ref()
            .map(|s| self.checked_steps(s, allow_private))
            .transpose()?;
        let actor_id = actor.user_id;
        self.store.write(move |tx| {
            let before = store::get(tx.conn, id)?;
            let name = name.unwrap_or_else(|| before["name"].as_str().unwrap_or("").to_string());
            let steps = match steps {
                Some(s) => {
                    steps::check_ids(tx.conn, &s)?;
                    json!(s)
                }
                None => before["steps"].clone(),
            };
            let position = input
                .position
                .unwrap_or(before["position"].as_i64().unwrap_or(0))
                .clamp(0, 10_000);
            let m = store::update(tx, id, &name, &steps, position)?;
            // Staff (and webhooks) get the event: never a token in it.
            let mut shown = m.clone();
            hide_tokens(&mut shown);
            tx.emit(
                "macro.updated",
                None,
                Some(actor_id),
                Audience::Staff,
                json!({ "macro": shown }),
            )?;
            Ok(m)
        })
    }

    /// Deletes a macro (admins; its runs stay, without it): `macro.deleted`.
    pub fn delete_macro(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.require_admin()?;
        let actor_id = actor.user_id;
        self.store.write(move |tx| {
            store::delete(tx, id)?;
            tx.emit(
                "macro.deleted",
                None,
                Some(actor_id),
                Audience::Staff,
                json!({ "macro_id": id }),
            )?;
            Ok(())
        })
    }

    /// Runs macro `macro_id` in conversation `conversation_id` as the
    /// agent: the data steps in one job, then the POSTs; the run is
    /// recorded with every answer, with `macro.run` for staff. A POST
    /// that fails (refused address, timeout, 5xx) is a failed result,
    /// never an error of the call.
    pub fn run_macro(
        &self,
        actor: &Actor,
        conversation_id: i64,
        macro_id: i64,
        allow_private: bool,
    ) -> Result<MacroRun> {
        actor.require_staff()?;
        self.conversation(actor, conversation_id)?;
        let m = self.store.read(|c| store::get(c, macro_id))?;
        let list = steps::stored(&m["steps"]);
        let name = m["name"].as_str().unwrap_or("").to_string();
        let posts: Vec<Step> = list
            .iter()
            .filter(|s| matches!(s, Step::Post { .. }))
            .cloned()
            .collect();
        let run = steps::Run {
            conversation_id,
            actor_id: actor.user_id,
            bot_id: self.bot_id,
            origin: "macro",
        };
        let operator = actor.user_id;
        let done_now = posts.is_empty();
        let name2 = name.clone();
        let (run_id, mut results) = self.store.write(move |tx| {
            convs::head(tx.conn, conversation_id)?;
            let results = steps::run(tx, &run, &list)?;
            let record = json!({ "results": results, "open_url": null });
            let run_id = store::insert_run(tx, macro_id, conversation_id, operator, &record)?;
            if done_now {
                emit_run(
                    tx,
                    conversation_id,
                    operator,
                    macro_id,
                    &name2,
                    &results,
                    None,
                )?;
            }
            Ok((run_id, results))
        })?;
        if done_now {
            return Ok(MacroRun {
                results,
                open_url: None,
            });
        }
        let body = self
            .store
            .read(|c| describe(c, conversation_id, operator, &m))?;
        let mut open_url = None;
        let mut answers = posts.iter().map(|s| post(s, &body, allow_private));
        for r in results.iter_mut().filter(|r| r["type"] == "post") {
            let (result, url) = answers.next().unwrap_or_default();
            *r = result;
            open_url = open_url.or(url);
        }
        let (results2, url2) = (results.clone(), open_url.clone());
        self.store.write(move |tx| {
            let record = json!({ "results": results2, "open_url": url2 });
            store::set_run_result(tx, run_id, &record)?;
            emit_run(
                tx,
                conversation_id,
                operator,
                macro_id,
                &name,
                &results2,
                url2.as_deref(),
            )
        })?;
        Ok(MacroRun { results, open_url })
    }

    /// A conversation's latest macro runs (staff), newest first.
    pub fn macro_runs(&self, actor: &Actor, conversation_id: i64) -> Result<Vec<Value>> {
        actor.require_staff()?;
        self.conversation(actor, conversation_id)?;
        self.store.read(|c| store::runs(c, conversation_id, 20))
    }

    /// Steps as sent, parsed and bounded (ids are checked in the job).
    fn checked_steps(&self, v: &Value, allow_private: bool) -> Result<Vec<Step>> {
        steps::parse(v, true, allow_private)
    }
}

fn emit_run(
    tx: &mut crate::store::Tx,
    conversation_id: i64,
    operator: i64,
    macro_id: i64,
    name: &str,
    results: &[Value],
    open_url: Option<&str>,
) -> Result<()> {
    tx.emit(
        "macro.run",
        Some(conversation_id),
        Some(operator),
        Audience::Staff,
        json!({ "macro_id": macro_id, "name": name, "results": results, "open_url": open_url }),
    )?;
    Ok(())
}

fn name(s: &str) -> Result<String> {
    let s = super::text::clean_label("name", s.trim()).map_err(|_| error::INVALID_MACRO.err())?;
    if s.is_empty() || s.chars().count() > 80 {
        return Err(error::INVALID_MACRO.err());
    }
    Ok(s)
}

/// A macro as an agent sees it: a `post` step says whether it has a token.
fn hide_tokens(m: &mut Value) {
    for s in m["steps"].as_array_mut().into_iter().flatten() {
        if let Some(o) = s.as_object_mut() {
            if let Some(t) = o.remove("token") {
                o.insert("token_set".into(), json!(!t.is_null()));
            }
        }
    }
}

/// The POST's body: the complete data about the client (contact and its
/// tags), the request (conversation, tags, score if asked), the operator
/// running the macro and the macro.
fn describe(
    conn: &rusqlite::Connection,
    conversation_id: i64,
    operator: i64,
    m: &Value,
) -> Result<Value> {
    let conv = convs::get(conn, conversation_id)?;
    let mut client = users::find(conn, conv.user_id)?
        .map(|u| u.to_json())
        .unwrap_or(Value::Null);
    if client.is_object() {
        client["tags"] = json!(tags::of(conn, Target::Client(conv.user_id))?);
    }
    let mut request = conv.to_json();
    request["tags"] = json!(tags::of(conn, Target::Request(conv.id))?);
    request["score"] = store::score(conn, conv.id)?.unwrap_or(Value::Null);
    let operator = users::find(conn, operator)?
        .map(|u| {
            json!({ "id": u.id, "type": u.user_type, "name": u.name(), "first_name": u.first_name,
                "last_name": u.last_name, "email": u.email, "department_id": u.department_id })
        })
        .unwrap_or(Value::Null);
    Ok(json!({
        "client": client, "request": request, "operator": operator,
        "macro": { "id": m["id"], "name": m["name"] },
    }))
}

/// POSTs the body for one `post` step: its result and the URL to open.
fn post(step: &Step, body: &Value, allow_private: bool) -> (Value, Option<String>) {
    let Step::Post { url, token } = step else {
        return (json!({ "type": "post", "ok": false }), None);
    };
    let failed = |why: String| json!({ "type": "post", "ok": false, "error": why });
    if let Err(e) = crate::delivery::check_url(url, allow_private) {
        return (failed(e.message), None);
    }
    let Some(_pass) = RUNNING.enter() else {
        return (
            failed("too many macro requests at once; try again".into()),
            None,
        );
    };
    let mut req = Request::new("POST", url.clone(), Body::Json(body.clone()));
    if let Some(t) = token {
        req = req.header("authorization", t.clone());
    }
    req.limit = MAX_ANSWER;
    let http = crate::delivery::platform_http::PlatformHttp::with_timeout(allow_private, TIMEOUT);
    match http.call(req) {
        Err(why) => (failed(why), None),
        Ok(r) => judge(r.status, &r.body),
    }
}

/// An answer as recorded: its status and text (cut), `ok` for a 2xx, and
/// an http(s) `url` of a JSON object answer to open.
fn judge(status: u16, body: &[u8]) -> (Value, Option<String>) {
    let text = String::from_utf8_lossy(body);
    let answer: String = text.trim().chars().take(KEPT_ANSWER).collect();
    let ok = (200..300).contains(&status);
    let mut r = json!({ "type": "post", "ok": ok, "status": status, "answer": answer });
    if !ok {
        r["error"] = json!(format!("the server answered HTTP {status}"));
        return (r, None);
    }
    let url = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.get("url")
                .and_then(Value::as_str)
                .map(str::trim)
                .map(String::from)
        })
        .filter(|u| u.len() <= 2000 && super::commands::catalog::web_url(u).is_ok());
    (r, url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_give_a_url_to_open_only_when_web() {
        let (r, url) = judge(200, br#"{"url": "https://crm.example/lead/7"}"#);
        assert_eq!(r["ok"], true);
        assert_eq!(url.as_deref(), Some("https://crm.example/lead/7"));
        assert_eq!(judge(200, br#"{"url": "javascript:alert(1)"}"#).1, None);
        assert_eq!(judge(200, b"plain").1, None);
        let (r, url) = judge(503, br#"{"url": "https://x.example"}"#);
        assert_eq!((r["ok"].as_bool(), url), (Some(false), None));
        assert!(r["error"].as_str().unwrap().contains("503"));
        let long = vec![b'a'; 10_000];
        assert_eq!(
            judge(200, &long).0["answer"].as_str().unwrap().len(),
            KEPT_ANSWER
        );
    }

    #[test]
    fn agents_see_whether_a_token_is_set_not_it() {
        let mut m =
            json!({ "steps": [{ "type": "post", "url": "https://x.example", "token": "s3cret" }] });
        hide_tokens(&mut m);
        assert_eq!(m["steps"][0]["token_set"], true);
        assert!(!m.to_string().contains("s3cret"));
    }
}
