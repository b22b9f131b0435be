//! HMAC-SHA256 signatures and constant-time comparisons shared by the senders' schemes.
//!
//! Every comparison of something secret goes through [`Mac::verify_slice`], which compares in
//! constant time; tokens of any length are compared as HMACs of equal length, so neither their
//! content nor their length leaks through timing.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::VerifyError;

type HmacSha256 = Hmac<Sha256>;

/// The HMAC-SHA256 of the concatenated `parts` under `key`.
fn mac(key: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    // HMAC takes keys of any length (long keys are hashed), so this never fails; the fallback
    // keeps the function total without a panic path.
    let mut mac = match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => HmacSha256::new(&Default::default()),
    };
    for part in parts {
        mac.update(part);
    }
    mac
}

/// Lowercase hex of the HMAC-SHA256 of `parts` under `key`.
pub(crate) fn sign_hex(key: &[u8], parts: &[&[u8]]) -> String {
    hex::encode(mac(key, parts).finalize().into_bytes())
}

/// Checks a hex signature (as found in a header named `what`) against the HMAC-SHA256 of
/// `parts` under `key`, in constant time.
pub(crate) fn verify_hex(
    key: &[u8],
    parts: &[&[u8]],
    signature_hex: &str,
    what: &'static str,
) -> Result<(), VerifyError> {
    if key.is_empty() {
        return Err(VerifyError::Unconfigured);
    }
    // A SHA-256 digest is 32 bytes, 64 hex digits. The length of the header is not secret.
    if signature_hex.len() != 64 {
        return Err(VerifyError::Malformed {
            what,
            reason: "not 64 hexadecimal digits",
        });
    }
    let given = hex::decode(signature_hex).map_err(|_| VerifyError::Malformed {
        what,
        reason: "not 64 hexadecimal digits",
    })?;
    mac(key, parts)
        .verify_slice(&given)
        .map_err(|_| VerifyError::Mismatch)
}

/// Compares two secrets in constant time, whatever their lengths.
pub(crate) fn secrets_equal(expected: &[u8], given: &[u8]) -> bool {
    // Both sides become 32-byte HMACs under one key, compared with `verify_slice`: the time
    // taken depends on neither the content nor the length of the secrets.
    const KEY: &[u8] = b"baton: compare secrets in constant time";
    let expected = mac(KEY, &[expected]).finalize().into_bytes();
    mac(KEY, &[given]).verify_slice(&expected).is_ok()
}
