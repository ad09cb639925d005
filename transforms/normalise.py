"""Turn parsed records into the normalised posts frame that is validated and stored."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime

import polars as pl

from transforms.records import Coverage, PostRecord

POSTS_SCHEMA = {
    "platform": pl.String,
    "post_id": pl.String,
    "person_id": pl.String,
    "created_at": pl.Datetime("us"),
    "kind": pl.String,
    "text": pl.String,
    "text_sha256": pl.String,
    "visibility": pl.String,
    "url": pl.String,
    "in_reply_to": pl.String,
    "like_count": pl.Int64,
    "repost_count": pl.Int64,
}


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def to_utc_naive(moment: datetime) -> datetime:
    """Stored timestamps are UTC without a zone; a naive input is taken to be UTC already."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def posts_frame(
    records: Iterable[PostRecord], person_id: str | None, coverage: Coverage
) -> pl.DataFrame:
    """One row per distinct post id; a repeated id keeps its last version and is counted."""
    rows: dict[tuple[str, str], dict[str, object]] = {}
    for record in records:
        key = (record.platform, record.post_id)
        if key in rows:
            coverage.skip("duplicate_id")
        rows[key] = {
            "platform": record.platform,
            "post_id": record.post_id,
            "person_id": person_id,
            "created_at": to_utc_naive(record.created_at),
            "kind": record.kind,
            "text": record.text,
            "text_sha256": text_sha256(record.text),
            "visibility": record.visibility,
            "url": record.url,
            "in_reply_to": record.in_reply_to,
            "like_count": record.like_count,
            "repost_count": record.repost_count,
        }
    return pl.DataFrame(list(rows.values()), schema=POSTS_SCHEMA)
