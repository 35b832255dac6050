//! Integration tests: every one starts the real binary (see harness.rs).

mod api;
mod assets;
mod attachments_scope;
mod bad_input;
mod cli;
mod crash;
mod email_in;
mod faults;
mod first_customer;
mod harness;
mod http_limits;
mod idempotency;
mod imap_server;
mod input_limits;
mod litestream;
mod ops;
mod parsers;
mod realtime;
mod support_board;
mod support_board_more;
mod tokens;
mod uploads;
mod webhooks;
mod widget_presence;
