"""Every write to the DuckDB store, each unit of work in one transaction.

An archive's posts and its archive row commit together; a scoring chunk's findings and its
scored_posts marks commit together. A crash at any point leaves either all of a unit or none.
"""

from __future__ import annotations

import glob
import json
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from transforms.roster import Roster


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


# -- roster ---------------------------------------------------------------------------------------


def apply_roster(con: duckdb.DuckDBPyConnection, roster: Roster, today: date) -> None:
    """Upsert people, teams and handles. A roster with full history replaces each person's
    memberships; otherwise a person who changed team gets a new membership from `team_since`
    (or today) and the old one is closed, so history keeps its team."""
    with transaction(con):
        con.register("roster_teams", roster.teams)
        con.register("roster_people", roster.people)
        con.register("roster_accounts", roster.accounts)
        con.execute("""
            INSERT INTO teams SELECT team_id, name, parent_id FROM roster_teams
            ON CONFLICT (team_id) DO UPDATE SET name = excluded.name, parent_id = excluded.parent_id
        """)
        con.execute("""
            INSERT INTO people SELECT person_id, display_name, role, regulator FROM roster_people
            ON CONFLICT (person_id) DO UPDATE SET display_name = excluded.display_name,
                role = excluded.role, regulator = excluded.regulator
        """)
        con.execute("""
            DELETE FROM accounts WHERE person_id IN (SELECT person_id FROM roster_people)
               OR (platform, handle) IN (SELECT platform, handle FROM roster_accounts)
        """)
        con.execute("INSERT INTO accounts SELECT platform, handle, person_id FROM roster_accounts")
        if roster.full_history:
            con.register("roster_memberships", roster.memberships)
            con.execute("""DELETE FROM team_memberships
                           WHERE person_id IN (SELECT person_id FROM roster_people)""")
            con.execute("INSERT INTO team_memberships SELECT * FROM roster_memberships")
            con.unregister("roster_memberships")
        else:
            for spell in roster.memberships.iter_rows(named=True):
                _move_if_needed(
                    con, spell["person_id"], spell["team_id"], spell["valid_from"], today
                )
        for name in ("roster_teams", "roster_people", "roster_accounts"):
            con.unregister(name)


def _move_if_needed(
    con: duckdb.DuckDBPyConnection, person_id: str, team_id: str, since: date, today: date
) -> None:
    current = con.execute(
        "SELECT team_id, valid_from FROM team_memberships WHERE person_id = ? AND valid_to IS NULL",
        [person_id],
    ).fetchone()
    if current and current[0] == team_id:
        return
    start = since
    if current:
        start = since if since > current[1] else today
        con.execute(
            "UPDATE team_memberships SET valid_to = ? WHERE person_id = ? AND valid_to IS NULL",
            [start, person_id],
        )
    con.execute("INSERT INTO team_memberships VALUES (?, ?, ?, NULL)", [person_id, team_id, start])


def person_for_account(con: duckdb.DuckDBPyConnection, platform: str, handle: str) -> str | None:
    row = con.execute(
        "SELECT person_id FROM accounts WHERE platform = ? AND handle = ?", [platform, handle]
    ).fetchone()
    return row[0] if row else None


def person_exists(con: duckdb.DuckDBPyConnection, person_id: str) -> bool:
    return bool(con.execute("SELECT 1 FROM people WHERE person_id = ?", [person_id]).fetchone())


# -- archives and posts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveMeta:
    sha256: str
    file_name: str
    platform: str | None
    layout: str | None
    person_id: str | None
    account_handle: str | None


def archive_status(con: duckdb.DuckDBPyConnection, sha256: str) -> str | None:
    row = con.execute("SELECT status FROM archives WHERE sha256 = ?", [sha256]).fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class PostChanges:
    added: int
    edited: int
    unchanged: int
    gone: int  # stored posts of this account that the newer export no longer holds


class ArchiveWriter:
    """One archive's posts, staged batch by batch outside the database, merged in ONE transaction.

    Each batch is written as a Parquet file to a private folder beside the database (encrypted
    with a key held only in memory when the store is encrypted), so neither this process nor
    DuckDB holds the archive while it is parsed. `finish` merges the staged posts into posts with
    one `INSERT ... SELECT` from the files, records the archive and commits. Leaving the `with`
    block without `finish` (a batch failing its expectations, a parser error, a crash) deletes
    the files and rolls back: an archive is stored whole or not at all. A folder left by a killed
    process is deleted by the next writer (only one process can hold the database).

        with ArchiveWriter(con, meta) as writer:
            for batch in batches:
                writer.add(batch)
            changes = writer.finish(coverage, validation)
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, meta: ArchiveMeta) -> None:
        self._con = con
        self._meta = meta
        self._open = False
        self._folder: Path | None = None
        self._columns: list[str] = []
        self._encryption = ""  # the Parquet key's configuration when the store is encrypted
        self._source = ""
        self._by_platform: dict[str, int] | None = None
        self.rows_added = 0  # every row given to `add`, repeats across batches included

    def __enter__(self) -> ArchiveWriter:
        path, encrypted = self._con.execute(
            """SELECT path, encrypted FROM duckdb_databases()
               WHERE database_name = current_database()"""
        ).fetchone()
        self._folder = _staging_folder(Path(path) if path else None)
        if encrypted:  # posts never reach the disk in clear from an encrypted store
            self._con.execute(
                f"PRAGMA add_parquet_key('{_STAGING_KEY}', '{secrets.token_hex(16)}')"
            )
            self._encryption = f"{{footer_key: '{_STAGING_KEY}'}}"
        # An empty first file gives the staged columns (the table's order) and a source that
        # exists even when no batch comes.
        self._copy(
            """SELECT * EXCLUDE (archive_sha256, first_seen_at, present, text_purged_at),
                      0::BIGINT AS seq
               FROM posts LIMIT 0""",
            "batch-000000.parquet",
        )
        options = f", encryption_config = {self._encryption}" if encrypted else ""
        self._source = f"read_parquet({_quoted(self._folder / 'batch-*.parquet')}{options})"
        self._columns = [c[0] for c in self._con.execute(f"FROM {self._source}").description]
        return self

    def add(self, batch: pl.DataFrame) -> None:
        """Stage a batch of distinct posts, numbered in arrival order."""
        first = self.rows_added
        seq = pl.int_range(first, first + batch.height, dtype=pl.Int64).alias("seq")
        staged_batch = batch.with_columns(seq).select(self._columns).to_arrow()  # noqa: F841
        # DuckDB finds the local `staged_batch` by name in this frame: a registered frame would
        # stay in memory until the connection closes (DuckDB 1.4).
        self._con.execute(self._copy_sql("FROM staged_batch", f"batch-{first + 1:012d}.parquet"))
        self.rows_added += batch.height
        self._by_platform = None

    def distinct_posts(self) -> int:
        """Posts staged, a post sent in two batches counted once."""
        return sum(self.stored_by_platform().values())

    def stored_by_platform(self) -> dict[str, int]:
        """Distinct posts staged, per platform (an export can hold two); counted once, when
        every batch is staged."""
        if self._by_platform is None:
            counts: dict[str, int] = {}
            for part in self._parts():
                rows = self._con.execute(
                    f"""SELECT platform, count(*) FROM (
                            SELECT platform FROM {self._source} WHERE {part}
                            GROUP BY platform, post_id)
                        GROUP BY platform"""
                ).fetchall()
                for platform, count in rows:
                    counts[platform] = counts.get(platform, 0) + int(count)
            self._by_platform = counts
        return self._by_platform

    def _parts(self) -> list[str]:
        """Conditions splitting the staged posts by a hash of (platform, post_id) into parts of
        at most about ROWS_PER_PART rows, every copy of a post in the same part. DuckDB's
        grouping by a string key needs memory in proportion to the groups (under its cap it
        fails rather than spill them all), so a large archive is grouped part by part."""
        parts = -(-self.rows_added // ROWS_PER_PART)
        if parts <= 1:
            return ["true"]
        return [f"hash(platform, post_id) % {parts} = {part}" for part in range(parts)]

    def finish(self, coverage: dict[str, Any], validation: dict[str, Any]) -> PostChanges:
        """Add new posts, update edited ones, mark vanished ones, record the archive, commit."""
        con, meta, now = self._con, self._meta, utc_now()
        staged = self.distinct_posts()
        if staged < self.rows_added:  # the later version of a repeated post wins
            for number, part in enumerate(self._parts()):
                self._copy(
                    f"""FROM {self._source} WHERE {part} QUALIFY
                        row_number() OVER (PARTITION BY platform, post_id ORDER BY seq DESC) = 1""",
                    f"latest-{number:06d}.parquet",
                )
            self._source = self._source.replace(
                _quoted(self._folder / "batch-*.parquet"),
                _quoted(self._folder / "latest-*.parquet"),
            )
        b = self._source
        con.execute("BEGIN TRANSACTION")
        self._open = True
        edited = _count(
            con,
            f"""SELECT count(*) FROM {b} b JOIN posts p USING (platform, post_id)
                WHERE p.text_sha256 <> b.text_sha256""",
        )
        con.execute(
            f"""UPDATE posts SET text = b.text, text_sha256 = b.text_sha256, kind = b.kind,
                   visibility = b.visibility, like_count = b.like_count,
                   repost_count = b.repost_count, archive_sha256 = ?, present = true
               FROM {b} b
               WHERE posts.platform = b.platform AND posts.post_id = b.post_id
                 AND (posts.text_sha256 <> b.text_sha256 OR NOT posts.present)""",
            [meta.sha256],
        )
        gone = 0
        # An export missing some of its parts says nothing about the posts those parts hold.
        complete = not (coverage.get("parts") or {}).get("missing")
        if meta.person_id is not None and staged and complete:
            sql, params = _vanished(meta.person_id, b)
            gone = _count(
                con,
                f"UPDATE posts SET present = false WHERE (platform, post_id) IN ({sql})",
                params,
            )
        # New posts go in last: the statements before need not look at them, and the index
        # entries of a large insert are what the merge's memory is spent on.
        added = _count(
            con,
            f"""INSERT INTO posts
               SELECT b.platform, b.post_id, b.person_id, b.created_at, b.kind, b.text,
                      b.text_sha256, b.visibility, b.url, b.in_reply_to, b.like_count,
                      b.repost_count, ?, ?, true, NULL
               FROM {b} b ANTI JOIN posts p USING (platform, post_id)""",
            [meta.sha256, now],
        )
        _insert_archive(con, meta, "ingested", None, coverage, validation, now)
        con.execute("COMMIT")
        self._open = False
        return PostChanges(added, edited, staged - added - edited, gone)

    def __exit__(self, *exc: object) -> None:
        try:
            if self._open:
                self._con.execute("ROLLBACK")
                self._open = False
        finally:
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None

    def _copy(self, query: str, file_name: str) -> None:
        self._con.execute(self._copy_sql(query, file_name))

    def _copy_sql(self, query: str, file_name: str) -> str:
        """The statement writing the query's rows to one file of the staging folder."""
        assert self._folder is not None
        options = f", ENCRYPTION_CONFIG {self._encryption}" if self._encryption else ""
        return f"COPY ({query}) TO {_quoted(self._folder / file_name)} (FORMAT parquet{options})"


# Staged rows grouped at once when counting and deduplicating; see ArchiveWriter._parts.
ROWS_PER_PART = 250_000
_STAGING_KEY = "archive_staging"
_STAGING_PREFIX = ".staging-"


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _staging_folder(database: Path | None) -> Path:
    """A new private folder beside the database (its disk, its permissions); folders another
    writer of this database left behind are deleted first: it was killed while staging."""
    parent = database.parent if database else Path(tempfile.gettempdir())
    prefix = f".{database.name}{_STAGING_PREFIX}" if database else f"socialaudit{_STAGING_PREFIX}"
    if database is not None:
        for stale in parent.glob(f"{glob.escape(prefix)}*"):
            shutil.rmtree(stale, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))  # mode 0700


def _vanished(person_id: str, staged: str) -> tuple[str, list[Any]]:
    """Stored posts of the person on the archive's platforms, within the archive's time span,
    that the archive no longer holds: the person deleted them."""
    sql = f"""SELECT platform, post_id FROM posts p
              WHERE p.person_id = ? AND p.present
                AND p.platform IN (SELECT DISTINCT platform FROM {staged})
                AND p.created_at <= (SELECT max(created_at) FROM {staged})
                AND NOT EXISTS (SELECT 1 FROM {staged} b
                                WHERE b.platform = p.platform AND b.post_id = p.post_id)"""
    return sql, [person_id]


def store_rejected_archive(
    con: duckdb.DuckDBPyConnection,
    meta: ArchiveMeta,
    status: str,
    reason: str,
    coverage: dict[str, Any] | None = None,
    validation: dict[str, Any] | None = None,
) -> None:
    """Record a quarantined or failed archive; none of its posts are stored."""
    with transaction(con):
        con.execute("DELETE FROM archives WHERE sha256 = ? AND status <> 'ingested'", [meta.sha256])
        _insert_archive(con, meta, status, reason, coverage or {}, validation or {}, utc_now())


def _insert_archive(
    con: duckdb.DuckDBPyConnection,
    meta: ArchiveMeta,
    status: str,
    reason: str | None,
    coverage: dict[str, Any],
    validation: dict[str, Any],
    now: datetime,
) -> None:
    con.execute(
        "INSERT INTO archives VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            meta.sha256,
            meta.file_name,
            meta.platform,
            meta.layout,
            meta.person_id,
            meta.account_handle,
            status,
            reason,
            coverage.get("records_read"),
            coverage.get("records_stored"),
            json.dumps(coverage),
            json.dumps(validation),
            now,
        ],
    )


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> int:
    return int(con.execute(sql, params or []).fetchone()[0])


# -- scoring --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreChanges:
    posts: int
    added: int  # findings never seen before
    retired: int  # findings the current rulebook or text no longer produces


def store_scored_chunk(
    con: duckdb.DuckDBPyConnection, posts: pl.DataFrame, findings: pl.DataFrame, version: str
) -> ScoreChanges:
    """Replace the active findings of these posts with the new ones and mark them scored."""
    now = utc_now()
    with transaction(con):
        con.register("chunk_posts", posts.select("platform", "post_id", "text_sha256"))
        con.register("chunk_findings", findings)
        added = _count(
            con, "SELECT count(*) FROM chunk_findings n ANTI JOIN findings f USING (finding_id)"
        )
        retired = _count(
            con,
            """SELECT count(*) FROM findings f
            WHERE f.active
              AND (f.platform, f.post_id) IN (SELECT platform, post_id FROM chunk_posts)
              AND f.finding_id NOT IN (SELECT finding_id FROM chunk_findings)""",
        )
        con.execute(
            """UPDATE findings SET active = false, retired_at = ?
               WHERE active AND (platform, post_id) IN (SELECT platform, post_id FROM chunk_posts)
                 AND finding_id NOT IN (SELECT finding_id FROM chunk_findings)""",
            [now],
        )
        con.execute(
            """INSERT INTO findings
               SELECT finding_id, platform, post_id, person_id, rule_id, ?, category, severity,
                      confidence, start_char, end_char, spans::JSON, excerpt, message, guidance,
                      standard, post_created_at, true, ?, NULL
               FROM chunk_findings
               ON CONFLICT (finding_id) DO UPDATE SET
                   rulebook_version = excluded.rulebook_version, severity = excluded.severity,
                   confidence = excluded.confidence, message = excluded.message,
                   guidance = excluded.guidance, standard = excluded.standard,
                   category = excluded.category, active = true, retired_at = NULL""",
            [version, now],
        )
        con.execute(
            """INSERT INTO scored_posts SELECT platform, post_id, ?, text_sha256, ? FROM chunk_posts
               ON CONFLICT DO UPDATE SET text_sha256 = excluded.text_sha256,
                                         scored_at = excluded.scored_at""",
            [version, now],
        )
        con.unregister("chunk_posts")
        con.unregister("chunk_findings")
    return ScoreChanges(posts.height, added, retired)


# -- runs -----------------------------------------------------------------------------------------


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, flow: str) -> None:
    con.execute(
        "INSERT INTO runs VALUES (?, ?, ?, NULL, 'running', NULL)", [run_id, flow, utc_now()]
    )


def finish_run(
    con: duckdb.DuckDBPyConnection, run_id: str, status: str, counts: dict[str, Any]
) -> None:
    con.execute(
        "UPDATE runs SET ended_at = ?, status = ?, counts = ? WHERE run_id = ?",
        [utc_now(), status, json.dumps(counts, default=str), run_id],
    )
