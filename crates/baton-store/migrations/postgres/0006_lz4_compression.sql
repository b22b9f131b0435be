-- The large values intake writes (a delivery's raw body, an inquiry's text, an event's data)
-- are compressed with lz4 rather than PostgreSQL's default pglz when the server is built with
-- lz4: pglz cost a third of intake's throughput on the benchmark machine (`docs/BENCHMARKS.md`).
-- Values already stored keep their compression; a server without lz4 keeps pglz.

DO $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM pg_settings
        WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)
    ) THEN
        ALTER TABLE deliveries ALTER COLUMN body SET COMPRESSION lz4;
        ALTER TABLE deliveries ALTER COLUMN headers SET COMPRESSION lz4;
        ALTER TABLE inquiries ALTER COLUMN body SET COMPRESSION lz4;
        ALTER TABLE events ALTER COLUMN data SET COMPRESSION lz4;
    END IF;
END;
$$;
