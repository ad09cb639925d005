-- 001: the first schema. Timestamps are UTC, stored as TIMESTAMP without zone.

CREATE TABLE teams (
    team_id   VARCHAR PRIMARY KEY,     -- a path such as 'acute/ward-7'
    name      VARCHAR NOT NULL,
    parent_id VARCHAR                  -- the enclosing team, NULL at the top
);

CREATE TABLE people (
    person_id    VARCHAR PRIMARY KEY,
    display_name VARCHAR NOT NULL,
    role         VARCHAR,              -- job role, e.g. 'paramedic'
    regulator    VARCHAR               -- profile used to cite standards: hcpc, nmc, gmc
);

-- Team membership has dates, so a finding counts for the team the person was in when they posted.
CREATE TABLE team_memberships (
    person_id  VARCHAR NOT NULL,
    team_id    VARCHAR NOT NULL,
    valid_from DATE NOT NULL,
    valid_to   DATE,                   -- exclusive; NULL while current
    PRIMARY KEY (person_id, team_id, valid_from)
);

CREATE TABLE accounts (
    platform  VARCHAR NOT NULL,
    handle    VARCHAR NOT NULL,        -- lower-case, without '@'
    person_id VARCHAR NOT NULL,
    PRIMARY KEY (platform, handle)
);

CREATE TABLE archives (
    sha256         VARCHAR PRIMARY KEY,
    file_name      VARCHAR NOT NULL,
    platform       VARCHAR,
    layout         VARCHAR,
    person_id      VARCHAR,
    account_handle VARCHAR,
    status         VARCHAR NOT NULL,   -- ingested | quarantined | failed
    reason         VARCHAR,
    records_read   INTEGER,
    posts_stored   INTEGER,
    coverage       JSON,               -- files recognised/ignored, skips by reason, unknown keys
    validation     JSON,               -- failed expectations, when any
    ingested_at    TIMESTAMP NOT NULL
);

CREATE TABLE posts (
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
    PRIMARY KEY (platform, post_id)
);

-- Which posts have been scored under which rulebook version: scoring is incremental.
CREATE TABLE scored_posts (
    platform         VARCHAR NOT NULL,
    post_id          VARCHAR NOT NULL,
    rulebook_version VARCHAR NOT NULL,
    text_sha256      VARCHAR NOT NULL,
    scored_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (platform, post_id, rulebook_version)
);

CREATE TABLE findings (
    finding_id       VARCHAR PRIMARY KEY, -- fingerprint of platform, post, rule and matched text
    platform         VARCHAR NOT NULL,
    post_id          VARCHAR NOT NULL,
    person_id        VARCHAR,
    rule_id          VARCHAR NOT NULL,
    rulebook_version VARCHAR NOT NULL,    -- the latest version that produced this finding
    category         VARCHAR NOT NULL,
    severity         VARCHAR NOT NULL,
    confidence       DOUBLE NOT NULL,
    start_char       INTEGER NOT NULL,    -- first matched span; every span is in spans
    end_char         INTEGER NOT NULL,
    spans            JSON NOT NULL,       -- [[start, end], ...]
    excerpt          VARCHAR NOT NULL,
    message          VARCHAR NOT NULL,
    guidance         VARCHAR,
    standard         VARCHAR NOT NULL,    -- e.g. 'HCPC SCPE 2024 5.1'
    post_created_at  TIMESTAMP NOT NULL,
    active           BOOLEAN NOT NULL,    -- false once a newer rulebook or text no longer produces it
    first_seen_at    TIMESTAMP NOT NULL,
    retired_at       TIMESTAMP
);

CREATE TABLE runs (
    run_id     VARCHAR PRIMARY KEY,
    flow       VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL,
    ended_at   TIMESTAMP,
    status     VARCHAR NOT NULL,          -- running | completed | failed
    counts     JSON
);
