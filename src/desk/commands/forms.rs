//! Forms per category, filled in a conversation; `/send` moves completed ones into the conversation's results.

use super::{Outcome, Run};
use crate::desk::Desk;
use crate::error::{self, Result};

pub fn send(_desk: &Desk, run: &Run) -> Result<Outcome> {
    Err(error::UNKNOWN_COMMAND.with(format!("/{} is not available yet", run.name)))
}

/// A conversation's forms being filled and its results, for the readers
/// that show them (ChatShipper's `GET /v2/conversations/{id}`, the inbox):
/// `(forms, results)`, each a list of JSON objects.
pub fn forms_and_results(
    _desk: &Desk,
    _conversation_id: i64,
) -> Result<(Vec<serde_json::Value>, Vec<serde_json::Value>)> {
    Ok((Vec::new(), Vec::new()))
}
