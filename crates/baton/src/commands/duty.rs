//! `baton queue`, `baton checks`, `baton check` and `baton budget`: the engineer on duty's day.

use anyhow::Result;

use crate::cli::{Format, QueueArgs, TeamFormatArgs};
use crate::commands::inquiries::print_queue;
use crate::org::Org;
use crate::render;

pub async fn queue(org: &mut Org, args: &QueueArgs) -> Result<()> {
    let service = org.service().await?;
    let team = org.one_team(args.team.as_deref())?;
    let items = service.queue(&team.slug, args.limit).await?;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&items)?),
        Format::Table => print_queue(org, team.tz, &items),
    }
    Ok(())
}

pub async fn checks(org: &mut Org, args: &TeamFormatArgs) -> Result<()> {
    let service = org.service().await?;
    let team = org.one_team(args.team.as_deref())?;
    let list = service.checklist(&team.slug).await?;
    if args.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    let tz: chrono_tz::Tz = list.day.timezone.parse().unwrap_or(team.tz);
    println!(
        "Checklist for {} on {} ({}):",
        team.display_name(&list.day.member),
        list.day.date,
        list.day.timezone
    );
    for item in &list.items {
        match (&item.checked_by, item.checked_at) {
            (Some(by), Some(at)) => println!(
                "  [x] {} — {} at {}",
                item.source,
                team.display_name(by),
                at.with_timezone(&tz).format("%H:%M")
            ),
            _ => println!("  [ ] {}", item.source),
        }
    }
    Ok(())
}

pub async fn check(
    org: &mut Org,
    source: &str,
    team: Option<&str>,
    member: Option<&str>,
) -> Result<()> {
    let service = org.service().await?;
    let team = org.one_team(team)?;
    let c = service.record_check(&team.slug, source, member).await?;
    println!(
        "{} checked by {} at {}",
        c.source,
        team.display_name(&c.member),
        render::local(c.at, team.tz)
    );
    Ok(())
}

pub async fn budget(org: &mut Org, args: &TeamFormatArgs) -> Result<()> {
    let service = org.service().await?;
    let team = org.one_team(args.team.as_deref())?;
    let b = service.budget(&team.slug).await?;
    if args.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&b)?);
        return Ok(());
    }
    println!(
        "{}'s shift {}: {} logged of {} allowed ({:.0}% of {}h working time; budget {:.0}%){}",
        team.display_name(&b.member),
        render::time_frame(b.shift_start, b.shift_end, team.tz),
        minutes(b.logged_minutes),
        minutes(b.allowed_minutes),
        b.used_fraction * 100.0,
        b.working_minutes / 60,
        b.budget_fraction * 100.0,
        if b.over_budget {
            " — over budget"
        } else if b.ahead_of_pace {
            " — ahead of pace"
        } else {
            ""
        }
    );
    Ok(())
}

fn minutes(m: i64) -> String {
    format!("{}h{:02}m", m / 60, m % 60)
}
