-- A counter that every change to overrides, swaps or time off increases, in the transaction of
-- the change. Webhook intake decides with the schedule records it holds in memory and names
-- the revision they were read at; a batch whose revision is no longer current applies nothing
-- of that delivery, which is decided again (see `Store::schedule_revision`).

CREATE TABLE schedule_revision (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    n INTEGER NOT NULL
) STRICT;

INSERT INTO schedule_revision (only_row, n) VALUES (1, 1);

CREATE TRIGGER overrides_revise_insert AFTER INSERT ON overrides
BEGIN UPDATE schedule_revision SET n = n + 1; END;
CREATE TRIGGER overrides_revise_update AFTER UPDATE ON overrides
BEGIN UPDATE schedule_revision SET n = n + 1; END;
CREATE TRIGGER overrides_revise_delete AFTER DELETE ON overrides
BEGIN UPDATE schedule_revision SET n = n + 1; END;

CREATE TRIGGER swaps_revise_insert AFTER INSERT ON swaps
BEGIN UPDATE schedule_revision SET n = n + 1; END;
CREATE TRIGGER swaps_revise_update AFTER UPDATE ON swaps
BEGIN UPDATE schedule_revision SET n = n + 1; END;
CREATE TRIGGER swaps_revise_delete AFTER DELETE ON swaps
BEGIN UPDATE schedule_revision SET n = n + 1; END;

CREATE TRIGGER time_off_revise_insert AFTER INSERT ON time_off
BEGIN UPDATE schedule_revision SET n = n + 1; END;
CREATE TRIGGER time_off_revise_update AFTER UPDATE ON time_off
BEGIN UPDATE schedule_revision SET n = n + 1; END;
CREATE TRIGGER time_off_revise_delete AFTER DELETE ON time_off
BEGIN UPDATE schedule_revision SET n = n + 1; END;
