//! The web pages through the real server, signed in as a browser would be: the board, triage
//! through the forms, the schedule's forms, tokens, live updates, roles and escaping.

use baton_core::access::Role;
use chrono::Duration;
use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{berlin, expect_json, spawn_app, TestApp};
use crate::web_helpers::{
    add_account, browser, hidden_field, location, sign_in, web_client, WebClient, PASSWORD,
};

const BOARD: &str = "/teams/integrations";

/// The queue's rows on a page, in order: `(id, data-urgency)`.
fn queue_rows(html: &str) -> Vec<(i64, String)> {
    html.split(r#"data-test="queue-row""#)
        .skip(1)
        .map(|chunk| {
            let tag = &chunk[..chunk.find('>').expect("the row's tag ends")];
            let id = attr(tag, "data-id").parse().expect("a numeric id");
            (id, attr(tag, "data-urgency"))
        })
        .collect()
}

/// The value of `name="…"` in `tag`.
fn attr(tag: &str, name: &str) -> String {
    let prefix = format!(r#"{name}=""#);
    let start = tag
        .find(&prefix)
        .unwrap_or_else(|| panic!("no {name} in {tag}"))
        + prefix.len();
    let end = tag[start..].find('"').expect("a closing quote");
    tag[start..start + end].to_owned()
}

/// The text of the first element marked `data-test="{test}"` (up to the next tag).
fn text_of(html: &str, test: &str) -> String {
    let marker = format!(r#"data-test="{test}""#);
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {test} on the page: {html}"));
    let rest = &html[at..];
    let start = rest.find('>').expect("the tag ends") + 1;
    let end = rest[start..].find('<').expect("a following tag");
    rest[start..start + end].trim().to_owned()
}

async fn create(app: &TestApp, body: Value) -> i64 {
    app.create(body).await["id"].as_i64().expect("an id")
}

fn inquiry_path(id: i64) -> String {
    format!("/teams/integrations/inquiries/{id}")
}

/// Posts a triage form and expects the redirect back to the inquiry.
async fn triage(client: &WebClient, id: i64, action: &str, fields: &[(&str, &str)]) {
    let response = client
        .post_form(&format!("{}/{action}", inquiry_path(id)), fields)
        .await;
    let status = response.status();
    let target = location(&response);
    let body = response.text().await.unwrap_or_default();
    assert_eq!(status, StatusCode::SEE_OTHER, "{action}: {body}");
    assert_eq!(target, inquiry_path(id), "{action}");
}

#[tokio::test]
async fn the_board_lists_the_open_queue_by_deadline_with_who_is_on_duty() {
    let app = spawn_app().await;
    // Wednesday 10:00 in Berlin, David's week; he works 09–17 in New York (15–23 in Berlin).
    let low = create(&app, json!({"title": "Feature idea", "priority": "low"})).await;
    let alert = create(
        &app,
        json!({"title": "Disk full", "source": "#alerts-integrations", "priority": "critical"}),
    )
    .await;
    let critical = create(
        &app,
        json!({"title": "Hovers gone", "priority": "critical"}),
    )
    .await;
    let medium = create(&app, json!({"title": "How do I configure it?"})).await;
    let resolved = create(&app, json!({"title": "Already answered"})).await;
    app.act(resolved, "resolve").await;

    // 15:40 in Berlin: the alert (30m, due 15:30) is breached, the critical one (1h, due 16:00)
    // is near, the medium one (1d: 23:00) and the low one (3d) have time.
    app.clock.set(berlin(2022, 10, 5, 15, 40));
    let viewer = web_client(&app, Role::Viewer).await;
    let html = viewer.page(BOARD).await;
    assert_eq!(
        queue_rows(&html),
        vec![
            (alert, "due-breached".to_owned()),
            (critical, "due-near".to_owned()),
            (medium, "due-ok".to_owned()),
            (low, "due-ok".to_owned()),
        ]
    );
    assert_eq!(text_of(&html, "queue-count"), "4");
    assert_eq!(text_of(&html, "on-duty-name"), "David");
    assert_eq!(text_of(&html, "on-duty-working"), "working now");
    // The viewer's zone (the team's, without a cookie) and David's own.
    assert_eq!(text_of(&html, "on-duty-until"), "Mon 10 Oct 09:00 CEST");
    assert!(html.contains("(Mon 10 Oct 03:00 EDT for David)"), "{html}");
    assert_eq!(text_of(&html, "next-duty-name"), "Taras");
    // A `tz` cookie (set by the page's script) or `?tz=` shows the viewer's zone.
    let html = viewer.page(&format!("{BOARD}?tz=America/New_York")).await;
    assert_eq!(text_of(&html, "on-duty-until"), "Mon 10 Oct 03:00 EDT");
    // The medium one has the rubric's word for nothing: its priority is unset.
    assert!(html.contains("How do I configure it?"));
    // Everything is in today's checklist, nothing checked yet; nothing logged.
    assert_eq!(text_of(&html, "checklist-unchecked"), "9");
    assert_eq!(text_of(&html, "budget-logged"), "0m");
    // A viewer sees no "checked" buttons.
    assert!(!html.contains(r#"data-test="check-form""#));
}

#[tokio::test]
async fn what_people_wrote_is_shown_as_text() {
    let app = spawn_app().await;
    let id = create(
        &app,
        json!({
            "title": "<script>alert(1)</script>",
            "body": "<img src=x onerror=alert(2)>",
            "reporter": "\"><script>alert(3)</script>",
            "link": "javascript:alert(4)",
            "source": "#integrations",
        }),
    )
    .await;
    let member = web_client(&app, Role::Member).await;
    triage(
        &member,
        id,
        "note",
        &[("text", "</div><script>alert(5)</script>")],
    )
    .await;
    for path in [BOARD.to_owned(), inquiry_path(id)] {
        let html = member.page(&path).await;
        assert!(!html.contains("<script>alert"), "{path}: {html}");
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(!html.contains(r#"href="javascript:"#), "{path}");
        assert!(html.contains("alert(1)"), "{path}: the title is shown");
    }
    let html = member.page(&inquiry_path(id)).await;
    assert!(html.contains("alert(5)"));
    // The link that is not a web link is shown as text only.
    assert!(html.contains(r#"data-test="inquiry-link-text""#));
}

#[tokio::test]
async fn a_member_triages_through_the_forms_and_the_api_sees_it() {
    let app = spawn_app().await;
    let id = create(&app, json!({"title": "VS Code extension: crash on start"})).await;
    let member = web_client(&app, Role::Member).await;

    let html = member.page(&inquiry_path(id)).await;
    for form in [
        "form-priority",
        "form-area",
        "form-assign",
        "form-route",
        "form-time",
    ] {
        assert!(html.contains(&format!(r#"data-test="{form}""#)), "{form}");
    }
    // Only the legal transitions are offered: a new inquiry cannot be reopened.
    assert!(html.contains(r#"data-test="action-ack""#));
    assert!(!html.contains(r#"data-test="action-reopen""#));
    // The rubric suggested high ("crash"); it is marked as a suggestion.
    assert!(html.contains(r#"data-suggested="true""#));

    triage(&member, id, "ack", &[]).await;
    let detail = app.inquiry(id).await;
    assert_eq!(detail["state"], "acknowledged");
    assert!(detail["first_response_at"].is_string());

    triage(&member, id, "priority", &[("priority", "high")]).await;
    triage(&member, id, "area", &[("area", "VSCE")]).await;
    triage(&member, id, "start", &[]).await;
    triage(
        &member,
        id,
        "time",
        &[("minutes", "45"), ("note", "bisected it"), ("member", "")],
    )
    .await;
    triage(&member, id, "note", &[("text", "fixed in 1.2.3")]).await;
    triage(&member, id, "resolve", &[]).await;
    let detail = app.inquiry(id).await;
    assert_eq!(detail["state"], "resolved");
    assert_eq!(detail["priority"], "high");
    assert_eq!(detail["area"], "VSCE");
    assert_eq!(detail["logged_minutes"], 45);
    assert_eq!(detail["time_entries"][0]["member"], "david");
    assert_eq!(detail["time_entries"][0]["note"], "bisected it");
    assert_eq!(detail["notes"][0]["text"], "fixed in 1.2.3");
    let actor = format!("user:{}", member.email);
    assert!(detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "inquiry.resolved" && e["actor"] == actor.as_str()));

    // An illegal transition is refused with the service's message.
    let response = member
        .post_form(&format!("{}/resolve", inquiry_path(id)), &[])
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("cannot resolve an inquiry that is resolved; reopen it first"),
        "{html}"
    );
    // A value that does not fit is a 422 naming the field.
    let response = member
        .post_form(
            &format!("{}/time", inquiry_path(id)),
            &[("minutes", "lots")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("minutes:"));

    triage(&member, id, "reopen", &[]).await;
    triage(
        &member,
        id,
        "escalate",
        &[
            (
                "issue_url",
                "https://github.com/sourcegraph/sourcegraph/issues/42",
            ),
            ("assignee", "beatrix"),
        ],
    )
    .await;
    let detail = app.inquiry(id).await;
    assert_eq!(detail["state"], "escalated");
    assert_eq!(detail["assignee"], "beatrix");
    assert_eq!(
        detail["issue_url"],
        "https://github.com/sourcegraph/sourcegraph/issues/42"
    );

    // The page shows the trail and the issue as a link.
    let html = member.page(&inquiry_path(id)).await;
    assert!(html.contains(r#"href="https://github.com/sourcegraph/sourcegraph/issues/42""#));
    assert!(html.matches(r#"data-test="event""#).count() >= 9, "{html}");
    assert!(html.contains(&actor));
    assert_eq!(text_of(&html, "inquiry-state"), "escalated");
}

#[tokio::test]
async fn routing_reassigning_and_flagging_through_the_forms() {
    let app = spawn_app().await;
    let id = create(&app, json!({"title": "JetBrains plugin question"})).await;
    let member = web_client(&app, Role::Member).await;
    triage(&member, id, "assign", &[("member", "taras")]).await;
    assert_eq!(app.inquiry(id).await["assignee"], "taras");
    triage(&member, id, "route", &[("member", "beatrix")]).await;
    let detail = app.inquiry(id).await;
    assert_eq!(detail["state"], "routed");
    assert_eq!(detail["assignee"], "beatrix");

    // Flagged for an issue: the board lists it under "should become an issue".
    let html = member.page(BOARD).await;
    assert!(html.contains(r#"data-test="for-issue-empty""#));
    triage(&member, id, "flag", &[]).await;
    let html = member.page(BOARD).await;
    assert!(html.contains(&format!(r#"data-test="for-issue-item" data-id="{id}""#)));
    assert!(html.contains(&format!("flagged by user:{}", member.email)));

    // Logging past the team's two hours does the same.
    let long = create(&app, json!({"title": "Long investigation"})).await;
    triage(&member, long, "time", &[("minutes", "130")]).await;
    let html = member.page(BOARD).await;
    assert!(html.contains(&format!(r#"data-test="for-issue-item" data-id="{long}""#)));
    assert!(
        html.contains("2h 10m logged, past the team&#39;s 2h"),
        "{html}"
    );
    // … and the shift's budget counts it.
    assert_eq!(text_of(&html, "budget-logged"), "2h 10m");

    // An unknown member or area is refused with the reason.
    let response = member
        .post_form(
            &format!("{}/assign", inquiry_path(id)),
            &[("member", "zed")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("not a member"));
    let response = member
        .post_form(&format!("{}/snooze", inquiry_path(id)), &[])
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_viewer_sees_no_forms_and_cannot_post_them() {
    let app = spawn_app().await;
    let id = create(&app, json!({"title": "Read-only test"})).await;
    let viewer = web_client(&app, Role::Viewer).await;
    let html = viewer.page(&inquiry_path(id)).await;
    assert!(!html.contains(r#"data-test="action-form""#));
    assert!(!html.contains(r#"data-test="form-priority""#));
    assert!(html.contains(r#"data-test="read-only""#));
    let schedule = viewer.page("/teams/integrations/schedule").await;
    assert!(!schedule.contains(r#"data-test="form-override""#));
    assert!(schedule.contains(r#"data-test="calendar-ask-admin""#));

    for (path, fields) in [
        (format!("{}/ack", inquiry_path(id)), vec![]),
        (
            format!("{}/note", inquiry_path(id)),
            vec![("text", "sneaky")],
        ),
        (
            "/teams/integrations/checks".to_owned(),
            vec![("source", "#integrations")],
        ),
        (
            "/teams/integrations/schedule/overrides".to_owned(),
            vec![
                ("member", "philipp"),
                ("from", "2022-10-05T09:00"),
                ("until", "2022-10-06T09:00"),
            ],
        ),
        (
            "/teams/integrations/schedule/calendar-link".to_owned(),
            vec![],
        ),
    ] {
        let response = viewer.post_form(&path, &fields).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(response
            .text()
            .await
            .unwrap()
            .contains("needs the member role"));
    }
    let detail = app.inquiry(id).await;
    assert_eq!(detail["state"], "new");
    assert_eq!(detail["notes"], json!([]));
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = spawn_app().await;
    let id = create(&app, json!({"title": "CSRF test"})).await;
    let member = web_client(&app, Role::Member).await;
    let path = format!("{}/ack", inquiry_path(id));
    let response = member.post_raw(&path, &[]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = member.post_raw(&path, &[("csrf", "forged")]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.inquiry(id).await["state"], "new");
    // Nobody signed in: every page leads to sign-in.
    let anonymous = browser();
    for path in [BOARD.to_owned(), inquiry_path(id), "/tokens".to_owned()] {
        let response = anonymous
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&response).starts_with("/login?next="), "{path}");
    }
}

#[tokio::test]
async fn an_override_through_the_schedule_form_changes_who_is_on_duty() {
    let app = spawn_app().await;
    let member = web_client(&app, Role::Member).await;
    assert_eq!(text_of(&member.page(BOARD).await, "on-duty-name"), "David");

    let response = member
        .post_form(
            "/teams/integrations/schedule/overrides",
            &[
                ("member", "taras"),
                ("from", "2022-10-05T09:00"),
                ("until", "2022-10-06T09:00"),
                ("tz", "Europe/Berlin"),
                ("reason", "David is ill"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/teams/integrations/schedule");

    let html = member.page(BOARD).await;
    assert_eq!(text_of(&html, "on-duty-name"), "Taras");
    assert_eq!(text_of(&html, "on-duty-override"), "covering for David");
    assert_eq!(text_of(&html, "on-duty-until"), "Thu 6 Oct 09:00 CEST");
    let on_call = expect_json(
        app.get("/api/v1/teams/integrations/oncall", &app.viewer)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(on_call["shift"]["member"], "taras");

    let schedule = member.page("/teams/integrations/schedule").await;
    assert!(schedule.contains(r#"data-test="shift-override""#));
    assert!(schedule.contains("David is ill"));

    // A bad range is refused with the reason, and nothing is stored.
    let response = member
        .post_form(
            "/teams/integrations/schedule/overrides",
            &[
                ("member", "taras"),
                ("from", "2022-10-06T09:00"),
                ("until", "2022-10-05T09:00"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("must end after"));

    // Removing it gives the shift back to David.
    let overrides = app
        .store
        .list_overrides("integrations", None, None)
        .await
        .unwrap();
    assert_eq!(overrides.len(), 1);
    let response = member
        .post_form(
            &format!(
                "/teams/integrations/schedule/overrides/{}/remove",
                overrides[0].id
            ),
            &[],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(text_of(&member.page(BOARD).await, "on-duty-name"), "David");
}

#[tokio::test]
async fn time_off_shows_a_conflict_with_a_cover_and_swaps_trade_shifts() {
    let app = spawn_app().await;
    let member = web_client(&app, Role::Member).await;
    // Taras is on duty 10–17 Oct and away on the 11th and 12th (in Kyiv).
    let response = member
        .post_form(
            "/teams/integrations/schedule/time-off",
            &[
                ("member", "taras"),
                ("from", "2022-10-11"),
                ("until", "2022-10-12"),
                ("reason", "dentist"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = member.page("/teams/integrations/schedule").await;
    assert!(html.contains(r#"data-test="conflict""#), "{html}");
    // Beatrix's last duty (19–26 Sep) ended longest ago.
    assert!(html.contains(r#"data-test="suggested-cover" data-member="beatrix""#));
    assert!(html.contains(r#"data-test="cover-form""#));
    // The cover form makes Beatrix cover the days Taras is away.
    let field = |name: &str| hidden_field(&html, name).expect("a cover form field");
    let (from, until, tz) = (field("from"), field("until"), field("tz"));
    assert_eq!(
        (from.as_str(), until.as_str()),
        ("2022-10-10T23:00", "2022-10-12T23:00")
    );
    let response = member
        .post_form(
            "/teams/integrations/schedule/overrides",
            &[
                ("member", "beatrix"),
                ("from", &from),
                ("until", &until),
                ("tz", &tz),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let on_call = expect_json(
        app.get(
            "/api/v1/teams/integrations/oncall?at=2022-10-11T10:00:00Z",
            &app.viewer,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(on_call["shift"]["member"], "beatrix");
    let html = member.page("/teams/integrations/schedule").await;
    assert!(!html.contains(r#"data-test="conflict""#), "covered");
    let time_off = app.store.list_time_off(None, None, None).await.unwrap();
    assert_eq!(time_off.len(), 1);
    assert_eq!(time_off[0].start.to_rfc3339(), "2022-10-10T21:00:00+00:00");
    assert_eq!(time_off[0].end.to_rfc3339(), "2022-10-12T21:00:00+00:00");

    // Beatrix (17 Oct) and Philipp (24 Oct) trade shifts.
    let response = member
        .post_form(
            "/teams/integrations/schedule/swaps",
            &[
                ("first", "2022-10-17T07:00:00+00:00"),
                ("second", "2022-10-24T07:00:00+00:00"),
                ("reason", "conference"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let on_call = expect_json(
        app.get(
            "/api/v1/teams/integrations/oncall?at=2022-10-18T10:00:00Z",
            &app.viewer,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(on_call["shift"]["member"], "philipp");
    let html = member.page("/teams/integrations/schedule").await;
    assert!(html.contains(r#"data-test="shift-swapped""#));
    // A swap of a shift with itself, or not at a hand-off, is refused.
    for (first, second) in [
        ("2022-10-17T07:00:00+00:00", "2022-10-17T07:00:00+00:00"),
        ("2022-10-17T08:00:00+00:00", "2022-10-24T07:00:00+00:00"),
    ] {
        let response = member
            .post_form(
                "/teams/integrations/schedule/swaps",
                &[("first", first), ("second", second)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}

#[tokio::test]
async fn a_member_makes_a_calendar_link_that_the_feed_accepts() {
    let app = spawn_app().await;
    let member = web_client(&app, Role::Member).await;
    let make = || async {
        let response = member
            .post_form("/teams/integrations/schedule/calendar-link", &[])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        let url = {
            let prefix = r#"value=""#;
            let at = html.find(r#"data-test="calendar-url""#).expect("the link");
            let start = html[..at].rfind(prefix).expect("its value") + prefix.len();
            let end = html[start..].find('"').unwrap();
            html[start..start + end]
                .replace("&#38;", "&")
                .replace("&amp;", "&")
        };
        let (_, query) = url.split_once("/api/v1/").expect("an API URL");
        format!("/api/v1/{query}")
    };
    let first = make().await;
    assert!(first.starts_with("/api/v1/teams/integrations/calendar.ics?token=baton_"));
    let feed = app
        .client
        .get(format!("{}{first}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), StatusCode::OK);
    assert!(feed.text().await.unwrap().contains("BEGIN:VCALENDAR"));
    // A second link replaces the first.
    let second = make().await;
    assert_ne!(first, second);
    let old = app
        .client
        .get(format!("{}{first}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let tokens = app.store.list_tokens().await.unwrap();
    let mine: Vec<_> = tokens
        .iter()
        .filter(|t| t.name == format!("calendar integrations for {}", member.email))
        .collect();
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|t| t.role == Role::Viewer));
}

#[tokio::test]
async fn the_tokens_page_is_for_admins_only() {
    let app = spawn_app().await;
    for role in [Role::Viewer, Role::Member] {
        let client = web_client(&app, role).await;
        assert_eq!(client.get("/tokens").await.status(), StatusCode::FORBIDDEN);
        let response = client
            .post_form("/tokens", &[("name", "sneaky"), ("role", "admin")])
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert!(!client.page(BOARD).await.contains(r#"href="/tokens""#));
    }
    let admin = web_client(&app, Role::Admin).await;
    let html = admin.page("/tokens").await;
    assert_eq!(html.matches(r#"data-test="token-row""#).count(), 3);

    let response = admin
        .post_form("/tokens", &[("name", "ci pipeline"), ("role", "member")])
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let html = response.text().await.unwrap();
    let marker = r#"data-test="new-token-secret""#;
    let at = html.find(marker).expect("the secret is shown");
    let start = html[..at].rfind(r#"value=""#).unwrap() + r#"value=""#.len();
    let secret = &html[start..start + html[start..].find('"').unwrap()];
    assert!(secret.starts_with("baton_"));
    let queue = app.get("/api/v1/teams/integrations/queue", secret).await;
    assert_eq!(queue.status(), StatusCode::OK);
    // The secret is not shown again.
    assert!(!admin.page("/tokens").await.contains(secret));

    let token = app
        .store
        .list_tokens()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "ci pipeline")
        .expect("the token is stored");
    assert_eq!(token.created_by, format!("user:{}", admin.email));
    let response = admin
        .post_form(&format!("/tokens/{}/revoke", token.id), &[])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/tokens");
    let queue = app.get("/api/v1/teams/integrations/queue", secret).await;
    assert_eq!(queue.status(), StatusCode::UNAUTHORIZED);
    // A nameless token is refused.
    let response = admin
        .post_form("/tokens", &[("name", " "), ("role", "viewer")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_live_queue_shows_a_new_inquiry_without_a_reload() {
    let app = spawn_app().await;
    let viewer = web_client(&app, Role::Viewer).await;
    let board = viewer.page(BOARD).await;
    assert!(board.contains(r#"data-live="/teams/integrations/board/queue""#));

    let live = "/teams/integrations/board/queue";
    let response = viewer.get(live).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-baton-fragment"], "queue");
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"data-test="queue-empty""#));
    assert!(!html.contains("<html"), "only the fragment");

    let id = create(
        &app,
        json!({"title": "Fresh from Slack", "source": "#integrations"}),
    )
    .await;
    let html = viewer.page(live).await;
    assert_eq!(queue_rows(&html), vec![(id, "due-ok".to_owned())]);
    assert!(html.contains("Fresh from Slack"));

    // Time moves: the same fragment shows the deadline passing.
    app.clock.advance(Duration::days(2));
    let html = viewer.page(live).await;
    assert_eq!(queue_rows(&html), vec![(id, "due-breached".to_owned())]);

    // Without a session the fragment is the sign-in redirect, which the script notices.
    let response = browser()
        .get(format!("{}{live}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(response.headers().get("x-baton-fragment").is_none());
}

#[tokio::test]
async fn the_checklist_records_who_checked_a_channel() {
    let app = spawn_app().await;
    let member = web_client(&app, Role::Member).await;
    let html = member.page(BOARD).await;
    assert!(html
        .contains(r##"data-test="check-item" data-source="#integrations" data-checked="false""##));
    let response = member
        .post_form("/teams/integrations/checks", &[("source", "#integrations")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/teams/integrations#checklist");
    let html = member.page(BOARD).await;
    assert!(html
        .contains(r##"data-test="check-item" data-source="#integrations" data-checked="true""##));
    assert_eq!(text_of(&html, "check-by"), "David, Wed 5 Oct 10:00 CEST");
    assert_eq!(text_of(&html, "checklist-unchecked"), "8");
    let response = member
        .post_form("/teams/integrations/checks", &[("source", "#nowhere")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Taras covers for David: his account's email is his in the config, so the tick is his.
    add_account(
        &app,
        "Taras@Integrations.example",
        Role::Member,
        Some(PASSWORD),
    )
    .await;
    let taras = sign_in(&app, "Taras@Integrations.example", PASSWORD).await;
    let response = taras
        .post_form(
            "/teams/integrations/checks",
            &[("source", "#feedback-dogfood")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let checks = app
        .store
        .list_checks(
            "integrations",
            app.clock.now() - chrono::Duration::days(1),
            app.clock.now() + chrono::Duration::days(1),
        )
        .await
        .expect("checks");
    let by: Vec<_> = checks
        .iter()
        .map(|c| (c.source.as_str(), c.member.as_str()))
        .collect();
    assert_eq!(
        by,
        [("#integrations", "david"), ("#feedback-dogfood", "taras")]
    );
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_and_assets_their_types() {
    let app = spawn_app().await;
    let viewer = web_client(&app, Role::Viewer).await;
    let response = viewer.get("/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), BOARD);

    for path in [
        BOARD,
        "/teams/integrations/schedule",
        "/teams/integrations/settings",
    ] {
        let response = viewer.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let csp = response.headers()[CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.contains("script-src 'self'"), "{path}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
        assert!(response.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
    }
    let html = viewer.page(BOARD).await;
    for (name, content_type) in [
        ("baton.css", "text/css; charset=utf-8"),
        ("baton.js", "text/javascript; charset=utf-8"),
    ] {
        let prefix = format!("/static/{name}?v=");
        let start = html.find(&prefix).expect("a versioned asset link");
        let end = start + html[start..].find('"').unwrap();
        let response = browser()
            .get(format!("{}{}", app.address, &html[start..end]))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[CONTENT_TYPE], content_type);
        assert!(response.headers()[CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable"));
    }
    // Unknown teams and inquiries are 404 pages.
    assert_eq!(
        viewer.get("/teams/nobody").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        viewer
            .get("/teams/integrations/inquiries/999")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        viewer
            .get("/teams/integrations/inquiries/abc")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_settings_page_shows_the_team_as_configured() {
    let app = spawn_app().await;
    let viewer = web_client(&app, Role::Viewer).await;
    let html = viewer.page("/teams/integrations/settings").await;
    assert_eq!(html.matches(r#"data-test="settings-member""#).count(), 4);
    assert!(html.contains("America/New_York"));
    assert!(html.contains("Mon-Thu 08:00-16:00, Fri 08:00-12:00"));
    assert!(html.contains(r##"data-source="#alerts-integrations""##));
    assert!(
        html.contains("30m / —"),
        "the alert channel's critical target"
    );
    assert!(html.contains("area JB"));
    assert_eq!(html.matches(r#"data-test="settings-rule""#).count(), 5);
}
