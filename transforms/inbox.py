"""Find the exports waiting in an inbox folder.

Layout: `inbox/<person_id>/<export>` where an export is a .zip (or .tar.gz) file or an unpacked
folder, as downloaded. An export that came in several archives (Meta splits large downloads:
`…-part1.zip`, `…-part2.zip` or `…_1.zip`, `…_2.zip`) is one export: its parts may lie side by
side, or in a folder of their own holding nothing else (see transforms/parts.py). An export placed
directly in `inbox/` is matched to a person by the account handle inside it. Hidden files
(starting with '.') are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from transforms.parts import group_exports


@dataclass(frozen=True)
class InboxExport:
    paths: tuple[Path, ...]  # one file or folder, or the parts of one export
    person_id: str | None

    @property
    def path(self) -> Path | tuple[Path, ...]:
        """What ingest takes: the one path, or the parts together."""
        return self.paths[0] if len(self.paths) == 1 else self.paths


def find_exports(inbox: Path) -> list[InboxExport]:
    found: list[InboxExport] = []
    loose = [entry for entry in _visible(inbox) if entry.is_file()]
    found += [InboxExport(parts, None) for parts in group_exports(loose)]
    for folder in _visible(inbox):
        if folder.is_dir():
            found += [InboxExport(parts, folder.name) for parts in group_exports(_visible(folder))]
    return found


def _visible(folder: Path) -> list[Path]:
    return [entry for entry in sorted(folder.iterdir()) if not entry.name.startswith(".")]


def file_away(
    export: InboxExport, inbox: Path, status: str, reason: str | None, day: str
) -> list[Path]:
    """Move a handled export (every part of it) out of the inbox where the operator can see it:
    `processed/` or, with a `.reason.txt` beside each file, `quarantine/`, next to the inbox, by
    day and person."""
    shelf = "quarantine" if status == "quarantined" else "processed"
    folder = inbox.parent / shelf / day / (export.person_id or "_unassigned")
    folder.mkdir(parents=True, exist_ok=True)
    moved = []
    for path in export.paths:
        target = folder / path.name
        counter = 1
        while target.exists():
            target = folder / f"{path.stem}.{counter}{path.suffix}"
            counter += 1
        path.rename(target)
        if shelf == "quarantine":
            target.with_name(target.name + ".reason.txt").write_text((reason or "unknown") + "\n")
        moved.append(target)
    return moved
