//! Triage actions on one inquiry, logged time and status notes.

use axum::extract::{FromRequest, Request, State};
use axum::http::{Method, StatusCode};
use axum::Json;
use baton_core::access::Role;
use baton_core::inquiry::Note;
use baton_core::triage::Action;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::Endpoint;
use crate::auth::{Access, Caller};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, OptionalJson};
use crate::service::InquiryDetail;
use crate::AppState;

/// The actions of `POST /inquiries/{id}/{action}`.
pub(crate) const ACTIONS: [&str; 8] = [
    "ack", "start", "wait", "resolve", "reopen", "respond", "escalate", "route",
];

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(
            Method::POST,
            "/api/v1/inquiries/{id}/{action}",
            Access::Bearer(Role::Member),
            act,
        ),
        Endpoint::new(
            Method::POST,
            "/api/v1/inquiries/{id}/time",
            Access::Bearer(Role::Member),
            log_time,
        ),
        Endpoint::new(
            Method::POST,
            "/api/v1/inquiries/{id}/notes",
            Access::Bearer(Role::Member),
            add_note,
        ),
    ]
}

/// The body of an action that takes none (absent, or `{}`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EscalateBody {
    issue_url: String,
    assignee: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteBody {
    member: String,
}

/// The body of `request` as `T`; an empty body reads as `{}`.
async fn body<T: DeserializeOwned>(request: Request) -> Result<T, ApiError> {
    let OptionalJson(value) = OptionalJson::<T>::from_request(request, &()).await?;
    Ok(value)
}

/// The action called `verb`, with what its body says.
async fn action(verb: &str, request: Request) -> Result<Action, ApiError> {
    let simple = match verb {
        "ack" => Some(Action::Acknowledge),
        "start" => Some(Action::Start),
        "wait" => Some(Action::Wait),
        "resolve" => Some(Action::Resolve),
        "reopen" => Some(Action::Reopen),
        "respond" => Some(Action::Respond),
        _ => None,
    };
    if let Some(action) = simple {
        body::<NoFields>(request).await?;
        return Ok(action);
    }
    match verb {
        "escalate" => {
            let b: EscalateBody = body(request).await?;
            Ok(Action::Escalate {
                issue_url: b.issue_url,
                assignee: b.assignee,
            })
        }
        "route" => {
            let b: RouteBody = body(request).await?;
            Ok(Action::Route { member: b.member })
        }
        _ => Err(ApiError::NotFound(format!(
            "no action {verb:?}; the actions are {}",
            ACTIONS.join(", ")
        ))),
    }
}

async fn act(
    State(state): State<AppState>,
    ApiPath((id, verb)): ApiPath<(i64, String)>,
    caller: Caller,
    request: Request,
) -> Result<Json<InquiryDetail>, ApiError> {
    let action = action(&verb, request).await?;
    state.service.act(id, action, &caller.actor()).await?;
    Ok(Json(state.service.inquiry(id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeBody {
    minutes: i64,
    note: Option<String>,
    /// Who did the work (default: the responsible member).
    member: Option<String>,
}

async fn log_time(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    caller: Caller,
    ApiJson(body): ApiJson<TimeBody>,
) -> Result<(StatusCode, Json<InquiryDetail>), ApiError> {
    let action = Action::LogTime {
        minutes: body.minutes,
        note: body.note,
        member: body.member,
    };
    state.service.act(id, action, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(state.service.inquiry(id).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    text: String,
}

async fn add_note(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    caller: Caller,
    ApiJson(body): ApiJson<NoteBody>,
) -> Result<(StatusCode, Json<Note>), ApiError> {
    let note = state
        .service
        .add_note(id, &body.text, &caller.actor())
        .await?;
    Ok((StatusCode::CREATED, Json(note)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(body: &'static str) -> Request {
        let mut r = Request::new(Body::from(body));
        r.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            "application/json".parse().unwrap(),
        );
        r
    }

    #[tokio::test]
    async fn every_listed_action_is_known() {
        for verb in ACTIONS {
            let body = match verb {
                "escalate" => r#"{"issue_url": "https://github.com/o/r/issues/1"}"#,
                "route" => r#"{"member": "beatrix"}"#,
                _ => "",
            };
            let action = action(verb, request(body)).await;
            assert!(action.is_ok(), "{verb}");
        }
        let unknown = action("snooze", request("")).await.unwrap_err();
        assert!(matches!(unknown, ApiError::NotFound(m) if m.contains("ack, start")));
    }

    #[tokio::test]
    async fn a_body_must_fit_the_action() {
        let e = action("ack", request(r#"{"member": "x"}"#))
            .await
            .unwrap_err();
        assert!(matches!(e, ApiError::Unprocessable(_)));
        let e = action("route", request("")).await.unwrap_err();
        assert!(matches!(e, ApiError::Unprocessable(m) if m.contains("member")));
    }
}
