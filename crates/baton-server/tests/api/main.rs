//! The server's integration tests, one binary (see zero2prod's `tests/api`): each test starts a
//! real server on port 0 over its own SQLite database.

mod auth;
mod duty;
mod errors;
mod full_day;
mod helpers;
mod hooks_alerts;
mod hooks_fuzz;
mod hooks_github;
mod hooks_grafana_generic;
mod hooks_limits;
mod hooks_real_alertmanager;
mod hooks_slack;
mod hooks_slack_directory;
mod inquiries;
mod operations;
mod schedule;
mod triage;
mod web_helpers;
mod web_pages;
mod web_signin;
