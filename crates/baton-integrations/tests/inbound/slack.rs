//! Slack Events API and slash command payloads.

use baton_core::sla::Priority;
use baton_integrations::slack::{
    self, Envelope, Event, EventCallback, Message, MessageKind, Reaction, ReactionItem, SourceRef,
    Subcommand, UserGroupMention,
};
use chrono::{DateTime, Utc};

use crate::{fixture, fixtures};

const QUESTION_TS: &str = "1664874847.123459";

fn callback(name: &str) -> EventCallback {
    match slack::parse_event(&fixture(&format!("slack/{name}"))) {
        Ok(Envelope::Event(cb)) => *cb,
        other => panic!("{name}: {other:?}"),
    }
}

fn message(name: &str) -> Message {
    match callback(name).event {
        Event::Message(m) => m,
        other => panic!("{name}: {other:?}"),
    }
}

fn reaction(name: &str) -> (Reaction, bool) {
    match callback(name).event {
        Event::ReactionAdded(r) => (r, true),
        Event::ReactionRemoved(r) => (r, false),
        other => panic!("{name}: {other:?}"),
    }
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
}

#[test]
fn every_event_fixture_parses() {
    for (name, body) in fixtures("slack") {
        if name.ends_with(".json") {
            slack::parse_event(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        } else {
            slack::parse_command(&body).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

#[test]
fn url_verification_carries_the_challenge() {
    assert_eq!(
        slack::parse_event(&fixture("slack/url_verification.json")),
        Ok(Envelope::UrlVerification {
            challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P".into()
        })
    );
}

#[test]
fn a_top_level_question_in_the_channel() {
    let cb = callback("message_channel.json");
    assert_eq!(cb.event_id, "Ev044R2K7Q1N");
    assert_eq!(cb.team_id, "T0SRCGRAPH");
    assert_eq!(cb.event_time, at("2022-10-04T09:14:07Z"));
    let Event::Message(m) = cb.event else {
        panic!("not a message")
    };
    assert_eq!(m.channel, "C0INTEGRAT");
    assert_eq!(m.channel_type.as_deref(), Some("channel"));
    assert_eq!(m.user.as_deref(), Some("U02ALICE"));
    assert_eq!(m.kind, MessageKind::Human);
    assert!(m.is_human());
    assert_eq!(m.ts, QUESTION_TS);
    assert_eq!(m.thread_ts, None);
    assert!(!m.is_thread_reply());
    assert_eq!(m.thread_root(), QUESTION_TS);
    assert_eq!(m.sent_at(), Some(at("2022-10-04T09:14:07.123459Z")));
    assert!(m.text.contains("&amp;"));
    assert_eq!(
        m.plain_text,
        "Hi team :wave: the VS Code extension can't open files from search results in a \
         Remote-SSH workspace & the output channel shows `Cannot open sourcegraph://…`. \
         Details in #42790. Is this known?"
    );
    assert!(m.mentions.users.is_empty());
    assert!(m.mentions.user_groups.is_empty());
}

#[test]
fn a_thread_reply_by_the_engineer_on_duty() {
    let m = message("message_thread_reply.json");
    assert_eq!(m.user.as_deref(), Some("U01TARAS"));
    assert_eq!(m.kind, MessageKind::Human);
    assert!(m.is_thread_reply());
    assert_eq!(m.thread_ts.as_deref(), Some(QUESTION_TS));
    assert_eq!(m.thread_root(), QUESTION_TS);
    assert_eq!(m.mentions.users, ["U02ALICE"]);
    assert_eq!(
        m.plain_text,
        "Thanks @U02ALICE! Not known yet, I'm looking into it :eyes:"
    );
}

#[test]
fn a_mention_of_the_team_handle_elsewhere() {
    let m = message("message_subteam_mention.json");
    assert_eq!(m.channel, "C0CUSTSUPP");
    assert_eq!(m.user.as_deref(), Some("U02ALICE"));
    assert_eq!(
        m.mentions.user_groups,
        [UserGroupMention {
            id: "S0INTTEAM".into(),
            handle: Some("@integrations-team".into()),
        }]
    );
    assert!(m.mentions.mentions_group("@integrations-team"));
    assert!(m.mentions.mentions_group("S0INTTEAM"));
    assert_eq!(m.mentions.users, ["U01TARAS"]);
    assert!(m.mentions.mentions_user("U01TARAS"));
    assert_eq!(
        m.plain_text,
        "@integrations-team a customer on GHE 3.6 reports missing code intel popovers with the \
         browser extension, cc @U01TARAS — see https://github.com/sourcegraph/sourcegraph/issues/42801"
    );
}

#[test]
fn an_app_mention() {
    let cb = callback("app_mention.json");
    let Event::AppMention(m) = cb.event else {
        panic!("not an app mention")
    };
    assert_eq!(m.channel, "C0INTEGRAT");
    assert_eq!(m.channel_type, None);
    assert_eq!(m.user.as_deref(), Some("U02ALICE"));
    assert_eq!(m.kind, MessageKind::Human);
    assert_eq!(m.mentions.users, ["U0BATONBOT"]);
    assert!(m.mentions.mentions_group("integrations-team"));
    assert_eq!(
        m.plain_text,
        "@U0BATONBOT who is on support for @integrations-team this week?"
    );
}

#[test]
fn bot_messages_edits_and_joins_are_not_human() {
    let bot = message("message_bot_message.json");
    assert_eq!(bot.kind, MessageKind::Bot);
    assert_eq!(bot.subtype.as_deref(), Some("bot_message"));
    assert_eq!(bot.bot_id.as_deref(), Some("B0GITHUBAP"));
    assert_eq!(bot.user, None);
    assert!(!bot.is_human());
    assert_eq!(
        bot.plain_text,
        "New issue #42817 JetBrains plugin: access token sign-in fails with 401 on 2022.2 \
         opened by alice-example"
    );

    let edit = message("message_changed.json");
    assert_eq!(edit.kind, MessageKind::Edited);
    assert_eq!(edit.subtype.as_deref(), Some("message_changed"));
    assert_eq!(edit.channel, "C0INTEGRAT");
    assert_eq!(edit.ts, QUESTION_TS, "an edit names the edited message");
    assert_eq!(edit.user.as_deref(), Some("U02ALICE"));
    assert!(edit
        .plain_text
        .contains("Remote-SSH workspace (on Linux) & the output"));
    assert!(!edit.is_human());

    let join = message("message_channel_join.json");
    assert_eq!(join.kind, MessageKind::Join);
    assert_eq!(join.user.as_deref(), Some("U01DAVID"));
    assert_eq!(join.plain_text, "@U01DAVID has joined the channel");
    assert!(!join.is_human());
}

#[test]
fn reactions_name_the_message_they_are_on() {
    for (name, added) in [
        ("reaction_added.json", true),
        ("reaction_removed.json", false),
    ] {
        let (r, was_added) = reaction(name);
        assert_eq!(was_added, added, "{name}");
        assert_eq!(r.user, "U01PHILIPP");
        assert_eq!(r.reaction, "eyes");
        assert_eq!(r.item_user.as_deref(), Some("U02ALICE"));
        assert_eq!(
            r.item,
            ReactionItem::Message {
                channel: "C0INTEGRAT".into(),
                ts: QUESTION_TS.into()
            }
        );
    }
}

#[test]
fn unknown_event_and_request_types_are_ignored() {
    assert_eq!(
        callback("member_joined_channel.json").event,
        Event::Ignored {
            kind: "member_joined_channel".into()
        }
    );
    assert_eq!(
        slack::parse_event(br#"{"type":"app_rate_limited","minute_rate_limited":1518467820}"#),
        Ok(Envelope::Ignored {
            kind: "app_rate_limited".into()
        })
    );
    let file_reaction = br#"{"type":"event_callback","event_id":"Ev1","event_time":1,"team_id":"T1",
        "event":{"type":"reaction_added","user":"U1","reaction":"eyes","item":{"type":"file","file":"F1"},"event_ts":"1.2"}}"#;
    let Ok(Envelope::Event(cb)) = slack::parse_event(file_reaction) else {
        panic!()
    };
    let Event::ReactionAdded(r) = cb.event else {
        panic!()
    };
    assert_eq!(
        r.item,
        ReactionItem::Other {
            kind: "file".into()
        }
    );
    assert_eq!(r.item_user, None);
}

fn inner(event: &str) -> Result<Event, baton_integrations::ParseError> {
    let body = format!(
        r#"{{"type":"event_callback","event_id":"Ev1","event_time":1664874847,"team_id":"T0SRCGRAPH","event":{event}}}"#
    );
    slack::parse_event(body.as_bytes()).map(|e| match e {
        Envelope::Event(cb) => cb.event,
        other => panic!("{other:?}"),
    })
}

#[test]
fn other_message_subtypes() {
    let Ok(Event::Message(m)) = inner(
        r#"{"type":"message","user":"U0BATONBOT","bot_id":"B0BATON","text":"On duty: <@U01TARAS>","ts":"2.0","channel":"C0INTEGRAT"}"#,
    ) else {
        panic!()
    };
    assert_eq!(
        m.kind,
        MessageKind::Bot,
        "apps post with a bot_id and no subtype"
    );

    let Ok(Event::Message(m)) = inner(
        r#"{"type":"message","subtype":"thread_broadcast","user":"U01TARAS","text":"fixed","ts":"3.0","thread_ts":"1.0","channel":"C0INTEGRAT"}"#,
    ) else {
        panic!()
    };
    assert_eq!(m.kind, MessageKind::Human);
    assert!(m.is_thread_reply());

    let Ok(Event::Message(m)) = inner(
        r#"{"type":"message","subtype":"message_deleted","hidden":true,"deleted_ts":"1.5","ts":"4.0","channel":"C0INTEGRAT",
            "previous_message":{"type":"message","user":"U02ALICE","text":"oops","ts":"1.5"}}"#,
    ) else {
        panic!()
    };
    assert_eq!(
        (m.kind, m.ts.as_str(), m.user.as_deref(), m.text.as_str()),
        (MessageKind::Deleted, "1.5", Some("U02ALICE"), "oops")
    );

    let Ok(Event::Message(m)) = inner(
        r#"{"type":"message","subtype":"channel_topic","user":"U01BEATRIX","text":"set the topic","ts":"5.0","channel":"C0INTEGRAT","topic":"x"}"#,
    ) else {
        panic!()
    };
    assert_eq!(m.kind, MessageKind::Other);
    assert_eq!(m.subtype.as_deref(), Some("channel_topic"));
}

#[test]
fn malformed_requests_say_what_is_wrong() {
    let e = |body: &str| slack::parse_event(body.as_bytes()).unwrap_err().to_string();
    assert_eq!(e(""), "Slack Events API request: the body is empty");
    assert_eq!(
        e("token=x&challenge=y"),
        "Slack Events API request: expected a JSON object"
    );
    assert!(e(r#"{"type": "event_callback""#).contains("EOF while parsing an object"));
    assert_eq!(
        e(r#"{"challenge": "x"}"#),
        "Slack Events API request: missing field `type` at line 1 column 18"
    );
    assert_eq!(
        e(r#"{"type": "url_verification"}"#),
        "Slack Events API request: missing field `challenge`"
    );
    assert_eq!(
        e(r#"{"type":"event_callback","event_id":"Ev1","event_time":1,"team_id":"T1"}"#),
        "Slack Events API request: missing field `event`"
    );
    assert_eq!(
        inner(r#"{"text":"hi"}"#).unwrap_err().to_string(),
        "Slack event: missing field `type`"
    );
    assert_eq!(
        inner(r#"{"type":"message","text":"hi","ts":"1.0"}"#)
            .unwrap_err()
            .to_string(),
        "Slack message event: missing field `channel`"
    );
    assert_eq!(
        inner(r#"{"type":"message","text":"hi","channel":"C1"}"#)
            .unwrap_err()
            .to_string(),
        "Slack message event: missing field `ts`"
    );
    assert!(
        inner(r#"{"type":"message","text":5,"channel":"C1","ts":"1"}"#)
            .unwrap_err()
            .to_string()
            .starts_with("Slack message event: invalid type: integer `5`, expected a string")
    );
    assert_eq!(
        inner(r#"{"type":"reaction_added","user":"U1","reaction":"eyes","item":{"type":"message"},"event_ts":"1"}"#)
            .unwrap_err()
            .to_string(),
        "Slack reaction event: a message item needs `channel` and `ts`"
    );
}

#[test]
fn slack_timestamps() {
    assert_eq!(
        slack::ts_to_datetime("1664874847.123459"),
        Some(at("2022-10-04T09:14:07.123459Z"))
    );
    assert_eq!(
        slack::ts_to_datetime("1664874847"),
        Some(at("2022-10-04T09:14:07Z"))
    );
    for bad in [
        "",
        ".5",
        "1.2.3",
        "-1.0",
        "1e9",
        "12345678901234567890.1",
        "1.1234567890",
    ] {
        assert_eq!(slack::ts_to_datetime(bad), None, "{bad:?}");
    }
}

#[test]
fn slash_commands_from_their_form_bodies() {
    let cmd = slack::parse_command(&fixture("slack/slash_command_priority.form")).unwrap();
    assert_eq!(cmd.command, "/baton");
    assert_eq!(cmd.text, "priority 42 high");
    assert_eq!(cmd.user_id, "U01TARAS");
    assert_eq!(cmd.user_name, "taras");
    assert_eq!(cmd.channel_id, "C0INTEGRAT");
    assert_eq!(cmd.channel_name, "integrations");
    assert_eq!(cmd.team_id, "T0SRCGRAPH");
    assert_eq!(
        cmd.response_url,
        "https://hooks.slack.com/commands/T0SRCGRAPH/4174912345678/Zx8kQ2mN5pR7tV9wY1aB3cD5"
    );
    assert_eq!(
        cmd.trigger_id,
        "4174912345678.3979584012.9f1c2e3d4b5a69788766554433221100"
    );
    assert_eq!(
        cmd.subcommand(),
        Subcommand::Priority {
            inquiry: 42,
            priority: Priority::High
        }
    );

    let cmd = slack::parse_command(&fixture("slack/slash_command_checked.form")).unwrap();
    assert_eq!(cmd.text, "checked <#C0INTEGRAT|integrations>");
    assert_eq!(
        cmd.subcommand(),
        Subcommand::Checked {
            source: Some(SourceRef::Channel {
                id: "C0INTEGRAT".into(),
                name: Some("integrations".into())
            })
        }
    );

    let cmd = slack::parse_command(&fixture("slack/slash_command_who.form")).unwrap();
    assert_eq!(cmd.channel_name, "directmessage");
    assert_eq!(cmd.subcommand(), Subcommand::Who);
}

#[test]
fn malformed_slash_commands_say_what_is_wrong() {
    let e = |body: &str| {
        slack::parse_command(body.as_bytes())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        e("command=%2Fbaton&text=who"),
        "Slack slash command: missing field `user_id`"
    );
    assert!(e("").starts_with("Slack slash command: missing field"));
    let minimal =
        slack::parse_command(b"command=%2Fbaton&user_id=U1&channel_id=C1&team_id=T1&extra=ignored")
            .unwrap();
    assert_eq!(minimal.text, "");
    assert_eq!(minimal.subcommand(), Subcommand::Help { error: None });
}

#[test]
fn help_lists_every_subcommand() {
    let usages: Vec<&str> = slack::HELP.iter().map(|(usage, _)| *usage).collect();
    for word in ["who", "queue", "ack", "priority", "checked", "help"] {
        assert!(
            usages.iter().any(|u| u.split(' ').next() == Some(word)),
            "{word}"
        );
    }
}
