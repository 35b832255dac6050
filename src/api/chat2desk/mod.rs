//! Chat2Desk's API v1 (`/v1/<resource>`): the external channel's
//! `messages/inbox` and what an integrator reads next, token in the
//! `Authorization` header, answers in Chat2Desk's envelope (part B of
//! issue 14).
//!
//! `transport.rs` authenticates, reads ids and wraps answers; `records.rs`
//! shapes the records; one file per concern holds its handlers, and this
//! table joins them. Every read and change is a desk verb scoped by the
//! token's actor. `{name}` takes any segment, so a non-numeric id is
//! Chat2Desk's 404 in its envelope, not ours.

mod clients;
mod messages;
mod records;
mod requests;
mod tags;
mod transport;

use super::{r, Access::*, Route};

/// The routes of this surface, joined in `api::TABLES` before TalkJS's.
pub(super) const ROUTES: &[Route] = &[
    r("POST", "/v1/messages/inbox", Public, messages::inbox),
    r("GET", "/v1/messages", Public, messages::list),
    r("GET", "/v1/clients/{name}", Public, clients::get),
    r("PUT", "/v1/clients/{name}", Public, clients::put),
    r("GET", "/v1/tags", Public, tags::list),
    r("POST", "/v1/tags/assign_to", Public, tags::assign),
    r(
        "DELETE",
        "/v1/tags/{name}/delete_from",
        Public,
        tags::delete_from,
    ),
    r("PUT", "/v1/requests/close", Public, requests::close),
];
