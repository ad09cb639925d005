"""Small readers shared by the platform parsers: timestamps, JSON and CSV members, derived ids,
unknown keys and file coverage. Every platform's records are reduced through these, so a quirk
handled here (a byte-order mark, a timestamp form) is handled for all of them."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

from transforms.archive import ArchiveError, ExportFiles
from transforms.platforms.twitter import parse_created_at
from transforms.records import Coverage, PostRecord

Outcome = tuple[PostRecord | None, str]  # a post, or None and the reason the record is not one

_EPOCH_SECONDS_FROM = 1e8  # 1973-03-03
_EPOCH_MILLISECONDS_FROM = 1e11
_EPOCH_TEXT = re.compile(r"\d{9,}(\.\d+)?")  # fewer digits may be an ISO basic date (20240301)


def parse_timestamp(value: object) -> datetime | None:
    """An aware UTC datetime from any timestamp form the exports use: ISO-8601 (zone-less means
    UTC), 'YYYY-MM-DD HH:MM:SS UTC', X's 'Wed Oct 10 20:19:24 +0000 2018', or unix seconds or
    milliseconds as a number or as digits. None for anything else."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return utc_from_epoch(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _EPOCH_TEXT.fullmatch(text):
        return utc_from_epoch(float(text))
    if text.upper().endswith(" UTC"):
        text = text[:-4]
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return parse_created_at(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def utc_from_epoch(value: float) -> datetime | None:
    """Unix seconds, or milliseconds when the number is too large to be seconds (1e11 seconds is
    the year 5138, 1e11 milliseconds 1973). Numbers before 1973 are refused rather than read as
    1970 dates: no export holds them, and a stray small number is not a time."""
    if not _EPOCH_SECONDS_FROM <= value < _EPOCH_MILLISECONDS_FROM * 1000:  # also refuses NaN
        return None
    seconds = value / 1000 if value >= _EPOCH_MILLISECONDS_FROM else value
    return datetime.fromtimestamp(seconds, tz=UTC)


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
