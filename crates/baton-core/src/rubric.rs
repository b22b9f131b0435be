//! The priority rubric: rules that suggest a priority from where an inquiry came from, its labels,
//! its words and its alert severity. A human confirms or changes the suggestion.

use aho_corasick::AhoCorasick;

use crate::sla::Priority;

/// One rule. Every condition it lists must hold (any of the values within a condition will do);
/// a rule that lists nothing never matches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rule {
    pub priority: Option<Priority>,
    pub sources: Vec<String>,
    pub labels: Vec<String>,
    /// Matched case-insensitively as words or phrases in the title and body.
    pub keywords: Vec<String>,
    /// Alert severities (`critical`, `warning`, …), case-insensitive.
    pub severities: Vec<String>,
}

/// What the rubric looks at.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    pub source: &'a str,
    pub labels: &'a [String],
    pub title: &'a str,
    pub body: &'a str,
    pub severity: Option<&'a str>,
}

/// A suggested priority and the reason for it, in words a person can check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub priority: Priority,
    pub reason: String,
}

/// The team's rules, in the order they are tried; the first that matches wins.
///
/// Every rule's keywords are compiled once, when the rubric is made, into one Aho–Corasick
/// automaton (`aho-corasick`), so that a suggestion reads an inquiry's text once however many
/// keywords the rules list, rather than once per keyword.
#[derive(Clone, Debug, Default)]
pub struct Rubric {
    rules: Vec<Rule>,
    keywords: Keywords,
}

impl PartialEq for Rubric {
    fn eq(&self, other: &Self) -> bool {
        // The automaton is made from the rules.
        self.rules == other.rules
    }
}

impl Eq for Rubric {}

impl Rubric {
    /// The rubric of `rules`, tried in this order.
    pub fn new(rules: Vec<Rule>) -> Self {
        let keywords = Keywords::new(&rules);
        Self { rules, keywords }
    }

    /// The rules, in the order they are tried.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The first matching rule's priority, with the reason.
    pub fn suggest(&self, facts: &Facts<'_>) -> Option<Suggestion> {
        // Which keywords occur as words: found once, when the first rule with keywords asks.
        let found = std::cell::OnceCell::new();
        let mut next_keyword = 0;
        self.rules.iter().enumerate().find_map(|(i, rule)| {
            let first_keyword = next_keyword;
            next_keyword += rule.keywords.len();
            let priority = rule.priority?;
            let reasons = rule.matches(facts, || {
                let found = found.get_or_init(|| self.keywords.found_in(facts));
                found[first_keyword..next_keyword]
                    .iter()
                    .position(|&hit| hit)
            })?;
            Some(Suggestion {
                priority,
                reason: format!("rubric rule {}: {}", i + 1, reasons.join(", ")),
            })
        })
    }
}

impl Rule {
    /// The reasons every listed condition holds, or `None` if one does not.
    /// `keyword`: the first of the rule's keywords that the text mentions, if any.
    fn matches(
        &self,
        facts: &Facts<'_>,
        keyword: impl FnOnce() -> Option<usize>,
    ) -> Option<Vec<String>> {
        let mut reasons = Vec::new();
        if !self.sources.is_empty() {
            let s = self.sources.iter().find(|s| s.as_str() == facts.source)?;
            reasons.push(format!("source {s}"));
        }
        if !self.labels.is_empty() {
            let l = self
                .labels
                .iter()
                .find(|l| facts.labels.iter().any(|x| x.eq_ignore_ascii_case(l)))?;
            reasons.push(format!("label {l:?}"));
        }
        if !self.keywords.is_empty() {
            let k = &self.keywords[keyword()?];
            reasons.push(format!("mentions {k:?}"));
        }
        if !self.severities.is_empty() {
            let sev = facts.severity?;
            let s = self
                .severities
                .iter()
                .find(|s| s.eq_ignore_ascii_case(sev))?;
            reasons.push(format!("alert severity {s}"));
        }
        (!reasons.is_empty()).then_some(reasons)
    }
}

/// Every rule's keywords, lower-cased, in rule order, and an automaton that finds them all in
/// one pass.
#[derive(Clone, Default)]
struct Keywords {
    words: Vec<String>,
    /// Over the keywords that are not empty (an empty keyword never matches); `ids` maps its
    /// patterns back to positions in `words`. `None` when there is nothing to find, or if the
    /// crate refused to build it (only past its size limits): then each keyword is searched for
    /// on its own.
    automaton: Option<AhoCorasick>,
    ids: Vec<usize>,
}

impl std::fmt::Debug for Keywords {
    // The automaton's states say nothing a reader of a config dump needs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keywords")
            .field("words", &self.words)
            .field("compiled", &self.automaton.is_some())
            .finish()
    }
}

impl Keywords {
    fn new(rules: &[Rule]) -> Self {
        let words: Vec<String> = rules
            .iter()
            .flat_map(|r| r.keywords.iter().map(|k| k.to_lowercase()))
            .collect();
        let ids: Vec<usize> = (0..words.len()).filter(|&i| !words[i].is_empty()).collect();
        let automaton = if ids.is_empty() {
            None
        } else {
            AhoCorasick::new(ids.iter().map(|&i| &words[i])).ok()
        };
        Self {
            words,
            automaton,
            ids,
        }
    }

    /// For each keyword, whether it occurs in the facts' title or body as a word or phrase,
    /// case-insensitively, with no letter or digit right before or after it.
    fn found_in(&self, facts: &Facts<'_>) -> Vec<bool> {
        let mut found = vec![false; self.words.len()];
        if self.ids.is_empty() {
            return found;
        }
        let text = format!("{}\n{}", facts.title, facts.body).to_lowercase();
        match &self.automaton {
            // Overlapping matches: a keyword inside a longer word ("crash" in "crashes") must
            // not hide another that starts within it.
            Some(automaton) => {
                for m in automaton.find_overlapping_iter(&text) {
                    if is_word(&text, m.start(), m.end()) {
                        found[self.ids[m.pattern().as_usize()]] = true;
                    }
                }
            }
            None => {
                for (hit, word) in found.iter_mut().zip(&self.words) {
                    *hit = contains_word(&text, word);
                }
            }
        }
        found
    }
}

/// Whether `needle` occurs in `text` with no letter or digit right before or after it, at any
/// position, overlapping occurrences included (in "a    a", two spaces occur as a word at 2).
fn contains_word(text: &str, needle: &str) -> bool {
    !needle.is_empty()
        && text
            .char_indices()
            .any(|(i, _)| text[i..].starts_with(needle) && is_word(text, i, i + needle.len()))
}

/// Whether `text[start..end]` has no letter or digit right before or after it.
fn is_word(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(source: &'a str, labels: &'a [String], title: &'a str) -> Facts<'a> {
        Facts {
            source,
            labels,
            title,
            body: "",
            severity: None,
        }
    }

    #[test]
    fn first_matching_rule_wins_with_its_reason() {
        let rubric = Rubric::new(vec![
            Rule {
                priority: Some(Priority::Critical),
                keywords: vec!["outage".into(), "is down".into()],
                ..Rule::default()
            },
            Rule {
                priority: Some(Priority::High),
                sources: vec!["#alerts-integrations".into()],
                ..Rule::default()
            },
        ]);
        let none: Vec<String> = vec![];
        let s = rubric
            .suggest(&facts(
                "#integrations",
                &none,
                "Sourcegraph.com is DOWN for JetBrains",
            ))
            .unwrap();
        assert_eq!(s.priority, Priority::Critical);
        assert_eq!(s.reason, "rubric rule 1: mentions \"is down\"");
        let s = rubric
            .suggest(&facts("#alerts-integrations", &none, "disk usage"))
            .unwrap();
        assert_eq!(s.priority, Priority::High);
        // "outages" is not the word "outage".
        assert_eq!(
            rubric.suggest(&facts("#integrations", &none, "outages report")),
            None
        );
    }

    #[test]
    fn every_condition_of_a_rule_must_hold() {
        let rubric = Rubric::new(vec![Rule {
            priority: Some(Priority::Low),
            labels: vec!["enhancement".into()],
            sources: vec!["team/integrations".into()],
            ..Rule::default()
        }]);
        let labels = vec!["Enhancement".to_string()];
        assert!(rubric
            .suggest(&facts("team/integrations", &labels, "x"))
            .is_some());
        assert!(rubric
            .suggest(&facts("#integrations", &labels, "x"))
            .is_none());
        assert!(rubric
            .suggest(&facts("team/integrations", &[], "x"))
            .is_none());
    }

    #[test]
    fn keywords_are_found_as_words_in_rule_order_even_inside_other_matches() {
        let rubric = Rubric::new(vec![
            Rule {
                priority: Some(Priority::Critical),
                keywords: vec!["Data loss".into(), "".into(), "crash".into()],
                ..Rule::default()
            },
            Rule {
                priority: Some(Priority::High),
                keywords: vec!["down".into(), "is down".into()],
                ..Rule::default()
            },
        ]);
        let none: Vec<String> = vec![];
        let suggest = |title: &str| rubric.suggest(&facts("#x", &none, title)).map(|s| s.reason);
        // "crash" inside "crashes" is no word; the second "crash" is.
        assert_eq!(
            suggest("crashes, then a crash").as_deref(),
            Some("rubric rule 1: mentions \"crash\"")
        );
        // The rule's first listed keyword is named, whichever comes first in the text.
        assert_eq!(
            suggest("crash after DATA LOSS").as_deref(),
            Some("rubric rule 1: mentions \"Data loss\"")
        );
        assert_eq!(
            suggest("the API is down").as_deref(),
            Some("rubric rule 2: mentions \"down\"")
        );
        assert_eq!(suggest("downtime, crashed"), None);
        // An empty keyword matches nothing.
        assert_eq!(suggest(""), None);
    }

    proptest::proptest! {
        /// The automaton finds exactly the keywords that a search for each one on its own
        /// finds, in any text (letters, digits, spaces, punctuation and non-ASCII letters).
        #[test]
        fn automaton_finds_what_each_search_finds(
            words in proptest::collection::vec("[abé ]{0,4}", 0..6),
            text in "[abéÉ1 .]{0,40}",
        ) {
            let keywords = Keywords::new(&[Rule {
                keywords: words.clone(),
                ..Rule::default()
            }]);
            let facts = Facts { source: "", labels: &[], title: &text, body: "", severity: None };
            let lowered = format!("{text}\n").to_lowercase();
            let expected: Vec<bool> = words
                .iter()
                .map(|w| contains_word(&lowered, &w.to_lowercase()))
                .collect();
            proptest::prop_assert_eq!(keywords.found_in(&facts), expected.clone());
            // And so does the search without the automaton, used if it cannot be built.
            let one_by_one = Keywords { automaton: None, ..keywords };
            proptest::prop_assert_eq!(one_by_one.found_in(&facts), expected);
        }
    }
}
