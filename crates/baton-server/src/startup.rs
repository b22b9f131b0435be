//! Binding and serving: [`Application::build`] binds the listener first, so that a caller (a
//! test, `baton serve`) knows the port before the server runs.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;

use std::sync::Arc;

use crate::intake::channels::{self, ChannelRefresh, RefreshPolicy};
use crate::intake::{Intake, IntakeWriter, Routes, Secrets};
use crate::routes;
use crate::service::Service;
use crate::AppState;
use baton_integrations::slack::{ChannelDirectory, SlackApi, SlackApiOptions};

/// The server, bound and ready to run.
pub struct Application {
    listener: TcpListener,
    local_addr: SocketAddr,
    router: Router,
    writer: IntakeWriter,
    /// The task that keeps Slack channel names resolved, when some need it.
    channels: Option<ChannelRefresh>,
}

/// How baton's outbound clients reach the services they call. Production uses the defaults
/// (Slack's own Web API); tests point them at local fakes through
/// [`Application::build_with_options`].
#[derive(Clone, Debug, Default)]
pub struct ClientOptions {
    /// The Slack Web API: base URL, timeout, rate-limit retries.
    pub slack: SlackApiOptions,
    /// When Slack channel names are resolved again.
    pub channel_refresh: RefreshPolicy,
}

impl Application {
    /// Binds `listen` (port 0 picks a free port) and builds the router over `service`, with the
    /// webhook secrets read once from the environment variables the config names.
    pub async fn build(service: Service, listen: SocketAddr) -> io::Result<Self> {
        let secrets = Secrets::from_env(service.config());
        Self::build_with_secrets(service, listen, secrets).await
    }

    /// Like [`Application::build`], with the webhook secrets given (by variable name) rather
    /// than read from the environment.
    pub async fn build_with_secrets(
        service: Service,
        listen: SocketAddr,
        secrets: Secrets,
    ) -> io::Result<Self> {
        Self::build_with_options(service, listen, secrets, ClientOptions::default()).await
    }

    /// Like [`Application::build_with_secrets`], with the outbound clients set up by `options`.
    /// When the Slack bot token is set, Slack channels given by name only are resolved to
    /// their ids before this returns (waiting at most 30 s), and kept current by a task.
    pub async fn build_with_options(
        service: Service,
        listen: SocketAddr,
        secrets: Secrets,
        options: ClientOptions,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        let local_addr = listener.local_addr()?;
        let routes = Arc::new(Routes::new(service.config()));
        let channels = match slack_directory(&service, &secrets, options.slack) {
            Some(directory) => {
                channels::start(routes.clone(), directory, options.channel_refresh).await
            }
            None => {
                channels::not_watched(&routes);
                None
            }
        };
        let (handle, writer) = IntakeWriter::spawn(service.store().clone());
        let intake = Arc::new(Intake {
            routes,
            secrets,
            writer: handle,
        });
        Ok(Self {
            listener,
            local_addr,
            router: routes::router(AppState::new(service, intake)),
            writer,
            channels,
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
        // With the peer's address, so sign-in attempts can be limited per client.
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await;
        // Every request has been answered: commit what is still queued, then stop the writer.
        self.writer.shutdown().await;
        if let Some(channels) = self.channels {
            channels.shutdown().await;
        }
        served
    }
}

/// The Slack Web API client, when the bot token is set and the client can be built.
fn slack_directory(
    service: &Service,
    secrets: &Secrets,
    options: SlackApiOptions,
) -> Option<Arc<dyn ChannelDirectory>> {
    let token = secrets.slack_bot_token(service.config())?;
    match SlackApi::new(token, options) {
        Ok(api) => Some(Arc::new(api)),
        Err(e) => {
            tracing::warn!(error = %e, "the Slack API client cannot be used");
            None
        }
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
