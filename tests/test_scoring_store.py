"""Scoring stored posts: incremental, idempotent, and re-scored when the rulebook changes."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from socialaudit import db
from tests.x_export import tweet, write_x_export
from transforms import store
from transforms.ingest import ingest_export
from transforms.score import pending_posts, score_posts
from transforms.scoring.engine import Scorer

RULEBOOK = Path(__file__).parent / "fixtures" / "rulebook_min"


def score_all(
    con: duckdb.DuckDBPyConnection, scorer: Scorer, chunk: int = 2
) -> tuple[int, int, int]:
    totals = [0, 0, 0]
    while True:
        posts = pending_posts(con, scorer.version, chunk)
        if posts.is_empty():
            return tuple(totals)  # type: ignore[return-value]
        changes = store.store_scored_chunk(con, posts, score_posts(scorer, posts), scorer.version)
        totals = [totals[0] + changes.posts, totals[1] + changes.added, totals[2] + changes.retired]


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    connection = db.connect(tmp_path / "test.duckdb")
    ingest_export(
        connection,
        write_x_export(
            tmp_path / "x",
            "someone",
            [
                tweet("1", "pt in bed 4 is 84yo", datetime(2023, 3, 1)),
                tweet("2", "that patient is a bed blocker", datetime(2024, 10, 1)),
                tweet("3", "lovely shift today", datetime(2024, 10, 2)),
            ],
        ),
    )
    yield connection
    connection.close()


def findings(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT post_id, rule_id, standard, active, start_char, end_char FROM findings "
        "ORDER BY post_id, rule_id"
    ).fetchall()


def test_scoring_is_incremental_and_idempotent(con) -> None:
    scorer = Scorer.load(RULEBOOK)
    assert score_all(con, scorer) == (3, 2, 0)
    assert findings(con) == [
        ("1", "T-CONF", "HCPC SCPE 2016 5.1", True, 0, 2),
        ("2", "T-DIGN", "HCPC SCPE 2024 1.1", True, 18, 29),
    ]
    assert score_all(con, scorer) == (0, 0, 0)  # nothing new: nothing scored


def test_changed_rulebook_rescores_history_and_retires(con, tmp_path: Path) -> None:
    score_all(con, Scorer.load(RULEBOOK))
    first_ids = {r[0] for r in con.execute("SELECT finding_id FROM findings").fetchall()}
    changed = tmp_path / "rules"
    shutil.copytree(RULEBOOK, changed)
    rules = changed / "categories" / "test.yaml"
    rules.write_text(rules.read_text().replace("[bed blocker, frequent flyer]", "[frequent flyer]"))
    scorer = Scorer.load(changed)
    assert score_all(con, scorer) == (3, 0, 1)
    assert findings(con) == [
        ("1", "T-CONF", "HCPC SCPE 2016 5.1", True, 0, 2),
        ("2", "T-DIGN", "HCPC SCPE 2024 1.1", False, 18, 29),
    ]
    # The surviving finding keeps its id, so its review decisions still apply.
    kept = con.execute("SELECT finding_id, rulebook_version FROM findings WHERE active").fetchall()
    assert kept[0][0] in first_ids and kept[0][1] == scorer.version


def test_edited_post_is_rescored(con, tmp_path: Path) -> None:
    scorer = Scorer.load(RULEBOOK)
    score_all(con, scorer)
    ingest_export(
        con,
        write_x_export(
            tmp_path / "newer",
            "someone",
            [
                tweet("1", "pt in bed 4 is 84yo", datetime(2023, 3, 1)),
                tweet("2", "that patient is lovely", datetime(2024, 10, 1)),
                tweet("3", "lovely shift today", datetime(2024, 10, 2)),
            ],
        ),
    )
    assert score_all(con, scorer) == (1, 0, 1)
    assert [r[:2] for r in findings(con) if r[3]] == [("1", "T-CONF")]


def test_rulebook_diff_previews_without_writing(con, tmp_path: Path) -> None:
    from transforms.scoring.diff import preview_rulebook

    score_all(con, Scorer.load(RULEBOOK))
    before = con.execute("SELECT * FROM findings ORDER BY finding_id").fetchall()
    changed = tmp_path / "rules"
    shutil.copytree(RULEBOOK, changed)
    rules = changed / "categories" / "test.yaml"
    rules.write_text(rules.read_text().replace("[bed blocker, frequent flyer]", "[frequent flyer]"))
    signals = changed / "signals" / "test.yaml"
    signals.write_text(signals.read_text().replace("IN: [bed, bay]", "IN: [bed, bay, room]"))
    con.execute(
        "INSERT INTO posts SELECT * REPLACE ('9' AS post_id, 'pt in room 7 is 90yo' AS text)"
        " FROM posts WHERE post_id = '3'"
    )
    preview = preview_rulebook(con, Scorer.load(changed))
    assert preview.rows() == [
        ("appear", "T-CONF", "unassigned", 1),
        ("disappear", "T-DIGN", "unassigned", 1),
    ]
    assert con.execute("SELECT * FROM findings ORDER BY finding_id").fetchall() == before
