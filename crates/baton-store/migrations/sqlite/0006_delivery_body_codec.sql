-- How a delivery's raw body is kept: as it came ('identity', every row before this migration)
-- or lz4-compressed ('lz4', see `sqlite::body_codec`). PostgreSQL compresses the same column
-- itself (TOAST); SQLite has no compression of its own, and the bodies, ~10 KB of JSON for a
-- GitHub delivery, were most of the bytes webhook intake wrote.
ALTER TABLE deliveries ADD COLUMN body_codec TEXT NOT NULL DEFAULT 'identity'
    CHECK (body_codec IN ('identity', 'lz4'));
