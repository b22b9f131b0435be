//! Prometheus metrics: HTTP requests by method, route template and status, their latency, and
//! (read from the store at scrape time) inquiries by team and state.
//!
//! Each [`Metrics`] has its own registry, so several servers in one process (tests) never mix
//! their counts.

use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use baton_core::inquiry::State as InquiryState;
use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::AppState;

/// The content type of the exposition that [`Metrics::render`] writes.
pub(crate) const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The `route` label of requests that matched no route: raw paths are never labels.
const UNMATCHED: &str = "unmatched";

/// Latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct InquiryLabels {
    team: String,
    state: String,
}

/// The HTTP metrics of one server.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<LatencyLabels, Histogram, fn() -> Histogram>,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<LatencyLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template",
            latency.clone(),
        );
        Self {
            registry,
            requests,
            latency,
        }
    }

    fn observe(&self, method: &Method, route: &str, status: u16, elapsed: Duration) {
        let method = method_label(method);
        self.requests
            .get_or_create(&RequestLabels {
                method: method.clone(),
                route: route.to_owned(),
                status: status.to_string(),
            })
            .inc();
        self.latency
            .get_or_create(&LatencyLabels {
                method,
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// The OpenMetrics exposition: the HTTP metrics, then `baton_inquiries` from `counts`, with
    /// a zero for every state of every team in `teams` that has none.
    pub(crate) fn render(
        &self,
        teams: &[&str],
        counts: &[(String, InquiryState, i64)],
    ) -> Result<String, std::fmt::Error> {
        // A registry per scrape: the gauge holds exactly what the store said just now.
        let mut scrape = Registry::default();
        let inquiries = Family::<InquiryLabels, Gauge>::default();
        scrape.register(
            "baton_inquiries",
            "Inquiries by team and state",
            inquiries.clone(),
        );
        for team in teams {
            for state in InquiryState::ALL {
                inquiries
                    .get_or_create(&InquiryLabels {
                        team: (*team).to_owned(),
                        state: state.as_str().to_owned(),
                    })
                    .set(0);
            }
        }
        for (team, state, count) in counts {
            inquiries
                .get_or_create(&InquiryLabels {
                    team: team.clone(),
                    state: state.as_str().to_owned(),
                })
                .set(*count);
        }
        let mut out = String::new();
        encode_registry(&mut out, &self.registry)?;
        encode_registry(&mut out, &scrape)?;
        encode_eof(&mut out)?;
        Ok(out)
    }
}

/// A bounded label value for the method: clients can send any token as a method.
fn method_label(method: &Method) -> String {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    if KNOWN.contains(method) {
        method.as_str().to_owned()
    } else {
        "other".to_owned()
    }
}

/// Middleware that counts and times every request under its route template.
pub(crate) async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED.to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    state.metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_requests_latency_and_inquiries() {
        let metrics = Metrics::new();
        metrics.observe(
            &Method::GET,
            "/api/v1/inquiries/{id}",
            200,
            Duration::from_millis(3),
        );
        metrics.observe(
            &Method::from_bytes(b"BREW").unwrap(),
            UNMATCHED,
            404,
            Duration::from_millis(1),
        );
        let out = metrics
            .render(
                &["integrations"],
                &[("integrations".to_owned(), InquiryState::New, 3)],
            )
            .unwrap();
        assert!(out.contains(
            r#"http_requests_total{method="GET",route="/api/v1/inquiries/{id}",status="200"} 1"#
        ));
        assert!(
            out.contains(r#"http_requests_total{method="other",route="unmatched",status="404"} 1"#)
        );
        assert!(out.contains("http_request_duration_seconds_bucket{"));
        assert!(out.contains(r#"baton_inquiries{team="integrations",state="new"} 3"#));
        assert!(out.contains(r#"baton_inquiries{team="integrations",state="resolved"} 0"#));
        let series = out.lines().filter(|l| l.starts_with("baton_inquiries{"));
        assert_eq!(series.count(), InquiryState::ALL.len());
        assert!(out.ends_with("# EOF\n"));
    }
}
