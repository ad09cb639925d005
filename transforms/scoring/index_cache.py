"""A private on-disk cache for data derived from the rulebook that is slow to work out (the
scoring first pass's index: about 2 CPU-s), so each process does not pay for it again.

Entries are JSON (never pickle), named by a key that hashes everything they derive from, written
atomically, and read only from a folder and file owned by the current user that no one else can
write. Anything missing, foreign, unreadable or malformed reads as absent, and the caller
rebuilds: the cache can make scoring faster, never different.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

KEEP = 8  # entries of one kind kept (rulebooks being edited each leave one)


def read(folder: Path, kind: str, key: str) -> Any | None:
    path = folder / f"{kind}-{key}.json"
    try:
        if not (_private(folder) and _private(path)):
            return None
        with path.open(encoding="utf-8") as file:
            data = json.load(file)
        os.utime(path)  # recently used: kept by `write`'s pruning
        return data
    except (OSError, ValueError):
        return None


def write(folder: Path, kind: str, key: str, data: Any) -> None:
    """Store an entry; a failure (read-only disk, a foreign folder) only means no cache."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(folder):
            return
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{kind}-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as file:
                json.dump(data, file, separators=(",", ":"))
            os.replace(temporary, folder / f"{kind}-{key}.json")
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        _prune(folder, kind)
    except OSError:
        return


def _prune(folder: Path, kind: str) -> None:
    entries = sorted(folder.glob(f"{kind}-*.json"), key=lambda p: p.stat().st_mtime)
    for old in entries[:-KEEP]:
        with contextlib.suppress(OSError):
            old.unlink()


def _private(path: Path) -> bool:
    """Not a link, owned by this user (where the system has owners), writable by no one else."""
    status = path.lstat()
    if stat.S_ISLNK(status.st_mode) or status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return False
    getuid = getattr(os, "getuid", None)
    return getuid is None or status.st_uid == getuid()
