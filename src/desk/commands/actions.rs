//! `/action like` and `/action comment` on `meta.message`.

use super::{Outcome, Run};
use crate::desk::Desk;
use crate::error::{self, Result};

pub fn action(_desk: &Desk, run: &Run) -> Result<Outcome> {
    Err(error::UNKNOWN_COMMAND.with(format!("/{} is not available yet", run.name)))
}
