//! The embedded inbox's logins (embed tokens obtained with an API token): part E of issue 14.

use super::Route;

/// The routes of this file, joined in `api::TABLES`.
pub(super) const ROUTES: &[Route] = &[];
