//! Structured request logs.
//!
//! A request's span names its method, route template and path, never its query string (a
//! calendar feed carries its token there) nor its headers (`Authorization`).

use axum::extract::{MatchedPath, Request};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::{DefaultOnRequest, DefaultOnResponse, TraceLayer};
use tower_http::LatencyUnit;
use tracing::{Level, Span};

/// The span of one request.
fn request_span(request: &Request) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    tracing::info_span!(
        "request",
        method = %request.method(),
        route,
        path = request.uri().path(),
    )
}

/// The request-logging layer as [`trace_layer`] configures it.
pub(crate) type RequestTrace = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    fn(&Request) -> Span,
    DefaultOnRequest,
    DefaultOnResponse,
>;

/// The layer that logs every request and its response status and latency.
pub(crate) fn trace_layer() -> RequestTrace {
    TraceLayer::new_for_http()
        .make_span_with(request_span as fn(&Request) -> Span)
        .on_response(
            DefaultOnResponse::new()
                .level(Level::INFO)
                .latency_unit(LatencyUnit::Millis),
        )
}
