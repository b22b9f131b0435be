//! The HTTP layer's one error type. Every failure a client can see is
//! `{"error": {"code": "...", "message": "..."}}` with the status that fits; a 500 is logged with
//! its cause, and the response says only "internal error".

use std::error::Error as StdError;

use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use thiserror::Error;

use crate::service::ServiceError;

/// The most a request body may hold.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// A failed request, one variant per status.
#[derive(Debug, Error)]
pub enum ApiError {
    /// 400: the body, query or path could not be read.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no token, or one that is unknown or revoked.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the token's role is too low for this.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such resource or route.
    #[error("{0}")]
    NotFound(String),
    /// 405: the path exists, the method does not.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 409: the request clashes with the current state (an illegal transition).
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is over [`BODY_LIMIT`].
    #[error("the request body is larger than {} KiB", BODY_LIMIT / 1024)]
    PayloadTooLarge,
    /// 415: the body is not JSON.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: well-formed, but the values are not acceptable.
    #[error("{0}")]
    Unprocessable(String),
    /// 503: a dependency (the database) does not answer.
    #[error("{0}")]
    Unavailable(String),
    /// 503: the endpoint needs a secret that is not configured (the log names its variable).
    #[error("{0}")]
    NotConfigured(String),
    /// 500: logged with its cause; the client learns nothing more.
    #[error("internal error")]
    Internal(#[source] Box<dyn StdError + Send + Sync>),
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unavailable(_) | Self::NotConfigured(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable `code` of the JSON body.
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::Unprocessable(_) => "unprocessable",
            Self::Unavailable(_) => "unavailable",
            Self::NotConfigured(_) => "not_configured",
            Self::Internal(_) => "internal",
        }
    }

    /// A 500 caused by `cause`.
    pub fn internal(cause: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::Internal(cause.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(cause) = &self {
            tracing::error!(error = %chain(cause.as_ref()), "request failed");
        }
        let body = json!({ "error": { "code": self.code(), "message": self.to_string() } });
        let mut response = (self.status(), Json(body)).into_response();
        if matches!(self, Self::Unauthorized(_)) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"baton\""),
            );
        }
        response
    }
}

/// An error and its sources, `outer: inner: innermost`.
fn chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(m) => Self::NotFound(m),
            ServiceError::Conflict(m) => Self::Conflict(m),
            ServiceError::Invalid(m) => Self::Unprocessable(m),
            ServiceError::Store(e) => Self::internal(e),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        match r.status() {
            StatusCode::PAYLOAD_TOO_LARGE => Self::PayloadTooLarge,
            status if status.is_server_error() => Self::internal(r),
            _ => Self::BadRequest(format!(
                "could not read the request body: {}",
                r.body_text()
            )),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonSyntaxError(e) => {
                Self::BadRequest(format!("malformed JSON: {}", inner_message(&e)))
            }
            JsonRejection::JsonDataError(e) => Self::Unprocessable(inner_message(&e)),
            JsonRejection::MissingJsonContentType(_) => Self::UnsupportedMediaType(
                "send the body as JSON, with `Content-Type: application/json`".into(),
            ),
            JsonRejection::BytesRejection(e) => e.into(),
            other => Self::BadRequest(other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        match r {
            QueryRejection::FailedToDeserializeQueryString(e) => {
                Self::BadRequest(format!("malformed query string: {}", inner_message(&e)))
            }
            other => Self::BadRequest(other.body_text()),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        match r {
            PathRejection::FailedToDeserializePathParams(e) => {
                Self::BadRequest(format!("malformed path: {}", e.body_text()))
            }
            other => Self::internal(other),
        }
    }
}

/// The words of a rejection's cause (serde's own message, with the field path), without axum's
/// preamble; the rejection's own text when it has no cause.
fn inner_message(error: &(dyn StdError + 'static)) -> String {
    error
        .source()
        .map_or_else(|| error.to_string(), |cause| cause.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_codes_line_up() {
        let all = [
            ApiError::BadRequest(String::new()),
            ApiError::Unauthorized(String::new()),
            ApiError::Forbidden(String::new()),
            ApiError::NotFound(String::new()),
            ApiError::MethodNotAllowed(String::new()),
            ApiError::Conflict(String::new()),
            ApiError::PayloadTooLarge,
            ApiError::UnsupportedMediaType(String::new()),
            ApiError::Unprocessable(String::new()),
            ApiError::Unavailable(String::new()),
            ApiError::NotConfigured(String::new()),
            ApiError::internal("boom"),
        ];
        let codes: Vec<_> = all
            .iter()
            .map(|e| (e.status().as_u16(), e.code()))
            .collect();
        assert_eq!(
            codes,
            [
                (400, "bad_request"),
                (401, "unauthorized"),
                (403, "forbidden"),
                (404, "not_found"),
                (405, "method_not_allowed"),
                (409, "conflict"),
                (413, "payload_too_large"),
                (415, "unsupported_media_type"),
                (422, "unprocessable"),
                (503, "unavailable"),
                (503, "not_configured"),
                (500, "internal"),
            ]
        );
    }

    #[test]
    fn an_internal_error_hides_its_cause() {
        let e = ApiError::internal("password=hunter2 in the connection string");
        assert_eq!(e.to_string(), "internal error");
    }
}
