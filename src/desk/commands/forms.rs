//! Forms per category, filled in a conversation; `/send` moves completed ones into the conversation's results.

use super::{Outcome, Run};
use crate::desk::Desk;
use crate::error::{self, Result};

pub fn send(_desk: &Desk, run: &Run) -> Result<Outcome> {
    Err(error::UNKNOWN_COMMAND.with(format!("/{} is not available yet", run.name)))
}
