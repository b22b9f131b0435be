//! GitHub webhook deliveries: which team, and what they make happen.

use baton_core::triage::{Action as Triage, Arrival};
use baton_integrations::github::{
    Action, Event, IssueCommentEvent, IssuesEvent, PullRequestEvent, ReviewRequest, TeamMention,
};

use super::route::{github_member, Routes, Target};
use super::{arrived_at, title_of, Decision};
use crate::service::{Service, ServiceError};

/// The event kind stored with the delivery: `issues.opened`, `ping`, `star`, …
pub fn kind(event_name: &str, event: &Event) -> String {
    let action = match event {
        Event::Issues(e) => Some(e.action.as_str()),
        Event::IssueComment(e) => Some(e.action.as_str()),
        Event::PullRequest(e) => Some(e.action.as_str()),
        Event::Ping(_) | Event::Ignored { .. } => None,
    };
    match action {
        Some(action) => format!("{event_name}.{action}"),
        None => event_name.to_owned(),
    }
}

/// Decides what `event` makes happen.
pub async fn decide(
    service: &Service,
    routes: &Routes,
    event: &Event,
) -> Result<Decision, ServiceError> {
    let mut d = Decision::default();
    match event {
        Event::Ping(_) => d.note("ping"),
        Event::Issues(e) => issues(service, routes, e, &mut d).await?,
        Event::IssueComment(e) => comment(service, routes, e, &mut d).await?,
        Event::PullRequest(e) => pull_request(service, routes, e, &mut d).await?,
        Event::Ignored { event } => d.note(format!("ignored: event {event}")),
    }
    Ok(d)
}

async fn issues(
    service: &Service,
    routes: &Routes,
    e: &IssuesEvent,
    d: &mut Decision,
) -> Result<(), ServiceError> {
    let actor = format!("github:{}", e.sender);
    match &e.action {
        Action::Opened | Action::Labeled | Action::Reopened => {
            let labels: Vec<&str> = match (&e.action, &e.label) {
                (Action::Labeled, Some(label)) => vec![label.as_str()],
                _ => e.issue.labels.iter().map(String::as_str).collect(),
            };
            let mut targets: Vec<&Target> = Vec::new();
            for label in labels {
                for t in routes.github_label(label) {
                    if !targets.iter().any(|x| x.team == t.team) {
                        targets.push(t);
                    }
                }
            }
            if targets.is_empty() {
                d.note(format!(
                    "unrouted: no team watches the labels of {}",
                    e.issue.html_url
                ));
                return Ok(());
            }
            // An issue just opened has no inquiry yet unless a `labeled` delivery for it came
            // first; then the store finds it by its reference and creates none.
            let existing = if e.action == Action::Opened {
                Vec::new()
            } else {
                service
                    .store()
                    .find_inquiries_by_ref(&e.issue.html_url)
                    .await?
            };
            for t in targets {
                if let Some(inquiry) = existing.iter().find(|i| i.team == t.team) {
                    d.route(&t.team);
                    if e.action == Action::Reopened && !inquiry.state.is_open() {
                        d.act(service, inquiry, Triage::Reopen, &actor).await?;
                    } else {
                        d.note(format!("inquiry #{} exists already", inquiry.id));
                    }
                    continue;
                }
                // An issue opened arrives when it was opened; one labelled later, now.
                let opened = match e.action {
                    Action::Opened => e.issue.created_at,
                    _ => None,
                };
                let arrival = Arrival {
                    source: t.source.clone(),
                    external_ref: Some(e.issue.html_url.clone()),
                    link: Some(e.issue.html_url.clone()),
                    title: title_of(&e.issue.title, 200),
                    body: e.issue.body.clone(),
                    reporter: Some(e.issue.user.clone()),
                    labels: e.issue.labels.clone(),
                    severity: None,
                    received_at: arrived_at(opened, service.now()),
                    area: None,
                    priority: None,
                };
                d.create(service, t, arrival, &actor).await?;
            }
        }
        Action::Closed => {
            let inquiries = service
                .store()
                .find_inquiries_by_ref(&e.issue.html_url)
                .await?;
            let mut any = false;
            for inquiry in inquiries.iter().filter(|i| i.state.is_open()) {
                any = true;
                d.act_at(service, inquiry, Triage::Resolve, &actor, e.issue.closed_at)
                    .await?;
            }
            if !any {
                if let Some(i) = inquiries.first() {
                    d.route(&i.team);
                }
                d.note("ignored: no open inquiry comes from this issue");
            }
        }
        other => d.note(format!("ignored: issues.{}", other.as_str())),
    }
    Ok(())
}

async fn comment(
    service: &Service,
    routes: &Routes,
    e: &IssueCommentEvent,
    d: &mut Decision,
) -> Result<(), ServiceError> {
    if e.action != Action::Created {
        d.note(format!("ignored: issue_comment.{}", e.action.as_str()));
        return Ok(());
    }
    let actor = format!("github:{}", e.comment.user);
    let config = service.config();

    // A comment on an inquiry's issue by a member of its team: the first response.
    let on_issue = service
        .store()
        .find_inquiries_by_ref(&e.issue.html_url)
        .await?;
    for inquiry in &on_issue {
        let Some(team) = config.team(&inquiry.team) else {
            continue;
        };
        d.route(&inquiry.team);
        if github_member(team, &e.comment.user).is_some() {
            if inquiry.first_response_at.is_none() {
                d.act_at(
                    service,
                    inquiry,
                    Triage::Respond,
                    &actor,
                    e.comment.created_at,
                )
                .await?;
            } else {
                d.note(format!(
                    "comment by a member on inquiry #{}: first response already recorded",
                    inquiry.id
                ));
            }
        } else {
            d.note(format!("comment on inquiry #{}", inquiry.id));
        }
    }

    // A comment mentioning a team's GitHub team: a new inquiry.
    let mut targets: Vec<&Target> = Vec::new();
    for mention in &e.team_mentions {
        for t in routes.github_team(mention) {
            let team = config.team(&t.team);
            let by_member = team.is_some_and(|team| github_member(team, &e.comment.user).is_some());
            if by_member {
                d.note(format!(
                    "not an inquiry: {} is a member of team {}",
                    e.comment.user, t.team
                ));
            } else if !targets.iter().any(|x| x.team == t.team) {
                targets.push(t);
            }
        }
    }
    if !targets.is_empty() {
        let existing = service
            .store()
            .find_inquiries_by_ref(&e.comment.html_url)
            .await?;
        for t in targets {
            if let Some(inquiry) = existing.iter().find(|i| i.team == t.team) {
                d.route(&t.team);
                d.note(format!("inquiry #{} exists already", inquiry.id));
                continue;
            }
            let arrival = Arrival {
                source: t.source.clone(),
                external_ref: Some(e.comment.html_url.clone()),
                link: Some(e.comment.html_url.clone()),
                title: title_of(&e.issue.title, 200),
                body: e.comment.body.clone(),
                reporter: Some(e.comment.user.clone()),
                labels: e.issue.labels.clone(),
                severity: None,
                received_at: arrived_at(e.comment.created_at, service.now()),
                area: None,
                priority: None,
            };
            d.create(service, t, arrival, &actor).await?;
        }
    }
    if d.notes.is_empty() {
        if e.team_mentions.is_empty() {
            d.note("ignored: a comment on an issue that is not an inquiry");
        } else {
            let names: Vec<String> = e.team_mentions.iter().map(TeamMention::to_string).collect();
            d.note(format!("unrouted: no team is {}", names.join(", ")));
        }
    }
    Ok(())
}

async fn pull_request(
    service: &Service,
    routes: &Routes,
    e: &PullRequestEvent,
    d: &mut Decision,
) -> Result<(), ServiceError> {
    let (Action::ReviewRequested, Some(ReviewRequest::Team { org, slug, .. })) =
        (&e.action, &e.requested)
    else {
        d.note(format!("ignored: pull_request.{}", e.action.as_str()));
        return Ok(());
    };
    let mention = TeamMention {
        org: org.to_ascii_lowercase(),
        slug: slug.to_ascii_lowercase(),
    };
    let targets = routes.github_team(&mention);
    if targets.is_empty() {
        d.note(format!("unrouted: no team is {mention}"));
        return Ok(());
    }
    let pr = &e.pull_request;
    let existing = service.store().find_inquiries_by_ref(&pr.html_url).await?;
    for t in targets {
        if let Some(inquiry) = existing.iter().find(|i| i.team == t.team) {
            d.route(&t.team);
            d.note(format!("inquiry #{} exists already", inquiry.id));
            continue;
        }
        let arrival = Arrival {
            source: t.source.clone(),
            external_ref: Some(pr.html_url.clone()),
            link: Some(pr.html_url.clone()),
            title: format!("Review requested: {}", title_of(&pr.title, 180)),
            body: pr.body.clone(),
            reporter: Some(e.sender.clone()),
            labels: Vec::new(),
            severity: None,
            received_at: service.now(),
            area: None,
            priority: None,
        };
        d.create(service, t, arrival, &format!("github:{}", e.sender))
            .await?;
    }
    Ok(())
}
