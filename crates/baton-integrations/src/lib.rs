//! baton's integrations: the only crate that knows Slack's, GitHub's and alerting's wire
//! formats.
//!
//! The inbound side is a pure library for the server's `/hooks/…` endpoints: every function
//! takes header values and the raw body as received and returns plain values. It does no I/O
//! and knows nothing of HTTP frameworks. The outbound side, [`slack::api`], is a Slack Web API
//! client for reads (resolving channel names), behind a trait so the server can use a fake.
//!
//! - [`slack`]: request signatures, the Events API, slash commands and their answers.
//! - [`github`]: `X-Hub-Signature-256` and the `ping`, `issues`, `issue_comment` and
//!   `pull_request` events.
//! - [`alerts`]: source tokens, Prometheus Alertmanager (webhook version 4), Grafana and generic
//!   JSON alerts, all normalized to [`model::AlertBatch`].
//!
//! Every verifier answers `Result<(), VerifyError>`: the server logs the reason and answers 401.
//! Every parser answers `Result<_, ParseError>`: the server answers 400 with the message. No
//! input makes any of them panic (property-tested in `tests/inbound/props.rs`). Event types a
//! parser does not handle are `Ignored` values, never errors, so the server can accept them.
//!
//! Architecture invariant: signatures are checked over the raw body before it is parsed, and
//! every comparison of a secret is constant-time.

pub mod alerts;
pub mod error;
pub mod github;
pub mod model;
mod signature;
pub mod slack;

pub use error::{ParseError, VerifyError};
