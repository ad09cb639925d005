"""Ingest one export: read it, decide whose it is, validate the batch, store it.

Every outcome is recorded in the archives table with its reason: an export that cannot be read,
that belongs to someone else, or that fails its expectations is quarantined, and none of its posts
are stored. Ingesting the same export twice changes nothing.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from transforms import store
from transforms.archive import ArchiveError, ExportFiles
from transforms.normalise import posts_frame
from transforms.platforms import UnrecognisedExport, detect_all
from transforms.records import AccountInfo, Coverage
from transforms.roster import normalise_handle
from transforms.validate import validate_posts

log = logging.getLogger(__name__)


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


def export_sha256(path: Path) -> str:
    """The export's fingerprint: the zip's bytes, or a folder's file names and contents."""
    digest = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        with file.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def read_export(path: Path, sha256: str | None = None) -> ParsedExport:
    """Parse every authored item of an export; raises Rejected with a reason on bad input."""
    sha256 = sha256 or export_sha256(path)
    coverage = Coverage()
    try:
        with ExportFiles(path) as files:
            matches = detect_all(files)
            records = []
            for parser, layout in matches:
                records.extend(parser.parse(files, layout, coverage))
            account = matches[0][0].account(files)
    except (ArchiveError, UnrecognisedExport) as error:
        raise Rejected(str(error)) from None
    except Exception as error:  # a parser bug must not stop the batch, nor leak post text
        log.exception("parser failed on %s", path.name)
        raise Rejected(f"{path.name}: could not be parsed ({type(error).__name__})") from None
    frame = posts_frame(records, None, coverage)
    coverage.records_stored = frame.height
    return ParsedExport(
        file_name=path.name,
        sha256=sha256,
        platform="+".join(sorted({p.platform for p, _ in matches})),
        layout="+".join(layout for _, layout in matches),
        account=account,
        posts=frame,
        coverage=coverage,
    )


def owner_of(
    con: duckdb.DuckDBPyConnection, parsed: ParsedExport, person_id: str | None
) -> str | None:
    """Whose export this is. Given a person, the account inside must not belong to anyone else
    nor be missing from the person's registered handles on that platform."""
    platform = parsed.account.platform
    handle = normalise_handle(parsed.account.handle or parsed.account.account_id or "")
    registered = None
    for candidate in (parsed.account.handle, parsed.account.account_id):
        if candidate and registered is None:  # a roster may list a handle or an account id
            registered = store.person_for_account(con, platform, normalise_handle(candidate))
    if person_id is None:
        return registered
    if not store.person_exists(con, person_id):
        raise Rejected(f"{parsed.file_name}: person {person_id} is not in the roster")
    if registered is not None and registered != person_id:
        raise Rejected(
            f"{parsed.file_name}: the export's account @{handle} belongs to {registered}, "
            f"not {person_id}"
        )
    known = con.execute(
        "SELECT count(*) FROM accounts WHERE person_id = ? AND platform = ?", [person_id, platform]
    ).fetchone()[0]
    if registered is None and known:
        raise Rejected(
            f"{parsed.file_name}: the export's account @{handle or '?'} is not one of "
            f"{person_id}'s registered {platform} accounts"
        )
    return person_id


def ingest_export(
    con: duckdb.DuckDBPyConnection, path: Path, person_id: str | None = None
) -> IngestResult:
    sha256 = export_sha256(path)
    if store.archive_status(con, sha256) == "ingested":
        return IngestResult(path.name, sha256, "duplicate", "already ingested")
    meta = store.ArchiveMeta(sha256, path.name, None, None, person_id, None)
    try:
        parsed = read_export(path, sha256)
        meta = store.ArchiveMeta(
            sha256, path.name, parsed.platform, parsed.layout, person_id, parsed.account.handle
        )
        owner = owner_of(con, parsed, person_id)
        meta = store.ArchiveMeta(
            sha256, path.name, parsed.platform, parsed.layout, owner, parsed.account.handle
        )
        posts = parsed.posts.with_columns(pl.lit(owner, dtype=pl.String).alias("person_id"))
        report = validate_posts(posts)
        coverage = parsed.coverage.as_dict()
        if not report.success:
            failed = ", ".join(f"{f['expectation']}({f['column']})" for f in report.failures)
            store.store_rejected_archive(
                con,
                meta,
                "quarantined",
                f"failed expectations: {failed}",
                coverage,
                report.as_dict(),
            )
            return IngestResult(
                path.name,
                sha256,
                "quarantined",
                f"failed expectations: {failed}",
                parsed.platform,
                parsed.layout,
                owner,
                coverage,
            )
        changes = store.store_archive_posts(con, meta, posts, coverage, report.as_dict())
    except Rejected as rejected:
        store.store_rejected_archive(con, meta, "quarantined", str(rejected))
        return IngestResult(
            path.name,
            sha256,
            "quarantined",
            str(rejected),
            meta.platform,
            meta.layout,
            meta.person_id,
        )
    return IngestResult(
        path.name,
        sha256,
        "ingested",
        None,
        parsed.platform,
        parsed.layout,
        owner,
        coverage,
        changes,
    )
