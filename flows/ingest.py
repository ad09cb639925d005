"""Ingest exports into the store, one transaction per export."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.publish import publish
from socialaudit import db
from socialaudit.locking import run_lock
from transforms.ingest import ingest_export
from transforms.parts import group_exports


@task(retries=2, retry_delay_seconds=5, timeout_seconds=3600, cache_policy=NO_CACHE)
def ingest_one(
    db_path: str, export: str | list[str], person_id: str | None = None
) -> dict[str, Any]:
    """Ingest one export (a path, or the paths of its parts); the result describes it without
    any post text."""
    parts = [export] if isinstance(export, str) else export
    con = db.connect(db_path)
    try:
        result = ingest_export(con, [Path(part) for part in parts], person_id)
    finally:
        con.close()
    summary = asdict(result)
    summary["changes"] = asdict(result.changes) if result.changes else None
    return summary


@flow(name="ingest", log_prints=False)
def ingest(db_path: str, exports: list[str], person_id: str | None = None) -> list[dict[str, Any]]:
    """Ingest each export in turn: a bad one is quarantined and the rest go on. Parts of one
    export given together (`…-part1.zip`, `…-part2.zip`) are ingested as that one export."""
    groups = group_exports([Path(export) for export in exports])
    with run_lock(Path(db_path)):
        results = [ingest_one(db_path, [str(p) for p in parts], person_id) for parts in groups]
        publish(db_path)
    return results
