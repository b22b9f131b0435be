//! Accounts, shared by the web pages and the CLI: password hashing, secrets for sessions and
//! sign-in links, and the account operations that need them.
//!
//! Passwords are hashed with argon2id (the `argon2` crate's defaults: 19 MiB, 2 passes) into a
//! PHC string; session cookies and sign-in links are 256-bit random secrets of which only the
//! SHA-256 is stored (as for API tokens, `auth::hash_token`).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use baton_core::access::{parse_email, NewLoginLink, NewUser, Role, User};
use baton_store::{Store, StoreError};
use chrono::{DateTime, Duration, Utc};
use rand::rngs::OsRng;
use rand::{RngCore, TryRngCore};
use thiserror::Error;

use crate::auth::hash_token;

/// How long a one-time sign-in link stays valid.
pub const LINK_LIFETIME: Duration = Duration::hours(24);

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest password accepted, in bytes (hashing cost does not depend on it, but a
/// megabyte-long "password" is a mistake).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Why an account operation failed.
#[derive(Debug, Error)]
pub enum AccountError {
    /// The input is not acceptable; the message says what to change.
    #[error("{0}")]
    Invalid(String),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A fresh 256-bit random secret (64 hex digits) and its hex SHA-256, to store.
pub fn new_secret() -> (String, String) {
    let mut bytes = [0u8; 32];
    OsRng.unwrap_err().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    let hash = hash_token(&secret);
    (secret, hash)
}

/// Whether `text` has the shape of a secret [`new_secret`] makes (64 hex digits): a sign-in
/// link's secret of any other shape is refused without a database lookup and never put in a
/// page.
pub fn is_secret(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Refuses a password that is too short or too long, saying which.
pub fn check_password(password: &str) -> Result<(), AccountError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        Err(AccountError::Invalid(format!(
            "the password has {chars} characters; it needs at least {MIN_PASSWORD_CHARS}"
        )))
    } else if password.len() > MAX_PASSWORD_BYTES {
        Err(AccountError::Invalid(format!(
            "the password has {} bytes; at most {MAX_PASSWORD_BYTES} are accepted",
            password.len()
        )))
    } else {
        Ok(())
    }
}

/// The argon2id PHC string of `password` with a fresh random salt. CPU- and memory-heavy (tens
/// of milliseconds): call it from a blocking thread in async code.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let mut salt = [0u8; argon2::password_hash::Salt::RECOMMENDED_LENGTH];
    OsRng.unwrap_err().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| AccountError::Invalid(format!("cannot encode a salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AccountError::Invalid(format!("cannot hash the password: {e}")))
}

/// Whether `password` matches the PHC string `hash` (argon2 compares in constant time). A hash
/// that cannot be read matches nothing. As heavy as [`hash_password`].
pub fn verify_password(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(e) => {
            tracing::error!(error = %e, "a stored password hash cannot be read");
            false
        }
    }
}

/// Creates an account; with a password, checks and hashes it (blocking: see
/// [`hash_password`]); without one, the account signs in by one-time link only.
pub async fn add_user(
    store: &dyn Store,
    email: &str,
    role: Role,
    password: Option<&str>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<User, AccountError> {
    let email = parse_email(email).map_err(|e| AccountError::Invalid(e.to_string()))?;
    let password_hash = match password {
        Some(password) => {
            check_password(password)?;
            Some(hash_password(password)?)
        }
        None => None,
    };
    Ok(store
        .create_user(NewUser {
            email,
            role,
            password_hash,
            created_by: actor.to_owned(),
            created_at: now,
        })
        .await?)
}

/// Makes a one-time sign-in link for account `user_id`, valid for [`LINK_LIFETIME`], and
/// returns its secret (show it once: only its hash is kept). See [`link_url`].
pub async fn issue_login_link(
    store: &dyn Store,
    user_id: i64,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<String, AccountError> {
    let (secret, token_hash) = new_secret();
    store
        .create_login_link(NewLoginLink {
            user_id,
            token_hash,
            created_by: actor.to_owned(),
            created_at: now,
            expires_at: now + LINK_LIFETIME,
        })
        .await?;
    Ok(secret)
}

/// The address of sign-in link `secret` on the server at `base` (`http://host:port`).
pub fn link_url(base: &str, secret: &str) -> String {
    format!("{}/login/link/{secret}", base.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let hash = hash_password("correct horse battery").expect("a hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse batterY"));
        assert!(!verify_password("not a hash", "correct horse battery"));
        assert_ne!(
            hash,
            hash_password("correct horse battery").expect("a hash")
        );
    }

    #[test]
    fn made_secrets_have_the_shape_links_accept() {
        let (secret, _) = new_secret();
        assert!(is_secret(&secret));
        for other in [
            "",
            "not-a-secret",
            &"g".repeat(64),
            &secret[1..],
            "<script>",
        ] {
            assert!(!is_secret(other), "{other:?}");
        }
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert!(check_password("short").is_err());
        assert!(check_password(&"x".repeat(MAX_PASSWORD_BYTES + 1)).is_err());
        assert!(check_password("long enough pass").is_ok());
    }

    #[test]
    fn secrets_are_random_hex_with_their_hash() {
        let (secret, hash) = new_secret();
        assert_eq!(secret.len(), 64);
        assert!(secret.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(hash, hash_token(&secret));
        assert_ne!(new_secret().0, secret);
        assert_eq!(
            link_url("http://127.0.0.1:8080/", "abc"),
            "http://127.0.0.1:8080/login/link/abc"
        );
    }
}
