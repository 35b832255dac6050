//! `/set`: conversation properties (`@name`, `@category`, `@touchpoint`, `@language`) and meta.

use super::{Outcome, Run};
use crate::desk::Desk;
use crate::error::{self, Result};

pub fn set(_desk: &Desk, run: &Run) -> Result<Outcome> {
    Err(error::UNKNOWN_COMMAND.with(format!("/{} is not available yet", run.name)))
}
