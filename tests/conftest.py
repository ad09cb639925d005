"""Shared test set-up: an isolated Prefect home and, for flow tests, one Prefect test server."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

# Before anything imports Prefect: never touch the developer's own Prefect home.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="socialaudit-prefect-"))


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One temporary Prefect server for every flow test (it costs ~10 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    import flows  # noqa: F401  (applies the project's Prefect settings)

    with prefect_test_harness(server_startup_timeout=90):
        yield
