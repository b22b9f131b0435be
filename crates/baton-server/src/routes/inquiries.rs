//! Inquiries: create one for a team, list a team's, read one with its trail, change its
//! priority, area or assignee.

use axum::extract::State;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use baton_core::access::Role;
use baton_core::inquiry::{Inquiry, State as InquiryState};
use baton_core::sla::Priority;
use baton_core::triage::{Action, Arrival};
use baton_store::{InquiryFilter, DEFAULT_INQUIRY_PAGE, MAX_INQUIRY_PAGE};
use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;

use super::Endpoint;
use crate::auth::{Access, Caller};
use crate::error::ApiError;
use crate::extract::{limit, present, ApiJson, ApiPath, ApiQuery};
use crate::service::{InquiryDetail, ServiceError};
use crate::AppState;

/// The source of inquiries that name none.
const DEFAULT_SOURCE: &str = "api";

pub(super) fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(
            Method::POST,
            "/api/v1/teams/{team}/inquiries",
            Access::Bearer(Role::Member),
            create,
        ),
        Endpoint::new(
            Method::GET,
            "/api/v1/teams/{team}/inquiries",
            Access::Bearer(Role::Viewer),
            list,
        ),
        Endpoint::new(
            Method::GET,
            "/api/v1/inquiries/{id}",
            Access::Bearer(Role::Viewer),
            show,
        ),
        Endpoint::new(
            Method::PATCH,
            "/api/v1/inquiries/{id}",
            Access::Bearer(Role::Member),
            patch,
        ),
    ]
}

/// The body of `POST /teams/{team}/inquiries`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewInquiryBody {
    title: String,
    body: Option<String>,
    source: Option<String>,
    reporter: Option<String>,
    link: Option<String>,
    area: Option<String>,
    priority: Option<Priority>,
    #[serde(default)]
    labels: Vec<String>,
    severity: Option<String>,
    external_ref: Option<String>,
    /// Only admins may set it (to import history); default now.
    received_at: Option<DateTime<FixedOffset>>,
}

async fn create(
    State(state): State<AppState>,
    ApiPath(team): ApiPath<String>,
    caller: Caller,
    ApiJson(body): ApiJson<NewInquiryBody>,
) -> Result<Response, ApiError> {
    let now = state.service.now();
    let received_at = match body.received_at {
        None => now,
        Some(at) => {
            caller.require(Role::Admin).map_err(|_| {
                ApiError::Forbidden(
                    "only an admin token may set `received_at` (to import history)".into(),
                )
            })?;
            let at = at.with_timezone(&Utc);
            if at > now {
                return Err(ApiError::Unprocessable(format!(
                    "`received_at` {} is in the future",
                    at.to_rfc3339()
                )));
            }
            at
        }
    };
    let arrival = Arrival {
        source: body.source.unwrap_or_else(|| DEFAULT_SOURCE.to_owned()),
        external_ref: body.external_ref,
        link: body.link,
        title: body.title,
        body: body.body.unwrap_or_default(),
        reporter: body.reporter,
        labels: body.labels,
        severity: body.severity,
        received_at,
        area: body.area,
        priority: body.priority,
    };
    let (inquiry, created) = state
        .service
        .create_inquiry(&team, arrival, &caller.actor())
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let location = format!("/api/v1/inquiries/{}", inquiry.id);
    // The same view as `GET /inquiries/{id}`: the clock's status and the trail come with it.
    let detail = state.service.inquiry(inquiry.id).await?;
    Ok((status, [(header::LOCATION, location)], Json(detail)).into_response())
}

#[derive(Deserialize)]
struct ListQuery {
    /// One state or several, comma-separated.
    state: Option<String>,
    assignee: Option<String>,
    limit: Option<u32>,
    offset: Option<u32>,
}

async fn list(
    State(state): State<AppState>,
    ApiPath(team): ApiPath<String>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<Vec<Inquiry>>, ApiError> {
    state.service.team(&team)?;
    let states = query
        .state
        .as_deref()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<InquiryState>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let filter = InquiryFilter {
        team: Some(team),
        states,
        assignee: query.assignee.filter(|a| !a.is_empty()),
        limit: limit(query.limit, DEFAULT_INQUIRY_PAGE, MAX_INQUIRY_PAGE)?,
        offset: query.offset.unwrap_or(0),
        ..InquiryFilter::default()
    };
    Ok(Json(state.service.inquiries(&filter).await?))
}

async fn show(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<InquiryDetail>, ApiError> {
    Ok(Json(state.service.inquiry(id).await?))
}

/// The body of `PATCH /inquiries/{id}`: each field present is a change; `null` clears priority
/// or area.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InquiryPatch {
    #[serde(default, deserialize_with = "present")]
    priority: Option<Option<Priority>>,
    #[serde(default, deserialize_with = "present")]
    area: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    assignee: Option<Option<String>>,
}

impl InquiryPatch {
    /// The actions the patch stands for, in order.
    fn actions(self) -> Result<Vec<Action>, ApiError> {
        let mut actions = Vec::new();
        if let Some(priority) = self.priority {
            actions.push(Action::SetPriority { priority });
        }
        if let Some(area) = self.area {
            actions.push(Action::SetArea { area });
        }
        match self.assignee {
            None => {}
            Some(None) => {
                return Err(ApiError::Unprocessable(
                    "`assignee` cannot be null: an inquiry always has one responsible member"
                        .into(),
                ))
            }
            Some(Some(member)) => actions.push(Action::Reassign { member }),
        }
        Ok(actions)
    }
}

async fn patch(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    caller: Caller,
    ApiJson(patch): ApiJson<InquiryPatch>,
) -> Result<Json<InquiryDetail>, ApiError> {
    let actions = patch.actions()?;
    let service = &state.service;
    // Try the whole patch on the current inquiry first, so that a refused change leaves none
    // of the others applied; then apply each as its own event.
    let current = service
        .store()
        .get_inquiry(id)
        .await
        .map_err(ServiceError::from)?;
    let policy = service.policy(service.team(&current.team)?).await?;
    let now = service.now();
    actions
        .iter()
        .try_fold(current, |inquiry, action| {
            policy
                .apply(&inquiry, action.clone(), now)
                .map(|applied| applied.inquiry)
        })
        .map_err(ServiceError::from)?;
    let actor = caller.actor();
    for action in actions {
        service.act(id, action, &actor).await?;
    }
    Ok(Json(service.inquiry(id).await?))
}
