//! Tags (admin catalogue; on clients and requests) and quality scores: part C of issue 14.

use super::Route;

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[];
