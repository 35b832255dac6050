//! TalkJS's REST API (`/v1/{appId}/...`): users and conversations keyed by
//! the caller's own string ids, idempotent upserts, messages posted as
//! arrays. `{appId}` is the setting `talkjs.app_id`; the bearer is an API
//! token. Part A of issue 14 builds it (transport, records, one file per
//! concern).

use super::Route;

/// The routes of this surface, joined in `api::TABLES` after Chat2Desk's
/// (whose literal `/v1/<resource>` paths win over an `{appId}`).
pub(super) const ROUTES: &[Route] = &[];
