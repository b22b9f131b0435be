//! What every handler shares.

use std::sync::Arc;

use crate::metrics::Metrics;
use crate::service::Service;

/// The state behind the router: the operations and the HTTP metrics.
#[derive(Clone)]
pub struct AppState {
    /// baton's operations.
    pub service: Service,
    pub(crate) metrics: Arc<Metrics>,
}

impl AppState {
    /// State over `service`, with fresh metrics.
    pub fn new(service: Service) -> Self {
        Self {
            service,
            metrics: Arc::new(Metrics::new()),
        }
    }
}
