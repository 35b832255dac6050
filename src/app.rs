//! Everything a request handler can reach, built once at start.

use crate::config::Config;
use crate::delivery::Delivery;
use crate::desk::Desk;
use crate::http::ratelimit::Limiter;
use std::sync::Arc;

pub struct App {
    pub config: Config,
    pub desk: Arc<Desk>,
    pub delivery: Arc<Delivery>,
    pub limits: Limiter,
}
