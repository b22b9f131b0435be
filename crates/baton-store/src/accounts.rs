//! Accounts, sessions and sign-in links: the checks both backends make before writing, and the
//! data of the events they append (which never carry a hash, a CSRF token or a password).

use baton_core::access::{
    email_key, parse_email, LoginLink, NewLoginLink, NewSession, NewUser, Session, SignInMethod,
    User,
};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::validate::{self, stored_instant};
use crate::StoreError;

/// What a redeemed sign-in link gives: a new session for its account.
pub type Redeemed = (Session, User);

/// The data of `session.created` and `session.ended`: whose session, how and until when. No
/// secret, no hash: the event trail is readable by anyone who may read events.
#[derive(Debug, Serialize)]
pub(crate) struct SessionEvent<'a> {
    pub session_id: i64,
    pub user_id: i64,
    pub email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<SignInMethod>,
    pub expires_at: DateTime<Utc>,
}

impl<'a> SessionEvent<'a> {
    pub fn new(session: &Session, user: &'a User, method: Option<SignInMethod>) -> Self {
        SessionEvent {
            session_id: session.id,
            user_id: user.id,
            email: &user.email,
            method,
            expires_at: session.expires_at,
        }
    }
}

/// The data of `user.role_changed`: the account as it is now, and the role it had.
#[derive(Debug, Serialize)]
pub(crate) struct RoleChange<'a> {
    #[serde(flatten)]
    pub user: &'a User,
    pub previous_role: baton_core::access::Role,
}

/// The data of `login_link.created`: the link without its hash, and whose it is.
#[derive(Debug, Serialize)]
pub(crate) struct LinkEvent<'a> {
    #[serde(flatten)]
    pub link: &'a LoginLink,
    pub email: &'a str,
}

/// A checked account: its email trimmed, its key lower-cased, its instant at stored precision.
pub(crate) struct CheckedUser {
    pub new: NewUser,
    pub email_key: String,
}

/// Checks a new account.
pub(crate) fn new_user(new: NewUser) -> Result<CheckedUser, StoreError> {
    let email = parse_email(&new.email).map_err(|e| StoreError::Invalid(e.to_string()))?;
    if new
        .password_hash
        .as_deref()
        .is_some_and(|h| h.trim().is_empty())
    {
        return Err(StoreError::Invalid(
            "a password hash must not be empty (leave it unset for a link-only account)".into(),
        ));
    }
    validate::actor(&new.created_by)?;
    Ok(CheckedUser {
        email_key: email_key(&email),
        new: NewUser {
            email,
            created_at: stored_instant(new.created_at),
            ..new
        },
    })
}

/// Classifies the failure to insert an account: its email key is unique.
pub(crate) fn duplicate_email(email: &str) -> impl FnOnce(sqlx::Error) -> StoreError + '_ {
    move |error| match StoreError::from(error) {
        StoreError::Conflict(_) => StoreError::Conflict(format!(
            "an account with the email {email:?} already exists (emails are compared without case)"
        )),
        other => other,
    }
}

/// Checks a new session and brings its instants to stored precision.
pub(crate) fn new_session(new: NewSession) -> Result<NewSession, StoreError> {
    secret_hash("session token hash", &new.token_hash)?;
    if new.csrf.trim().is_empty() {
        return Err(StoreError::Invalid(
            "a session's CSRF token must not be empty".into(),
        ));
    }
    let new = NewSession {
        created_at: stored_instant(new.created_at),
        expires_at: stored_instant(new.expires_at),
        ..new
    };
    if new.expires_at <= new.created_at {
        return Err(StoreError::Invalid(
            "a session must expire after it is created".into(),
        ));
    }
    Ok(new)
}

/// Checks a new sign-in link and brings its instants to stored precision.
pub(crate) fn new_link(new: NewLoginLink) -> Result<NewLoginLink, StoreError> {
    secret_hash("sign-in link hash", &new.token_hash)?;
    validate::actor(&new.created_by)?;
    let new = NewLoginLink {
        created_at: stored_instant(new.created_at),
        expires_at: stored_instant(new.expires_at),
        ..new
    };
    if new.expires_at <= new.created_at {
        return Err(StoreError::Invalid(
            "a sign-in link must expire after it is created".into(),
        ));
    }
    Ok(new)
}

/// Checks a new password hash: an argon2 PHC string is never empty.
pub(crate) fn password_hash(hash: &str) -> Result<(), StoreError> {
    if hash.trim().is_empty() {
        return Err(StoreError::Invalid(
            "a password hash must not be empty".into(),
        ));
    }
    Ok(())
}

/// A refusal to act on a disabled account.
pub(crate) fn disabled(user: &User) -> StoreError {
    StoreError::Invalid(format!("the account {} is disabled", user.email))
}

fn secret_hash(what: &str, hash: &str) -> Result<(), StoreError> {
    if hash.trim().is_empty() {
        Err(StoreError::Invalid(format!("{what} must not be empty")))
    } else {
        Ok(())
    }
}
