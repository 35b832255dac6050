//! Agents as people: an agent's own profile (name, avatar, colour), and
//! what the widget header says about who answers (the team, and how soon
//! they typically reply, from real first-response times).

use super::{check_len, Actor, Desk};
use crate::error::{self, Error, Result};
use crate::store::{uploads, users};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Agents the widget header shows at most.
pub const TEAM_SIZE: i64 = 3;
/// The window of first-response times, and how many conversations of it
/// are read at most (the newest), so the query stays bounded.
const WINDOW_MS: i64 = 30 * 86_400_000;
const MAX_CONVERSATIONS: i64 = 1000;
/// How long a computed reply time is reused.
const CACHE_FOR: Duration = Duration::from_secs(60);

/// What an agent may change of their own profile; a field left out stays.
/// `avatar: ""` removes the picture, `color: ""` restores the default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub avatar: Option<String>,
    pub color: Option<String>,
}

/// `#rrggbb`, the only colour form stored (it goes into CSS and SVG).
fn valid_color(c: &str) -> bool {
    c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|c| c.is_ascii_hexdigit())
}

/// The reply-time words the widget translates, from a median in seconds.
pub fn reply_bucket(median_secs: i64) -> &'static str {
    match median_secs {
        s if s <= 15 * 60 => "minutes",
        s if s <= 60 * 60 => "hour",
        s if s <= 6 * 3600 => "hours",
        _ => "day",
    }
}

/// The median of some durations (the lower middle of an even count).
pub fn median(mut v: Vec<i64>) -> Option<i64> {
    v.sort_unstable();
    v.get(v.len().saturating_sub(1) / 2).copied()
}

/// The last computed median and when: one per process, like the desk.
static REPLY_CACHE: Mutex<Option<(Instant, Option<i64>)>> = Mutex::new(None);

impl Desk {
    /// An agent edits their own profile, and only their own: there is no id
    /// to name anyone else. API tokens have no profile (they are no one).
    pub fn update_profile(&self, actor: &Actor, mut p: Profile) -> Result<users::User> {
        actor.require_staff()?;
        if actor.token_id.is_some() {
            return Err(Error::forbidden("an API token has no profile"));
        }
        for (field, v) in [
            ("first_name", &mut p.first_name),
            ("last_name", &mut p.last_name),
        ] {
            if let Some(v) = v {
                *v = super::text::clean_name(v);
                check_len(field, v, 100)?;
            }
        }
        if p.first_name.as_deref() == Some("") {
            return Err(error::MISSING_NAME.with("first_name cannot be empty"));
        }
        if let Some(c) = p.color.as_deref().filter(|c| !c.is_empty()) {
            if !valid_color(c) {
                return Err(error::INVALID_COLOR.err());
            }
        }
        if let Some(a) = p.avatar.as_deref().filter(|a| !a.is_empty()) {
            p.avatar = Some(self.own_picture(actor, a)?);
        }
        let id = actor.user_id;
        self.store.write(move |tx| {
            let user = users::set_profile(
                tx,
                id,
                p.first_name.as_deref(),
                p.last_name.as_deref(),
                p.avatar.as_deref(),
                p.color.as_deref(),
            )?;
            super::users::emit_updated(tx, Some(id), &user)?;
            Ok(user)
        })
    }

    /// An avatar is one of our uploads, sent by this agent, of a raster
    /// type (the uploads' own type and size rules already ran on it):
    /// its canonical link.
    fn own_picture(&self, actor: &Actor, url: &str) -> Result<String> {
        self.picture_by(url, &[actor.user_id])
    }

    /// `own_picture` for an upload sent by one of `owners`: a staff
    /// avatar is signed for every visitor, so it is never a customer's file.
    pub(super) fn picture_by(&self, url: &str, owners: &[i64]) -> Result<String> {
        let refused = || {
            error::INVALID_AVATAR.with("avatar must be a PNG, JPEG, GIF or WebP image you uploaded")
        };
        check_len("avatar", url, 2000)?;
        let url = self.links.canonical(url);
        let path = url.strip_prefix(self.links.public_url()).unwrap_or(&url);
        let token = crate::links::upload_token(path).ok_or_else(refused)?;
        let (content_type, owner) = self
            .store
            .read(|c| uploads::type_and_owner(c, token))?
            .ok_or_else(refused)?;
        if !owner.is_some_and(|o| owners.contains(&o)) || !super::uploads::inline_ok(&content_type)
        {
            return Err(refused());
        }
        Ok(path.to_string())
    }

    /// Who answers, as the widget header shows them: up to three enabled
    /// agents, online ones first, avatars signed for the visitor.
    pub fn widget_team(&self) -> Result<Value> {
        let team = self.store.read(|c| users::team(c, TEAM_SIZE))?;
        let exp = self.links.frame_exp();
        Ok(Value::Array(
            team.iter()
                .map(|u| {
                    let mut v = json!({
                        "id": u.id, "name": u.name(), "first_name": u.first_name,
                        "avatar": u.profile_image, "color": u.color(), "online": u.online,
                    });
                    self.links.sign_field(v.get_mut("avatar"), exp);
                    v
                })
                .collect(),
        ))
    }

    /// How soon the team typically replies (`median_seconds` and the
    /// widget's `bucket`), or null without data. Cached for a minute.
    pub fn reply_time(&self) -> Result<Value> {
        let cached = *REPLY_CACHE.lock().unwrap_or_else(|e| e.into_inner());
        let median = match cached {
            Some((at, m)) if at.elapsed() < CACHE_FOR => m,
            _ => {
                let since = crate::util::now_ms() - WINDOW_MS;
                let times = self.store.read(|c| {
                    crate::store::conversations::first_response_times(c, since, MAX_CONVERSATIONS)
                })?;
                let m = median(times);
                *REPLY_CACHE.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), m));
                m
            }
        };
        Ok(match median {
            Some(ms) => {
                let secs = ms / 1000;
                json!({ "median_seconds": secs, "bucket": reply_bucket(secs) })
            }
            None => Value::Null,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_and_median() {
        assert_eq!(median(vec![]), None);
        assert_eq!(median(vec![5, 1, 3]), Some(3));
        assert_eq!(median(vec![4, 1, 3, 2]), Some(2));
        assert_eq!(reply_bucket(60), "minutes");
        assert_eq!(reply_bucket(30 * 60), "hour");
        assert_eq!(reply_bucket(3 * 3600), "hours");
        assert_eq!(reply_bucket(30 * 3600), "day");
        assert!(valid_color("#a0B1c2"));
        assert!(!valid_color("red") && !valid_color("#12345g") && !valid_color("#1234567"));
    }
}
