//! `baton who`: who is on duty at an instant, whether they are working, and who is next.

use anyhow::{anyhow, Result};
use baton_core::schedule::Shift;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cli::{Format, WhoArgs};
use crate::org::{Org, TeamView};
use crate::render;
use crate::when::When;

/// A shift as `baton who --format json` writes it.
#[derive(Serialize)]
struct OnDuty {
    team: String,
    member: String,
    name: String,
    start: String,
    end: String,
    #[serde(rename = "override")]
    is_override: bool,
    /// Whether the member is within working hours (and not away) at the instant asked about.
    working: bool,
    /// The member's time zone.
    timezone: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<Box<OnDuty>>,
}

impl OnDuty {
    fn new(view: &TeamView<'_>, shift: &Shift, at: DateTime<Utc>) -> Self {
        let team = view.team;
        Self {
            team: team.slug.clone(),
            member: shift.member.clone(),
            name: team.display_name(&shift.member).to_owned(),
            start: render::rfc3339(shift.start, team.tz),
            end: render::rfc3339(shift.end, team.tz),
            is_override: shift.is_override(),
            working: view.working(&shift.member, at),
            timezone: team
                .member(&shift.member)
                .map_or(team.tz, |m| m.tz)
                .to_string(),
            next: None,
        }
    }
}

pub async fn run(org: &mut Org, args: &WhoArgs) -> Result<()> {
    let store = org.open_for_reading().await?;
    let now = Utc::now();
    let mut answers = Vec::new();
    for team in org.teams(args.team.as_deref())? {
        let at = match &args.at {
            Some(text) => When::parse(text, "--at", now)?.start(team.tz),
            None => now,
        };
        let view = TeamView::load(team, store.as_ref()).await?;
        let shift = view
            .schedule
            .at(at)
            .ok_or_else(|| anyhow!("{at} is beyond the calendar"))?;
        let next = view.schedule.after(&shift);
        let mut answer = OnDuty::new(&view, &shift, at);
        answer.next = next.as_ref().map(|n| Box::new(OnDuty::new(&view, n, at)));
        if args.format == Format::Table {
            print_answer(&view, &answer, &shift, next.as_ref(), at);
        }
        answers.push(answer);
    }
    if args.format == Format::Json {
        let json = match (args.team.is_some(), answers.as_slice()) {
            (true, [one]) | (false, [one]) => serde_json::to_string_pretty(one)?,
            _ => serde_json::to_string_pretty(&answers)?,
        };
        println!("{json}");
    }
    Ok(())
}

fn print_answer(
    view: &TeamView<'_>,
    answer: &OnDuty,
    shift: &Shift,
    next: Option<&Shift>,
    at: DateTime<Utc>,
) {
    let team = view.team;
    let tz = team.tz;
    let covering = if shift.is_override() {
        format!(", covering for {}", team.display_name(&shift.rostered))
    } else {
        String::new()
    };
    println!(
        "{}: {} is on duty from {} until {} ({tz}){covering}",
        team.name,
        answer.name,
        render::local(shift.start, tz),
        render::local(shift.end, tz),
    );
    let member_tz = team.member(&shift.member).map_or(tz, |m| m.tz);
    println!(
        "  {} is {} ({} in {member_tz})",
        answer.name,
        if answer.working {
            "working now"
        } else {
            "not working now"
        },
        at.with_timezone(&member_tz).format("%a %H:%M"),
    );
    if let Some(next) = next {
        println!(
            "  next: {} from {} until {}",
            team.display_name(&next.member),
            render::local(next.start, tz),
            render::local(next.end, tz),
        );
    }
}
