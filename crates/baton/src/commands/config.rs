//! `baton config check`.

use anyhow::Result;

use crate::org::Org;
use crate::render;

/// The configuration loaded (or `Org::load` would have failed): say what it holds.
pub fn check(org: &Org) -> Result<()> {
    let config = &org.config;
    println!(
        "{}: OK — {} team(s), database {}",
        config.path.display(),
        config.teams.len(),
        baton_store::redact_url(&org.database_url)
    );
    for team in &config.teams {
        let rotation = &team.rotation;
        let first = rotation
            .handoff(0)
            .map(|t| render::local(t, team.tz))
            .unwrap_or_default();
        println!(
            "  {} ({}): {} members, rotation {} every {} from {} {}, {} sources ({} checked daily)",
            team.name,
            team.slug,
            team.members.len(),
            rotation.members().join(" → "),
            rotation.shift_length(),
            first,
            team.tz,
            team.sources.len(),
            team.sources.iter().filter(|s| s.daily_check).count(),
        );
    }
    Ok(())
}
