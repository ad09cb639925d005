"""One run at a time per database: a lock file beside it, held for the whole run.

DuckDB's own file lock guards a single connection; a run opens and closes many (one per task),
so two runs could interleave between them. The run lock closes that gap: a second run waits for
it (SOCIALAUDIT_LOCK_WAIT seconds, default 30) and then stops with a clear message.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from socialaudit.db import DatabaseBusy


@contextmanager
def run_lock(db_path: Path, wait_seconds: float | None = None) -> Iterator[None]:
    lock_path = db_path.with_name(db_path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    wait = (
        float(os.environ.get("SOCIALAUDIT_LOCK_WAIT", 30)) if wait_seconds is None else wait_seconds
    )
    deadline = time.monotonic() + wait
    with lock_path.open("a+") as handle:
        os.chmod(lock_path, 0o600)
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise DatabaseBusy(
                        f"{db_path.name} is being audited by {holder}; this run stops so the two "
                        "do not interleave. Run it again when that one has finished."
                    ) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
