//! Housekeeping an admin can run (Support Board's `clean-data`) and the
//! contact export.

use super::conversations::{ConversationPatch, Status};
use super::{Actor, Desk};
use crate::error::Result;
use crate::store::{conversations, users};
use serde_json::{json, Value};

const HOUR: i64 = 3_600_000;

impl Desk {
    /// Deletes visitors idle for 24 hours who never started a conversation,
    /// deletes conversations in the trash for 30 days, and archives
    /// conversations whose last message is an agent's and 24 hours old.
    /// Each change goes through the usual verb, so it fires its events.
    pub fn clean_data(&self, actor: &Actor) -> Result<Value> {
        actor.require_staff()?;
        let now = crate::util::now_ms();
        let visitors = self
            .store
            .read(|c| users::stale_visitors(c, now - 24 * HOUR))?;
        for &id in &visitors {
            self.delete_user(actor, id)?;
        }
        let trashed = self
            .store
            .read(|c| conversations::trashed_before(c, now - 30 * 24 * HOUR))?;
        for &id in &trashed {
            self.delete_conversation(actor, id)?;
        }
        let answered = self
            .store
            .read(|c| conversations::answered_before(c, now - 24 * HOUR))?;
        for &id in &answered {
            let patch = ConversationPatch {
                status: Some(Status::Archive.into()),
                ..Default::default()
            };
            self.update_conversation(actor, id, patch)?;
        }
        Ok(json!({
            "visitors_deleted": visitors.len(),
            "conversations_deleted": trashed.len(),
            "conversations_archived": answered.len(),
        }))
    }

    /// Every contact and staff account as CSV (custom fields as columns),
    /// saved as a file for download.
    pub fn users_csv(&self, actor: &Actor) -> Result<Value> {
        actor.require_admin()?;
        let all = self.list_users(actor, &[], None, i64::MAX, 0)?;
        let mut custom: Vec<String> = Vec::new();
        for u in &all {
            for k in u.custom.as_object().into_iter().flatten().map(|(k, _)| k) {
                if !custom.contains(k) {
                    custom.push(k.clone());
                }
            }
        }
        let q = crate::util::csv_cell;
        let mut head = vec![
            "id",
            "first_name",
            "last_name",
            "email",
            "user_type",
            "phone",
            "language",
            "department",
            "creation_time",
            "last_activity",
        ]
        .into_iter()
        .map(q)
        .collect::<Vec<_>>();
        head.extend(custom.iter().map(|k| q(k)));
        let mut out = head.join(",") + "\r\n";
        for u in all.iter().filter(|u| u.id != self.bot_id) {
            let mut row = vec![
                u.id.to_string(),
                u.first_name.clone(),
                u.last_name.clone(),
                u.email.clone().unwrap_or_default(),
                u.user_type.as_str().to_string(),
                u.phone.clone().unwrap_or_default(),
                u.language.clone().unwrap_or_default(),
                u.department_id.map(|d| d.to_string()).unwrap_or_default(),
                crate::util::sql_datetime(u.created_at),
                crate::util::sql_datetime(u.last_seen.unwrap_or(u.created_at)),
            ];
            for k in &custom {
                row.push(match u.custom.get(k) {
                    Some(Value::String(s)) => s.clone(),
                    Some(v) => v.to_string(),
                    None => String::new(),
                });
            }
            out.push_str(&row.iter().map(|v| q(v)).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        }
        self.save_upload(actor, "users.csv", "text/csv", out.as_bytes(), usize::MAX)
    }
}
