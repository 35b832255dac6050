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

/// A report: its data, from the checked request.
type Report = fn(&Ctx<'_>) -> Result<Map<String, Value>>;

/// Every report, by name, in the seed's order.
const REPORTS: &[(&str, Report)] = &[
    ("conversations", |x| x.conversations()),
    ("missed-conversations", |x| x.missed_conversations()),
    ("conversations-time", |x| x.conversations_time()),
    ("visitors", |x| x.users("visitor")),
    ("leads", |x| x.users("lead")),
    ("users", |x| x.users("user")),
    ("agents-response-time", |x| {
        Ok(x.per_agent(x.response_times()?, false))
    }),
    ("agents-conversations", |x| {
        Ok(x.per_agent(x.agent_lengths()?, true))
    }),
    ("agents-conversations-time", |x| {
        Ok(x.per_agent(x.agent_lengths()?, false))
    }),
    ("agents-ratings", |x| x.agents_ratings()),
    ("countries", |x| x.attribute("country")),
    ("languages", |x| x.attribute("language")),
    ("browsers", |x| x.attribute("browser")),
    ("os", |x| x.attribute("os")),
    ("subscribe", |x| x.recorded()),
    ("follow-up", |x| x.recorded()),
    ("registrations", |x| x.users("user")),
    ("articles-searches", |x| x.articles_searches()),
    ("articles-ratings", |x| {
        x.by_article(x.article_ratings()?, true)
    }),
    ("articles-views-single", |x| {
        x.by_article(x.article_views()?, false)
    }),
    ("articles-views", |x| x.recorded()),
    ("sms-automations", |x| x.recorded()),
    ("email-automations", |x| x.recorded()),
    ("message-automations", |x| x.recorded()),
    ("direct-sms", |x| x.recorded()),
    ("direct-emails", |x| x.recorded()),
    ("direct-messages", |x| x.recorded()),
    // Chat2Desk's quality scores (issue 14).
    ("scores", |x| x.scores()),
    ("scores-distribution", |x| x.scores_distribution()),
];

/// Every report name, as the seed lists them.
pub const NAMES: &[&str] = &{
    let mut names = [""; REPORTS.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = REPORTS[i].0;
        i += 1;
    }
    names
};

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

/// A report being computed: the desk, the report's name, and its days
/// (the caller is staff, the name known, the range and zone valid), with
/// the range's UTC instants, `[from, to)`.
struct Ctx<'a> {
    desk: &'a Desk,
    name: &'a str,
    range: Range,
    from: i64,
    to: i64,
}

impl Ctx<'_> {
    /// Series: (time, value) pairs, bucketed by day or month, summed or
    /// averaged.
    fn series(&self, points: Vec<(i64, i64)>, avg: bool) -> Map<String, Value> {
        let mut b = self.range.buckets();
        for (at, v) in points {
            if let Some(slot) = b.get_mut(&self.range.key(at)) {
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
    }
    /// How many times fall in each bucket.
    fn counts(&self, times: Vec<i64>) -> Map<String, Value> {
        self.series(times.into_iter().map(|t| (t, 1)).collect(), false)
    }
    /// The `reports` rows named `n` in the range.
    fn rows(&self, n: &str) -> Result<Vec<reports::Row>> {
        let (from, to) = (self.from, self.to);
        self.desk.store.read(|c| reports::between(c, n, from, to))
    }
    fn spans(&self) -> Result<Vec<Span>> {
        let (from, to) = (self.from, self.to);
        self.desk.store.read(|c| reports::spans(c, from, to))
    }
    /// The conversations started in the range: (id, created at).
    fn started(&self) -> Result<Vec<(i64, i64)>> {
        let (from, to) = (self.from, self.to);
        self.desk
            .store
            .read(|c| reports::conversations(c, from, to))
    }

    fn conversations(&self) -> Result<Map<String, Value>> {
        Ok(self.counts(self.started()?.into_iter().map(|(_, at)| at).collect()))
    }
    /// Conversations with no message at all count as missed too.
    fn missed_conversations(&self) -> Result<Map<String, Value>> {
        let answered: std::collections::HashSet<i64> = self
            .spans()?
            .iter()
            .filter(|s| s.answered)
            .map(|s| s.conversation_id)
            .collect();
        Ok(self.counts(
            self.started()?
                .into_iter()
                .filter(|(id, _)| !answered.contains(id))
                .map(|(_, at)| at)
                .collect(),
        ))
    }
    fn conversations_time(&self) -> Result<Map<String, Value>> {
        let points = self
            .spans()?
            .iter()
            .map(|s| (s.conversation_at, duration(s)))
            .collect();
        Ok(self.series(points, true))
    }
    /// Users of type `t` created in the range.
    fn users(&self, t: &str) -> Result<Map<String, Value>> {
        let (from, to) = (self.from, self.to);
        let times = self
            .desk
            .store
            .read(|c| reports::user_times(c, t, from, to))?;
        Ok(self.counts(times))
    }

    /// Per agent, their first reply times (in seconds): the first agent
    /// reply after the contact's first message.
    fn response_times(&self) -> Result<BTreeMap<i64, Vec<i64>>> {
        let mut per: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for span in self.spans()? {
            if let (Some(asked), Some((agent, at))) = (span.first_owner_at, span.first_reply) {
                per.entry(agent).or_default().push((at - asked) / 1000);
            }
        }
        Ok(per)
    }
    /// Per agent, the lengths (in seconds) of the conversations they were in.
    fn agent_lengths(&self) -> Result<BTreeMap<i64, Vec<i64>>> {
        let (from, to) = (self.from, self.to);
        let lengths: std::collections::HashMap<i64, i64> = self
            .spans()?
            .iter()
            .map(|s| (s.conversation_id, duration(s)))
            .collect();
        let who = self
            .desk
            .store
            .read(|c| reports::staff_in_conversations(c, from, to))?;
        let mut per: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for (conversation, agent) in who {
            per.entry(agent)
                .or_default()
                .push(lengths.get(&conversation).copied().unwrap_or(0));
        }
        Ok(per)
    }
    /// Each agent by name, with how many values (`count`) or their average.
    fn per_agent(&self, per: BTreeMap<i64, Vec<i64>>, count: bool) -> Map<String, Value> {
        let mut data = Map::new();
        for (agent, vals) in per {
            let v = if count {
                vals.len() as i64
            } else {
                average(&vals)
            };
            data.insert(self.desk.agent_name(agent), json!([v]));
        }
        data
    }
    fn agents_ratings(&self) -> Result<Map<String, Value>> {
        let (from, to) = (self.from, self.to);
        let mut per: BTreeMap<Option<i64>, [i64; 2]> = BTreeMap::new();
        for (agent, r) in self
            .desk
            .store
            .read(|c| reports::conversation_ratings(c, from, to))?
        {
            per.entry(agent).or_default()[usize::from(r < 0)] += 1;
        }
        Ok(per
            .into_iter()
            .map(|(a, [p, n])| {
                let who = a.map_or("Unassigned".to_string(), |a| self.desk.agent_name(a));
                (who, json!([p, n]))
            })
            .collect())
    }
    /// The contacts of the range, by the value of `attr`.
    fn attribute(&self, attr: &str) -> Result<Map<String, Value>> {
        let (from, to) = (self.from, self.to);
        Ok(self
            .desk
            .store
            .read(|c| reports::contact_attribute(c, attr, from, to))?
            .into_iter()
            .map(|(k, n)| (k, json!([n])))
            .collect())
    }

    fn articles_searches(&self) -> Result<Map<String, Value>> {
        let mut per: BTreeMap<String, i64> = BTreeMap::new();
        for r in self.rows(self.name)? {
            *per.entry(r.value.unwrap_or_default().to_lowercase())
                .or_default() += 1;
        }
        let mut v: Vec<_> = per.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(v.into_iter().map(|(k, n)| (k, json!([n]))).collect())
    }
    /// Per article id, its (positive, negative) ratings.
    fn article_ratings(&self) -> Result<BTreeMap<String, [i64; 2]>> {
        let (from, to) = (self.from, self.to);
        let mut per: BTreeMap<String, [i64; 2]> = BTreeMap::new();
        for (id, r) in self
            .desk
            .store
            .read(|c| reports::article_ratings(c, from, to))?
        {
            per.entry(id).or_default()[usize::from(r < 0)] += 1;
        }
        Ok(per)
    }
    /// Per article id, its views (and a 0 unused).
    fn article_views(&self) -> Result<BTreeMap<String, [i64; 2]>> {
        let mut per: BTreeMap<String, [i64; 2]> = BTreeMap::new();
        for r in self.rows("articles-views")? {
            per.entry(r.external_id.unwrap_or_default()).or_default()[0] += 1;
        }
        Ok(per)
    }
    /// Each article by title (its id when it is gone), with both values
    /// (`both`) or the first.
    fn by_article(
        &self,
        per: BTreeMap<String, [i64; 2]>,
        both: bool,
    ) -> Result<Map<String, Value>> {
        let titles = self.desk.articles(&super::articles::Language::Default)?;
        Ok(per
            .into_iter()
            .map(|(id, [a, b])| {
                let title = titles
                    .iter()
                    .find(|t| t.id == id)
                    .map_or(id.clone(), |t| t.title.clone());
                let v = if both { json!([a, b]) } else { json!([a]) };
                (title, v)
            })
            .collect())
    }

    /// The quality scores given in the range: (scored at, score, scale).
    fn given_scores(&self) -> Result<Vec<(i64, i64, i64)>> {
        let (from, to) = (self.from, self.to);
        self.desk
            .store
            .read(|c| crate::store::scores::given_between(c, from, to))
    }
    /// Per day (or month): how many scores were given, and their average
    /// (two decimals; 0 on a day without any).
    fn scores(&self) -> Result<Map<String, Value>> {
        let mut b = self.range.buckets();
        for (at, score, _) in self.given_scores()? {
            if let Some(slot) = b.get_mut(&self.range.key(at)) {
                slot.1.push(score);
            }
        }
        let mut data = Map::new();
        for (_, (label, vals)) in b {
            let sum: i64 = vals.iter().sum();
            let avg = match vals.len() {
                0 => 0.0,
                n => (sum as f64 / n as f64 * 100.0).round() / 100.0,
            };
            data.insert(label, json!([vals.len(), avg]));
        }
        Ok(data)
    }
    /// How many times each score was given, from 1 to the largest scale.
    fn scores_distribution(&self) -> Result<Map<String, Value>> {
        let given = self.given_scores()?;
        let top = given
            .iter()
            .map(|(_, s, scale)| *s.max(scale))
            .max()
            .unwrap_or(0);
        let mut counts = vec![0i64; top as usize + 1];
        for (_, s, _) in given {
            counts[s as usize] += 1;
        }
        Ok((1..=top)
            .map(|s| (s.to_string(), json!([counts[s as usize]])))
            .collect())
    }

    /// Counted from the rows the desk (or reports-update) recorded.
    fn recorded(&self) -> Result<Map<String, Value>> {
        Ok(self.counts(
            self.rows(self.name)?
                .into_iter()
                .map(|r| r.created_at)
                .collect(),
        ))
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
        let Some((name, report)) = REPORTS.iter().find(|(n, _)| *n == name) else {
            return Err(error::INVALID_REPORT.with(format!("{name:?} is not a report name")));
        };
        let zone = Zone::named(given(timezone).unwrap_or(""))?;
        let range = Range::new(start, end, zone)?;
        let (from, to) = (range.start_ms(), range.end_ms());
        report(&Ctx {
            desk: self,
            name,
            range,
            from,
            to,
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
