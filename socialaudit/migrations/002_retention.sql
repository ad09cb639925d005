-- 002: retention. Unflagged post text is purged after a configurable period; the row stays (its
-- id, date and text hash keep ingestion idempotent), the words go.
ALTER TABLE posts ADD COLUMN text_purged_at TIMESTAMP;
