//! The accounts section of the [`Store`](crate::Store) for SQLite: accounts, sessions and
//! one-time sign-in links (checks and event data in `crate::accounts`).

use baton_core::access::{
    email_key, LinkRefused, LoginLink, NewLoginLink, NewSession, NewUser, Role, Session,
    SignInMethod, User,
};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use tracing::debug;

use super::rows::millis;
use super::{commit_with, SqliteStore};
use crate::accounts::{self, LinkEvent, Redeemed, RoleChange, SessionEvent};
use crate::event::NewEvent;
use crate::inquiry::parse_role;
use crate::validate::{self, stored_instant};
use crate::{kind, StoreError};

macro_rules! user_columns {
    () => {
        "id, email, role, password_hash, created_by, created_at_ms, disabled_at_ms"
    };
}
macro_rules! session_columns {
    () => {
        "id, user_id, csrf, created_at_ms, expires_at_ms, last_seen_ms"
    };
}
macro_rules! link_columns {
    () => {
        "id, user_id, created_by, created_at_ms, expires_at_ms, used_at_ms"
    };
}

/// The instant stored as `ms` Unix epoch milliseconds.
fn instant(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms).ok_or_else(|| {
        StoreError::Database(sqlx::Error::Decode(
            format!("stored instant {ms} ms is out of range").into(),
        ))
    })
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    email: String,
    role: String,
    password_hash: Option<String>,
    created_by: String,
    created_at_ms: i64,
    disabled_at_ms: Option<i64>,
}

impl UserRow {
    fn into_record(self) -> Result<User, StoreError> {
        Ok(User {
            id: self.id,
            email: self.email,
            role: parse_role(&self.role)?,
            password_hash: self.password_hash,
            created_by: self.created_by,
            created_at: instant(self.created_at_ms)?,
            disabled_at: self.disabled_at_ms.map(instant).transpose()?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    user_id: i64,
    csrf: String,
    created_at_ms: i64,
    expires_at_ms: i64,
    last_seen_ms: i64,
}

impl SessionRow {
    fn into_record(self) -> Result<Session, StoreError> {
        Ok(Session {
            id: self.id,
            user_id: self.user_id,
            csrf: self.csrf,
            created_at: instant(self.created_at_ms)?,
            expires_at: instant(self.expires_at_ms)?,
            last_seen: instant(self.last_seen_ms)?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    id: i64,
    user_id: i64,
    created_by: String,
    created_at_ms: i64,
    expires_at_ms: i64,
    used_at_ms: Option<i64>,
}

impl LinkRow {
    fn into_record(self) -> Result<LoginLink, StoreError> {
        Ok(LoginLink {
            id: self.id,
            user_id: self.user_id,
            created_by: self.created_by,
            created_at: instant(self.created_at_ms)?,
            expires_at: instant(self.expires_at_ms)?,
            used_at: self.used_at_ms.map(instant).transpose()?,
        })
    }
}

/// The account `id`, or [`StoreError::NotFound`].
async fn select_user(conn: &mut SqliteConnection, id: i64) -> Result<User, StoreError> {
    sqlx::query_as::<_, UserRow>(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| StoreError::NotFound(format!("account {id}")))?
    .into_record()
}

/// The active account `id`: [`StoreError::NotFound`] or, disabled, [`StoreError::Invalid`].
async fn select_active_user(conn: &mut SqliteConnection, id: i64) -> Result<User, StoreError> {
    let user = select_user(conn, id).await?;
    if user.is_active() {
        Ok(user)
    } else {
        Err(accounts::disabled(&user))
    }
}

/// Inserts a checked session of `user` (dropping every expired session) and returns it
/// with the event to append.
async fn insert_session(
    conn: &mut SqliteConnection,
    user: &User,
    new: &NewSession,
) -> Result<(Session, String), StoreError> {
    // Expired sessions are of no use to anyone: drop them all (`sessions_expiry` finds them).
    sqlx::query("DELETE FROM sessions WHERE expires_at_ms <= ?")
        .bind(millis(new.created_at))
        .execute(&mut *conn)
        .await?;
    let session = sqlx::query_as::<_, SessionRow>(concat!(
        "INSERT INTO sessions",
        " (token_hash, user_id, csrf, created_at_ms, expires_at_ms, last_seen_ms)",
        " VALUES (?, ?, ?, ?, ?, ?) RETURNING ",
        session_columns!()
    ))
    .bind(&new.token_hash)
    .bind(user.id)
    .bind(&new.csrf)
    .bind(millis(new.created_at))
    .bind(millis(new.expires_at))
    .bind(millis(new.created_at))
    .fetch_one(conn)
    .await?
    .into_record()?;
    let data = serde_json::to_string(&SessionEvent::new(&session, user, Some(new.method)))?;
    Ok((session, data))
}

pub(super) async fn create_user(store: &SqliteStore, new: NewUser) -> Result<User, StoreError> {
    let checked = accounts::new_user(new)?;
    let new = checked.new;
    let mut tx = store.begin_write().await?;
    let user = sqlx::query_as::<_, UserRow>(concat!(
        "INSERT INTO users",
        " (email, email_key, role, password_hash, created_by, created_at_ms)",
        " VALUES (?, ?, ?, ?, ?, ?) RETURNING ",
        user_columns!()
    ))
    .bind(&new.email)
    .bind(&checked.email_key)
    .bind(new.role.as_str())
    .bind(&new.password_hash)
    .bind(&new.created_by)
    .bind(millis(new.created_at))
    .fetch_one(&mut *tx)
    .await
    .map_err(accounts::duplicate_email(&new.email))?
    .into_record()?;
    let event = NewEvent::about(
        kind::USER_CREATED,
        None,
        &new.created_by,
        new.created_at,
        &user,
    )?;
    commit_with(tx, event).await?;
    debug!(id = user.id, role = %user.role, "account created");
    Ok(user)
}

pub(super) async fn get_user(store: &SqliteStore, id: i64) -> Result<User, StoreError> {
    let mut conn = store.pool.acquire().await?;
    select_user(&mut conn, id).await
}

pub(super) async fn find_user(
    store: &SqliteStore,
    email: &str,
) -> Result<Option<User>, StoreError> {
    sqlx::query_as::<_, UserRow>(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users WHERE email_key = ?"
    ))
    .bind(email_key(email))
    .fetch_optional(&store.pool)
    .await?
    .map(UserRow::into_record)
    .transpose()
}

pub(super) async fn list_users(store: &SqliteStore) -> Result<Vec<User>, StoreError> {
    sqlx::query_as::<_, UserRow>(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users ORDER BY id"
    ))
    .fetch_all(&store.pool)
    .await?
    .into_iter()
    .map(UserRow::into_record)
    .collect()
}

pub(super) async fn set_user_role(
    store: &SqliteStore,
    id: i64,
    role: Role,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<User, StoreError> {
    validate::actor(actor)?;
    let at = stored_instant(at);
    let mut tx = store.begin_write().await?;
    let before = select_active_user(&mut tx, id).await?;
    if before.role == role {
        return Ok(before);
    }
    let user = sqlx::query_as::<_, UserRow>(concat!(
        "UPDATE users SET role = ? WHERE id = ? RETURNING ",
        user_columns!()
    ))
    .bind(role.as_str())
    .bind(id)
    .fetch_one(&mut *tx)
    .await?
    .into_record()?;
    let change = RoleChange {
        user: &user,
        previous_role: before.role,
    };
    let event = NewEvent::about(kind::USER_ROLE_CHANGED, None, actor, at, &change)?;
    commit_with(tx, event).await?;
    debug!(id, from = %before.role, to = %role, "account role changed");
    Ok(user)
}

pub(super) async fn disable_user(
    store: &SqliteStore,
    id: i64,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<User, StoreError> {
    set_active(store, id, false, actor, at).await
}

pub(super) async fn enable_user(
    store: &SqliteStore,
    id: i64,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<User, StoreError> {
    set_active(store, id, true, actor, at).await
}

/// Enables or disables account `id` with its event, in one transaction: disabling ends its
/// sessions; enabling expires the sign-in links made before. An account already so is returned
/// as it is, with no event.
async fn set_active(
    store: &SqliteStore,
    id: i64,
    active: bool,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<User, StoreError> {
    validate::actor(actor)?;
    let at = stored_instant(at);
    let mut tx = store.begin_write().await?;
    let before = select_user(&mut tx, id).await?;
    if before.is_active() == active {
        return Ok(before);
    }
    let user = sqlx::query_as::<_, UserRow>(concat!(
        "UPDATE users SET disabled_at_ms = ? WHERE id = ? RETURNING ",
        user_columns!()
    ))
    .bind((!active).then(|| millis(at)))
    .bind(id)
    .fetch_one(&mut *tx)
    .await?
    .into_record()?;
    let (query, kind) = if active {
        (
            sqlx::query(
                "UPDATE login_links SET expires_at_ms = ? WHERE user_id = ? \
             AND used_at_ms IS NULL AND expires_at_ms > ?",
            )
            .bind(millis(at))
            .bind(id)
            .bind(millis(at)),
            kind::USER_ENABLED,
        )
    } else {
        (
            sqlx::query("DELETE FROM sessions WHERE user_id = ?").bind(id),
            kind::USER_DISABLED,
        )
    };
    let changed = query.execute(&mut *tx).await?.rows_affected();
    let event = NewEvent::about(kind, None, actor, at, &user)?;
    commit_with(tx, event).await?;
    debug!(
        id,
        active,
        sessions_or_links = changed,
        "account enabled or disabled"
    );
    Ok(user)
}

pub(super) async fn set_user_password(
    store: &SqliteStore,
    id: i64,
    password_hash: &str,
    keep_session: Option<&str>,
    actor: &str,
    at: DateTime<Utc>,
) -> Result<User, StoreError> {
    accounts::password_hash(password_hash)?;
    validate::actor(actor)?;
    let at = stored_instant(at);
    let mut tx = store.begin_write().await?;
    select_active_user(&mut tx, id).await?;
    let user = sqlx::query_as::<_, UserRow>(concat!(
        "UPDATE users SET password_hash = ? WHERE id = ? RETURNING ",
        user_columns!()
    ))
    .bind(password_hash)
    .bind(id)
    .fetch_one(&mut *tx)
    .await?
    .into_record()?;
    let ended = sqlx::query("DELETE FROM sessions WHERE user_id = ? AND token_hash IS NOT ?")
        .bind(id)
        .bind(keep_session)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let event = NewEvent::about(kind::USER_PASSWORD_SET, None, actor, at, &user)?;
    commit_with(tx, event).await?;
    debug!(id, sessions_ended = ended, "password set");
    Ok(user)
}

pub(super) async fn create_session(
    store: &SqliteStore,
    user_id: i64,
    new: NewSession,
) -> Result<Session, StoreError> {
    let new = accounts::new_session(new)?;
    let mut tx = store.begin_write().await?;
    let user = select_active_user(&mut tx, user_id).await?;
    let (session, data) = insert_session(&mut tx, &user, &new).await?;
    let actor = user.actor();
    let event = NewEvent {
        team: None,
        inquiry_id: None,
        actor: &actor,
        kind: kind::SESSION_CREATED,
        at: new.created_at,
        data,
    };
    commit_with(tx, event).await?;
    Ok(session)
}

#[derive(sqlx::FromRow)]
struct SessionUserRow {
    #[sqlx(flatten)]
    session: SessionRow,
    email: String,
    role: String,
    password_hash: Option<String>,
    user_created_by: String,
    user_created_at_ms: i64,
    disabled_at_ms: Option<i64>,
}

pub(super) async fn find_session(
    store: &SqliteStore,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Session, User)>, StoreError> {
    let row = sqlx::query_as::<_, SessionUserRow>(
        "SELECT s.id, s.user_id, s.csrf, s.created_at_ms, s.expires_at_ms, s.last_seen_ms, \
         u.email, u.role, u.password_hash, u.created_by AS user_created_by, \
         u.created_at_ms AS user_created_at_ms, u.disabled_at_ms \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = ? AND s.expires_at_ms > ? AND u.disabled_at_ms IS NULL",
    )
    .bind(token_hash)
    .bind(millis(now))
    .fetch_optional(&store.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let session = row.session.into_record()?;
    let user = User {
        id: session.user_id,
        email: row.email,
        role: parse_role(&row.role)?,
        password_hash: row.password_hash,
        created_by: row.user_created_by,
        created_at: instant(row.user_created_at_ms)?,
        disabled_at: row.disabled_at_ms.map(instant).transpose()?,
    };
    Ok(Some((session, user)))
}

pub(super) async fn touch_session(
    store: &SqliteStore,
    id: i64,
    last_seen: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE sessions SET last_seen_ms = ?, expires_at_ms = ? WHERE id = ?")
        .bind(millis(last_seen))
        .bind(millis(expires_at))
        .bind(id)
        .execute(&store.pool)
        .await?;
    Ok(())
}

pub(super) async fn end_session(
    store: &SqliteStore,
    token_hash: &str,
    at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let at = stored_instant(at);
    let mut tx = store.begin_write().await?;
    let ended = sqlx::query_as::<_, SessionRow>(concat!(
        "DELETE FROM sessions WHERE token_hash = ? RETURNING ",
        session_columns!()
    ))
    .bind(token_hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = ended else { return Ok(false) };
    let session = row.into_record()?;
    let user = select_user(&mut tx, session.user_id).await?;
    let actor = user.actor();
    let data = SessionEvent::new(&session, &user, None);
    let event = NewEvent::about(kind::SESSION_ENDED, None, &actor, at, &data)?;
    commit_with(tx, event).await?;
    Ok(true)
}

pub(super) async fn create_login_link(
    store: &SqliteStore,
    new: NewLoginLink,
) -> Result<LoginLink, StoreError> {
    let new = accounts::new_link(new)?;
    let mut tx = store.begin_write().await?;
    let user = select_active_user(&mut tx, new.user_id).await?;
    let link = sqlx::query_as::<_, LinkRow>(concat!(
        "INSERT INTO login_links",
        " (token_hash, user_id, created_by, created_at_ms, expires_at_ms)",
        " VALUES (?, ?, ?, ?, ?) RETURNING ",
        link_columns!()
    ))
    .bind(&new.token_hash)
    .bind(new.user_id)
    .bind(&new.created_by)
    .bind(millis(new.created_at))
    .bind(millis(new.expires_at))
    .fetch_one(&mut *tx)
    .await?
    .into_record()?;
    let data = LinkEvent {
        link: &link,
        email: &user.email,
    };
    let event = NewEvent::about(
        kind::LOGIN_LINK_CREATED,
        None,
        &new.created_by,
        new.created_at,
        &data,
    )?;
    commit_with(tx, event).await?;
    Ok(link)
}

pub(super) async fn redeem_login_link(
    store: &SqliteStore,
    token_hash: &str,
    session: NewSession,
) -> Result<Result<Redeemed, LinkRefused>, StoreError> {
    // Whatever the caller says, this session was started by a link.
    let session = accounts::new_session(NewSession {
        method: SignInMethod::Link,
        ..session
    })?;
    let now = millis(session.created_at);
    // BEGIN IMMEDIATE: one writer at a time, so of concurrent redeemers exactly one finds the
    // link unused.
    let mut tx = store.begin_write().await?;
    let claimed: Option<i64> = sqlx::query_scalar(
        "UPDATE login_links SET used_at_ms = ?1 \
         WHERE token_hash = ?2 AND used_at_ms IS NULL AND expires_at_ms > ?1 \
         AND user_id IN (SELECT id FROM users WHERE disabled_at_ms IS NULL) \
         RETURNING user_id",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(user_id) = claimed else {
        // Why not: (already used, account disabled); none if there is no such link.
        let found: Option<(bool, bool)> = sqlx::query_as(
            "SELECT l.used_at_ms IS NOT NULL, u.disabled_at_ms IS NOT NULL \
             FROM login_links l JOIN users u ON u.id = l.user_id WHERE l.token_hash = ?",
        )
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        return Ok(Err(match found {
            None => LinkRefused::Unknown,
            Some((true, _)) => LinkRefused::Used,
            Some((false, true)) => LinkRefused::Disabled,
            Some((false, false)) => LinkRefused::Expired,
        }));
    };
    let user = select_user(&mut tx, user_id).await?;
    let (stored, data) = insert_session(&mut tx, &user, &session).await?;
    let actor = user.actor();
    let event = NewEvent {
        team: None,
        inquiry_id: None,
        actor: &actor,
        kind: kind::SESSION_CREATED,
        at: session.created_at,
        data,
    };
    commit_with(tx, event).await?;
    debug!(user = user.id, "sign-in link redeemed");
    Ok(Ok((stored, user)))
}
