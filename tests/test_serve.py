"""`socialaudit serve`: a scheduled audit actually fires, on a local Prefect server that is
started for the purpose and stopped on exit. Slow by nature (it waits for a cron minute)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from socialaudit.settings import PROJECT_ROOT, serving_db_path

pytestmark = pytest.mark.flow


def completed_runs(db_path: Path) -> int:
    served = serving_db_path(db_path)
    if not served.exists():
        return 0
    try:
        con = duckdb.connect(str(served), read_only=True)
    except duckdb.IOException:
        return 0
    try:
        return int(
            con.execute("SELECT count(*) FROM runs WHERE status = 'completed'").fetchone()[0]
        )
    finally:
        con.close()


def test_serve_fires_a_scheduled_audit_and_stops_its_server(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    db_path = tmp_path / "org.duckdb"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "socialaudit.cli",
            "serve",
            "--cron",
            "* * * * *",
            "--inbox",
            str(inbox),
            "--db",
            str(db_path),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert serve.stdout is not None
        api = ""
        while not api:
            line = serve.stdout.readline()
            assert line, "serve exited before announcing its Prefect API"
            if line.startswith("Prefect API: "):
                api = line.split(": ", 1)[1].strip()
        deadline = time.monotonic() + 200
        while completed_runs(db_path) == 0:
            assert time.monotonic() < deadline, "no scheduled run completed within 200 s"
            assert serve.poll() is None, "serve exited early"
            time.sleep(2)
    finally:
        serve.send_signal(signal.SIGINT)
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            serve.kill()
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{api}/health", timeout=2)
