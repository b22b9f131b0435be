//! The Slack Web API client against the fake: pagination, Slack's errors, rate limits, timeouts.

use std::time::{Duration, Instant};

use baton_integrations::slack::{ChannelDirectory, SlackApi, SlackApiError, SlackApiOptions};
use secrecy::SecretString;

use crate::fake_slack::{channel, FakeSlack, Scripted, TOKEN};

fn client(fake: &FakeSlack, token: &str) -> SlackApi {
    client_with(fake, token, |_| {})
}

fn client_with(
    fake: &FakeSlack,
    token: &str,
    change: impl FnOnce(&mut SlackApiOptions),
) -> SlackApi {
    let mut options = SlackApiOptions {
        base_url: fake.base_url.clone(),
        ..SlackApiOptions::default()
    };
    change(&mut options);
    SlackApi::new(SecretString::from(token.to_owned()), options).expect("a client")
}

async fn three_pages() -> FakeSlack {
    FakeSlack::start(vec![
        vec![
            channel("C0GENERAL", "general", false),
            channel("C0INTEGRAT", "integrations", false),
        ],
        vec![
            channel("G0INTINTERN", "integrations-internal", true),
            channel("C0RANDOM", "random", false),
        ],
        vec![channel("C0INTIDE", "integrations-ide", false)],
    ])
    .await
}

#[tokio::test]
async fn every_page_is_followed_until_the_cursor_is_empty() {
    let fake = three_pages().await;
    let channels = client(&fake, TOKEN).channels().await.expect("the channels");
    let names: Vec<&str> = channels.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "general",
            "integrations",
            "integrations-internal",
            "random",
            "integrations-ide"
        ]
    );
    let private = channels.iter().find(|c| c.id == "G0INTINTERN").unwrap();
    assert!(private.is_private);

    let requests = fake.requests();
    assert_eq!(requests.len(), 3);
    let cursors: Vec<Option<&str>> = requests
        .iter()
        .map(|(q, _)| q.get("cursor").map(String::as_str))
        .collect();
    assert_eq!(cursors, [None, Some("page:1"), Some("page:2")]);
    for (query, auth) in &requests {
        assert_eq!(query["types"], "public_channel,private_channel");
        assert_eq!(query["exclude_archived"], "true");
        assert_eq!(query["limit"], "200");
        assert_eq!(auth.as_deref(), Some(format!("Bearer {TOKEN}").as_str()));
        assert!(
            !query.values().any(|v| v.contains(TOKEN)),
            "the token stays in the header"
        );
    }
}

#[tokio::test]
async fn a_base_url_without_its_trailing_slash_still_reaches_the_methods() {
    let fake = three_pages().await;
    let base = fake.base_url.trim_end_matches('/').to_owned();
    let api = client_with(&fake, TOKEN, |o| o.base_url = base);
    assert_eq!(api.channels().await.expect("the channels").len(), 5);
}

#[tokio::test]
async fn a_wrong_token_is_slacks_invalid_auth_and_never_printed() {
    let fake = three_pages().await;
    let e = client(&fake, "xoxb-wrong-token")
        .channels()
        .await
        .expect_err("refused");
    assert_eq!(e.slack_code(), Some("invalid_auth"), "{e}");
    let text = e.to_string();
    assert!(text.contains("conversations.list"), "{text}");
    assert!(text.contains("bot token"), "{text}");
    assert!(!text.contains("xoxb-wrong-token") && !format!("{e:?}").contains("xoxb-wrong-token"));
}

#[tokio::test]
async fn a_missing_scope_names_the_scopes() {
    let fake = three_pages().await;
    fake.script(vec![Scripted::SlackError("missing_scope")]);
    let e = client(&fake, TOKEN).channels().await.expect_err("refused");
    assert_eq!(e.slack_code(), Some("missing_scope"));
    let text = e.to_string();
    assert!(
        text.contains("channels:read") && text.contains("groups:read"),
        "{text}"
    );
}

#[tokio::test]
async fn a_rate_limit_is_waited_out_as_retry_after_says() {
    let fake = three_pages().await;
    // The second page is rate limited once.
    fake.script(vec![Scripted::Pass, Scripted::RateLimited { seconds: 1 }]);
    let started = Instant::now();
    let channels = client(&fake, TOKEN)
        .channels()
        .await
        .expect("the channels after waiting");
    assert_eq!(channels.len(), 5);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    let cursors: Vec<Option<String>> = fake
        .requests()
        .into_iter()
        .map(|(q, _)| q.get("cursor").cloned())
        .collect();
    let page = |n: u32| Some(format!("page:{n}"));
    assert_eq!(
        cursors,
        [None, page(1), page(1), page(2)],
        "the same page is asked again"
    );
}

#[tokio::test]
async fn retries_are_bounded() {
    let fake = three_pages().await;
    fake.script(vec![Scripted::RateLimited { seconds: 0 }; 10]);
    let api = client_with(&fake, TOKEN, |o| o.max_retries = 2);
    match api.channels().await {
        Err(SlackApiError::RateLimited { retry_after, .. }) => {
            assert_eq!(retry_after, Duration::ZERO)
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.requests().len(), 3, "one request and two retries");
}

#[tokio::test]
async fn a_retry_after_longer_than_allowed_is_an_error_at_once() {
    let fake = three_pages().await;
    fake.script(vec![Scripted::RateLimited { seconds: 120 }]);
    let api = client_with(&fake, TOKEN, |o| o.max_retry_wait = Duration::from_secs(5));
    let started = Instant::now();
    match api.channels().await {
        Err(e @ SlackApiError::RateLimited { .. }) => {
            assert!(e.to_string().contains("120s"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_slow_answer_times_out() {
    let fake = three_pages().await;
    fake.script(vec![Scripted::Delay(Duration::from_secs(3))]);
    let api = client_with(&fake, TOKEN, |o| o.timeout = Duration::from_millis(300));
    let started = Instant::now();
    match api.channels().await {
        Err(SlackApiError::Timeout { .. }) => {}
        other => panic!("{other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn server_errors_are_reported_with_their_status() {
    let fake = three_pages().await;
    fake.script(vec![Scripted::Status(503)]);
    match client(&fake, TOKEN).channels().await {
        Err(e @ SlackApiError::Status { status: 503, .. }) => {
            assert!(e.to_string().contains("503"), "{e}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_slack_is_a_transport_error() {
    // A port that was free a moment ago: nothing listens there now.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let options = SlackApiOptions {
        base_url: format!("http://127.0.0.1:{port}/api/"),
        ..SlackApiOptions::default()
    };
    let api = SlackApi::new(SecretString::from(TOKEN.to_owned()), options).unwrap();
    match api.channels().await {
        Err(SlackApiError::Transport { .. }) => {}
        other => panic!("{other:?}"),
    }
}
