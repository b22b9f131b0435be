//! Database URLs: which backend serves one, and how to print one without its password.

use crate::StoreError;

/// The database engines baton can store its data in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Chooses the backend from the URL scheme.
    pub fn of(url: &str) -> Result<Backend, StoreError> {
        match url.split_once(':') {
            Some(("sqlite", _)) => Ok(Backend::Sqlite),
            Some(("postgres" | "postgresql", _)) => Ok(Backend::Postgres),
            Some((scheme, _)) => Err(StoreError::UnsupportedUrl {
                scheme: scheme.to_owned(),
            }),
            None => Err(StoreError::UnsupportedUrl {
                scheme: "(none)".to_owned(),
            }),
        }
    }
}

/// `url` with its database (the path) replaced by `database`, keeping its query parameters.
pub(crate) fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{database}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

const HIDDEN: &str = "***";

/// Returns `url` with any password replaced by `***`, for logs and error messages.
///
/// Hides the password of the user info (`postgres://user:secret@host/db`) and the value of any
/// query parameter whose name ends in `password` (`?password=secret`).
pub fn redact_url(url: &str) -> String {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((head, fragment)) => (head, Some(fragment)),
        None => (url, None),
    };
    let (before_query, query) = match before_fragment.split_once('?') {
        Some((head, query)) => (head, Some(query)),
        None => (before_fragment, None),
    };

    let mut out = redact_user_info(before_query);
    if let Some(query) = query {
        out.push('?');
        out.push_str(&redact_query(query));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// Hides the password in `scheme://user:password@host/path`.
fn redact_user_info(url: &str) -> String {
    let Some(authority_start) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[authority_start..];
    // The last `@` ends the user info. Searching past the first `/` also hides a password that
    // was not percent-encoded and contains `/`.
    let Some(at) = rest.rfind('@') else {
        return url.to_owned();
    };
    let user_info = &rest[..at];
    let Some(colon) = user_info.find(':') else {
        return url.to_owned();
    };
    format!(
        "{}{}:{HIDDEN}{}",
        &url[..authority_start],
        &user_info[..colon],
        &url[authority_start + at..]
    )
}

/// Hides the values of `…password=` query parameters.
fn redact_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.to_ascii_lowercase().ends_with("password") => {
                format!("{key}={HIDDEN}")
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_is_replaced_in_the_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgresql://u:p@h?sslmode=disable", "x"),
            "postgresql://u:p@h/x?sslmode=disable"
        );
    }

    #[test]
    fn backend_follows_the_scheme() {
        assert_eq!(Backend::of("sqlite://baton.db").ok(), Some(Backend::Sqlite));
        assert_eq!(Backend::of("sqlite::memory:").ok(), Some(Backend::Sqlite));
        assert_eq!(Backend::of("postgres://h/db").ok(), Some(Backend::Postgres));
        assert_eq!(
            Backend::of("postgresql://h/db").ok(),
            Some(Backend::Postgres)
        );
    }

    #[test]
    fn unknown_scheme_is_named_with_the_accepted_ones() {
        let message = Backend::of("mysql://u:pw@h/db").unwrap_err().to_string();
        assert!(message.contains("`mysql`"), "{message}");
        assert!(message.contains("sqlite://"), "{message}");
        assert!(message.contains("postgres://"), "{message}");
        assert!(!message.contains("pw"), "{message}");

        let message = Backend::of("baton.db").unwrap_err().to_string();
        assert!(message.contains("(none)"), "{message}");
    }

    #[test]
    fn password_in_user_info_is_hidden() {
        assert_eq!(
            redact_url("postgres://baton:s3cr%40t@db.example:5432/baton"),
            "postgres://baton:***@db.example:5432/baton"
        );
        assert_eq!(
            redact_url("postgresql://u:p@ss@h/db"),
            "postgresql://u:***@h/db"
        );
        assert_eq!(
            redact_url("postgres://u:pa/ss@h/db"),
            "postgres://u:***@h/db"
        );
    }

    #[test]
    fn password_in_query_is_hidden() {
        assert_eq!(
            redact_url("postgres://h/db?user=u&password=secret&sslmode=require"),
            "postgres://h/db?user=u&password=***&sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://h/db?sslpassword=x"),
            "postgres://h/db?sslpassword=***"
        );
    }

    #[test]
    fn urls_without_password_are_unchanged() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/test",
            "postgres://h/db",
            "sqlite:///var/lib/baton/baton.db",
            "sqlite://baton.db?mode=rwc",
            "sqlite::memory:",
            "not a url",
        ] {
            assert_eq!(redact_url(url), url);
        }
    }
}
