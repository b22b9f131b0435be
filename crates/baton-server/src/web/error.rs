//! A failed page request, shown as an HTML page (or a redirect to sign-in).

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use thiserror::Error;

use crate::service::ServiceError;

/// Why a page could not be shown or a form not accepted.
#[derive(Debug, Error)]
pub enum WebError {
    /// Nobody is signed in: redirect (303) to `/login?next=<path>`.
    #[error("sign in first")]
    SignIn {
        /// The page to come back to after signing in (a local path).
        next: String,
    },
    /// 400: a form or query that cannot be read.
    #[error("{0}")]
    BadRequest(String),
    /// 403: the viewer's role is too low, or the form's CSRF token is wrong.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such team, inquiry or page.
    #[error("{0}")]
    NotFound(String),
    /// 409: the action clashes with the current state.
    #[error("{0}")]
    Conflict(String),
    /// 422: well-formed but not acceptable values.
    #[error("{0}")]
    Unprocessable(String),
    /// 429: too many sign-in attempts.
    #[error("{0}")]
    TooManyRequests(String),
    /// 500: logged with its cause; the page says only "internal error".
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl WebError {
    /// A 500 whose cause is logged, not shown.
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(e))
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::SignIn { .. } => StatusCode::SEE_OTHER,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<ServiceError> for WebError {
    fn from(e: ServiceError) -> Self {
        // The JSON API already sorts service errors by status; reuse its judgement.
        let api = crate::error::ApiError::from(e);
        match api {
            crate::error::ApiError::BadRequest(m) => Self::BadRequest(m),
            crate::error::ApiError::Forbidden(m) => Self::Forbidden(m),
            crate::error::ApiError::NotFound(m) => Self::NotFound(m),
            crate::error::ApiError::Conflict(m) => Self::Conflict(m),
            crate::error::ApiError::Unprocessable(m) => Self::Unprocessable(m),
            crate::error::ApiError::Internal(e) => Self::Internal(e),
            other => Self::Internal(Box::new(other)),
        }
    }
}

/// The error page.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    reason: &'a str,
    message: String,
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let Self::SignIn { next } = &self {
            let target = format!(
                "/login?next={}",
                url_encode(if next.starts_with('/') && !next.starts_with("//") {
                    next
                } else {
                    "/"
                })
            );
            return Redirect::to(&target).into_response();
        }
        if let Self::Internal(cause) = &self {
            tracing::error!(error = %cause, "page failed");
        }
        let page = ErrorPage {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("error"),
            message: self.to_string(),
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "cannot render the error page");
                (status, self.to_string()).into_response()
            }
        }
    }
}

/// Percent-encodes a path for a query value.
fn url_encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|encoded| encoded.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}
