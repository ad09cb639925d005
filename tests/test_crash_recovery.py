"""Killing a run with SIGKILL at any point leaves the database consistent, and the next run
completes the work with nothing counted twice: the end state equals one uninterrupted run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from socialaudit.settings import PROJECT_ROOT, SAMPLE_DIR

KILL_FRACTIONS = (0.15, 0.3, 0.45, 0.6, 0.75, 0.9)


def run_driver(db_path: Path, rules: Path, kill_after: float | None = None) -> None:
    command = [
        sys.executable,
        "-m",
        "tests.crash_driver",
        str(db_path),
        str(SAMPLE_DIR / "inbox"),
        str(SAMPLE_DIR / "roster.csv"),
    ]
    env = {**os.environ, "SOCIALAUDIT_RULES": str(rules)}  # one rulebook for every run
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL)
    if kill_after is None:
        assert process.wait(timeout=300) == 0
        return
    time.sleep(kill_after)
    process.kill()  # SIGKILL: no cleanup, no atexit, no flush
    process.wait()


def state(db_path: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(db_path), read_only=True)
    queries = {
        "archives": "SELECT sha256, status, records_read, posts_stored FROM archives",
        "posts": "SELECT platform, post_id, person_id, text_sha256, present FROM posts",
        "scored": "SELECT platform, post_id, rulebook_version FROM scored_posts",
        "findings": "SELECT finding_id, rule_id, active FROM findings",
        "people": "SELECT person_id FROM people",
    }
    result = {name: sorted(con.execute(sql).fetchall()) for name, sql in queries.items()}
    con.close()
    return result


def assert_consistent(db_path: Path) -> None:
    """Whatever was committed is whole: an ingested archive has all its posts, and every
    finding belongs to a scored post."""
    con = duckdb.connect(str(db_path), read_only=True)
    partial = con.execute("""
        SELECT a.file_name FROM archives a
        WHERE a.status = 'ingested'
          AND a.posts_stored <> (SELECT count(*) FROM posts p WHERE p.archive_sha256 = a.sha256)
    """).fetchall()
    orphans = con.execute("""
        SELECT count(*) FROM posts p ANTI JOIN archives a ON a.sha256 = p.archive_sha256
    """).fetchone()[0]
    unscored = con.execute("""
        SELECT count(*) FROM findings f
        ANTI JOIN scored_posts s ON s.platform = f.platform AND s.post_id = f.post_id
    """).fetchone()[0]
    con.close()
    assert partial == [] and orphans == 0 and unscored == 0


@pytest.fixture(scope="module")
def reference(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, list[tuple[object, ...]]], float, Path]:
    folder = tmp_path_factory.mktemp("reference")
    rules = folder / "rules"
    shutil.copytree(PROJECT_ROOT / "rules", rules)
    db_path = folder / "ref.duckdb"
    started = time.monotonic()
    run_driver(db_path, rules)
    return state(db_path), time.monotonic() - started, rules


@pytest.mark.parametrize("fraction", KILL_FRACTIONS)
def test_sigkill_then_rerun_equals_uninterrupted_run(
    reference, tmp_path: Path, fraction: float
) -> None:
    expected, duration, rules = reference
    db_path = tmp_path / "crash.duckdb"
    run_driver(db_path, rules, kill_after=duration * fraction)
    if db_path.exists():
        assert_consistent(db_path)
    run_driver(db_path, rules)
    assert state(db_path) == expected
