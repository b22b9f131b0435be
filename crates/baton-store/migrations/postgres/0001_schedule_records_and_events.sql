-- Overrides, swaps, time off and the append-only event log.

CREATE TABLE overrides (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team TEXT NOT NULL CHECK (team <> ''),
    member TEXT NOT NULL CHECK (member <> ''),
    starts_at TIMESTAMPTZ NOT NULL,
    ends_at TIMESTAMPTZ NOT NULL,
    reason TEXT,
    created_by TEXT NOT NULL CHECK (created_by <> ''),
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT overrides_range CHECK (ends_at > starts_at)
);

CREATE INDEX overrides_team_start ON overrides (team, starts_at);

CREATE TABLE swaps (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team TEXT NOT NULL CHECK (team <> ''),
    first_at TIMESTAMPTZ NOT NULL,
    second_at TIMESTAMPTZ NOT NULL,
    reason TEXT,
    created_by TEXT NOT NULL CHECK (created_by <> ''),
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT swaps_distinct CHECK (first_at <> second_at)
);

CREATE INDEX swaps_team_first ON swaps (team, first_at);

CREATE TABLE time_off (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    member TEXT NOT NULL CHECK (member <> ''),
    starts_at TIMESTAMPTZ NOT NULL,
    ends_at TIMESTAMPTZ NOT NULL,
    reason TEXT,
    created_by TEXT NOT NULL CHECK (created_by <> ''),
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT time_off_range CHECK (ends_at > starts_at)
);

CREATE INDEX time_off_member_start ON time_off (member, starts_at);
CREATE INDEX time_off_start ON time_off (starts_at);

CREATE TABLE events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team TEXT,
    actor TEXT NOT NULL CHECK (actor <> ''),
    kind TEXT NOT NULL CHECK (kind <> ''),
    occurred_at TIMESTAMPTZ NOT NULL,
    data JSONB NOT NULL
);

CREATE INDEX events_team_id ON events (team, id);

CREATE FUNCTION events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only';
END;
$$;

CREATE TRIGGER events_no_update_or_delete BEFORE UPDATE OR DELETE ON events
FOR EACH ROW EXECUTE FUNCTION events_append_only();

CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
