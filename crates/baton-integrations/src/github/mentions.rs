//! `@org/team` mentions in GitHub Markdown.

use std::fmt;

/// A team mention, `@sourcegraph/integrations` (stored lowercase: GitHub compares
/// case-insensitively).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TeamMention {
    pub org: String,
    pub slug: String,
}

impl TeamMention {
    /// Whether this names `team`, given as `org/slug` with or without the `@`.
    pub fn is(&self, team: &str) -> bool {
        let team = team.trim().trim_start_matches('@');
        team.split_once('/').is_some_and(|(org, slug)| {
            org.eq_ignore_ascii_case(&self.org) && slug.eq_ignore_ascii_case(&self.slug)
        })
    }
}

impl fmt::Display for TeamMention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}/{}", self.org, self.slug)
    }
}

/// The team mentions in Markdown, in order, without repeats. Mentions inside fenced code blocks
/// and inline code spans do not count (GitHub does not notify for them), nor does a package path
/// such as `@scope/package/file`.
pub fn team_mentions(markdown: &str) -> Vec<TeamMention> {
    let mut found: Vec<TeamMention> = Vec::new();
    let mut fence: Option<(u8, usize)> = None;
    for line in markdown.lines() {
        if let Some(marker) = fence_marker(line) {
            match fence {
                None => fence = Some(marker),
                Some((ch, len)) if marker.0 == ch && marker.1 >= len => fence = None,
                Some(_) => {}
            }
            continue;
        }
        if fence.is_some() {
            continue;
        }
        for text in outside_code_spans(line) {
            for m in mentions_in(text) {
                if !found.contains(&m) {
                    found.push(m);
                }
            }
        }
    }
    found
}

/// A line opening or closing a fenced code block: up to three spaces, then three or more
/// backticks or tildes.
fn fence_marker(line: &str) -> Option<(u8, usize)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line.as_bytes()[indent..];
    let ch = *rest.first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = rest.iter().take_while(|&&b| b == ch).count();
    (len >= 3).then_some((ch, len))
}

/// The parts of a line outside inline code spans. A run of backticks opens a span that the next
/// run of the same length closes; an unclosed run is plain text.
fn outside_code_spans(line: &str) -> Vec<&str> {
    let bytes = line.as_bytes();
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'`' {
            i += 1;
            continue;
        }
        let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
        match closing_run(bytes, i + run, run) {
            Some(end) => {
                parts.push(&line[start..i]);
                i = end + run;
                start = i;
            }
            None => i += run,
        }
    }
    parts.push(&line[start..]);
    parts
}

/// Where the next run of exactly `len` backticks at or after `from` starts.
fn closing_run(bytes: &[u8], from: usize, len: usize) -> Option<usize> {
    let mut i = from;
    while i < bytes.len() {
        if bytes[i] == b'`' {
            let run = bytes[i..].iter().take_while(|&&b| b == b'`').count();
            if run == len {
                return Some(i);
            }
            i += run;
        } else {
            i += 1;
        }
    }
    None
}

fn mentions_in(text: &str) -> Vec<TeamMention> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for (at, _) in text.match_indices('@') {
        // `a@b/c` is no mention (an address, a path): the `@` must start a word.
        if at > 0 {
            let before = bytes[at - 1];
            if before.is_ascii_alphanumeric() || b"_-./@`".contains(&before) {
                continue;
            }
        }
        let org_len = bytes[at + 1..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
            .count();
        let slash = at + 1 + org_len;
        if org_len == 0 || org_len > 39 || bytes.get(slash) != Some(&b'/') {
            continue;
        }
        let mut slug_len = bytes[slash + 1..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || b"-_.".contains(b))
            .count();
        while slug_len > 0 && b".-_".contains(&bytes[slash + slug_len]) {
            slug_len -= 1;
        }
        let end = slash + 1 + slug_len;
        // `@scope/package/file` is a path.
        if slug_len == 0 || bytes.get(end) == Some(&b'/') {
            continue;
        }
        out.push(TeamMention {
            org: text[at + 1..slash].to_ascii_lowercase(),
            slug: text[slash + 1..end].to_ascii_lowercase(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(markdown: &str) -> Vec<String> {
        team_mentions(markdown)
            .iter()
            .map(|m| m.to_string())
            .collect()
    }

    #[test]
    fn finds_team_mentions_in_prose() {
        assert_eq!(
            names("@sourcegraph/integrations could you look? cc @Sourcegraph/Search-Core."),
            ["@sourcegraph/integrations", "@sourcegraph/search-core"]
        );
        assert_eq!(
            names("(@sourcegraph/integrations), @sourcegraph/integrations!"),
            ["@sourcegraph/integrations"]
        );
        assert!(team_mentions("@sourcegraph/integrations")[0].is("sourcegraph/Integrations"));
        assert!(team_mentions("@sourcegraph/integrations")[0].is("@sourcegraph/integrations"));
        assert!(!team_mentions("@sourcegraph/integrations")[0].is("sourcegraph"));
    }

    #[test]
    fn ignores_code_addresses_users_and_paths() {
        let md = "```\n@sourcegraph/integrations in a fence\n```\n\
                  ~~~~\n```\n@sourcegraph/a\n~~~~\n\
                  `@sourcegraph/b` and ``code with ` @sourcegraph/c`` \n\
                  mail me@sourcegraph/d, user @taras-dev, path @sourcegraph/shared/src/x.ts, \
                  @/x, @sourcegraph/, unclosed ` @sourcegraph/e";
        assert_eq!(names(md), ["@sourcegraph/e"]);
    }
}
