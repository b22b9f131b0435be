//! The teams this baton serves.

use axum::extract::State;
use axum::http::Method;
use axum::Json;
use baton_core::access::Role;
use serde::Serialize;

use super::Endpoint;
use crate::auth::Access;
use crate::AppState;

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![Endpoint::new(
        Method::GET,
        "/api/v1/teams",
        Access::Bearer(Role::Viewer),
        list,
    )]
}

/// A team as listed.
#[derive(Serialize)]
struct TeamView {
    slug: String,
    name: String,
    timezone: String,
}

async fn list(State(state): State<AppState>) -> Json<Vec<TeamView>> {
    let teams = state
        .service
        .config()
        .teams
        .iter()
        .map(|t| TeamView {
            slug: t.slug.clone(),
            name: t.name.clone(),
            timezone: t.tz.to_string(),
        })
        .collect();
    Json(teams)
}
