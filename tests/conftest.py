"""Shared test set-up: an isolated Prefect home, one Prefect test server for flow tests, and a
new store with a roster applied."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

# Before anything imports Prefect: never touch the developer's own Prefect home.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="socialaudit-prefect-"))
# Nor the developer's cache of the scoring first pass.
os.environ.setdefault("SOCIALAUDIT_CACHE", tempfile.mkdtemp(prefix="socialaudit-cache-"))


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One temporary Prefect server for every flow test (it costs ~10 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    import flows  # noqa: F401  (applies the project's Prefect settings)

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture
def rostered_db(
    tmp_path: Path,
) -> Iterator[Callable[[str], duckdb.DuckDBPyConnection]]:
    """Open a new store in tmp_path with the given roster CSV applied (as of 2025-01-01)."""
    from socialaudit import db
    from transforms.roster import read_roster
    from transforms.store import apply_roster

    opened: list[duckdb.DuckDBPyConnection] = []

    def open_with(roster_csv: str) -> duckdb.DuckDBPyConnection:
        connection = db.connect(tmp_path / "test.duckdb")
        roster = tmp_path / "roster.csv"
        roster.write_text(roster_csv)
        apply_roster(connection, read_roster(roster), date(2025, 1, 1))
        opened.append(connection)
        return connection

    yield open_with
    for connection in opened:
        connection.close()
