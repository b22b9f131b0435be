//! The GitHub webhook events baton acts on, normalized to what the server needs.

use chrono::{DateTime, Utc};
use serde::de::IgnoredAny;
use serde::Deserialize;

use super::mentions::{team_mentions, TeamMention};
use crate::error::{from_json_object, ParseError};

/// A webhook delivery, by its `X-GitHub-Event` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Sent when a webhook is created.
    Ping(Ping),
    /// `issues`: opened, labeled, closed, …
    Issues(IssuesEvent),
    /// `issue_comment` on an issue or a pull request.
    IssueComment(IssueCommentEvent),
    /// `pull_request`: review_requested, …
    PullRequest(PullRequestEvent),
    /// Any other event: accept it and do nothing. The body is not read.
    Ignored { event: String },
}

/// The `action` of an event. Actions baton does not name are kept as [`Action::Other`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Opened,
    Edited,
    Closed,
    Reopened,
    Labeled,
    Unlabeled,
    Assigned,
    Unassigned,
    Created,
    Deleted,
    ReviewRequested,
    ReviewRequestRemoved,
    Other(String),
}

const ACTIONS: [(&str, Action); 12] = [
    ("opened", Action::Opened),
    ("edited", Action::Edited),
    ("closed", Action::Closed),
    ("reopened", Action::Reopened),
    ("labeled", Action::Labeled),
    ("unlabeled", Action::Unlabeled),
    ("assigned", Action::Assigned),
    ("unassigned", Action::Unassigned),
    ("created", Action::Created),
    ("deleted", Action::Deleted),
    ("review_requested", Action::ReviewRequested),
    ("review_request_removed", Action::ReviewRequestRemoved),
];

impl Action {
    fn parse(s: String) -> Self {
        ACTIONS
            .iter()
            .find(|(name, _)| *name == s)
            .map_or(Action::Other(s), |(_, a)| a.clone())
    }

    /// The action as GitHub writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Action::Other(s) => s,
            known => ACTIONS
                .iter()
                .find(|(_, a)| a == known)
                .map_or("", |(name, _)| name),
        }
    }
}

/// `ping`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ping {
    /// A random piece of GitHub wisdom.
    pub zen: String,
    pub hook_id: Option<u64>,
    /// `Repository`, `Organization` or `App`.
    pub hook_type: Option<String>,
    /// The events the webhook is subscribed to: worth checking that `issues`,
    /// `issue_comment` and `pull_request` are among them.
    pub events: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IssueState {
    Open,
    Closed,
}

/// An issue (or, in `issue_comment`, possibly a pull request).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Issue {
    pub number: u64,
    pub title: String,
    /// Markdown; empty when GitHub sends `null`.
    pub body: String,
    pub html_url: String,
    /// The author's login.
    pub user: String,
    /// Label names.
    pub labels: Vec<String>,
    pub state: IssueState,
    /// Comments on pull requests arrive as `issue_comment` on the pull request's issue.
    pub is_pull_request: bool,
    /// When it was opened (`None` when absent or unreadable).
    pub created_at: Option<DateTime<Utc>>,
    /// When it was closed, for a closed issue.
    pub closed_at: Option<DateTime<Utc>>,
}

impl Issue {
    /// Whether it carries a label (names compare case-insensitively, as on GitHub).
    pub fn has_label(&self, name: &str) -> bool {
        self.labels.iter().any(|l| l.eq_ignore_ascii_case(name))
    }
}

/// `issues`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuesEvent {
    pub action: Action,
    pub issue: Issue,
    /// For `labeled` and `unlabeled`: the label added or removed.
    pub label: Option<String>,
    /// `sourcegraph/sourcegraph`.
    pub repository: String,
    /// Who did it.
    pub sender: String,
}

/// A comment on an issue or pull request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub id: u64,
    /// Markdown.
    pub body: String,
    /// The author's login.
    pub user: String,
    pub html_url: String,
    /// When it was written (`None` when absent or unreadable).
    pub created_at: Option<DateTime<Utc>>,
}

/// `issue_comment`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssueCommentEvent {
    pub action: Action,
    pub comment: Comment,
    pub issue: Issue,
    pub repository: String,
    pub sender: String,
    /// The `@org/team` mentions in the comment, outside code.
    pub team_mentions: Vec<TeamMention>,
}

/// A pull request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullRequest {
    pub number: u64,
    pub title: String,
    /// Markdown; empty when GitHub sends `null`.
    pub body: String,
    pub html_url: String,
    /// The author's login.
    pub user: String,
    pub draft: bool,
}

/// Whose review was requested (or whose request was removed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReviewRequest {
    /// A team: `org/slug` is how it is mentioned (`sourcegraph/integrations`).
    Team {
        org: String,
        slug: String,
        name: String,
    },
    User {
        login: String,
    },
}

/// `pull_request`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullRequestEvent {
    pub action: Action,
    pub pull_request: PullRequest,
    /// For `review_requested` and `review_request_removed`.
    pub requested: Option<ReviewRequest>,
    pub repository: String,
    pub sender: String,
}

#[derive(Deserialize)]
struct RawUser {
    login: String,
}

#[derive(Deserialize)]
struct RawLabel {
    name: String,
}

#[derive(Deserialize)]
struct RawRepository {
    full_name: String,
}

#[derive(Deserialize)]
struct RawIssue {
    number: u64,
    title: String,
    body: Option<String>,
    html_url: String,
    user: RawUser,
    labels: Option<Vec<RawLabel>>,
    state: String,
    pull_request: Option<IgnoredAny>,
    created_at: Option<serde_json::Value>,
    closed_at: Option<serde_json::Value>,
}

/// A GitHub timestamp (RFC 3339, `2022-10-04T09:14:07Z`); `None` when absent or unreadable, as
/// it only refines when something happened.
fn instant(value: Option<&serde_json::Value>) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value?.as_str()?.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

impl From<RawIssue> for Issue {
    fn from(raw: RawIssue) -> Self {
        Issue {
            number: raw.number,
            title: raw.title,
            body: raw.body.unwrap_or_default(),
            html_url: raw.html_url,
            user: raw.user.login,
            labels: raw
                .labels
                .unwrap_or_default()
                .into_iter()
                .map(|l| l.name)
                .collect(),
            state: if raw.state.eq_ignore_ascii_case("closed") {
                IssueState::Closed
            } else {
                IssueState::Open
            },
            is_pull_request: raw.pull_request.is_some(),
            created_at: instant(raw.created_at.as_ref()),
            closed_at: instant(raw.closed_at.as_ref()),
        }
    }
}

#[derive(Deserialize)]
struct RawIssuesEvent {
    action: String,
    issue: RawIssue,
    label: Option<RawLabel>,
    repository: RawRepository,
    sender: RawUser,
}

#[derive(Deserialize)]
struct RawComment {
    id: u64,
    body: Option<String>,
    user: RawUser,
    html_url: String,
    created_at: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawIssueCommentEvent {
    action: String,
    issue: RawIssue,
    comment: RawComment,
    repository: RawRepository,
    sender: RawUser,
}

#[derive(Deserialize)]
struct RawPullRequest {
    number: u64,
    title: String,
    body: Option<String>,
    html_url: String,
    user: RawUser,
    draft: Option<bool>,
}

#[derive(Deserialize)]
struct RawTeam {
    slug: String,
    name: String,
}

#[derive(Deserialize)]
struct RawPullRequestEvent {
    action: String,
    pull_request: RawPullRequest,
    requested_team: Option<RawTeam>,
    requested_reviewer: Option<RawUser>,
    repository: RawRepository,
    organization: Option<RawUser>,
    sender: RawUser,
}

#[derive(Deserialize)]
struct RawPing {
    zen: Option<String>,
    hook_id: Option<u64>,
    hook: Option<RawHook>,
}

#[derive(Deserialize)]
struct RawHook {
    #[serde(rename = "type")]
    kind: Option<String>,
    events: Option<Vec<String>>,
}

/// Reads a webhook body by the value of its `X-GitHub-Event` header. Events other than `ping`,
/// `issues`, `issue_comment` and `pull_request` are [`Event::Ignored`] without reading the body.
pub fn parse(event: &str, body: &[u8]) -> Result<Event, ParseError> {
    let event = event.trim().to_ascii_lowercase();
    match event.as_str() {
        "" => Err(ParseError::new(
            "GitHub webhook",
            "no event name (the X-GitHub-Event header)",
        )),
        "ping" => {
            let raw: RawPing = from_json_object("GitHub ping payload", body)?;
            let hook = raw.hook;
            Ok(Event::Ping(Ping {
                zen: raw.zen.unwrap_or_default(),
                hook_id: raw.hook_id,
                hook_type: hook.as_ref().and_then(|h| h.kind.clone()),
                events: hook.and_then(|h| h.events).unwrap_or_default(),
            }))
        }
        "issues" => {
            let raw: RawIssuesEvent = from_json_object("GitHub issues payload", body)?;
            Ok(Event::Issues(IssuesEvent {
                action: Action::parse(raw.action),
                issue: raw.issue.into(),
                label: raw.label.map(|l| l.name),
                repository: raw.repository.full_name,
                sender: raw.sender.login,
            }))
        }
        "issue_comment" => {
            let raw: RawIssueCommentEvent = from_json_object("GitHub issue_comment payload", body)?;
            let body = raw.comment.body.unwrap_or_default();
            Ok(Event::IssueComment(IssueCommentEvent {
                action: Action::parse(raw.action),
                team_mentions: team_mentions(&body),
                comment: Comment {
                    id: raw.comment.id,
                    body,
                    user: raw.comment.user.login,
                    html_url: raw.comment.html_url,
                    created_at: instant(raw.comment.created_at.as_ref()),
                },
                issue: raw.issue.into(),
                repository: raw.repository.full_name,
                sender: raw.sender.login,
            }))
        }
        "pull_request" => {
            let raw: RawPullRequestEvent = from_json_object("GitHub pull_request payload", body)?;
            // Teams belong to the organization that owns the repository.
            let org = raw.organization.map(|o| o.login).unwrap_or_else(|| {
                raw.repository
                    .full_name
                    .split('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned()
            });
            let requested = match (raw.requested_team, raw.requested_reviewer) {
                (Some(team), _) => Some(ReviewRequest::Team {
                    org,
                    slug: team.slug,
                    name: team.name,
                }),
                (None, Some(user)) => Some(ReviewRequest::User { login: user.login }),
                (None, None) => None,
            };
            let pr = raw.pull_request;
            Ok(Event::PullRequest(PullRequestEvent {
                action: Action::parse(raw.action),
                pull_request: PullRequest {
                    number: pr.number,
                    title: pr.title,
                    body: pr.body.unwrap_or_default(),
                    html_url: pr.html_url,
                    user: pr.user.login,
                    draft: pr.draft.unwrap_or(false),
                },
                requested,
                repository: raw.repository.full_name,
                sender: raw.sender.login,
            }))
        }
        _ => Ok(Event::Ignored { event }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_round_trip() {
        for (name, _) in ACTIONS {
            assert_eq!(Action::parse(name.to_owned()).as_str(), name);
        }
        assert_eq!(
            Action::parse("transferred".into()),
            Action::Other("transferred".into())
        );
        assert_eq!(Action::Other("transferred".into()).as_str(), "transferred");
    }

    #[test]
    fn other_events_are_ignored_unread() {
        assert_eq!(
            parse(" Push ", b"not even json"),
            Ok(Event::Ignored {
                event: "push".into()
            })
        );
        assert!(parse("", b"{}").is_err());
        assert_eq!(
            parse("issues", b"[1]").unwrap_err().to_string(),
            "GitHub issues payload: expected a JSON object"
        );
    }
}
