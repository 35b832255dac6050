//! Email in: the parser (`parse`), the IMAP client (`imap`) and the poller
//! thread (`poller`). What an imported message becomes is the desk's
//! (`desk/mail_in.rs`); the `mail-in` command is `cli`.

pub mod cli;
pub mod imap;
pub mod parse;
pub mod poller;
