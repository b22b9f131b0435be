//! The route table, one module per resource, and the router built from it.
//!
//! Every route is declared once, as an `Endpoint` with its method, path template, [`Access`]
//! and handler. The router is built from that table, and so is [`table`], against which a test
//! checks the OpenAPI document (`openapi.json`): a route cannot exist without being described.

mod budget;
mod checks;
mod handoff;
mod health;
mod hooks;
mod inquiries;
mod openapi;
mod queue;
mod schedule;
mod teams;
mod triage;

use axum::extract::{DefaultBodyLimit, Request};
use axum::handler::Handler;
use axum::http::Method;
use axum::middleware::from_fn_with_state;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;

use crate::auth::{authorize, Access};
use crate::error::{ApiError, BODY_LIMIT};
use crate::{metrics, telemetry, AppState};

/// The prefix of the JSON API.
pub const API: &str = "/api/v1";

/// One route: what it answers, who may call it, and the handler.
pub(crate) struct Endpoint {
    method: Method,
    path: &'static str,
    access: Access,
    handler: MethodRouter<AppState>,
}

impl Endpoint {
    /// The route `method path`, open to `access`, served by `handler`.
    fn new<H, T>(method: Method, path: &'static str, access: Access, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        // The table is code, not input: a route with a method axum cannot filter on is a
        // programming error that the unit tests meet when they build the table.
        let filter =
            MethodFilter::try_from(method.clone()).unwrap_or_else(|e| panic!("route {path}: {e}"));
        Self {
            method,
            path,
            access,
            handler: on(filter, handler),
        }
    }
}

/// Every endpoint of the server.
fn endpoints() -> Vec<Endpoint> {
    [
        health::endpoints(),
        openapi::endpoints(),
        teams::endpoints(),
        inquiries::endpoints(),
        triage::endpoints(),
        queue::endpoints(),
        schedule::endpoints(),
        checks::endpoints(),
        budget::endpoints(),
        handoff::endpoints(),
        hooks::endpoints(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Every route the router serves: method, path template (`{param}` style) and who may call it.
pub fn table() -> Vec<(Method, &'static str, Access)> {
    endpoints()
        .into_iter()
        .map(|e| (e.method, e.path, e.access))
        .collect()
}

/// The whole application: the routes behind their access checks, JSON fallbacks for unknown
/// routes and methods, the body limit, metrics and request logs.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for endpoint in endpoints() {
        let handler = match endpoint.access {
            Access::Public => endpoint.handler,
            access => endpoint
                .handler
                .layer(from_fn_with_state((state.clone(), access), authorize)),
        };
        router = router.route(endpoint.path, handler);
    }
    router
        .merge(crate::web::router())
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(state.clone(), metrics::track))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(telemetry::trace_layer())
        .with_state(state)
}

async fn no_route(request: Request) -> ApiError {
    ApiError::NotFound(format!(
        "no route {} {}; the API is described at {API}/openapi.json",
        request.method(),
        request.uri().path()
    ))
}

async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::MethodNotAllowed(format!(
        "{} is not allowed on {}; see {API}/openapi.json",
        request.method(),
        request.uri().path()
    ))
}
