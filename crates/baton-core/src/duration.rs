//! The duration notations of the configuration: `1w`, `3d`, `4h`, `1h30m`, `10%`.
//!
//! Each kind of duration accepts only the units that make sense for it, so a typo such as a shift
//! of `12h` or an escalation threshold of `1d` is refused instead of being guessed at.

use std::fmt;
use std::str::FromStr;

use chrono::Duration;
use thiserror::Error;

/// Why a duration or percentage was refused.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DurationError {
    #[error("empty duration")]
    Empty,
    #[error(
        "{input:?} is not a duration: expected a number followed by a unit, such as {example}"
    )]
    Syntax {
        input: String,
        example: &'static str,
    },
    #[error("{input:?}: unit `{unit}` is not allowed here; use {allowed}")]
    Unit {
        input: String,
        unit: char,
        allowed: &'static str,
    },
    #[error("{input:?} must be longer than zero")]
    Zero { input: String },
    #[error("{input:?} is too long")]
    TooLong { input: String },
    #[error("{input:?} is not a percentage between 0% and 100% (such as \"10%\")")]
    Percent { input: String },
}

/// Splits `1h30m` into `[(1, 'h'), (30, 'm')]`.
fn parse_units(input: &str, example: &'static str) -> Result<Vec<(u64, char)>, DurationError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    let syntax = || DurationError::Syntax {
        input: input.to_owned(),
        example,
    };
    let mut parts = Vec::new();
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if c.is_ascii_alphabetic() && !digits.is_empty() {
            let n: u64 = digits.parse().map_err(|_| DurationError::TooLong {
                input: input.to_owned(),
            })?;
            parts.push((n, c.to_ascii_lowercase()));
            digits.clear();
        } else {
            return Err(syntax());
        }
    }
    if !digits.is_empty() || parts.is_empty() {
        return Err(syntax());
    }
    Ok(parts)
}

/// Sums unit parts into a count of `base`-sized steps, refusing units outside `allowed`.
fn sum_units(
    input: &str,
    example: &'static str,
    allowed: &'static str,
    size: impl Fn(char) -> Option<u64>,
) -> Result<u64, DurationError> {
    let mut total: u64 = 0;
    for (n, unit) in parse_units(input, example)? {
        let step = size(unit).ok_or(DurationError::Unit {
            input: input.to_owned(),
            unit,
            allowed,
        })?;
        total = n
            .checked_mul(step)
            .and_then(|v| total.checked_add(v))
            .ok_or(DurationError::TooLong {
                input: input.to_owned(),
            })?;
    }
    if total == 0 {
        return Err(DurationError::Zero {
            input: input.to_owned(),
        });
    }
    Ok(total)
}

/// A whole number of calendar days (`1w`, `3d`): how long a shift lasts, or how long before a
/// hand-off the recap is due. Counted on the wall clock, so a week is always Monday 09:00 to
/// Monday 09:00 even when the clocks change in between.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDays(u32);

/// Ten thousand years is far beyond any rotation and keeps civil arithmetic from overflowing.
const MAX_CIVIL_DAYS: u64 = 3_650_000;

impl CivilDays {
    /// A span of `days` days (at least one).
    pub fn new(days: u32) -> Option<Self> {
        (days > 0 && u64::from(days) <= MAX_CIVIL_DAYS).then_some(Self(days))
    }

    /// The number of days.
    pub fn days(self) -> u32 {
        self.0
    }
}

impl FromStr for CivilDays {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let days = sum_units(
            s,
            "\"1w\" or \"3d\"",
            "`w` (weeks) or `d` (days)",
            |u| match u {
                'w' => Some(7),
                'd' => Some(1),
                _ => None,
            },
        )?;
        if days > MAX_CIVIL_DAYS {
            return Err(DurationError::TooLong { input: s.into() });
        }
        Ok(Self(days as u32))
    }
}

impl fmt::Display for CivilDays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 % 7 == 0 {
            write!(f, "{}w", self.0 / 7)
        } else {
            write!(f, "{}d", self.0)
        }
    }
}

/// An amount of working time (`1h`, `30m`, `1h30m`, `1d`): an SLA target counted in the
/// responsible member's working hours. A day (`d`) is one of that member's working days, whose
/// length the member's calendar knows (see [`WorkDuration::to_duration`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkDuration {
    days: u32,
    minutes: u32,
}

impl WorkDuration {
    /// Working days plus minutes.
    pub fn new(days: u32, minutes: u32) -> Self {
        Self { days, minutes }
    }

    /// Whole working days in the duration.
    pub fn days(self) -> u32 {
        self.days
    }

    /// Minutes on top of the whole days.
    pub fn minutes(self) -> u32 {
        self.minutes
    }

    /// The working time this stands for, given the length of one working day.
    pub fn to_duration(self, working_day: Duration) -> Duration {
        working_day * self.days as i32 + Duration::minutes(i64::from(self.minutes))
    }
}

impl FromStr for WorkDuration {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let example = "\"4h\", \"30m\" or \"1d\"";
        let allowed = "`d` (working days), `h` or `m`";
        // Days and minutes are kept apart: a working day is not 24 hours.
        let mut days: u64 = 0;
        let mut minutes: u64 = 0;
        for (n, unit) in parse_units(s, example)? {
            let (slot, step) = match unit {
                'd' => (&mut days, 1),
                'h' => (&mut minutes, 60),
                'm' => (&mut minutes, 1),
                _ => {
                    return Err(DurationError::Unit {
                        input: s.into(),
                        unit,
                        allowed,
                    })
                }
            };
            *slot = n
                .checked_mul(step)
                .and_then(|v| slot.checked_add(v))
                .filter(|v| *v <= u64::from(u32::MAX / 2))
                .ok_or(DurationError::TooLong { input: s.into() })?;
        }
        if days == 0 && minutes == 0 {
            return Err(DurationError::Zero { input: s.into() });
        }
        Ok(Self {
            days: days as u32,
            minutes: minutes as u32,
        })
    }
}

impl fmt::Display for WorkDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (h, m) = (self.minutes / 60, self.minutes % 60);
        let mut wrote = false;
        for (n, unit) in [(self.days, 'd'), (h, 'h'), (m, 'm')] {
            if n > 0 {
                write!(f, "{n}{unit}")?;
                wrote = true;
            }
        }
        if !wrote {
            write!(f, "0m")?;
        }
        Ok(())
    }
}

/// Elapsed time in hours and minutes (`2h`, `90m`): how much logged work makes an inquiry
/// "should become an issue".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Minutes(u32);

impl Minutes {
    /// The number of minutes.
    pub fn get(self) -> u32 {
        self.0
    }

    /// As a chrono duration.
    pub fn to_duration(self) -> Duration {
        Duration::minutes(i64::from(self.0))
    }
}

impl FromStr for Minutes {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let total = sum_units(s, "\"2h\" or \"90m\"", "`h` or `m`", |u| match u {
            'h' => Some(60),
            'm' => Some(1),
            _ => None,
        })?;
        u32::try_from(total)
            .map(Self)
            .map_err(|_| DurationError::TooLong { input: s.into() })
    }
}

impl fmt::Display for Minutes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0 / 60, self.0 % 60) {
            (0, m) => write!(f, "{m}m"),
            (h, 0) => write!(f, "{h}h"),
            (h, m) => write!(f, "{h}h{m}m"),
        }
    }
}

/// A share such as the time budget (`10%`), kept in hundredths of a percent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(u32);

impl Percent {
    /// The share as a fraction between 0 and 1.
    pub fn fraction(self) -> f64 {
        f64::from(self.0) / 10_000.0
    }
}

impl FromStr for Percent {
    type Err = DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || DurationError::Percent { input: s.into() };
        let number = s.trim().strip_suffix('%').ok_or_else(bad)?.trim();
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        let all_digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || !all_digits(whole) || !all_digits(frac) || frac.len() > 2 {
            return Err(bad());
        }
        let whole: u32 = whole.parse().map_err(|_| bad())?;
        let frac: u32 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        let hundredths = whole.checked_mul(100).and_then(|w| w.checked_add(frac));
        match hundredths {
            Some(v) if v <= 10_000 => Ok(Self(v)),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 % 100 {
            0 => write!(f, "{}%", self.0 / 100),
            r => write!(f, "{}.{:02}%", self.0 / 100, r),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_are_whole_days() {
        assert_eq!("1w".parse::<CivilDays>().unwrap().days(), 7);
        assert_eq!("2w".parse::<CivilDays>().unwrap().days(), 14);
        assert_eq!("3d".parse::<CivilDays>().unwrap().days(), 3);
        assert_eq!("1w2d".parse::<CivilDays>().unwrap().days(), 9);
        assert_eq!(" 1D ".parse::<CivilDays>().unwrap().days(), 1);
        assert!(matches!(
            "12h".parse::<CivilDays>(),
            Err(DurationError::Unit { unit: 'h', .. })
        ));
        assert!(matches!(
            "0d".parse::<CivilDays>(),
            Err(DurationError::Zero { .. })
        ));
        assert!(matches!(
            "week".parse::<CivilDays>(),
            Err(DurationError::Syntax { .. })
        ));
        assert!(matches!(
            "99999999999999999999w".parse::<CivilDays>(),
            Err(DurationError::TooLong { .. })
        ));
        assert_eq!(CivilDays::new(14).unwrap().to_string(), "2w");
        assert_eq!(CivilDays::new(3).unwrap().to_string(), "3d");
    }

    #[test]
    fn work_durations_keep_days_apart() {
        let d: WorkDuration = "1d".parse().unwrap();
        assert_eq!(d.to_duration(Duration::hours(8)), Duration::hours(8));
        let d: WorkDuration = "1h30m".parse().unwrap();
        assert_eq!(d.to_duration(Duration::hours(8)), Duration::minutes(90));
        assert_eq!(d.to_string(), "1h30m");
        let d: WorkDuration = "2d4h".parse().unwrap();
        assert_eq!(d.to_duration(Duration::hours(7)), Duration::hours(18));
        assert!("1w".parse::<WorkDuration>().is_err());
        assert!("4".parse::<WorkDuration>().is_err());
        assert!("-4h".parse::<WorkDuration>().is_err());
    }

    #[test]
    fn minutes_refuse_days() {
        assert_eq!("2h".parse::<Minutes>().unwrap().get(), 120);
        assert_eq!("90m".parse::<Minutes>().unwrap().to_string(), "1h30m");
        assert!(matches!(
            "1d".parse::<Minutes>(),
            Err(DurationError::Unit { unit: 'd', .. })
        ));
    }

    #[test]
    fn percentages() {
        assert_eq!("10%".parse::<Percent>().unwrap().fraction(), 0.10);
        assert_eq!("12.5%".parse::<Percent>().unwrap().to_string(), "12.50%");
        assert_eq!("100%".parse::<Percent>().unwrap().fraction(), 1.0);
        for bad in ["10", "101%", "-1%", "%", "1.234%", "ten%", ".5%"] {
            assert!(bad.parse::<Percent>().is_err(), "{bad} should be refused");
        }
    }
}
