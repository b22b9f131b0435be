//! `baton serve`: the HTTP server on the configured database.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result};
use baton_server::clock::Clock;
use baton_server::service::Service;
use baton_server::startup::{shutdown_signal, Application};
use baton_store::OpenMode;

use crate::org::Org;

pub async fn run(org: &mut Org, listen: Option<SocketAddr>) -> Result<()> {
    let store = org.open(OpenMode::Create).await?;
    let listen = listen.unwrap_or(org.config.server.listen);
    let service = Service::new(Arc::new(org.config.clone()), store, Clock::system());
    let app = Application::build(service, listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    eprintln!(
        "baton is serving {} team(s) on http://{} (database {})",
        org.config.teams.len(),
        app.local_addr(),
        baton_store::redact_url(&org.database_url)
    );
    app.run_until_stopped(shutdown_signal()).await?;
    eprintln!("baton stopped");
    Ok(())
}
