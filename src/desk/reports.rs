//! Reports: Support Board's named reports, computed from conversations,
//! messages, contacts, ratings and the `reports` rows the desk records
//! (article searches and views, automation runs, direct messages).
//! Days are those of the caller's time zone (UTC by default). The desk
//! computes the data; titles and charts are the surface's.

use super::{Actor, Desk};
use crate::error::{self, Result};
/// A row of `reports` (what no table records).
pub use crate::store::reports::Row;
use crate::store::reports::{self, Span};
use crate::tz::Zone;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Every report name, as the seed lists them.
pub const NAMES: &[&str] = &[
    "conversations",
    "missed-conversations",
    "conversations-time",
    "visitors",
    "leads",
    "users",
    "agents-response-time",
    "agents-conversations",
    "agents-conversations-time",
    "agents-ratings",
    "countries",
    "languages",
    "browsers",
    "os",
    "subscribe",
    "follow-up",
    "registrations",
    "articles-searches",
    "articles-ratings",
    "articles-views-single",
    "articles-views",
    "sms-automations",
    "email-automations",
    "message-automations",
    "direct-sms",
    "direct-emails",
    "direct-messages",
];

const DAY: i64 = 86_400_000;

/// `dd/mm/yyyy` or `yyyy-mm-dd` to days since 1970-01-01.
pub fn parse_day(s: &str) -> Result<i64> {
    let bad =
        || error::INVALID_DATE.with(format!("{s:?} is not a date (dd/mm/yyyy or yyyy-mm-dd)"));
    let nums: Vec<i64> = s
        .trim()
        .split(['/', '-'])
        .map(|p| p.parse().map_err(|_| bad()))
        .collect::<Result<_>>()?;
    let (y, m, d) = match (nums.as_slice(), s.contains('/')) {
        ([d, m, y], true) => (*y, *m, *d),
        ([y, m, d], false) => (*y, *m, *d),
        _ => return Err(bad()),
    };
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let days = crate::util::days_from_civil(y, m as u32, d as u32);
    // 31/02 would roll into March: refuse dates that do not round-trip.
    if crate::util::ymd(days * DAY) != (y, m as u32, d as u32) {
        return Err(bad());
    }
    Ok(days)
}

/// The days a report covers, both ends included, as local days of its
/// time zone (day numbers since 1970-01-01). Defaults: the 30 days up to
/// today.
struct Range {
    first: i64,
    last: i64,
    zone: Zone,
}

fn given(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|v| !v.is_empty())
}

impl Range {
    fn new(start: Option<&str>, end: Option<&str>, zone: Zone) -> Result<Range> {
        let last = match given(end) {
            Some(v) => parse_day(v)?,
            None => {
                let now = crate::util::now_ms();
                (now + zone.offset_ms(now)).div_euclid(DAY)
            }
        };
        let first = match given(start) {
            Some(v) => parse_day(v)?,
            None => last - 29,
        };
        if first > last {
            return Err(error::INVALID_DATE.with("date_start is after date_end"));
        }
        if last - first > 3_660 {
            return Err(error::INVALID_DATE.with("a report covers at most ten years"));
        }
        Ok(Range { first, last, zone })
    }
    /// The UTC instant a local midnight falls on.
    fn midnight_utc(&self, day: i64) -> i64 {
        let local = day * DAY;
        local - self.zone.offset_ms(local - self.zone.offset_ms(local))
    }
    fn start_ms(&self) -> i64 {
        self.midnight_utc(self.first)
    }
    fn end_ms(&self) -> i64 {
        self.midnight_utc(self.last + 1)
    }
    /// Daily buckets up to three months, monthly beyond.
    fn monthly(&self) -> bool {
        self.last - self.first > 92
    }
    fn day_key(&self, day: i64) -> i64 {
        if self.monthly() {
            let (y, m, _) = crate::util::ymd(day * DAY);
            y * 100 + m as i64
        } else {
            day
        }
    }
    /// Every label of the range, in order, each with an empty bucket.
    fn buckets(&self) -> BTreeMap<i64, (String, Vec<i64>)> {
        let mut out = BTreeMap::new();
        for day in self.first..=self.last {
            let (y, m, d) = crate::util::ymd(day * DAY);
            let label = if self.monthly() {
                format!("{m:02}/{y}")
            } else {
                format!("{d:02}/{m:02}/{y}")
            };
            out.entry(self.day_key(day)).or_insert((label, Vec::new()));
        }
        out
    }
    /// The bucket of a UTC instant: its local day, or month.
    fn key(&self, ms: i64) -> i64 {
        self.day_key((ms + self.zone.offset_ms(ms)).div_euclid(DAY))
    }
}

fn duration(s: &Span) -> i64 {
    (s.last_at - s.first_at) / 1000
}

fn average(v: &[i64]) -> i64 {
    if v.is_empty() {
        0
    } else {
        v.iter().sum::<i64>() / v.len() as i64
    }
}

impl Desk {
    /// The data of report `name` over `[start, end]` (dates as
    /// `dd/mm/yyyy` or `yyyy-mm-dd`), in the days of `timezone` (an IANA
    /// name; UTC when not given): each label (a day, month, agent, country,
    /// article...) with its values, in order. Titles and charts are the
    /// surface's (`api::support_board::reports::present`).
    pub fn report(
        &self,
        actor: &Actor,
        name: &str,
        start: Option<&str>,
        end: Option<&str>,
        timezone: Option<&str>,
    ) -> Result<Map<String, Value>> {
        actor.require_staff()?;
        if !NAMES.contains(&name) {
            return Err(error::INVALID_REPORT.with(format!("{name:?} is not a report name")));
        }
        let zone = Zone::named(given(timezone).unwrap_or(""))?;
        let range = Range::new(start, end, zone)?;
        let (from, to) = (range.start_ms(), range.end_ms());
        // Series: (time, value) pairs, bucketed by day or month.
        let series = |points: Vec<(i64, i64)>, avg: bool| {
            let mut b = range.buckets();
            for (at, v) in points {
                if let Some(slot) = b.get_mut(&range.key(at)) {
                    slot.1.push(v);
                }
            }
            let mut data = Map::new();
            for (_, (label, vals)) in b {
                let v = if avg {
                    average(&vals)
                } else {
                    vals.iter().sum()
                };
                data.insert(label, json!([v]));
            }
            data
        };
        let counts = |times: Vec<i64>| series(times.into_iter().map(|t| (t, 1)).collect(), false);
        let rows = |n: &str| -> Result<Vec<reports::Row>> {
            self.store.read(|c| reports::between(c, n, from, to))
        };
        let spans = || self.store.read(|c| reports::spans(c, from, to));

        Ok(match name {
            "conversations" => counts(
                self.store
                    .read(|c| reports::conversations(c, from, to))?
                    .into_iter()
                    .map(|(_, at)| at)
                    .collect(),
            ),
            // Conversations with no message at all count as missed too.
            "missed-conversations" => {
                let answered: std::collections::HashSet<i64> = spans()?
                    .iter()
                    .filter(|s| s.answered)
                    .map(|s| s.conversation_id)
                    .collect();
                counts(
                    self.store
                        .read(|c| reports::conversations(c, from, to))?
                        .into_iter()
                        .filter(|(id, _)| !answered.contains(id))
                        .map(|(_, at)| at)
                        .collect(),
                )
            }
            "conversations-time" => series(
                spans()?
                    .iter()
                    .map(|s| (s.conversation_at, duration(s)))
                    .collect(),
                true,
            ),
            "visitors" | "leads" | "users" | "registrations" => {
                let t = match name {
                    "visitors" => "visitor",
                    "leads" => "lead",
                    _ => "user",
                };
                counts(self.store.read(|c| reports::user_times(c, t, from, to))?)
            }
            "agents-response-time" | "agents-conversations" | "agents-conversations-time" => {
                let mut per: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
                if name == "agents-response-time" {
                    // The first agent reply after the contact's first message.
                    for span in spans()? {
                        if let (Some(asked), Some((agent, at))) =
                            (span.first_owner_at, span.first_reply)
                        {
                            per.entry(agent).or_default().push((at - asked) / 1000);
                        }
                    }
                } else {
                    let lengths: std::collections::HashMap<i64, i64> = spans()?
                        .iter()
                        .map(|s| (s.conversation_id, duration(s)))
                        .collect();
                    let who = self
                        .store
                        .read(|c| reports::staff_in_conversations(c, from, to))?;
                    for (conversation, agent) in who {
                        per.entry(agent)
                            .or_default()
                            .push(lengths.get(&conversation).copied().unwrap_or(0));
                    }
                }
                let mut data = Map::new();
                for (agent, vals) in per {
                    let v = if name == "agents-conversations" {
                        vals.len() as i64
                    } else {
                        average(&vals)
                    };
                    data.insert(self.agent_name(agent), json!([v]));
                }
                data
            }
            "agents-ratings" => {
                let mut per: BTreeMap<Option<i64>, [i64; 2]> = BTreeMap::new();
                for (agent, r) in self
                    .store
                    .read(|c| reports::conversation_ratings(c, from, to))?
                {
                    per.entry(agent).or_default()[usize::from(r < 0)] += 1;
                }
                per.into_iter()
                    .map(|(a, [p, n])| {
                        let who = a.map_or("Unassigned".to_string(), |a| self.agent_name(a));
                        (who, json!([p, n]))
                    })
                    .collect()
            }
            "countries" | "languages" | "browsers" | "os" => {
                let attr = match name {
                    "countries" => "country",
                    "languages" => "language",
                    "browsers" => "browser",
                    _ => "os",
                };
                self.store
                    .read(|c| reports::contact_attribute(c, attr, from, to))?
                    .into_iter()
                    .map(|(k, n)| (k, json!([n])))
                    .collect()
            }
            "articles-searches" => {
                let mut per: BTreeMap<String, i64> = BTreeMap::new();
                for r in rows(name)? {
                    *per.entry(r.value.unwrap_or_default().to_lowercase())
                        .or_default() += 1;
                }
                let mut v: Vec<_> = per.into_iter().collect();
                v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                v.into_iter().map(|(k, n)| (k, json!([n]))).collect()
            }
            "articles-ratings" | "articles-views-single" => {
                let mut per: BTreeMap<String, [i64; 2]> = BTreeMap::new();
                if name == "articles-ratings" {
                    for (id, r) in self.store.read(|c| reports::article_ratings(c, from, to))? {
                        per.entry(id).or_default()[usize::from(r < 0)] += 1;
                    }
                } else {
                    for r in rows("articles-views")? {
                        per.entry(r.external_id.unwrap_or_default()).or_default()[0] += 1;
                    }
                }
                let titles = self.articles(&super::articles::Language::Default)?;
                per.into_iter()
                    .map(|(id, [a, b])| {
                        let title = titles
                            .iter()
                            .find(|t| t.id == id)
                            .map_or(id.clone(), |t| t.title.clone());
                        let v = if name == "articles-ratings" {
                            json!([a, b])
                        } else {
                            json!([a])
                        };
                        (title, v)
                    })
                    .collect()
            }
            // Counted from the rows the desk (or reports-update) recorded.
            _ => counts(rows(name)?.into_iter().map(|r| r.created_at).collect()),
        })
    }

    /// An agent's (positive, negative) conversation ratings, ever: the
    /// conversations assigned to them, or that they answered last.
    pub fn agent_ratings(&self, actor: &Actor, agent_id: i64) -> Result<(i64, i64)> {
        actor.require_staff()?;
        let all = self
            .store
            .read(|c| reports::conversation_ratings(c, i64::MIN, i64::MAX))?;
        let mine: Vec<i64> = all
            .into_iter()
            .filter(|(a, _)| *a == Some(agent_id))
            .map(|(_, r)| r)
            .collect();
        let good = mine.iter().filter(|r| **r > 0).count() as i64;
        Ok((good, mine.len() as i64 - good))
    }

    fn agent_name(&self, id: i64) -> String {
        match self.user_by_id(id) {
            Ok(u) => format!("{} {}", u.first_name, u.last_name)
                .trim()
                .to_string(),
            Err(_) => format!("#{id}"),
        }
    }

    /// Records a report row (Support Board's `reports-update`).
    pub fn add_report_row(&self, actor: &Actor, row: reports::Row) -> Result<()> {
        actor.require_admin()?;
        if !NAMES.contains(&row.name.as_str()) {
            return Err(error::INVALID_REPORT.with(format!("{:?} is not a report name", row.name)));
        }
        for v in [&row.value, &row.external_id, &row.extra]
            .into_iter()
            .flatten()
        {
            super::check_len("value", v, 2_000)?;
        }
        self.store.write(move |tx| reports::add(tx, &row))
    }

    /// Records that something the reports count happened (a direct
    /// message, an automation run...).
    pub(crate) fn record(
        &self,
        name: &str,
        value: Option<String>,
        external_id: Option<String>,
    ) -> Result<()> {
        let row = reports::Row {
            name: name.into(),
            value,
            external_id,
            ..Default::default()
        };
        self.store.write(move |tx| reports::add(tx, &row))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_date_forms() {
        assert_eq!(parse_day("1970-01-02").unwrap(), 1);
        assert_eq!(parse_day("02/01/1970").unwrap(), 1);
        assert_eq!(
            parse_day("29/02/2024").unwrap(),
            parse_day("2024-02-29").unwrap()
        );
        for bad in ["31/02/2024", "2024-13-01", "tomorrow", "1/2", ""] {
            assert!(parse_day(bad).is_err(), "{bad}");
        }
    }
}
