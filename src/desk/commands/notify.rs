//! `/notify`: queue a closed conversation and notify channels by the routing rules of its department and the department's ancestors.

use super::{Outcome, Run};
use crate::desk::Desk;
use crate::error::{self, Result};

pub fn notify(_desk: &Desk, run: &Run) -> Result<Outcome> {
    Err(error::UNKNOWN_COMMAND.with(format!("/{} is not available yet", run.name)))
}

/// Queues conversation `id` in `tx` (status waiting for an agent) and
/// notifies its channels by its routing rules; `online` is who is
/// connected now (`hub.online_users()`, read before the job). `/notify`
/// and `/leave` (when the contact's last message is unanswered) call it.
/// For now: the status and the `conversation.queued` event only.
pub fn queue(
    tx: &mut crate::store::Tx,
    id: i64,
    actor_id: i64,
    online: &[i64],
) -> Result<serde_json::Value> {
    let _ = online;
    let head = crate::store::conversations::head(tx.conn, id)?;
    let status = crate::domain::Status::WaitingForAgent;
    if head.status != status {
        crate::store::conversations::set_status(tx, id, status)?;
        tx.emit(
            "conversation.status",
            Some(id),
            Some(actor_id),
            crate::store::events::Audience::Everyone,
            serde_json::json!({ "status": status, "previous": head.status }),
        )?;
    }
    let queued = serde_json::json!({ "channels": [], "offline": [] });
    tx.emit(
        "conversation.queued",
        Some(id),
        Some(actor_id),
        crate::store::events::Audience::Staff,
        queued.clone(),
    )?;
    Ok(queued)
}
