"""Short-lived, read-only connections for the dashboard.

The nightly run holds the main database's write lock, and DuckDB lets no other process open a file
while a writer has it. So the dashboard never opens the main database: it reads the serving copy
the audit republishes after each commit, and takes a snapshot of the decisions file's reviews for
each finding's status. Decisions are written only through `socialaudit.decisions`. A serving
copy published before it carried the dashboard's aggregates gets them built in memory, once per
connection, until the next publish.

DuckDB's file lock guards against other processes only, and every browser session is a thread of
one process, so a process-wide lock keeps a session's snapshot from reading the decisions file
while another session writes it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from socialaudit import db, decisions
from socialaudit.settings import decisions_db_path, default_db_path, serving_db_path
from transforms import aggregates

_DECISIONS_LOCK = threading.Lock()


class NoDatabaseYet(Exception):
    """There is nothing to show until an audit has published its serving copy."""


@contextmanager
def read_connection(
    main_db: Path | None = None, retries: int = 50
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The serving copy, read-only, as the default catalog, and `decisions.reviews`, an in-memory
    snapshot of every review so far (empty before the first), with `decisions.statuses`."""
    main_db = main_db or default_db_path()
    serving = serving_db_path(main_db)
    if not serving.exists():
        raise NoDatabaseYet(
            f"No audit database has been published at {serving} yet: run `socialaudit demo` "
            "first (or `socialaudit audit` for your organisation)."
        )
    con = duckdb.connect(":memory:", config=db.safe_config())
    try:
        _attach_read_only(con, serving, "serving", retries)
        con.execute("USE serving")
        if not aggregates.present(con):
            aggregates.build(con, temporary=True)
        _snapshot_reviews(con, decisions_db_path(main_db), retries)
        yield con
    finally:
        con.close()


def _snapshot_reviews(con: duckdb.DuckDBPyConnection, path: Path, retries: int) -> None:
    """`decisions.reviews`, and `decisions.statuses`: each reviewed finding's latest decision,
    worked out once here rather than in every query of the page run."""
    con.execute("ATTACH ':memory:' AS decisions")
    con.execute("USE decisions")
    con.execute(decisions.SCHEMA)
    con.execute("USE serving")
    if path.exists():
        with _DECISIONS_LOCK:
            _attach_read_only(con, path, "decisions_file", retries)
            con.execute(
                "INSERT INTO decisions.reviews BY NAME SELECT * FROM decisions_file.reviews"
            )
            con.execute("DETACH decisions_file")
    con.execute(
        "CREATE TABLE decisions.statuses AS SELECT finding_id, "
        "arg_max(decision, decided_at) AS status FROM decisions.reviews GROUP BY finding_id"
    )


def record_decision(
    finding_id: str, decision: str, reviewer: str, note: str | None, main_db: Path | None = None
) -> None:
    """`socialaudit.decisions.record_decision`, never while this process reads the file."""
    with _DECISIONS_LOCK:
        decisions.record_decision(
            decisions_db_path(main_db or default_db_path()), finding_id, decision, reviewer, note
        )


def log_access(actor: str, action: str, subject: str, main_db: Path | None = None) -> None:
    """`socialaudit.decisions.log_access`, never while this process reads the file."""
    with _DECISIONS_LOCK:
        decisions.log_access(
            decisions_db_path(main_db or default_db_path()), actor, action, subject
        )


def _attach_read_only(con: duckdb.DuckDBPyConnection, path: Path, alias: str, retries: int) -> None:
    """Attach a file read-only, waiting briefly while another process writes to it."""
    for attempt in range(retries):
        try:
            db.attach(con, path, alias, read_only=True)
            return
        except duckdb.IOException:
            if attempt == retries - 1:
                raise
            time.sleep(0.1)
