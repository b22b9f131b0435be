//! Bearer tokens: how they are made, and how a request becomes a [`Caller`] with a role.
//!
//! Only the SHA-256 of a token is stored. A request's token is hashed and looked up by that hash
//! (`Store::find_token`), so the secret is never compared byte by byte: the database compares
//! hashes of a high-entropy secret for equality, which leaks nothing useful through timing.
//! Nothing else here compares secrets; code that must do so should use `subtle`.

use axum::extract::{FromRequestParts, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::Response;
use baton_core::access::{ApiToken, Role};
use rand::distr::{Alphanumeric, SampleString};
use rand::rngs::OsRng;
use rand::TryRngCore;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::AppState;

/// What every token starts with, so that a leaked one is easy to recognise.
pub const TOKEN_PREFIX: &str = "baton_";

/// Random characters after the prefix (alphanumeric: about 238 bits).
const TOKEN_CHARS: usize = 40;

/// A new secret token and the hex SHA-256 to store for it. Show the secret once; keep the hash.
pub fn generate_token() -> (String, String) {
    let mut rng = OsRng.unwrap_err();
    let secret = format!(
        "{TOKEN_PREFIX}{}",
        Alphanumeric.sample_string(&mut rng, TOKEN_CHARS)
    );
    let hash = hash_token(&secret);
    (secret, hash)
}

/// The hex SHA-256 of a secret token, as stored and looked up.
pub fn hash_token(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: health, readiness, metrics and the API description.
    Public,
    /// A bearer token with at least this role.
    Bearer(Role),
    /// A token with at least this role, in `?token=` or as a bearer token (for calendar apps,
    /// which cannot send headers).
    QueryToken(Role),
}

impl Access {
    /// The role the route needs, if any.
    pub fn role(self) -> Option<Role> {
        match self {
            Self::Public => None,
            Self::Bearer(role) | Self::QueryToken(role) => Some(role),
        }
    }
}

/// The authenticated token behind a request.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The token as stored (its name, role and dates; never the secret).
    pub token: ApiToken,
}

impl Caller {
    /// Refuses with 403 unless the token's role includes `role`.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.token.role.allows(role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "this needs the {role} role; token {:?} is a {}",
                self.token.name, self.token.role
            )))
        }
    }

    /// How the caller appears in the event trail: `token:<name>`.
    pub fn actor(&self) -> String {
        format!("token:{}", self.token.name)
    }
}

/// The unrevoked token whose secret is `secret`, or 401.
async fn authenticate(state: &AppState, secret: Option<&str>) -> Result<Caller, ApiError> {
    let secret = secret.ok_or_else(|| {
        ApiError::Unauthorized(
            "this needs an API token: send `Authorization: Bearer <token>`".into(),
        )
    })?;
    let found = state
        .service
        .store()
        .find_token(&hash_token(secret))
        .await
        .map_err(ApiError::internal)?;
    found
        .map(|token| Caller { token })
        .ok_or_else(|| ApiError::Unauthorized("the API token is unknown or revoked".into()))
}

/// The token of an `Authorization: Bearer …` header, if there is one.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// Middleware: authenticates the request as `access` says, refuses a role that is too low, and
/// leaves the [`Caller`] in the request for the handler.
pub(crate) async fn authorize(
    State((state, access)): State<(AppState, Access)>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let caller = match access {
        Access::Public => return Ok(next.run(request).await),
        Access::Bearer(_) => authenticate(&state, bearer(request.headers())).await?,
        Access::QueryToken(_) => {
            let query = Query::<TokenQuery>::try_from_uri(request.uri())?;
            let secret = query.0.token.as_deref().or(bearer(request.headers()));
            authenticate(&state, secret).await?
        }
    };
    if let Some(role) = access.role() {
        caller.require(role)?;
    }
    request.extensions_mut().insert(caller);
    Ok(next.run(request).await)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match parts.extensions.get::<Caller>() {
            Some(caller) => Ok(caller.clone()),
            None => authenticate(state, bearer(&parts.headers)).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn tokens_are_prefixed_random_and_hashed() {
        let (secret, hash) = generate_token();
        assert!(secret.starts_with(TOKEN_PREFIX));
        assert_eq!(secret.len(), TOKEN_PREFIX.len() + TOKEN_CHARS);
        assert!(secret[TOKEN_PREFIX.len()..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(hash, hash_token(&secret));
        assert_eq!(hash.len(), 64);
        assert_ne!(generate_token().0, secret);
    }

    #[test]
    fn hashes_are_hex_sha256() {
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn reads_bearer_headers() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer  abc "),
        );
        assert_eq!(bearer(&headers), Some("abc"));
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("bearer abc"),
        );
        assert_eq!(bearer(&headers), Some("abc"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&headers), None);
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(bearer(&headers), None);
    }
}
