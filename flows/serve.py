"""Serve the nightly audit on a cron schedule.

Prefect's schedules do not fire on the temporary in-process server, so when no Prefect server is
configured (PREFECT_API_URL unset) a local one is started on 127.0.0.1 for as long as `serve`
runs, and stopped on exit. An organisation that runs its own Prefect server sets PREFECT_API_URL
instead (or deploys `flows/audit.py:audit` to its work pool, see docs/operations.md).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

DEFAULT_CRON = "0 2 * * *"


@contextmanager
def prefect_api() -> Iterator[str]:
    """The configured Prefect API, or a local server started for the duration."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:
        yield configured
        return
    port = _free_port()
    url = f"http://127.0.0.1:{port}/api"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-ui",
            "--analytics-off",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_healthy(url, server)
        os.environ["PREFECT_API_URL"] = url
        yield url
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


def serve_audit(
    parameters: dict[str, Any], cron: str, timezone: str | None, announce: Callable[[str], None]
) -> None:
    """Block, running the audit flow on the schedule, until interrupted."""
    with prefect_api() as url:
        announce(f"Prefect API: {url}")
        from prefect.client.schemas.schedules import CronSchedule

        from flows.audit import audit

        audit.serve(
            name="nightly",
            schedule=CronSchedule(cron=cron, timezone=timezone or _local_timezone()),
            parameters=parameters,
            pause_on_shutdown=False,
            print_starting_message=False,
        )


def _local_timezone() -> str:
    """The machine's IANA zone, so that 02:00 means 02:00 where the organisation is."""
    from tzlocal import get_localzone_name

    return get_localzone_name() or "UTC"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_healthy(url: str, server: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the local Prefect server exited while starting")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the local Prefect server did not become healthy within {timeout:.0f} s")
