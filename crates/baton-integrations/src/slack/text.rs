//! Slack's message formatting ("mrkdwn" as Slack sends it in a message's `text`).
//!
//! Control sequences sit between `<` and `>`: users `<@U01TARAS>` (or `<@U01TARAS|taras>`), user
//! groups `<!subteam^S0INTTEAM|@integrations-team>`, channels `<#C0INTEGRAT|integrations>`,
//! broadcasts `<!here>`, links `<https://example.com|label>`. Literal `&`, `<` and `>` arrive
//! escaped as `&amp;`, `&lt;` and `&gt;`.

use std::borrow::Cow;

/// A mention of a Slack user group, `<!subteam^S0INTTEAM|@integrations-team>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserGroupMention {
    /// The group's id, `S0INTTEAM`.
    pub id: String,
    /// The handle as Slack writes it, with its `@` (`@integrations-team`), when Slack sent one.
    pub handle: Option<String>,
}

impl UserGroupMention {
    /// Whether this mention names `id_or_handle`: the group id, or the handle with or without
    /// its `@` (handles compare case-insensitively).
    pub fn is(&self, id_or_handle: &str) -> bool {
        if self.id == id_or_handle {
            return true;
        }
        let wanted = id_or_handle.trim_start_matches('@');
        self.handle.as_deref().is_some_and(|h| {
            !wanted.is_empty() && h.trim_start_matches('@').eq_ignore_ascii_case(wanted)
        })
    }
}

/// The users and user groups a message mentions, in order of first appearance, without repeats.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mentions {
    /// User ids, `U01TARAS`.
    pub users: Vec<String>,
    pub user_groups: Vec<UserGroupMention>,
}

impl Mentions {
    /// Whether a user group given by id or handle is mentioned.
    pub fn mentions_group(&self, id_or_handle: &str) -> bool {
        self.user_groups.iter().any(|g| g.is(id_or_handle))
    }

    /// Whether a user is mentioned.
    pub fn mentions_user(&self, id: &str) -> bool {
        self.users.iter().any(|u| u == id)
    }
}

/// One piece of a message's text.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment<'a> {
    /// Text as sent (still escaped).
    Text(&'a str),
    User {
        id: &'a str,
        label: Option<&'a str>,
    },
    UserGroup {
        id: &'a str,
        label: Option<&'a str>,
    },
    Channel {
        id: &'a str,
        label: Option<&'a str>,
    },
    /// `<!here>`, `<!channel>`, `<!everyone>`, `<!date^…|fallback>`.
    Special {
        name: &'a str,
        label: Option<&'a str>,
    },
    Link {
        url: &'a str,
        label: Option<&'a str>,
    },
}

/// Splits Slack text into plain runs and control sequences. A `<` without a matching `>` (or
/// followed by another `<` first) is plain text.
fn segments(text: &str) -> Vec<Segment<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let close = match after.find(['<', '>']) {
            Some(i) if after.as_bytes()[i] == b'>' => i,
            // Another `<` comes first: this one is plain text, go on from the next.
            Some(i) => {
                out.push(Segment::Text(&rest[..open + 1 + i]));
                rest = &after[i..];
                continue;
            }
            None => break,
        };
        if open > 0 {
            out.push(Segment::Text(&rest[..open]));
        }
        out.push(control(&after[..close]));
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        out.push(Segment::Text(rest));
    }
    out
}

/// Reads the inside of one `<…>`.
fn control(inner: &str) -> Segment<'_> {
    let (target, label) = match inner.split_once('|') {
        Some((t, l)) => (t, Some(l)),
        None => (inner, None),
    };
    if let Some(id) = target.strip_prefix('@') {
        Segment::User { id, label }
    } else if let Some(id) = target.strip_prefix('#') {
        Segment::Channel { id, label }
    } else if let Some(id) = target.strip_prefix("!subteam^") {
        Segment::UserGroup { id, label }
    } else if let Some(name) = target.strip_prefix('!') {
        Segment::Special { name, label }
    } else {
        Segment::Link { url: target, label }
    }
}

/// The users and user groups mentioned in Slack text.
pub fn mentions(text: &str) -> Mentions {
    let mut m = Mentions::default();
    for segment in segments(text) {
        match segment {
            Segment::User { id, .. } if is_id(id) && !m.users.iter().any(|u| u == id) => {
                m.users.push(id.to_owned());
            }
            Segment::UserGroup { id, label }
                if is_id(id) && !m.user_groups.iter().any(|g| g.id == id) =>
            {
                m.user_groups.push(UserGroupMention {
                    id: id.to_owned(),
                    handle: label
                        .map(|l| unescape(l).into_owned())
                        .filter(|l| !l.is_empty()),
                });
            }
            _ => {}
        }
    }
    m
}

/// Slack ids are uppercase letters and digits (`U01TARAS`, `S0INTTEAM`, `W012A3CDE`).
fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The text as a person reads it, for titles and bodies: mentions as `@name` (the id when Slack
/// sent no name), channels as `#name`, links as their label (or the address), broadcasts as
/// `@here`, and `&amp;`, `&lt;`, `&gt;` unescaped. Emoji codes (`:wave:`) stay as written.
pub fn plain_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for segment in segments(text) {
        match segment {
            Segment::Text(t) => out.push_str(&unescape(t)),
            Segment::User { id, label } => {
                out.push('@');
                out.push_str(&unescape(label.filter(|l| !l.is_empty()).unwrap_or(id)));
            }
            Segment::UserGroup { id, label } => {
                let name = unescape(label.filter(|l| !l.is_empty()).unwrap_or(id));
                if !name.starts_with('@') {
                    out.push('@');
                }
                out.push_str(&name);
            }
            Segment::Channel { id, label } => {
                out.push('#');
                out.push_str(&unescape(label.filter(|l| !l.is_empty()).unwrap_or(id)));
            }
            Segment::Special { name, label } => match label.filter(|l| !l.is_empty()) {
                Some(label) => out.push_str(&unescape(label)),
                None => {
                    let word = name.split('^').next().unwrap_or(name);
                    if matches!(word, "here" | "channel" | "everyone") {
                        out.push('@');
                        out.push_str(word);
                    }
                }
            },
            Segment::Link { url, label } => {
                let shown = match label.filter(|l| !l.is_empty()) {
                    Some(label) => label,
                    None => url.strip_prefix("mailto:").unwrap_or(url),
                };
                out.push_str(&unescape(shown));
            }
        }
    }
    out
}

/// Undoes Slack's escaping of `&`, `<` and `>`; any other `&` stays as it is.
pub fn unescape(text: &str) -> Cow<'_, str> {
    if !text.contains('&') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let (ch, len) = if rest.starts_with("&amp;") {
            ('&', 5)
        } else if rest.starts_with("&lt;") {
            ('<', 4)
        } else if rest.starts_with("&gt;") {
            ('>', 4)
        } else {
            ('&', 1)
        };
        out.push(ch);
        rest = &rest[len..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_kind_of_control_sequence() {
        let text = "<!subteam^S0INTTEAM|@integrations-team> <@U01TARAS> <@U02ALICE|alice> in \
                    <#C0INTEGRAT|integrations> <!here> see <https://x.test/a?b=1&amp;c=2|the doc> \
                    or <https://x.test> or <mailto:a@x.test> 1 &lt; 2 &amp;&amp; 3 &gt; 2";
        assert_eq!(
            plain_text(text),
            "@integrations-team @U01TARAS @alice in #integrations @here see the doc or \
             https://x.test or a@x.test 1 < 2 && 3 > 2"
        );
    }

    #[test]
    fn finds_mentions_once_each_in_order() {
        let m = mentions("<@U01TARAS> <!subteam^S0INTTEAM|@integrations-team> <@U01DAVID> <@U01TARAS> <!subteam^S0INTTEAM>");
        assert_eq!(m.users, ["U01TARAS", "U01DAVID"]);
        assert_eq!(
            m.user_groups,
            [UserGroupMention {
                id: "S0INTTEAM".into(),
                handle: Some("@integrations-team".into())
            }]
        );
        assert!(m.mentions_group("@integrations-team"));
        assert!(m.mentions_group("integrations-team"));
        assert!(m.mentions_group("S0INTTEAM"));
        assert!(!m.mentions_group("@"));
        assert!(!m.mentions_group("@search-team"));
    }

    #[test]
    fn unmatched_brackets_are_text() {
        assert_eq!(plain_text("a < b <@U1> c"), "a < b @U1 c");
        assert_eq!(plain_text("tail <@U1"), "tail <@U1");
        assert_eq!(plain_text("<<@U1>>"), "<@U1>");
        assert_eq!(plain_text("&amp;lt; &bogus; &"), "&lt; &bogus; &");
    }

    #[test]
    fn dates_render_their_fallback() {
        assert_eq!(
            plain_text("due <!date^1392734382^{date_short}|Feb 18, 2014>"),
            "due Feb 18, 2014"
        );
    }
}
