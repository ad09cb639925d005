"""Tell the parts of one export apart from separate exports, by their file names.

Meta splits a large download into several archives of one export, named alike but for a number:
`facebook-jdoe-2024-05-01-Ab3dE-part1.zip`, `…-part2.zip`, or `…_1.zip`, `…_2.zip`. Their files
only make sense together (posts in one part, comments in another), so parts given together are
read as ONE export (transforms/archive.py takes their union). An explicit `partN` marks a part
even alone; a bare `_N` only when another archive shares the rest of the name, so that a single
`export_2.zip` stays an export of its own. A part missing from the numbering (1..highest given)
is reported; parts beyond the highest one given cannot be known from the names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transforms.archive import ARCHIVE_SUFFIXES, ExportFiles

_EXPLICIT = re.compile(r"(?P<stem>.+?)[-_ .]part[-_ ]?(?P<number>\d{1,3})")
_NUMBERED = re.compile(r"(?P<stem>.+?)_(?P<number>\d{1,2})")


@dataclass(frozen=True)
class PartName:
    stem: str  # the name without the part number and the archive suffix, lower-case
    number: int
    explicit: bool  # 'partN' rather than a bare '_N'


def part_name(file_name: str) -> PartName | None:
    """The part an archive's name says it is, or None."""
    lowered = file_name.lower()
    suffix = next((s for s in ARCHIVE_SUFFIXES if lowered.endswith(s)), None)
    if suffix is None:
        return None
    base = lowered.removesuffix(suffix)
    for pattern, explicit in ((_EXPLICIT, True), (_NUMBERED, False)):
        if match := pattern.fullmatch(base):
            return PartName(match["stem"], int(match["number"]), explicit)
    return None


def group_exports(paths: Sequence[Path]) -> list[tuple[Path, ...]]:
    """The exports among `paths`, in order of first appearance: each a lone path, or the parts of
    one export together (ordered by part number)."""
    names = {path: part_name(path.name) for path in paths if path.is_file()}
    stems: dict[str, list[Path]] = {}
    for path, name in names.items():
        if name is not None:
            stems.setdefault(name.stem, []).append(path)
    groups: list[tuple[Path, ...]] = []
    placed: set[Path] = set()
    for path in paths:
        if path in placed:
            continue
        name = names.get(path)
        together = stems[name.stem] if name is not None else [path]
        if name is not None and len(together) == 1 and not name.explicit:
            together = [path]
        ordered = sorted(together, key=lambda p: (names[p].number if names.get(p) else 0, p.name))
        groups.append(tuple(ordered))
        placed.update(ordered)
    return groups


def missing_parts(file_names: Sequence[str]) -> list[int]:
    """Part numbers absent from 1..the highest given, when the names are numbered parts (of
    one stem, or marked 'partN'); [] when nothing can be said."""
    names = [part_name(file_name) for file_name in file_names]
    if not names or any(name is None for name in names):
        return []
    parts = [name for name in names if name is not None]
    if len({name.stem for name in parts}) > 1 or (len(parts) == 1 and not parts[0].explicit):
        return []
    given = {name.number for name in parts}
    return [number for number in range(1, max(given) + 1) if number not in given]


def export_label(source: Path | Sequence[Path]) -> str:
    """How an export is named to the operator: its file or folder, or its first part and how
    many more came with it."""
    paths = [source] if isinstance(source, Path) else list(source)
    if len(paths) == 1:
        return paths[0].name
    more = len(paths) - 1
    return f"{paths[0].name} (+{more} more part{'s' if more > 1 else ''})"


def parts_report(files: ExportFiles) -> dict[str, list[Any]]:
    """For the coverage report: the archives read as one export, the part numbers missing from
    them, and file names found in more than one part (the first part's copy is read)."""
    if not files.parts:
        return {}
    return {
        "read": files.parts,
        "missing": missing_parts(files.parts),
        "repeated_files": sorted(files.repeated),
    }
