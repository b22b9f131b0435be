-- Inquiries with their time entries and notes, source checks, API tokens, and the inquiry an
-- event concerns. Labels and pauses are JSONB arrays; priorities, states and roles are TEXT
-- limited by CHECKs.

CREATE TABLE inquiries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team TEXT NOT NULL CHECK (team <> ''),
    source TEXT NOT NULL CHECK (source <> ''),
    external_ref TEXT CHECK (external_ref <> ''),
    link TEXT,
    title TEXT NOT NULL CHECK (title <> ''),
    body TEXT NOT NULL,
    reporter TEXT,
    labels JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(labels) = 'array'),
    severity TEXT,
    received_at TIMESTAMPTZ NOT NULL,
    area TEXT,
    priority TEXT CHECK (priority IN ('critical', 'high', 'medium', 'low')),
    suggested_priority TEXT CHECK (suggested_priority IN ('critical', 'high', 'medium', 'low')),
    suggestion_reason TEXT,
    state TEXT NOT NULL CHECK (state IN (
        'new', 'acknowledged', 'in_progress', 'waiting', 'resolved', 'escalated', 'routed'
    )),
    assignee TEXT NOT NULL CHECK (assignee <> ''),
    first_response_at TIMESTAMPTZ,
    first_response_due TIMESTAMPTZ,
    resolution_due TIMESTAMPTZ,
    resolved_at TIMESTAMPTZ,
    pauses JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(pauses) = 'array'),
    issue_url TEXT,
    logged_minutes BIGINT NOT NULL DEFAULT 0 CHECK (logged_minutes >= 0),
    should_escalate BOOLEAN NOT NULL DEFAULT FALSE,
    next_due TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL,
    version BIGINT NOT NULL CHECK (version >= 1)
);

-- A second arrival of the same thing is the same inquiry. NULL references never collide.
CREATE UNIQUE INDEX inquiries_dedup ON inquiries (team, source, external_ref);

-- The open queue: `list_queue` reads a team's open inquiries by `next_due NULLS LAST`, then
-- arrival, then id, which is exactly this index's order after the team. The index is partial:
-- it holds only open inquiries (the `state IN` list must match `State::OPEN` and the query's
-- text exactly, as literals, so that even a generic plan can use it), so it stays small however
-- many resolved inquiries pile up, and the query reads its first rows in order: no table scan,
-- no sort.
CREATE INDEX inquiries_queue ON inquiries (team, next_due NULLS LAST, received_at, id)
    WHERE state IN ('new', 'acknowledged', 'in_progress', 'waiting', 'routed');

-- `list_inquiries`, newest arrival first, by team or across teams.
CREATE INDEX inquiries_team_received ON inquiries (team, received_at, id);
CREATE INDEX inquiries_received ON inquiries (received_at, id);
-- `count_inquiries` reads this narrow index instead of the wide rows.
CREATE INDEX inquiries_team_state ON inquiries (team, state);

CREATE TABLE time_entries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    inquiry_id BIGINT NOT NULL REFERENCES inquiries (id),
    team TEXT NOT NULL CHECK (team <> ''),
    member TEXT NOT NULL CHECK (member <> ''),
    minutes BIGINT NOT NULL CHECK (minutes > 0 AND minutes <= 1440),
    note TEXT,
    at TIMESTAMPTZ NOT NULL
);

CREATE INDEX time_entries_inquiry_at ON time_entries (inquiry_id, at);
CREATE INDEX time_entries_team_at ON time_entries (team, at);
CREATE INDEX time_entries_member_at ON time_entries (member, at);

-- A note is on an inquiry, or a shift's "keep in mind" note for its hand-off (or both).
CREATE TABLE notes (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team TEXT NOT NULL CHECK (team <> ''),
    inquiry_id BIGINT REFERENCES inquiries (id),
    shift_start TIMESTAMPTZ,
    author TEXT NOT NULL CHECK (author <> ''),
    text TEXT NOT NULL CHECK (text <> ''),
    at TIMESTAMPTZ NOT NULL,
    CONSTRAINT notes_subject CHECK (inquiry_id IS NOT NULL OR shift_start IS NOT NULL)
);

CREATE INDEX notes_inquiry_at ON notes (inquiry_id, at) WHERE inquiry_id IS NOT NULL;
CREATE INDEX notes_team_shift_at ON notes (team, shift_start, at);

CREATE TABLE checks (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team TEXT NOT NULL CHECK (team <> ''),
    source TEXT NOT NULL CHECK (source <> ''),
    member TEXT NOT NULL CHECK (member <> ''),
    at TIMESTAMPTZ NOT NULL
);

CREATE INDEX checks_team_at ON checks (team, at);

-- Only a hash of each secret is kept.
CREATE TABLE api_tokens (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL CHECK (name <> ''),
    role TEXT NOT NULL CHECK (role IN ('viewer', 'member', 'admin')),
    token_hash TEXT NOT NULL UNIQUE CHECK (token_hash <> ''),
    created_by TEXT NOT NULL CHECK (created_by <> ''),
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

-- The inquiry an event concerns (NULL for events about anything else).
ALTER TABLE events ADD COLUMN inquiry_id BIGINT;
CREATE INDEX events_inquiry_id ON events (inquiry_id, id) WHERE inquiry_id IS NOT NULL;
