//! `baton schedule`: the rotation table, as a table, JSON, CSV or an iCalendar feed.

use anyhow::{anyhow, Result};
use baton_config::Team;
use baton_core::schedule::{Conflict, Shift};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cli::{ScheduleArgs, ScheduleFormat};
use crate::org::{Org, TeamView};
use crate::render::{self, Table};
use crate::when::parse_opt;

/// How many shifts are shown when `--until` is not given.
const DEFAULT_SHIFTS: i64 = 8;

/// One shift as `--format json` writes it.
#[derive(Serialize)]
pub struct ShiftJson {
    pub team: String,
    pub member: String,
    pub name: String,
    pub start: String,
    pub end: String,
    #[serde(rename = "override")]
    pub is_override: bool,
    pub rostered: String,
    pub override_id: Option<i64>,
    pub swap_id: Option<i64>,
    /// Time off of the member during this shift, with a suggested cover.
    pub away: Vec<AwayJson>,
}

#[derive(Serialize)]
pub struct AwayJson {
    pub time_off_id: i64,
    pub start: String,
    pub end: String,
    pub suggested_cover: Option<String>,
}

impl ShiftJson {
    pub fn new(team: &Team, shift: &Shift, conflicts: &[Conflict]) -> Self {
        let tz = team.tz;
        Self {
            team: team.slug.clone(),
            member: shift.member.clone(),
            name: team.display_name(&shift.member).to_owned(),
            start: render::rfc3339(shift.start, tz),
            end: render::rfc3339(shift.end, tz),
            is_override: shift.is_override(),
            rostered: shift.rostered.clone(),
            override_id: shift.override_id,
            swap_id: shift.swap_id,
            away: conflicts
                .iter()
                .filter(|c| c.shift == *shift)
                .map(|c| AwayJson {
                    time_off_id: c.time_off.id,
                    start: render::rfc3339(c.time_off.start, tz),
                    end: render::rfc3339(c.time_off.end, tz),
                    suggested_cover: c.suggested_cover.clone(),
                })
                .collect(),
        }
    }
}

/// A team's shifts in the requested period, with their conflicts.
pub struct Period<'a> {
    pub view: TeamView<'a>,
    pub shifts: Vec<Shift>,
    pub conflicts: Vec<Conflict>,
}

impl<'a> Period<'a> {
    /// The shifts of `view` overlapping `[from, until)`.
    pub fn new(view: TeamView<'a>, from: DateTime<Utc>, until: DateTime<Utc>) -> Self {
        let shifts = view.schedule.shifts(from, until);
        let conflicts = view
            .schedule
            .conflicts(&shifts, &view.time_off, &view.calendars());
        Self {
            view,
            shifts,
            conflicts,
        }
    }

    /// The default period: from the start of the shift running `now`, eight shifts on.
    fn bounds(
        team: &Team,
        args: &ScheduleArgs,
        now: DateTime<Utc>,
    ) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
        let rotation = &team.rotation;
        let handoff_time = rotation.first_handoff().time();
        let from = match parse_opt(args.from.as_deref(), "--from", now)? {
            Some(w) => w.at_time_of_day(team.tz, handoff_time),
            None => rotation
                .index_at(now)
                .and_then(|i| rotation.handoff(i))
                .ok_or_else(|| anyhow!("now is beyond the calendar"))?,
        };
        let until = match parse_opt(args.until.as_deref(), "--until", now)? {
            Some(w) => w.at_time_of_day(team.tz, handoff_time),
            None => rotation
                .index_at(from)
                .and_then(|i| rotation.handoff(i + DEFAULT_SHIFTS))
                .ok_or_else(|| anyhow!("--from is beyond the calendar"))?,
        };
        if until <= from {
            return Err(anyhow!("--until must come after --from"));
        }
        Ok((from, until))
    }
}

pub async fn run(org: &mut Org, args: &ScheduleArgs) -> Result<()> {
    let store = org.open_for_reading().await?;
    let now = Utc::now();
    let mut periods = Vec::new();
    for team in org.teams(args.team.as_deref())? {
        let (from, until) = Period::bounds(team, args, now)?;
        let view = TeamView::load(team, store.as_ref()).await?;
        periods.push(Period::new(view, from, until));
    }
    match args.format {
        ScheduleFormat::Table => print_tables(&periods, now),
        ScheduleFormat::Json => {
            let all: Vec<ShiftJson> = periods
                .iter()
                .flat_map(|p| {
                    p.shifts
                        .iter()
                        .map(|s| ShiftJson::new(p.view.team, s, &p.conflicts))
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&all)?);
        }
        ScheduleFormat::Csv => {
            let mut out = csv::Writer::from_writer(std::io::stdout());
            out.write_record(["team", "member", "name", "start", "end", "override"])?;
            for p in &periods {
                for s in &p.shifts {
                    let j = ShiftJson::new(p.view.team, s, &[]);
                    let flag = if j.is_override { "true" } else { "false" };
                    out.write_record([&j.team, &j.member, &j.name, &j.start, &j.end, flag])?;
                }
            }
            out.flush()?;
        }
        ScheduleFormat::Ics => {
            let title = match periods.as_slice() {
                [only] => format!("{} support rotation", only.view.team.name),
                _ => "Support rotations".to_owned(),
            };
            print!("{}", ics_feed(org, &title, &periods, now));
        }
    }
    Ok(())
}

/// Every period's shifts as one iCalendar feed.
fn ics_feed(org: &Org, title: &str, periods: &[Period<'_>], now: DateTime<Utc>) -> String {
    let public = &org.config.server.public_url;
    let domain = public
        .split("://")
        .nth(1)
        .unwrap_or(public)
        .split(['/', ':'])
        .next()
        .unwrap_or("baton");
    let feed = baton_core::ics::Feed {
        name: title,
        uid_domain: domain,
        generated_at: now,
    };
    let shifts: Vec<Shift> = periods.iter().flat_map(|p| p.shifts.clone()).collect();
    baton_core::ics::render(&feed, &shifts, |member| {
        periods
            .iter()
            .find_map(|p| p.view.team.member(member))
            .map_or_else(|| member.to_owned(), |m| m.name.clone())
    })
}

fn print_tables(periods: &[Period<'_>], now: DateTime<Utc>) {
    for (i, p) in periods.iter().enumerate() {
        let team = p.view.team;
        let tz = team.tz;
        if i > 0 {
            println!();
        }
        println!("{} ({}) — times in {}", team.name, team.slug, tz);
        let mut table = Table::new(&["Time frame", "Engineer", "From", "Until", "Note"]);
        for s in &p.shifts {
            let mut notes = Vec::new();
            if s.start <= now && now < s.end {
                notes.push("on duty now".to_owned());
            }
            if let Some(id) = s.override_id {
                notes.push(format!(
                    "override #{id}, for {}",
                    team.display_name(&s.rostered)
                ));
            }
            if let Some(id) = s.swap_id {
                notes.push(format!("swap #{id}"));
            }
            if p.conflicts.iter().any(|c| c.shift == *s) {
                notes.push("away, see below".to_owned());
            }
            table.row(vec![
                render::time_frame(s.start, s.end, tz),
                team.display_name(&s.member).to_owned(),
                render::local(s.start, tz),
                render::local(s.end, tz),
                notes.join("; "),
            ]);
        }
        print!("{table}");
        print_conflicts(team, &p.conflicts);
    }
}

/// Lists shifts whose member is away, with the suggested cover and the command to apply it.
pub fn print_conflicts(team: &Team, conflicts: &[Conflict]) {
    for c in conflicts {
        let tz = team.tz;
        let (a, b) = (
            c.shift.start.max(c.time_off.start),
            c.shift.end.min(c.time_off.end),
        );
        let reason = c.time_off.reason.as_deref().unwrap_or("time off");
        println!(
            "! {} is away from {} until {} ({reason}, time off #{}) during their shift {}.",
            team.display_name(&c.shift.member),
            render::local(a, tz),
            render::local(b, tz),
            c.time_off.id,
            render::time_frame(c.shift.start, c.shift.end, tz),
        );
        match &c.suggested_cover {
            Some(cover) => println!(
                "  Suggested cover: {} (on duty least recently). To apply:\n  baton override add --team {} --member {cover} --from {} --until {}",
                team.display_name(cover),
                team.slug,
                render::rfc3339(a, tz),
                render::rfc3339(b, tz),
            ),
            None => println!("  No member of the rotation is free to cover."),
        }
    }
}
