"""The generic input: a hand-made file for any platform socialaudit has no parser for.

Put a file named `socialaudit-posts.csv` or `socialaudit-posts.jsonl` (or both) anywhere in a folder
or zip. CSV has a header row; JSONL has one JSON object per line. Columns / keys:

    id            required  unique within the file
    created_at    required  ISO-8601, e.g. 2024-03-01T09:30:00Z (no offset means UTC)
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

This module also holds the small readers the CSV and JSON platform parsers share (timestamps,
JSON, CSV, derived ids, file coverage): every such export is reduced to this same shape.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from transforms.archive import ArchiveError, ExportFiles
from transforms.records import KINDS, VISIBILITIES, AccountInfo, Coverage, PostRecord

CSV_NAME = "socialaudit-posts.csv"
JSONL_NAME = "socialaudit-posts.jsonl"
REQUIRED_KEYS = ("id", "created_at", "text")
KNOWN_KEYS = frozenset(
    {*REQUIRED_KEYS, "kind", "visibility", "url", "in_reply_to", "platform_name"}
)

Outcome = tuple[PostRecord | None, str]  # a post, or None and the reason the record is not one


# -- readers shared by the platform parsers ---------------------------------------------------


def parse_timestamp(value: object) -> datetime | None:
    """An aware UTC datetime from ISO-8601 or 'YYYY-MM-DD HH:MM:SS[ UTC]'; zone-less means UTC."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.upper().endswith(" UTC"):
        text = text[:-4]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def stable_id(*parts: str) -> str:
    """A short id that stays the same across re-imports, for items the export gives no id."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:20]


def load_json(files: ExportFiles, name: str) -> Any:
    """A whole JSON member; invalid JSON raises ArchiveError naming the file."""
    try:
        return json.loads(files.read_text(name))
    except json.JSONDecodeError as error:
        raise ArchiveError(
            f"{files.path.name}: {name} is not valid JSON (line {error.lineno}: {error.msg})"
        ) from None


def read_csv(files: ExportFiles, name: str) -> list[list[str]]:
    """Every row of a CSV member, header first (blank lines dropped)."""
    return split_csv(files.read_text(name), f"{files.path.name}: {name}")


def split_csv(text: str, where: str, **fmtparams: Any) -> list[list[str]]:
    """Rows of CSV text in the given dialect; `where` names the file in the error."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), **fmtparams))
    except csv.Error as error:
        raise ArchiveError(f"{where} is not valid CSV ({error})") from None
    return [row for row in rows if row]


def csv_header(files: ExportFiles, name: str) -> list[str]:
    """The column names of a CSV member, reading only its first line (cheap for detection)."""
    with files.open(name) as stream:
        first_line = stream.readline(64 * 1024)
    try:
        line = first_line.decode("utf-8-sig")
        return [column.strip() for column in next(csv.reader([line]), [])]
    except (UnicodeDecodeError, csv.Error):
        return []  # not a header of ours; detection moves on


def csv_records(rows: list[list[str]]) -> Iterator[dict[str, str] | None]:
    """Each data row keyed by the header, or None for a row whose width does not match it."""
    header = [column.strip() for column in rows[0]] if rows else []
    for row in rows[1:]:
        yield dict(zip(header, row, strict=True)) if len(row) == len(header) else None


def count_unknown_keys(
    coverage: Coverage, where: str, keys: Iterable[str], known: frozenset[str]
) -> None:
    """Count keys the parser does not know, so format drift shows up in the coverage report."""
    for key in keys:
        if key not in known:
            coverage.unknown_keys[f"{where}:{key}"] += 1


def tally(coverage: Coverage, outcomes: Iterable[Outcome]) -> Iterator[PostRecord]:
    """Yield the posts; count every record read and why each other one was skipped, so that
    posts yielded + records skipped == records read."""
    for post, reason in outcomes:
        coverage.records_read += 1
        if post is None:
            coverage.skip(reason)
        else:
            yield post


def record_files(coverage: Coverage, files: ExportFiles, recognised: Iterable[str]) -> None:
    """Note which members the parser reads; every other member is reported as ignored."""
    read = set(recognised)
    coverage.files_recognised.extend(sorted(read))
    coverage.files_ignored.extend(name for name in files.names() if name not in read)


# -- the generic format -------------------------------------------------------------------------


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
