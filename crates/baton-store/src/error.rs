//! The one error type of the store, and the single place where sqlx errors are classified.

use std::path::PathBuf;

use sqlx::error::ErrorKind;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named record does not exist (or belongs to another team).
    #[error("{0} not found")]
    NotFound(String),
    /// The change clashes with what is already stored.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The input is not acceptable, e.g. a range whose end is not after its start.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// An SQLite database file was expected but is missing.
    #[error(
        "database file {} does not exist; run `baton migrate` to create it",
        path.display()
    )]
    NotCreated {
        /// The missing file.
        path: PathBuf,
    },
    /// The database URL names a scheme no backend serves.
    #[error(
        "unsupported database URL scheme `{scheme}`: expected sqlite://PATH, sqlite::memory:, \
         postgres://… or postgresql://…"
    )]
    UnsupportedUrl {
        /// The scheme found in the URL (`(none)` when it had none).
        scheme: String,
    },
    /// Applying the schema migrations failed.
    #[error("could not migrate the database")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    /// A stored value cannot be read back as it was written (a damaged database file).
    #[error("stored data is damaged: {0}")]
    Damaged(String),
    /// Stored event data could not be encoded or decoded as JSON.
    #[error("event data is not valid JSON")]
    Json(#[source] serde_json::Error),
    /// Any other database failure (connection, I/O, decoding, …).
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// The thread that writes SQLite intake batches could not be started, or has stopped.
    #[error("the SQLite intake writer is not running")]
    Writer(#[source] std::io::Error),
    /// Any other failure of SQLite on the connection that writes intake batches (rusqlite).
    #[error("database error")]
    Sqlite(#[source] rusqlite::Error),
}

impl From<sqlx::Error> for StoreError {
    /// Classifies a database error: a missing row becomes [`StoreError::NotFound`], bad
    /// connection options or a violated CHECK or NOT NULL constraint [`StoreError::Invalid`], a
    /// unique violation [`StoreError::Conflict`]; anything else stays a [`StoreError::Database`].
    fn from(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::RowNotFound => StoreError::NotFound("record".to_owned()),
            sqlx::Error::Configuration(error) => {
                StoreError::Invalid(format!("database URL or options: {error}"))
            }
            sqlx::Error::Database(db) => match db.kind() {
                ErrorKind::CheckViolation | ErrorKind::NotNullViolation => {
                    StoreError::Invalid(format!("refused by the database: {}", db.message()))
                }
                ErrorKind::UniqueViolation => StoreError::Conflict(db.message().to_owned()),
                _ => StoreError::Database(sqlx::Error::Database(db)),
            },
            other => StoreError::Database(other),
        }
    }
}

impl From<rusqlite::Error> for StoreError {
    /// Classifies an SQLite error as [`From<sqlx::Error>`] does: a violated CHECK or NOT NULL
    /// constraint is [`StoreError::Invalid`], a unique violation [`StoreError::Conflict`].
    fn from(error: rusqlite::Error) -> Self {
        use rusqlite::ffi;
        if let rusqlite::Error::SqliteFailure(failure, message) = &error {
            let message = message.clone().unwrap_or_else(|| failure.to_string());
            match failure.extended_code {
                ffi::SQLITE_CONSTRAINT_CHECK | ffi::SQLITE_CONSTRAINT_NOTNULL => {
                    return StoreError::Invalid(format!("refused by the database: {message}"));
                }
                ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                    return StoreError::Conflict(message);
                }
                _ => {}
            }
        }
        StoreError::Sqlite(error)
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(error)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(error: serde_json::Error) -> Self {
        StoreError::Json(error)
    }
}
