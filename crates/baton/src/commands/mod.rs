//! One module per command.

mod config;
mod demo;
mod demo_history;
mod duty;
mod handoff;
mod inquiries;
mod overrides;
mod schedule;
mod serve;
mod swaps;
mod time_off;
mod tokens;
mod users;
mod who;

use anyhow::Result;
use baton_store::OpenMode;

use crate::cli::{Cli, Command, ConfigCommand};
use crate::org::Org;

/// Runs the command the user asked for.
pub async fn run(cli: Cli) -> Result<()> {
    if let Command::Demo(args) = &cli.command {
        return demo::run(args).await;
    }
    let mut org = Org::load(&cli.global)?;
    match cli.command {
        Command::Demo(_) => Ok(()),
        Command::Schedule(args) => schedule::run(&mut org, &args).await,
        Command::Who(args) => who::run(&mut org, &args).await,
        Command::Config {
            command: ConfigCommand::Check,
        } => config::check(&org),
        Command::Migrate => {
            org.open(OpenMode::Create).await?;
            println!(
                "database {} is ready; its schema is up to date",
                baton_store::redact_url(&org.database_url)
            );
            Ok(())
        }
        Command::Override { command } => overrides::run(&mut org, command).await,
        Command::Swap { command, add } => swaps::run(&mut org, command, add).await,
        Command::TimeOff { command } => time_off::run(&mut org, command).await,
        Command::Inquiry { command } => inquiries::run(&mut org, command).await,
        Command::Queue(args) => duty::queue(&mut org, &args).await,
        Command::Checks(args) => duty::checks(&mut org, &args).await,
        Command::Check {
            source,
            team,
            member,
        } => duty::check(&mut org, &source, team.as_deref(), member.as_deref()).await,
        Command::Budget(args) => duty::budget(&mut org, &args).await,
        Command::Handoff { command } => handoff::run(&mut org, command).await,
        Command::Token { command } => tokens::run(&mut org, command).await,
        Command::User { command } => users::run(&mut org, command).await,
        Command::Serve { listen } => serve::run(&mut org, listen).await,
    }
}
