//! One inquiry: everything about it, its trail, and a form for every triage action.
//!
//! The forms post to `POST /teams/{team}/inquiries/{id}/{action}` and call the same
//! `Service::act` / `Service::add_note` as the JSON API; an accepted form answers 303 back to
//! the page, a refused one the service's message (409 for an illegal transition, 422 for a
//! value that does not fit).

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use axum_extra::extract::CookieJar;
use baton_config::Team;
use baton_core::access::Role;
use baton_core::inquiry::Inquiry;
use baton_core::sla::Priority;
use baton_core::triage::{Action, Policy, SlaStatus};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use super::board::{state_label, ZoneQuery};
use super::display::{self, is_web_link, local_long, viewer_zone, Urgency};
use super::layout::{Layout, Nav};
use super::{non_blank, parse_id, render, see_other, WebPath};
use crate::service::{EventView, InquiryDetail, ServiceError};
use crate::web::error::WebError;
use crate::web::session::{CsrfForm, Viewer};
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/teams/{team}/inquiries/{id}", get(page))
        .route("/teams/{team}/inquiries/{id}/{action}", post(act))
}

/// The actions without fields, each a button: `(path segment, label)`.
const BUTTONS: [(&str, &str); 7] = [
    ("ack", "Acknowledge"),
    ("start", "Start work"),
    ("wait", "Wait on reporter"),
    ("respond", "Mark responded"),
    ("resolve", "Resolve"),
    ("reopen", "Reopen"),
    ("flag", "Flag for an issue"),
];

/// Every action a form may post: the buttons, and those with fields.
const FORM_ACTIONS: [&str; 7] = [
    "priority", "area", "assign", "route", "time", "escalate", "note",
];

/// The action behind a button.
fn button_action(verb: &str) -> Option<Action> {
    Some(match verb {
        "ack" => Action::Acknowledge,
        "start" => Action::Start,
        "wait" => Action::Wait,
        "respond" => Action::Respond,
        "resolve" => Action::Resolve,
        "reopen" => Action::Reopen,
        "flag" => Action::FlagForIssue,
        _ => return None,
    })
}

/// An `<option>` of a select.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// A button for a legal transition.
struct Button {
    verb: &'static str,
    label: &'static str,
}

struct EventRow {
    at: String,
    actor: String,
    what: String,
    detail: String,
}

struct NoteRow {
    at: String,
    author: String,
    text: String,
}

struct TimeRow {
    at: String,
    member: String,
    logged: String,
    note: String,
}

#[derive(Template)]
#[template(path = "inquiry.html")]
struct InquiryPage {
    layout: Layout,
    team: String,
    tz: String,
    base: String,
    id: i64,
    title: String,
    body: String,
    source: String,
    reporter: String,
    /// The link back to Slack/GitHub, when it is a web link.
    link: Option<String>,
    /// A link that is not a web link, shown as text.
    link_text: String,
    external_ref: String,
    labels: String,
    severity: String,
    received: String,
    age: String,
    state: &'static str,
    state_label: String,
    open: bool,
    priority: String,
    suggested: String,
    suggestion_reason: String,
    area: String,
    assignee: String,
    assignee_tz: String,
    first_response: &'static str,
    first_response_due: String,
    first_response_at: String,
    resolution_due: String,
    resolved_at: String,
    time_left: String,
    urgency: &'static str,
    logged: String,
    escalate_after: String,
    should_escalate: bool,
    issue_url: Option<String>,
    issue_text: String,
    pauses: Vec<String>,
    events: Vec<EventRow>,
    notes: Vec<NoteRow>,
    time_entries: Vec<TimeRow>,
    can_act: bool,
    buttons: Vec<Button>,
    priorities: Vec<Choice>,
    areas: Vec<Choice>,
    members: Vec<Choice>,
}

/// The inquiry `id` of team `slug` (another team's inquiry is not found here).
async fn load(state: &AppState, slug: &str, id: &str) -> Result<(i64, InquiryDetail), WebError> {
    let id = parse_id(id, "inquiry")?;
    let detail = state.service.inquiry(id).await?;
    if detail.item.inquiry.team != slug {
        return Err(WebError::NotFound(format!(
            "inquiry #{id} is not team {slug}'s"
        )));
    }
    Ok((id, detail))
}

async fn page(
    State(state): State<AppState>,
    WebPath((slug, id)): WebPath<(String, String)>,
    viewer: Viewer,
    jar: CookieJar,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let q: ZoneQuery = display::query(raw.as_deref())?;
    let service = &state.service;
    let team = service.team(&slug)?;
    let (id, detail) = load(&state, &slug, &id).await?;
    let tz = viewer_zone(&jar, q.tz.as_deref(), team.tz);
    let policy = service.policy(team).await?;
    let now = service.now();
    let inquiry = &detail.item.inquiry;
    let target = service.due_target(inquiry).map(|d| d.num_minutes());
    let when = |t: Option<DateTime<Utc>>| t.map(|t| local_long(t, tz)).unwrap_or_default();
    let link = inquiry.link.clone().filter(|l| is_web_link(l));
    let issue_url = inquiry.issue_url.clone().filter(|l| is_web_link(l));
    let page = InquiryPage {
        layout: Layout::new(&viewer, service.config(), Some(&slug), Nav::Board).in_zone(tz),
        team: slug.clone(),
        tz: tz.name().to_owned(),
        base: format!("/teams/{slug}/inquiries/{id}"),
        id,
        title: inquiry.title.clone(),
        body: inquiry.body.clone(),
        source: inquiry.source.clone(),
        reporter: inquiry.reporter.clone().unwrap_or_default(),
        link_text: match (&link, &inquiry.link) {
            (None, Some(raw)) => raw.clone(),
            _ => String::new(),
        },
        link,
        external_ref: inquiry.external_ref.clone().unwrap_or_default(),
        labels: inquiry.labels.join(", "),
        severity: inquiry.severity.clone().unwrap_or_default(),
        received: local_long(inquiry.received_at, tz),
        age: display::elapsed(detail.item.age_minutes),
        state: inquiry.state.as_str(),
        state_label: state_label(inquiry.state),
        open: inquiry.state.is_open(),
        priority: inquiry.priority.map(|p| p.to_string()).unwrap_or_default(),
        suggested: inquiry
            .suggested_priority
            .map(|p| p.to_string())
            .unwrap_or_default(),
        suggestion_reason: inquiry.suggestion_reason.clone().unwrap_or_default(),
        area: inquiry.area.clone().unwrap_or_default(),
        assignee: team.display_name(&inquiry.assignee).to_owned(),
        assignee_tz: team
            .member(&inquiry.assignee)
            .map(|m| m.tz.name().to_owned())
            .unwrap_or_default(),
        first_response: sla_status(detail.item.first_response),
        first_response_due: when(inquiry.first_response_due),
        first_response_at: when(inquiry.first_response_at),
        resolution_due: when(inquiry.resolution_due),
        resolved_at: when(inquiry.resolved_at),
        time_left: display::time_left(inquiry.next_due, now, detail.item.time_left_minutes),
        urgency: Urgency::of(inquiry.next_due, now, detail.item.time_left_minutes, target).class(),
        logged: display::working(inquiry.logged_minutes),
        escalate_after: team.escalate_after.to_string(),
        should_escalate: inquiry.should_escalate,
        issue_text: match (&issue_url, &inquiry.issue_url) {
            (None, Some(raw)) => raw.clone(),
            _ => String::new(),
        },
        issue_url,
        pauses: inquiry
            .pauses
            .iter()
            .map(|p| match p.end {
                Some(end) => format!("{} – {}", local_long(p.start, tz), local_long(end, tz)),
                None => format!("since {}", local_long(p.start, tz)),
            })
            .collect(),
        events: detail
            .events
            .iter()
            .map(|e| event_row(team, e, tz))
            .collect(),
        notes: detail
            .notes
            .iter()
            .map(|n| NoteRow {
                at: local_long(n.at, tz),
                author: n.author.clone(),
                text: n.text.clone(),
            })
            .collect(),
        time_entries: detail
            .time_entries
            .iter()
            .map(|t| TimeRow {
                at: local_long(t.at, tz),
                member: team.display_name(&t.member).to_owned(),
                logged: display::working(t.minutes),
                note: t.note.clone().unwrap_or_default(),
            })
            .collect(),
        can_act: viewer.can(Role::Member),
        buttons: legal_buttons(&policy, inquiry, now),
        priorities: Priority::ALL
            .iter()
            .map(|p| Choice {
                value: p.to_string(),
                label: p.to_string(),
                selected: inquiry.priority == Some(*p),
            })
            .collect(),
        areas: team
            .areas
            .iter()
            .map(|a| Choice {
                value: a.clone(),
                label: a.clone(),
                selected: inquiry.area.as_deref() == Some(a.as_str()),
            })
            .collect(),
        members: team
            .members
            .iter()
            .map(|m| Choice {
                value: m.id.clone(),
                label: m.name.clone(),
                selected: m.id == inquiry.assignee,
            })
            .collect(),
    };
    render(&page)
}

/// The buttons whose transition the state machine allows now, leaving out those that would
/// change nothing: "responded" once someone responded, "flag" on a closed inquiry.
fn legal_buttons(policy: &Policy, inquiry: &Inquiry, now: DateTime<Utc>) -> Vec<Button> {
    BUTTONS
        .iter()
        .filter(|(verb, _)| match *verb {
            "respond" => inquiry.first_response_at.is_none(),
            "flag" => inquiry.state.is_open(),
            _ => true,
        })
        .filter(|(verb, _)| {
            button_action(verb).is_some_and(|a| policy.apply(inquiry, a, now).is_ok())
        })
        .map(|&(verb, label)| Button { verb, label })
        .collect()
}

fn sla_status(status: SlaStatus) -> &'static str {
    match status {
        SlaStatus::None => "no target",
        SlaStatus::Met => "met",
        SlaStatus::Missed => "missed",
        SlaStatus::Running => "running",
        SlaStatus::Breached => "breached",
        SlaStatus::Paused => "paused (waiting on the reporter)",
    }
}

/// An event as one line of the trail: what happened and its details, in words.
fn event_row(team: &Team, e: &EventView, tz: Tz) -> EventRow {
    let d = &e.data;
    let mut details = Vec::new();
    match e.kind.as_str() {
        "inquiry.created" => {
            if let Some(state) = d["state"].as_str() {
                details.push(format!("state {}", state.replace('_', " ")));
            }
            if let Some(member) = d["assignee"].as_str() {
                details.push(format!("assigned to {}", team.display_name(member)));
            }
        }
        "note.added" => {
            if let Some(text) = d["text"].as_str() {
                details.push(text.to_owned());
            }
        }
        _ => {
            if let (Some(from), Some(to)) = (d["from"].as_str(), d["to"].as_str()) {
                if from != to {
                    details.push(format!(
                        "{} → {}",
                        from.replace('_', " "),
                        to.replace('_', " ")
                    ));
                }
            }
            if let Some(fields) = d["action"].as_object() {
                for (key, value) in fields.iter().filter(|(k, _)| *k != "action") {
                    let value = match value {
                        serde_json::Value::Null => "none".to_owned(),
                        serde_json::Value::String(s) if key == "member" || key == "assignee" => {
                            team.display_name(s).to_owned()
                        }
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    details.push(format!("{}: {value}", key.replace('_', " ")));
                }
            }
        }
    }
    EventRow {
        at: local_long(e.at, tz),
        actor: e.actor.clone(),
        what: e
            .kind
            .trim_start_matches("inquiry.")
            .replace(['_', '.'], " "),
        detail: details.join(", "),
    }
}

/// Every field any action form has; each action reads the ones it needs.
#[derive(Deserialize, Default)]
struct ActionForm {
    priority: Option<String>,
    area: Option<String>,
    member: Option<String>,
    minutes: Option<String>,
    note: Option<String>,
    text: Option<String>,
    issue_url: Option<String>,
    assignee: Option<String>,
}

/// The action a form posted to `verb` stands for; `None` for a note.
fn form_action(verb: &str, form: ActionForm) -> Result<Option<Action>, WebError> {
    if let Some(action) = button_action(verb) {
        return Ok(Some(action));
    }
    let required = |value: Option<String>, field: &str| {
        non_blank(value).ok_or_else(|| WebError::Unprocessable(format!("{field}: fill it in")))
    };
    Ok(Some(match verb {
        "priority" => Action::SetPriority {
            priority: non_blank(form.priority)
                .map(|p| p.parse::<Priority>())
                .transpose()
                .map_err(|e| WebError::Unprocessable(format!("priority: {e}")))?,
        },
        "area" => Action::SetArea {
            area: non_blank(form.area),
        },
        "assign" => Action::Reassign {
            member: required(form.member, "member")?,
        },
        "route" => Action::Route {
            member: required(form.member, "member")?,
        },
        "time" => {
            let minutes = required(form.minutes, "minutes")?;
            Action::LogTime {
                minutes: minutes.parse().map_err(|_| {
                    WebError::Unprocessable(format!(
                        "minutes: {minutes:?} is not a whole number of minutes"
                    ))
                })?,
                note: non_blank(form.note),
                member: non_blank(form.member),
            }
        }
        "escalate" => Action::Escalate {
            issue_url: required(form.issue_url, "issue URL")?,
            assignee: non_blank(form.assignee),
        },
        "note" => return Ok(None),
        _ => {
            let all: Vec<&str> = BUTTONS
                .iter()
                .map(|(v, _)| *v)
                .chain(FORM_ACTIONS)
                .collect();
            return Err(WebError::NotFound(format!(
                "no action {verb:?}; the actions are {}",
                all.join(", ")
            )));
        }
    }))
}

async fn act(
    State(state): State<AppState>,
    WebPath((slug, id, verb)): WebPath<(String, String, String)>,
    CsrfForm { viewer, form }: CsrfForm<ActionForm>,
) -> Result<Response, WebError> {
    viewer.require(Role::Member)?;
    let id = parse_id(&id, "inquiry")?;
    let service = &state.service;
    let current = service
        .store()
        .get_inquiry(id)
        .await
        .map_err(ServiceError::from)?;
    if current.team != slug {
        return Err(WebError::NotFound(format!(
            "inquiry #{id} is not team {slug}'s"
        )));
    }
    let text = form.text.clone();
    match form_action(&verb, form)? {
        Some(action) => {
            service.act(id, action, &viewer.actor()).await?;
        }
        None => {
            let text = text.unwrap_or_default();
            service.add_note(id, text.trim(), &viewer.actor()).await?;
        }
    }
    Ok(see_other(&format!("/teams/{slug}/inquiries/{id}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> ActionForm {
        let encoded = serde_urlencoded::to_string(pairs).unwrap();
        serde_urlencoded::from_str(&encoded).unwrap()
    }

    #[test]
    fn every_form_maps_to_its_action() {
        for (verb, _) in BUTTONS {
            assert!(form_action(verb, ActionForm::default()).unwrap().is_some());
        }
        assert_eq!(
            form_action("priority", form(&[("priority", "high")])).unwrap(),
            Some(Action::SetPriority {
                priority: Some(Priority::High)
            })
        );
        assert_eq!(
            form_action("priority", form(&[("priority", "")])).unwrap(),
            Some(Action::SetPriority { priority: None })
        );
        assert_eq!(
            form_action(
                "time",
                form(&[("minutes", "30"), ("note", " "), ("member", "")])
            )
            .unwrap(),
            Some(Action::LogTime {
                minutes: 30,
                note: None,
                member: None
            })
        );
        assert_eq!(
            form_action(
                "escalate",
                form(&[("issue_url", "https://github.com/o/r/issues/1")])
            )
            .unwrap(),
            Some(Action::Escalate {
                issue_url: "https://github.com/o/r/issues/1".into(),
                assignee: None
            })
        );
        assert_eq!(form_action("note", form(&[("text", "hi")])).unwrap(), None);
    }

    #[test]
    fn bad_fields_and_unknown_actions_are_refused_with_the_reason() {
        let e = form_action("priority", form(&[("priority", "urgent")])).unwrap_err();
        assert!(matches!(e, WebError::Unprocessable(m) if m.contains("critical, high")));
        let e = form_action("time", form(&[("minutes", "half an hour")])).unwrap_err();
        assert!(matches!(e, WebError::Unprocessable(m) if m.starts_with("minutes:")));
        let e = form_action("assign", form(&[])).unwrap_err();
        assert!(matches!(e, WebError::Unprocessable(m) if m.starts_with("member:")));
        let e = form_action("snooze", form(&[])).unwrap_err();
        assert!(matches!(e, WebError::NotFound(m) if m.contains("ack, start")));
    }
}
