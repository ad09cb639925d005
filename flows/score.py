"""Score every post not yet scored under the current rulebook, in parallel chunks.

The flow reads a window of pending posts, hands its chunks to the task runner's workers, and
commits the findings chunk by chunk, in order, as the only writer. Workers never open the
database: they get a chunk of posts and the rulebook, and return findings. So the same flow runs
on threads (the default), on local processes, or on a Dask cluster (prefect-dask), and each
commit marks its posts scored, so a run interrupted anywhere resumes where it stopped.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

import polars as pl
from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from flows.publish import publish
from socialaudit import db
from transforms import store
from transforms.score import pending_posts, score_posts
from transforms.scoring.rulebook import Rulebook, load_rulebook

if TYPE_CHECKING:  # the engine imports spaCy, loaded only when a chunk is scored
    from transforms.scoring.engine import Scorer

CHUNK_SIZE = 5000
RUNNERS = ("threads", "processes", "dask")
DEFAULT_WORKERS = 2


def task_runner(name: str = "threads", address: str | None = None, workers: int = 0) -> TaskRunner:
    """The task runner by name: in-process threads, local processes, or Dask (a cluster at
    `address`, else a local one). Dask needs the optional extra: pip install 'socialaudit[dask]'."""
    workers = workers or DEFAULT_WORKERS
    if name == "threads":
        return ThreadPoolTaskRunner(max_workers=workers)
    if name == "processes":
        return ProcessPoolTaskRunner(max_workers=workers)
    if name == "dask":
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError:
            raise ValueError("the dask runner needs: pip install 'socialaudit[dask]'") from None
        if address:
            return DaskTaskRunner(address=address)
        local = {"n_workers": workers, "threads_per_worker": 1, "dashboard_address": None}
        return DaskTaskRunner(cluster_kwargs=local | {"processes": False})
    raise ValueError(f"unknown runner {name!r}; choose one of {', '.join(RUNNERS)}")


_compiled = threading.local()  # one Scorer per worker thread: spaCy objects are not shared


def _scorer(rulebook: Rulebook) -> Scorer:
    """The rulebook compiled once per worker thread (and again only when it changes)."""
    from transforms.scoring.engine import Scorer

    scorer = getattr(_compiled, "scorer", None)
    if scorer is None or scorer.version != rulebook.version:
        scorer = _compiled.scorer = Scorer(rulebook)
    return scorer


@task(cache_policy=NO_CACHE, retries=1)  # no timeout: Prefect cannot enforce one in a thread
def score_chunk(posts: pl.DataFrame, rulebook: Rulebook) -> pl.DataFrame:
    """A worker's whole job: the findings of a chunk of posts. It never touches the database."""
    return score_posts(_scorer(rulebook), posts)


@task(cache_policy=NO_CACHE)
def pending_window(db_path: str, version: str, limit: int) -> pl.DataFrame:
    con = db.connect(db_path)
    try:
        return pending_posts(con, version, limit)
    finally:
        con.close()


@task(cache_policy=NO_CACHE, timeout_seconds=600)
def commit_chunk(
    db_path: str, posts: pl.DataFrame, findings: pl.DataFrame, version: str
) -> dict[str, int]:
    """The single writer: one chunk's findings and scored marks, in one transaction."""
    con = db.connect(db_path)
    try:
        changes = store.store_scored_chunk(con, posts, findings, version)
    finally:
        con.close()
    return {"posts": changes.posts, "added": changes.added, "retired": changes.retired}


@flow(name="score")
def score(
    db_path: str,
    chunk_size: int = CHUNK_SIZE,
    publish_copy: bool = True,
    runner: str | None = None,
    address: str | None = None,
    in_flight: int = 4,
) -> dict[str, Any]:
    """Score window after window of pending posts, `in_flight` chunks at a time on the task
    runner, committing each chunk in order; then publish the serving copy.

    The runner defaults to $SOCIALAUDIT_RUNNER (else threads) and the Dask scheduler address to
    $SOCIALAUDIT_DASK_ADDRESS, so the nightly audit scales out without changing its call."""
    rulebook = load_rulebook()
    totals = {"posts": 0, "added": 0, "retired": 0, "rulebook_version": rulebook.version}
    runner = runner or os.environ.get("SOCIALAUDIT_RUNNER", "threads")
    address = address or os.environ.get("SOCIALAUDIT_DASK_ADDRESS")
    with task_runner(runner, address) as workers:
        while True:
            window = pending_window(db_path, rulebook.version, chunk_size * in_flight)
            if window.is_empty():
                break
            chunks = [window.slice(at, chunk_size) for at in range(0, window.height, chunk_size)]
            futures = [
                workers.submit(score_chunk, {"posts": chunk, "rulebook": rulebook})
                for chunk in chunks
            ]
            for chunk, future in zip(chunks, futures, strict=True):
                counts = commit_chunk(db_path, chunk, future.result(), rulebook.version)
                for key in ("posts", "added", "retired"):
                    totals[key] += counts[key]
    if publish_copy:
        publish(db_path)
    return totals
