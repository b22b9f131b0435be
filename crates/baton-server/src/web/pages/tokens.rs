//! API tokens, for admins: the list, a form to create one (its secret is shown once, on the
//! answer to the form, and only its hash is kept) and revocation. Anyone else gets 403.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use baton_core::access::{ApiToken, Role};
use serde::Deserialize;

use super::display::local_long;
use super::layout::{Layout, Nav};
use super::{parse_id, render, see_other, WebPath};
use crate::web::error::WebError;
use crate::web::session::{CsrfForm, Viewer};
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/tokens", get(page).post(create))
        .route("/tokens/{id}/revoke", post(revoke))
}

struct TokenRow {
    id: i64,
    name: String,
    role: String,
    created: String,
    by: String,
    revoked: String,
}

/// A token created just now, with its secret.
struct Created {
    name: String,
    role: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    layout: Layout,
    tokens: Vec<TokenRow>,
    created: Option<Created>,
    roles: [&'static str; 3],
}

async fn build(
    state: &AppState,
    viewer: &Viewer,
    created: Option<Created>,
) -> Result<TokensPage, WebError> {
    let service = &state.service;
    // Token times are shown in the first team's zone: tokens belong to no team.
    let tz = service
        .config()
        .teams
        .first()
        .map_or(chrono_tz::UTC, |t| t.tz);
    let row = |t: ApiToken| TokenRow {
        id: t.id,
        name: t.name,
        role: t.role.to_string(),
        created: local_long(t.created_at, tz),
        by: t.created_by,
        revoked: t.revoked_at.map(|r| local_long(r, tz)).unwrap_or_default(),
    };
    Ok(TokensPage {
        layout: Layout::new(viewer, service.config(), None, Nav::Tokens).in_zone(tz),
        tokens: service.tokens().await?.into_iter().map(row).collect(),
        created,
        roles: ["viewer", "member", "admin"],
    })
}

async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    viewer.require(Role::Admin)?;
    render(&build(&state, &viewer, None).await?)
}

#[derive(Deserialize)]
struct CreateForm {
    name: String,
    role: String,
}

async fn create(
    State(state): State<AppState>,
    CsrfForm { viewer, form }: CsrfForm<CreateForm>,
) -> Result<Response, WebError> {
    viewer.require(Role::Admin)?;
    let role: Role = form
        .role
        .parse()
        .map_err(|e| WebError::Unprocessable(format!("role: {e}")))?;
    let (token, secret) = state
        .service
        .create_token(&form.name, role, &viewer.actor())
        .await?;
    let created = Created {
        name: token.name,
        role: token.role.to_string(),
        secret,
    };
    let page = render(&build(&state, &viewer, Some(created)).await?)?;
    Ok((StatusCode::CREATED, page).into_response())
}

/// A form with no fields but the CSRF token.
#[derive(Deserialize)]
struct Empty {}

async fn revoke(
    State(state): State<AppState>,
    WebPath(id): WebPath<String>,
    CsrfForm { viewer, .. }: CsrfForm<Empty>,
) -> Result<Response, WebError> {
    viewer.require(Role::Admin)?;
    let id = parse_id(&id, "token")?;
    state.service.revoke_token(id, &viewer.actor()).await?;
    Ok(see_other("/tokens"))
}
