//! `baton handoff note|list`: what the next engineer should keep in mind.

use anyhow::{anyhow, Result};
use baton_store::NoteFilter;

use crate::cli::{Format, HandoffCommand};
use crate::org::Org;
use crate::render::{self, Table};

pub async fn run(org: &mut Org, command: HandoffCommand) -> Result<()> {
    let service = org.service().await?;
    match command {
        HandoffCommand::Note { text, team, actor } => {
            let team = org.one_team(team.as_deref())?;
            if text.trim().is_empty() {
                return Err(anyhow!("a hand-off note needs text"));
            }
            let note = service.add_shift_note(&team.slug, &text, &actor.by).await?;
            println!(
                "note #{} added to the hand-off of the shift that started {}",
                note.id,
                note.shift_start
                    .map(|t| render::local(t, team.tz))
                    .unwrap_or_default()
            );
        }
        HandoffCommand::List(args) => {
            let team = org.one_team(args.team.as_deref())?;
            let policy = service.policy(team).await?;
            let shift = policy
                .schedule
                .at(service.now())
                .ok_or_else(|| anyhow!("nobody is on duty now"))?;
            let start = team.rotation.handoff(shift.index).unwrap_or(shift.start);
            let notes = service
                .store()
                .list_notes(&NoteFilter {
                    team: Some(team.slug.clone()),
                    shift_start: Some(start),
                    ..NoteFilter::default()
                })
                .await?;
            match args.format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&notes)?),
                Format::Table => {
                    let mut table = Table::new(&["When", "Who", "Note"]);
                    for n in &notes {
                        table.row(vec![
                            render::local(n.at, team.tz),
                            n.author.clone(),
                            n.text.clone(),
                        ]);
                    }
                    if table.is_empty() {
                        println!("no hand-off notes for this shift yet");
                    } else {
                        print!("{table}");
                    }
                }
            }
        }
    }
    Ok(())
}
