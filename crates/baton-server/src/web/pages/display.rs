//! How the pages show instants, durations and deadlines, and read times typed into forms.
//!
//! Times are shown in the viewer's time zone: the `tz` query parameter, else the `tz` cookie that
//! `baton.js` sets from the browser, else the team's zone.

use axum_extra::extract::CookieJar;
use baton_core::civil::{resolve_local, Side};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::de::DeserializeOwned;

use crate::web::error::WebError;

/// The cookie (and query parameter) that names the viewer's time zone.
pub const TZ_COOKIE: &str = "tz";

/// The viewer's time zone: `query` (a `?tz=` value), else the cookie, else `default`. Names
/// that are not IANA zones are ignored.
pub fn viewer_zone(jar: &CookieJar, query: Option<&str>, default: Tz) -> Tz {
    query
        .and_then(|q| q.parse().ok())
        .or_else(|| jar.get(TZ_COOKIE).and_then(|c| c.value().parse().ok()))
        .unwrap_or(default)
}

/// A query string read as `T`; a query that does not fit is a 400 naming the problem.
pub fn query<T: DeserializeOwned>(raw: Option<&str>) -> Result<T, WebError> {
    serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|e| WebError::BadRequest(format!("cannot read the query: {e}")))
}

/// `Wed 5 Oct 10:00 CEST`: an instant as people read it, in `tz`.
pub fn local(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%a %-d %b %H:%M %Z")
        .to_string()
}

/// `Wed 5 Oct 2022, 10:00 CEST`: with the year, for records that may be old.
pub fn local_long(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%a %-d %b %Y, %H:%M %Z")
        .to_string()
}

/// `2022-10-05T10:00`: the value of an `<input type="datetime-local">` in `tz`.
pub fn local_input(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

/// `2022-10-05`: the value of an `<input type="date">` in `tz`.
pub fn date_input(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d").to_string()
}

/// A civil time typed into the form field `field` (`2022-10-05T10:00`, seconds optional), as
/// the instant it names in `tz` (a time in a DST gap moves to the gap's end).
pub fn parse_local_input(text: &str, tz: Tz, field: &str) -> Result<DateTime<Utc>, WebError> {
    let text = text.trim();
    let civil = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .ok_or_else(|| {
            WebError::Unprocessable(format!(
                "{field}: {text:?} is not a date and time like 2022-10-05T10:00"
            ))
        })?;
    Ok(resolve_local(tz, civil, Side::Earliest))
}

/// A day typed into the form field `field` (`2022-10-05`).
pub fn parse_date(text: &str, field: &str) -> Result<NaiveDate, WebError> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        WebError::Unprocessable(format!("{field}: {text:?} is not a date like 2022-10-05"))
    })
}

/// The start of `day` in `tz` (its first instant).
pub fn day_start(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    resolve_local(tz, day.and_time(chrono::NaiveTime::MIN), Side::Earliest)
}

/// `45m`, `3h 20m`, `2d 4h`: elapsed calendar time.
pub fn elapsed(minutes: i64) -> String {
    let m = minutes.max(0);
    let (d, h, min) = (m / (24 * 60), m / 60 % 24, m % 60);
    match (d, h) {
        (0, 0) => format!("{min}m"),
        (0, _) if min == 0 => format!("{h}h"),
        (0, _) => format!("{h}h {min}m"),
        (_, 0) => format!("{d}d"),
        _ => format!("{d}d {h}h"),
    }
}

/// `45m`, `13h 20m`: working time, in hours (a working day is not 24 hours).
pub fn working(minutes: i64) -> String {
    let m = minutes.abs();
    let (h, min) = (m / 60, m % 60);
    match (h, min) {
        (0, _) => format!("{min}m"),
        (_, 0) => format!("{h}h"),
        _ => format!("{h}h {min}m"),
    }
}

/// How close an inquiry's next deadline is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Urgency {
    /// No deadline is running (waiting on the reporter, or no target).
    None,
    /// Comfortably ahead.
    Ok,
    /// At most one working hour, or a quarter of the target, is left.
    Near,
    /// The deadline has passed.
    Breached,
}

/// Working minutes under which a deadline counts as near, whatever the target.
pub const NEAR_MINUTES: i64 = 60;

impl Urgency {
    /// The urgency of a deadline `due` at `now`, with `left` working minutes to go, of a
    /// target of `target` working minutes.
    pub fn of(
        due: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        left: Option<i64>,
        target: Option<i64>,
    ) -> Self {
        let Some(due) = due else {
            return Self::None;
        };
        if due <= now {
            return Self::Breached;
        }
        let left = left.unwrap_or(i64::MAX);
        let quarter = target.is_some_and(|t| left.saturating_mul(4) <= t);
        if left <= NEAR_MINUTES || quarter {
            Self::Near
        } else {
            Self::Ok
        }
    }

    /// The CSS class (and `data-urgency` value): `due-none`, `due-ok`, `due-near`,
    /// `due-breached`.
    pub fn class(self) -> &'static str {
        match self {
            Self::None => "due-none",
            Self::Ok => "due-ok",
            Self::Near => "due-near",
            Self::Breached => "due-breached",
        }
    }
}

/// `in 3h 20m` / `1h 5m overdue` / `—`: the working time left until a deadline.
pub fn time_left(due: Option<DateTime<Utc>>, now: DateTime<Utc>, left: Option<i64>) -> String {
    match (due, left) {
        (None, _) => "—".to_owned(),
        (Some(due), _) if due <= now => match left {
            Some(l) if l < 0 => format!("{} overdue", working(l)),
            _ => "overdue".to_owned(),
        },
        (Some(_), Some(l)) => format!("{} left", working(l)),
        (Some(_), None) => "running".to_owned(),
    }
}

/// Whether `url` may be shown as a link: only `http://` and `https://` URLs are.
pub fn is_web_link(url: &str) -> bool {
    let lower = url.trim_start().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://"))
        && !url.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::{America::New_York, Europe::Berlin};

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2022, 10, 5, h, m, 0).unwrap()
    }

    #[test]
    fn instants_read_in_the_viewer_zone() {
        assert_eq!(local(at(8, 0), Berlin), "Wed 5 Oct 10:00 CEST");
        assert_eq!(local(at(8, 0), New_York), "Wed 5 Oct 04:00 EDT");
        assert_eq!(local_input(at(8, 0), Berlin), "2022-10-05T10:00");
        assert_eq!(
            parse_local_input("2022-10-05T10:00", Berlin, "from").unwrap(),
            at(8, 0)
        );
        let e = parse_local_input("tomorrow", Berlin, "from").unwrap_err();
        assert!(matches!(e, WebError::Unprocessable(m) if m.starts_with("from:")));
    }

    #[test]
    fn the_zone_comes_from_the_query_then_the_cookie() {
        let jar = CookieJar::new().add(axum_extra::extract::cookie::Cookie::new(
            TZ_COOKIE,
            "America/New_York",
        ));
        assert_eq!(viewer_zone(&jar, None, Berlin), New_York);
        assert_eq!(
            viewer_zone(&jar, Some("Asia/Tokyo"), Berlin),
            chrono_tz::Asia::Tokyo
        );
        assert_eq!(viewer_zone(&jar, Some("Mars/Base"), Berlin), New_York);
        assert_eq!(viewer_zone(&CookieJar::new(), None, Berlin), Berlin);
    }

    #[test]
    fn durations_read_briefly() {
        assert_eq!(elapsed(45), "45m");
        assert_eq!(elapsed(200), "3h 20m");
        assert_eq!(elapsed(24 * 60 * 2 + 4 * 60 + 5), "2d 4h");
        assert_eq!(working(800), "13h 20m");
        assert_eq!(working(-65), "1h 5m");
    }

    #[test]
    fn deadlines_are_near_within_an_hour_or_a_quarter_of_the_target() {
        let now = at(8, 0);
        let due = Some(at(12, 0));
        assert_eq!(Urgency::of(None, now, None, None), Urgency::None);
        assert_eq!(Urgency::of(due, now, Some(240), Some(480)), Urgency::Ok);
        assert_eq!(Urgency::of(due, now, Some(60), Some(480)), Urgency::Near);
        assert_eq!(Urgency::of(due, now, Some(120), Some(480)), Urgency::Near);
        assert_eq!(Urgency::of(due, now, Some(121), Some(480)), Urgency::Ok);
        assert_eq!(
            Urgency::of(Some(at(7, 0)), now, Some(-60), Some(480)),
            Urgency::Breached
        );
        assert_eq!(time_left(Some(at(7, 0)), now, Some(-60)), "1h overdue");
        assert_eq!(time_left(due, now, Some(200)), "3h 20m left");
        assert_eq!(time_left(None, now, None), "—");
    }

    #[test]
    fn only_web_urls_are_links() {
        assert!(is_web_link("https://example.slack.com/archives/C1/p1"));
        assert!(is_web_link("HTTP://github.com/o/r/issues/1"));
        assert!(!is_web_link("javascript:alert(1)"));
        assert!(!is_web_link("data:text/html,<script>"));
        assert!(!is_web_link("https://x y"));
    }
}
