//! Shifts as an RFC 5545 iCalendar feed that calendar clients can subscribe to.
//!
//! The `icalendar` crate writes CRLF line ends and folds lines at 75 octets on character
//! boundaries; times are written in UTC so no VTIMEZONE is needed.

use chrono::{DateTime, Utc};
use icalendar::{Calendar, Component, EventLike};

use crate::schedule::Shift;

/// What a feed is about: its title and the host part of its event UIDs.
#[derive(Clone, Debug)]
pub struct Feed<'a> {
    /// The calendar's display name, e.g. "Integrations support rotation".
    pub name: &'a str,
    /// Stable domain for UIDs, e.g. the host of baton's public URL.
    pub uid_domain: &'a str,
    /// When the feed was generated (DTSTAMP).
    pub generated_at: DateTime<Utc>,
}

/// One event per shift. `display_name` turns a member id into the name shown in the event.
pub fn render(feed: &Feed<'_>, shifts: &[Shift], display_name: impl Fn(&str) -> String) -> String {
    let mut calendar = Calendar::new();
    calendar.name(feed.name);
    calendar.append_property(("METHOD", "PUBLISH"));
    for shift in shifts {
        let name = display_name(&shift.member);
        let mut description = format!("{name} is the first responder for team {}.", shift.team);
        if shift.is_override() {
            description.push_str(&format!(
                " Covering for {} (override).",
                display_name(&shift.rostered)
            ));
        }
        let event = icalendar::Event::new()
            .uid(&uid(feed.uid_domain, shift))
            .timestamp(feed.generated_at)
            .summary(&format!("Support rotation: {name}"))
            .description(&description)
            .starts(shift.start)
            .ends(shift.end)
            .add_property("TRANSP", "TRANSPARENT")
            .done();
        calendar.push(event);
    }
    calendar.done().to_string()
}

/// A UID that stays the same for the same stretch of duty across regenerations of the feed.
fn uid(domain: &str, shift: &Shift) -> String {
    format!(
        "shift-{}-{}-{}@{}",
        shift.team,
        shift.index,
        shift.start.timestamp(),
        domain
    )
}
