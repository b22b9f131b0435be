//! Sign-in, sign-out, one-time sign-in links and the account page.
//!
//! | route | what |
//! |---|---|
//! | `GET /login?next=/path` | the sign-in form (a signed-in visitor goes straight to `next`) |
//! | `POST /login` | email and password: a session cookie and 303 to `next`, or the form again |
//! | `GET /login/link/{secret}` | a one-time link's page: a button that signs in; the link stays unused |
//! | `POST /login/link/{secret}` | uses the link: a session cookie and 303 to `/`, or a page saying why not |
//! | `POST /logout` | ends the session on the server and clears the cookie |
//! | `GET /account` | who is signed in, with the sign-out button and the password form |
//! | `POST /account/password` | sets the viewer's password (the current one first, if any), ends their other sessions, 303 to `/account?password=set` |
//!
//! Opening a link only shows its page: chat apps and mail scanners fetch the links they see
//! (Slack unfurls them) and would otherwise use the link up before its owner clicks it.
//!
//! The sign-in form and the link's button are protected against cross-site posts by a random
//! token kept in a short-lived `baton_signin` cookie and repeated in the form (double submit),
//! and by the `Origin` check. Failed attempts are limited per email and per client address
//! ([`throttle`](super::throttle)); the answer to a wrong password, an unknown email, a
//! disabled or a link-only account is the same message after the same work (a password check
//! against a dummy hash), so the form does not tell which emails have accounts.

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::from_fn;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use axum_extra::extract::cookie::{Cookie, SameSite};
use axum_extra::extract::CookieJar;
use baton_core::access::{email_key, LinkRefused, SignInMethod, User};
use chrono::Duration;
use serde::Deserialize;

use crate::auth::hash_token;
use crate::web::accounts::{
    check_password as check_new_password, hash_password, is_secret, new_secret, verify_password,
};
use crate::web::error::WebError;
use crate::web::pages::{Layout, Nav};
use crate::web::session::{
    check_origin, cookie_duration, current_viewer, new_session, removal_cookie, secrets_match,
    session_cookie, session_secret, CsrfForm, Viewer, CSRF_FIELD,
};
use crate::web::throttle::SignInLimits;
use crate::AppState;

/// The cookie that carries the sign-in form's token (before there is a session).
const SIGNIN_COOKIE: &str = "baton_signin";
/// How long a sign-in form stays usable.
const SIGNIN_FORM_LIFETIME: Duration = Duration::hours(2);

/// What every failed sign-in says, whatever the reason.
pub const SIGNIN_FAILED: &str =
    "That email and password do not match an account that may sign in. Check both and try again.";

/// A hash that no password matches in practice, checked when there is no real one, so that an
/// unknown email costs as much time as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let (random, _) = new_secret();
    hash_password(&random).unwrap_or_default()
});

/// `/login`, `/logout`, `/login/link/{token}`, `/account`.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(signin_form).post(signin))
        .route("/login/link/{token}", get(link_page).post(redeem_link))
        .route("/logout", post(signout))
        .route("/account", get(account))
        .route("/account/password", post(set_password))
        .layer(Extension(Arc::new(SignInLimits::default())))
        .layer(from_fn(crate::web::security_headers))
}

/// The sign-in page.
#[derive(Template)]
#[template(path = "signin.html")]
struct SigninPage<'a> {
    csrf_field: &'a str,
    csrf: String,
    next: String,
    email: String,
    error: Option<String>,
}

/// A local path to go to after signing in: `next` if it is a path on this server, else `/`.
/// Refuses anything a browser could read as another site (`//evil`, `/\evil`, `https://…`),
/// and the sign-in pages themselves.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control)
                && !n.starts_with("/login")
                && !n.starts_with("/logout") =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// Renders the sign-in form with a fresh form token (set in its cookie).
fn form_page(
    status: StatusCode,
    next: &str,
    email: &str,
    error: Option<String>,
) -> Result<Response, WebError> {
    let (token, _) = new_secret();
    let page = SigninPage {
        csrf_field: CSRF_FIELD,
        csrf: token.clone(),
        next: next.to_owned(),
        email: email.to_owned(),
        error,
    };
    let html = page.render().map_err(WebError::internal)?;
    Ok((status, CookieJar::new().add(form_cookie(token)), Html(html)).into_response())
}

/// The cookie that holds a pre-session form's token, for every page below `/login`.
fn form_cookie(token: String) -> Cookie<'static> {
    Cookie::build((SIGNIN_COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Strict)
        .path("/login")
        .secure(true)
        .max_age(cookie_duration(SIGNIN_FORM_LIFETIME))
        .build()
}

/// Whether the form token sent in a pre-session form matches its cookie.
fn form_token_matches(jar: &CookieJar, sent: Option<&str>) -> bool {
    let expected = jar
        .get(SIGNIN_COOKIE)
        .map(|c| c.value())
        .unwrap_or_default();
    secrets_match(sent.unwrap_or_default(), expected)
}

async fn signin_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<NextQuery>,
) -> Result<Response, WebError> {
    let next = safe_next(query.next.as_deref());
    let store = state.service.store();
    if current_viewer(store.as_ref(), &headers, state.service.now())
        .await
        .map_err(WebError::internal)?
        .is_some()
    {
        return Ok(Redirect::to(&next).into_response());
    }
    form_page(StatusCode::OK, &next, "", None)
}

#[derive(Deserialize)]
struct SigninForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
    csrf: Option<String>,
}

/// The client's IP address, as the connection shows it (a proxy's address behind a proxy).
fn client_address(request_extensions: &axum::http::Extensions) -> String {
    request_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

async fn signin(
    State(state): State<AppState>,
    Extension(limits): Extension<Arc<SignInLimits>>,
    request: Request,
) -> Result<Response, WebError> {
    let (parts, body) = request.into_parts();
    check_origin(&parts.headers)?;
    let address = client_address(&parts.extensions);
    let jar = CookieJar::from_headers(&parts.headers);
    let body = Bytes::from_request(Request::from_parts(parts, body), &state)
        .await
        .map_err(|e| WebError::BadRequest(format!("the sign-in form cannot be read: {e}")))?;
    let form: SigninForm = serde_urlencoded::from_bytes(&body)
        .map_err(|e| WebError::BadRequest(format!("the sign-in form cannot be read: {e}")))?;
    let next = safe_next(form.next.as_deref());

    if !form_token_matches(&jar, form.csrf.as_deref()) {
        return form_page(
            StatusCode::FORBIDDEN,
            &next,
            &form.email,
            Some("The sign-in form had expired. Please sign in again.".into()),
        );
    }

    let now = state.service.now();
    let key = email_key(&form.email);
    if let Some(until) = limits.blocked_until(&key, &address, now) {
        tracing::warn!(%address, "sign-in refused: too many failed attempts");
        return form_page(
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            &form.email,
            Some(format!(
                "{}, or ask an admin for a sign-in link.",
                SignInLimits::wait_message(until, now)
            )),
        );
    }

    let user = state
        .service
        .store()
        .find_user(&form.email)
        .await
        .map_err(WebError::internal)?;
    let verified = check_password(&limits, user.as_ref(), form.password).await?;
    let Some(user) = verified else {
        limits.fail(&key, &address, now);
        tracing::info!(%address, "sign-in failed");
        return form_page(
            StatusCode::UNAUTHORIZED,
            &next,
            &form.email,
            Some(SIGNIN_FAILED.into()),
        );
    };
    limits.by_email.clear(&key);

    let (secret, session) = new_session(now, SignInMethod::Password);
    state
        .service
        .store()
        .create_session(user.id, session)
        .await
        .map_err(WebError::internal)?;
    tracing::info!(user = user.id, "signed in with a password");
    let jar = CookieJar::new()
        .add(session_cookie(secret))
        .remove(Cookie::build(SIGNIN_COOKIE).path("/login"));
    Ok((jar, Redirect::to(&next)).into_response())
}

/// The account, if `password` is its password and it may sign in. Always does one argon2
/// check (against a dummy hash when there is no real one), on a blocking thread, at most as
/// many at once as [`SignInLimits::hashing`] allows.
async fn check_password(
    limits: &SignInLimits,
    user: Option<&User>,
    password: String,
) -> Result<Option<User>, WebError> {
    let candidate = user.filter(|u| u.is_active() && u.password_hash.is_some());
    let hash = candidate
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.clone());
    let _permit = limits.hashing.acquire().await.map_err(WebError::internal)?;
    let matched = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
        .await
        .map_err(WebError::internal)?;
    Ok(candidate.filter(|_| matched).cloned())
}

/// A page that says why a sign-in link did not work, with the form to sign in otherwise.
fn refused_link(refused: LinkRefused) -> Result<Response, WebError> {
    let status = match refused {
        LinkRefused::Unknown => StatusCode::NOT_FOUND,
        LinkRefused::Used | LinkRefused::Expired => StatusCode::GONE,
        LinkRefused::Disabled => StatusCode::FORBIDDEN,
    };
    let message = match refused {
        // Say no more about a disabled account than the password form does.
        LinkRefused::Disabled => "This sign-in link no longer works. Ask an admin.".to_owned(),
        other => format!("{}.", capitalise(&other.to_string())),
    };
    form_page(status, "/", "", Some(message))
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The page a one-time sign-in link opens.
#[derive(Template)]
#[template(path = "signin_link.html")]
struct LinkPage<'a> {
    csrf_field: &'a str,
    csrf: String,
    secret: &'a str,
    error: Option<&'a str>,
}

/// The link's page, with a fresh form token (set in its cookie).
fn link_form(status: StatusCode, secret: &str, error: Option<&str>) -> Result<Response, WebError> {
    let (token, _) = new_secret();
    let page = LinkPage {
        csrf_field: CSRF_FIELD,
        csrf: token.clone(),
        secret,
        error,
    };
    let html = page.render().map_err(WebError::internal)?;
    Ok((status, CookieJar::new().add(form_cookie(token)), Html(html)).into_response())
}

/// `GET /login/link/{secret}`: the button that uses the link. Leaves the link unused, so that
/// a preview fetched by a chat app or a mail scanner does not spend it.
async fn link_page(Path(secret): Path<String>) -> Result<Response, WebError> {
    if !is_secret(&secret) {
        return refused_link(LinkRefused::Unknown);
    }
    link_form(StatusCode::OK, &secret, None)
}

/// The link page's form has only its token.
#[derive(Deserialize)]
struct LinkForm {
    csrf: Option<String>,
}

/// `POST /login/link/{secret}`: uses the link (once) and signs in.
async fn redeem_link(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    request: Request,
) -> Result<Response, WebError> {
    let (parts, body) = request.into_parts();
    check_origin(&parts.headers)?;
    let jar = CookieJar::from_headers(&parts.headers);
    if !is_secret(&secret) {
        return refused_link(LinkRefused::Unknown);
    }
    let body = Bytes::from_request(Request::from_parts(parts, body), &state)
        .await
        .map_err(|e| {
            WebError::BadRequest(format!("the sign-in link's form cannot be read: {e}"))
        })?;
    let form: LinkForm = serde_urlencoded::from_bytes(&body).map_err(|e| {
        WebError::BadRequest(format!("the sign-in link's form cannot be read: {e}"))
    })?;
    if !form_token_matches(&jar, form.csrf.as_deref()) {
        return link_form(
            StatusCode::FORBIDDEN,
            &secret,
            Some("This page had expired. Press Sign in again."),
        );
    }
    let now = state.service.now();
    let (session_secret, session) = new_session(now, SignInMethod::Link);
    let redeemed = state
        .service
        .store()
        .redeem_login_link(&hash_token(&secret), session)
        .await
        .map_err(WebError::internal)?;
    match redeemed {
        Ok((_, user)) => {
            tracing::info!(user = user.id, "signed in with a one-time link");
            let jar = CookieJar::new()
                .add(session_cookie(session_secret))
                .remove(Cookie::build(SIGNIN_COOKIE).path("/login"));
            Ok((jar, Redirect::to("/")).into_response())
        }
        Err(refused) => {
            tracing::info!(reason = ?refused, "sign-in link refused");
            refused_link(refused)
        }
    }
}

/// The sign-out form has only its CSRF field.
#[derive(Deserialize)]
struct NoFields {}

async fn signout(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm { viewer, .. }: CsrfForm<NoFields>,
) -> Result<Response, WebError> {
    if let Some(secret) = session_secret(&headers) {
        state
            .service
            .store()
            .end_session(&hash_token(&secret), state.service.now())
            .await
            .map_err(WebError::internal)?;
    }
    tracing::info!(user = viewer.user_id, "signed out");
    let jar = CookieJar::new().add(removal_cookie());
    Ok((jar, Redirect::to("/login")).into_response())
}

/// Who is signed in, and the form to set their password.
#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    viewer: Viewer,
    /// Whether the account has a password (else it signs in by link only).
    has_password: bool,
    /// What the last password change did, or why it did not.
    notice: Option<String>,
    error: Option<String>,
}

impl AccountPage {
    /// The page for `viewer`, whose account is `user`, with `outcome`: a notice, or an error.
    fn respond(
        state: &AppState,
        viewer: Viewer,
        user: &User,
        status: StatusCode,
        outcome: Result<Option<String>, String>,
    ) -> Result<Response, WebError> {
        let (notice, error) = match outcome {
            Ok(notice) => (notice, None),
            Err(error) => (None, Some(error)),
        };
        let page = AccountPage {
            layout: Layout::new(&viewer, state.service.config(), None, Nav::Other),
            viewer,
            has_password: user.password_hash.is_some(),
            notice,
            error,
        };
        Ok((status, Html(page.render().map_err(WebError::internal)?)).into_response())
    }
}

#[derive(Deserialize)]
struct AccountQuery {
    /// `set` after a password change (which redirects here, so that a reload sends nothing).
    password: Option<String>,
}

async fn account(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<AccountQuery>,
) -> Result<Response, WebError> {
    let user = state
        .service
        .store()
        .get_user(viewer.user_id)
        .await
        .map_err(WebError::internal)?;
    let notice = (query.password.as_deref() == Some("set"))
        .then(|| "Your password is set. Your other sessions were signed out.".to_owned());
    AccountPage::respond(&state, viewer, &user, StatusCode::OK, Ok(notice))
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    repeat: String,
}

/// `POST /account/password`: the viewer sets their own password. An account that has one
/// must give it first (a wrong one counts as a failed sign-in for the account's email and the
/// client's address); the new one must pass the same rules as at creation. The viewer's other
/// sessions end; this one stays.
async fn set_password(
    State(state): State<AppState>,
    Extension(limits): Extension<Arc<SignInLimits>>,
    request: Request,
) -> Result<Response, WebError> {
    let address = client_address(request.extensions());
    let keep = session_secret(request.headers()).map(|secret| hash_token(&secret));
    let CsrfForm { viewer, form } = CsrfForm::<PasswordForm>::from_request(request, &state).await?;
    let store = state.service.store();
    let user = store
        .get_user(viewer.user_id)
        .await
        .map_err(WebError::internal)?;
    let now = state.service.now();
    let key = email_key(&user.email);
    if user.password_hash.is_some() {
        if let Some(until) = limits.blocked_until(&key, &address, now) {
            let error = format!("{}.", SignInLimits::wait_message(until, now));
            return AccountPage::respond(
                &state,
                viewer,
                &user,
                StatusCode::TOO_MANY_REQUESTS,
                Err(error),
            );
        }
        if check_password(&limits, Some(&user), form.current)
            .await?
            .is_none()
        {
            limits.fail(&key, &address, now);
            tracing::info!(
                user = user.id,
                "password change refused: wrong current password"
            );
            let error = "The current password is not right; nothing changed.".to_owned();
            return AccountPage::respond(&state, viewer, &user, StatusCode::FORBIDDEN, Err(error));
        }
        limits.by_email.clear(&key);
    }
    if let Err(e) = check_new_password(&form.new) {
        let error = format!("{}; nothing changed.", capitalise(&e.to_string()));
        return AccountPage::respond(&state, viewer, &user, StatusCode::BAD_REQUEST, Err(error));
    }
    if form.new != form.repeat {
        let error = "The two new passwords differ; nothing changed.".to_owned();
        return AccountPage::respond(&state, viewer, &user, StatusCode::BAD_REQUEST, Err(error));
    }
    let hash = {
        let _permit = limits.hashing.acquire().await.map_err(WebError::internal)?;
        tokio::task::spawn_blocking(move || hash_password(&form.new))
            .await
            .map_err(WebError::internal)?
            .map_err(WebError::internal)?
    };
    store
        .set_user_password(user.id, &hash, keep.as_deref(), &user.actor(), now)
        .await
        .map_err(WebError::internal)?;
    tracing::info!(user = user.id, "password set by its owner");
    Ok(Redirect::to("/account?password=set").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(
            safe_next(Some("/teams/integrations?x=1")),
            "/teams/integrations?x=1"
        );
        for evil in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "/login?next=//evil",
            "/a\nb",
            "",
        ] {
            assert_eq!(safe_next(Some(evil)), "/", "{evil:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn the_dummy_hash_is_a_real_hash() {
        assert!(DUMMY_HASH.starts_with("$argon2id$"));
        assert!(!verify_password(&DUMMY_HASH, ""));
    }
}
