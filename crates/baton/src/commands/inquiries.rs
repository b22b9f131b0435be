//! `baton inquiry …`: add, list, show and triage inquiries from the terminal.

use anyhow::{anyhow, Result};
use baton_core::inquiry::{Inquiry, State};
use baton_core::sla::Priority;
use baton_core::triage::{Action, Arrival};
use baton_server::service::{InquiryDetail, QueueItem, Service};
use baton_store::InquiryFilter;
use chrono_tz::Tz;

use crate::cli::{Format, IdArgs, InquiryCommand};
use crate::org::Org;
use crate::render::{self, Table};
use crate::when::When;

pub async fn run(org: &mut Org, command: InquiryCommand) -> Result<()> {
    let service = org.service().await?;
    match command {
        InquiryCommand::Add {
            team,
            title,
            body,
            source,
            reporter,
            link,
            area,
            priority,
            labels,
            received_at,
            actor,
            format,
        } => {
            let team = org.one_team(team.as_deref())?;
            let now = service.now();
            let received_at = match received_at {
                Some(t) => When::parse(&t, "--received-at", now)?.start(team.tz),
                None => now,
            };
            let arrival = Arrival {
                source,
                external_ref: None,
                link,
                title,
                body,
                reporter,
                labels,
                severity: None,
                received_at,
                area,
                priority: priority
                    .as_deref()
                    .map(parse_priority)
                    .transpose()?
                    .flatten(),
            };
            let (inquiry, _) = service
                .create_inquiry(&team.slug, arrival, &actor.by)
                .await?;
            let item = service.inquiry(inquiry.id).await?.item;
            print_item(org, &item, format)?;
        }
        InquiryCommand::List {
            team,
            states,
            assignee,
            limit,
            format,
        } => {
            let team = org.one_team(team.as_deref())?;
            let states = states
                .iter()
                .map(|s| s.parse::<State>().map_err(|e| anyhow!("--state: {e}")))
                .collect::<Result<Vec<_>>>()?;
            let list = service
                .inquiries(&InquiryFilter {
                    team: Some(team.slug.clone()),
                    states,
                    assignee,
                    limit,
                    ..InquiryFilter::default()
                })
                .await?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&list)?),
                Format::Table => print_list(org, team.tz, &list),
            }
        }
        InquiryCommand::Show { id, format } => {
            let detail = service.inquiry(id).await?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&detail)?),
                Format::Table => print_detail(org, &detail),
            }
        }
        InquiryCommand::Ack(id) => act(org, &service, id, Action::Acknowledge).await?,
        InquiryCommand::Start(id) => act(org, &service, id, Action::Start).await?,
        InquiryCommand::Wait(id) => act(org, &service, id, Action::Wait).await?,
        InquiryCommand::Respond(id) => act(org, &service, id, Action::Respond).await?,
        InquiryCommand::Resolve(id) => act(org, &service, id, Action::Resolve).await?,
        InquiryCommand::Reopen(id) => act(org, &service, id, Action::Reopen).await?,
        InquiryCommand::Escalate {
            id,
            issue,
            assignee,
        } => {
            let action = Action::Escalate {
                issue_url: issue,
                assignee,
            };
            act(org, &service, id, action).await?
        }
        InquiryCommand::Route { id, member } => {
            act(org, &service, id, Action::Route { member }).await?
        }
        InquiryCommand::Assign { id, member } => {
            act(org, &service, id, Action::Reassign { member }).await?
        }
        InquiryCommand::Priority { id, priority } => {
            let priority = parse_priority(&priority)?;
            act(org, &service, id, Action::SetPriority { priority }).await?
        }
        InquiryCommand::Area { id, area } => {
            let area = (!area.eq_ignore_ascii_case("none")).then_some(area);
            act(org, &service, id, Action::SetArea { area }).await?
        }
        InquiryCommand::Time {
            id,
            minutes,
            note,
            member,
        } => {
            let action = Action::LogTime {
                minutes,
                note,
                member,
            };
            act(org, &service, id, action).await?
        }
        InquiryCommand::Note { id, text } => {
            let note = service.add_note(id.id, &text, &id.actor.by).await?;
            println!("note #{} added to inquiry #{}", note.id, id.id);
        }
    }
    Ok(())
}

/// `none` clears the priority.
fn parse_priority(text: &str) -> Result<Option<Priority>> {
    if text.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    Ok(Some(text.parse::<Priority>()?))
}

async fn act(org: &Org, service: &Service, id: IdArgs, action: Action) -> Result<()> {
    let done = action.done();
    let inquiry = service
        .act(id.id, action, &id.actor.by)
        .await
        .map_err(|e| anyhow!("inquiry #{}: {e}", id.id))?;
    let item = service.inquiry(inquiry.id).await?.item;
    println!("inquiry #{}: {done}", inquiry.id);
    print_item(org, &item, Format::Table)
}

fn tz_of(org: &Org, team: &str) -> Tz {
    org.config.team(team).map_or(chrono_tz::UTC, |t| t.tz)
}

fn name<'a>(org: &'a Org, team: &str, member: &'a str) -> &'a str {
    org.config
        .team(team)
        .and_then(|t| t.member(member))
        .map_or(member, |m| m.name.as_str())
}

/// `high`, or `(medium?)` for a suggestion nobody confirmed yet.
pub fn priority_label(i: &Inquiry) -> String {
    match (i.priority, i.suggested_priority) {
        (Some(p), _) => p.to_string(),
        (None, Some(s)) => format!("({s}?)"),
        (None, None) => "-".into(),
    }
}

/// Working time left as `3h20m`, or `late 1h05m`.
pub fn time_left(minutes: Option<i64>) -> String {
    match minutes {
        None => "-".into(),
        Some(m) if m < 0 => format!("late {}", hm(-m)),
        Some(m) => hm(m),
    }
}

fn hm(minutes: i64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m:02}m"),
    }
}

/// The queue as a table.
pub fn print_queue(org: &Org, tz: Tz, items: &[QueueItem]) {
    let mut table = Table::new(&[
        "ID",
        "Prio",
        "State",
        "Responsible",
        "Source",
        "Area",
        "Age",
        "Left",
        "Title",
    ]);
    for q in items {
        let i = &q.inquiry;
        table.row(vec![
            format!("#{}", i.id),
            priority_label(i),
            i.state.to_string(),
            name(org, &i.team, &i.assignee).to_owned(),
            i.source.clone(),
            i.area.clone().unwrap_or_else(|| "-".into()),
            hm(q.age_minutes.max(0)),
            time_left(q.time_left_minutes),
            truncate(&i.title, 60),
        ]);
    }
    if table.is_empty() {
        println!("the queue is empty");
    } else {
        println!("Times left are working time of the responsible engineer; zone {tz}.");
        print!("{table}");
    }
}

fn print_list(org: &Org, tz: Tz, list: &[Inquiry]) {
    let mut table = Table::new(&[
        "ID",
        "Prio",
        "State",
        "Responsible",
        "Source",
        "Received",
        "Title",
    ]);
    for i in list {
        table.row(vec![
            format!("#{}", i.id),
            priority_label(i),
            i.state.to_string(),
            name(org, &i.team, &i.assignee).to_owned(),
            i.source.clone(),
            render::local(i.received_at, tz),
            truncate(&i.title, 60),
        ]);
    }
    if table.is_empty() {
        println!("no inquiries");
    } else {
        print!("{table}");
    }
}

fn print_item(org: &Org, item: &QueueItem, format: Format) -> Result<()> {
    if format == Format::Json {
        println!("{}", serde_json::to_string_pretty(item)?);
        return Ok(());
    }
    let i = &item.inquiry;
    let tz = tz_of(org, &i.team);
    let when =
        |t: Option<chrono::DateTime<chrono::Utc>>| t.map_or("-".into(), |t| render::local(t, tz));
    println!("#{} [{}] {}", i.id, priority_label(i), i.title);
    println!(
        "  {} · responsible: {} · source: {} · area: {}",
        i.state,
        name(org, &i.team, &i.assignee),
        i.source,
        i.area.as_deref().unwrap_or("-")
    );
    println!("  received {} ({tz})", render::local(i.received_at, tz));
    println!(
        "  first response: {} (due {}, {:?})",
        when(i.first_response_at),
        when(i.first_response_due),
        item.first_response
    );
    println!(
        "  resolution due {} · time left {} · logged {}{}",
        when(i.resolution_due),
        time_left(item.time_left_minutes),
        hm(i.logged_minutes),
        if i.should_escalate {
            " · should become a GitHub issue"
        } else {
            ""
        }
    );
    if let Some(reason) = &i.suggestion_reason {
        println!("  suggested priority: {reason}");
    }
    for (label, value) in [("link", &i.link), ("issue", &i.issue_url)] {
        if let Some(v) = value {
            println!("  {label}: {v}");
        }
    }
    Ok(())
}

fn print_detail(org: &Org, d: &InquiryDetail) {
    let tz = tz_of(org, &d.item.inquiry.team);
    // Printing to a table cannot fail.
    let _ = print_item(org, &d.item, Format::Table);
    if !d.item.inquiry.body.is_empty() {
        println!("\n{}", d.item.inquiry.body);
    }
    println!("\nTrail:");
    let mut table = Table::new(&["When", "Who", "What"]);
    for e in &d.events {
        table.row(vec![
            render::local(e.at, tz),
            e.actor.clone(),
            e.kind.clone(),
        ]);
    }
    print!("{table}");
    for t in &d.time_entries {
        println!(
            "  time: {} by {} at {}{}",
            hm(t.minutes),
            t.member,
            render::local(t.at, tz),
            t.note
                .as_deref()
                .map(|n| format!(" — {n}"))
                .unwrap_or_default()
        );
    }
    for n in &d.notes {
        println!(
            "  note by {} at {}: {}",
            n.author,
            render::local(n.at, tz),
            n.text
        );
    }
}

fn truncate(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() <= max {
        line.to_owned()
    } else {
        format!("{}…", line.chars().take(max - 1).collect::<String>())
    }
}
