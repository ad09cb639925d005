"""What the Meta exports (Facebook, Instagram, Threads) have in common, read once for all three.

Meta writes every string as UTF-8 *bytes*, one `\\u00XX` escape per byte, so "é" arrives as "Ã©"
and an emoji as four Latin-1 characters; `repair_meta_text` undoes that. The exports carry no post
ids either, so `derived_post_id` makes a stable one. The three parsers also share finding their
files, the timestamp rule, the refusal of HTML exports and the counting of every record read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from pathlib import PurePosixPath

from transforms.archive import ArchiveError, ExportFiles, Member
from transforms.platforms.common import load_json, stable_id, tally, utc_from_epoch
from transforms.records import Coverage, PostRecord

Outcome = PostRecord | str  # a record, or the reason it was skipped


def repair_meta_text(text: str) -> str:
    """Undo Meta's byte-per-character encoding; a string that is not mojibake is returned as is.

    Mojibake only ever holds characters up to U+00FF whose bytes form valid UTF-8. Text with any
    other character, or whose Latin-1 bytes are not UTF-8 (plain "café"), is already correct.
    """
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def repair_tree(tree: object) -> object:
    """`repair_meta_text` applied to every string of a parsed JSON tree, keys included."""
    if isinstance(tree, str):
        return repair_meta_text(tree)
    if isinstance(tree, list):
        return [repair_tree(item) for item in tree]
    if isinstance(tree, dict):
        return {repair_meta_text(key): repair_tree(value) for key, value in tree.items()}
    return tree


def load_meta_json(files: ExportFiles, name: str) -> object:
    """One member parsed and repaired; invalid JSON is an ArchiveError naming the file."""
    return repair_tree(load_json(files, name))


def content_files(
    files: ExportFiles,
    wanted: Callable[[str], bool],
    entries_of: Callable[[object], list[object] | None],
) -> Iterator[tuple[Member, list[object]]]:
    """(member, entries) of every member whose lower-case basename is wanted and whose JSON
    has the expected shape. Paths are never looked at: Meta moves folders between exports."""
    for member in sorted(files.members, key=lambda m: m.name):
        if wanted(member.basename.lower()):
            entries = entries_of(load_meta_json(files, member.name))
            if entries is not None:
                yield member, entries


def ignored_labels(files: ExportFiles, recognised: set[str]) -> list[str]:
    """Members not read. Photos, videos and other non-JSON files count once per folder, as
    'folder/', so a media-heavy export does not list thousands of names."""
    labels = set()
    for member in files.members:
        if member.name not in recognised:
            is_json = member.basename.lower().endswith(".json")
            labels.add(member.name if is_json else f"{PurePosixPath(member.name).parent}/")
    return sorted(labels)


def refuse_html_export(files: ExportFiles, html_marker: re.Pattern[str], platform: str) -> None:
    """Meta's default format is HTML, which we do not read: say so rather than find nothing."""
    if any(html_marker.fullmatch(member.basename.lower()) for member in files.members):
        raise ArchiveError(
            f"{files.path.name}: this {platform} export is an HTML export; re-export choosing JSON"
        )


def utc_from_unix(value: object) -> datetime | None:
    """Meta timestamps are unix seconds (milliseconds are read too); anything else (missing,
    text, zero, absurd) is None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return utc_from_epoch(value)


def derived_post_id(created_at: datetime, text: str) -> str:
    """Meta exports have no post ids, so the id is a hash of the unix seconds and the text.

    It is stable across re-exports and layouts, and the same item listed in two files (a group
    post also in the posts file) gets one id. Editing a post's text gives it a new id.
    """
    return stable_id(str(int(created_at.timestamp())), text)


def record_or_skip(platform: str, kind: str, text: str, timestamp: object) -> Outcome:
    """The record for an authored text, or why there is none."""
    if not text.strip():
        return "no_text"
    created_at = utc_from_unix(timestamp)
    if created_at is None:
        return "bad_timestamp"
    return PostRecord(
        platform=platform,
        post_id=derived_post_id(created_at, text),
        created_at=created_at,
        kind=kind,
        text=text,
    )


def counted(outcomes: Iterable[Outcome], coverage: Coverage) -> Iterator[PostRecord]:
    """Count every outcome as read; yield the records and count the skip reasons."""
    pairs = ((None, o) if isinstance(o, str) else (o, "") for o in outcomes)
    return tally(coverage, pairs)
