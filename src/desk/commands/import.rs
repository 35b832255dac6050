//! `/import <id>`: merge another conversation into this one.

use super::{Outcome, Run};
use crate::desk::Desk;
use crate::error::{self, Result};

pub fn import(_desk: &Desk, run: &Run) -> Result<Outcome> {
    Err(error::UNKNOWN_COMMAND.with(format!("/{} is not available yet", run.name)))
}
