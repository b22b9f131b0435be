-- The inquiries table again, with the same columns, rows, ids and indexes, but with no
-- `IN (…)` list of three or more values in its CHECKs or in the open queue's partial index.
-- SQLite evaluates such a list by building a temporary B-tree of its values, and for a CHECK or
-- an index predicate it does so again for every row written: four of them for each inquiry
-- that webhook intake stored, about a tenth of its writer thread's time (docs/BENCHMARKS.md).
-- A chain of `=` comparisons, or `NOT IN` a list of two (which SQLite compares one by one),
-- allows the same values.
--
-- The store runs its migrations on a connection without foreign-key enforcement (as SQLite's
-- procedure for changing a table requires), then checks every foreign key before it opens.

CREATE TABLE inquiries_rebuilt (
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
    priority TEXT CHECK (
        priority = 'critical' OR priority = 'high' OR priority = 'medium' OR priority = 'low'
    ),
    suggested_priority TEXT CHECK (
        suggested_priority = 'critical' OR suggested_priority = 'high'
        OR suggested_priority = 'medium' OR suggested_priority = 'low'
    ),
    suggestion_reason TEXT,
    state TEXT NOT NULL CHECK (
        state = 'new' OR state = 'acknowledged' OR state = 'in_progress' OR state = 'waiting'
        OR state = 'resolved' OR state = 'escalated' OR state = 'routed'
    ),
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

INSERT INTO inquiries_rebuilt (
    id, team, source, external_ref, link, title, body, reporter, labels, severity,
    received_at_ms, area, priority, suggested_priority, suggestion_reason, state, assignee,
    first_response_at_ms, first_response_due_ms, resolution_due_ms, resolved_at_ms, pauses,
    issue_url, logged_minutes, should_escalate, next_due_ms, updated_at_ms, version
)
SELECT
    id, team, source, external_ref, link, title, body, reporter, labels, severity,
    received_at_ms, area, priority, suggested_priority, suggestion_reason, state, assignee,
    first_response_at_ms, first_response_due_ms, resolution_due_ms, resolved_at_ms, pauses,
    issue_url, logged_minutes, should_escalate, next_due_ms, updated_at_ms, version
FROM inquiries ORDER BY id;

-- AUTOINCREMENT never hands out an id again, not even that of a row since deleted: the new
-- table continues from the old one's counter, not from its largest id.
DELETE FROM sqlite_sequence WHERE name = 'inquiries_rebuilt';
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'inquiries_rebuilt', seq FROM sqlite_sequence WHERE name = 'inquiries';

DROP TABLE inquiries;
ALTER TABLE inquiries_rebuilt RENAME TO inquiries;

-- The indexes of 0002 and 0003, as they were but for the queue's predicate. The queue is
-- every state but the two closed ones (`State::OPEN`); `QUEUE_SQL` repeats this predicate
-- word for word, so that it can read this index.
CREATE UNIQUE INDEX inquiries_dedup ON inquiries (team, source, external_ref);
CREATE INDEX inquiries_queue ON inquiries (
    team, coalesce(next_due_ms, 9223372036854775807), received_at_ms, id
) WHERE state NOT IN ('resolved', 'escalated');
CREATE INDEX inquiries_team_received ON inquiries (team, received_at_ms, id);
CREATE INDEX inquiries_received ON inquiries (received_at_ms, id);
CREATE INDEX inquiries_team_state ON inquiries (team, state);
CREATE INDEX inquiries_external_ref ON inquiries (external_ref) WHERE external_ref IS NOT NULL;
