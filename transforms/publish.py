"""Publish the read-only serving copy the dashboard reads.

DuckDB lets one process hold a database file for writing and no other process open it meanwhile,
so the dashboard never opens the main file: after each commit the audit copies it, whole and
checkpointed, adds the dashboard's pre-aggregated tables to the copy (`transforms.aggregates`),
and swaps it into place atomically.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from socialaudit import db
from socialaudit.settings import serving_db_path
from transforms import aggregates


def publish_serving_copy(db_path: Path) -> Path:
    """Copy the (closed) main database to its serving path; returns that path."""
    con = db.connect(db_path)
    con.execute("CHECKPOINT")
    con.close()
    target = serving_db_path(db_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(target.parent, 0o700)
    staging = target.with_name(target.name + ".publishing")
    shutil.copyfile(db_path, staging)
    os.chmod(staging, 0o600)
    # a write-ahead log left by an interrupted publish belongs to an older copy
    staging.with_name(staging.name + ".wal").unlink(missing_ok=True)
    con = db.open_file(staging)
    try:
        aggregates.build(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(staging, target)
    return target
