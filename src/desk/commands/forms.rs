//! Forms per category (ChatShipper), filled in a conversation by the
//! visitor (in the widget) or the agent; `/send` moves the completed ones
//! into the conversation's results (`send.rs`). Admins define forms:
//! fields, the department and category they are offered in, the addresses
//! their results are emailed to. What a form and its answers may be is
//! `check.rs`.

pub mod check;
mod send;

pub use check::{FormInput, FormPatch};
pub use send::send;

use super::super::messages::{insert_message, MessageInput, Prepared};
use crate::desk::{Actor, Desk, Role};
use crate::error::{self, Error, Result};
use crate::store::conversations::{self as convs, Conversation};
use crate::store::events::Audience;
use crate::store::forms::{self as store, Filled, Form, Sent};
use crate::store::{departments, Tx};
use crate::util::rfc3339;
use serde_json::{json, Map, Value};

impl Form {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "department_id": self.department_id,
            "category": self.category, "fields": self.fields, "email_to": self.email_to,
            "created_at": rfc3339(self.created_at), "updated_at": rfc3339(self.updated_at),
        })
    }

    /// What the conversation's people see of it: no addresses.
    fn card(&self) -> Value {
        json!({ "id": self.id, "name": self.name, "fields": self.fields })
    }
}

/// A form open in a conversation, as staff and its visitor read it.
fn filled_json(form: &Form, f: &Filled) -> Value {
    let answers = f.answers.as_object().cloned().unwrap_or_default();
    json!({
        "form": form.card(), "open": true, "answers": f.answers,
        "completed": f.completed_at.is_some(),
        "completed_at": f.completed_at.map(rfc3339),
        "missing": check::missing(&form.fields, &answers),
        "updated_by": f.updated_by, "updated_at": rfc3339(f.updated_at),
    })
}

fn result_json(r: &Sent) -> Value {
    json!({
        "id": r.id, "name": r.form_name, "form_id": r.form_id,
        "values": check::values(&r.answers), "fields": r.answers,
        "message_id": r.message_id, "created_by": r.created_by,
        "created_at": rfc3339(r.created_at),
    })
}

/// The category a conversation is in: the name at its `_category` slot
/// among its department's categories ("" when it has none).
fn current_category(conn: &rusqlite::Connection, c: &Conversation) -> Result<String> {
    let (Some(dept), Some(slot)) = (c.department_id, c.extra["_category"].as_u64()) else {
        return Ok(String::new());
    };
    let list = departments::categories(conn, dept)?;
    Ok(list.get(slot as usize).cloned().unwrap_or_default())
}

/// Whether a form is offered in a conversation of `department` in `category`.
fn offered(form: &Form, department: Option<i64>, category: &str) -> bool {
    let dept_ok = form.department_id.is_none() || form.department_id == department;
    let cat_ok = form.category.is_empty() || form.category == category;
    dept_ok && cat_ok
}

/// The answers event (`conversation.form`): who can see the form sees it.
fn emit_form(
    tx: &mut Tx,
    cid: i64,
    actor_id: i64,
    form: &Form,
    f: &Filled,
    action: &str,
) -> Result<()> {
    tx.emit(
        "conversation.form",
        Some(cid),
        Some(actor_id),
        Audience::Everyone,
        json!({
            "form_id": form.id, "name": form.name, "answers": f.answers,
            "completed": f.completed_at.is_some(), "action": action,
        }),
    )?;
    Ok(())
}

/// A form definition checked, with the store's help for its department.
fn checked(
    conn: &rusqlite::Connection,
    name: &str,
    department_id: Option<i64>,
    category: &str,
    fields: &[check::FieldInput],
    email_to: &[String],
) -> Result<(String, Option<i64>, String, Value, Value)> {
    let name = check::name(name)?;
    let fields = check::fields(fields)?;
    let email_to = check::email_to(email_to)?;
    let categories = match department_id {
        None => None,
        Some(id) => Some(departments::categories(conn, id).map_err(|e| {
            if e.is(&error::NOT_FOUND) {
                error::INVALID_FORM.with(format!("department_id {id} names no department"))
            } else {
                e
            }
        })?),
    };
    let category = check::category(category, categories.as_deref())?;
    Ok((name, department_id, category, fields, email_to))
}

impl Desk {
    /// Every form (admins).
    pub fn forms(&self, actor: &Actor) -> Result<Vec<Value>> {
        actor.require_admin()?;
        let list = self.store.read(store::list)?;
        Ok(list.iter().map(Form::to_json).collect())
    }

    pub fn create_form(&self, actor: &Actor, input: FormInput) -> Result<Value> {
        actor.require_admin()?;
        let actor_id = actor.user_id;
        self.store.write(move |tx| {
            let (name, dept, category, fields, email_to) = checked(
                tx.conn,
                &input.name,
                input.department_id,
                &input.category,
                &input.fields,
                &input.email_to,
            )?;
            if store::count(tx.conn)? >= store::MAX_FORMS {
                return Err(error::TOO_MANY_FORMS.err());
            }
            let f = store::insert(
                tx,
                &store::FormInput {
                    department_id: dept,
                    category: &category,
                    name: &name,
                    fields: &fields,
                    email_to: &email_to,
                },
            )?;
            tx.emit(
                "form.created",
                None,
                Some(actor_id),
                Audience::Staff,
                json!({ "form": f.to_json() }),
            )?;
            Ok(f.to_json())
        })
    }

    pub fn update_form(&self, actor: &Actor, id: i64, patch: FormPatch) -> Result<Value> {
        actor.require_admin()?;
        let actor_id = actor.user_id;
        self.store.write(move |tx| {
            let old = store::get(tx.conn, id)?;
            let old_fields: Vec<check::FieldInput> = serde_json::from_value(old.fields.clone())
                .map_err(|_| error::INVALID_FORM.with("the stored fields are unreadable"))?;
            let old_to: Vec<String> =
                serde_json::from_value(old.email_to.clone()).unwrap_or_default();
            let dept = patch.department_id.unwrap_or(old.department_id);
            // A department changed without a category given leaves "every category".
            let category = match (&patch.category, patch.department_id) {
                (Some(c), _) => c.clone(),
                (None, Some(d)) if d != old.department_id => String::new(),
                (None, _) => old.category.clone(),
            };
            let (name, dept, category, fields, email_to) = checked(
                tx.conn,
                patch.name.as_deref().unwrap_or(&old.name),
                dept,
                &category,
                patch.fields.as_deref().unwrap_or(&old_fields),
                patch.email_to.as_deref().unwrap_or(&old_to),
            )?;
            let f = store::update(
                tx,
                id,
                &store::FormInput {
                    department_id: dept,
                    category: &category,
                    name: &name,
                    fields: &fields,
                    email_to: &email_to,
                },
            )?;
            tx.emit(
                "form.updated",
                None,
                Some(actor_id),
                Audience::Staff,
                json!({ "form": f.to_json() }),
            )?;
            Ok(f.to_json())
        })
    }

    pub fn delete_form(&self, actor: &Actor, id: i64) -> Result<()> {
        actor.require_admin()?;
        let actor_id = actor.user_id;
        self.store.write(move |tx| {
            store::delete(tx, id)?;
            tx.emit(
                "form.deleted",
                None,
                Some(actor_id),
                Audience::Staff,
                json!({ "form_id": id }),
            )?;
            Ok(())
        })
    }

    /// A conversation's forms: staff get every form offered for its
    /// department and category and every form open in it (with the
    /// answers so far), and its results; its visitor gets the open forms.
    pub fn conversation_forms(&self, actor: &Actor, conversation_id: i64) -> Result<Value> {
        let c = self.conversation(actor, conversation_id)?;
        let staff = actor.is_staff();
        self.store.read(|conn| {
            let category = current_category(conn, &c)?;
            let filled = store::filled(conn, c.id)?;
            let mut forms = Vec::new();
            for form in store::list(conn)? {
                match filled.iter().find(|f| f.form_id == form.id) {
                    Some(f) => forms.push(filled_json(&form, f)),
                    None if staff && offered(&form, c.department_id, &category) => forms.push(json!({
                        "form": form.card(), "open": false, "answers": {}, "completed": false,
                        "completed_at": null, "missing": [], "updated_by": null, "updated_at": null,
                    })),
                    None => {}
                }
            }
            let results: Vec<Value> = if staff {
                store::results(conn, c.id)?.iter().map(result_json).collect()
            } else {
                Vec::new()
            };
            let category = if staff { json!(category) } else { Value::Null };
            Ok(json!({ "category": category, "forms": forms, "results": results }))
        })
    }

    /// Opens a form in a conversation (staff): its row, and a message of
    /// type `form` the widget shows as a card to fill in.
    pub fn open_form(
        &self,
        actor: &Actor,
        conversation_id: i64,
        form_id: i64,
    ) -> Result<(Value, super::Message)> {
        actor.require_staff()?;
        self.conversation(actor, conversation_id)?;
        let actor_id = actor.user_id;
        self.store.write(move |tx| {
            let c = convs::get(tx.conn, conversation_id)?;
            let form = store::get(tx.conn, form_id)?;
            let category = current_category(tx.conn, &c)?;
            if !offered(&form, c.department_id, &category) {
                return Err(error::FORM_NOT_OFFERED.err());
            }
            if !store::open(tx, c.id, form.id, actor_id)? {
                return Err(error::FORM_ALREADY_OPEN.err());
            }
            let mut payload = Map::new();
            payload.insert("type".into(), json!("form"));
            payload.insert("form".into(), form.card());
            let input = MessageInput {
                body: format!("Form: {}", form.name),
                payload: Some(payload),
                keep_status: true,
                ..Default::default()
            };
            let head = convs::head(tx.conn, c.id)?;
            let prepared = Prepared {
                input,
                sender: actor_id,
                status: None,
            };
            let m = insert_message(tx, &head, actor_id, true, prepared)?;
            let f = store::filled_one(tx.conn, c.id, form.id)?.expect("opened in this job");
            emit_form(tx, c.id, actor_id, &form, &f, "opened")?;
            Ok((filled_json(&form, &f), m))
        })
    }

    /// Answers (some of) the fields of a form open in a conversation:
    /// staff, or the conversation's own visitor. A form not open there is
    /// 404 for both. Completed once every required field is answered.
    pub fn answer_form(
        &self,
        actor: &Actor,
        conversation_id: i64,
        form_id: i64,
        given: Map<String, Value>,
    ) -> Result<Value> {
        self.conversation(actor, conversation_id)?;
        let visitor = (actor.role == Role::Visitor).then_some(actor.user_id);
        let actor_id = actor.user_id;
        self.store.write(move |tx| {
            let c = convs::head(tx.conn, conversation_id)?;
            // Scope again inside the job, so it still holds at commit.
            if visitor.is_some_and(|v| v != c.user_id) {
                return Err(Error::not_found("conversation"));
            }
            let f = store::filled_one(tx.conn, c.id, form_id)?
                .ok_or_else(|| Error::not_found("form"))?;
            let form = store::get(tx.conn, form_id)?;
            let answers = check::merge(&form.fields, &f.answers, &given)?;
            let completed_at = if check::complete(&form.fields, &answers) {
                Some(f.completed_at.unwrap_or(tx.now))
            } else {
                None
            };
            let answers = Value::Object(answers);
            store::save_answers(tx, c.id, form_id, &answers, completed_at, actor_id)?;
            let f = store::filled_one(tx.conn, c.id, form_id)?.expect("saved in this job");
            emit_form(tx, c.id, actor_id, &form, &f, "answered")?;
            Ok(filled_json(&form, &f))
        })
    }
}

/// A conversation's forms being filled and its results, for the readers
/// that show them (ChatShipper's `GET /v2/conversations/{id}`): `(forms,
/// results)` in ChatShipper's shapes, ids as strings: forms `{id, name,
/// values, completed}`, results `{id, name, values, form, createdAt}`.
/// The caller has checked the conversation is in its reader's scope.
pub fn forms_and_results(desk: &Desk, conversation_id: i64) -> Result<(Vec<Value>, Vec<Value>)> {
    desk.store.read(|conn| {
        let mut forms = Vec::new();
        for f in store::filled(conn, conversation_id)? {
            let name = store::get(conn, f.form_id)?.name;
            forms.push(json!({
                "id": f.form_id.to_string(), "name": name, "values": f.answers,
                "completed": f.completed_at.is_some(),
            }));
        }
        let results = store::results(conn, conversation_id)?
            .iter()
            .map(|r| {
                json!({
                    "id": r.id.to_string(), "name": r.form_name, "values": check::values(&r.answers),
                    "form": r.form_id.map(|id| id.to_string()), "createdAt": rfc3339(r.created_at),
                })
            })
            .collect();
        Ok((forms, results))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(department_id: Option<i64>, category: &str) -> Form {
        Form {
            id: 1,
            department_id,
            category: category.into(),
            name: "F".into(),
            fields: json!([]),
            email_to: json!([]),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn a_form_is_offered_in_its_department_and_category() {
        assert!(offered(&form(None, ""), None, ""));
        assert!(offered(&form(None, ""), Some(2), "Used"));
        assert!(offered(&form(Some(2), ""), Some(2), "New"));
        assert!(!offered(&form(Some(2), ""), Some(3), ""));
        assert!(!offered(&form(Some(2), ""), None, ""));
        assert!(offered(&form(Some(2), "Used"), Some(2), "Used"));
        assert!(!offered(&form(Some(2), "Used"), Some(2), "New"));
        assert!(!offered(&form(Some(2), "Used"), Some(2), ""));
    }
}
