//! Binding and serving: [`Application::build`] binds the listener first, so that a caller (a
//! test, `baton serve`) knows the port before the server runs.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;

use crate::routes;
use crate::service::Service;
use crate::AppState;

/// The server, bound and ready to run.
pub struct Application {
    listener: TcpListener,
    local_addr: SocketAddr,
    router: Router,
}

impl Application {
    /// Binds `listen` (port 0 picks a free port) and builds the router over `service`.
    pub async fn build(service: Service, listen: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        let local_addr = listener.local_addr()?;
        Ok(Self {
            listener,
            local_addr,
            router: routes::router(AppState::new(service)),
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    /// Serves until `shutdown` completes, then lets the requests in flight finish.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> io::Result<()> {
        tracing::info!(address = %self.local_addr, "baton is listening");
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// Completes on SIGTERM or ctrl-c (whichever comes first).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                term.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("ctrl-c: shutting down"),
        () = terminate => tracing::info!("SIGTERM: shutting down"),
    }
}
