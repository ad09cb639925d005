"""Review decisions and the audit log: append-only, in their own database file.

The nightly run holds the main database's write lock for minutes; decisions go here instead,
through short-lived connections, so a reviewer is never refused. Nothing here is updated or
deleted through the product: the current status of a finding is its latest decision.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from socialaudit import db

STATUSES = ("open", "confirmed", "dismissed", "escalated", "resolved")

SCHEMA = """
CREATE TABLE IF NOT EXISTS reviews (
    finding_id VARCHAR NOT NULL,
    decision   VARCHAR NOT NULL,
    reviewer   VARCHAR NOT NULL,
    note       VARCHAR,
    decided_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_log (
    logged_at TIMESTAMP NOT NULL,
    actor   VARCHAR NOT NULL,
    action  VARCHAR NOT NULL,   -- e.g. review, view_person, purge
    subject VARCHAR NOT NULL,   -- a finding id or person id, never post text
    before  VARCHAR,
    after   VARCHAR,
    detail  JSON
);
"""


@contextmanager
def open_decisions(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived writable connection, waiting briefly if another process holds the file."""
    con = db.open_file(path, wait_seconds=10)
    try:
        con.execute(SCHEMA)
        yield con
    finally:
        con.close()


def record_decision(
    path: Path, finding_id: str, decision: str, reviewer: str, note: str | None = None
) -> None:
    """Append a decision and its audit entry in one transaction."""
    if decision not in STATUSES:
        raise ValueError(f"unknown decision {decision!r}; expected one of {', '.join(STATUSES)}")
    if decision == "dismissed" and not (note and note.strip()):
        raise ValueError("a dismissal needs a reason")
    now = datetime.now(UTC).replace(tzinfo=None)
    with open_decisions(path) as con:
        before = current_status(con, finding_id)
        con.execute("BEGIN TRANSACTION")
        con.execute(
            "INSERT INTO reviews VALUES (?, ?, ?, ?, ?)",
            [finding_id, decision, reviewer, note, now],
        )
        con.execute(
            "INSERT INTO audit_log VALUES (?, ?, 'review', ?, ?, ?, ?)",
            [now, reviewer, finding_id, before, decision, json.dumps({"note": bool(note)})],
        )
        con.execute("COMMIT")


def log_access(path: Path, actor: str, action: str, subject: str) -> None:
    """Record that someone looked at a person's posts (or similar), without any content."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with open_decisions(path) as con:
        con.execute(
            "INSERT INTO audit_log VALUES (?, ?, ?, ?, NULL, NULL, NULL)",
            [now, actor, action, subject],
        )


def current_status(con: duckdb.DuckDBPyConnection, finding_id: str) -> str:
    row = con.execute(
        "SELECT decision FROM reviews WHERE finding_id = ? ORDER BY decided_at DESC LIMIT 1",
        [finding_id],
    ).fetchone()
    return row[0] if row else "open"


def erase_reviews(
    path: Path, finding_ids: list[str], actor: str, person_id: str, counts: dict[str, int]
) -> int:
    """The one deletion the decisions file allows: a person's erasure removes the reviews of
    their findings (notes can describe them) and logs the erasure, with counts only."""
    now = datetime.now(UTC).replace(tzinfo=None)
    with open_decisions(path) as con:
        removed = 0
        con.execute("BEGIN TRANSACTION")
        if finding_ids:
            removed = int(
                con.execute(
                    "SELECT count(*) FROM reviews WHERE list_contains(?, finding_id)", [finding_ids]
                ).fetchone()[0]
            )
            con.execute("DELETE FROM reviews WHERE list_contains(?, finding_id)", [finding_ids])
        con.execute(
            "INSERT INTO audit_log VALUES (?, ?, 'erase_person', ?, NULL, NULL, ?)",
            [now, actor, person_id, json.dumps({**counts, "reviews": removed})],
        )
        con.execute("COMMIT")
    return removed
