//! `/notify`: queue a closed conversation and notify channels by the routing rules of its department and the department's ancestors.

use super::{Outcome, Run};
use crate::desk::Desk;
use crate::error::{self, Result};

pub fn notify(_desk: &Desk, run: &Run) -> Result<Outcome> {
    Err(error::UNKNOWN_COMMAND.with(format!("/{} is not available yet", run.name)))
}
