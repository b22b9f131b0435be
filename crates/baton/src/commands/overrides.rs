//! `baton override add|list|remove`.

use anyhow::{anyhow, bail, Result};
use baton_core::model::Override;
use baton_store::OpenMode;
use chrono::Utc;
use serde::Serialize;

use crate::cli::{Format, OverrideCommand};
use crate::org::Org;
use crate::render::{self, Table};
use crate::when::{parse_opt, When};

#[derive(Serialize)]
struct OverrideJson<'a> {
    #[serde(flatten)]
    record: &'a Override,
    name: &'a str,
}

pub async fn run(org: &mut Org, command: OverrideCommand) -> Result<()> {
    let store = org.open(OpenMode::Existing).await?;
    let now = Utc::now();
    match command {
        OverrideCommand::Add {
            team,
            member,
            from,
            until,
            reason,
            actor,
        } => {
            let team = org.one_team(team.as_deref())?;
            if team.member(&member).is_none() {
                let ids: Vec<_> = team.members.iter().map(|m| m.id.as_str()).collect();
                bail!(
                    "{member:?} is not a member of team {}; members: {}",
                    team.slug,
                    ids.join(", ")
                );
            }
            let start = When::parse(&from, "--from", now)?.start(team.tz);
            let end = When::parse(&until, "--until", now)?.start(team.tz);
            if end <= start {
                bail!("--until ({until}) must come after --from ({from})");
            }
            let away = store
                .list_time_off(Some(std::slice::from_ref(&member)), Some(start), Some(end))
                .await?;
            let slug = team.slug.clone();
            let o = org
                .service()
                .await?
                .add_override(&slug, &member, (start, end), reason, &actor.by)
                .await?;
            let team = org.one_team(Some(&slug))?;
            println!(
                "override #{}: {} covers {} from {} until {} ({})",
                o.id,
                team.display_name(&o.member),
                team.name,
                render::local(o.start, team.tz),
                render::local(o.end, team.tz),
                team.tz
            );
            for off in away {
                println!(
                    "warning: {} has time off #{} from {} until {}",
                    team.display_name(&o.member),
                    off.id,
                    render::local(off.start, team.tz),
                    render::local(off.end, team.tz)
                );
            }
        }
        OverrideCommand::List {
            team,
            from,
            until,
            all,
            format,
        } => {
            let team = org.one_team(team.as_deref())?;
            let from = parse_opt(from.as_deref(), "--from", now)?.map(|w| w.start(team.tz));
            let until = parse_opt(until.as_deref(), "--until", now)?.map(|w| w.start(team.tz));
            let from = if all { from } else { from.or(Some(now)) };
            let list = store.list_overrides(&team.slug, from, until).await?;
            match format {
                Format::Json => {
                    let json: Vec<_> = list
                        .iter()
                        .map(|o| OverrideJson {
                            record: o,
                            name: team.display_name(&o.member),
                        })
                        .collect();
                    println!("{}", serde_json::to_string_pretty(&json)?);
                }
                Format::Table => {
                    let mut table =
                        Table::new(&["ID", "Engineer", "From", "Until", "Reason", "By"]);
                    for o in &list {
                        table.row(vec![
                            format!("#{}", o.id),
                            team.display_name(&o.member).to_owned(),
                            render::local(o.start, team.tz),
                            render::local(o.end, team.tz),
                            o.reason.clone().unwrap_or_default(),
                            o.created_by.clone(),
                        ]);
                    }
                    if table.is_empty() {
                        println!("no overrides for {}", team.name);
                    } else {
                        println!("Overrides of {} — times in {}", team.name, team.tz);
                        print!("{table}");
                    }
                }
            }
        }
        OverrideCommand::Remove { team, id, actor } => {
            let team = org.one_team(team.as_deref())?;
            let o = store
                .remove_override(&team.slug, id, &actor.by)
                .await
                .map_err(|e| anyhow!("cannot remove override #{id} of team {}: {e}", team.slug))?;
            println!(
                "removed override #{}: {} from {} until {}",
                o.id,
                team.display_name(&o.member),
                render::local(o.start, team.tz),
                render::local(o.end, team.tz)
            );
        }
    }
    Ok(())
}
