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
    /// Inquiries: add, list, show and triage them.
    Inquiry {
        #[command(subcommand)]
        command: InquiryCommand,
    },
    /// The team's open inquiries, most urgent deadline first.
    Queue(QueueArgs),
    /// Today's channel checklist for the engineer on duty.
    Checks(TeamFormatArgs),
    /// Records that a source (a channel, a board) was checked now.
    Check {
        /// The source's name, e.g. "#integrations".
        source: String,
        #[arg(long)]
        team: Option<String>,
        /// Who checked (default: the engineer on duty).
        #[arg(long)]
        member: Option<String>,
    },
    /// The current shift's time budget.
    Budget(TeamFormatArgs),
    /// "Things to keep in mind" for the next engineer, attached to the current shift.
    Handoff {
        #[command(subcommand)]
        command: HandoffCommand,
    },
    /// API tokens for the HTTP API.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// People's accounts for the web pages (roles: viewer, member, admin).
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Runs the server: the JSON API, the iCalendar feeds and metrics.
    Serve {
        /// Address to listen on, instead of `server.listen`.
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
    },
}

#[derive(Debug, Args)]
pub struct TeamFormatArgs {
    #[arg(long)]
    pub team: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct QueueArgs {
    #[arg(long)]
    pub team: Option<String>,
    /// At most this many inquiries.
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum InquiryCommand {
    /// Records a new inquiry; it is assigned to whoever is on duty (or to a clear owner).
    Add {
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        body: String,
        /// The source's name as configured (default: "api").
        #[arg(long, default_value = "api")]
        source: String,
        #[arg(long)]
        reporter: Option<String>,
        #[arg(long)]
        link: Option<String>,
        #[arg(long)]
        area: Option<String>,
        #[arg(long)]
        priority: Option<String>,
        /// A label (repeatable).
        #[arg(long = "label")]
        labels: Vec<String>,
        /// When it arrived, for importing history (default: now).
        #[arg(long)]
        received_at: Option<String>,
        #[command(flatten)]
        actor: Actor,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Lists inquiries, newest first.
    List {
        #[arg(long)]
        team: Option<String>,
        /// Only these states (repeatable): new, acknowledged, in_progress, waiting, resolved,
        /// escalated, routed.
        #[arg(long = "state")]
        states: Vec<String>,
        #[arg(long)]
        assignee: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Everything about one inquiry: its clock, its trail, its time and notes.
    Show {
        id: i64,
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Acknowledges it (the first response).
    Ack(IdArgs),
    /// Starts (or resumes) work on it.
    Start(IdArgs),
    /// Waits on the reporter; the SLA clock stops.
    Wait(IdArgs),
    /// Records a reply to the reporter (the first response) without changing its state.
    Respond(IdArgs),
    /// Resolves it.
    Resolve(IdArgs),
    /// Reopens a resolved or escalated inquiry.
    Reopen(IdArgs),
    /// A GitHub issue now carries the work; with --assignee, it is handed over.
    Escalate {
        #[command(flatten)]
        id: IdArgs,
        /// The GitHub issue's URL.
        #[arg(long)]
        issue: String,
        #[arg(long)]
        assignee: Option<String>,
    },
    /// Routes it to a clear owner.
    Route {
        #[command(flatten)]
        id: IdArgs,
        #[arg(long)]
        member: String,
    },
    /// Makes another member responsible.
    Assign {
        #[command(flatten)]
        id: IdArgs,
        #[arg(long)]
        member: String,
    },
    /// Sets the priority: critical, high, medium, low, or none.
    Priority {
        #[command(flatten)]
        id: IdArgs,
        priority: String,
    },
    /// Sets the area (one of the team's areas), or none.
    Area {
        #[command(flatten)]
        id: IdArgs,
        area: String,
    },
    /// Logs time spent on it.
    Time {
        #[command(flatten)]
        id: IdArgs,
        #[arg(long)]
        minutes: i64,
        #[arg(long)]
        note: Option<String>,
        /// Who did the work (default: the responsible member).
        #[arg(long)]
        member: Option<String>,
    },
    /// Adds a status update.
    Note {
        #[command(flatten)]
        id: IdArgs,
        text: String,
    },
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The inquiry's number.
    pub id: i64,
    #[command(flatten)]
    pub actor: Actor,
}

#[derive(Debug, Subcommand)]
pub enum HandoffCommand {
    /// Adds a note to the current shift's hand-off.
    Note {
        text: String,
        #[arg(long)]
        team: Option<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// Lists the current shift's hand-off notes.
    List(TeamFormatArgs),
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Creates a token; the secret is printed once and only its hash is stored.
    Create {
        #[arg(long)]
        name: String,
        /// viewer (read), member (triage), admin (everything).
        #[arg(long)]
        role: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Lists tokens (never their secrets).
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Revokes a token.
    Revoke {
        id: i64,
        #[command(flatten)]
        actor: Actor,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Adds an account. With --password-stdin it signs in with that password; without, a
    /// one-time sign-in link is printed.
    Add {
        #[arg(long)]
        email: String,
        /// viewer (reads), member (also triages and swaps), admin (also manages users and tokens).
        #[arg(long)]
        role: String,
        /// Read the password from the first line of standard input (at least 10 characters).
        #[arg(long)]
        password_stdin: bool,
        /// The server's address for the sign-in link (default: `server.public_url`).
        #[arg(long)]
        base_url: Option<String>,
        #[command(flatten)]
        actor: Actor,
    },
    /// Lists accounts (never their password hashes).
    List {
        #[arg(long, value_enum, default_value_t)]
        format: Format,
    },
    /// Gives an account another role: `baton user role --email E member`.
    Role {
        #[arg(long)]
        email: String,
        /// viewer, member or admin.
        role: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Disables an account: it cannot sign in any more, and its sessions end now.
    Disable {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Enables a disabled account again; the sign-in links made before stay dead.
    Enable {
        #[arg(long)]
        email: String,
        #[command(flatten)]
        actor: Actor,
    },
    /// Sets an account's password from the first line of standard input and ends all its
    /// sessions: `printf %s "$PW" | baton user password --email E --password-stdin`.
    Password {
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input (at least 10 characters).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[command(flatten)]
        actor: Actor,
    },
    /// Prints a one-time sign-in link for an account (valid 24 hours).
    Link {
        #[arg(long)]
        email: String,
        /// The server's address (default: `server.public_url`).
        #[arg(long)]
        base_url: Option<String>,
        #[command(flatten)]
        actor: Actor,
    },
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to keep the demo database (default: a fresh file in the system's temp folder).
    #[arg(long)]
    pub demo_database: Option<PathBuf>,
    /// Address to serve on (default 127.0.0.1:8080; port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Fill the database and print the summary, without starting the server.
    #[arg(long)]
    pub no_serve: bool,
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
