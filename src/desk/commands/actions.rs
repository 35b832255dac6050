//! `/action like` and `/action comment` on `meta.message`.

use super::{Outcome, Run};
use crate::desk::Desk;
use crate::error::{self, Result};

pub fn action(_desk: &Desk, run: &Run) -> Result<Outcome> {
    Err(error::UNKNOWN_COMMAND.with(format!("/{} is not available yet", run.name)))
}

/// A message's likes (user ids, oldest first) and comments (`{user,
/// message, text}` with ids as numbers), for the readers that show them
/// (ChatShipper's `GET /v2/messages/{id}`, the inbox).
pub fn likes_and_comments(
    _desk: &Desk,
    _message_id: i64,
) -> Result<(Vec<i64>, Vec<serde_json::Value>)> {
    Ok((Vec::new(), Vec::new()))
}
