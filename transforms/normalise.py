"""Turn parsed records into the normalised posts frames that are validated and stored.

Records arrive one at a time from a parser and leave as frames of at most `BATCH_SIZE` posts, so
an archive of any size is held in memory one batch at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

import polars as pl

from transforms.records import Coverage, PostRecord

# Each batch is validated by Great Expectations (about 0.06 s a batch whatever its size, plus a
# little per row) and held three times over (records, frame, pandas copy): 20,000 balances both.
BATCH_SIZE = 20_000

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


def posts_frames(
    records: Iterable[PostRecord],
    person_id: str | None,
    coverage: Coverage,
    batch_size: int | None = BATCH_SIZE,
) -> Iterator[pl.DataFrame]:
    """Frames of at most `batch_size` distinct posts (all in one frame when None).

    A post id repeated within a frame keeps its last version and is counted as a duplicate; one
    repeated across frames is the store's to resolve the same way (see store.ArchiveWriter)."""
    rows: dict[tuple[str, str], tuple[object, ...]] = {}
    for record in records:
        key = (record.platform, record.post_id)
        if key in rows:
            coverage.skip("duplicate_id")
        rows[key] = _row(record)
        if len(rows) == batch_size:
            yield _frame(rows.values(), person_id)
            rows = {}
    if rows:
        yield _frame(rows.values(), person_id)


def posts_frame(
    records: Iterable[PostRecord], person_id: str | None, coverage: Coverage
) -> pl.DataFrame:
    """Every record in one frame, one row per distinct post id."""
    frames = list(posts_frames(records, person_id, coverage, None))
    return frames[0] if frames else _frame([], person_id)


# The columns a record fills, in the order `_row` lists them; times as epoch microseconds.
_FROM_RECORD = {
    name: pl.Int64 if name == "created_at" else dtype
    for name, dtype in POSTS_SCHEMA.items()
    if name != "person_id"
}
_EPOCH = datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


def _row(record: PostRecord) -> tuple[object, ...]:
    return (
        record.platform,
        record.post_id,
        (to_utc_naive(record.created_at) - _EPOCH) // _MICROSECOND,
        record.kind,
        record.text,
        text_sha256(record.text),
        record.visibility,
        record.url,
        record.in_reply_to,
        record.like_count,
        record.repost_count,
    )


def _frame(rows: Iterable[tuple[object, ...]], person_id: str | None) -> pl.DataFrame:
    return (
        pl.DataFrame(list(rows), schema=_FROM_RECORD, orient="row")
        .with_columns(
            pl.col("created_at").cast(POSTS_SCHEMA["created_at"]),
            pl.lit(person_id, dtype=pl.String).alias("person_id"),
        )
        .select(list(POSTS_SCHEMA))
    )
