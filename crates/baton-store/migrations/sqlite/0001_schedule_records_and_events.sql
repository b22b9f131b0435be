-- Overrides, swaps, time off and the append-only event log.
-- Instants are INTEGER Unix epoch milliseconds (UTC), so range checks are integer comparisons.
-- AUTOINCREMENT keeps ids of removed records from being handed out again.

CREATE TABLE overrides (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team TEXT NOT NULL CHECK (team <> ''),
    member TEXT NOT NULL CHECK (member <> ''),
    starts_at_ms INTEGER NOT NULL,
    ends_at_ms INTEGER NOT NULL,
    reason TEXT,
    created_by TEXT NOT NULL CHECK (created_by <> ''),
    created_at_ms INTEGER NOT NULL,
    CONSTRAINT overrides_range CHECK (ends_at_ms > starts_at_ms)
) STRICT;

CREATE INDEX overrides_team_start ON overrides (team, starts_at_ms);

CREATE TABLE swaps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team TEXT NOT NULL CHECK (team <> ''),
    first_at_ms INTEGER NOT NULL,
    second_at_ms INTEGER NOT NULL,
    reason TEXT,
    created_by TEXT NOT NULL CHECK (created_by <> ''),
    created_at_ms INTEGER NOT NULL,
    CONSTRAINT swaps_distinct CHECK (first_at_ms <> second_at_ms)
) STRICT;

CREATE INDEX swaps_team_first ON swaps (team, first_at_ms);

CREATE TABLE time_off (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    member TEXT NOT NULL CHECK (member <> ''),
    starts_at_ms INTEGER NOT NULL,
    ends_at_ms INTEGER NOT NULL,
    reason TEXT,
    created_by TEXT NOT NULL CHECK (created_by <> ''),
    created_at_ms INTEGER NOT NULL,
    CONSTRAINT time_off_range CHECK (ends_at_ms > starts_at_ms)
) STRICT;

CREATE INDEX time_off_member_start ON time_off (member, starts_at_ms);
CREATE INDEX time_off_start ON time_off (starts_at_ms);

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team TEXT,
    actor TEXT NOT NULL CHECK (actor <> ''),
    kind TEXT NOT NULL CHECK (kind <> ''),
    occurred_at_ms INTEGER NOT NULL,
    data TEXT NOT NULL CHECK (json_valid(data))
) STRICT;

CREATE INDEX events_team_id ON events (team, id);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only');
END;
