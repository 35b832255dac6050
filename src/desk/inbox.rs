//! The inbox list as one staff member sees it: their own unread count and
//! the customer's wait, per row (`store::staff_reads`).

use super::conversations::Conversation;
use super::{Actor, Desk};
use crate::error::Result;
use crate::store::staff_reads;

/// At most this many rows get the per-agent view in one call (a list page).
const MAX_ROWS: usize = 200;

impl Desk {
    /// Adds each conversation's row facts for the staff actor (visitors get
    /// none): one bounded read of each conversation's newest messages.
    pub fn with_agent_view(&self, actor: &Actor, convs: &mut [Conversation]) -> Result<()> {
        if !actor.is_staff() {
            return Ok(());
        }
        let me = actor.user_id;
        let n = convs.len().min(MAX_ROWS);
        let ids: Vec<i64> = convs[..n].iter().map(|c| c.id).collect();
        let views = self.store.read(move |conn| {
            ids.iter()
                .map(|&id| staff_reads::view(conn, id, me))
                .collect::<Result<Vec<_>>>()
        })?;
        for (c, v) in convs.iter_mut().zip(views) {
            c.agent_view = Some(v);
        }
        Ok(())
    }

    /// Adds, for a staff search, the newest message it matched in each
    /// conversation, so the row can show (and mark) the words found.
    pub fn with_search_matches(
        &self,
        actor: &Actor,
        search: &str,
        convs: &mut [Conversation],
    ) -> Result<()> {
        if !actor.is_staff() || search.trim().is_empty() || convs.is_empty() {
            return Ok(());
        }
        let ids: Vec<i64> = convs.iter().take(MAX_ROWS).map(|c| c.id).collect();
        let search = search.to_string();
        let found = self
            .store
            .read(move |conn| staff_reads::newest_matches(conn, &search, &ids))?;
        for (conv, id, body) in found {
            if let Some(c) = convs.iter_mut().find(|c| c.id == conv) {
                c.matched = Some((id, body));
            }
        }
        Ok(())
    }
}
