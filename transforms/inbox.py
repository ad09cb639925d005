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


def file_away(export: InboxExport, inbox: Path, status: str, reason: str | None, day: str) -> Path:
    """Move a handled export out of the inbox where the operator can see it: `processed/` or,
    with a `.reason.txt` beside it, `quarantine/`, next to the inbox, by day and person."""
    shelf = "quarantine" if status == "quarantined" else "processed"
    folder = inbox.parent / shelf / day / (export.person_id or "_unassigned")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / export.path.name
    counter = 1
    while target.exists():
        target = folder / f"{export.path.stem}.{counter}{export.path.suffix}"
        counter += 1
    export.path.rename(target)
    if shelf == "quarantine":
        target.with_name(target.name + ".reason.txt").write_text((reason or "unknown") + "\n")
    return target
