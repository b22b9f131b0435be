//! "Keep in mind" notes for the hand-off of the shift running now.

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::Json;
use baton_core::access::Role;
use baton_core::inquiry::Note;
use serde::Deserialize;

use super::Endpoint;
use crate::auth::{Access, Caller};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath};
use crate::AppState;

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![Endpoint::new(
        Method::POST,
        "/api/v1/teams/{team}/notes",
        Access::Bearer(Role::Member),
        add,
    )]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    text: String,
}

async fn add(
    State(state): State<AppState>,
    ApiPath(team): ApiPath<String>,
    caller: Caller,
    ApiJson(body): ApiJson<NoteBody>,
) -> Result<(StatusCode, Json<Note>), ApiError> {
    if body.text.trim().is_empty() {
        return Err(ApiError::Unprocessable("a note needs text".into()));
    }
    let note = state
        .service
        .add_shift_note(&team, &body.text, &caller.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(note)))
}
