//! Integration tests: every one starts the real binary (see harness.rs).

mod api;
mod bad_input;
mod cli;
mod crash;
mod harness;
mod http_limits;
mod ops;
mod realtime;
mod support_board;
mod support_board_more;
mod uploads;
mod webhooks;
