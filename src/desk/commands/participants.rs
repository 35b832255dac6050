//! ChatShipper's participants: `/assign`, `/join`, `/accept`, `/leave` (`/close`).

use super::{Outcome, Run};
use crate::desk::Desk;
use crate::error::{self, Result};

pub fn assign(_desk: &Desk, run: &Run) -> Result<Outcome> {
    Err(error::UNKNOWN_COMMAND.with(format!("/{} is not available yet", run.name)))
}

pub fn join(_desk: &Desk, run: &Run) -> Result<Outcome> {
    Err(error::UNKNOWN_COMMAND.with(format!("/{} is not available yet", run.name)))
}

pub fn accept(_desk: &Desk, run: &Run) -> Result<Outcome> {
    Err(error::UNKNOWN_COMMAND.with(format!("/{} is not available yet", run.name)))
}

pub fn leave(_desk: &Desk, run: &Run) -> Result<Outcome> {
    Err(error::UNKNOWN_COMMAND.with(format!("/{} is not available yet", run.name)))
}
