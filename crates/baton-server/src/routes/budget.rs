//! The time budget of the shift running now.

use axum::extract::State;
use axum::http::Method;
use axum::Json;
use baton_core::access::Role;
use baton_core::duty::Budget;

use super::Endpoint;
use crate::auth::Access;
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::AppState;

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![Endpoint::new(
        Method::GET,
        "/api/v1/teams/{team}/budget",
        Access::Bearer(Role::Viewer),
        budget,
    )]
}

async fn budget(
    State(state): State<AppState>,
    ApiPath(team): ApiPath<String>,
) -> Result<Json<Budget>, ApiError> {
    Ok(Json(state.service.budget(&team).await?))
}
