//! Token-bucket rate limits keyed by a string (an IP, an account, a visitor).

use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Clone, Copy)]
pub struct Rule {
    /// Requests allowed in a burst.
    pub burst: f64,
    /// Requests regained per second.
    pub per_second: f64,
}

pub struct Limiter {
    /// Tokens left, when last counted, and the bucket's own rule.
    buckets: Mutex<HashMap<String, (f64, Instant, Rule)>>,
    enabled: bool,
}

impl Limiter {
    /// `enabled = false` (FRONTPORCH_RATE_LIMITS=off) lets everything through:
    /// for test rigs and trusted networks only.
    pub fn new(enabled: bool) -> Limiter {
        Limiter {
            buckets: Mutex::new(HashMap::new()),
            enabled,
        }
    }

    /// Takes one token from `key`'s bucket, or says how long to wait.
    pub fn check(&self, key: &str, rule: Rule) -> Result<()> {
        if !self.enabled {
            return Ok(());
        }
        let now = Instant::now();
        let mut b = self.buckets.lock().unwrap();
        if b.len() > 100_000 {
            // Forget full buckets so a flood of keys cannot grow memory
            // forever; each judged by its own rule, so a bucket of a
            // smaller rule is not forgotten (refilled) early.
            b.retain(|_, (tokens, at, r)| {
                *tokens + now.duration_since(*at).as_secs_f64() * r.per_second < r.burst
            });
        }
        let (tokens, at, _) = b.entry(key.to_string()).or_insert((rule.burst, now, rule));
        *tokens =
            (*tokens + now.duration_since(*at).as_secs_f64() * rule.per_second).min(rule.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Error::rate_limited(
                ((1.0 - *tokens) / rule.per_second).ceil() as u64,
            ))
        }
    }
}

pub const LOGIN_PER_IP: Rule = Rule {
    burst: 20.0,
    per_second: 20.0 / 300.0,
};
pub const LOGIN_PER_ACCOUNT: Rule = Rule {
    burst: 10.0,
    per_second: 10.0 / 900.0,
};
pub const VISITOR_SESSION_PER_IP: Rule = Rule {
    burst: 30.0,
    per_second: 0.5,
};
/// Article searches, views and ratings an address may add to the reports
/// (the public knowledge-base endpoints write one row each).
pub const ARTICLE_FEEDBACK_PER_IP: Rule = Rule {
    burst: 60.0,
    per_second: 0.5,
};
/// Conversations one visitor may open. Opening needs no first message, so
/// the message bucket does not cover it.
pub const VISITOR_CONVERSATION: Rule = Rule {
    burst: 5.0,
    per_second: 1.0 / 60.0,
};
/// Conversations all visitors behind one address may open (a new visitor
/// is one request away, so the per-visitor bucket alone is not a bound).
pub const CONVERSATION_PER_IP: Rule = Rule {
    burst: 20.0,
    per_second: 0.1,
};
/// Requests to a messaging platform's webhook (`/channels/<name>`) from
/// one address: a platform's bursts pass, junk cannot fill the disk.
pub const CHANNEL_PER_IP: Rule = Rule {
    burst: 200.0,
    per_second: 10.0,
};
pub const VISITOR_MESSAGE: Rule = Rule {
    burst: 20.0,
    per_second: 1.0,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_empties_and_reports_wait() {
        let l = Limiter::new(true);
        let rule = Rule {
            burst: 3.0,
            per_second: 0.1,
        };
        for _ in 0..3 {
            l.check("a", rule).unwrap();
        }
        let e = l.check("a", rule).unwrap_err();
        assert_eq!(e.retry_after, Some(10));
        l.check("b", rule).unwrap();
    }

    #[test]
    fn forgetting_full_buckets_keeps_each_rule() {
        let l = Limiter::new(true);
        let (big, small) = (
            Rule {
                burst: 30.0,
                per_second: 1e-6,
            },
            Rule {
                burst: 5.0,
                per_second: 1e-6,
            },
        );
        for _ in 0..20 {
            l.check("big", big).unwrap();
        }
        // Enough keys to trigger the clean-up, made under the smaller rule.
        for i in 0..100_002 {
            l.check(&format!("k{i}"), small).unwrap();
        }
        for _ in 0..10 {
            l.check("big", big).unwrap();
        }
        assert!(l.check("big", big).is_err(), "the bucket was refilled");
    }
}
