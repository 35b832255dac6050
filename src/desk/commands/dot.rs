//! Talkus's dot commands: admin-defined `.name` (message, server, client,
//! alias, and the built-in actions open_url and redirect) and the built-in
//! `.end`.

use super::{Outcome, Run};
use crate::desk::Desk;
use crate::error::Result;

/// Runs `.name`, or `None` when no command has that name (the text is
/// then posted as it is).
pub fn run(_desk: &Desk, _run: &Run) -> Result<Option<Outcome>> {
    Ok(None)
}
