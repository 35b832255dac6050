//! Integration tests: every one starts the real binary (see harness.rs).

mod agent_profile;
mod api;
mod assets;
mod attachments_scope;
mod bad_input;
mod cli;
mod crash;
mod faults;
mod first_customer;
mod harness;
mod http_limits;
mod idempotency;
mod inbox_list;
mod input_limits;
mod litestream;
mod message_states;
mod ops;
mod parsers;
mod r10_review;
mod realtime;
mod support_board;
mod support_board_more;
mod tokens;
mod uploads;
mod webhooks;
mod widget_presence;
