"""Short-lived, read-only connections for the dashboard.

The nightly run holds the main database's write lock, and DuckDB lets no other process open a file
while a writer has it. So the dashboard never opens the main database: it reads the serving copy
the audit republishes after each commit, plus the decisions file (read-only) for each finding's
review status, and closes both after every page run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from socialaudit import db, decisions
from socialaudit.settings import decisions_db_path, default_db_path, serving_db_path


class NoDatabaseYet(Exception):
    """There is nothing to show until an audit has published its serving copy."""


@contextmanager
def read_connection(
    main_db: Path | None = None, retries: int = 50
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The serving copy as the default catalog and the decisions file as `decisions`, both
    read-only. Without a decisions file yet, `decisions` is an empty in-memory stand-in, so
    queries need not care whether anyone has reviewed anything."""
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
        decisions_file = decisions_db_path(main_db)
        if decisions_file.exists():
            _attach_read_only(con, decisions_file, "decisions", retries)
        else:
            con.execute("ATTACH ':memory:' AS decisions")
            con.execute("USE decisions")
            con.execute(decisions.SCHEMA)
            con.execute("USE serving")
        yield con
    finally:
        con.close()


def _attach_read_only(
    con: duckdb.DuckDBPyConnection, path: Path, alias: str, retries: int
) -> None:
    """Attach a file read-only, waiting briefly while another process writes to it."""
    literal = str(path).replace("'", "''")
    for attempt in range(retries):
        try:
            con.execute(f"ATTACH '{literal}' AS {alias} (READ_ONLY)")
            return
        except duckdb.IOException:
            if attempt == retries - 1:
                raise
            time.sleep(0.1)
