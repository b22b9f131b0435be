//! From the raw file to validated domain values, collecting every problem on the way.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Display;
use std::ops::Range;
use std::path::Path;
use std::str::FromStr;

use baton_core::duration::{CivilDays, Minutes, Percent};
use baton_core::rotation::Rotation;
use baton_core::rubric::{Rubric, Rule};
use baton_core::sla::{Priority, Sla};
use baton_core::triage::OwnerRule;
use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;

use crate::error::{Lines, Problem};
use crate::model::{
    Config, GithubConfig, Member, ReactionShortcut, ServerConfig, SlackConfig, Source, SourceKind,
    Team,
};
use crate::raw::{RawConfig, RawMember, RawSource, RawTeam, Text};

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_DATABASE: &str = "sqlite://baton.db";

/// Collects problems with their positions while the file is checked.
struct Check<'a> {
    lines: Lines<'a>,
    problems: Vec<Problem>,
}

impl Check<'_> {
    fn problem(&mut self, span: Range<usize>, field: &str, message: impl Display) {
        let (line, column) = self.lines.position(span.start);
        self.problems.push(Problem {
            line,
            column,
            field: field.to_owned(),
            message: message.to_string(),
        });
    }

    /// Parses a value with its `FromStr`, recording the error against the value's position.
    fn parse<T>(&mut self, value: &Text, field: &str) -> Option<T>
    where
        T: FromStr,
        T::Err: Display,
    {
        match value.get_ref().parse::<T>() {
            Ok(v) => Some(v),
            Err(e) => {
                self.problem(value.span(), field, e);
                None
            }
        }
    }

    fn timezone(&mut self, value: &Text, field: &str) -> Option<Tz> {
        let parsed = value.get_ref().parse::<Tz>().ok();
        if parsed.is_none() {
            self.problem(
                value.span(),
                field,
                format!(
                    "unknown time zone {:?}; use an IANA name such as \"Europe/Berlin\"",
                    value.get_ref()
                ),
            );
        }
        parsed
    }

    fn env_name(&mut self, value: Option<&Text>, field: &str) -> Option<String> {
        let value = value?;
        let name = value.get_ref();
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_uppercase() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            self.problem(
                value.span(),
                field,
                format!(
                    "{name:?} is not an environment variable name (such as \"BATON_SLACK_BOT_TOKEN\"); \
                     secrets are read from the environment, never from this file"
                ),
            );
        }
        valid.then(|| name.clone())
    }
}

fn text(value: Option<&Text>) -> Option<String> {
    value.map(|v| v.get_ref().clone())
}

/// Checks the whole file; returns every problem found if there is any.
pub fn build(source: &str, path: &Path) -> Result<Config, Vec<Problem>> {
    let mut check = Check {
        lines: Lines::new(source),
        problems: Vec::new(),
    };
    let raw: RawConfig = match toml::from_str(source) {
        Ok(raw) => raw,
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let table = enclosing_table(source, span.start);
            check.problem(span, &table, e.message());
            return Err(check.problems);
        }
    };
    let server = server(&mut check, &raw, path);
    let slack = SlackConfig {
        signing_secret_env: raw.slack.as_ref().and_then(|s| {
            check.env_name(s.signing_secret_env.as_ref(), "slack.signing_secret_env")
        }),
        bot_token_env: raw
            .slack
            .as_ref()
            .and_then(|s| check.env_name(s.bot_token_env.as_ref(), "slack.bot_token_env")),
        reactions: match raw.slack.as_ref().and_then(|s| s.reactions.as_ref()) {
            Some(map) => reactions(&mut check, map),
            None => SlackConfig::default().reactions,
        },
    };
    let github = GithubConfig {
        webhook_secret_env: raw.github.as_ref().and_then(|g| {
            check.env_name(g.webhook_secret_env.as_ref(), "github.webhook_secret_env")
        }),
        token_env: raw
            .github
            .as_ref()
            .and_then(|g| check.env_name(g.token_env.as_ref(), "github.token_env")),
    };
    if raw.teams.is_empty() {
        check.problem(
            0..0,
            "teams",
            "no team is configured; add a [[teams]] table",
        );
    }
    let mut slugs = HashSet::new();
    let mut teams = Vec::new();
    for (i, raw_team) in raw.teams.iter().enumerate() {
        if !slugs.insert(raw_team.slug.get_ref().as_str()) {
            check.problem(
                raw_team.slug.span(),
                &format!("teams[{i}].slug"),
                format!("team {:?} is defined twice", raw_team.slug.get_ref()),
            );
        }
        if let Some(team) = team(&mut check, raw_team) {
            teams.push(team);
        }
    }
    match (server, check.problems.is_empty()) {
        (Some(server), true) => Ok(Config {
            path: path.to_owned(),
            server,
            slack,
            github,
            teams,
        }),
        _ => Err(check.problems),
    }
}

/// The `[table]` or `[[array]]` header above `offset`, to name where a serde error happened.
fn enclosing_table(source: &str, offset: usize) -> String {
    let before = source.get(..offset).unwrap_or(source);
    before
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| l.split('#').next().unwrap_or(l).trim().to_owned())
        .unwrap_or_default()
}

fn server(check: &mut Check<'_>, raw: &RawConfig, path: &Path) -> Option<ServerConfig> {
    let s = raw.server.as_ref();
    let listen = match s.and_then(|s| s.listen.as_ref()) {
        Some(v) => check.parse(v, "server.listen")?,
        None => DEFAULT_LISTEN.parse().ok()?,
    };
    let database =
        text(s.and_then(|s| s.database.as_ref())).unwrap_or_else(|| DEFAULT_DATABASE.to_owned());
    let database = resolve_sqlite_path(&database, path);
    let public_url = match s.and_then(|s| s.public_url.as_ref()) {
        Some(v) => {
            let url = v.get_ref().trim_end_matches('/').to_owned();
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                check.problem(
                    v.span(),
                    "server.public_url",
                    format!("{url:?} is not an http:// or https:// address"),
                );
            }
            url
        }
        None => format!("http://{listen}"),
    };
    Some(ServerConfig {
        listen,
        database,
        public_url,
    })
}

/// A relative SQLite path is taken relative to the config file, so the database does not move
/// with the working directory.
fn resolve_sqlite_path(url: &str, config: &Path) -> String {
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return url.to_owned();
    };
    if rest.starts_with(':') || rest.starts_with('/') || rest.is_empty() {
        return url.to_owned();
    }
    let folder = config.parent().unwrap_or(Path::new(""));
    if folder.as_os_str().is_empty() {
        return format!("sqlite://{rest}");
    }
    format!("sqlite://{}", folder.join(rest).display())
}

fn team(check: &mut Check<'_>, raw: &RawTeam) -> Option<Team> {
    let slug = raw.slug.get_ref().clone();
    let at = format!("teams[{slug}]");
    let f = |name: &str| format!("{at}.{name}");
    let slug_ok = !slug.is_empty()
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !slug_ok {
        check.problem(
            raw.slug.span(),
            &f("slug"),
            format!("{slug:?} must be lowercase letters, digits, '-' or '_' (it appears in URLs)"),
        );
    }
    let tz = check.timezone(&raw.timezone, &f("timezone"));
    for handle in &raw.slack_handles {
        if !handle.get_ref().starts_with('@') {
            check.problem(
                handle.span(),
                &f("slack_handles"),
                format!(
                    "{:?} must start with '@', as in \"@integrations-team\"",
                    handle.get_ref()
                ),
            );
        }
    }
    let time_budget = match &raw.time_budget {
        Some(v) => check.parse::<Percent>(v, &f("time_budget")),
        None => "10%".parse().ok(),
    };
    let escalate_after = match &raw.escalate_after {
        Some(v) => check.parse::<Minutes>(v, &f("escalate_after")),
        None => "2h".parse().ok(),
    };
    let review_on = match &raw.review_on {
        Some(v) => match NaiveDate::parse_from_str(v.get_ref(), "%Y-%m-%d") {
            Ok(d) => Some(Some(d)),
            Err(_) => {
                check.problem(
                    v.span(),
                    &f("review_on"),
                    format!("{:?} is not a date such as \"2022-11-21\"", v.get_ref()),
                );
                None
            }
        },
        None => Some(None),
    };
    let members: Vec<Member> = members(check, raw, &at);
    let rotation = rotation(check, raw, tz, &at);
    let recap_before = match &raw.rotation.recap_before {
        Some(v) => check.parse::<CivilDays>(v, &f("rotation.recap_before")),
        None => CivilDays::new(1),
    };
    if let (Some(r), Some(before), Some(v)) = (&rotation, recap_before, &raw.rotation.recap_before)
    {
        if before > r.shift_length() {
            check.problem(
                v.span(),
                &f("rotation.recap_before"),
                format!(
                    "the recap is due {before} before a hand-off, longer than a whole shift ({})",
                    r.shift_length()
                ),
            );
        }
    }
    let sources = sources(check, raw, &at);
    let owners = owners(check, raw, &at, &sources);
    let rubric = rubric(check, raw, &at, &sources);
    Some(Team {
        slug,
        name: text(raw.name.as_ref()).unwrap_or_else(|| raw.slug.get_ref().clone()),
        tz: tz?,
        slack_handles: raw
            .slack_handles
            .iter()
            .map(|h| h.get_ref().clone())
            .collect(),
        github_team: text(raw.github_team.as_ref()),
        github_label: text(raw.github_label.as_ref()),
        board_repo: text(raw.board_repo.as_ref()),
        recap_channel: text(raw.recap_channel.as_ref()),
        areas: raw.areas.iter().map(|a| a.get_ref().clone()).collect(),
        time_budget: time_budget?,
        escalate_after: escalate_after?,
        review_on: review_on?,
        rotation: rotation?,
        recap_before: recap_before?,
        members,
        sources,
        owners,
        rubric,
    })
}

fn members(check: &mut Check<'_>, raw: &RawTeam, at: &str) -> Vec<Member> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for m in &raw.members {
        let id = m.id.get_ref();
        if id.is_empty() || id.chars().any(|c| c.is_whitespace()) {
            check.problem(
                m.id.span(),
                &format!("{at}.members.id"),
                format!("{id:?} is not a member id (use a short word such as \"taras\")"),
            );
        } else if !seen.insert(id.as_str()) {
            check.problem(
                m.id.span(),
                &format!("{at}.members[{id}].id"),
                format!("member {id:?} is defined twice in this team"),
            );
        }
        if let Some(member) = member(check, m, at) {
            out.push(member);
        }
    }
    out
}

fn member(check: &mut Check<'_>, m: &RawMember, at: &str) -> Option<Member> {
    let id = m.id.get_ref();
    let f = |name: &str| format!("{at}.members[{id}].{name}");
    let tz = check.timezone(&m.timezone, &f("timezone"));
    let working_hours = check.parse(&m.working_hours, &f("working_hours"));
    let email = match m.email.as_ref() {
        Some(email) => match baton_core::access::parse_email(email.get_ref()) {
            Ok(parsed) => Some(parsed),
            Err(e) => {
                check.problem(email.span(), &f("email"), e);
                None
            }
        },
        None => None,
    };
    Some(Member {
        id: id.clone(),
        name: text(m.name.as_ref()).unwrap_or_else(|| id.clone()),
        tz: tz?,
        working_hours: working_hours?,
        slack_user: text(m.slack_user.as_ref()),
        github: text(m.github.as_ref()),
        email,
    })
}

fn rotation(check: &mut Check<'_>, raw: &RawTeam, tz: Option<Tz>, at: &str) -> Option<Rotation> {
    let r = &raw.rotation;
    let f = |name: &str| format!("{at}.rotation.{name}");
    let mut ok = true;
    let mut members = Vec::new();
    if r.members.get_ref().is_empty() {
        check.problem(
            r.members.span(),
            &f("members"),
            "the rotation has no members",
        );
        ok = false;
    }
    for m in r.members.get_ref() {
        let id = m.get_ref();
        if !raw.members.iter().any(|x| x.id.get_ref() == id) {
            check.problem(
                m.span(),
                &f("members"),
                format!(
                    "{id:?} is not a member of this team; add a [[teams.members]] with id = {id:?}"
                ),
            );
            ok = false;
        } else if members.contains(id) {
            check.problem(m.span(), &f("members"), format!("{id:?} is listed twice"));
            ok = false;
        }
        members.push(id.clone());
    }
    let first = parse_civil(r.first_handoff.get_ref());
    if first.is_none() {
        check.problem(
            r.first_handoff.span(),
            &f("first_handoff"),
            format!(
                "{:?} is not a civil date and time such as \"2022-09-26T09:00\" (in the team's time zone, without offset)",
                r.first_handoff.get_ref()
            ),
        );
    }
    let shift = check.parse::<CivilDays>(&r.shift, &f("shift"));
    if !ok {
        return None;
    }
    match Rotation::new(tz?, members, first?, shift?) {
        Ok(r) => Some(r),
        Err(e) => {
            check.problem(raw.rotation.members.span(), &f("members"), e);
            None
        }
    }
}

/// `2022-09-26T09:00` or `2022-09-26T09:00:00` (a space instead of `T` is fine too).
pub fn parse_civil(s: &str) -> Option<NaiveDateTime> {
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|fmt| NaiveDateTime::parse_from_str(s.trim(), fmt).ok())
}

fn sources(check: &mut Check<'_>, raw: &RawTeam, at: &str) -> Vec<Source> {
    let mut out: Vec<Source> = Vec::new();
    for (i, s) in raw.sources.iter().enumerate() {
        let Some(source) = source(check, raw, s, &format!("{at}.sources[{i}]")) else {
            continue;
        };
        if out
            .iter()
            .any(|o| o.kind == source.kind && o.name == source.name)
        {
            check.problem(
                s.kind.span(),
                &format!("{at}.sources[{i}]"),
                format!(
                    "source {:?} ({}) is listed twice",
                    source.name,
                    source.kind.as_str()
                ),
            );
            continue;
        }
        out.push(source);
    }
    out
}

fn source(check: &mut Check<'_>, team: &RawTeam, s: &RawSource, at: &str) -> Option<Source> {
    let f = |name: &str| format!("{at}.{name}");
    let kind_name = s.kind.get_ref().as_str();
    let Some(kind) = SourceKind::ALL
        .iter()
        .find(|(name, _)| *name == kind_name)
        .map(|(_, k)| *k)
    else {
        let known: Vec<_> = SourceKind::ALL.iter().map(|(n, _)| *n).collect();
        check.problem(
            s.kind.span(),
            &f("kind"),
            format!(
                "unknown source kind {kind_name:?}; expected one of {}",
                known.join(", ")
            ),
        );
        return None;
    };
    // Each kind names what it matches with its own key, falling back to the team's setting.
    let (key, value, fallback) = match kind {
        SourceKind::SlackChannel => ("channel", s.channel.as_ref(), None),
        SourceKind::SlackMention => (
            "handle",
            s.handle.as_ref(),
            team.slack_handles.first().map(|h| h.get_ref().clone()),
        ),
        SourceKind::GithubLabel => ("label", s.label.as_ref(), text(team.github_label.as_ref())),
        SourceKind::GithubTeam => ("team", s.team.as_ref(), text(team.github_team.as_ref())),
        SourceKind::Alertmanager => ("receiver", s.receiver.as_ref(), None),
        SourceKind::Grafana | SourceKind::Generic => ("name", s.name.as_ref(), None),
    };
    let matches = text(value).or(fallback);
    if matches.is_none() {
        check.problem(
            s.kind.span(),
            &f(key),
            format!("a {kind_name} source needs `{key}`"),
        );
    }
    if let (SourceKind::SlackChannel, Some(channel)) = (kind, value) {
        if !channel.get_ref().starts_with('#') {
            check.problem(
                channel.span(),
                &f("channel"),
                format!(
                    "{:?} must start with '#', as in \"#integrations\"",
                    channel.get_ref()
                ),
            );
        }
    }
    let sla = targets(check, &s.sla, &format!("{at}.sla"));
    let resolution = targets(check, &s.resolution, &format!("{at}.resolution"));
    let name = text(s.name.as_ref()).or_else(|| matches.clone())?;
    Some(Source {
        kind,
        name,
        channel_id: text(s.channel_id.as_ref()),
        matches,
        token_env: check.env_name(s.token_env.as_ref(), &f("token_env")),
        daily_check: s.daily_check,
        sla,
        resolution,
    })
}

fn targets(check: &mut Check<'_>, raw: &BTreeMap<Text, Text>, at: &str) -> Sla {
    let mut sla = Sla::default();
    for (key, value) in raw {
        let field = format!("{at}.{}", key.get_ref());
        match key.get_ref().parse::<Priority>() {
            Ok(priority) => {
                if let Some(target) = check.parse(value, &field) {
                    sla.set(priority, target);
                }
            }
            Err(e) => check.problem(key.span(), &field, e),
        }
    }
    sla
}

fn owners(check: &mut Check<'_>, raw: &RawTeam, at: &str, sources: &[Source]) -> Vec<OwnerRule> {
    let mut out = Vec::new();
    for (i, o) in raw.owners.iter().enumerate() {
        let f = |name: &str| format!("{at}.owners[{i}].{name}");
        let member = o.member.get_ref();
        let mut ok = true;
        if !raw.members.iter().any(|m| m.id.get_ref() == member) {
            check.problem(
                o.member.span(),
                &f("member"),
                format!("{member:?} is not a member of this team"),
            );
            ok = false;
        }
        if let Some(area) = &o.area {
            if !raw.areas.iter().any(|a| a.get_ref() == area.get_ref()) {
                check.problem(
                    area.span(),
                    &f("area"),
                    format!("{:?} is not one of the team's areas", area.get_ref()),
                );
                ok = false;
            }
        }
        if let Some(source) = &o.source {
            if !sources.iter().any(|s| &s.name == source.get_ref()) {
                check.problem(
                    source.span(),
                    &f("source"),
                    format!("{:?} is not one of the team's sources", source.get_ref()),
                );
                ok = false;
            }
        }
        if o.area.is_none() && o.source.is_none() {
            check.problem(
                o.member.span(),
                &format!("{at}.owners[{i}]"),
                "an owner rule needs `area` or `source`",
            );
            ok = false;
        }
        let until = match &o.until {
            Some(v) => match NaiveDate::parse_from_str(v.get_ref(), "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    check.problem(
                        v.span(),
                        &f("until"),
                        format!("{:?} is not a date such as \"2022-12-01\"", v.get_ref()),
                    );
                    ok = false;
                    None
                }
            },
            None => None,
        };
        if ok {
            out.push(OwnerRule {
                area: text(o.area.as_ref()),
                source: text(o.source.as_ref()),
                member: member.clone(),
                until,
            });
        }
    }
    out
}

fn rubric(check: &mut Check<'_>, raw: &RawTeam, at: &str, sources: &[Source]) -> Rubric {
    let mut rules = Vec::new();
    for (i, r) in raw.rubric.iter().enumerate() {
        let f = |name: &str| format!("{at}.rubric[{i}].{name}");
        let priority = check.parse::<Priority>(&r.priority, &f("priority"));
        for s in &r.sources {
            if !sources.iter().any(|x| &x.name == s.get_ref()) {
                check.problem(
                    s.span(),
                    &f("sources"),
                    format!("{:?} is not one of the team's sources", s.get_ref()),
                );
            }
        }
        let words = |v: &[Text]| v.iter().map(|t| t.get_ref().clone()).collect::<Vec<_>>();
        let rule = Rule {
            priority,
            sources: words(&r.sources),
            labels: words(&r.labels),
            keywords: words(&r.keywords),
            severities: words(&r.severities),
        };
        if rule.sources.is_empty()
            && rule.labels.is_empty()
            && rule.keywords.is_empty()
            && rule.severities.is_empty()
        {
            check.problem(
                r.priority.span(),
                &format!("{at}.rubric[{i}]"),
                "a rubric rule needs at least one of sources, labels, keywords or severities",
            );
        }
        rules.push(rule);
    }
    Rubric::new(rules)
}

fn reactions(check: &mut Check<'_>, map: &BTreeMap<Text, Text>) -> Vec<(String, ReactionShortcut)> {
    let mut out = Vec::new();
    for (name, value) in map {
        let field = format!("slack.reactions.{}", name.get_ref());
        match ReactionShortcut::NAMES
            .iter()
            .find(|(word, _)| *word == value.get_ref())
        {
            Some((_, shortcut)) => {
                out.push((name.get_ref().trim_matches(':').to_owned(), *shortcut));
            }
            None => check.problem(
                value.span(),
                &field,
                format!(
                    "{:?} is not a shortcut; use ack, start, resolve or flag",
                    value.get_ref()
                ),
            ),
        }
    }
    out
}
