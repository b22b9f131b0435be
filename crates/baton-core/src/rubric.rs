//! The priority rubric: rules that suggest a priority from where an inquiry came from, its labels,
//! its words and its alert severity. A human confirms or changes the suggestion.

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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rubric {
    pub rules: Vec<Rule>,
}

impl Rubric {
    /// The first matching rule's priority, with the reason.
    pub fn suggest(&self, facts: &Facts<'_>) -> Option<Suggestion> {
        // Lower-cased once, when the first rule with keywords needs it.
        let text = std::cell::OnceCell::new();
        self.rules.iter().enumerate().find_map(|(i, rule)| {
            let priority = rule.priority?;
            let reasons = rule.matches(facts, &text)?;
            Some(Suggestion {
                priority,
                reason: format!("rubric rule {}: {}", i + 1, reasons.join(", ")),
            })
        })
    }
}

impl Rule {
    /// The reasons every listed condition holds, or `None` if one does not.
    /// `text`: the title and body lower-cased, made by the first rule that needs it.
    fn matches(
        &self,
        facts: &Facts<'_>,
        text: &std::cell::OnceCell<String>,
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
            let text =
                text.get_or_init(|| format!("{}\n{}", facts.title, facts.body).to_lowercase());
            let k = self
                .keywords
                .iter()
                .find(|k| contains_word(text, &k.to_lowercase()))?;
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

/// Whether `needle` occurs in `text` with no letter or digit right before or after it.
fn contains_word(text: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    text.match_indices(needle).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
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
        let rubric = Rubric {
            rules: vec![
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
            ],
        };
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
        let rubric = Rubric {
            rules: vec![Rule {
                priority: Some(Priority::Low),
                labels: vec!["enhancement".into()],
                sources: vec!["team/integrations".into()],
                ..Rule::default()
            }],
        };
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
}
