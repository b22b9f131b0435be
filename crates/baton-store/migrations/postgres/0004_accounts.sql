-- People's accounts for the web pages, their browser sessions and one-time sign-in links.
-- Secrets are never stored: a password as its argon2 PHC string, a session cookie and a link as
-- the hex SHA-256 of their random secret.

CREATE TABLE users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- As typed; `email_key` (lower-cased by the store) makes it unique regardless of case.
    email TEXT NOT NULL CHECK (email <> ''),
    email_key TEXT NOT NULL UNIQUE CHECK (email_key <> ''),
    role TEXT NOT NULL CHECK (role IN ('viewer', 'member', 'admin')),
    -- NULL: the account signs in by one-time link only.
    password_hash TEXT CHECK (password_hash <> ''),
    created_by TEXT NOT NULL CHECK (created_by <> ''),
    created_at TIMESTAMPTZ NOT NULL,
    disabled_at TIMESTAMPTZ
);

CREATE TABLE sessions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE CHECK (token_hash <> ''),
    user_id BIGINT NOT NULL REFERENCES users (id),
    csrf TEXT NOT NULL CHECK (csrf <> ''),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL
);

-- Ending a person's sessions (disabling the account), and dropping expired ones.
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE login_links (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE CHECK (token_hash <> ''),
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_by TEXT NOT NULL CHECK (created_by <> ''),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    -- Set when the link is redeemed; a link is redeemed once.
    used_at TIMESTAMPTZ
);

CREATE INDEX login_links_user ON login_links (user_id);
