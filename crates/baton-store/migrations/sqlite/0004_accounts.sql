-- People's accounts for the web pages, their browser sessions and one-time sign-in links.
-- Secrets are never stored: a password as its argon2 PHC string, a session cookie and a link as
-- the hex SHA-256 of their random secret. Instants are INTEGER Unix epoch milliseconds (UTC).

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- As typed; `email_key` (lower-cased by the store) makes it unique regardless of case.
    email TEXT NOT NULL CHECK (email <> ''),
    email_key TEXT NOT NULL UNIQUE CHECK (email_key <> ''),
    role TEXT NOT NULL CHECK (role IN ('viewer', 'member', 'admin')),
    -- NULL: the account signs in by one-time link only.
    password_hash TEXT CHECK (password_hash <> ''),
    created_by TEXT NOT NULL CHECK (created_by <> ''),
    created_at_ms INTEGER NOT NULL,
    disabled_at_ms INTEGER
) STRICT;

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE CHECK (token_hash <> ''),
    user_id INTEGER NOT NULL REFERENCES users (id),
    csrf TEXT NOT NULL CHECK (csrf <> ''),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL
) STRICT;

-- Ending a person's sessions (disabling the account), and dropping expired ones.
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at_ms);

CREATE TABLE login_links (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE CHECK (token_hash <> ''),
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_by TEXT NOT NULL CHECK (created_by <> ''),
    created_at_ms INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL,
    -- Set when the link is redeemed; a link is redeemed once.
    used_at_ms INTEGER
) STRICT;

CREATE INDEX login_links_user ON login_links (user_id);
