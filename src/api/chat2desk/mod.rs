//! Chat2Desk's API v1 (`/v1/<resource>`): the external channel's
//! `messages/inbox` and what an integrator reads next, token in the
//! `Authorization` header, answers in Chat2Desk's envelope. Part B of
//! issue 14 builds it (transport, records, one file per concern).

use super::Route;

/// The routes of this surface, joined in `api::TABLES` before TalkJS's.
pub(super) const ROUTES: &[Route] = &[];
