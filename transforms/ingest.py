"""Ingest one export: read it, decide whose it is, validate and store it batch by batch.

The export is streamed: records are parsed one at a time and normalised into batches, each
validated and staged as it comes, all in one transaction, so memory stays flat however large the
archive and a failure anywhere stores nothing. Every outcome is recorded in the archives table
with its reason: an export that cannot be read, that belongs to someone else, or that fails its
expectations is quarantined, and none of its posts are stored. Ingesting the same export twice
changes nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from transforms import store
from transforms.archive import ArchiveError, ExportFiles
from transforms.normalise import BATCH_SIZE, posts_frame, posts_frames
from transforms.parts import export_label, parts_report
from transforms.platforms import UnrecognisedExport, detect_all
from transforms.records import AccountInfo, Coverage, PostRecord
from transforms.roster import normalise_handle
from transforms.validate import ValidationReport, validate_posts

log = logging.getLogger(__name__)

# DuckDB's room while an archive is stored. Batches are staged as Parquet files, so DuckDB holds
# nothing of the archive until the merge that ends it, which groups the staged posts part by part
# (store.ROWS_PER_PART) and joins them with the stored ones, spilling to disk beyond the cap; posts
# has no index to build in memory (migration 003). Deduplicating a part of 250,000 posts needs
# about 96 MB (64 MB fails); one thread and no insertion order keep it down.
MERGE_SETTINGS = {"memory_limit": "96MB", "threads": "1", "preserve_insertion_order": "false"}


@dataclass
class ParsedExport:
    file_name: str
    sha256: str
    platform: str
    layout: str
    account: AccountInfo
    posts: pl.DataFrame
    coverage: Coverage


@dataclass
class IngestResult:
    file_name: str
    sha256: str
    status: str  # ingested | duplicate | quarantined
    reason: str | None = None
    platform: str | None = None
    layout: str | None = None
    person_id: str | None = None
    coverage: dict[str, Any] = field(default_factory=dict)
    changes: store.PostChanges | None = None


class Rejected(Exception):
    """The export must be quarantined; the message is the reason shown to the operator."""


def export_sha256(path: Path | Sequence[Path]) -> str:
    """The export's fingerprint: the zip's bytes, or a folder's file names and contents, or its
    parts' (the same parts give the same fingerprint, in a folder or given one by one)."""
    if not isinstance(path, Path) and len(path) == 1:
        path = path[0]
    digest = hashlib.sha256()
    if isinstance(path, Path) and path.is_dir():
        files = [
            (p.relative_to(path).as_posix(), p) for p in sorted(path.rglob("*")) if p.is_file()
        ]
    else:
        files = [("", path)] if isinstance(path, Path) else sorted((p.name, p) for p in path)
    for name, file in files:
        if name:
            digest.update(name.encode() + b"\0")
        with file.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


class OpenExport:
    """An export opened for reading: what it is and whose, then its records one at a time.

    Parsers yield records lazily, so an archive of any size is read with flat memory; errors in
    its files surface while `records()` is consumed, and are raised as Rejected."""

    def __init__(self, path: Path | Sequence[Path], sha256: str) -> None:
        self.file_name = export_label(path)
        self.sha256 = sha256
        self.coverage = Coverage()
        self._files: ExportFiles | None = None
        try:
            self._files = ExportFiles(path)
            self.coverage.parts = parts_report(self._files)
            self._matches = detect_all(self._files)
            # One account per platform found: an Instagram export may also hold Threads.
            self.accounts = [parser.account(self._files) for parser, _ in self._matches]
            self.account = self.accounts[0]
        except BaseException as error:
            self.close()
            raise _rejection(self.file_name, error) from None
        self.platform = "+".join(sorted({p.platform for p, _ in self._matches}))
        self.layout = "+".join(layout for _, layout in self._matches)

    def records(self) -> Iterator[PostRecord]:
        assert self._files is not None
        try:
            for parser, layout in self._matches:
                yield from parser.parse(self._files, layout, self.coverage.section(parser.platform))
            self.coverage.fold_sections()
        except Exception as error:
            raise _rejection(self.file_name, error) from None

    def close(self) -> None:
        if self._files is not None:
            self._files.close()

    def __enter__(self) -> OpenExport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _rejection(file_name: str, error: BaseException) -> BaseException:
    """The reason shown to the operator; a parser bug is logged, never with post text."""
    if isinstance(error, ArchiveError | UnrecognisedExport):
        return Rejected(str(error))
    if not isinstance(error, Exception):
        return error  # KeyboardInterrupt and the like go on as they are
    # The type and where it happened, never the message or traceback: they can quote post text.
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
    log.error("parser failed on %s: %s at %s", file_name, type(error).__name__, where)
    return Rejected(f"{file_name}: could not be parsed ({type(error).__name__})")


def read_export(path: Path | Sequence[Path], sha256: str | None = None) -> ParsedExport:
    """Parse every authored item of an export into one frame (for callers that want it whole,
    such as the self-audit); raises Rejected with a reason on bad input."""
    with OpenExport(path, sha256 or export_sha256(path)) as export:
        frame = posts_frame(export.records(), None, export.coverage)
    stored = frame["platform"].value_counts() if frame.height else None
    export.coverage.note_stored(dict(stored.iter_rows()) if stored is not None else {})
    return ParsedExport(
        file_name=export.file_name,
        sha256=export.sha256,
        platform=export.platform,
        layout=export.layout,
        account=export.account,
        posts=frame,
        coverage=export.coverage,
    )


# The roster platform whose handles also name an account: a Threads account is the person's
# Instagram account, so a roster listing no Threads handle is checked against Instagram's.
SAME_ACCOUNT_AS = {"threads": "instagram"}


def owner_of(
    con: duckdb.DuckDBPyConnection, export: OpenExport, person_id: str | None
) -> str | None:
    """Whose export this is. Every account inside (one per platform) must not belong to anyone
    else nor, given a person, be missing from the person's registered handles on its platform;
    without a person, the accounts found must all be one person's."""
    if person_id is not None and not store.person_exists(con, person_id):
        raise Rejected(f"{export.file_name}: person {person_id} is not in the roster")
    owners = {
        _account_owner(con, export.file_name, account, person_id) for account in export.accounts
    }
    owners.discard(None)
    if len(owners) > 1:
        raise Rejected(
            f"{export.file_name}: the export's accounts belong to different people "
            f"({', '.join(sorted(owners))})"
        )
    return person_id or next(iter(owners), None)


def _account_owner(
    con: duckdb.DuckDBPyConnection, file_name: str, account: AccountInfo, person_id: str | None
) -> str | None:
    """The roster person one account belongs to; Rejected when it contradicts `person_id`."""
    handle = normalise_handle(account.handle or account.account_id or "")
    platforms = [account.platform, *filter(None, [SAME_ACCOUNT_AS.get(account.platform)])]
    for platform in platforms:
        registered = None
        for candidate in (account.handle, account.account_id):
            if candidate and registered is None:  # a roster may list a handle or an account id
                registered = store.person_for_account(con, platform, normalise_handle(candidate))
        if person_id is None:
            if registered is not None:
                return registered
            continue
        if registered is not None and registered != person_id:
            raise Rejected(
                f"{file_name}: the export's {account.platform} account @{handle} belongs to "
                f"{registered}, not {person_id}"
            )
        if registered == person_id:
            return person_id
        known = con.execute(
            "SELECT count(*) FROM accounts WHERE person_id = ? AND platform = ?",
            [person_id, platform],
        ).fetchone()[0]
        if known:
            raise Rejected(
                f"{file_name}: the export's {account.platform} account @{handle or '?'} is not "
                f"one of {person_id}'s registered {platform} accounts"
            )
    return person_id


def ingest_export(
    con: duckdb.DuckDBPyConnection,
    path: Path | Sequence[Path],
    person_id: str | None = None,
    batch_size: int = BATCH_SIZE,
) -> IngestResult:
    """Store one export (a path, or the paths of its parts), batch by batch, in one transaction:
    all of its posts or none."""
    sha256 = export_sha256(path)
    name = export_label(path)
    if store.archive_status(con, sha256) == "ingested":
        return IngestResult(name, sha256, "duplicate", "already ingested")
    meta = store.ArchiveMeta(sha256, name, None, None, person_id, None)
    try:
        with OpenExport(path, sha256) as export:
            meta = store.ArchiveMeta(
                sha256, name, export.platform, export.layout, person_id, export.account.handle
            )
            owner = owner_of(con, export, person_id)
            meta = dataclasses.replace(meta, person_id=owner)
            changes = _store_batches(con, meta, export, batch_size)
    except Rejected as rejected:
        store.store_rejected_archive(con, meta, "quarantined", str(rejected))
        return IngestResult(
            name, sha256, "quarantined", str(rejected), meta.platform, meta.layout,
            meta.person_id,
        )  # fmt: skip
    except _FailedExpectations as failed:
        coverage = export.coverage.as_dict()
        store.store_rejected_archive(
            con, meta, "quarantined", failed.reason, coverage, failed.report.as_dict()
        )
        return IngestResult(
            name, sha256, "quarantined", failed.reason, meta.platform, meta.layout,
            meta.person_id, coverage,
        )  # fmt: skip
    return IngestResult(
        name, sha256, "ingested", None, meta.platform, meta.layout, meta.person_id,
        export.coverage.as_dict(), changes,
    )  # fmt: skip


class _FailedExpectations(Exception):
    def __init__(self, file_name: str, report: ValidationReport) -> None:
        failed = ", ".join(f"{f['expectation']}({f['column']})" for f in report.failures)
        super().__init__(failed)
        self.reason = f"{file_name}: failed expectations: {failed}"
        self.report = report


def _store_batches(
    con: duckdb.DuckDBPyConnection, meta: store.ArchiveMeta, export: OpenExport, batch_size: int
) -> store.PostChanges:
    """Validate and stage each batch as it is parsed; commit once, after the last one. The
    first batch failing its expectations rolls every batch back."""
    coverage = export.coverage
    batches = 0
    # The settings wrap the writer, so they are restored after its rollback, not inside it.
    with _settings(con, MERGE_SETTINGS), store.ArchiveWriter(con, meta) as writer:
        for batch in posts_frames(export.records(), meta.person_id, coverage, batch_size):
            report = validate_posts(batch)
            if not report.success:
                raise _FailedExpectations(meta.file_name, report)
            writer.add(batch)
            batches += 1
        stored = writer.distinct_posts()
        if repeated := writer.rows_added - stored:  # the same post in two batches
            coverage.skip("duplicate_id", repeated)
        coverage.note_stored(writer.stored_by_platform())
        validation = ValidationReport("posts", True).as_dict() | {"batches": batches}
        return writer.finish(coverage.as_dict(), validation)


@contextmanager
def _settings(con: duckdb.DuckDBPyConnection, values: dict[str, str]) -> Iterator[None]:
    """DuckDB settings changed for the block, then restored."""
    before = {
        name: con.execute("SELECT current_setting(?)", [name]).fetchone()[0] for name in values
    }
    for name, value in values.items():
        con.execute(f"SET {name} = ?", [value])
    try:
        yield
    finally:
        for name, value in before.items():
            con.execute(f"SET {name} = ?", [value])
