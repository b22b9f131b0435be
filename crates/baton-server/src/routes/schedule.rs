//! Who is on duty: now (or at an instant), the shifts of a period, and the iCalendar feed.

use axum::extract::State;
use axum::http::{header, Method};
use axum::response::IntoResponse;
use axum::Json;
use baton_config::Team;
use baton_core::access::Role;
use baton_core::schedule::Shift;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Endpoint;
use crate::auth::Access;
use crate::error::ApiError;
use crate::extract::{instant, ApiPath, ApiQuery};
use crate::AppState;

/// Shifts shown by `GET /schedule` by default, from the current one on.
const SCHEDULE_SHIFTS: i64 = 8;
/// Shifts of the calendar feed by default: this many back …
const FEED_SHIFTS_BACK: i64 = 4;
/// … and this many ahead of the current one.
const FEED_SHIFTS_AHEAD: i64 = 12;

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(
            Method::GET,
            "/api/v1/teams/{team}/oncall",
            Access::Bearer(Role::Viewer),
            on_call,
        ),
        Endpoint::new(
            Method::GET,
            "/api/v1/teams/{team}/schedule",
            Access::Bearer(Role::Viewer),
            schedule,
        ),
        Endpoint::new(
            Method::GET,
            "/api/v1/teams/{team}/calendar.ics",
            Access::QueryToken(Role::Viewer),
            calendar,
        ),
    ]
}

/// A shift as API clients see it.
#[derive(Serialize)]
struct ShiftView {
    team: String,
    /// The rotation's shift number.
    index: i64,
    member: String,
    name: String,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    /// Who the rotation had on this shift (differs from `member` under an override).
    rostered: String,
    #[serde(rename = "override")]
    is_override: bool,
}

impl ShiftView {
    fn new(team: &Team, shift: Shift) -> Self {
        Self {
            name: team.display_name(&shift.member).to_owned(),
            is_override: shift.is_override(),
            team: shift.team,
            index: shift.index,
            member: shift.member,
            start: shift.start,
            end: shift.end,
            rostered: shift.rostered,
        }
    }
}

#[derive(Deserialize)]
struct AtQuery {
    at: Option<String>,
}

#[derive(Serialize)]
struct OnCallView {
    at: DateTime<Utc>,
    shift: ShiftView,
    /// Whether the member on duty is in working hours (and not away) at `at`.
    working: bool,
    next: Option<ShiftView>,
    next_working: bool,
}

async fn on_call(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<AtQuery>,
) -> Result<Json<OnCallView>, ApiError> {
    let service = &state.service;
    let at = instant("at", query.at.as_deref())?.unwrap_or_else(|| service.now());
    let on_call = service.on_call(&slug, at).await?;
    let team = service.team(&slug)?;
    Ok(Json(OnCallView {
        at,
        shift: ShiftView::new(team, on_call.shift),
        working: on_call.working,
        next: on_call.next.map(|s| ShiftView::new(team, s)),
        next_working: on_call.next_working,
    }))
}

#[derive(Deserialize)]
struct RangeQuery {
    from: Option<String>,
    until: Option<String>,
}

/// The hand-off `offset` shifts from the one running at `at`.
fn handoff(team: &Team, at: DateTime<Utc>, offset: i64) -> Result<DateTime<Utc>, ApiError> {
    team.rotation
        .index_at(at)
        .and_then(|i| i.checked_add(offset))
        .and_then(|i| team.rotation.handoff(i))
        .ok_or_else(|| ApiError::Unprocessable(format!("{at} is beyond the calendar")))
}

/// The period a query asks for: its bounds, or `back` shifts before the current one to `ahead`
/// shifts after.
fn period(
    team: &Team,
    query: &RangeQuery,
    now: DateTime<Utc>,
    back: i64,
    ahead: i64,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ApiError> {
    let from = match instant("from", query.from.as_deref())? {
        Some(from) => from,
        None => handoff(team, now, -back)?,
    };
    let until = match instant("until", query.until.as_deref())? {
        Some(until) => until,
        None => handoff(team, from, back + ahead)?,
    };
    Ok((from, until))
}

async fn schedule(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<RangeQuery>,
) -> Result<Json<Vec<ShiftView>>, ApiError> {
    let service = &state.service;
    let team = service.team(&slug)?;
    let (from, until) = period(team, &query, service.now(), 0, SCHEDULE_SHIFTS)?;
    let shifts = service.schedule(&slug, from, until).await?;
    Ok(Json(
        shifts
            .into_iter()
            .map(|s| ShiftView::new(team, s))
            .collect(),
    ))
}

async fn calendar(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(query): ApiQuery<RangeQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let service = &state.service;
    let team = service.team(&slug)?;
    let now = service.now();
    let (from, until) = period(team, &query, now, FEED_SHIFTS_BACK, FEED_SHIFTS_AHEAD)?;
    let shifts = service.schedule(&slug, from, until).await?;
    let name = format!("{} support rotation", team.name);
    let feed = baton_core::ics::Feed {
        name: &name,
        uid_domain: host(&service.config().server.public_url),
        generated_at: now,
    };
    let body = baton_core::ics::render(&feed, &shifts, |member| {
        team.display_name(member).to_owned()
    });
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "text/calendar; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{}.ics\"", team.slug),
            ),
        ],
        body,
    ))
}

/// The host of a URL (for stable event UIDs), or "baton".
fn host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest.split(['/', ':', '?']).next().unwrap_or_default();
    if host.is_empty() {
        "baton"
    } else {
        host
    }
}

#[cfg(test)]
mod tests {
    use super::host;

    #[test]
    fn hosts_of_public_urls() {
        assert_eq!(host("http://127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(host("https://baton.example.com/x"), "baton.example.com");
        assert_eq!(host(""), "baton");
    }
}
