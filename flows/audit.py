"""The nightly audit: roster, every export in the inbox, scoring, a summary, a serving copy."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.ingest import ingest_one
from flows.score import score
from socialaudit import db
from transforms import store
from transforms.inbox import find_exports
from transforms.publish import publish_serving_copy
from transforms.roster import read_roster
from transforms.summary import store_summary


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def import_roster(db_path: str, roster_path: str) -> int:
    roster = read_roster(Path(roster_path))
    con = db.connect(db_path)
    try:
        store.apply_roster(con, roster, date.today())
    finally:
        con.close()
    return roster.people.height


@task(cache_policy=NO_CACHE)
def record_run(db_path: str, run_id: str, status: str | None, counts: dict[str, Any]) -> None:
    con = db.connect(db_path)
    try:
        if status is None:
            store.start_run(con, run_id, "audit")
        else:
            store.finish_run(con, run_id, status, counts)
    finally:
        con.close()


@task(cache_policy=NO_CACHE)
def summarise(db_path: str) -> dict[str, Any]:
    con = db.connect(db_path)
    try:
        return store_summary(con)
    finally:
        con.close()


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def publish(db_path: str) -> None:
    publish_serving_copy(Path(db_path))


@flow(name="audit")
def audit(db_path: str, inbox: str, roster: str | None = None) -> dict[str, Any]:
    """Ingest what is new in the inbox, score what is unscored, summarise and publish."""
    run_id = uuid.uuid4().hex
    record_run(db_path, run_id, None, {})
    if roster:
        import_roster(db_path, roster)
    results = [
        ingest_one(db_path, str(export.path), export.person_id)
        for export in find_exports(Path(inbox))
    ]
    scoring = score(db_path)
    totals = summarise(db_path)
    counts = {
        "archives_seen": len(results),
        "archives_ingested": sum(r["status"] == "ingested" for r in results),
        "archives_unchanged": sum(r["status"] == "duplicate" for r in results),
        "archives_quarantined": sum(r["status"] == "quarantined" for r in results),
        "posts_added": sum((r["changes"] or {}).get("added", 0) for r in results),
        "posts_scored": scoring["posts"],
        "findings_added": scoring["added"],
        "findings_retired": scoring["retired"],
        "rulebook_version": scoring["rulebook_version"],
    }
    record_run(db_path, run_id, "completed", counts)
    publish(db_path)
    return {"run_id": run_id, "counts": counts, "archives": results, "totals": totals}
