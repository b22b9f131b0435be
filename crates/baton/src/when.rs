//! Dates and times typed on the command line.
//!
//! A date (`2022-10-05`) or a civil time (`2022-10-05T14:00`) is read in a time zone the command
//! chooses (the team's or the member's); RFC 3339 with an offset (`2022-10-05T14:00:00+02:00`,
//! `…Z`) is an instant already. `now` and `today` are understood too.

use anyhow::{anyhow, Result};
use baton_core::civil::{resolve_local, Side};
use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;

/// A point in time as the user wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    Date(NaiveDate),
    Civil(NaiveDateTime),
    Instant(DateTime<Utc>),
}

impl When {
    /// Parses `text`; `name` is the option, for the error message.
    pub fn parse(text: &str, name: &str, now: DateTime<Utc>) -> Result<Self> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("now") {
            return Ok(Self::Instant(now));
        }
        if t.eq_ignore_ascii_case("today") {
            return Ok(Self::Date(now.date_naive()));
        }
        if let Ok(instant) = DateTime::parse_from_rfc3339(t) {
            return Ok(Self::Instant(instant.with_timezone(&Utc)));
        }
        if let Some(civil) = baton_config::parse_civil(t) {
            return Ok(Self::Civil(civil));
        }
        if let Ok(date) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            return Ok(Self::Date(date));
        }
        Err(anyhow!(
            "{name} {text:?} is not a date or time: write 2022-10-05 or 2022-10-05T14:00 \
             (local time) or 2022-10-05T14:00:00+02:00"
        ))
    }

    /// The instant this names in `tz`; a date is its start.
    pub fn start(self, tz: Tz) -> DateTime<Utc> {
        match self {
            Self::Date(d) => resolve_local(tz, d.and_time(chrono::NaiveTime::MIN), Side::Earliest),
            Self::Civil(c) => resolve_local(tz, c, Side::Earliest),
            Self::Instant(i) => i,
        }
    }

    /// The end of a range: a date counts whole (its end is the next day's start).
    pub fn end_inclusive(self, tz: Tz) -> DateTime<Utc> {
        match self {
            Self::Date(d) => Self::Date(d.checked_add_days(Days::new(1)).unwrap_or(d)).start(tz),
            other => other.start(tz),
        }
    }

    /// The instant this names in `tz`, reading a bare date as that day at `time_of_day` (used to
    /// read a date as "the shift on duty that day", at the team's hand-off time).
    pub fn at_time_of_day(self, tz: Tz, time_of_day: chrono::NaiveTime) -> DateTime<Utc> {
        match self {
            Self::Date(d) => resolve_local(tz, d.and_time(time_of_day), Side::Earliest),
            other => other.start(tz),
        }
    }
}

/// Parses an optional option value.
pub fn parse_opt(text: Option<&str>, name: &str, now: DateTime<Utc>) -> Result<Option<When>> {
    text.map(|t| When::parse(t, name, now)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Berlin;

    #[test]
    fn reads_dates_civil_times_and_instants() {
        let now = Utc.with_ymd_and_hms(2022, 10, 5, 12, 0, 0).unwrap();
        let date = When::parse("2022-10-30", "--from", now).unwrap();
        assert_eq!(
            date.start(Berlin),
            Utc.with_ymd_and_hms(2022, 10, 29, 22, 0, 0).unwrap()
        );
        // 30 October 2022 is 25 hours long in Berlin.
        assert_eq!(
            date.end_inclusive(Berlin),
            Utc.with_ymd_and_hms(2022, 10, 30, 23, 0, 0).unwrap()
        );
        let civil = When::parse("2022-10-05T14:00", "--at", now).unwrap();
        assert_eq!(
            civil.start(Berlin),
            Utc.with_ymd_and_hms(2022, 10, 5, 12, 0, 0).unwrap()
        );
        let instant = When::parse("2022-10-05T14:00:00Z", "--at", now).unwrap();
        assert_eq!(
            instant.start(Berlin),
            Utc.with_ymd_and_hms(2022, 10, 5, 14, 0, 0).unwrap()
        );
        assert_eq!(When::parse("now", "--at", now).unwrap().start(Berlin), now);
        let err = When::parse("next tuesday", "--at", now)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--at \"next tuesday\""), "{err}");
    }
}
