//! Answers to slash commands, as Slack expects them:
//! `{"response_type": "ephemeral" | "in_channel", "text": …, "blocks": [ … ]}`.
//!
//! Text is built with [`Mrkdwn`], which escapes `&`, `<` and `>` in everything given as text, so
//! user input can never turn into a mention or a link; mentions and links are added on purpose
//! with [`Mrkdwn::user`], [`Mrkdwn::link`], ….

use serde::Serialize;

/// Slack refuses a section whose text is longer than this.
const SECTION_MAX_CHARS: usize = 3000;
/// Slack refuses a message with more blocks than this.
const MAX_BLOCKS: usize = 50;

/// Who sees the answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseType {
    /// Only the person who typed the command.
    Ephemeral,
    /// Everyone in the channel.
    InChannel,
}

/// Slack `mrkdwn` text, escaped as it is built.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mrkdwn(String);

impl Mrkdwn {
    pub fn new() -> Self {
        Self::default()
    }

    /// Plain text, escaped.
    pub fn text(mut self, text: &str) -> Self {
        self.0.push_str(&escape(text));
        self
    }

    /// Bold text, escaped.
    pub fn bold(mut self, text: &str) -> Self {
        self.0.push('*');
        self.0.push_str(&escape(&text.replace('*', "")));
        self.0.push('*');
        self
    }

    /// Inline code, escaped.
    pub fn code(mut self, text: &str) -> Self {
        self.0.push('`');
        self.0.push_str(&escape(&text.replace('`', "'")));
        self.0.push('`');
        self
    }

    /// A mention of a user by id, `<@U01TARAS>` (Slack shows their name).
    pub fn user(mut self, user_id: &str) -> Self {
        self.0.push_str("<@");
        self.0.push_str(&id_only(user_id));
        self.0.push('>');
        self
    }

    /// A reference to a channel by id, `<#C0INTEGRAT>`.
    pub fn channel(mut self, channel_id: &str) -> Self {
        self.0.push_str("<#");
        self.0.push_str(&id_only(channel_id));
        self.0.push('>');
        self
    }

    /// A link with a label, `<https://…|label>`.
    pub fn link(mut self, url: &str, label: &str) -> Self {
        self.0.push('<');
        self.0.push_str(&escape(url).replace('|', "%7C"));
        if !label.is_empty() {
            self.0.push('|');
            self.0.push_str(&escape(label));
        }
        self.0.push('>');
        self
    }

    /// A line break.
    pub fn newline(mut self) -> Self {
        self.0.push('\n');
        self
    }

    /// Appends another piece of mrkdwn.
    pub fn push(mut self, other: &Mrkdwn) -> Self {
        self.0.push_str(&other.0);
        self
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Mrkdwn {
    /// Plain text, escaped.
    fn from(text: &str) -> Self {
        Mrkdwn::new().text(text)
    }
}

impl From<String> for Mrkdwn {
    /// Plain text, escaped.
    fn from(text: String) -> Self {
        Mrkdwn::new().text(&text)
    }
}

/// Escapes `&`, `<` and `>` the way Slack requires in message text.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Slack ids are letters and digits; anything else is dropped so an id cannot close the
/// control sequence early.
fn id_only(id: &str) -> String {
    id.chars().filter(char::is_ascii_alphanumeric).collect()
}

/// A Block Kit block.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Section { text: TextObject },
    Context { elements: Vec<TextObject> },
    Divider {},
}

/// A `mrkdwn` text object.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TextObject {
    #[serde(rename = "type")]
    kind: &'static str,
    text: String,
}

impl TextObject {
    /// The mrkdwn text.
    pub fn text(&self) -> &str {
        &self.text
    }

    fn mrkdwn(text: &Mrkdwn) -> Self {
        Self {
            kind: "mrkdwn",
            text: truncate(text.as_str(), SECTION_MAX_CHARS),
        }
    }
}

/// The answer to a slash command. Serialize it as the HTTP response body (or post it to the
/// command's `response_url`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Response {
    response_type: ResponseType,
    /// The whole answer when there are no blocks; the notification text when there are.
    text: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    blocks: Vec<Block>,
}

impl Response {
    /// An answer only the person who typed the command sees.
    pub fn ephemeral(text: impl Into<Mrkdwn>) -> Self {
        Self::new(ResponseType::Ephemeral, text.into())
    }

    /// An answer everyone in the channel sees.
    pub fn in_channel(text: impl Into<Mrkdwn>) -> Self {
        Self::new(ResponseType::InChannel, text.into())
    }

    fn new(response_type: ResponseType, text: Mrkdwn) -> Self {
        Self {
            response_type,
            text: text.0,
            blocks: Vec::new(),
        }
    }

    /// Adds a section of text (cut to Slack's 3,000 characters).
    pub fn section(self, text: impl Into<Mrkdwn>) -> Self {
        let text = text.into();
        self.block(Block::Section {
            text: TextObject::mrkdwn(&text),
        })
    }

    /// Adds a line of small print.
    pub fn context(self, text: impl Into<Mrkdwn>) -> Self {
        let text = text.into();
        self.block(Block::Context {
            elements: vec![TextObject::mrkdwn(&text)],
        })
    }

    /// Adds a horizontal rule.
    pub fn divider(self) -> Self {
        self.block(Block::Divider {})
    }

    /// Blocks beyond Slack's limit of 50 are dropped.
    fn block(mut self, block: Block) -> Self {
        if self.blocks.len() < MAX_BLOCKS {
            self.blocks.push(block);
        }
        self
    }

    pub fn response_type(&self) -> ResponseType {
        self.response_type
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn blocks(&self) -> &[Block] {
        &self.blocks
    }

    /// The JSON body.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// Cuts mrkdwn to at most `max` characters, ending with `…`, without splitting an escape
/// (`&amp;`) or a control sequence (`<…>`).
fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut = text
        .char_indices()
        .nth(max.saturating_sub(1))
        .map_or(text.len(), |(i, _)| i);
    let mut head = &text[..cut];
    if let Some(open) = head.rfind('<') {
        if !head[open..].contains('>') {
            head = &head[..open];
        }
    }
    if let Some(amp) = head.rfind('&') {
        if !head[amp..].contains(';') {
            head = &head[..amp];
        }
    }
    format!("{head}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_json_slack_expects() {
        let r = Response::ephemeral("On duty: Taras & co")
            .section(
                Mrkdwn::new()
                    .bold("On duty")
                    .text(": ")
                    .user("U01TARAS")
                    .text(" until Mon <09:00>"),
            )
            .divider()
            .context(Mrkdwn::new().link("https://baton.example/i/42?a=1&b=2", "#42 <x>"));
        assert_eq!(
            r.to_json(),
            serde_json::json!({
                "response_type": "ephemeral",
                "text": "On duty: Taras &amp; co",
                "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn", "text": "*On duty*: <@U01TARAS> until Mon &lt;09:00&gt;"}},
                    {"type": "divider"},
                    {"type": "context", "elements": [{"type": "mrkdwn", "text": "<https://baton.example/i/42?a=1&amp;b=2|#42 &lt;x&gt;>"}]}
                ]
            })
        );
        let plain = Response::in_channel("done");
        assert_eq!(
            serde_json::to_value(&plain).unwrap(),
            serde_json::json!({"response_type": "in_channel", "text": "done"})
        );
    }

    #[test]
    fn ids_cannot_break_out() {
        assert_eq!(Mrkdwn::new().user("U1><!channel").as_str(), "<@U1channel>");
    }

    #[test]
    fn long_sections_are_cut_between_escapes() {
        let text = format!("{}&<x>", "a".repeat(2990));
        let r = Response::ephemeral("x").section(text.as_str());
        let Block::Section { text } = &r.blocks()[0] else {
            panic!("not a section")
        };
        assert_eq!(text.text, format!("{}&amp;&lt;…", "a".repeat(2990)));
        assert_eq!(text.text.chars().count(), 3000);
        assert_eq!(
            truncate(&format!("{}&amp;", "a".repeat(2996)), 3000),
            format!("{}…", "a".repeat(2996))
        );
        assert_eq!(truncate("ab<https://x.test|y>", 6), "ab…");
        let blocks = (0..60).fold(Response::ephemeral("x"), |r, _| r.divider());
        assert_eq!(blocks.blocks().len(), 50);
    }
}
