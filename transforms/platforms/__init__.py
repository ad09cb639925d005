"""Registry of platform parsers. Each parser module exposes one `Parser` that recognises its
export by file names and structure (never by full path) and yields the person's authored items.

To add a platform: write `transforms/platforms/<name>.py` with a class satisfying `ExportParser`,
add it to `PARSERS`, and add a fixture with its expected items under tests/fixtures/<name>/.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from transforms.archive import ExportFiles
from transforms.records import AccountInfo, Coverage, PostRecord


class ExportParser(Protocol):
    platform: str

    def detect(self, files: ExportFiles) -> str | None:
        """The layout name when this export is one of ours, else None."""

    def account(self, files: ExportFiles) -> AccountInfo:
        """The account the export belongs to, as stated inside it."""

    def parse(self, files: ExportFiles, layout: str, coverage: Coverage) -> Iterator[PostRecord]:
        """Every authored item; every record read and not yielded is counted in coverage."""


def all_parsers() -> list[ExportParser]:
    from transforms.platforms import (
        bluesky,
        facebook,
        generic,
        instagram,
        linkedin,
        mastodon,
        reddit,
        threads,
        tiktok,
        twitter,
    )

    return [
        twitter.Parser(),
        facebook.Parser(),
        instagram.Parser(),
        threads.Parser(),
        tiktok.Parser(),
        linkedin.Parser(),
        mastodon.Parser(),
        bluesky.Parser(),
        reddit.Parser(),
        generic.Parser(),
    ]


class UnrecognisedExport(Exception):
    """No parser recognised the export; the message lists what was found."""


def detect_all(files: ExportFiles) -> list[tuple[ExportParser, str]]:
    """Every parser that recognises the export (an Instagram export can also hold Threads)."""
    found = []
    for parser in all_parsers():
        layout = parser.detect(files)
        if layout:
            found.append((parser, layout))
    if found:
        return found
    sample = ", ".join(sorted({m.basename for m in files.members})[:12]) or "no files"
    raise UnrecognisedExport(f"{files.path.name}: not a recognised export (found: {sample})")
