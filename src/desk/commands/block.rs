//! `/block`: the contact (and the address they wrote from) may not start sessions or post; the conversation closes.

use super::{Outcome, Run};
use crate::desk::Desk;
use crate::error::{self, Result};

pub fn block(_desk: &Desk, run: &Run) -> Result<Outcome> {
    Err(error::UNKNOWN_COMMAND.with(format!("/{} is not available yet", run.name)))
}
