-- Inquiries with their time entries and notes, source checks, API tokens, and the inquiry an
-- event concerns. Instants are INTEGER Unix epoch milliseconds (UTC), as in 0001; labels and
-- pauses are JSON arrays in TEXT; priorities, states and roles are TEXT limited by CHECKs.

CREATE TABLE inquiries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team TEXT NOT NULL CHECK (team <> ''),
    source TEXT NOT NULL CHECK (source <> ''),
    external_ref TEXT CHECK (external_ref <> ''),
    link TEXT,
    title TEXT NOT NULL CHECK (title <> ''),
    body TEXT NOT NULL,
    reporter TEXT,
    labels TEXT NOT NULL DEFAULT '[]'
        CHECK (json_valid(labels) AND json_type(labels) = 'array'),
    severity TEXT,
    received_at_ms INTEGER NOT NULL,
    area TEXT,
    priority TEXT CHECK (priority IN ('critical', 'high', 'medium', 'low')),
    suggested_priority TEXT CHECK (suggested_priority IN ('critical', 'high', 'medium', 'low')),
    suggestion_reason TEXT,
    state TEXT NOT NULL CHECK (state IN (
        'new', 'acknowledged', 'in_progress', 'waiting', 'resolved', 'escalated', 'routed'
    )),
    assignee TEXT NOT NULL CHECK (assignee <> ''),
    first_response_at_ms INTEGER,
    first_response_due_ms INTEGER,
    resolution_due_ms INTEGER,
    resolved_at_ms INTEGER,
    pauses TEXT NOT NULL DEFAULT '[]'
        CHECK (json_valid(pauses) AND json_type(pauses) = 'array'),
    issue_url TEXT,
    logged_minutes INTEGER NOT NULL DEFAULT 0 CHECK (logged_minutes >= 0),
    should_escalate INTEGER NOT NULL DEFAULT 0 CHECK (should_escalate IN (0, 1)),
    next_due_ms INTEGER,
    updated_at_ms INTEGER NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1)
) STRICT;

-- A second arrival of the same thing is the same inquiry. NULL references never collide.
CREATE UNIQUE INDEX inquiries_dedup ON inquiries (team, source, external_ref);

-- The open queue: `list_queue` reads a team's open inquiries by deadline, those without one
-- last. SQLite sorts NULL first in ascending order and an index on `next_due_ms` cannot serve
-- `NULLS LAST`, so the index (and the query, which must spell the expression identically) sorts
-- on `coalesce(next_due_ms, 9223372036854775807)`: no deadline sorts after every real one
-- (i64::MAX ms lies far beyond the last instant chrono can represent). The index is partial:
-- it holds only open inquiries (the `state IN` list must match `State::OPEN` and the query's
-- text exactly), so it stays small however many resolved inquiries pile up, and the query is a
-- range read of it in order: no table scan, no sort.
CREATE INDEX inquiries_queue ON inquiries (
    team, coalesce(next_due_ms, 9223372036854775807), received_at_ms, id
) WHERE state IN ('new', 'acknowledged', 'in_progress', 'waiting', 'routed');

-- `list_inquiries`, newest arrival first, by team or across teams.
CREATE INDEX inquiries_team_received ON inquiries (team, received_at_ms, id);
CREATE INDEX inquiries_received ON inquiries (received_at_ms, id);
-- `count_inquiries` reads this narrow index instead of the wide rows.
CREATE INDEX inquiries_team_state ON inquiries (team, state);

CREATE TABLE time_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    inquiry_id INTEGER NOT NULL REFERENCES inquiries (id),
    team TEXT NOT NULL CHECK (team <> ''),
    member TEXT NOT NULL CHECK (member <> ''),
    minutes INTEGER NOT NULL CHECK (minutes > 0 AND minutes <= 1440),
    note TEXT,
    at_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX time_entries_inquiry_at ON time_entries (inquiry_id, at_ms);
CREATE INDEX time_entries_team_at ON time_entries (team, at_ms);
CREATE INDEX time_entries_member_at ON time_entries (member, at_ms);

-- A note is on an inquiry, or a shift's "keep in mind" note for its hand-off (or both).
CREATE TABLE notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team TEXT NOT NULL CHECK (team <> ''),
    inquiry_id INTEGER REFERENCES inquiries (id),
    shift_start_ms INTEGER,
    author TEXT NOT NULL CHECK (author <> ''),
    text TEXT NOT NULL CHECK (text <> ''),
    at_ms INTEGER NOT NULL,
    CONSTRAINT notes_subject CHECK (inquiry_id IS NOT NULL OR shift_start_ms IS NOT NULL)
) STRICT;

CREATE INDEX notes_inquiry_at ON notes (inquiry_id, at_ms) WHERE inquiry_id IS NOT NULL;
CREATE INDEX notes_team_shift_at ON notes (team, shift_start_ms, at_ms);

CREATE TABLE checks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team TEXT NOT NULL CHECK (team <> ''),
    source TEXT NOT NULL CHECK (source <> ''),
    member TEXT NOT NULL CHECK (member <> ''),
    at_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX checks_team_at ON checks (team, at_ms);

-- Only a hash of each secret is kept.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL CHECK (name <> ''),
    role TEXT NOT NULL CHECK (role IN ('viewer', 'member', 'admin')),
    token_hash TEXT NOT NULL UNIQUE CHECK (token_hash <> ''),
    created_by TEXT NOT NULL CHECK (created_by <> ''),
    created_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER
) STRICT;

-- The inquiry an event concerns (NULL for events about anything else).
ALTER TABLE events ADD COLUMN inquiry_id INTEGER;
CREATE INDEX events_inquiry_id ON events (inquiry_id, id) WHERE inquiry_id IS NOT NULL;
