"""The generic input: a hand-made file for any platform socialaudit has no parser for.

Put a file named `socialaudit-posts.csv` or `socialaudit-posts.jsonl` (or both) anywhere in a folder
or zip. CSV has a header row; JSONL has one JSON object per line. Columns / keys:

    id            required  unique within the file
    created_at    required  ISO-8601, e.g. 2024-03-01T09:30:00Z (no offset means UTC); unix
                            seconds or milliseconds are read too
    text          required  what the person wrote, as plain text
    kind          optional  post | reply | quote | comment (default: reply when in_reply_to is
                            set, else post)
    visibility    optional  public | unlisted | followers | direct (empty: unknown)
    url           optional  where the item can be seen
    in_reply_to   optional  id or URL of what the item answers
    platform_name optional  the site it came from; accepted, not yet stored

Rows that cannot be used are counted, never dropped silently: no_id, bad_timestamp, no_text,
bad_kind, bad_visibility, malformed_row (a CSV row with the wrong number of fields). A JSONL line
that is not a JSON object refuses the whole file. docs/generic-input.md has examples.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from transforms.archive import ArchiveError, ExportFiles
from transforms.platforms.common import (
    Outcome,
    count_unknown_keys,
    csv_records,
    parse_timestamp,
    read_csv,
    record_files,
    tally,
)
from transforms.records import KINDS, VISIBILITIES, AccountInfo, Coverage, PostRecord

CSV_NAME = "socialaudit-posts.csv"
JSONL_NAME = "socialaudit-posts.jsonl"
REQUIRED_KEYS = ("id", "created_at", "text")
KNOWN_KEYS = frozenset(
    {*REQUIRED_KEYS, "kind", "visibility", "url", "in_reply_to", "platform_name"}
)


class Parser:
    platform = "generic"

    def detect(self, files: ExportFiles) -> str | None:
        """By name alone: the names are ours, so a broken file should fail loudly in parse."""
        suffixes = {
            m.basename.rsplit(".", 1)[1].lower() for m in files.with_basename(CSV_NAME, JSONL_NAME)
        }
        return "+".join(sorted(suffixes)) or None

    def account(self, files: ExportFiles) -> AccountInfo:
        return AccountInfo(platform=self.platform)

    def parse(self, files: ExportFiles, layout: str, coverage: Coverage) -> Iterator[PostRecord]:
        members = [member.name for member in files.with_basename(CSV_NAME, JSONL_NAME)]
        record_files(coverage, files, members)
        for name in members:
            yield from tally(coverage, _outcomes(files, name, coverage))


def _outcomes(files: ExportFiles, name: str, coverage: Coverage) -> Iterator[Outcome]:
    for record in _records(files, name):
        if record is None:
            yield None, "malformed_row"
        else:
            count_unknown_keys(coverage, name, record, KNOWN_KEYS)
            yield _to_post(record)


def _records(files: ExportFiles, name: str) -> Iterator[Mapping[str, Any] | None]:
    if name.lower().endswith(".jsonl"):
        yield from _jsonl_records(files, name)
        return
    rows = read_csv(files, name)
    header = {column.strip() for column in rows[0]} if rows else set()
    missing = [key for key in REQUIRED_KEYS if key not in header]
    if missing:
        raise ArchiveError(f"{files.path.name}: {name} lacks column(s) {', '.join(missing)}")
    yield from csv_records(rows)


def _jsonl_records(files: ExportFiles, name: str) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(files.read_text(name).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ArchiveError(
                f"{files.path.name}: {name} line {number} is not valid JSON ({error.msg})"
            ) from None
        if not isinstance(record, dict):
            raise ArchiveError(f"{files.path.name}: {name} line {number} is not a JSON object")
        yield record


def _to_post(record: Mapping[str, Any]) -> Outcome:
    """The record as a post, or None and the reason it cannot be one."""
    post_id, text = _field(record, "id"), _field(record, "text")
    created_at = parse_timestamp(_field(record, "created_at"))
    in_reply_to = _field(record, "in_reply_to") or None
    kind = _field(record, "kind") or ("reply" if in_reply_to else "post")
    visibility = _field(record, "visibility") or None
    if not post_id:
        return None, "no_id"
    if created_at is None:
        return None, "bad_timestamp"
    if not text:
        return None, "no_text"
    if kind not in KINDS:
        return None, "bad_kind"
    if visibility is not None and visibility not in VISIBILITIES:
        return None, "bad_visibility"
    post = PostRecord(
        platform="generic",
        post_id=post_id,
        created_at=created_at,
        kind=kind,
        text=text,
        visibility=visibility,
        url=_field(record, "url") or None,
        in_reply_to=in_reply_to,
    )
    return post, ""


def _field(record: Mapping[str, Any], key: str) -> str:
    value = record.get(key)
    if isinstance(value, bool) or value is None:
        return ""
    return str(value).strip() if isinstance(value, str | int | float) else ""
