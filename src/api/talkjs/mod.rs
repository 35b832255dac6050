//! TalkJS's REST API (`/v1/{appId}/...`): users and conversations keyed by
//! the caller's own string ids, idempotent upserts, messages posted as
//! arrays. `{appId}` is the setting `talkjs.app_id`; the bearer is an API
//! token (see README, "TalkJS REST API").
//!
//! `transport.rs` authenticates, checks the app id and spells errors;
//! `records.rs` shapes users, conversations and messages as TalkJS does;
//! `users.rs`, `conversations.rs` and `messages.rs` hold the routes, each
//! with its own table, joined here.

mod conversations;
mod messages;
mod records;
mod transport;
mod users;

use super::{Access, Route};

/// The routes of this surface, joined in `api::TABLES` after Chat2Desk's
/// (whose literal `/v1/<resource>` paths win over an `{appId}`).
pub(super) const ROUTES: &[Route] = &JOINED;

const TABLES: [&[Route]; 3] = [users::ROUTES, conversations::ROUTES, messages::ROUTES];
const COUNT: usize = users::ROUTES.len() + conversations::ROUTES.len() + messages::ROUTES.len();
const JOINED: [Route; COUNT] = join();

/// The files' tables as one array, at compile time.
const fn join() -> [Route; COUNT] {
    const EMPTY: Route = super::r("GET", "", Access::Public, transport::unreachable);
    let mut out = [EMPTY; COUNT];
    let (mut t, mut k) = (0, 0);
    while t < TABLES.len() {
        let mut i = 0;
        while i < TABLES[t].len() {
            let r = &TABLES[t][i];
            out[k] = super::r(r.method, r.path, r.access, r.handler);
            k += 1;
            i += 1;
        }
        t += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    /// Every file's routes are joined, none twice.
    #[test]
    fn tables_are_joined() {
        let mut seen = std::collections::BTreeSet::new();
        for r in super::ROUTES {
            assert!(r.path.starts_with("/v1/{name}/"), "{}", r.path);
            assert!(
                seen.insert((r.method, r.path)),
                "{} {} twice",
                r.method,
                r.path
            );
        }
        assert_eq!(seen.len(), 7);
    }
}
