//! What every handler shares.

use std::sync::Arc;

use crate::intake::Intake;
use crate::metrics::Metrics;
use crate::service::Service;

/// The state behind the router: the operations, webhook intake and the HTTP metrics.
#[derive(Clone)]
pub struct AppState {
    /// baton's operations.
    pub service: Service,
    /// Webhook routing, secrets and the intake writer.
    pub intake: Arc<Intake>,
    pub(crate) metrics: Arc<Metrics>,
}

impl AppState {
    /// State over `service` and `intake`, with fresh metrics.
    pub fn new(service: Service, intake: Arc<Intake>) -> Self {
        Self {
            service,
            intake,
            metrics: Arc::new(Metrics::new()),
        }
    }
}
