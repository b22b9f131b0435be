-- Webhook deliveries as received (raw body and headers, for audit and re-processing), and the
-- lookup of inquiries by external reference across teams and sources.

CREATE TABLE deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    provider TEXT NOT NULL CHECK (provider <> ''),
    -- What makes a redelivery recognisable (`github:<X-GitHub-Delivery>`); NULL when the sender
    -- has none.
    key TEXT CHECK (key <> ''),
    -- NULL: no team watches what it came from (unrouted).
    team TEXT CHECK (team <> ''),
    kind TEXT NOT NULL CHECK (kind <> ''),
    headers JSONB NOT NULL,
    body BYTEA NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    outcome TEXT NOT NULL
);

-- A redelivery is recognised by its key: `INSERT … ON CONFLICT (key) DO NOTHING` decides, also
-- between concurrent writers in several processes (a concurrent insert of the same key waits
-- for the first to commit, then inserts nothing). NULL keys never collide.
CREATE UNIQUE INDEX deliveries_key ON deliveries (key);

-- `list_deliveries`, newest first; and the unrouted ones only (the query repeats
-- `team IS NULL`), which stay few however many routed deliveries pile up.
CREATE INDEX deliveries_received ON deliveries (received_at, id);
CREATE INDEX deliveries_unrouted ON deliveries (received_at, id) WHERE team IS NULL;

-- `find_inquiries_by_ref`: an external reference across teams and sources (`inquiries_dedup`
-- leads with the team, so it cannot serve this).
CREATE INDEX inquiries_external_ref ON inquiries (external_ref) WHERE external_ref IS NOT NULL;
