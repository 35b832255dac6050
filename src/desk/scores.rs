//! Quality scores (Chat2Desk): after a request closes the client rates it
//! on the configured scale (setting `scores`, default 1–5), by buttons in
//! the widget or by a number on channels without buttons; a score can put
//! a tag on the request. Stub of the skeleton: part C builds it.
#![allow(dead_code)] // the skeleton's: the parts of issue 14 use it

use crate::domain::Status;
use crate::error::Result;
use crate::store::Tx;

/// Called by `conversations::move_status` in the job of every status
/// change: when a request closes, ask for its score (once).
pub(crate) fn after_status(
    _tx: &mut Tx,
    _conversation_id: i64,
    _actor_id: i64,
    _before: Status,
    _now: Status,
) -> Result<()> {
    Ok(())
}

/// A client's text message on a channel without buttons, before it is
/// imported: when the client's newest request with `source` was asked
/// for a score and `text` is a number on its scale, it is recorded as the
/// score and true is returned (the message is consumed, nothing else is
/// imported or reopened).
pub(crate) fn take_text_score(
    _tx: &mut Tx,
    _contact_id: i64,
    _source: &str,
    _text: &str,
) -> Result<bool> {
    Ok(false)
}
