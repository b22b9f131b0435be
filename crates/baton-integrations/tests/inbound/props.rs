//! Properties: no input makes a parser or verifier panic, and a few round trips hold.

use baton_integrations::slack::{self, text, Mrkdwn, Response, SignatureHeaders, Subcommand};
use baton_integrations::{alerts, github, VerifyError};
use chrono::DateTime;
use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::fixture;

const GITHUB_EVENTS: [&str; 6] = [
    "ping",
    "issues",
    "issue_comment",
    "pull_request",
    "push",
    "",
];

/// Runs every parser on `body`. Results do not matter; panics do.
fn parse_everything(body: &[u8]) {
    let _ = slack::parse_event(body);
    let _ = slack::parse_command(body);
    for event in GITHUB_EVENTS {
        let _ = github::parse(event, body);
    }
    let _ = alerts::parse_alertmanager(body);
    let _ = alerts::parse_grafana(body);
    let _ = alerts::parse_generic(body);
}

/// Field names the parsers look for, so that random JSON reaches past the first check.
const KEYS: &[&str] = &[
    "type",
    "challenge",
    "event_id",
    "event_time",
    "team_id",
    "event",
    "channel",
    "user",
    "bot_id",
    "subtype",
    "text",
    "ts",
    "thread_ts",
    "message",
    "previous_message",
    "deleted_ts",
    "reaction",
    "item",
    "item_user",
    "event_ts",
    "action",
    "issue",
    "number",
    "title",
    "body",
    "html_url",
    "login",
    "labels",
    "name",
    "state",
    "pull_request",
    "label",
    "repository",
    "full_name",
    "sender",
    "comment",
    "id",
    "requested_team",
    "requested_reviewer",
    "slug",
    "organization",
    "zen",
    "hook_id",
    "hook",
    "events",
    "receiver",
    "status",
    "alerts",
    "annotations",
    "startsAt",
    "endsAt",
    "generatorURL",
    "fingerprint",
    "values",
    "severity",
    "link",
    "url",
    "description",
    "groupKey",
    "truncatedAlerts",
    "externalURL",
];

/// String values that mean something to the parsers.
const WORDS: &[&str] = &[
    "event_callback",
    "url_verification",
    "message",
    "app_mention",
    "reaction_added",
    "reaction_removed",
    "message_changed",
    "message_deleted",
    "bot_message",
    "channel_join",
    "firing",
    "resolved",
    "opened",
    "labeled",
    "closed",
    "review_requested",
    "created",
    "0001-01-01T00:00:00Z",
    "2022-10-04T09:14:07Z",
    "1664874847.123459",
    "<@U01TARAS>",
    "<!subteam^S0INTTEAM|@integrations-team>",
    "@sourcegraph/integrations",
    "&amp;",
    "",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(WORDS).prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|kv| {
                Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

/// Slack-like text: control sequences, escapes and their broken halves.
fn slack_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("<".to_owned()),
            Just(">".to_owned()),
            Just("|".to_owned()),
            Just("<@".to_owned()),
            Just("<#".to_owned()),
            Just("<!".to_owned()),
            Just("<!subteam^".to_owned()),
            Just("&amp;".to_owned()),
            Just("&lt".to_owned()),
            Just("&".to_owned()),
            Just("`".to_owned()),
            Just("```\n".to_owned()),
            Just("@sourcegraph/".to_owned()),
            "[A-Za-z0-9 ]{0,6}",
            ".{0,3}",
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

fn fixture_bodies() -> Vec<Vec<u8>> {
    [
        "slack/message_changed.json",
        "slack/reaction_added.json",
        "slack/slash_command_checked.form",
        "github/issue_comment_created_team_mention.json",
        "github/pull_request_review_requested_team.json",
        "alertmanager/firing.json",
        "grafana/firing.json",
    ]
    .iter()
    .map(|name| fixture(name))
    .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        parse_everything(&body);
    }

    #[test]
    fn arbitrary_json_never_panics(value in json_value()) {
        parse_everything(&serde_json::to_vec(&value).unwrap());
        // The same value inside an event callback reaches the inner event parsers.
        let wrapped = serde_json::json!({
            "type": "event_callback", "event_id": "Ev1", "event_time": 1, "team_id": "T1",
            "event": value,
        });
        let _ = slack::parse_event(&serde_json::to_vec(&wrapped).unwrap());
    }

    #[test]
    fn damaged_fixtures_never_panic(
        which in 0usize..7,
        at in any::<prop::sample::Index>(),
        len in 0usize..16,
        junk in prop::collection::vec(any::<u8>(), 0..16),
    ) {
        let mut body = fixture_bodies().swap_remove(which);
        let start = at.index(body.len());
        let end = (start + len).min(body.len());
        body.splice(start..end, junk);
        parse_everything(&body);
    }

    #[test]
    fn arbitrary_form_fields_never_panic(
        fields in prop::collection::vec(("[a-z_]{1,12}", ".{0,20}"), 0..14),
    ) {
        let body = serde_urlencoded::to_string(&fields).unwrap();
        if let Ok(cmd) = slack::parse_command(body.as_bytes()) {
            let _ = cmd.subcommand();
        }
    }

    #[test]
    fn verifiers_never_panic(
        secret in prop::collection::vec(any::<u8>(), 0..40),
        timestamp in prop::option::of(".{0,24}"),
        signature in prop::option::of(".{0,80}"),
        body in prop::collection::vec(any::<u8>(), 0..64),
        now in -100_000_000_000i64..100_000_000_000,
    ) {
        let now = DateTime::from_timestamp(now, 0).unwrap();
        let _ = slack::verify(
            &secret,
            SignatureHeaders { timestamp: timestamp.as_deref(), signature: signature.as_deref() },
            &body,
            now,
        );
        let _ = github::verify(&secret, signature.as_deref(), &body);
        let expected = String::from_utf8_lossy(&secret);
        let _ = alerts::verify_token(&expected, signature.as_deref());
    }

    #[test]
    fn slack_signatures_round_trip(
        secret in prop::collection::vec(any::<u8>(), 1..40),
        body in prop::collection::vec(any::<u8>(), 0..64),
        ts in 0i64..10_000_000_000,
        skew in -300i64..=300,
        flip in any::<prop::sample::Index>(),
    ) {
        let signature = slack::sign(&secret, ts, &body);
        let timestamp = ts.to_string();
        let headers = SignatureHeaders { timestamp: Some(&timestamp), signature: Some(&signature) };
        let now = DateTime::from_timestamp(ts + skew, 0).unwrap();
        prop_assert_eq!(slack::verify(&secret, headers, &body, now), Ok(()));
        let mut tampered = body.clone();
        if tampered.is_empty() {
            tampered.push(0);
        } else {
            let i = flip.index(tampered.len());
            tampered[i] ^= 0x80;
        }
        prop_assert_eq!(slack::verify(&secret, headers, &tampered, now), Err(VerifyError::Mismatch));
    }

    #[test]
    fn github_signatures_round_trip(
        secret in prop::collection::vec(any::<u8>(), 1..40),
        body in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let signature = github::sign(&secret, &body);
        prop_assert_eq!(github::verify(&secret, Some(&signature), &body), Ok(()));
        let mut other = secret.clone();
        other.push(1);
        prop_assert_eq!(github::verify(&other, Some(&signature), &body), Err(VerifyError::Mismatch));
    }

    #[test]
    fn tokens_match_only_themselves(a in ".{1,40}", b in ".{0,40}") {
        prop_assert_eq!(alerts::verify_token(&a, Some(&a)), Ok(()));
        prop_assert_eq!(alerts::verify_token(&a, Some(&b)).is_ok(), a == b);
    }

    #[test]
    fn subcommand_parser_never_panics(text in ".{0,80}") {
        let _ = Subcommand::parse(&text);
    }

    #[test]
    fn subcommand_parser_on_command_like_text(
        words in prop::collection::vec(
            prop_oneof![
                prop::sample::select(&["ack", "priority", "checked", "who", "queue", "help",
                    "high", "LOW", "#", "<#C0INTEGRAT|integrations>", "<#", "|>", "&lt;", "-1"][..])
                    .prop_map(str::to_owned),
                "#?[0-9]{1,22}",
                ".{0,4}",
            ],
            0..5,
        ),
    ) {
        let text = words.join(" ");
        if let Subcommand::Help { error: Some(error) } = Subcommand::parse(&text) {
            prop_assert!(!error.is_empty());
            prop_assert!(error.chars().count() < 120, "{}", error);
        }
    }

    #[test]
    fn slack_text_rendering_never_panics(text in ".{0,120}") {
        let _ = text::plain_text(&text);
        let _ = text::mentions(&text);
        let _ = github::team_mentions(&text);
    }

    #[test]
    fn slack_like_text_rendering_never_panics(text in slack_text()) {
        let plain = text::plain_text(&text);
        prop_assert!(!plain.contains("&amp;"));
        let mentions = text::mentions(&text);
        for user in &mentions.users {
            let needle = format!("<@{user}");
            prop_assert!(text.contains(&needle));
        }
        let _ = github::team_mentions(&text);
    }

    #[test]
    fn plain_text_without_markup_is_unchanged(text in "[^<&]{0,80}") {
        prop_assert_eq!(text::plain_text(&text), text);
    }

    #[test]
    fn escaping_round_trips(text in ".{0,80}") {
        let escaped = slack::escape(&text);
        prop_assert!(!escaped.contains('<') && !escaped.contains('>'));
        prop_assert_eq!(text::unescape(&escaped), text.as_str());
        // Escaped text has no control sequences: it renders as itself.
        prop_assert_eq!(text::plain_text(&escaped), text);
    }

    #[test]
    fn responses_are_always_valid_slack_json(
        pieces in prop::collection::vec(".{0,200}", 0..30),
        long in 0usize..4000,
    ) {
        let mut response = Response::ephemeral(pieces.concat());
        for (i, p) in pieces.iter().enumerate() {
            response = match i % 4 {
                0 => response.section(Mrkdwn::new().bold(p).text(&"x".repeat(long / 10)).user(p)),
                1 => response.context(Mrkdwn::new().link(p, p).code(p)),
                2 => response.section(format!("{}{}", "&".repeat(long), p)),
                _ => response.divider(),
            };
        }
        let json = response.to_json();
        prop_assert!(json["response_type"] == "ephemeral");
        for block in json["blocks"].as_array().into_iter().flatten() {
            if let Some(text) = block["text"]["text"].as_str() {
                prop_assert!(text.chars().count() <= 3000);
                prop_assert!(!text.ends_with("&am…"));
            }
        }
    }
}
