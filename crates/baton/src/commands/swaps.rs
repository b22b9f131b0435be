//! `baton swap`: two members exchange shifts.

use anyhow::{anyhow, bail, Result};
use baton_config::Team;
use baton_store::OpenMode;
use chrono::{DateTime, Utc};

use crate::cli::{Format, SwapAddArgs, SwapCommand};
use crate::org::{Org, TeamView};
use crate::render::{self, Table};
use crate::when::When;

pub async fn run(org: &mut Org, command: Option<SwapCommand>, add: SwapAddArgs) -> Result<()> {
    let store = org.open(OpenMode::Existing).await?;
    let now = Utc::now();
    match command {
        None => {
            let team = org.one_team(add.team.as_deref())?;
            let view = TeamView::load(team, Some(&store)).await?;
            let first = shift_start(team, add.first.as_deref(), "--first", now)?;
            let second = shift_start(team, add.second.as_deref(), "--second", now)?;
            if first == second {
                bail!("--first and --second name the same shift");
            }
            let rotation = view.schedule.rotation();
            let index = |t| {
                rotation
                    .index_at(t)
                    .ok_or_else(|| anyhow!("beyond the calendar"))
            };
            let (a, b) = (index(first)?, index(second)?);
            let (member_a, _) = view.schedule.rostered(a);
            let (member_b, _) = view.schedule.rostered(b);
            let (member_a, member_b) = (member_a.to_owned(), member_b.to_owned());
            let slug = team.slug.clone();
            // The service refuses a swap of one member's two shifts, as the web form does.
            let swap = org
                .service()
                .await?
                .add_swap(&slug, first, second, add.reason, &add.actor.by)
                .await?;
            let team = org.one_team(Some(&slug))?;
            let frame = |i: i64| {
                let start = rotation.handoff(i).unwrap_or(first);
                let end = rotation.handoff(i + 1).unwrap_or(start);
                render::time_frame(start, end, team.tz)
            };
            println!(
                "swap #{}: {} now takes {} and {} takes {}",
                swap.id,
                team.display_name(&member_b),
                frame(a),
                team.display_name(&member_a),
                frame(b)
            );
        }
        Some(SwapCommand::List { team, format }) => {
            let team = org.one_team(team.as_deref())?;
            let swaps = store.list_swaps(&team.slug).await?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&swaps)?),
                Format::Table => {
                    let mut table =
                        Table::new(&["ID", "First shift", "Second shift", "Reason", "By"]);
                    for s in &swaps {
                        table.row(vec![
                            format!("#{}", s.id),
                            render::local(s.first, team.tz),
                            render::local(s.second, team.tz),
                            s.reason.clone().unwrap_or_default(),
                            s.created_by.clone(),
                        ]);
                    }
                    if table.is_empty() {
                        println!("no swaps for {}", team.name);
                    } else {
                        print!("{table}");
                    }
                }
            }
        }
        Some(SwapCommand::Remove { team, id, actor }) => {
            let team = org.one_team(team.as_deref())?;
            let s = store
                .remove_swap(&team.slug, id, &actor.by)
                .await
                .map_err(|e| anyhow!("cannot remove swap #{id} of team {}: {e}", team.slug))?;
            println!(
                "removed swap #{} of the shifts starting {} and {}",
                s.id,
                render::local(s.first, team.tz),
                render::local(s.second, team.tz)
            );
        }
    }
    Ok(())
}

/// The hand-off instant of the shift a user named by a date (the shift on duty at that day's
/// hand-off time) or by any instant inside it.
fn shift_start(
    team: &Team,
    text: Option<&str>,
    name: &str,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    let text = text.ok_or_else(|| anyhow!("{name} is required"))?;
    let rotation = &team.rotation;
    let t = When::parse(text, name, now)?.at_time_of_day(team.tz, rotation.first_handoff().time());
    rotation
        .index_at(t)
        .and_then(|i| rotation.handoff(i))
        .ok_or_else(|| anyhow!("{name} {text} is beyond the calendar"))
}
