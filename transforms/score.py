"""Score stored posts: which posts need scoring, and their findings as a frame to store.

Scoring is incremental: a post is scored once per rulebook version and text. A finding's id is a
fingerprint of the post, its text, the rule and the matched words, so it survives re-ingestion
and re-scoring, and review decisions keyed by it are never lost.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import duckdb
import polars as pl

if TYPE_CHECKING:  # the engine imports spaCy: not needed to find pending posts
    from transforms.scoring.engine import Scorer

FINDINGS_SCHEMA = {
    "finding_id": pl.String,
    "platform": pl.String,
    "post_id": pl.String,
    "person_id": pl.String,
    "rule_id": pl.String,
    "category": pl.String,
    "severity": pl.String,
    "confidence": pl.Float64,
    "start_char": pl.Int32,
    "end_char": pl.Int32,
    "spans": pl.String,
    "excerpt": pl.String,
    "message": pl.String,
    "guidance": pl.String,
    "standard": pl.String,
    "post_created_at": pl.Datetime("us"),
}


def finding_id(platform: str, post_id: str, text_sha256: str, rule_id: str, matched: str) -> str:
    key = "\x1f".join((platform, post_id, text_sha256, rule_id, matched))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


_POSTS_FOR_SCORING = """
    SELECT p.platform, p.post_id, p.person_id, p.text, p.text_sha256, p.created_at,
           coalesce(pe.regulator, 'hcpc') AS regulator
    FROM posts p LEFT JOIN people pe USING (person_id)
"""


def pending_posts(con: duckdb.DuckDBPyConnection, version: str, limit: int) -> pl.DataFrame:
    """Up to `limit` posts never scored under this rulebook version with their current text.
    Posts whose text retention has purged are left alone: there is nothing left to score."""
    return con.sql(
        _POSTS_FOR_SCORING
        + """WHERE p.text_purged_at IS NULL AND NOT EXISTS (
               SELECT 1 FROM scored_posts s
               WHERE s.platform = p.platform AND s.post_id = p.post_id
                 AND s.rulebook_version = $version AND s.text_sha256 = p.text_sha256)
           ORDER BY p.platform, p.post_id
           LIMIT $limit""",
        params={"version": version, "limit": limit},
    ).pl()


def stored_posts(con: duckdb.DuckDBPyConnection, offset: int, limit: int) -> pl.DataFrame:
    """A page of every stored post, in a stable order, for previews over the whole history."""
    return con.sql(
        _POSTS_FOR_SCORING
        + "WHERE p.text_purged_at IS NULL "
        + "ORDER BY p.platform, p.post_id LIMIT $limit OFFSET $offset",
        params={"limit": limit, "offset": offset},
    ).pl()


def score_posts(scorer: Scorer, posts: pl.DataFrame) -> pl.DataFrame:
    """Every finding for a frame of posts (columns as `pending_posts` returns)."""
    rows = []
    dates = [d.date() for d in posts["created_at"]]
    results = scorer.score_many(posts["text"].to_list(), dates, posts["regulator"].to_list())
    for post, findings in zip(posts.iter_rows(named=True), results, strict=True):
        for f in findings:
            rows.append(
                {
                    "finding_id": finding_id(
                        post["platform"],
                        post["post_id"],
                        post["text_sha256"],
                        f.rule_id,
                        f.matched_text,
                    ),
                    "platform": post["platform"],
                    "post_id": post["post_id"],
                    "person_id": post["person_id"],
                    "rule_id": f.rule_id,
                    "category": f.category,
                    "severity": f.severity,
                    "confidence": f.confidence,
                    "start_char": f.start,
                    "end_char": f.end,
                    "spans": _spans_json(f.spans),
                    "excerpt": f.excerpt,
                    "message": f.message,
                    "guidance": f.guidance,
                    "standard": f.standard,
                    "post_created_at": post["created_at"],
                }
            )
    return pl.DataFrame(rows, schema=FINDINGS_SCHEMA)


def _spans_json(spans: tuple[tuple[int, int], ...]) -> str:
    return "[" + ",".join(f"[{s},{e}]" for s, e in spans) + "]"
