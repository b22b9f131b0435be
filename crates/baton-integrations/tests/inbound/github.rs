//! GitHub webhook payloads.

use baton_integrations::github::{
    self, Action, Event, IssueCommentEvent, IssueState, IssuesEvent, PullRequestEvent,
    ReviewRequest, TeamMention,
};

use crate::{fixture, fixtures};

fn parse(event: &str, name: &str) -> Event {
    github::parse(event, &fixture(&format!("github/{name}")))
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn issues(name: &str) -> IssuesEvent {
    match parse("issues", name) {
        Event::Issues(e) => e,
        other => panic!("{name}: {other:?}"),
    }
}

fn comment(name: &str) -> IssueCommentEvent {
    match parse("issue_comment", name) {
        Event::IssueComment(e) => e,
        other => panic!("{name}: {other:?}"),
    }
}

fn pull_request(name: &str) -> PullRequestEvent {
    match parse("pull_request", name) {
        Event::PullRequest(e) => e,
        other => panic!("{name}: {other:?}"),
    }
}

/// The `X-GitHub-Event` header each fixture is delivered with.
fn event_name(file: &str) -> &'static str {
    for (prefix, event) in [
        ("issue_comment", "issue_comment"),
        ("issues", "issues"),
        ("pull_request", "pull_request"),
        ("ping", "ping"),
        ("star", "star"),
    ] {
        if file.starts_with(prefix) {
            return event;
        }
    }
    panic!("no event for {file}")
}

#[test]
fn every_fixture_parses_as_its_event() {
    let all = fixtures("github");
    assert_eq!(all.len(), 9);
    for (name, body) in all {
        let event =
            github::parse(event_name(&name), &body).unwrap_or_else(|e| panic!("{name}: {e}"));
        let ignored = matches!(event, Event::Ignored { .. });
        assert_eq!(ignored, name.starts_with("star"), "{name}");
    }
}

#[test]
fn ping() {
    let Event::Ping(ping) = parse("ping", "ping.json") else {
        panic!("not a ping")
    };
    assert_eq!(ping.zen, "Design for failure.");
    assert_eq!(ping.hook_id, Some(381029117));
    assert_eq!(ping.hook_type.as_deref(), Some("Organization"));
    assert_eq!(ping.events, ["issue_comment", "issues", "pull_request"]);
}

#[test]
fn an_issue_opened_with_the_team_label() {
    let e = issues("issues_opened.json");
    assert_eq!(e.action, Action::Opened);
    assert_eq!(e.repository, "sourcegraph/sourcegraph");
    assert_eq!(e.sender, "alice-example");
    assert_eq!(e.label, None);
    let issue = e.issue;
    assert_eq!(issue.number, 42817);
    assert_eq!(
        issue.title,
        "JetBrains plugin: access token sign-in fails with 401 on 2022.2"
    );
    assert!(issue
        .body
        .starts_with("**Describe the bug**\nAfter updating"));
    assert_eq!(
        issue.html_url,
        "https://github.com/sourcegraph/sourcegraph/issues/42817"
    );
    assert_eq!(issue.user, "alice-example");
    assert_eq!(issue.labels, ["bug", "team/integrations", "jetbrains-ide"]);
    assert!(issue.has_label("team/integrations"));
    assert!(issue.has_label("Team/Integrations"));
    assert!(!issue.has_label("team/search"));
    assert_eq!(issue.state, IssueState::Open);
    assert!(!issue.is_pull_request);
}

#[test]
fn an_issue_labeled_later_names_the_label() {
    let e = issues("issues_labeled.json");
    assert_eq!(e.action, Action::Labeled);
    assert_eq!(e.label.as_deref(), Some("team/integrations"));
    assert_eq!(e.sender, "bob-search");
    assert_eq!(e.issue.number, 42790);
    assert_eq!(e.issue.user, "alice-example");
    assert_eq!(e.issue.labels, ["vscode-extension", "team/integrations"]);
}

#[test]
fn an_issue_closed_by_a_team_member() {
    let e = issues("issues_closed.json");
    assert_eq!(e.action, Action::Closed);
    assert_eq!(e.issue.state, IssueState::Closed);
    assert_eq!(e.issue.number, 42817);
    assert_eq!(e.sender, "taras-dev");
}

#[test]
fn a_comment_mentioning_the_github_team() {
    let e = comment("issue_comment_created_team_mention.json");
    assert_eq!(e.action, Action::Created);
    assert_eq!(e.comment.id, 1266411234);
    assert_eq!(e.comment.user, "bob-search");
    assert_eq!(
        e.comment.html_url,
        "https://github.com/sourcegraph/sourcegraph/issues/42801#issuecomment-1266411234"
    );
    assert!(e
        .comment
        .body
        .starts_with("@sourcegraph/integrations could you"));
    assert_eq!(e.issue.number, 42801);
    assert_eq!(
        e.issue.title,
        "Browser extension: code intel popovers missing on GitHub Enterprise 3.6"
    );
    assert_eq!(
        e.issue.html_url,
        "https://github.com/sourcegraph/sourcegraph/issues/42801"
    );
    assert_eq!(e.repository, "sourcegraph/sourcegraph");
    // The mention inside the fenced code block and the package in a code span do not count.
    assert_eq!(
        e.team_mentions,
        [
            TeamMention {
                org: "sourcegraph".into(),
                slug: "integrations".into()
            },
            TeamMention {
                org: "sourcegraph".into(),
                slug: "search-core".into()
            },
        ]
    );
    assert!(e
        .team_mentions
        .iter()
        .any(|m| m.is("sourcegraph/integrations")));
}

#[test]
fn a_comment_by_a_team_member_on_an_inquirys_issue() {
    let e = comment("issue_comment_created_by_member.json");
    assert_eq!(e.action, Action::Created);
    assert_eq!(e.comment.user, "taras-dev");
    assert_eq!(e.sender, "taras-dev");
    assert_eq!(e.issue.number, 42817);
    assert_eq!(e.issue.user, "alice-example");
    assert!(e.issue.has_label("team/integrations"));
    assert!(e.team_mentions.is_empty());
}

#[test]
fn a_review_requested_from_the_team() {
    let e = pull_request("pull_request_review_requested_team.json");
    assert_eq!(e.action, Action::ReviewRequested);
    assert_eq!(
        e.requested,
        Some(ReviewRequest::Team {
            org: "sourcegraph".into(),
            slug: "integrations".into(),
            name: "Integrations".into()
        })
    );
    let pr = e.pull_request;
    assert_eq!(pr.number, 42825);
    assert_eq!(
        pr.title,
        "search: share the query input with the browser extension"
    );
    assert!(pr.body.contains("## Test plan"));
    assert_eq!(
        pr.html_url,
        "https://github.com/sourcegraph/sourcegraph/pull/42825"
    );
    assert_eq!(pr.user, "bob-search");
    assert!(!pr.draft);
    assert_eq!(e.sender, "bob-search");
}

#[test]
fn a_review_requested_from_a_person() {
    let e = pull_request("pull_request_review_requested_user.json");
    assert_eq!(
        e.requested,
        Some(ReviewRequest::User {
            login: "david-dev".into()
        })
    );
}

#[test]
fn other_events_are_ignored() {
    assert_eq!(
        parse("star", "star_created.json"),
        Event::Ignored {
            event: "star".into()
        }
    );
}

#[test]
fn nulls_github_sends_are_accepted() {
    let body = br#"{"action":"opened","issue":{"number":1,"title":"t","body":null,"html_url":"h",
        "user":{"login":"u"},"labels":null,"state":"open","pull_request":null},
        "repository":{"full_name":"o/r"},"sender":{"login":"u"}}"#;
    let Ok(Event::Issues(e)) = github::parse("issues", body) else {
        panic!()
    };
    assert_eq!(e.issue.body, "");
    assert!(e.issue.labels.is_empty());
    assert!(!e.issue.is_pull_request);

    let comment_on_pr =
        br#"{"action":"created","issue":{"number":2,"title":"t","body":"b","html_url":"h",
        "user":{"login":"u"},"labels":[],"state":"open","pull_request":{"url":"x"}},
        "comment":{"id":5,"body":null,"user":{"login":"v"},"html_url":"c"},
        "repository":{"full_name":"o/r"},"sender":{"login":"v"}}"#;
    let Ok(Event::IssueComment(e)) = github::parse("issue_comment", comment_on_pr) else {
        panic!()
    };
    assert!(e.issue.is_pull_request);
    assert_eq!(e.comment.body, "");
}

#[test]
fn malformed_payloads_say_what_is_wrong() {
    let e = |event: &str, body: &str| {
        github::parse(event, body.as_bytes())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        e("issues", r#"{"action":"opened"}"#),
        "GitHub issues payload: missing field `issue` at line 1 column 19"
    );
    assert!(e(
        "pull_request",
        r#"{"action":"closed","pull_request":{"number":"x"}}"#
    )
    .starts_with("GitHub pull_request payload: invalid type: string \"x\", expected u64"));
    assert_eq!(
        e("ping", "payload=%7B%7D"),
        "GitHub ping payload: expected a JSON object"
    );
}

#[test]
fn issues_and_comments_carry_when_they_happened() {
    let instant = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let opened = issues("issues_opened.json");
    assert_eq!(
        opened.issue.created_at,
        Some(instant("2022-10-04T09:14:07Z"))
    );
    assert_eq!(opened.issue.closed_at, None);
    let closed = issues("issues_closed.json");
    assert_eq!(
        closed.issue.closed_at,
        Some(instant("2022-10-04T13:45:30Z"))
    );
    let reply = comment("issue_comment_created_by_member.json");
    assert_eq!(
        reply.comment.created_at,
        Some(instant("2022-10-04T09:31:52Z"))
    );

    // An unreadable time is only a missing refinement, never a refused delivery.
    let mut raw: serde_json::Value =
        serde_json::from_slice(&fixture("github/issue_comment_created_by_member.json")).unwrap();
    raw["comment"]["created_at"] = "yesterday".into();
    raw["issue"]["created_at"] = 12.into();
    match github::parse("issue_comment", raw.to_string().as_bytes()) {
        Ok(Event::IssueComment(e)) => {
            assert_eq!(e.comment.created_at, None);
            assert_eq!(e.issue.created_at, None);
        }
        other => panic!("{other:?}"),
    }
}
