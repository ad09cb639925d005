-- 003: posts without a primary key. DuckDB builds the key's index for every row a transaction
-- inserts, in memory, where it cannot spill, so an archive's merge grew with the archive. Each
-- (platform, post_id) stays unique because one process writes at a time (socialaudit.locking)
-- and posts are only added by ArchiveWriter.finish, which inserts an archive's distinct posts
-- that are not stored yet. DuckDB cannot drop a constraint in place: rebuild the table.

CREATE TABLE posts_keyless (
    platform       VARCHAR NOT NULL,
    post_id        VARCHAR NOT NULL,
    person_id      VARCHAR,
    created_at     TIMESTAMP NOT NULL,
    kind           VARCHAR NOT NULL,   -- post | reply | quote | comment
    text           VARCHAR NOT NULL,
    text_sha256    VARCHAR NOT NULL,   -- lets re-ingestion detect edits without comparing text
    visibility     VARCHAR,            -- public | unlisted | followers | direct | NULL when unknown
    url            VARCHAR,
    in_reply_to    VARCHAR,
    like_count     INTEGER,
    repost_count   INTEGER,
    archive_sha256 VARCHAR NOT NULL,
    first_seen_at  TIMESTAMP NOT NULL,
    present        BOOLEAN NOT NULL,   -- false once a newer export of the account no longer has it
    text_purged_at TIMESTAMP           -- 002: when retention removed the text
);

INSERT INTO posts_keyless SELECT * FROM posts;
DROP TABLE posts;
ALTER TABLE posts_keyless RENAME TO posts;
