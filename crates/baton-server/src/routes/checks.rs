//! The daily channel checklist of the member on duty: read today's, record a check.

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::Json;
use baton_core::access::Role;
use baton_core::duty::Checklist;
use baton_core::inquiry::Check;
use serde::Deserialize;

use super::Endpoint;
use crate::auth::Access;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::AppState;

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(
            Method::GET,
            "/api/v1/teams/{team}/checks",
            Access::Bearer(Role::Viewer),
            today,
        ),
        Endpoint::new(
            Method::POST,
            "/api/v1/teams/{team}/checks",
            Access::Bearer(Role::Member),
            record,
        ),
    ]
}

async fn today(
    State(state): State<AppState>,
    ApiPath(team): ApiPath<String>,
) -> Result<Json<Checklist>, ApiError> {
    Ok(Json(state.service.checklist(&team).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    source: String,
    /// Who checked (default: the member on duty).
    member: Option<String>,
}

async fn record(
    State(state): State<AppState>,
    ApiPath(team): ApiPath<String>,
    ApiJson(body): ApiJson<CheckBody>,
) -> Result<(StatusCode, Json<Check>), ApiError> {
    let check = state
        .service
        .record_check(&team, &body.source, body.member.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(check)))
}
