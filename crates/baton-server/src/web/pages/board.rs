//! The board, a team's home page: who is on duty and who is next, the open queue by deadline,
//! today's channel checklist, the shift's time budget and the inquiries that should become
//! issues. Also the team chooser at `/` and the checklist's "checked" form.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use baton_config::Team;
use baton_core::access::Role;
use baton_core::duty::{Budget, Checklist};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use super::display::{self, local, viewer_zone, Urgency};
use super::layout::{Layout, Nav};
use super::{render, see_other, unless_invalid, WebPath};
use crate::service::{IssueCandidate, OnCall, QueueItem, Service};
use crate::web::error::WebError;
use crate::web::session::{CsrfForm, Viewer};
use crate::AppState;

/// At most this many open inquiries are listed on the board.
pub(super) const BOARD_QUEUE_LIMIT: u32 = 200;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/teams/{team}", get(board))
        .route("/teams/{team}/checks", post(check))
}

/// The `?tz=` of a page.
#[derive(Deserialize, Default)]
pub(super) struct ZoneQuery {
    pub tz: Option<String>,
}

// --- The team chooser -----------------------------------------------------------------------

/// A team on the chooser, with who is on duty there now.
struct TeamChoice {
    slug: String,
    name: String,
    on_duty: Option<String>,
}

#[derive(Template)]
#[template(path = "teams.html")]
struct TeamsPage {
    layout: Layout,
    teams: Vec<TeamChoice>,
}

/// `GET /`: the only team's board, or a chooser among several teams.
pub(super) async fn home(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    let service = &state.service;
    let teams = &service.config().teams;
    if let [only] = teams.as_slice() {
        return Ok(see_other(&format!("/teams/{}", only.slug)));
    }
    let now = service.now();
    let mut choices = Vec::new();
    for team in teams {
        let on_call = unless_invalid(service.on_call(&team.slug, now).await)?;
        choices.push(TeamChoice {
            slug: team.slug.clone(),
            name: team.name.clone(),
            on_duty: on_call.map(|o| team.display_name(&o.shift.member).to_owned()),
        });
    }
    render(&TeamsPage {
        layout: Layout::new(&viewer, service.config(), None, Nav::Other),
        teams: choices,
    })
}

// --- The queue (also served alone by the live endpoint) -----------------------------------

/// One open inquiry in the queue.
pub(super) struct QueueRow {
    pub id: i64,
    pub href: String,
    pub title: String,
    pub source: String,
    pub age: String,
    /// The priority set, else the rubric's suggestion, else empty.
    pub priority: String,
    /// `priority` is the rubric's suggestion, not yet confirmed.
    pub suggested: bool,
    pub suggestion_reason: String,
    pub area: String,
    pub state: &'static str,
    pub state_label: String,
    pub assignee: String,
    /// Working time left, `… left` / `… overdue` / `—`.
    pub time_left: String,
    /// The deadline in the viewer's zone (empty without one).
    pub due: String,
    /// The deadline as RFC 3339 (empty without one).
    pub due_iso: String,
    /// [`Urgency::class`].
    pub urgency: &'static str,
    pub should_escalate: bool,
}

/// The open queue as the board shows it.
pub(super) struct QueueView {
    pub rows: Vec<QueueRow>,
    /// When it was rendered, in the viewer's zone.
    pub updated: String,
    pub updated_iso: String,
    /// The list stopped at the board's limit.
    pub truncated: bool,
    pub limit: u32,
}

impl QueueView {
    /// The view of `items` (most urgent first) for a viewer in `tz`.
    pub fn new(service: &Service, team: &Team, items: &[QueueItem], tz: Tz) -> Self {
        let now = service.now();
        let rows = items
            .iter()
            .map(|item| queue_row(service, team, item, tz, now))
            .collect();
        Self {
            rows,
            updated: local(now, tz),
            updated_iso: now.to_rfc3339(),
            truncated: items.len() >= BOARD_QUEUE_LIMIT as usize,
            limit: BOARD_QUEUE_LIMIT,
        }
    }
}

/// A state as people say it: `in progress`.
pub(super) fn state_label(state: baton_core::inquiry::State) -> String {
    state.as_str().replace('_', " ")
}

fn queue_row(
    service: &Service,
    team: &Team,
    item: &QueueItem,
    tz: Tz,
    now: DateTime<Utc>,
) -> QueueRow {
    let inquiry = &item.inquiry;
    let target = service.due_target(inquiry).map(|d| d.num_minutes());
    let urgency = Urgency::of(inquiry.next_due, now, item.time_left_minutes, target);
    let (priority, suggested) = match (inquiry.priority, inquiry.suggested_priority) {
        (Some(p), _) => (p.to_string(), false),
        (None, Some(s)) => (s.to_string(), true),
        (None, None) => (String::new(), false),
    };
    QueueRow {
        id: inquiry.id,
        href: format!("/teams/{}/inquiries/{}", team.slug, inquiry.id),
        title: inquiry.title.clone(),
        source: inquiry.source.clone(),
        age: display::elapsed(item.age_minutes),
        priority,
        suggested,
        suggestion_reason: inquiry.suggestion_reason.clone().unwrap_or_default(),
        area: inquiry.area.clone().unwrap_or_default(),
        state: inquiry.state.as_str(),
        state_label: state_label(inquiry.state),
        assignee: team.display_name(&inquiry.assignee).to_owned(),
        time_left: display::time_left(inquiry.next_due, now, item.time_left_minutes),
        due: inquiry.next_due.map(|d| local(d, tz)).unwrap_or_default(),
        due_iso: inquiry.next_due.map(|d| d.to_rfc3339()).unwrap_or_default(),
        urgency: urgency.class(),
        should_escalate: inquiry.should_escalate,
    }
}

// --- The board ------------------------------------------------------------------------------

/// A shift on the board: whose, and its bounds in the viewer's and the member's zones.
struct DutyView {
    member: String,
    name: String,
    /// The member's time zone.
    member_tz: String,
    /// Whether the member is in working hours (and not away) now.
    working: bool,
    start: String,
    start_member: String,
    end: String,
    end_member: String,
    override_of: Option<String>,
}

impl DutyView {
    fn new(team: &Team, shift: &baton_core::schedule::Shift, working: bool, tz: Tz) -> Self {
        let member_tz = team.member(&shift.member).map_or(team.tz, |m| m.tz);
        Self {
            member: shift.member.clone(),
            name: team.display_name(&shift.member).to_owned(),
            member_tz: member_tz.name().to_owned(),
            working,
            start: local(shift.start, tz),
            start_member: local(shift.start, member_tz),
            end: local(shift.end, tz),
            end_member: local(shift.end, member_tz),
            override_of: shift
                .is_override()
                .then(|| team.display_name(&shift.rostered).to_owned()),
        }
    }
}

/// One source on today's checklist.
struct CheckRow {
    source: String,
    checked: bool,
    by: String,
    at: String,
}

struct ChecklistView {
    date: String,
    member: String,
    timezone: String,
    rows: Vec<CheckRow>,
    unchecked: usize,
}

impl ChecklistView {
    fn new(team: &Team, checklist: &Checklist, tz: Tz) -> Self {
        Self {
            date: checklist.day.date.format("%a %-d %b").to_string(),
            member: team.display_name(&checklist.day.member).to_owned(),
            timezone: checklist.day.timezone.clone(),
            unchecked: checklist.unchecked().count(),
            rows: checklist
                .items
                .iter()
                .map(|i| CheckRow {
                    source: i.source.clone(),
                    checked: i.checked_at.is_some(),
                    by: i
                        .checked_by
                        .as_deref()
                        .map(|m| team.display_name(m).to_owned())
                        .unwrap_or_default(),
                    at: i.checked_at.map(|t| local(t, tz)).unwrap_or_default(),
                })
                .collect(),
        }
    }
}

struct BudgetView {
    logged: String,
    allowed: String,
    /// Logged time as a share of the shift's working time, `4.2%`.
    used: String,
    /// The team's share, `10%`.
    share: String,
    logged_minutes: i64,
    allowed_minutes: i64,
    elapsed: String,
    over_budget: bool,
    ahead_of_pace: bool,
}

impl BudgetView {
    fn new(b: &Budget) -> Self {
        Self {
            logged: display::working(b.logged_minutes),
            allowed: display::working(b.allowed_minutes),
            used: format!("{:.1}%", b.used_fraction * 100.0),
            share: format!("{:.0}%", b.budget_fraction * 100.0),
            logged_minutes: b.logged_minutes,
            allowed_minutes: b.allowed_minutes.max(1),
            elapsed: display::working(b.elapsed_working_minutes),
            over_budget: b.over_budget,
            ahead_of_pace: b.ahead_of_pace,
        }
    }
}

/// An inquiry that should become a GitHub issue.
struct IssueRow {
    id: i64,
    href: String,
    title: String,
    reason: String,
}

impl IssueRow {
    fn new(team: &Team, c: &IssueCandidate, tz: Tz) -> Self {
        let inquiry = &c.item.inquiry;
        let mut reasons = Vec::new();
        if c.over_threshold {
            reasons.push(format!(
                "{} logged, past the team's {}",
                display::working(inquiry.logged_minutes),
                team.escalate_after
            ));
        }
        if let Some((by, at)) = &c.flagged_by {
            reasons.push(format!("flagged by {by} on {}", local(*at, tz)));
        }
        Self {
            id: inquiry.id,
            href: format!("/teams/{}/inquiries/{}", team.slug, inquiry.id),
            title: inquiry.title.clone(),
            reason: reasons.join("; "),
        }
    }
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    layout: Layout,
    team: String,
    team_name: String,
    tz: String,
    can_act: bool,
    now: String,
    on_duty: Option<DutyView>,
    next: Option<DutyView>,
    queue: QueueView,
    checklist: Option<ChecklistView>,
    budget: Option<BudgetView>,
    for_issue: Vec<IssueRow>,
    /// Seconds between refreshes of the queue.
    poll_seconds: u32,
}

/// How often the board's script asks for the queue again.
pub(super) const POLL_SECONDS: u32 = 10;

async fn board(
    State(state): State<AppState>,
    WebPath(slug): WebPath<String>,
    viewer: Viewer,
    jar: CookieJar,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let q: ZoneQuery = display::query(raw.as_deref())?;
    let service = &state.service;
    let team = service.team(&slug)?;
    let tz = viewer_zone(&jar, q.tz.as_deref(), team.tz);
    let now = service.now();
    let items = service.queue(&slug, BOARD_QUEUE_LIMIT).await?;
    let on_call: Option<OnCall> = unless_invalid(service.on_call(&slug, now).await)?;
    let checklist = unless_invalid(service.checklist(&slug).await)?;
    let budget = unless_invalid(service.budget(&slug).await)?;
    let candidates = service.issue_candidates(&items).await?;
    let page = BoardPage {
        layout: Layout::new(&viewer, service.config(), Some(&slug), Nav::Board).in_zone(tz),
        team: team.slug.clone(),
        team_name: team.name.clone(),
        tz: tz.name().to_owned(),
        can_act: viewer.can(Role::Member),
        now: local(now, tz),
        on_duty: on_call
            .as_ref()
            .map(|o| DutyView::new(team, &o.shift, o.working, tz)),
        next: on_call.as_ref().and_then(|o| {
            o.next
                .as_ref()
                .map(|n| DutyView::new(team, n, o.next_working, tz))
        }),
        queue: QueueView::new(service, team, &items, tz),
        checklist: checklist.map(|c| ChecklistView::new(team, &c, tz)),
        budget: budget.map(|b| BudgetView::new(&b)),
        for_issue: candidates
            .iter()
            .map(|c| IssueRow::new(team, c, tz))
            .collect(),
        poll_seconds: POLL_SECONDS,
    };
    render(&page)
}

#[derive(Deserialize)]
struct CheckForm {
    source: String,
}

/// `POST /teams/{team}/checks`: a source was checked today, by the team member whose
/// configured email is the viewer's, or else (someone from outside the team) by the member on
/// duty.
async fn check(
    State(state): State<AppState>,
    WebPath(slug): WebPath<String>,
    CsrfForm { viewer, form }: CsrfForm<CheckForm>,
) -> Result<Response, WebError> {
    viewer.require(Role::Member)?;
    let member = state.service.member_with_email(&slug, &viewer.email)?;
    state
        .service
        .record_check(&slug, &form.source, member.as_deref())
        .await?;
    Ok(see_other(&format!("/teams/{slug}#checklist")))
}
