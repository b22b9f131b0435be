//! Liveness, readiness and Prometheus metrics: open to anyone, no token.

use axum::extract::State;
use axum::http::{header, Method};
use axum::response::IntoResponse;
use axum::Json;
use serde_json::json;

use super::Endpoint;
use crate::auth::Access;
use crate::error::ApiError;
use crate::{metrics, AppState};

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(Method::GET, "/healthz", Access::Public, healthz),
        Endpoint::new(Method::GET, "/readyz", Access::Public, readyz),
        Endpoint::new(Method::GET, "/metrics", Access::Public, metrics),
    ]
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: its database answers.
async fn readyz(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    match state.service.store().ping().await {
        Ok(()) => Ok(Json(json!({ "status": "ready" }))),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: the database does not answer");
            Err(ApiError::Unavailable("the database does not answer".into()))
        }
    }
}

/// The Prometheus exposition, with the inquiry counts read now.
async fn metrics(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let counts = state.service.counts().await?;
    let teams: Vec<&str> = state
        .service
        .config()
        .teams
        .iter()
        .map(|t| t.slug.as_str())
        .collect();
    let body = state
        .metrics
        .render(&teams, &counts)
        .map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, metrics::CONTENT_TYPE)], body))
}
