//! Time zones by IANA name ("Europe/London"), read from the system's tz
//! database (`/usr/share/zoneinfo`, or `$TZDIR`): the TZif files' offsets
//! and transitions. Used where a caller names its zone (reports' days).

use crate::error::{self, Result};

/// A zone's UTC offsets over time.
#[derive(Debug, Clone)]
pub struct Zone {
    /// Transition times (unix seconds), ascending.
    at: Vec<i64>,
    /// For each transition, the offset (seconds east of UTC) from then on.
    offset_after: Vec<i32>,
    /// The offset before the first transition.
    initial: i32,
}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            at: vec![],
            offset_after: vec![],
            initial: 0,
        }
    }

    /// The zone called `name`; "UTC" and an empty name are UTC.
    pub fn named(name: &str) -> Result<Zone> {
        let name = name.trim();
        if name.is_empty() || name.eq_ignore_ascii_case("utc") || name == "Etc/UTC" {
            return Ok(Zone::utc());
        }
        let bad = || error::INVALID_TIMEZONE.with(format!("unknown time zone {name:?}"));
        let safe = name.len() <= 64
            && !name.starts_with('/')
            && !name.split('/').any(|p| p.is_empty() || p.starts_with('.'))
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c));
        if !safe {
            return Err(bad());
        }
        let dir = std::env::var("TZDIR").unwrap_or_else(|_| "/usr/share/zoneinfo".into());
        let bytes = std::fs::read(std::path::Path::new(&dir).join(name)).map_err(|_| bad())?;
        parse(&bytes).ok_or_else(bad)
    }

    /// Milliseconds to add to a UTC time for local time in this zone.
    pub fn offset_ms(&self, utc_ms: i64) -> i64 {
        let secs = utc_ms.div_euclid(1000);
        let i = self.at.partition_point(|t| *t <= secs);
        let off = if i == 0 {
            self.initial
        } else {
            self.offset_after[i - 1]
        };
        off as i64 * 1000
    }
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// A TZif file (RFC 8536): the 64-bit block of version 2+ files, else the
/// 32-bit one.
fn parse(b: &[u8]) -> Option<Zone> {
    let header = |at: usize| -> Option<[usize; 6]> {
        if b.get(at..at + 4)? != b"TZif" {
            return None;
        }
        let mut n = [0usize; 6];
        for (i, v) in n.iter_mut().enumerate() {
            *v = be32(b, at + 20 + 4 * i)? as usize;
        }
        Some(n) // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
    };
    let [isut, isstd, leap, time, types, chars] = header(0)?;
    let (mut at, mut width) = (44, 4);
    let (mut time, mut types) = (time, types);
    if *b.get(4)? >= b'2' {
        at += time * 5 + types * 6 + chars + leap * 8 + isstd + isut;
        let n = header(at)?;
        (time, types) = (n[3], n[4]);
        at += 44;
        width = 8;
    }
    let times_at = at;
    let idx_at = times_at + time * width;
    let types_at = idx_at + time;
    let utoff = |t: usize| -> Option<i32> { Some(be32(b, types_at + 6 * t)? as i32) };
    if types == 0 {
        return None;
    }
    let mut zone = Zone {
        at: Vec::with_capacity(time),
        offset_after: Vec::with_capacity(time),
        initial: utoff(0)?,
    };
    for i in 0..time {
        let t = if width == 8 {
            i64::from_be_bytes(
                b.get(times_at + 8 * i..times_at + 8 * i + 8)?
                    .try_into()
                    .ok()?,
            )
        } else {
            be32(b, times_at + 4 * i)? as i32 as i64
        };
        let ty = *b.get(idx_at + i)? as usize;
        if ty >= types {
            return None;
        }
        zone.at.push(t);
        zone.offset_after.push(utoff(ty)?);
    }
    Some(zone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_system_zones() {
        let tokyo = Zone::named("Asia/Tokyo").unwrap();
        assert_eq!(tokyo.offset_ms(1_700_000_000_000), 9 * 3_600_000);
        let london = Zone::named("Europe/London").unwrap();
        // 2024-01-15 and 2024-07-15, noon UTC.
        assert_eq!(london.offset_ms(1_705_320_000_000), 0);
        assert_eq!(london.offset_ms(1_721_044_800_000), 3_600_000);
        assert_eq!(Zone::named("UTC").unwrap().offset_ms(0), 0);
        for bad in [
            "../etc/passwd",
            "/etc/passwd",
            "Mars/Olympus",
            "Europe/./London",
        ] {
            assert!(Zone::named(bad).is_err(), "{bad}");
        }
    }
}
