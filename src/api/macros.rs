//! Macros, keyword bots and the self-service menu (admin CRUD; running a macro): part D of issue 14.

use super::Route;

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[];
