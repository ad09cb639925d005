"""Two runs at once: the second waits for the run lock, or stops with a clear message."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from socialaudit.db import DatabaseBusy
from socialaudit.locking import run_lock
from socialaudit.settings import PROJECT_ROOT


def hold_lock_in_another_process(db_path: Path, seconds: float) -> subprocess.Popen[str]:
    script = (
        "import sys, time; from pathlib import Path; from socialaudit.locking import run_lock\n"
        f"with run_lock(Path({str(db_path)!r})):\n"
        "    print('locked', flush=True); time.sleep(float(sys.argv[1]))\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(seconds)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def test_second_run_stops_with_a_clear_message(tmp_path: Path) -> None:
    db_path = tmp_path / "org.duckdb"
    holder = hold_lock_in_another_process(db_path, 5)
    try:
        busy = pytest.raises(DatabaseBusy, match=r"org.duckdb is being audited by process \d+")
        with busy, run_lock(db_path, wait_seconds=0.5):
            pass
    finally:
        holder.kill()
        holder.wait()


def test_second_run_waits_for_the_first(tmp_path: Path) -> None:
    db_path = tmp_path / "org.duckdb"
    holder = hold_lock_in_another_process(db_path, 1.5)
    started = time.monotonic()
    with run_lock(db_path, wait_seconds=30):
        waited = time.monotonic() - started
    holder.wait()
    assert waited > 0.5  # it waited for the holder rather than interleaving


def test_lock_is_released_after_the_run(tmp_path: Path) -> None:
    db_path = tmp_path / "org.duckdb"
    with run_lock(db_path):
        pass
    done = threading.Event()
    with run_lock(db_path, wait_seconds=0):
        done.set()
    assert done.is_set()


def test_dashboard_reads_while_a_run_holds_the_database(tmp_path: Path) -> None:
    from dashboards.data_access import read_connection
    from socialaudit import db
    from transforms.publish import publish_serving_copy

    db_path = tmp_path / "org.duckdb"
    db.connect(db_path).close()
    publish_serving_copy(db_path)
    script = (
        "import sys, time, duckdb\n"
        f"con = duckdb.connect({str(db_path)!r})\n"
        "print('writing', flush=True); time.sleep(float(sys.argv[1]))\n"
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", script, "5"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        with pytest.raises(Exception, match="lock"):  # the main file itself is held...
            import duckdb

            duckdb.connect(str(db_path), read_only=True)
        with read_connection(db_path) as con:  # ...but the dashboard reads its serving copy
            assert con.execute("SELECT count(*) FROM posts").fetchone() == (0,)
    finally:
        writer.kill()
        writer.wait()
