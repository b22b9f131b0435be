//! The outbound side against local fakes that speak the real wire formats. One test binary.

mod fake_slack;
mod slack_api;
