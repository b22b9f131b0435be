//! Slack slash commands: the form body Slack posts, and baton's subcommands in its text.

use baton_core::sla::Priority;
use serde::Deserialize;

use super::text;
use crate::error::ParseError;

/// A slash command invocation, from the `application/x-www-form-urlencoded` body Slack posts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct SlashCommand {
    /// The command typed, `/baton`.
    pub command: String,
    /// Everything after the command, as typed (see [`Subcommand::parse`]).
    #[serde(default)]
    pub text: String,
    /// Who typed it.
    pub user_id: String,
    #[serde(default)]
    pub user_name: String,
    /// Where it was typed.
    pub channel_id: String,
    #[serde(default)]
    pub channel_name: String,
    pub team_id: String,
    /// Where to post delayed answers (valid for 30 minutes, five times).
    #[serde(default)]
    pub response_url: String,
    /// Opens a modal within 3 seconds.
    #[serde(default)]
    pub trigger_id: String,
}

impl SlashCommand {
    /// The baton subcommand in [`SlashCommand::text`].
    pub fn subcommand(&self) -> Subcommand {
        Subcommand::parse(&self.text)
    }
}

/// Reads a slash command's form body.
pub fn parse_command(body: &[u8]) -> Result<SlashCommand, ParseError> {
    serde_urlencoded::from_bytes(body)
        .map_err(|e| ParseError::new("Slack slash command", e.to_string()))
}

/// What `/baton …` asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subcommand {
    /// `who`: who is on duty now.
    Who,
    /// `queue`: the open inquiries by deadline.
    Queue,
    /// `ack <id>`: acknowledge an inquiry.
    Ack { inquiry: i64 },
    /// `priority <id> <critical|high|medium|low>`.
    Priority { inquiry: i64, priority: Priority },
    /// `checked [#channel]`: the daily check of a source is done. `None`: the channel the
    /// command was typed in.
    Checked { source: Option<SourceRef> },
    /// `help`, nothing, or something baton does not understand (then `error` says what).
    Help { error: Option<String> },
}

/// A source named in a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceRef {
    /// A channel reference as Slack sends it when it escapes the text:
    /// `<#C0INTEGRAT|integrations>`.
    Channel { id: String, name: Option<String> },
    /// A name as typed: `#integrations`, `team/integrations`, `@integrations-team`.
    Name(String),
}

/// Every subcommand with a one-line description, for help answers.
pub const HELP: &[(&str, &str)] = &[
    ("who", "who is on duty now"),
    ("queue", "the open inquiries, nearest deadline first"),
    ("ack <id>", "acknowledge inquiry <id>"),
    (
        "priority <id> <critical|high|medium|low>",
        "set the priority of inquiry <id>",
    ),
    (
        "checked [#channel]",
        "mark today's check of a source done (default: this channel)",
    ),
    ("help", "this list"),
];

impl Subcommand {
    /// Reads the text after the command. Never fails: anything not understood is
    /// [`Subcommand::Help`] with an error saying why.
    pub fn parse(text: &str) -> Subcommand {
        let text = text::unescape(text);
        let mut words = text.split_whitespace();
        let Some(first) = words.next() else {
            return Subcommand::Help { error: None };
        };
        let args: Vec<&str> = words.collect();
        let parsed = match first.to_ascii_lowercase().as_str() {
            "help" => return Subcommand::Help { error: None },
            "who" => no_args("who", &args).map(|()| Subcommand::Who),
            "queue" => no_args("queue", &args).map(|()| Subcommand::Queue),
            "ack" => match args.as_slice() {
                [id] => inquiry_id(id).map(|inquiry| Subcommand::Ack { inquiry }),
                _ => Err("usage: ack <id>".to_owned()),
            },
            "priority" => match args.as_slice() {
                [id, level] => inquiry_id(id).and_then(|inquiry| {
                    level
                        .parse::<Priority>()
                        .map(|priority| Subcommand::Priority { inquiry, priority })
                        .map_err(|_| {
                            format!(
                                "`{}` is not a priority: use critical, high, medium or low",
                                shorten(level)
                            )
                        })
                }),
                _ => Err("usage: priority <id> <critical|high|medium|low>".to_owned()),
            },
            "checked" => match args.as_slice() {
                [] => Ok(Subcommand::Checked { source: None }),
                [source] => Ok(Subcommand::Checked {
                    source: Some(source_ref(source)),
                }),
                _ => Err("usage: checked [#channel]".to_owned()),
            },
            _ => Err(format!("unknown command `{}`", shorten(first))),
        };
        parsed.unwrap_or_else(|error| Subcommand::Help { error: Some(error) })
    }
}

fn no_args(command: &str, args: &[&str]) -> Result<(), String> {
    if args.is_empty() {
        Ok(())
    } else {
        Err(format!("`{command}` takes no arguments"))
    }
}

/// An inquiry id as people type it: `42` or `#42`.
fn inquiry_id(word: &str) -> Result<i64, String> {
    let digits = word.strip_prefix('#').unwrap_or(word);
    match digits.parse::<i64>() {
        Ok(id) if id > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => Ok(id),
        _ => Err(format!("`{}` is not an inquiry id", shorten(word))),
    }
}

/// `<#C0INTEGRAT|integrations>`, `<#C0INTEGRAT>` or a name as typed.
fn source_ref(word: &str) -> SourceRef {
    if let Some(inner) = word.strip_prefix("<#").and_then(|w| w.strip_suffix('>')) {
        let (id, name) = match inner.split_once('|') {
            Some((id, name)) => (id, Some(name).filter(|n| !n.is_empty())),
            None => (inner, None),
        };
        if !id.is_empty() && !id.contains(['<', '>', '|']) {
            return SourceRef::Channel {
                id: id.to_owned(),
                name: name.map(str::to_owned),
            };
        }
    }
    SourceRef::Name(word.to_owned())
}

/// Echoes at most 40 characters of user input back in an error.
fn shorten(word: &str) -> String {
    match word.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &word[..i]),
        None => word.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn help(text: &str) -> String {
        match Subcommand::parse(text) {
            Subcommand::Help { error: Some(e) } => e,
            other => panic!("{text:?} parsed as {other:?}"),
        }
    }

    #[test]
    fn reads_every_subcommand() {
        assert_eq!(Subcommand::parse("who"), Subcommand::Who);
        assert_eq!(Subcommand::parse("  QUEUE "), Subcommand::Queue);
        assert_eq!(
            Subcommand::parse("ack #42"),
            Subcommand::Ack { inquiry: 42 }
        );
        assert_eq!(
            Subcommand::parse("priority 7 Critical"),
            Subcommand::Priority {
                inquiry: 7,
                priority: Priority::Critical
            }
        );
        assert_eq!(
            Subcommand::parse("checked"),
            Subcommand::Checked { source: None }
        );
        assert_eq!(
            Subcommand::parse("checked #integrations"),
            Subcommand::Checked {
                source: Some(SourceRef::Name("#integrations".into()))
            }
        );
        assert_eq!(
            Subcommand::parse("checked <#C0INTEGRAT|integrations>"),
            Subcommand::Checked {
                source: Some(SourceRef::Channel {
                    id: "C0INTEGRAT".into(),
                    name: Some("integrations".into())
                })
            }
        );
        assert_eq!(
            Subcommand::parse("checked <#C0INTEGRAT>"),
            Subcommand::Checked {
                source: Some(SourceRef::Channel {
                    id: "C0INTEGRAT".into(),
                    name: None
                })
            }
        );
        assert_eq!(Subcommand::parse(""), Subcommand::Help { error: None });
        assert_eq!(Subcommand::parse("help"), Subcommand::Help { error: None });
    }

    #[test]
    fn explains_what_it_does_not_understand() {
        assert_eq!(help("deploy"), "unknown command `deploy`");
        assert_eq!(help("ack"), "usage: ack <id>");
        assert_eq!(help("ack x1"), "`x1` is not an inquiry id");
        assert_eq!(help("ack 0"), "`0` is not an inquiry id");
        assert_eq!(help("ack -3"), "`-3` is not an inquiry id");
        assert_eq!(help("ack +3"), "`+3` is not an inquiry id");
        assert_eq!(
            help("priority 3 urgent"),
            "`urgent` is not a priority: use critical, high, medium or low"
        );
        assert_eq!(help("who now"), "`who` takes no arguments");
        assert_eq!(help("checked a b"), "usage: checked [#channel]");
        assert!(help(&"x".repeat(100)).ends_with("x…`"));
    }
}
