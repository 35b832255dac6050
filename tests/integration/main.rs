//! Integration tests: every one starts the real binary (see harness.rs).

mod api;
mod assets;
mod attachments_scope;
mod bad_input;
mod cli;
mod crash;
mod email_out;
mod faults;
mod first_customer;
mod harness;
mod http_limits;
mod idempotency;
mod input_limits;
mod litestream;
mod ops;
mod parsers;
mod realtime;
mod smtp_server;
mod support_board;
mod support_board_more;
mod tokens;
mod uploads;
mod webhooks;
mod widget_presence;
