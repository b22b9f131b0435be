//! `baton.toml`: the organisation's teams, members, rotations and sources.
//!
//! [`load`] reads the file and turns it into domain values from `baton-core`, or refuses it with
//! every problem found, each naming the file, line and field. Secrets never live in the file:
//! integration settings name environment variables.

mod error;
mod model;
mod raw;
mod validate;

pub use validate::parse_civil;

use std::path::{Path, PathBuf};

pub use error::{ConfigError, Problem};
pub use model::{
    Config, GithubConfig, Member, ReactionShortcut, ServerConfig, SlackConfig, Source, SourceKind,
    Team,
};

/// Reads and validates the configuration at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(&text, path)
}

/// Validates configuration `text` that was read from `path` (used in messages and to resolve a
/// relative SQLite database path against the file's folder).
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    validate::build(text, path).map_err(|problems| ConfigError::Invalid {
        path: PathBuf::from(path),
        problems,
    })
}
