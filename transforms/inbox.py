"""Find the exports waiting in an inbox folder.

Layout: `inbox/<person_id>/<export>` where an export is a .zip file or an unpacked folder, as
downloaded. An export placed directly in `inbox/` is matched to a person by the account handle
inside it. Hidden files (starting with '.') are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class InboxExport:
    path: Path
    person_id: str | None


def find_exports(inbox: Path) -> list[InboxExport]:
    found: list[InboxExport] = []
    for entry in sorted(inbox.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file():
            found.append(InboxExport(entry, None))
        elif entry.is_dir():
            found += [
                InboxExport(export, entry.name)
                for export in sorted(entry.iterdir())
                if not export.name.startswith(".")
            ]
    return found
