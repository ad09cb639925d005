"""The shapes every platform parser produces: one `PostRecord` per authored item and a `Coverage`
report that accounts for every record read, so nothing is ever dropped without being counted."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

PLATFORMS = (
    "twitter",
    "facebook",
    "instagram",
    "threads",
    "tiktok",
    "linkedin",
    "mastodon",
    "bluesky",
    "reddit",
    "generic",
)
KINDS = ("post", "reply", "quote", "comment")
VISIBILITIES = ("public", "unlisted", "followers", "direct")


@dataclass(frozen=True)
class PostRecord:
    """One item the person wrote themselves, normalised across platforms."""

    platform: str
    post_id: str
    created_at: datetime  # timezone-aware or naive UTC; stored as naive UTC
    kind: str  # one of KINDS
    text: str
    visibility: str | None = None  # one of VISIBILITIES, None when the export does not say
    url: str | None = None
    in_reply_to: str | None = None
    like_count: int | None = None
    repost_count: int | None = None


@dataclass(frozen=True)
class AccountInfo:
    """The account an export belongs to, as the export itself states it."""

    platform: str
    handle: str | None = None  # without '@'
    display_name: str | None = None
    account_id: str | None = None


@dataclass
class Coverage:
    """What an ingest saw and did with it: read == stored + sum(skipped).

    Each platform's parser counts in its own section (`section`); an export that holds several
    platforms (Instagram with Threads) reports each one apart under "platforms", beside the
    totals, so that neither platform's figures hide in the other's."""

    files_recognised: list[str] = field(default_factory=list)
    files_ignored: list[str] = field(default_factory=list)
    records_read: int = 0
    records_stored: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    unknown_keys: Counter[str] = field(default_factory=Counter)
    parts: dict[str, list[object]] = field(default_factory=dict)  # an export read from parts
    platforms: dict[str, Coverage] = field(default_factory=dict)

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] += count

    def section(self, platform: str) -> Coverage:
        """Where one platform's parser counts; `fold_sections` adds them up once all are read."""
        return self.platforms.setdefault(platform, Coverage())

    def fold_sections(self) -> None:
        """Totals from the sections. A file one parser reads is not another's ignored file."""
        sections = list(self.platforms.values())
        recognised = {name for section in sections for name in section.files_recognised}
        for section in sections:
            section.files_ignored = [f for f in section.files_ignored if f not in recognised]
            self.records_read += section.records_read
            self.skipped.update(section.skipped)
            self.unknown_keys.update(section.unknown_keys)
        self.files_recognised.extend(sorted(recognised))
        self.files_ignored.extend(sorted({f for s in sections for f in s.files_ignored}))

    def note_stored(self, by_platform: dict[str, int]) -> None:
        """Posts stored, in total and per section; a section's posts read, not skipped and not
        stored were repeats of one post (the total counts them as duplicate_id already)."""
        self.records_stored = sum(by_platform.values())
        for platform, section in self.platforms.items():
            section.records_stored = by_platform.get(platform, 0)
            repeats = section.records_read - sum(section.skipped.values()) - section.records_stored
            if repeats > 0:
                section.skip("duplicate_id", repeats)

    def as_dict(self) -> dict[str, object]:
        return {
            "files_recognised": sorted(self.files_recognised),
            "files_ignored": sorted(self.files_ignored),
            "records_read": self.records_read,
            "records_stored": self.records_stored,
            "skipped": dict(sorted(self.skipped.items())),
            "unknown_keys": dict(sorted(self.unknown_keys.items())),
            "parts": self.parts,
            "platforms": {name: section.as_dict() for name, section in self.platforms.items()}
            if len(self.platforms) > 1
            else {},
        }
