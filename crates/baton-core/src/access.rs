//! Who may do what: the roles of people and API tokens.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A role: viewers read, members triage and change the schedule, admins manage users and tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Viewer,
    Member,
    Admin,
}

impl Role {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Member => "member",
            Self::Admin => "admin",
        }
    }

    /// Whether this role includes everything `needed` may do.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that is not a role.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: expected viewer, member or admin")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Viewer, Self::Member, Self::Admin]
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// An API token as stored: only a hash of the secret is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub role: Role,
    #[serde(skip)]
    pub token_hash: String,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A token before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewApiToken {
    pub name: String,
    pub role: Role,
    /// Hex SHA-256 of the secret token.
    pub token_hash: String,
    pub created_by: String,
}

/// The longest email address accepted, in characters (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// An email address that cannot name an account.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an email address: expected one `name@domain`, without spaces, at most 254 characters")]
pub struct InvalidEmail(pub String);

/// Checks an account's email address and returns it trimmed, as the person typed it.
///
/// Accepts one `@` with something on both sides, no whitespace or control characters, at most
/// [`MAX_EMAIL_CHARS`] characters. (Whether mail reaches it is not baton's business.)
pub fn parse_email(s: &str) -> Result<String, InvalidEmail> {
    let email = s.trim();
    let shaped = match email.split_once('@') {
        Some((local, domain)) => !local.is_empty() && !domain.is_empty() && !domain.contains('@'),
        None => false,
    };
    let clean = !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if shaped && clean && email.chars().count() <= MAX_EMAIL_CHARS {
        Ok(email.to_owned())
    } else {
        Err(InvalidEmail(s.to_owned()))
    }
}

/// The key an email address is unique under: lower-cased, so `Ana@Example.com` and
/// `ana@example.com` are one account.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A person's account for the web pages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    /// As typed when the account was made; unique regardless of case ([`email_key`]).
    pub email: String,
    pub role: Role,
    /// The argon2 PHC string of the password; `None` for accounts that sign in by link only.
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Set once the account is disabled: it can no longer sign in, and its sessions end.
    pub disabled_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl User {
    /// Whether the account may sign in.
    pub fn is_active(&self) -> bool {
        self.disabled_at.is_none()
    }

    /// How the person appears in the event trail: `user:<email>`.
    pub fn actor(&self) -> String {
        format!("user:{}", self.email)
    }
}

/// An account before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUser {
    pub email: String,
    pub role: Role,
    /// The argon2 PHC string of the password, or `None` (sign-in by one-time link only).
    pub password_hash: Option<String>,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A signed-in browser session as stored: the cookie's secret is kept only as a hash.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Session {
    pub id: i64,
    pub user_id: i64,
    /// The token every form of this session must carry (not a credential on its own).
    #[serde(skip)]
    pub csrf: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// The session ends at this instant unless it is used (and extended) before.
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub last_seen: chrono::DateTime<chrono::Utc>,
}

/// A session before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSession {
    /// Hex SHA-256 of the cookie's secret.
    pub token_hash: String,
    pub csrf: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// How the person signed in (`password` or `link`), for the event trail.
    pub method: SignInMethod,
}

/// How a session was started.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SignInMethod {
    Password,
    Link,
}

/// A one-time sign-in link as stored: only a hash of its secret is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoginLink {
    pub id: i64,
    pub user_id: i64,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub used_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A sign-in link before it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewLoginLink {
    pub user_id: i64,
    /// Hex SHA-256 of the link's secret.
    pub token_hash: String,
    pub created_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Why a sign-in link did not sign anyone in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefused {
    #[error("this sign-in link is not valid; ask an admin for a new one")]
    Unknown,
    #[error("this sign-in link has already been used; each link signs in once, so ask an admin (or run `baton user link`) for a new one")]
    Used,
    #[error(
        "this sign-in link has expired; ask an admin (or run `baton user link`) for a new one"
    )]
    Expired,
    #[error("this account is disabled")]
    Disabled,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered() {
        assert!(Role::Admin.allows(Role::Member));
        assert!(Role::Member.allows(Role::Viewer));
        assert!(!Role::Viewer.allows(Role::Member));
        assert_eq!("Admin".parse::<Role>(), Ok(Role::Admin));
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn emails_are_checked_and_keyed_without_case() {
        assert_eq!(
            parse_email(" Ana@Example.com "),
            Ok("Ana@Example.com".to_owned())
        );
        assert_eq!(email_key("Ana@Example.COM"), "ana@example.com");
        for bad in [
            "",
            "ana",
            "@example.com",
            "ana@",
            "a b@example.com",
            "a@b@c",
            "a@\u{7}b",
        ] {
            assert!(parse_email(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(parse_email(&long).is_err());
    }
}
