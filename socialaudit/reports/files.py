"""Report files are readable by their owner only: they hold post text, which can hold patient
details, like the database itself."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TextIO


def open_private(path: Path, encoding: str = "utf-8", newline: str | None = None) -> TextIO:
    """Open a file for writing, created (or truncated) readable by its owner only; missing
    parent folders are created, so a report lands exactly where it was asked for."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.chmod(path, 0o600)  # an existing file keeps its old mode when opened
    return os.fdopen(descriptor, "w", encoding=encoding, newline=newline)


def write_private(path: Path, text: str) -> None:
    with open_private(path) as file:
        file.write(text)
