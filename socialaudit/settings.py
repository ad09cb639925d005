"""Where things live. Every path can be overridden, so tests and organisations never share state."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_BUNDLED = Path(__file__).resolve().parent / "_bundled"


def _project_or_bundled(name: str) -> Path:
    """The repository's folder when running from a checkout, the wheel's copy when installed."""
    checkout = PROJECT_ROOT / name
    return checkout if checkout.is_dir() else _BUNDLED / name


def default_db_path() -> Path:
    return Path(os.environ.get("SOCIALAUDIT_DB", PROJECT_ROOT / "data" / "socialaudit.duckdb"))


def rules_dir() -> Path:
    return Path(os.environ.get("SOCIALAUDIT_RULES", _project_or_bundled("rules")))


def language_model() -> str | None:
    """An installed spaCy pipeline (package name or path) to add named entities, if wanted.

    Unset by default: the scorer needs nothing but what pip installs (`spacy.blank("en")`)."""
    return os.environ.get("SOCIALAUDIT_SPACY_MODEL") or None


def expectations_dir() -> Path:
    return _project_or_bundled("expectations")


SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"


def serving_db_path(db_path: Path) -> Path:
    """The read-only copy the dashboard reads; the audit republishes it after each commit, so the
    dashboard never holds the lock the nightly run needs."""
    return db_path.parent / "serving" / db_path.name


def decisions_db_path(db_path: Path) -> Path:
    """Review decisions and the audit log live in their own small file, which no run holds
    locked, so a decision made during a run is never refused."""
    return db_path.with_name(db_path.stem + "-decisions.duckdb")


def configure_prefect() -> None:
    """Prefect defaults for an offline, serverless run; anything already set wins."""
    defaults = {
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",  # no telemetry leaves the machine
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",  # 2 cores start slowly
        "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",  # task results may hold post text
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_UI_ENABLED": "false",
    }
    for name, value in defaults.items():
        os.environ.setdefault(name, value)


class UnsafeKeyStorage(Exception):
    """The encryption key is configured unsafely."""


def encryption_key(db_path: Path | None = None) -> str | None:
    """The database key from SOCIALAUDIT_DB_KEY or the file named by SOCIALAUDIT_DB_KEY_FILE.

    A key file beside the data it protects protects nothing, so one in the database's own folder
    is refused."""
    key = os.environ.get("SOCIALAUDIT_DB_KEY")
    key_file = os.environ.get("SOCIALAUDIT_DB_KEY_FILE")
    if key_file:
        file = Path(key_file).resolve()
        if db_path is not None and file.parent == Path(db_path).resolve().parent:
            raise UnsafeKeyStorage(f"the key file {file} must not be stored beside the database")
        key = file.read_text(encoding="utf-8").strip()
    return key or None


def cache_dir() -> Path:
    """Private data derived from the rulebook (transforms/scoring/index_cache.py)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "socialaudit"
    return Path(os.environ.get("SOCIALAUDIT_CACHE", base))
