-- A counter that every change to overrides, swaps or time off increases, in the transaction of
-- the change. Webhook intake decides with the schedule records it holds in memory and names
-- the revision they were read at; a batch whose revision is no longer current applies nothing
-- of that delivery, which is decided again (see `Store::schedule_revision`).

CREATE TABLE schedule_revision (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    n BIGINT NOT NULL
);

INSERT INTO schedule_revision (only_row, n) VALUES (1, 1);

CREATE FUNCTION schedule_revise() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE schedule_revision SET n = n + 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER overrides_revise AFTER INSERT OR UPDATE OR DELETE ON overrides
FOR EACH STATEMENT EXECUTE FUNCTION schedule_revise();
CREATE TRIGGER swaps_revise AFTER INSERT OR UPDATE OR DELETE ON swaps
FOR EACH STATEMENT EXECUTE FUNCTION schedule_revise();
CREATE TRIGGER time_off_revise AFTER INSERT OR UPDATE OR DELETE ON time_off
FOR EACH STATEMENT EXECUTE FUNCTION schedule_revise();
