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
    """What an ingest saw and did with it: read == stored + sum(skipped)."""

    files_recognised: list[str] = field(default_factory=list)
    files_ignored: list[str] = field(default_factory=list)
    records_read: int = 0
    records_stored: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    unknown_keys: Counter[str] = field(default_factory=Counter)
    parts: dict[str, list[object]] = field(default_factory=dict)  # an export read from parts

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] += count

    def as_dict(self) -> dict[str, object]:
        return {
            "files_recognised": sorted(self.files_recognised),
            "files_ignored": sorted(self.files_ignored),
            "records_read": self.records_read,
            "records_stored": self.records_stored,
            "skipped": dict(sorted(self.skipped.items())),
            "unknown_keys": dict(sorted(self.unknown_keys.items())),
            "parts": self.parts,
        }
