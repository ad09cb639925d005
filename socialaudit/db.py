"""The DuckDB store: one file, schema kept current by numbered SQL migrations.

Every connection goes through `open_file()`, which restricts the file to its owner (posts can hold
patient details) and, when a key is configured, opens it with DuckDB's built-in encryption.
DuckDB writes encrypted files only with its httpfs extension (OpenSSL) loaded; offline, that
extension comes from the `duckdb-ext-httpfs` package pinned to our DuckDB version, and is loaded
from its path with signature checks on. There is no unencrypted fallback once a key is set.
"""

from __future__ import annotations

import os
import time
from importlib import resources
from pathlib import Path

import duckdb

from socialaudit.settings import encryption_key

MIGRATIONS_PACKAGE = "socialaudit.migrations"
STORE_ALIAS = "store"


class DatabaseBusy(Exception):
    """Another process holds the database; the message says what to do."""


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
    """Open the main database, creating and migrating it unless read-only."""
    con = open_file(Path(path), read_only)
    if not read_only:
        migrate(con)
    return con


def open_file(
    path: Path, read_only: bool = False, wait_seconds: float | None = None
) -> duckdb.DuckDBPyConnection:
    """Open any of our database files (main, serving copy, decisions), encrypted when a key is
    configured. While another process holds the file, wait up to `wait_seconds`
    (SOCIALAUDIT_LOCK_WAIT, default 30) and then stop with a clear message."""
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    wait = (
        float(os.environ.get("SOCIALAUDIT_LOCK_WAIT", 30)) if wait_seconds is None else wait_seconds
    )
    deadline = time.monotonic() + wait
    while True:
        try:
            con = _open(path, read_only)
            break
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            if time.monotonic() >= deadline:
                raise DatabaseBusy(
                    f"{path.name} is in use by another socialaudit process; wait for it to "
                    f"finish and run again ({error})"
                ) from None
            time.sleep(0.2)
    if not read_only:
        restrict_to_owner(path)
    return con


def _open(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    key = encryption_key(path)
    if key is None:
        return duckdb.connect(str(path), read_only=read_only, config=safe_config())
    con = duckdb.connect(":memory:", config=safe_config())
    try:
        load_crypto(con)
        attach(con, path, STORE_ALIAS, read_only)
        con.execute(f"USE {STORE_ALIAS}")
    except BaseException:
        con.close()
        raise
    return con


def attach(con: duckdb.DuckDBPyConnection, path: Path, alias: str, read_only: bool) -> None:
    """ATTACH one of our files to an open connection, with the key when one is configured."""
    options = ["READ_ONLY"] if read_only else []
    key = encryption_key(path)
    if key is not None:
        load_crypto(con)
        options.append(f"ENCRYPTION_KEY {_literal(key)}")
    suffix = f" ({', '.join(options)})" if options else ""
    con.execute(f"ATTACH {_literal(str(path))} AS {alias}{suffix}")


def load_crypto(con: duckdb.DuckDBPyConnection) -> None:
    """Load the httpfs extension shipped by duckdb-ext-httpfs for this exact DuckDB version."""
    con.execute(f"LOAD {_literal(str(httpfs_extension()))}")


def httpfs_extension() -> Path:
    import duckdb_ext  # the package that ships the official, signed extension binaries

    root = Path(next(iter(duckdb_ext.__path__))) / "extensions" / f"v{duckdb.__version__}"
    found = sorted(root.glob("*/httpfs.duckdb_extension"))
    if not found:
        raise RuntimeError(
            f"no httpfs extension for DuckDB {duckdb.__version__} in duckdb-ext-httpfs: "
            "encryption at rest is unavailable, so the encrypted database is not opened"
        )
    return found[0]


def safe_config() -> dict[str, str | bool]:
    # Never reach for the network to fetch extensions.
    return {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def restrict_to_owner(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        if candidate.exists():
            os.chmod(candidate, 0o600)


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
