//! Slash commands (`/baton who`, `queue`, `ack`, `priority`, `checked`, `help`), answered in
//! Slack's response format. Failures are answered in words, ephemerally.

use baton_config::{SourceKind, Team};
use baton_core::triage::Action;
use baton_integrations::slack::{Mrkdwn, Response, SlashCommand, SourceRef, Subcommand, HELP};

use super::route::{slack_member, Routes};
use crate::service::Service;

/// The answer to `command`.
pub async fn answer(service: &Service, routes: &Routes, command: &SlashCommand) -> Response {
    let config = service.config();
    let team: Option<&Team> = routes
        .slack_channel(&command.channel_id)
        .first()
        .and_then(|t| config.team(&t.team))
        .or_else(|| {
            config
                .teams
                .iter()
                .find(|t| slack_member(t, &command.user_id).is_some())
        });
    let actor = format!("slack:{}", command.user_id);
    let sub = command.subcommand();
    if let Subcommand::Help { error } = &sub {
        return help(error.as_deref());
    }
    let Some(team) = team else {
        return Response::ephemeral(
            "No team watches this channel and you are not a member of a team.",
        );
    };
    let result = match sub {
        Subcommand::Who => who(service, team).await,
        Subcommand::Queue => queue(service, team).await,
        Subcommand::Ack { inquiry } => service
            .act(inquiry, Action::Acknowledge, &actor)
            .await
            .map(|i| Response::in_channel(format!("Inquiry #{} acknowledged.", i.id)))
            .map_err(|e| e.to_string()),
        Subcommand::Priority { inquiry, priority } => service
            .act(
                inquiry,
                Action::SetPriority {
                    priority: Some(priority),
                },
                &actor,
            )
            .await
            .map(|i| Response::in_channel(format!("Inquiry #{} is now {priority}.", i.id)))
            .map_err(|e| e.to_string()),
        Subcommand::Checked { source } => checked(service, team, command, source).await,
        Subcommand::Help { .. } => Ok(help(None)),
    };
    result.unwrap_or_else(|e| Response::ephemeral(format!("Sorry: {e}")))
}

fn help(error: Option<&str>) -> Response {
    let mut text = Mrkdwn::new();
    if let Some(e) = error {
        text = text.text(e).newline();
    }
    for (usage, what) in HELP {
        text = text
            .code(&format!("/baton {usage}"))
            .text(" — ")
            .text(what)
            .newline();
    }
    Response::ephemeral(text)
}

async fn who(service: &Service, team: &Team) -> Result<Response, String> {
    let on = service
        .on_call(&team.slug, service.now())
        .await
        .map_err(|e| e.to_string())?;
    let mut text = Mrkdwn::new()
        .bold(&team.name)
        .text(": ")
        .text(team.display_name(&on.shift.member))
        .text(if on.working {
            " is on duty (working now)"
        } else {
            " is on duty (outside working hours now)"
        });
    if let Some(next) = &on.next {
        text = text
            .text("; next: ")
            .text(team.display_name(&next.member))
            .text(&format!(
                " from {}",
                next.start.format("%Y-%m-%d %H:%M UTC")
            ));
    }
    Ok(Response::in_channel(text))
}

async fn queue(service: &Service, team: &Team) -> Result<Response, String> {
    let items = service
        .queue(&team.slug, 10)
        .await
        .map_err(|e| e.to_string())?;
    if items.is_empty() {
        return Ok(Response::ephemeral(format!(
            "{}: the queue is empty.",
            team.name
        )));
    }
    let mut text = Mrkdwn::new().bold(&format!("{}: open inquiries", team.name));
    for item in items {
        let i = &item.inquiry;
        let priority = i
            .priority
            .or(i.suggested_priority)
            .map_or_else(|| "unset".to_owned(), |p| p.to_string());
        let left = item.time_left_minutes.map_or_else(
            || "no deadline running".to_owned(),
            |m| format!("{}h{:02}m left", m / 60, (m % 60).abs()),
        );
        text = text.newline().text(&format!(
            "#{} [{priority}] {} — {} ({left})",
            i.id, i.state, i.title
        ));
    }
    Ok(Response::ephemeral(text))
}

async fn checked(
    service: &Service,
    team: &Team,
    command: &SlashCommand,
    source: Option<SourceRef>,
) -> Result<Response, String> {
    let found = team.sources.iter().find(|s| match &source {
        None => s.channel_id.as_deref() == Some(command.channel_id.as_str()),
        Some(SourceRef::Channel { id, .. }) => s.channel_id.as_deref() == Some(id.as_str()),
        Some(SourceRef::Name(n)) => {
            s.name == *n
                || (s.kind == SourceKind::SlackChannel
                    && s.name.trim_start_matches('#') == n.trim_start_matches('#'))
        }
    });
    let Some(found) = found else {
        return Err(format!("that is not one of team {}'s sources", team.name));
    };
    let member = slack_member(team, &command.user_id);
    let check = service
        .record_check(&team.slug, &found.name, member)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Response::ephemeral(format!(
        "Checked {} for today ({}).",
        found.name,
        team.display_name(&check.member)
    )))
}
