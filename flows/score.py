"""Score every post not yet scored under the current rulebook, chunk by chunk."""

from __future__ import annotations

from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.publish import publish
from socialaudit import db
from transforms import store
from transforms.score import pending_posts, score_posts
from transforms.scoring.engine import Scorer
from transforms.scoring.rulebook import load_rulebook

CHUNK_SIZE = 5000


_SCORERS: dict[str, Scorer] = {}


def _scorer() -> Scorer:
    """The scorer for the rulebook as it is now; compiled once per rulebook version."""
    rulebook = load_rulebook()
    if rulebook.version not in _SCORERS:
        _SCORERS[rulebook.version] = Scorer(rulebook)
    return _SCORERS[rulebook.version]


@task(cache_policy=NO_CACHE, timeout_seconds=3600)
def score_next_chunk(db_path: str, chunk_size: int) -> dict[str, int]:
    """Score one chunk of pending posts and commit it; posts 0 means nothing was left."""
    scorer = _scorer()
    con = db.connect(db_path)
    try:
        posts = pending_posts(con, scorer.version, chunk_size)
        if posts.is_empty():
            return {"posts": 0, "added": 0, "retired": 0}
        changes = store.store_scored_chunk(con, posts, score_posts(scorer, posts), scorer.version)
    finally:
        con.close()
    return {"posts": changes.posts, "added": changes.added, "retired": changes.retired}


@flow(name="score")
def score(db_path: str, chunk_size: int = CHUNK_SIZE, publish_copy: bool = True) -> dict[str, Any]:
    """Score chunk after chunk until nothing is pending, then publish the serving copy."""
    totals = {"posts": 0, "added": 0, "retired": 0, "rulebook_version": _scorer().version}
    while True:
        counts = score_next_chunk(db_path, chunk_size)
        if counts["posts"] == 0:
            if publish_copy:
                publish(db_path)
            return totals
        for key in ("posts", "added", "retired"):
            totals[key] += counts[key]
