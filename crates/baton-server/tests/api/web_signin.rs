//! Sign-in, sessions, CSRF and roles on the web pages, through real HTTP with a cookie store.

use baton_core::access::Role;
use baton_server::web::accounts::issue_login_link;
use chrono::Duration;
use reqwest::header::{COOKIE, ORIGIN, SET_COOKIE};
use reqwest::{Response, StatusCode};

use crate::helpers::{spawn_app, TestApp};
use crate::web_helpers::{
    add_account, browser, hidden_field, location, sign_in, signed_in, submit_signin, web_client,
    WebClient, PASSWORD,
};

const FAILED: &str = "That email and password do not match an account that may sign in.";

/// The `Set-Cookie` header that sets `name`.
fn set_cookie(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// The session cookie's value from a `Set-Cookie` header.
fn cookie_value(header: &str) -> String {
    let pair = header.split(';').next().unwrap_or_default();
    pair.split_once('=')
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default()
}

/// A one-time sign-in link for `email`'s account, as `/login/link/<secret>`.
async fn link_for(app: &TestApp, user_id: i64) -> String {
    let secret = issue_login_link(app.store.as_ref(), user_id, "test", app.clock.now())
        .await
        .expect("a link");
    format!("/login/link/{secret}")
}

/// Opens `link` with `client` as a person does: its page, then its Sign in button.
async fn use_link(client: &reqwest::Client, app: &TestApp, link: &str) -> Response {
    let page = client
        .get(format!("{}{link}", app.address))
        .send()
        .await
        .expect("an answer");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(set_cookie(&page, "baton_session").is_none());
    let html = page.text().await.expect("a page");
    let token = hidden_field(&html, "csrf").expect("the link page's token");
    client
        .post(format!("{}{link}", app.address))
        .form(&[("csrf", token.as_str())])
        .send()
        .await
        .expect("an answer")
}

async fn user_count(app: &TestApp) -> usize {
    app.store.list_users().await.expect("users").len()
}

#[tokio::test]
async fn a_member_signs_in_with_a_password_and_signs_out() {
    let app = spawn_app().await;
    let web = web_client(&app, Role::Member).await;
    let html = web.page("/account").await;
    assert!(html.contains(&web.email), "{html}");
    assert!(
        html.contains(r#"data-test="account-role">member<"#),
        "{html}"
    );
    assert_eq!(web.csrf.len(), 64);

    let signed_out = web.post_form("/logout", &[]).await;
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&signed_out), "/login");
    let after = web.get("/account").await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&after), "/login?next=%2Faccount");
}

#[tokio::test]
async fn the_session_cookie_is_http_only_same_site_and_secure() {
    let app = spawn_app().await;
    add_account(&app, "ana@example.com", Role::Viewer, Some(PASSWORD)).await;
    let client = browser();
    let response = submit_signin(&client, &app.address, "ana@example.com", PASSWORD, "/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = set_cookie(&response, "baton_session").expect("a session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure", "Max-Age="] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
    // 256 random bits, hex.
    assert_eq!(cookie_value(&cookie).len(), 64);
    // The secret is not what the database keeps.
    let events = app
        .store
        .list_events(baton_store::EventFilter {
            team: None,
            limit: 100,
        })
        .await
        .expect("events");
    let signin = events
        .iter()
        .find(|e| e.kind == "session.created")
        .expect("a sign-in event");
    assert_eq!(signin.actor, "user:ana@example.com");
    assert_eq!(signin.data["method"], "password");
    assert!(!signin.data.to_string().contains(&cookie_value(&cookie)));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    add_account(&app, "ana@example.com", Role::Member, Some(PASSWORD)).await;
    add_account(&app, "linkonly@example.com", Role::Member, None).await;
    let mut answers = Vec::new();
    for (email, password) in [
        ("ana@example.com", "not the password"),
        ("nobody@example.com", PASSWORD),
        ("linkonly@example.com", ""),
    ] {
        let client = browser();
        let response = submit_signin(&client, &app.address, email, password, "/").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{email}");
        assert!(set_cookie(&response, "baton_session").is_none());
        let html = response.text().await.expect("a page");
        assert!(html.contains(FAILED), "{html}");
        // The form comes back with the email filled in.
        assert!(html.contains(&format!(r#"value="{email}""#)), "{html}");
        answers.push(html.replace(email, "EMAIL"));
        let account = client
            .get(format!("{}/account", app.address))
            .send()
            .await
            .expect("an answer");
        assert_eq!(account.status(), StatusCode::SEE_OTHER, "not signed in");
    }
    // Apart from the email and the fresh form token, the pages are the same.
    let strip = |html: &str| {
        let token = hidden_field(html, "csrf").expect("a form token");
        html.replace(&token, "TOKEN")
    };
    assert_eq!(strip(&answers[0]), strip(&answers[1]));
    assert_eq!(strip(&answers[0]), strip(&answers[2]));

    // The email is found whatever its case.
    sign_in(&app, "ANA@Example.COM", PASSWORD).await;
}

#[tokio::test]
async fn failed_attempts_are_limited_per_email_then_allowed_again() {
    let app = spawn_app().await;
    add_account(&app, "ana@example.com", Role::Member, Some(PASSWORD)).await;
    let client = browser();
    for attempt in 1..=5 {
        let response = submit_signin(&client, &app.address, "ana@example.com", "wrong", "/").await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}"
        );
    }
    // Even the right password is refused now, without being checked.
    let response = submit_signin(&client, &app.address, "Ana@example.com", PASSWORD, "/").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(set_cookie(&response, "baton_session").is_none());
    let html = response.text().await.expect("a page");
    assert!(
        html.contains("Too many failed sign-in attempts. Wait 15 minutes"),
        "{html}"
    );

    app.clock.advance(Duration::minutes(15));
    let response = submit_signin(&client, &app.address, "ana@example.com", PASSWORD, "/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn failed_attempts_are_limited_per_client_address() {
    let app = spawn_app().await;
    add_account(&app, "ana@example.com", Role::Member, Some(PASSWORD)).await;
    let client = browser();
    for n in 0..20 {
        let email = format!("guess{n}@example.com");
        let response = submit_signin(&client, &app.address, &email, "wrong", "/").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let response = submit_signin(&client, &app.address, "ana@example.com", PASSWORD, "/").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    add_account(&app, "ana@example.com", Role::Member, Some(PASSWORD)).await;
    let client = browser();
    let response = submit_signin(&client, &app.address, "ana@example.com", PASSWORD, "/").await;
    let secret = cookie_value(&set_cookie(&response, "baton_session").expect("a cookie"));
    let web = signed_in(client, &app.address, "ana@example.com").await;

    let out = web.post_form("/logout", &[]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let cleared = set_cookie(&out, "baton_session").expect("the cookie is cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    // A copy of the old cookie (kept by an attacker, say) no longer works.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client")
        .get(format!("{}/account", app.address))
        .header(COOKIE, format!("baton_session={secret}"))
        .send()
        .await
        .expect("an answer");
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&replay), "/login?next=%2Faccount");
}

#[tokio::test]
async fn sessions_end_when_idle_and_at_their_cap() {
    let app = spawn_app().await;
    let web = web_client(&app, Role::Viewer).await;
    // Used every six days, the session lives on ...
    for _ in 0..4 {
        app.clock.advance(Duration::days(6));
        web.page("/account").await;
    }
    // ... but not beyond 30 days after sign-in.
    app.clock.advance(Duration::days(6) + Duration::minutes(1));
    assert_eq!(web.get("/account").await.status(), StatusCode::SEE_OTHER);

    let idle = web_client(&app, Role::Viewer).await;
    app.clock.advance(Duration::days(7));
    assert_eq!(idle.get("/account").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_sign_in_link_works_once() {
    let app = spawn_app().await;
    let user = add_account(&app, "new@example.com", Role::Admin, None).await;
    let link = link_for(&app, user.id).await;

    let client = browser();
    let response = use_link(&client, &app, &link).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
    assert_eq!(
        response
            .headers()
            .get("referrer-policy")
            .and_then(|v| v.to_str().ok()),
        Some("same-origin")
    );
    let web = signed_in(client, &app.address, "new@example.com").await;
    web.page("/admin/users").await;

    let again = use_link(&browser(), &app, &link).await;
    assert_eq!(again.status(), StatusCode::GONE);
    assert!(set_cookie(&again, "baton_session").is_none());
    let html = again.text().await.expect("a page");
    assert!(html.contains("already been used"), "{html}");

    let unknown = use_link(&browser(), &app, &format!("/login/link/{}", "0".repeat(64))).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(unknown.text().await.expect("a page").contains("not valid"));
}

/// Slack unfurls the links posted in it, and mail scanners fetch them: opening a link only shows
/// its page, and only its button, sent from that page, uses the link.
#[tokio::test]
async fn opening_a_link_does_not_use_it() {
    let app = spawn_app().await;
    let user = add_account(&app, "shared@example.com", Role::Member, None).await;
    let link = link_for(&app, user.id).await;

    // A previewer: plain GETs, without cookies, any number of times.
    let previewer = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    for _ in 0..3 {
        let preview = previewer
            .get(format!("{}{link}", app.address))
            .header(
                "user-agent",
                "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            )
            .send()
            .await
            .expect("an answer");
        assert_eq!(preview.status(), StatusCode::OK);
        assert!(set_cookie(&preview, "baton_session").is_none());
        let html = preview.text().await.expect("a page");
        assert!(html.contains(r#"data-test="link-submit""#), "{html}");
    }

    // The button without the page's token, or from another site, does not use it either.
    let client = browser();
    let forged = client
        .post(format!("{}{link}", app.address))
        .form(&[("csrf", "0".repeat(64))])
        .send()
        .await
        .expect("an answer");
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&forged, "baton_session").is_none());
    assert!(forged.text().await.expect("a page").contains("expired"));
    let cross_site = client
        .post(format!("{}{link}", app.address))
        .header(ORIGIN, "https://evil.example")
        .form(&[("csrf", "0".repeat(64))])
        .send()
        .await
        .expect("an answer");
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&cross_site, "baton_session").is_none());

    // Its owner then signs in with it.
    let response = use_link(&client, &app, &link).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/");
    signed_in(client, &app.address, "shared@example.com")
        .await
        .page("/account")
        .await;

    // A malformed secret is refused at once, on either method.
    for path in ["/login/link/not-a-secret", "/login/link/%3Cscript%3E"] {
        let page = browser()
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("an answer");
        assert_eq!(page.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(!page.text().await.expect("a page").contains("<script>"));
    }
}

#[tokio::test]
async fn an_expired_link_is_refused() {
    let app = spawn_app().await;
    let user = add_account(&app, "late@example.com", Role::Member, None).await;
    let link = link_for(&app, user.id).await;
    app.clock.advance(Duration::hours(24));
    let response = use_link(&browser(), &app, &link).await;
    assert_eq!(response.status(), StatusCode::GONE);
    assert!(set_cookie(&response, "baton_session").is_none());
    assert!(response.text().await.expect("a page").contains("expired"));
}

#[tokio::test]
async fn after_sign_in_only_local_pages_are_followed() {
    let app = spawn_app().await;
    add_account(&app, "ana@example.com", Role::Member, Some(PASSWORD)).await;
    for (next, expected) in [
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("/teams/integrations?x=1", "/teams/integrations?x=1"),
    ] {
        let client = browser();
        let response =
            submit_signin(&client, &app.address, "ana@example.com", PASSWORD, next).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next}");
        assert_eq!(location(&response), expected, "{next}");
        // Signed in already, /login goes to `next` if it is local.
        let again = client
            .get(format!("{}/login?next={}", app.address, urlencode(next)))
            .send()
            .await
            .expect("an answer");
        assert_eq!(location(&again), expected, "{next}");
    }
    // A page that needs sign-in sends the browser to /login with itself as `next`, which the
    // form carries.
    let client = browser();
    let page = client
        .get(format!("{}/admin/users?x=1", app.address))
        .send()
        .await
        .expect("an answer");
    assert_eq!(location(&page), "/login?next=%2Fadmin%2Fusers%3Fx%3D1");
    let form = client
        .get(format!("{}{}", app.address, location(&page)))
        .send()
        .await
        .expect("an answer")
        .text()
        .await
        .expect("a page");
    assert_eq!(
        hidden_field(&form, "next").as_deref(),
        Some("/admin/users?x=1")
    );
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .expect("encodable")
        .trim_start_matches('=')
        .to_owned()
}

#[tokio::test]
async fn forms_without_the_right_token_or_from_another_site_change_nothing() {
    let app = spawn_app().await;
    let admin = web_client(&app, Role::Admin).await;
    let before = user_count(&app).await;
    let fields = [("email", "x@example.com"), ("role", "admin")];

    let missing = admin.post_raw("/admin/users", &fields).await;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    assert!(missing
        .text()
        .await
        .expect("a page")
        .contains("security token is missing or out of date"));

    let wrong_token = "0".repeat(64);
    let wrong = admin
        .post_raw(
            "/admin/users",
            &[("csrf", wrong_token.as_str()), fields[0], fields[1]],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);

    let cross_site = admin
        .client
        .post(format!("{}/admin/users", admin.base))
        .header(ORIGIN, "https://evil.example")
        .form(&[("csrf", admin.csrf.as_str()), fields[0], fields[1]])
        .send()
        .await
        .expect("an answer");
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);

    let logout = admin.post_raw("/logout", &[]).await;
    assert_eq!(logout.status(), StatusCode::FORBIDDEN);
    admin.page("/account").await;

    assert_eq!(user_count(&app).await, before, "nothing was added");

    // The same form with its token and from our own origin works.
    let own = admin
        .client
        .post(format!("{}/admin/users", admin.base))
        .header(ORIGIN, admin.base.as_str())
        .form(&[("csrf", admin.csrf.as_str()), fields[0], fields[1]])
        .send()
        .await
        .expect("an answer");
    assert_eq!(own.status(), StatusCode::CREATED);
    assert_eq!(user_count(&app).await, before + 1);
}

#[tokio::test]
async fn the_sign_in_form_needs_its_own_token() {
    let app = spawn_app().await;
    add_account(&app, "ana@example.com", Role::Member, Some(PASSWORD)).await;
    // A cross-site page posting the sign-in form has neither the form's cookie nor its token.
    let response = browser()
        .post(format!("{}/login", app.address))
        .form(&[("email", "ana@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&response, "baton_session").is_none());
}

#[tokio::test]
async fn viewers_and_members_cannot_manage_users() {
    let app = spawn_app().await;
    let admin = web_client(&app, Role::Admin).await;
    let target = add_account(&app, "target@example.com", Role::Member, None).await;
    for role in [Role::Viewer, Role::Member] {
        let web = web_client(&app, role).await;
        let page = web.get("/admin/users").await;
        assert_eq!(page.status(), StatusCode::FORBIDDEN, "{role}");
        let html = page.text().await.expect("a page");
        assert!(html.contains("this needs the admin role"), "{html}");
        let before = user_count(&app).await;
        for (path, fields) in [
            (
                "/admin/users",
                vec![("email", "y@example.com"), ("role", "admin")],
            ),
            (
                &*format!("/admin/users/{}/role", target.id),
                vec![("role", "admin")],
            ),
            (&*format!("/admin/users/{}/disable", target.id), vec![]),
            (&*format!("/admin/users/{}/link", target.id), vec![]),
        ] {
            let response = web.post_form(path, &fields).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{role} {path}");
        }
        assert_eq!(user_count(&app).await, before);
        let unchanged = app.store.get_user(target.id).await.expect("the account");
        assert_eq!(unchanged.role, Role::Member);
        assert!(unchanged.is_active());
        // The header offers them no Users link.
        assert!(!web
            .page("/account")
            .await
            .contains(r#"href="/admin/users""#));
    }
    assert!(admin
        .page("/account")
        .await
        .contains(r#"href="/admin/users""#));
}

#[tokio::test]
async fn a_viewer_cannot_take_member_actions() {
    let app = spawn_app().await;
    let viewer = web_client(&app, Role::Viewer).await;
    let response = viewer
        .post_form("/teams/integrations/checks", &[("source", "slack-support")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response
        .text()
        .await
        .expect("a page")
        .contains("this needs the member role; you are signed in as a viewer"));
}

#[tokio::test]
async fn an_admin_adds_people_changes_roles_and_makes_links() {
    let app = spawn_app().await;
    let admin = web_client(&app, Role::Admin).await;

    // Without a password: a one-time link, shown once.
    let added = admin
        .post_form(
            "/admin/users",
            &[
                ("email", "Newcomer@Example.com"),
                ("role", "viewer"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let html = added.text().await.expect("a page");
    assert!(
        html.contains("Added Newcomer@Example.com as a viewer."),
        "{html}"
    );
    let url = hidden_value(&html, "new-link").expect("the link on the page");
    let path = url
        .strip_prefix(&app.address)
        .unwrap_or_else(|| panic!("{url} is on this server"));
    assert!(path.starts_with("/login/link/"), "{url}");
    let newcomer = app
        .store
        .find_user("newcomer@example.com")
        .await
        .expect("a lookup")
        .expect("the account");
    assert_eq!(newcomer.role, Role::Viewer);
    assert_eq!(newcomer.created_by, format!("user:{}", admin.email));
    assert!(
        !admin.page("/admin/users").await.contains(path),
        "shown only once"
    );

    let client = browser();
    let redeemed = use_link(&client, &app, path).await;
    assert_eq!(redeemed.status(), StatusCode::SEE_OTHER);
    let newcomer_web = signed_in(client, &app.address, "newcomer@example.com").await;
    assert_eq!(
        newcomer_web.get("/admin/users").await.status(),
        StatusCode::FORBIDDEN
    );

    // The role changes at once, also for a session already open.
    let changed = admin
        .post_form(
            &format!("/admin/users/{}/role", newcomer.id),
            &[("role", "admin")],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&changed), "/admin/users");
    newcomer_web.page("/admin/users").await;

    // With a password: signs in with it.
    let with_password = admin
        .post_form(
            "/admin/users",
            &[
                ("email", "pw@example.com"),
                ("role", "member"),
                ("password", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(with_password.status(), StatusCode::CREATED);
    sign_in(&app, "pw@example.com", "a long enough password").await;

    // Mistakes are named.
    for (fields, status, message) in [
        (
            vec![("email", "pw@EXAMPLE.com"), ("role", "member")],
            StatusCode::CONFLICT,
            "already exists",
        ),
        (
            vec![("email", "not-an-email"), ("role", "member")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "is not an email address",
        ),
        (
            vec![("email", "z@example.com"), ("role", "root")],
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown role",
        ),
        (
            vec![
                ("email", "z@example.com"),
                ("role", "member"),
                ("password", "short"),
            ],
            StatusCode::UNPROCESSABLE_ENTITY,
            "at least 10",
        ),
        (vec![("role", "member")], StatusCode::BAD_REQUEST, "email"),
    ] {
        let response = admin.post_form("/admin/users", &fields).await;
        assert_eq!(response.status(), status, "{fields:?}");
        let html = response.text().await.expect("a page");
        assert!(html.contains(message), "{fields:?}: {html}");
    }

    // A fresh link for someone: shown once.
    let link = admin
        .post_form(&format!("/admin/users/{}/link", newcomer.id), &[])
        .await;
    assert_eq!(link.status(), StatusCode::OK);
    let html = link.text().await.expect("a page");
    assert!(hidden_value(&html, "new-link").is_some(), "{html}");

    // An admin cannot lock themselves out.
    let me = app
        .store
        .find_user(&admin.email)
        .await
        .expect("a lookup")
        .expect("the admin");
    let own = admin
        .post_form(&format!("/admin/users/{}/disable", me.id), &[])
        .await;
    assert_eq!(own.status(), StatusCode::CONFLICT);
    let own = admin
        .post_form(
            &format!("/admin/users/{}/role", me.id),
            &[("role", "viewer")],
        )
        .await;
    assert_eq!(own.status(), StatusCode::CONFLICT);
    admin.page("/admin/users").await;
}

/// The `value` of the read-only input marked `data-test="<test>"`.
fn hidden_value(html: &str, test: &str) -> Option<String> {
    let marker = format!(r#"data-test="{test}""#);
    let tag_end = html.find(&marker)?;
    let tag_start = html[..tag_end].rfind('<')?;
    let tag = &html[tag_start..tag_end];
    let start = tag.find(r#"value=""#)? + r#"value=""#.len();
    let end = tag[start..].find('"')?;
    Some(tag[start..start + end].to_owned())
}

/// The admin disables (`true`) or enables the account `id` on the users page, which then shows
/// the account so.
async fn set_disabled(admin: &WebClient, id: i64, email: &str, disabled: bool) {
    let action = if disabled { "disable" } else { "enable" };
    let answer = admin
        .post_form(&format!("/admin/users/{id}/{action}"), &[])
        .await;
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let page = admin.page("/admin/users").await;
    assert!(
        page.contains(&format!(
            r#"data-email="{email}" data-disabled="{disabled}""#
        )),
        "{page}"
    );
}

#[tokio::test]
async fn a_disabled_account_is_signed_out_and_cannot_sign_in() {
    let app = spawn_app().await;
    let admin = web_client(&app, Role::Admin).await;
    let member = web_client(&app, Role::Member).await;
    member.page("/account").await;
    let account = app
        .store
        .find_user(&member.email)
        .await
        .expect("a lookup")
        .expect("the member");
    let link = link_for(&app, account.id).await;

    set_disabled(&admin, account.id, &member.email, true).await;

    // The open session ended ...
    let after = member.get("/account").await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    // ... the password no longer signs in (with the same answer as a wrong one) ...
    let client = browser();
    let again = submit_signin(&client, &app.address, &member.email, PASSWORD, "/").await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    assert!(again.text().await.expect("a page").contains(FAILED));
    // ... nor does a link made before.
    let by_link = use_link(&browser(), &app, &link).await;
    assert_eq!(by_link.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&by_link, "baton_session").is_none());

    // Enabled again by the admin: the password signs in once more, but the link made before
    // the account was disabled stays dead.
    set_disabled(&admin, account.id, &member.email, false).await;
    let back = submit_signin(&browser(), &app.address, &member.email, PASSWORD, "/").await;
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    let old_link = use_link(&browser(), &app, &link).await;
    assert_eq!(old_link.status(), StatusCode::GONE);
    assert!(old_link.text().await.expect("a page").contains("expired"));
    // An admin cannot enable (or disable) their own account.
    let admin_id = app
        .store
        .find_user(&admin.email)
        .await
        .expect("a lookup")
        .expect("the admin")
        .id;
    let own = admin
        .post_form(&format!("/admin/users/{admin_id}/enable"), &[])
        .await;
    assert_eq!(own.status(), StatusCode::CONFLICT);
}

/// The status of a password sign-in as `linked@example.com`.
async fn signin_status(app: &TestApp, password: &str) -> StatusCode {
    submit_signin(
        &browser(),
        &app.address,
        "linked@example.com",
        password,
        "/",
    )
    .await
    .status()
}

/// A link-only account sets a password on its account page, then changes it: the current
/// password is asked for once there is one, the rules of a new account apply, and the person's
/// other sessions end while this one stays.
#[tokio::test]
async fn a_person_sets_and_changes_their_own_password() {
    let app = spawn_app().await;
    let user = add_account(&app, "linked@example.com", Role::Member, None).await;
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let client = browser();
        let link = link_for(&app, user.id).await;
        assert_eq!(
            use_link(&client, &app, &link).await.status(),
            StatusCode::SEE_OTHER
        );
        sessions.push(signed_in(client, &app.address, "linked@example.com").await);
    }
    let (web, other) = (&sessions[0], &sessions[1]);
    let page = web.page("/account").await;
    assert!(page.contains("Set a password"), "{page}");
    assert!(!page.contains(r#"name="current""#), "{page}");

    let new_password = "correct horse battery";
    for (fields, status, says) in [
        (
            [("new", "short"), ("repeat", "short")],
            StatusCode::BAD_REQUEST,
            "at least 10",
        ),
        (
            [("new", new_password), ("repeat", "correct horse battery!")],
            StatusCode::BAD_REQUEST,
            "differ",
        ),
    ] {
        let refused = web.post_form("/account/password", &fields).await;
        assert_eq!(refused.status(), status);
        let html = refused.text().await.expect("a page");
        assert!(html.contains(says), "{html}");
    }
    assert_eq!(
        signin_status(&app, new_password).await,
        StatusCode::UNAUTHORIZED
    );

    let set = web
        .post_form(
            "/account/password",
            &[("new", new_password), ("repeat", new_password)],
        )
        .await;
    assert_eq!(set.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&set), "/account?password=set");
    let html = web.page("/account?password=set").await;
    assert!(html.contains(r#"data-test="password-notice""#), "{html}");
    assert!(html.contains(r#"name="current""#), "{html}");
    assert_eq!(other.get("/account").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        signin_status(&app, new_password).await,
        StatusCode::SEE_OTHER
    );

    // Changing it needs the current one.
    let newer = "a longer passphrase now";
    let wrong = web
        .post_form(
            "/account/password",
            &[
                ("current", "not the password"),
                ("new", newer),
                ("repeat", newer),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    assert!(wrong
        .text()
        .await
        .expect("a page")
        .contains("current password is not right"));
    let changed = web
        .post_form(
            "/account/password",
            &[("current", new_password), ("new", newer), ("repeat", newer)],
        )
        .await;
    assert_eq!(changed.status(), StatusCode::SEE_OTHER);
    for (password, status) in [
        (new_password, StatusCode::UNAUTHORIZED),
        (newer, StatusCode::SEE_OTHER),
    ] {
        assert_eq!(signin_status(&app, password).await, status, "{password}");
    }
    let events = app
        .store
        .list_events(baton_store::EventFilter {
            team: None,
            limit: 100,
        })
        .await
        .expect("events");
    let set: Vec<_> = events
        .iter()
        .filter(|e| e.kind == "user.password_set")
        .collect();
    assert_eq!(set.len(), 2);
    assert!(set
        .iter()
        .all(|e| e.actor == "user:linked@example.com" && !e.data.to_string().contains("argon")));
}
