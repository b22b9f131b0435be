//! A team's open inquiries, most urgent deadline first.

use axum::extract::State;
use axum::http::Method;
use axum::Json;
use baton_core::access::Role;
use baton_store::{DEFAULT_INQUIRY_PAGE, MAX_INQUIRY_PAGE};
use serde::Deserialize;

use super::Endpoint;
use crate::auth::Access;
use crate::error::ApiError;
use crate::extract::{limit, ApiPath, ApiQuery};
use crate::service::QueueItem;
use crate::AppState;

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![Endpoint::new(
        Method::GET,
        "/api/v1/teams/{team}/queue",
        Access::Bearer(Role::Viewer),
        queue,
    )]
}

#[derive(Deserialize)]
struct QueueQuery {
    limit: Option<u32>,
}

async fn queue(
    State(state): State<AppState>,
    ApiPath(team): ApiPath<String>,
    ApiQuery(query): ApiQuery<QueueQuery>,
) -> Result<Json<Vec<QueueItem>>, ApiError> {
    let limit = limit(query.limit, DEFAULT_INQUIRY_PAGE, MAX_INQUIRY_PAGE)?;
    Ok(Json(state.service.queue(&team, limit).await?))
}
