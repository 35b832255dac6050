//! `/send` (ChatShipper's result processing): every completed form of the
//! conversation (or only `meta.form`) leaves `conversation_forms` for
//! `conversation_results`; one `results` message lists them, and each
//! form's results are emailed to its `email_to` where SMTP is set up.
//!
//! The results message is an internal note: ChatShipper's results are
//! "completed and sent by the agent" for the back office (its bot-made
//! twin, `report`, is posted as a backchannel message), and the visitor
//! has seen their answers already on the form card.

use super::check;
use crate::desk::commands::{note, Outcome, Run};
use crate::desk::email;
use crate::desk::messages::MAX_BODY_CHARS;
use crate::desk::Desk;
use crate::error::{self, Result};
use crate::store::events::Audience;
use crate::store::forms as store;
use serde_json::{json, Map, Value};

/// `meta.form`: a form id, as a number or (ChatShipper) a string.
fn only_form(meta: &Map<String, Value>) -> Result<Option<i64>> {
    let Some(v) = meta.get("form") else {
        return Ok(None);
    };
    let id = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    id.filter(|id| *id > 0)
        .map(Some)
        .ok_or_else(|| error::INVALID_FIELD.with("meta.form must be a form id"))
}

/// The results as a message's text, cut to what a message may hold (long
/// answers: 30 fields of 5,000 characters); the whole stays in the results.
fn within_message_limit(text: String) -> String {
    const MORE: &str = "\n… (cut: the full results are in the Forms panel)";
    if text.chars().count() <= MAX_BODY_CHARS {
        return text;
    }
    let keep = MAX_BODY_CHARS - MORE.chars().count();
    text.chars().take(keep).collect::<String>() + MORE
}

pub fn send(desk: &Desk, run: &Run) -> Result<Outcome> {
    let only = only_form(&run.meta)?;
    let mail = desk.email_configured()?;
    let run = run.clone();
    desk.store.write(move |tx| {
        let cid = run.conversation_id;
        let chosen: Vec<_> = store::filled(tx.conn, cid)?
            .into_iter()
            .filter(|f| f.completed_at.is_some() && only.is_none_or(|id| id == f.form_id))
            .collect();
        if chosen.is_empty() {
            return Err(match only {
                Some(id) => error::FORM_NOT_COMPLETED.with(format!(
                    "form {id} is not a completed form of this conversation"
                )),
                None => error::NO_COMPLETED_FORMS.err(),
            });
        }
        let command = run.note(tx, Value::Null)?;
        let (mut ids, mut results, mut texts, mut emails) = (vec![], vec![], vec![], vec![]);
        for f in &chosen {
            let form = store::get(tx.conn, f.form_id)?;
            let snap = check::snapshot(&form.fields, &f.answers);
            let id = store::insert_result(tx, cid, form.id, &form.name, &snap, run.actor.user_id)?;
            store::remove_filled(tx, cid, form.id)?;
            let text = check::render(&form.name, &snap);
            ids.push(id);
            results.push(json!({
                "id": id, "form_id": form.id, "name": form.name,
                "values": check::values(&snap), "fields": snap,
            }));
            if mail && !check::field_list(&form.email_to).is_empty() {
                emails.push(json!({
                    "kind": "results", "to": form.email_to, "conversation_id": cid,
                    "subject": format!("Form results: {} (conversation #{cid})", form.name),
                    "text": format!("{text}\n\nConversation #{cid}\n"),
                }));
            }
            texts.push(text);
        }
        let mut payload = Map::new();
        payload.insert("type".into(), json!("results"));
        let shaped: Vec<Value> = results
            .iter()
            .map(|r| json!({ "name": r["name"], "values": r["values"] }))
            .collect();
        payload.insert("results".into(), json!(shaped));
        let body = within_message_limit(texts.join("\n\n"));
        let m = note(tx, cid, run.actor.user_id, &body, payload)?;
        store::set_result_message(tx, &ids, m.id)?;
        for r in &mut results {
            r["message_id"] = json!(m.id);
        }
        tx.emit(
            "conversation.results",
            Some(cid),
            Some(run.actor.user_id),
            Audience::Staff,
            json!({ "results": results, "message_id": m.id }),
        )?;
        let emailed = emails.len();
        for e in emails {
            email::queue(tx, e)?;
        }
        let mut out = Outcome::new(command);
        out.posted.push(m);
        out.result = json!({ "results": results, "emailed": emailed });
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_form_is_an_id() {
        let meta = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(only_form(&meta(json!({}))).unwrap(), None);
        assert_eq!(only_form(&meta(json!({"form": 7}))).unwrap(), Some(7));
        assert_eq!(only_form(&meta(json!({"form": "7"}))).unwrap(), Some(7));
        assert!(only_form(&meta(json!({"form": "x"}))).is_err());
        assert!(only_form(&meta(json!({"form": [1]}))).is_err());
    }
}
