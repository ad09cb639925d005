"""Scoring in parallel chunks finds exactly what one process finds, on every task runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from bench.generate import write_x_archive
from flows.score import task_runner
from socialaudit import db
from transforms import store
from transforms.ingest import ingest_export
from transforms.score import pending_posts, score_posts
from transforms.scoring.engine import Scorer

FINDINGS = """SELECT finding_id, platform, post_id, rule_id, severity, confidence, spans::VARCHAR,
                     excerpt, standard, active
              FROM findings ORDER BY finding_id"""


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding 400 realistic posts, about one in three breaking a rule."""
    folder = tmp_path_factory.mktemp("parallel")
    export = write_x_archive(folder / "x.zip", 400, seed=5)
    path = folder / "ingested.duckdb"
    con = db.connect(path)
    assert ingest_export(con, export).status == "ingested"
    con.close()
    return path


def score_in_one_process(path: Path) -> list[tuple[object, ...]]:
    scorer = Scorer.load()
    con = db.connect(path)
    posts = pending_posts(con, scorer.version, 1_000_000)
    store.store_scored_chunk(con, posts, score_posts(scorer, posts), scorer.version)
    rows = con.execute(FINDINGS).fetchall()
    con.close()
    return rows


def test_unknown_runner_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown runner 'ray'"):
        task_runner("ray")


@pytest.mark.flow
@pytest.mark.usefixtures("prefect_server")
@pytest.mark.parametrize("runner", ["dask", "threads"])
def test_chunked_flow_matches_one_process(runner: str, ingested: Path, tmp_path: Path) -> None:
    from flows.score import score

    expected = score_in_one_process(shutil.copy(ingested, tmp_path / "single.duckdb"))
    parallel = Path(shutil.copy(ingested, tmp_path / "parallel.duckdb"))

    totals = score(str(parallel), chunk_size=40, publish_copy=False, runner=runner, in_flight=3)

    con = duckdb.connect(str(parallel), read_only=True)
    found = con.execute(FINDINGS).fetchall()
    scored, posts = con.execute(
        "SELECT (SELECT count(*) FROM scored_posts), (SELECT count(*) FROM posts)"
    ).fetchone()
    con.close()
    assert len(expected) > 20  # the comparison means something
    assert found == expected
    assert totals["posts"] == scored == posts > 3 * 40  # several windows of several chunks
    assert totals["added"] == len(expected)
