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


def expectations_dir() -> Path:
    return _project_or_bundled("expectations")


SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"
