"""The nightly audit: roster, every export in the inbox, scoring, a summary, a serving copy.

Each step commits on its own (an export, a scoring chunk), so a run interrupted anywhere and run
again ends in the same state as one uninterrupted run: ingested exports are recognised by their
SHA-256 and only unscored posts are scored.
"""

from __future__ import annotations

import os
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.ingest import ingest_one
from flows.publish import publish
from flows.score import score
from socialaudit import db
from socialaudit.locking import run_lock
from socialaudit.maintenance import purge_unflagged_text_locked
from transforms import store
from transforms.inbox import InboxExport, file_away, find_exports
from transforms.roster import read_roster
from transforms.run_report import post_webhook, write_run_report
from transforms.summary import changes_since, store_summary


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def import_roster(db_path: str, roster_path: str) -> int:
    roster = read_roster(Path(roster_path))
    con = db.connect(db_path)
    try:
        store.apply_roster(con, roster, date.today())
    finally:
        con.close()
    return roster.people.height


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5, timeout_seconds=600)
def move_handled(export: InboxExport, inbox: str, result: dict[str, Any]) -> str:
    moved = file_away(
        export, Path(inbox), result["status"], result["reason"], date.today().isoformat()
    )
    return ", ".join(str(path) for path in moved)


@task(cache_policy=NO_CACHE)
def start_run(db_path: str, run_id: str) -> Any:
    con = db.connect(db_path)
    try:
        store.start_run(con, run_id, "audit")
        return con.execute("SELECT started_at FROM runs WHERE run_id = ?", [run_id]).fetchone()[0]
    finally:
        con.close()


@task(cache_policy=NO_CACHE)
def finish_run(db_path: str, run_id: str, status: str, counts: dict[str, Any]) -> dict[str, Any]:
    """Record the outcome; returns the run row with the store's totals and this run's changes."""
    con = db.connect(db_path)
    try:
        store.finish_run(con, run_id, status, counts)
        started, ended = con.execute(
            "SELECT started_at, ended_at FROM runs WHERE run_id = ?", [run_id]
        ).fetchone()
        return {
            "run_id": run_id,
            "status": status,
            "started_at": started,
            "ended_at": ended,
            "duration_s": (ended - started).total_seconds(),
            "counts": counts,
            "totals": store_summary(con),
            "changes": changes_since(con, started),
        }
    finally:
        con.close()


@task(cache_policy=NO_CACHE)
def apply_retention(db_path: str, days: int) -> int:
    """Purge the text of unflagged posts older than the retention period (the run holds the
    lock already)."""
    return purge_unflagged_text_locked(Path(db_path), days)


@task(cache_policy=NO_CACHE, retries=3, retry_delay_seconds=10, timeout_seconds=60)
def notify(url: str, run: dict[str, Any]) -> int:
    return post_webhook(url, run)


@flow(name="audit")
def audit(
    db_path: str,
    inbox: str,
    roster: str | None = None,
    move: bool = True,
    reports_dir: str | None = None,
    webhook_url: str | None = None,
) -> dict[str, Any]:
    """Ingest what is new in the inbox, score what is unscored, summarise and publish.

    Handled exports are moved out of the inbox (processed/ or quarantine/ beside it) unless
    `move` is false, as for the bundled sample.
    """
    with run_lock(Path(db_path)):
        return _audit(db_path, inbox, roster, move, reports_dir, webhook_url)


def _audit(
    db_path: str,
    inbox: str,
    roster: str | None,
    move: bool,
    reports_dir: str | None,
    webhook_url: str | None,
) -> dict[str, Any]:
    run_id = uuid.uuid4().hex
    start_run(db_path, run_id)
    counts: dict[str, Any] = {}
    try:
        if roster:
            import_roster(db_path, roster)
        results = []
        for export in find_exports(Path(inbox)):
            result = ingest_one(db_path, [str(p) for p in export.paths], export.person_id)
            if move:
                result["moved_to"] = move_handled(export, inbox, result)
            results.append(result)
        scoring = score(db_path, publish_copy=False)
        retention = os.environ.get("SOCIALAUDIT_RETENTION_DAYS")
        purged = apply_retention(db_path, int(retention)) if retention else 0
    except BaseException:
        finish_run(db_path, run_id, "failed", counts)
        publish(db_path)
        raise
    counts = {
        "archives_seen": len(results),
        "archives_ingested": sum(r["status"] == "ingested" for r in results),
        "archives_unchanged": sum(r["status"] == "duplicate" for r in results),
        "archives_quarantined": sum(r["status"] == "quarantined" for r in results),
        "posts_added": sum((r["changes"] or {}).get("added", 0) for r in results),
        "posts_edited": sum((r["changes"] or {}).get("edited", 0) for r in results),
        "posts_scored": scoring["posts"],
        "findings_added": scoring["added"],
        "findings_retired": scoring["retired"],
        "rulebook_version": scoring["rulebook_version"],
        "posts_text_purged": purged,
    }
    run = finish_run(db_path, run_id, "completed", counts)
    run["archives"] = results
    folder = Path(reports_dir) if reports_dir else Path(db_path).parent / "runs"
    run["report"] = str(write_run_report(run, folder))
    publish(db_path)
    webhook_url = webhook_url or os.environ.get("SOCIALAUDIT_WEBHOOK_URL")
    if webhook_url:
        run["webhook_status"] = notify(webhook_url, run)
    return run
