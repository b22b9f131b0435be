//! Slack Events API deliveries, from recorded payloads signed as Slack signs them.

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{expect_error, expect_json, fixture, fixture_json, spawn_app, TestApp};

/// The instant of a Unix time.
fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).expect("an instant")
}

async fn deliver(app: &TestApp, body: &[u8]) -> Value {
    expect_json(app.slack_event(body).await, StatusCode::OK).await
}

/// Alice's top-level question in #integrations, delivered at 2022-10-04 09:14 UTC.
async fn question(app: &TestApp) -> Value {
    app.clock.set(at(1_664_874_850));
    deliver(app, &fixture("slack/message_channel.json")).await;
    let inquiries = app.inquiries().await;
    assert_eq!(inquiries.len(), 1, "{inquiries:?}");
    inquiries[0].clone()
}

#[tokio::test]
async fn url_verification_answers_the_challenge() {
    let app = spawn_app().await;
    let body = deliver(&app, &fixture("slack/url_verification.json")).await;
    let sent = fixture_json("slack/url_verification.json");
    assert_eq!(body["challenge"], sent["challenge"]);
}

#[tokio::test]
async fn a_message_in_a_watched_channel_is_an_inquiry_for_whoever_is_on_duty() {
    let app = spawn_app().await;
    let inquiry = question(&app).await;
    assert_eq!(inquiry["source"], "#integrations");
    assert_eq!(inquiry["reporter"], "U02ALICE");
    // The second week of the rotation: David's.
    assert_eq!(inquiry["assignee"], "david");
    assert_eq!(inquiry["state"], "new");
    assert_eq!(
        inquiry["external_ref"],
        "slack:C0INTEGRAT:1664874847.123459"
    );
    assert_eq!(
        inquiry["link"],
        "https://slack.com/archives/C0INTEGRAT/p1664874847123459"
    );
    let title = inquiry["title"].as_str().unwrap();
    assert!(title.starts_with("Hi team"), "{title}");
    assert!(title.chars().count() <= 121, "{title}");
    assert!(inquiry["body"]
        .as_str()
        .unwrap()
        .contains("Remote-SSH workspace & the output"));
    let received: DateTime<Utc> = inquiry["received_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(received.timestamp(), 1_664_874_847);
}

#[tokio::test]
async fn a_mention_of_the_team_handle_elsewhere_is_an_inquiry_for_that_team() {
    let app = spawn_app().await;
    app.clock.set(at(1_664_877_735));
    deliver(&app, &fixture("slack/message_subteam_mention.json")).await;
    let inquiries = app.inquiries().await;
    assert_eq!(inquiries.len(), 1);
    assert_eq!(inquiries[0]["source"], "@integrations-team");
    assert_eq!(
        inquiries[0]["external_ref"],
        "slack:C0CUSTSUPP:1664877731.402119"
    );
}

#[tokio::test]
async fn an_app_mention_in_a_watched_channel_makes_one_inquiry() {
    let app = spawn_app().await;
    app.clock.set(at(1_664_878_010));
    deliver(&app, &fixture("slack/app_mention.json")).await;
    // The same message also arrives as a `message` event (another event id).
    let mut message = fixture_json("slack/app_mention.json");
    message["event_id"] = "Ev044S1C4D6F".into();
    message["event"]["type"] = "message".into();
    deliver(&app, message.to_string().as_bytes()).await;
    let inquiries = app.inquiries().await;
    assert_eq!(inquiries.len(), 1, "{inquiries:?}");
    assert_eq!(inquiries[0]["reporter"], "U02ALICE");
}

#[tokio::test]
async fn a_thread_reply_by_a_member_is_the_first_response() {
    let app = spawn_app().await;
    let inquiry = question(&app).await;
    assert!(inquiry["first_response_at"].is_null());
    app.clock.set(at(1_664_875_915));
    deliver(&app, &fixture("slack/message_thread_reply.json")).await;
    let detail = app.inquiry(inquiry["id"].as_i64().unwrap()).await;
    let first: DateTime<Utc> = detail["first_response_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    // When the reply was posted (its `ts`, 1664875912.528199), not when it was delivered.
    assert_eq!(first.timestamp_millis(), 1_664_875_912_528);
    assert_eq!(
        app.inquiries().await.len(),
        1,
        "a reply is not a new inquiry"
    );
}

#[tokio::test]
async fn a_reply_by_the_reporter_while_waiting_resumes_the_clock() {
    let app = spawn_app().await;
    let inquiry = question(&app).await;
    let id = inquiry["id"].as_i64().unwrap();
    app.act(id, "wait").await;
    app.clock.set(at(1_664_876_000));
    let mut reply = fixture_json("slack/message_thread_reply.json");
    reply["event_id"] = "Ev044RALICE1".into();
    reply["event"]["user"] = "U02ALICE".into();
    reply["event"]["ts"] = "1664875999.000100".into();
    reply["event"]["text"] = "Here are the logs you asked for".into();
    deliver(&app, reply.to_string().as_bytes()).await;
    let detail = app.inquiry(id).await;
    assert_eq!(detail["state"], "in_progress", "{detail}");
    let pauses = detail["pauses"].as_array().unwrap();
    assert!(pauses.iter().all(|p| !p["end"].is_null()), "{pauses:?}");
}

#[tokio::test]
async fn reactions_by_members_acknowledge_and_resolve() {
    let app = spawn_app().await;
    let inquiry = question(&app).await;
    let id = inquiry["id"].as_i64().unwrap();
    app.clock.set(at(1_664_875_012));
    deliver(&app, &fixture("slack/reaction_added.json")).await;
    assert_eq!(app.inquiry(id).await["state"], "acknowledged");

    // Removing the reaction changes nothing.
    deliver(&app, &fixture("slack/reaction_removed.json")).await;
    assert_eq!(app.inquiry(id).await["state"], "acknowledged");

    let mut done = fixture_json("slack/reaction_added.json");
    done["event_id"] = "Ev044R3DONE1".into();
    done["event"]["reaction"] = "white_check_mark".into();
    deliver(&app, done.to_string().as_bytes()).await;
    assert_eq!(app.inquiry(id).await["state"], "resolved");

    // An illegal transition is recorded, not an error.
    let mut again = fixture_json("slack/reaction_added.json");
    again["event_id"] = "Ev044R3AGAIN".into();
    let body = deliver(&app, again.to_string().as_bytes()).await;
    assert!(
        body["outcome"]
            .as_str()
            .unwrap()
            .contains("cannot acknowledge"),
        "{body}"
    );
}

#[tokio::test]
async fn a_reaction_by_someone_outside_the_team_does_nothing() {
    let app = spawn_app().await;
    let id = question(&app).await["id"].as_i64().unwrap();
    let mut reaction = fixture_json("slack/reaction_added.json");
    reaction["event"]["user"] = "U02ALICE".into();
    deliver(&app, reaction.to_string().as_bytes()).await;
    assert_eq!(app.inquiry(id).await["state"], "new");
}

#[tokio::test]
async fn bots_edits_joins_and_members_are_not_inquiries() {
    let app = spawn_app().await;
    app.clock.set(at(1_664_875_010));
    for f in [
        "slack/message_bot_message.json",
        "slack/message_changed.json",
        "slack/message_channel_join.json",
        "slack/member_joined_channel.json",
    ] {
        let body = deliver(&app, &fixture(f)).await;
        assert!(
            body["outcome"].as_str().unwrap().starts_with("ignored"),
            "{f}: {body}"
        );
    }
    // A top-level message by a member of the team in its own channel.
    let mut own = fixture_json("slack/message_channel.json");
    own["event_id"] = "Ev044OWNMSG1".into();
    own["event"]["user"] = "U01TARAS".into();
    let body = deliver(&app, own.to_string().as_bytes()).await;
    assert!(
        body["outcome"].as_str().unwrap().contains("member"),
        "{body}"
    );
    assert!(app.inquiries().await.is_empty());
}

#[tokio::test]
async fn the_same_event_twice_makes_one_inquiry() {
    let app = spawn_app().await;
    question(&app).await;
    let body = deliver(&app, &fixture("slack/message_channel.json")).await;
    assert_eq!(body["duplicate"], true, "{body}");
    assert_eq!(app.inquiries().await.len(), 1);
}

#[tokio::test]
async fn twenty_concurrent_deliveries_of_one_event_make_one_inquiry() {
    let app = spawn_app().await;
    app.clock.set(at(1_664_874_850));
    let body = fixture("slack/message_channel.json");
    let sends: Vec<_> = (0..20).map(|_| Box::pin(app.slack_event(&body))).collect();
    for response in join_all_pinned(sends).await {
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(app.inquiries().await.len(), 1);
}

/// Polls every future at once until all are done.
pub async fn join_all_pinned<F: std::future::Future + Unpin>(
    mut futures: Vec<F>,
) -> Vec<F::Output> {
    let mut results: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in futures.iter_mut().enumerate() {
            if results[i].is_none() {
                match std::pin::Pin::new(f).poll(cx) {
                    std::task::Poll::Ready(v) => results[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().map(|r| r.expect("ready")).collect()
}

#[tokio::test]
async fn bad_missing_and_stale_signatures_are_refused() {
    let app = spawn_app().await;
    app.clock.set(at(1_664_874_850));
    let body = fixture("slack/message_channel.json");
    let now = app.clock.now().timestamp();

    // Signed with another secret.
    let wrong = baton_integrations::slack::sign(b"not the secret", now, &body);
    let response = app
        .request(reqwest::Method::POST, "/hooks/slack/events", None)
        .header("Content-Type", "application/json")
        .header("X-Slack-Request-Timestamp", now.to_string())
        .header("X-Slack-Signature", wrong)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    let message = expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert!(
        !message.contains("mismatch"),
        "the reason stays in the log: {message}"
    );

    // No signature at all.
    let response = app
        .request(reqwest::Method::POST, "/hooks/slack/events", None)
        .header("Content-Type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // Correctly signed, ten minutes ago: a replay.
    let response = app
        .slack_signed("/hooks/slack/events", "application/json", &body, now - 600)
        .await;
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert!(app.inquiries().await.is_empty());
}

#[tokio::test]
async fn malformed_oversized_and_mistyped_bodies_are_refused() {
    let app = spawn_app().await;
    let now = app.clock.now().timestamp();
    let response = app
        .slack_signed(
            "/hooks/slack/events",
            "application/json",
            b"{\"type\": ",
            now,
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "bad_request").await;

    let response = app
        .slack_signed(
            "/hooks/slack/events",
            "text/plain",
            &fixture("slack/message_channel.json"),
            now,
        )
        .await;
    expect_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;

    let big = vec![b' '; 1024 * 1024 + 1];
    let response = app
        .slack_signed("/hooks/slack/events", "application/json", &big, now)
        .await;
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

#[tokio::test]
async fn a_message_no_team_watches_is_stored_as_unrouted() {
    let app = spawn_app().await;
    app.clock.set(at(1_664_874_850));
    let mut elsewhere = fixture_json("slack/message_channel.json");
    elsewhere["event"]["channel"] = "C0RANDOM1".into();
    let body = deliver(&app, elsewhere.to_string().as_bytes()).await;
    assert!(
        body["outcome"].as_str().unwrap().starts_with("unrouted"),
        "{body}"
    );
    assert!(app.inquiries().await.is_empty());
}

async fn command(app: &TestApp, form: &[u8]) -> Value {
    let now = app.clock.now().timestamp();
    let response = app
        .slack_signed(
            "/hooks/slack/commands",
            "application/x-www-form-urlencoded",
            form,
            now,
        )
        .await;
    expect_json(response, StatusCode::OK).await
}

#[tokio::test]
async fn slash_commands_answer_in_slacks_format() {
    let app = spawn_app().await;
    let id = question(&app).await["id"].as_i64().unwrap();

    let who = command(&app, &fixture("slack/slash_command_who.form")).await;
    assert!(who["text"].as_str().unwrap().contains("David"), "{who}");

    let form = String::from_utf8(fixture("slack/slash_command_who.form")).unwrap();
    let ack = command(
        &app,
        form.replace("text=who", &format!("text=ack+{id}"))
            .as_bytes(),
    )
    .await;
    assert!(
        ack["text"].as_str().unwrap().contains("acknowledged"),
        "{ack}"
    );
    let detail = app.inquiry(id).await;
    assert_eq!(detail["state"], "acknowledged");
    assert!(detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["actor"] == "slack:U01PHILIPP"));

    // Acknowledging twice is answered in words, ephemerally.
    let again = command(
        &app,
        form.replace("text=who", &format!("text=ack+{id}"))
            .as_bytes(),
    )
    .await;
    assert_eq!(again["response_type"], "ephemeral");
    assert!(
        again["text"]
            .as_str()
            .unwrap()
            .contains("cannot acknowledge"),
        "{again}"
    );

    let checked = command(&app, &fixture("slack/slash_command_checked.form")).await;
    assert!(
        checked["text"].as_str().unwrap().contains("#integrations"),
        "{checked}"
    );

    let queue = command(&app, form.replace("text=who", "text=queue").as_bytes()).await;
    assert!(
        queue["text"].as_str().unwrap().contains(&format!("#{id}")),
        "{queue}"
    );
}

/// The instant of a Slack `ts` at stored (millisecond) precision.
fn ts_millis(value: &Value) -> i64 {
    value
        .as_str()
        .expect("an instant")
        .parse::<DateTime<Utc>>()
        .expect("RFC 3339")
        .timestamp_millis()
}

#[tokio::test]
async fn a_thread_reply_delivered_three_minutes_late_records_when_it_was_posted() {
    let app = spawn_app().await;
    let id = question(&app).await["id"].as_i64().unwrap();
    // The reply was posted at 1664875912.528199; Slack delivers it (a retry) 3 minutes later.
    let delivered = at(1_664_875_912 + 180);
    app.clock.set(delivered);
    deliver(&app, &fixture("slack/message_thread_reply.json")).await;
    let detail = app.inquiry(id).await;
    assert_eq!(ts_millis(&detail["first_response_at"]), 1_664_875_912_528);
    let event = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "inquiry.responded")
        .unwrap_or_else(|| panic!("a response event: {detail}"))
        .clone();
    assert_eq!(ts_millis(&event["at"]), 1_664_875_912_528);
    assert_eq!(
        ts_millis(&event["data"]["delivered_at"]),
        delivered.timestamp_millis()
    );
}

#[tokio::test]
async fn a_reply_stamped_in_the_future_or_before_the_question_is_clamped() {
    let app = spawn_app().await;
    let id = question(&app).await["id"].as_i64().unwrap();
    let now = at(1_664_875_000);
    app.clock.set(now);
    // Slack's clock ahead of ours: the reply counts as now, not later.
    let mut reply = fixture_json("slack/message_thread_reply.json");
    reply["event_id"] = "Ev044FUTURE1".into();
    reply["event"]["ts"] = "1664879999.000100".into();
    deliver(&app, reply.to_string().as_bytes()).await;
    let detail = app.inquiry(id).await;
    assert_eq!(
        ts_millis(&detail["first_response_at"]),
        now.timestamp_millis()
    );

    // A reply stamped before the question arrived counts from its arrival.
    let app = spawn_app().await;
    let question = question(&app).await;
    let id = question["id"].as_i64().unwrap();
    app.clock.set(at(1_664_875_000));
    let mut early = fixture_json("slack/message_thread_reply.json");
    early["event"]["ts"] = "1664870000.000100".into();
    deliver(&app, early.to_string().as_bytes()).await;
    let detail = app.inquiry(id).await;
    assert_eq!(
        ts_millis(&detail["first_response_at"]),
        ts_millis(&question["received_at"])
    );
}

#[tokio::test]
async fn reactions_and_resumes_delivered_late_take_effect_when_they_happened() {
    let app = spawn_app().await;
    let id = question(&app).await["id"].as_i64().unwrap();
    // `:eyes:` added at 1664875010.004300, delivered 3 minutes later: acknowledged then.
    app.clock.set(at(1_664_875_010 + 180));
    deliver(&app, &fixture("slack/reaction_added.json")).await;
    let detail = app.inquiry(id).await;
    assert_eq!(detail["state"], "acknowledged");
    assert_eq!(ts_millis(&detail["first_response_at"]), 1_664_875_010_004);

    // Waiting on Alice from 09:30 UTC; her reply posted at 09:40 arrives at 09:45.
    app.clock.set(at(1_664_875_800));
    app.act(id, "wait").await;
    app.clock.set(at(1_664_876_700));
    let mut reply = fixture_json("slack/message_thread_reply.json");
    reply["event_id"] = "Ev044LATEALICE".into();
    reply["event"]["user"] = "U02ALICE".into();
    reply["event"]["ts"] = "1664876400.000200".into();
    deliver(&app, reply.to_string().as_bytes()).await;
    let detail = app.inquiry(id).await;
    assert_eq!(detail["state"], "in_progress", "{detail}");
    let pauses = detail["pauses"].as_array().unwrap();
    assert_eq!(pauses.len(), 1);
    assert_eq!(ts_millis(&pauses[0]["end"]), 1_664_876_400_000);
}
