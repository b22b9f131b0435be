//! Alert webhooks: Prometheus Alertmanager (webhook version 4), Grafana alerting, and generic
//! JSON. All become an [`AlertBatch`](crate::model::AlertBatch).
//!
//! Alert senders do not sign their bodies; each source has a token, given as a bearer token or
//! a query parameter, checked with [`verify_token`].

mod generic;
mod prometheus;

pub use generic::parse_generic;
pub use prometheus::{parse_alertmanager, parse_grafana};

use crate::error::VerifyError;
use crate::signature;

/// Checks a source's token in constant time (neither the content nor the length of either
/// token shows in the time taken). An empty expected token refuses everything.
pub fn verify_token(expected: &str, given: Option<&str>) -> Result<(), VerifyError> {
    if expected.is_empty() {
        return Err(VerifyError::Unconfigured);
    }
    let given = given.ok_or(VerifyError::Missing("token"))?;
    if signature::secrets_equal(expected.as_bytes(), given.as_bytes()) {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        assert_eq!(verify_token("s3cret", Some("s3cret")), Ok(()));
        assert_eq!(
            verify_token("s3cret", Some("s3cret ")),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(verify_token("s3cret", Some("")), Err(VerifyError::Mismatch));
        assert_eq!(
            verify_token("s3cret", None),
            Err(VerifyError::Missing("token"))
        );
        assert_eq!(verify_token("", Some("")), Err(VerifyError::Unconfigured));
    }
}
