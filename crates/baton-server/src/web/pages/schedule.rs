//! The schedule: the past four shifts and the coming eight, with overrides and swaps marked and
//! conflicts (a member away during their shift) highlighted with a suggested cover; forms to add
//! (and remove) overrides, swaps and time off; and the iCalendar subscription link.
//!
//! Times are shown, and typed, in the viewer's zone (each form says which and carries it in a
//! hidden `tz` field); time off is given in whole days of the member's own zone.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use baton_config::Team;
use baton_core::access::Role;
use baton_core::schedule::{Conflict, Shift};
use chrono::{DateTime, Days, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use super::board::ZoneQuery;
use super::display::{self, local, local_input, local_long, viewer_zone};
use super::layout::{Layout, Nav};
use super::{non_blank, parse_id, render, see_other, WebPath};
use crate::service::ScheduleView;
use crate::web::error::WebError;
use crate::web::session::{CsrfForm, Viewer};
use crate::AppState;

/// Shifts shown before the current one …
const SHIFTS_BACK: i64 = 4;
/// … and after it.
const SHIFTS_AHEAD: i64 = 8;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/teams/{team}/schedule", get(page))
        .route("/teams/{team}/schedule/overrides", post(add_override))
        .route(
            "/teams/{team}/schedule/overrides/{id}/remove",
            post(remove_override),
        )
        .route("/teams/{team}/schedule/swaps", post(add_swap))
        .route(
            "/teams/{team}/schedule/swaps/{id}/remove",
            post(remove_swap),
        )
        .route("/teams/{team}/schedule/time-off", post(add_time_off))
        .route(
            "/teams/{team}/schedule/time-off/{id}/remove",
            post(remove_time_off),
        )
        .route("/teams/{team}/schedule/calendar-link", post(calendar_link))
}

/// An `<option>` of a select.
struct Choice {
    value: String,
    label: String,
}

/// A member away during a shift, with the cover the schedule suggests.
struct ConflictRow {
    member: String,
    away: String,
    reason: String,
    cover: Option<Choice>,
    /// The overlap of the shift and the time off, as `datetime-local` values in the viewer's
    /// zone (for the "cover" form).
    cover_from: String,
    cover_until: String,
}

struct ShiftRow {
    index: i64,
    member: String,
    name: String,
    start: String,
    end: String,
    start_iso: String,
    /// `past`, `current` or `future`.
    when: &'static str,
    override_of: Option<String>,
    swapped: bool,
    conflicts: Vec<ConflictRow>,
}

struct OverrideRow {
    id: i64,
    name: String,
    start: String,
    end: String,
    reason: String,
    by: String,
}

struct SwapRow {
    id: i64,
    first: String,
    second: String,
    reason: String,
    by: String,
    ignored: bool,
}

struct TimeOffRow {
    id: i64,
    name: String,
    start: String,
    end: String,
    timezone: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "schedule.html")]
struct SchedulePage {
    layout: Layout,
    team: String,
    team_name: String,
    tz: String,
    can_act: bool,
    shifts: Vec<ShiftRow>,
    conflict_count: usize,
    overrides: Vec<OverrideRow>,
    swaps: Vec<SwapRow>,
    time_off: Vec<TimeOffRow>,
    members: Vec<Choice>,
    /// Upcoming hand-offs, for the swap form.
    handoffs: Vec<Choice>,
    /// A default for the override form: the next hand-off, as a `datetime-local` value.
    next_handoff: String,
    today: String,
    /// The subscription URL of a token created just now (shown once).
    calendar_url: Option<String>,
    public_url: String,
}

/// The period the page shows: from `SHIFTS_BACK` hand-offs before the one running at `now` to
/// the end of `SHIFTS_AHEAD` shifts after it.
fn period(team: &Team, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>), WebError> {
    let rotation = &team.rotation;
    let beyond = || WebError::Unprocessable("now is beyond the rotation's calendar".into());
    let current = rotation.index_at(now).ok_or_else(beyond)?;
    let from = rotation.handoff(current - SHIFTS_BACK).ok_or_else(beyond)?;
    let until = rotation
        .handoff(current + SHIFTS_AHEAD + 1)
        .ok_or_else(beyond)?;
    Ok((from, until))
}

async fn page(
    State(state): State<AppState>,
    WebPath(slug): WebPath<String>,
    viewer: Viewer,
    jar: CookieJar,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let q: ZoneQuery = display::query(raw.as_deref())?;
    let team = state.service.team(&slug)?;
    let tz = viewer_zone(&jar, q.tz.as_deref(), team.tz);
    render(&build(&state, &viewer, &slug, tz, None).await?)
}

/// The page for `viewer` in `tz`, with a just-created subscription URL if any.
async fn build(
    state: &AppState,
    viewer: &Viewer,
    slug: &str,
    tz: Tz,
    calendar_url: Option<String>,
) -> Result<SchedulePage, WebError> {
    let service = &state.service;
    let team = service.team(slug)?;
    let now = service.now();
    let (from, until) = period(team, now)?;
    let view = service.schedule_view(slug, from, until).await?;
    let rotation = &team.rotation;
    let handoffs: Vec<Choice> = view
        .shifts
        .iter()
        .filter(|s| s.end > now && rotation.handoff(s.index) == Some(s.start))
        .map(|s| Choice {
            value: s.start.to_rfc3339(),
            label: format!(
                "{} — {}",
                local(s.start, tz),
                team.display_name(&s.rostered)
            ),
        })
        .collect();
    let next_handoff = rotation
        .index_at(now)
        .and_then(|i| rotation.handoff(i + 1))
        .map(|t| local_input(t, tz))
        .unwrap_or_default();
    Ok(SchedulePage {
        layout: Layout::new(viewer, service.config(), Some(slug), Nav::Schedule).in_zone(tz),
        team: slug.to_owned(),
        team_name: team.name.clone(),
        tz: tz.name().to_owned(),
        can_act: viewer.can(Role::Member),
        shifts: view
            .shifts
            .iter()
            .map(|s| shift_row(team, s, &view.conflicts, tz, now))
            .collect(),
        conflict_count: view.conflicts.len(),
        overrides: override_rows(team, &view, from, tz),
        swaps: swap_rows(&view, from, tz),
        time_off: time_off_rows(team, &view, from),
        members: team
            .members
            .iter()
            .map(|m| Choice {
                value: m.id.clone(),
                label: m.name.clone(),
            })
            .collect(),
        handoffs,
        next_handoff,
        today: display::date_input(now, tz),
        calendar_url,
        public_url: service.config().server.public_url.clone(),
    })
}

fn shift_row(
    team: &Team,
    shift: &Shift,
    conflicts: &[Conflict],
    tz: Tz,
    now: DateTime<Utc>,
) -> ShiftRow {
    let when = if shift.end <= now {
        "past"
    } else if shift.start <= now {
        "current"
    } else {
        "future"
    };
    ShiftRow {
        index: shift.index,
        member: shift.member.clone(),
        name: team.display_name(&shift.member).to_owned(),
        start: local(shift.start, tz),
        end: local(shift.end, tz),
        start_iso: shift.start.to_rfc3339(),
        when,
        override_of: shift
            .is_override()
            .then(|| team.display_name(&shift.rostered).to_owned()),
        swapped: shift.swap_id.is_some(),
        conflicts: conflicts
            .iter()
            .filter(|c| c.shift == *shift)
            .map(|c| {
                let member_tz = team.member(&c.time_off.member).map_or(team.tz, |m| m.tz);
                ConflictRow {
                    member: team.display_name(&c.time_off.member).to_owned(),
                    away: format!(
                        "{} – {}",
                        local(c.time_off.start, member_tz),
                        local(c.time_off.end, member_tz)
                    ),
                    reason: c.time_off.reason.clone().unwrap_or_default(),
                    cover: c.suggested_cover.as_ref().map(|m| Choice {
                        value: m.clone(),
                        label: team.display_name(m).to_owned(),
                    }),
                    cover_from: local_input(shift.start.max(c.time_off.start), tz),
                    cover_until: local_input(shift.end.min(c.time_off.end), tz),
                }
            })
            .collect(),
    }
}

fn override_rows(
    team: &Team,
    view: &ScheduleView,
    from: DateTime<Utc>,
    tz: Tz,
) -> Vec<OverrideRow> {
    view.records
        .overrides
        .iter()
        .filter(|o| o.end > from)
        .map(|o| OverrideRow {
            id: o.id,
            name: team.display_name(&o.member).to_owned(),
            start: local_long(o.start, tz),
            end: local_long(o.end, tz),
            reason: o.reason.clone().unwrap_or_default(),
            by: o.created_by.clone(),
        })
        .collect()
}

fn swap_rows(view: &ScheduleView, from: DateTime<Utc>, tz: Tz) -> Vec<SwapRow> {
    view.records
        .swaps
        .iter()
        .filter(|s| s.first.max(s.second) >= from)
        .map(|s| SwapRow {
            id: s.id,
            first: local_long(s.first, tz),
            second: local_long(s.second, tz),
            reason: s.reason.clone().unwrap_or_default(),
            by: s.created_by.clone(),
            ignored: view.ignored_swaps.iter().any(|i| i.swap_id == s.id),
        })
        .collect()
}

fn time_off_rows(team: &Team, view: &ScheduleView, from: DateTime<Utc>) -> Vec<TimeOffRow> {
    view.records
        .time_off
        .iter()
        .filter(|o| o.end > from)
        .map(|o| {
            let member_tz = team.member(&o.member).map_or(team.tz, |m| m.tz);
            TimeOffRow {
                id: o.id,
                name: team.display_name(&o.member).to_owned(),
                start: local_long(o.start, member_tz),
                end: local_long(o.end, member_tz),
                timezone: member_tz.name().to_owned(),
                reason: o.reason.clone().unwrap_or_default(),
            }
        })
        .collect()
}

/// The zone a form's times were typed in: its hidden `tz` field, else the team's.
fn form_zone(field: Option<&str>, team: &Team) -> Tz {
    field.and_then(|z| z.parse().ok()).unwrap_or(team.tz)
}

#[derive(Deserialize)]
struct OverrideForm {
    member: String,
    from: String,
    until: String,
    reason: Option<String>,
    tz: Option<String>,
}

async fn add_override(
    State(state): State<AppState>,
    WebPath(slug): WebPath<String>,
    CsrfForm { viewer, form }: CsrfForm<OverrideForm>,
) -> Result<Response, WebError> {
    viewer.require(Role::Member)?;
    let service = &state.service;
    let team = service.team(&slug)?;
    let tz = form_zone(form.tz.as_deref(), team);
    let start = display::parse_local_input(&form.from, tz, "from")?;
    let end = display::parse_local_input(&form.until, tz, "until")?;
    service
        .add_override(
            &slug,
            form.member.trim(),
            (start, end),
            non_blank(form.reason),
            &viewer.actor(),
        )
        .await?;
    Ok(see_other(&format!("/teams/{slug}/schedule")))
}

#[derive(Deserialize)]
struct SwapForm {
    first: String,
    second: String,
    reason: Option<String>,
}

async fn add_swap(
    State(state): State<AppState>,
    WebPath(slug): WebPath<String>,
    CsrfForm { viewer, form }: CsrfForm<SwapForm>,
) -> Result<Response, WebError> {
    viewer.require(Role::Member)?;
    let instant = |text: &str, field: &str| {
        DateTime::parse_from_rfc3339(text.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                WebError::Unprocessable(format!("{field}: choose one of the listed shifts"))
            })
    };
    let first = instant(&form.first, "first shift")?;
    let second = instant(&form.second, "second shift")?;
    state
        .service
        .add_swap(
            &slug,
            first,
            second,
            non_blank(form.reason),
            &viewer.actor(),
        )
        .await?;
    Ok(see_other(&format!("/teams/{slug}/schedule")))
}

#[derive(Deserialize)]
struct TimeOffForm {
    member: String,
    from: String,
    until: String,
    reason: Option<String>,
}

async fn add_time_off(
    State(state): State<AppState>,
    WebPath(slug): WebPath<String>,
    CsrfForm { viewer, form }: CsrfForm<TimeOffForm>,
) -> Result<Response, WebError> {
    viewer.require(Role::Member)?;
    let service = &state.service;
    let team = service.team(&slug)?;
    let member = form.member.trim();
    let member_tz = team.member(member).map_or(team.tz, |m| m.tz);
    let first = display::parse_date(&form.from, "from")?;
    let last = display::parse_date(&form.until, "until")?;
    if last < first {
        return Err(WebError::Unprocessable(format!(
            "until ({last}) must not come before from ({first})"
        )));
    }
    let after = last
        .checked_add_days(Days::new(1))
        .ok_or_else(|| WebError::Unprocessable(format!("until: {last} is too far ahead")))?;
    let start = display::day_start(first, member_tz);
    let end = display::day_start(after, member_tz);
    service
        .add_time_off(
            &slug,
            member,
            (start, end),
            non_blank(form.reason),
            &viewer.actor(),
        )
        .await?;
    Ok(see_other(&format!("/teams/{slug}/schedule")))
}

/// A form with no fields but the CSRF token.
#[derive(Deserialize)]
struct Empty {}

async fn remove_override(
    State(state): State<AppState>,
    WebPath((slug, id)): WebPath<(String, String)>,
    CsrfForm { viewer, .. }: CsrfForm<Empty>,
) -> Result<Response, WebError> {
    viewer.require(Role::Member)?;
    let id = parse_id(&id, "override")?;
    state
        .service
        .remove_override(&slug, id, &viewer.actor())
        .await?;
    Ok(see_other(&format!("/teams/{slug}/schedule")))
}

async fn remove_swap(
    State(state): State<AppState>,
    WebPath((slug, id)): WebPath<(String, String)>,
    CsrfForm { viewer, .. }: CsrfForm<Empty>,
) -> Result<Response, WebError> {
    viewer.require(Role::Member)?;
    let id = parse_id(&id, "swap")?;
    state
        .service
        .remove_swap(&slug, id, &viewer.actor())
        .await?;
    Ok(see_other(&format!("/teams/{slug}/schedule")))
}

async fn remove_time_off(
    State(state): State<AppState>,
    WebPath((slug, id)): WebPath<(String, String)>,
    CsrfForm { viewer, .. }: CsrfForm<Empty>,
) -> Result<Response, WebError> {
    viewer.require(Role::Member)?;
    let id = parse_id(&id, "time off")?;
    state
        .service
        .remove_time_off(&slug, id, &viewer.actor())
        .await?;
    Ok(see_other(&format!("/teams/{slug}/schedule")))
}

/// The name of `email`'s calendar token for team `slug` (at most the longest token name).
fn calendar_token_name(slug: &str, email: &str) -> String {
    format!("calendar {slug} for {email}")
        .chars()
        .take(crate::service::MAX_TOKEN_NAME)
        .collect()
}

/// `POST /teams/{team}/schedule/calendar-link`: a read-only (viewer) API token for the
/// signed-in member's calendar app, replacing the one they made before for this team. The page
/// shows the subscription URL once; only the token's hash is kept.
async fn calendar_link(
    State(state): State<AppState>,
    WebPath(slug): WebPath<String>,
    jar: CookieJar,
    CsrfForm { viewer, .. }: CsrfForm<Empty>,
) -> Result<Response, WebError> {
    viewer.require(Role::Member)?;
    let service = &state.service;
    let team = service.team(&slug)?;
    let name = calendar_token_name(&slug, &viewer.email);
    let actor = viewer.actor();
    for old in service.tokens().await? {
        if old.name == name && old.revoked_at.is_none() {
            service.revoke_token(old.id, &actor).await?;
        }
    }
    let (_, secret) = service.create_token(&name, Role::Viewer, &actor).await?;
    let base = service.config().server.public_url.trim_end_matches('/');
    let url = format!("{base}/api/v1/teams/{slug}/calendar.ics?token={secret}");
    let tz = viewer_zone(&jar, None, team.tz);
    render(&build(&state, &viewer, &slug, tz, Some(url)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_token_names_fit() {
        assert_eq!(
            calendar_token_name("integrations", "ada@example.com"),
            "calendar integrations for ada@example.com"
        );
        let long = "x".repeat(300);
        assert_eq!(
            calendar_token_name("integrations", &long).chars().count(),
            crate::service::MAX_TOKEN_NAME
        );
    }
}
