"""The DuckDB store: one file, schema kept current by numbered SQL migrations.

Every writer goes through `connect()`, which applies pending migrations in one transaction and
restricts the file to its owner (posts can hold patient details).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import duckdb

MIGRATIONS_PACKAGE = "socialaudit.migrations"


def _migrations() -> list[tuple[int, str]]:
    files = resources.files(MIGRATIONS_PACKAGE)
    found = []
    for entry in files.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            found.append((int(name[:3]), entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Apply every migration newer than the stored schema version; returns the new version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER PRIMARY KEY, applied_at TIMESTAMP)"
    )
    current = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
    for version, sql in _migrations():
        if version <= current:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO schema_version VALUES (?, now())", [version])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        current = version
    return current


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database, creating and migrating it unless read-only."""
    path = Path(path)
    if read_only:
        return duckdb.connect(str(path), read_only=True, config=safe_config())
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), config=safe_config())
    restrict_to_owner(path)
    migrate(con)
    return con


def safe_config() -> dict[str, str | bool]:
    # Never reach for the network to fetch extensions.
    return {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def restrict_to_owner(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        if candidate.exists():
            os.chmod(candidate, 0o600)
