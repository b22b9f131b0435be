//! People's accounts, for admins: the list, adding an account (with a password, or with a
//! one-time sign-in link shown once), changing a role, disabling an account (its sessions end
//! at once), enabling it again (the links made before stay dead) and making a new sign-in link.
//! Anyone else gets 403.
//!
//! | GET | POST |
//! |---|---|
//! | `/admin/users` | `/admin/users` (add), `/admin/users/{id}/role`, `/admin/users/{id}/disable`, `/admin/users/{id}/enable`, `/admin/users/{id}/link` |
//!
//! An admin cannot change their own role or disable themselves (so that there is always
//! someone left to manage accounts); another admin can.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::from_fn;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use baton_core::access::{Role, User};
use baton_store::StoreError;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use crate::service::ServiceError;
use crate::web::accounts::{self, AccountError};
use crate::web::error::WebError;
use crate::web::pages::{Layout, Nav};
use crate::web::security_headers;
use crate::web::session::{CsrfForm, Viewer};
use crate::AppState;

/// The admin's account pages.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(page).post(add))
        .route("/admin/users/{id}/role", post(change_role))
        .route("/admin/users/{id}/disable", post(disable))
        .route("/admin/users/{id}/enable", post(enable))
        .route("/admin/users/{id}/link", post(link))
        .layer(from_fn(security_headers))
}

struct UserRow {
    id: i64,
    email: String,
    role: String,
    created: String,
    by: String,
    /// Empty while the account is active.
    disabled: String,
    /// The signed-in admin's own account.
    is_self: bool,
    has_password: bool,
}

/// A sign-in link made just now, shown once.
struct NewLink {
    email: String,
    url: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    layout: Layout,
    users: Vec<UserRow>,
    notice: Option<String>,
    link: Option<NewLink>,
    roles: [&'static str; 3],
    min_password: usize,
}

impl From<AccountError> for WebError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(m) => Self::Unprocessable(m),
            AccountError::Store(e) => store_error(e),
        }
    }
}

/// A store failure as a page error, sorted as the service sorts it.
fn store_error(e: StoreError) -> WebError {
    WebError::from(ServiceError::from(e))
}

/// The zone times are shown in: the first team's (accounts belong to no team).
fn zone(state: &AppState) -> Tz {
    state
        .service
        .config()
        .teams
        .first()
        .map_or(chrono_tz::UTC, |t| t.tz)
}

fn when(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%a %-d %b %Y, %H:%M %Z")
        .to_string()
}

async fn build(
    state: &AppState,
    viewer: &Viewer,
    notice: Option<String>,
    link: Option<NewLink>,
) -> Result<UsersPage, WebError> {
    let tz = zone(state);
    let row = |u: User| UserRow {
        id: u.id,
        is_self: u.id == viewer.user_id,
        has_password: u.password_hash.is_some(),
        email: u.email,
        role: u.role.to_string(),
        created: when(u.created_at, tz),
        by: u.created_by,
        disabled: u.disabled_at.map(|t| when(t, tz)).unwrap_or_default(),
    };
    let users = state
        .service
        .store()
        .list_users()
        .await
        .map_err(store_error)?;
    Ok(UsersPage {
        layout: Layout::new(viewer, state.service.config(), None, Nav::Users).in_zone(tz),
        users: users.into_iter().map(row).collect(),
        notice,
        link,
        roles: ["viewer", "member", "admin"],
        min_password: accounts::MIN_PASSWORD_CHARS,
    })
}

fn render(status: StatusCode, page: &UsersPage) -> Result<Response, WebError> {
    let html = page.render().map_err(WebError::internal)?;
    Ok((status, Html(html)).into_response())
}

async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    viewer.require(Role::Admin)?;
    render(StatusCode::OK, &build(&state, &viewer, None, None).await?)
}

/// `http(s)://host` as the browser reached this server (for links shown to the admin).
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get("x-forwarded-host")
        .or_else(|| headers.get(header::HOST))
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https" || *p == "http")
        .unwrap_or("http");
    format!("{scheme}://{host}")
}

fn parse_role(text: &str) -> Result<Role, WebError> {
    text.parse()
        .map_err(|e| WebError::Unprocessable(format!("role: {e}")))
}

fn parse_id(text: &str) -> Result<i64, WebError> {
    text.parse()
        .map_err(|_| WebError::NotFound(format!("no account {text:?}: ids are whole numbers")))
}

#[derive(Deserialize)]
struct AddForm {
    email: String,
    role: String,
    #[serde(default)]
    password: String,
}

async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm { viewer, form }: CsrfForm<AddForm>,
) -> Result<Response, WebError> {
    viewer.require(Role::Admin)?;
    let role = parse_role(&form.role)?;
    let password = Some(form.password).filter(|p| !p.is_empty());
    if let Some(p) = &password {
        accounts::check_password(p)?;
    }
    // Hash on a blocking thread: argon2 takes a core for tens of milliseconds.
    let password_hash = match password {
        Some(p) => Some(
            tokio::task::spawn_blocking(move || accounts::hash_password(&p))
                .await
                .map_err(WebError::internal)??,
        ),
        None => None,
    };
    let now = state.service.now();
    let email = baton_core::access::parse_email(&form.email)
        .map_err(|e| WebError::Unprocessable(e.to_string()))?;
    let user = state
        .service
        .store()
        .create_user(baton_core::access::NewUser {
            email,
            role,
            password_hash,
            created_by: viewer.actor(),
            created_at: now,
        })
        .await
        .map_err(store_error)?;
    let (notice, link) = if user.password_hash.is_some() {
        (
            format!(
                "Added {} as a {}; they sign in with the password you set.",
                user.email, user.role
            ),
            None,
        )
    } else {
        let secret = accounts::issue_login_link(
            state.service.store().as_ref(),
            user.id,
            &viewer.actor(),
            now,
        )
        .await?;
        (
            format!("Added {} as a {}.", user.email, user.role),
            Some(NewLink {
                email: user.email.clone(),
                url: accounts::link_url(&base_url(&headers), &secret),
            }),
        )
    };
    let page = build(&state, &viewer, Some(notice), link).await?;
    render(StatusCode::CREATED, &page)
}

/// Refuses an admin's action on their own account.
fn not_self(viewer: &Viewer, id: i64, what: &str) -> Result<(), WebError> {
    if viewer.user_id == id {
        Err(WebError::Conflict(format!(
            "you cannot {what} your own account; ask another admin"
        )))
    } else {
        Ok(())
    }
}

#[derive(Deserialize)]
struct RoleForm {
    role: String,
}

async fn change_role(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { viewer, form }: CsrfForm<RoleForm>,
) -> Result<Response, WebError> {
    viewer.require(Role::Admin)?;
    let id = parse_id(&id)?;
    let role = parse_role(&form.role)?;
    not_self(&viewer, id, "change the role of")?;
    state
        .service
        .store()
        .set_user_role(id, role, &viewer.actor(), state.service.now())
        .await
        .map_err(store_error)?;
    Ok(Redirect::to("/admin/users").into_response())
}

#[derive(Deserialize)]
struct Empty {}

async fn disable(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { viewer, .. }: CsrfForm<Empty>,
) -> Result<Response, WebError> {
    set_active(&state, &id, &viewer, false).await
}

async fn enable(
    State(state): State<AppState>,
    Path(id): Path<String>,
    CsrfForm { viewer, .. }: CsrfForm<Empty>,
) -> Result<Response, WebError> {
    set_active(&state, &id, &viewer, true).await
}

/// Enables or disables account `id` (never the admin's own), then back to the list.
async fn set_active(
    state: &AppState,
    id: &str,
    viewer: &Viewer,
    active: bool,
) -> Result<Response, WebError> {
    viewer.require(Role::Admin)?;
    let id = parse_id(id)?;
    not_self(viewer, id, if active { "enable" } else { "disable" })?;
    let (store, actor, now) = (state.service.store(), viewer.actor(), state.service.now());
    if active {
        store.enable_user(id, &actor, now).await
    } else {
        store.disable_user(id, &actor, now).await
    }
    .map_err(store_error)?;
    Ok(Redirect::to("/admin/users").into_response())
}

async fn link(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    CsrfForm { viewer, .. }: CsrfForm<Empty>,
) -> Result<Response, WebError> {
    viewer.require(Role::Admin)?;
    let id = parse_id(&id)?;
    let store = state.service.store();
    let user = store.get_user(id).await.map_err(store_error)?;
    let secret = accounts::issue_login_link(
        store.as_ref(),
        user.id,
        &viewer.actor(),
        state.service.now(),
    )
    .await?;
    let link = NewLink {
        email: user.email.clone(),
        url: accounts::link_url(&base_url(&headers), &secret),
    };
    let page = build(&state, &viewer, None, Some(link)).await?;
    render(StatusCode::OK, &page)
}
