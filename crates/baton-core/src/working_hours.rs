//! A member's weekly working hours, written in config as e.g.
//! `"Mon-Thu 08:00-16:00, Fri 08:00-12:00"`.

use std::fmt;
use std::str::FromStr;

use chrono::{Duration, Weekday};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Minutes in a day; the largest allowed span end (`24:00`).
pub const MINUTES_PER_DAY: u16 = 1440;

/// One weekly span of working time on the wall clock: `day`, from `start_minute` to
/// `end_minute` (minutes since local midnight, `start < end ≤ 1440`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WeeklySpan {
    /// Day of the week the span starts and ends on.
    pub day: Weekday,
    /// Start, in minutes after local midnight.
    pub start_minute: u16,
    /// End (exclusive), in minutes after local midnight; 1440 means `24:00`.
    pub end_minute: u16,
}

impl WeeklySpan {
    /// Length of the span in minutes.
    pub fn minutes(&self) -> u32 {
        u32::from(self.end_minute.saturating_sub(self.start_minute))
    }

    fn sort_key(&self) -> (u32, u16, u16) {
        (
            self.day.num_days_from_monday(),
            self.start_minute,
            self.end_minute,
        )
    }
}

impl fmt::Display for WeeklySpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}-{}",
            self.day,
            Hm(self.start_minute),
            Hm(self.end_minute)
        )
    }
}

/// Why a working-hours value was rejected. Messages quote the offending part.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WorkingHoursError {
    /// Nothing was written.
    #[error("working hours are empty; write them like \"Mon-Fri 09:00-17:00\"")]
    Empty,
    /// Two commas with nothing between them (or a leading/trailing comma).
    #[error("empty span in \"{0}\"; separate spans with single commas, like \"Mon-Thu 08:00-16:00, Fri 08:00-12:00\"")]
    EmptySpan(String),
    /// A span without days or without a time range.
    #[error("span \"{0}\" must be days then a time range, like \"Mon-Fri 09:00-17:00\"")]
    Malformed(String),
    /// A day name that is not a weekday.
    #[error("unknown day \"{day}\" in span \"{span}\"; use Mon, Tue, Wed, Thu, Fri, Sat, Sun (or full names), or a range like Mon-Fri")]
    UnknownDay {
        /// The unrecognised name.
        day: String,
        /// The span it appeared in.
        span: String,
    },
    /// A time that is not `HH:MM` between 00:00 and 24:00.
    #[error(
        "bad time \"{time}\" in span \"{span}\"; write times as HH:MM between 00:00 and 24:00"
    )]
    BadTime {
        /// The unparseable time.
        time: String,
        /// The span it appeared in.
        span: String,
    },
    /// A span whose end is not after its start.
    #[error("span \"{0}\" ends before or when it starts; write overnight work as two spans, like \"Mon 22:00-24:00, Tue 00:00-06:00\"")]
    EndNotAfterStart(String),
    /// Two spans cover the same time on the same day.
    #[error("spans \"{first}\" and \"{second}\" overlap on {day}; remove or shorten one of them")]
    Overlap {
        /// The full name of the day, e.g. `Wednesday`.
        day: String,
        /// The first span, as written.
        first: String,
        /// The second span, as written.
        second: String,
    },
}

/// A member's weekly working hours: sorted, non-overlapping wall-clock spans.
///
/// Adjacent spans on the same day (`09:00-12:00, 12:00-17:00`) are merged into one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WorkingHours {
    spans: Vec<WeeklySpan>,
}

impl WorkingHours {
    /// Builds working hours from spans in any order, rejecting invalid and overlapping spans
    /// and merging adjacent ones. Rejects an empty list.
    pub fn new(spans: impl IntoIterator<Item = WeeklySpan>) -> Result<Self, WorkingHoursError> {
        let labelled = spans
            .into_iter()
            .map(|s| {
                let label = s.to_string();
                check_span(&s, &label).map(|()| (s, label))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Self::from_labelled(labelled)
    }

    /// All spans, sorted by weekday (Monday first) and start.
    pub fn spans(&self) -> &[WeeklySpan] {
        &self.spans
    }

    /// The spans on `day`, sorted by start.
    pub fn spans_on(&self, day: Weekday) -> impl Iterator<Item = &WeeklySpan> + '_ {
        self.spans.iter().filter(move |s| s.day == day)
    }

    /// Total working minutes in a week.
    pub fn weekly_minutes(&self) -> u32 {
        self.spans.iter().map(WeeklySpan::minutes).sum()
    }

    /// Number of distinct weekdays with any working time.
    pub fn working_days(&self) -> u32 {
        let mut days: Vec<u32> = self
            .spans
            .iter()
            .map(|s| s.day.num_days_from_monday())
            .collect();
        days.dedup();
        u32::try_from(days.len()).unwrap_or(u32::MAX)
    }

    /// Length of one "working day" (weekly minutes ÷ working days, to the second), the unit of
    /// SLA targets like `1d`. Zero if there are no working days.
    pub fn day_length(&self) -> Duration {
        match self.working_days() {
            0 => Duration::zero(),
            days => Duration::seconds(i64::from(self.weekly_minutes() * 60 / days)),
        }
    }

    fn from_labelled(mut labelled: Vec<(WeeklySpan, String)>) -> Result<Self, WorkingHoursError> {
        if labelled.is_empty() {
            return Err(WorkingHoursError::Empty);
        }
        labelled.sort_by_key(|(s, _)| s.sort_key());
        check_overlaps(&labelled)?;
        Ok(Self {
            spans: merge_adjacent(labelled.into_iter().map(|(s, _)| s)),
        })
    }
}

fn check_span(span: &WeeklySpan, label: &str) -> Result<(), WorkingHoursError> {
    if span.end_minute > MINUTES_PER_DAY {
        return Err(WorkingHoursError::BadTime {
            time: Hm(span.end_minute).to_string(),
            span: label.to_string(),
        });
    }
    if span.end_minute <= span.start_minute {
        return Err(WorkingHoursError::EndNotAfterStart(label.to_string()));
    }
    Ok(())
}

/// Expects `labelled` sorted by (day, start).
fn check_overlaps(labelled: &[(WeeklySpan, String)]) -> Result<(), WorkingHoursError> {
    for pair in labelled.windows(2) {
        let [(a, a_label), (b, b_label)] = pair else {
            continue;
        };
        if a.day == b.day && b.start_minute < a.end_minute {
            return Err(WorkingHoursError::Overlap {
                day: full_day_name(a.day).to_string(),
                first: a_label.clone(),
                second: b_label.clone(),
            });
        }
    }
    Ok(())
}

/// Expects sorted, non-overlapping spans.
fn merge_adjacent(spans: impl Iterator<Item = WeeklySpan>) -> Vec<WeeklySpan> {
    let mut out: Vec<WeeklySpan> = Vec::new();
    for s in spans {
        match out.last_mut() {
            Some(last) if last.day == s.day && last.end_minute == s.start_minute => {
                last.end_minute = s.end_minute;
            }
            _ => out.push(s),
        }
    }
    out
}

impl FromStr for WorkingHours {
    type Err = WorkingHoursError;

    /// Parses `DAYS HH:MM-HH:MM[, ...]`, where DAYS is a day (`Mon`, `monday`) or a range
    /// (`Mon-Fri`, wrapping `Fri-Mon`), and `24:00` is allowed as an end.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.trim().is_empty() {
            return Err(WorkingHoursError::Empty);
        }
        let mut labelled = Vec::new();
        for part in s.split(',') {
            let part = part.trim();
            if part.is_empty() {
                return Err(WorkingHoursError::EmptySpan(s.trim().to_string()));
            }
            let (days, start, end) = parse_span(part)?;
            for day in days {
                let span = WeeklySpan {
                    day,
                    start_minute: start,
                    end_minute: end,
                };
                labelled.push((span, part.to_string()));
            }
        }
        Self::from_labelled(labelled)
    }
}

/// Parses one `DAYS HH:MM-HH:MM` span into its days and minute range.
fn parse_span(part: &str) -> Result<(Vec<Weekday>, u16, u16), WorkingHoursError> {
    let malformed = || WorkingHoursError::Malformed(part.to_string());
    let split = part
        .find(|c: char| c.is_ascii_digit())
        .ok_or_else(malformed)?;
    let (days_text, times_text) = part.split_at(split);
    if days_text.trim().is_empty() {
        return Err(malformed());
    }
    let days = parse_days(days_text, part)?;
    let (start_text, end_text) = times_text.split_once('-').ok_or_else(malformed)?;
    let start = parse_time(start_text, part)?;
    let end = parse_time(end_text, part)?;
    if start >= MINUTES_PER_DAY {
        return Err(WorkingHoursError::BadTime {
            time: start_text.trim().to_string(),
            span: part.to_string(),
        });
    }
    if end <= start {
        return Err(WorkingHoursError::EndNotAfterStart(part.to_string()));
    }
    Ok((days, start, end))
}

/// Parses `Mon` or `Mon-Fri` (wrapping allowed) into the listed weekdays.
fn parse_days(text: &str, span: &str) -> Result<Vec<Weekday>, WorkingHoursError> {
    let (first_text, last_text) = match text.split_once('-') {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let first = parse_day(first_text, span)?;
    let last = match last_text {
        Some(t) => parse_day(t, span)?,
        None => first,
    };
    let mut days = vec![first];
    let mut day = first;
    while day != last {
        day = day.succ();
        days.push(day);
    }
    Ok(days)
}

fn parse_day(text: &str, span: &str) -> Result<Weekday, WorkingHoursError> {
    let name = text.trim().to_ascii_lowercase();
    ALL_DAYS
        .into_iter()
        .find(|d| name == short_day_name(*d) || name == full_day_name(*d).to_ascii_lowercase())
        .ok_or_else(|| WorkingHoursError::UnknownDay {
            day: text.trim().to_string(),
            span: span.to_string(),
        })
}

/// Parses `H:MM` or `HH:MM` (00:00 to 24:00) into minutes after midnight.
fn parse_time(text: &str, span: &str) -> Result<u16, WorkingHoursError> {
    let text = text.trim();
    let bad = || WorkingHoursError::BadTime {
        time: text.to_string(),
        span: span.to_string(),
    };
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    let digits = |s: &str, max_len: usize| {
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u16>().ok())
            .flatten()
    };
    let hours = digits(h, 2).ok_or_else(bad)?;
    let minutes = digits(m, 2).filter(|_| m.len() == 2).ok_or_else(bad)?;
    let total = hours * 60 + minutes;
    if minutes >= 60 || total > MINUTES_PER_DAY {
        return Err(bad());
    }
    Ok(total)
}

const ALL_DAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

fn short_day_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

fn full_day_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// Minutes after midnight shown as `HH:MM`.
struct Hm(u16);

impl fmt::Display for Hm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl fmt::Display for WorkingHours {
    /// Canonical form: runs of consecutive days (Mon..Sun) sharing a time range are written
    /// as a day range, e.g. `Mon-Thu 08:00-16:00, Fri 08:00-12:00`. Parses back to an equal
    /// value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let groups = day_runs(&self.spans);
        for (i, (first, last, start, end)) in groups.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if first == last {
                write!(f, "{first}")?;
            } else {
                write!(f, "{first}-{last}")?;
            }
            write!(f, " {}-{}", Hm(*start), Hm(*end))?;
        }
        Ok(())
    }
}

/// Groups spans into runs `(first day, last day, start, end)` of consecutive weekdays with the
/// same time range, ordered by first day then start.
fn day_runs(spans: &[WeeklySpan]) -> Vec<(Weekday, Weekday, u16, u16)> {
    let mut runs: Vec<(Weekday, Weekday, u16, u16)> = Vec::new();
    for s in spans {
        let extends = runs.iter_mut().find(|(_, last, start, end)| {
            *start == s.start_minute
                && *end == s.end_minute
                && last.succ() == s.day
                && s.day != Weekday::Mon
        });
        match extends {
            Some(run) => run.1 = s.day,
            None => runs.push((s.day, s.day, s.start_minute, s.end_minute)),
        }
    }
    runs.sort_by_key(|(first, _, start, _)| (first.num_days_from_monday(), *start));
    runs
}

impl Serialize for WorkingHours {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for WorkingHours {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> WorkingHours {
        s.parse().expect("valid working hours")
    }

    fn err(s: &str) -> WorkingHoursError {
        s.parse::<WorkingHours>()
            .expect_err("invalid working hours")
    }

    #[test]
    fn parses_simple_week() {
        let h = parse("Mon-Fri 09:00-17:00");
        assert_eq!(h.spans().len(), 5);
        assert_eq!(h.weekly_minutes(), 40 * 60);
        assert_eq!(h.working_days(), 5);
        assert_eq!(h.day_length(), Duration::hours(8));
        assert_eq!(h.to_string(), "Mon-Fri 09:00-17:00");
    }

    #[test]
    fn parses_mixed_spans() {
        let h = parse("Mon-Thu 08:00-16:00, Fri 08:00-12:00");
        assert_eq!(h.weekly_minutes(), 4 * 8 * 60 + 4 * 60);
        assert_eq!(h.day_length(), Duration::minutes(36 * 60 / 5));
        assert_eq!(h.to_string(), "Mon-Thu 08:00-16:00, Fri 08:00-12:00");
        let fri: Vec<_> = h.spans_on(Weekday::Fri).collect();
        assert_eq!(
            fri,
            [&WeeklySpan {
                day: Weekday::Fri,
                start_minute: 480,
                end_minute: 720
            }]
        );
    }

    #[test]
    fn tolerant_notation() {
        let a = parse("  monday - FRIDAY  9:00 - 17:00 ");
        assert_eq!(a, parse("Mon-Fri 09:00-17:00"));
        let b = parse("Fri-Mon 10:00-24:00");
        assert_eq!(b.working_days(), 4);
        assert_eq!(b.to_string(), "Mon 10:00-24:00, Fri-Sun 10:00-24:00");
        assert_eq!(parse(&b.to_string()), b);
    }

    #[test]
    fn adjacent_spans_merge() {
        let h = parse("Mon 12:00-17:00, Mon 09:00-12:00");
        assert_eq!(h, parse("Mon 09:00-17:00"));
        let overnight = parse("Sun 22:00-24:00, Mon 00:00-02:00");
        assert_eq!(overnight.spans().len(), 2);
        assert_eq!(overnight.to_string(), "Mon 00:00-02:00, Sun 22:00-24:00");
    }

    #[test]
    fn split_days_display() {
        let h = parse("Mon-Fri 09:00-12:00, Mon-Wed 13:00-17:00, Fri 13:00-15:00");
        assert_eq!(
            h.to_string(),
            "Mon-Fri 09:00-12:00, Mon-Wed 13:00-17:00, Fri 13:00-15:00"
        );
        assert_eq!(parse(&h.to_string()), h);
    }

    #[test]
    fn errors_quote_the_offending_part() {
        assert_eq!(err("  "), WorkingHoursError::Empty);
        let e = err("Mon-Fry 09:00-17:00").to_string();
        assert!(e.contains("\"Fry\""), "{e}");
        let e = err("Mon 09:00-25:00").to_string();
        assert!(e.contains("\"25:00\""), "{e}");
        let e = err("Mon 09:60-10:00").to_string();
        assert!(e.contains("\"09:60\""), "{e}");
        let e = err("Mon 24:00-24:00").to_string();
        assert!(e.contains("bad time \"24:00\""), "{e}");
        let e = err("Mon 17:00-17:00").to_string();
        assert!(e.contains("overnight"), "{e}");
        let e = err("Mon 22:00-06:00").to_string();
        assert!(e.contains("write overnight work as two spans"), "{e}");
        assert!(matches!(err("Mon-Fri"), WorkingHoursError::Malformed(_)));
        assert!(matches!(
            err("09:00-17:00"),
            WorkingHoursError::Malformed(_)
        ));
        assert!(matches!(err("Mon 09:00"), WorkingHoursError::Malformed(_)));
        assert!(matches!(
            err("Mon 09:00-17:00,"),
            WorkingHoursError::EmptySpan(_)
        ));
    }

    #[test]
    fn overlap_names_day_and_both_spans() {
        let e = err("Mon-Fri 09:00-17:00, Wed 16:00-18:00").to_string();
        assert!(e.contains("Wednesday"), "{e}");
        assert!(e.contains("\"Mon-Fri 09:00-17:00\""), "{e}");
        assert!(e.contains("\"Wed 16:00-18:00\""), "{e}");
        assert!(matches!(
            err("Mon 09:00-17:00, Mon 09:00-17:00"),
            WorkingHoursError::Overlap { .. }
        ));
    }

    #[test]
    fn new_validates() {
        let bad = WeeklySpan {
            day: Weekday::Mon,
            start_minute: 600,
            end_minute: 1500,
        };
        assert!(WorkingHours::new([bad]).is_err());
        assert_eq!(WorkingHours::new([]), Err(WorkingHoursError::Empty));
    }

    #[test]
    fn garbage_does_not_panic() {
        for s in [
            "-",
            ",",
            "Mon -",
            "Mon 1:",
            "Mon 99999999:00-1:00",
            "Mon 1-2",
            "Mon ::-::",
            "Mon 1:00-2:00-3:00",
            "Mon-Tue-Wed 1:00-2:00",
            "Mön 1:00-2:00",
        ] {
            assert!(s.parse::<WorkingHours>().is_err(), "{s}");
        }
    }
}
