//! `baton time-off add|list|remove`.

use anyhow::{anyhow, Result};
use baton_core::model::{NewTimeOff, TimeOff};
use baton_store::OpenMode;
use chrono::Utc;
use chrono_tz::Tz;
use serde::Serialize;

use crate::cli::{Format, TimeOffCommand};
use crate::commands::schedule::{print_conflicts, Period};
use crate::org::{Org, TeamView};
use crate::render::{self, Table};
use crate::when::When;

#[derive(Serialize)]
struct TimeOffJson<'a> {
    #[serde(flatten)]
    record: &'a TimeOff,
    timezone: String,
}

pub async fn run(org: &mut Org, command: TimeOffCommand) -> Result<()> {
    let store = org.open(OpenMode::Existing).await?;
    let now = Utc::now();
    match command {
        TimeOffCommand::Add {
            member,
            from,
            until,
            reason,
            actor,
        } => {
            let tz = org.member(&member)?.1.tz;
            let start = When::parse(&from, "--from", now)?.start(tz);
            let end = When::parse(&until, "--until", now)?.end_inclusive(tz);
            if end <= start {
                return Err(anyhow!(
                    "--until ({until}) must not come before --from ({from})"
                ));
            }
            let off = store
                .add_time_off(NewTimeOff {
                    member: member.clone(),
                    start,
                    end,
                    reason,
                    created_by: actor.by,
                })
                .await?;
            println!(
                "time off #{}: {} is away from {} until {} ({tz})",
                off.id,
                member,
                render::local(off.start, tz),
                render::local(off.end, tz),
            );
            // Every team the member is on: do their shifts need cover?
            for team in org
                .config
                .teams
                .iter()
                .filter(|t| t.member(&member).is_some())
            {
                let view = TeamView::load(team, Some(&store)).await?;
                let period = Period::new(view, start, end);
                let mine: Vec<_> = period
                    .conflicts
                    .into_iter()
                    .filter(|c| c.time_off.id == off.id)
                    .collect();
                print_conflicts(team, &mine);
            }
        }
        TimeOffCommand::List {
            member,
            all,
            format,
        } => {
            let members = member.map(|m| vec![m]);
            let from = if all { None } else { Some(now) };
            let list = store.list_time_off(members.as_deref(), from, None).await?;
            let zone = |id: &str| -> Tz { org.member(id).map_or(chrono_tz::UTC, |(_, m)| m.tz) };
            match format {
                Format::Json => {
                    let json: Vec<_> = list
                        .iter()
                        .map(|o| TimeOffJson {
                            record: o,
                            timezone: zone(&o.member).to_string(),
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&json)?);
                }
                Format::Table => {
                    let mut table =
                        Table::new(&["ID", "Member", "From", "Until", "Time zone", "Reason"]);
                    for o in &list {
                        let tz = zone(&o.member);
                        table.row(vec![
                            format!("#{}", o.id),
                            o.member.clone(),
                            render::local(o.start, tz),
                            render::local(o.end, tz),
                            tz.to_string(),
                            o.reason.clone().unwrap_or_default(),
                        ]);
                    }
                    if table.is_empty() {
                        println!("no time off recorded");
                    } else {
                        print!("{table}");
                    }
                }
            }
        }
        TimeOffCommand::Remove { id, actor } => {
            let o = store
                .remove_time_off(id, &actor.by)
                .await
                .map_err(|e| anyhow!("cannot remove time off #{id}: {e}"))?;
            println!("removed time off #{} of {}", o.id, o.member);
        }
    }
    Ok(())
}
