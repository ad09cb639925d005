"""The README's main job, end to end: the audit flow on the bundled sample organisation.

Expected figures are derived independently of the pipeline: posts per team from the sample's
own source (posts.yaml, reposts excluded), findings per team by scoring those texts directly with
the rulebook, outside Prefect and DuckDB.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
import yaml

from socialaudit.settings import SAMPLE_DIR
from transforms.inbox import find_exports
from transforms.ingest import read_export
from transforms.scoring.engine import Scorer

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_server")]


def expected_per_team() -> tuple[Counter[str], Counter[str]]:
    """Posts per team from the sample's source, findings per team from parsing each export and
    scoring its texts directly."""
    with (SAMPLE_DIR / "roster.csv").open() as file:
        team_of = {row["person_id"]: row["team"] for row in csv.DictReader(file)}
    source = yaml.safe_load((SAMPLE_DIR / "posts.yaml").read_text())
    posts = Counter(
        team_of[person]
        for person, items in source["people"].items()
        for item in items
        if item.get("kind") != "repost"
    )
    scorer = Scorer.load()
    findings: Counter[str] = Counter()
    for export in find_exports(SAMPLE_DIR / "inbox"):
        frame = read_export(export.path).posts
        dates = [moment.date() for moment in frame["created_at"]]
        for found in scorer.score_many(frame["text"].to_list(), dates):
            findings[team_of[str(export.person_id)]] += len(found)
    return posts, findings


def test_audit_of_the_sample_organisation(tmp_path: Path) -> None:
    from flows.audit import audit

    db_path = str(tmp_path / "sample.duckdb")
    first = audit(db_path, str(SAMPLE_DIR / "inbox"), str(SAMPLE_DIR / "roster.csv"), move=False)
    posts, findings = expected_per_team()

    import duckdb

    con = duckdb.connect(db_path, read_only=True)
    stored_posts = dict(
        con.execute(
            "SELECT m.team_id, count(*) FROM posts p JOIN team_memberships m USING (person_id) "
            "GROUP BY ALL"
        ).fetchall()
    )
    con.close()
    assert stored_posts == dict(posts)
    assert first["totals"]["by_team"] == dict(findings)
    assert first["counts"]["archives_ingested"] == 12
    assert first["counts"]["archives_quarantined"] == 0
    assert sum(findings.values()) > 0

    second = audit(db_path, str(SAMPLE_DIR / "inbox"), str(SAMPLE_DIR / "roster.csv"), move=False)
    assert second["counts"]["archives_unchanged"] == 12
    assert second["counts"]["posts_added"] == second["counts"]["posts_scored"] == 0
    assert second["counts"]["findings_added"] == second["counts"]["findings_retired"] == 0
    assert second["totals"] == first["totals"]
    assert list((SAMPLE_DIR / "inbox").iterdir()), "the bundled sample must never be moved"
