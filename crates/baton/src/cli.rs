//! The command-line interface: every command, its arguments and its help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// baton runs an engineering team's support rotation: who is on duty, until when, and who is next.
#[derive(Debug, Parser)]
#[command(name = "baton", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// The organisation's configuration file.
    #[arg(
        long,
        short,
        global = true,
        env = "BATON_CONFIG",
        default_value = "baton.toml"
    )]
    pub config: PathBuf,
    /// Database URL, instead of `server.database` in the config (sqlite://PATH or postgres://…).
    #[arg(long, global = true, env = "BATON_DATABASE_URL")]
    pub database: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Loads the handbook's demo team and shows today's duty and the coming weeks.
    Demo(DemoArgs),
    /// Prints the rotation table: who is on duty from when to when.
    Schedule(ScheduleArgs),
    /// Who is on duty now (or at --at), and who is next.
    Who(WhoArgs),
    /// Checks the configuration file.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Creates the database, or upgrades its schema.
    Migrate,
    /// Another member covers part of the rotation.
    Override {
        #[command(subcommand)]
        command: OverrideCommand,
    },
    /// Two members exchange shifts: `baton swap --team T --first DATE --second DATE`.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Swap {
        #[command(subcommand)]
        command: Option<SwapCommand>,
        #[command(flatten)]
        add: SwapAddArgs,
    },
    /// A member is away.
    #[command(name = "time-off")]
    TimeOff {
        #[command(subcommand)]
        command: TimeOffCommand,
    },
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to keep the demo database (default: a fresh file in the system's temp folder).
    #[arg(long)]
    pub demo_database: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ScheduleFormat {
    #[default]
    Table,
    Json,
    Csv,
    Ics,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// The team's slug (default: every team).
    #[arg(long)]
    pub team: Option<String>,
    /// First day or instant to show (default: the start of the current shift). A date or a
    /// civil time is read in the team's time zone; RFC 3339 with an offset is taken as is.
    #[arg(long)]
    pub from: Option<String>,
    /// End of the period, exclusive (default: eight shifts after --from).
    #[arg(long)]
    pub until: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    pub format: ScheduleFormat,
}

#[derive(Debug, Args)]
pub struct WhoArgs {
    /// The team's slug (default: every team).
    #[arg(long)]
    pub team: Option<String>,
    /// The instant to ask about (default: now).
    #[arg(long)]
    pub at: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validates the file: every problem is printed with file, line and field.
    Check,
}

/// Who is making a change; recorded in the event log.
#[derive(Debug, Args)]
pub struct Actor {
    /// Your name for the event log (default: $USER).
    #[arg(long = "by", env = "USER", default_value = "cli")]
    pub by: String,
}

#[derive(Debug, Subcommand)]
pub enum OverrideCommand {
    /// MEMBER covers the rotation from --from until --until.
    Add {
        #[arg(long)]
        team: Option<String>,
        /// The member who covers.
        #[arg(long)]
        member: String,
        /// Start: a date (00:00), a civil time in the team's zone, or RFC 3339.
        #[arg(long)]
        from: String,
        /// End, exclusive: a date (00:00 of that day), a civil time, or RFC 3339.
        #[arg(long)]
        until: String,
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// Lists overrides (default: those not yet over).
    List {
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        until: Option<String>,
        /// Include overrides that are over.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Removes an override.
    Remove {
        #[arg(long)]
        team: Option<String>,
        id: i64,
        #[command(flatten)]
        actor: Actor,
    },
}

#[derive(Debug, Args)]
pub struct SwapAddArgs {
    #[arg(long)]
    pub team: Option<String>,
    /// A shift: the date of its hand-off, or any instant inside it.
    #[arg(long, required = true)]
    pub first: Option<String>,
    /// The other shift: the date of its hand-off, or any instant inside it.
    #[arg(long, required = true)]
    pub second: Option<String>,
    #[arg(long)]
    pub reason: Option<String>,
    #[command(flatten)]
    pub actor: Actor,
}

#[derive(Debug, Subcommand)]
pub enum SwapCommand {
    /// Lists swaps.
    List {
        #[arg(long)]
        team: Option<String>,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Removes a swap.
    Remove {
        #[arg(long)]
        team: Option<String>,
        id: i64,
        #[command(flatten)]
        actor: Actor,
    },
}

#[derive(Debug, Subcommand)]
pub enum TimeOffCommand {
    /// MEMBER is away from --from until --until.
    Add {
        #[arg(long)]
        member: String,
        /// First day away (a date, in the member's time zone), or an instant.
        #[arg(long)]
        from: String,
        /// Last day away, inclusive, when a date; exclusive when a time.
        #[arg(long)]
        until: String,
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// Lists time off (default: not yet over).
    List {
        #[arg(long)]
        member: Option<String>,
        /// Include time off that is over.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Removes time off.
    Remove {
        id: i64,
        #[command(flatten)]
        actor: Actor,
    },
}
