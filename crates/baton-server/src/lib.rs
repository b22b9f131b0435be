//! baton's server: the JSON API, background jobs and metrics, over the [`service::Service`] layer
//! that the CLI shares.
//!
//! Architecture invariant: this is the only crate that knows HTTP.
//!
//! Code map: [`startup`] binds and serves, [`routes`] holds the route table (one module per
//! resource) from which both the router and the OpenAPI check are built, [`auth`] turns bearer
//! tokens into a [`auth::Caller`], [`error`] turns every failure into one JSON error shape, and
//! `extract` wraps axum's extractors so that their rejections take that shape too.

pub mod auth;
pub mod clock;
pub mod error;
mod extract;
pub mod intake;
mod metrics;
mod policy_cache;
pub mod routes;
pub mod service;
pub mod startup;
mod state;
mod telemetry;
pub mod web;

pub use state::AppState;
