"""Backups round-trip; erasure leaves no trace of the person, not even in the files' bytes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from socialaudit import db, decisions
from socialaudit.maintenance import backup, erase_person, restore
from socialaudit.settings import decisions_db_path, serving_db_path
from tests.x_export import tweet, write_x_export
from transforms.ingest import ingest_export
from transforms.publish import publish_serving_copy
from transforms.roster import read_roster
from transforms.score import pending_posts, score_posts
from transforms.scoring.engine import Scorer
from transforms.store import apply_roster, store_scored_chunk

RULEBOOK = Path(__file__).parent / "fixtures" / "rulebook_min"
ERASED_TEXT = "pt Mrs Quillfeather in bed 4 is 84yo"


def build(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "org.duckdb"
    con = db.connect(path)
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "person_id,display_name,team,role,regulator,twitter\n"
        "p1,Ann,ed,nurse,nmc,ann\np2,Bob,ed,nurse,nmc,bob\n"
    )
    apply_roster(con, read_roster(roster), datetime(2025, 1, 1).date())
    ingest_export(
        con, write_x_export(tmp_path / "a", "ann", [tweet("1", ERASED_TEXT, datetime(2024, 1, 1))])
    )
    ingest_export(
        con,
        write_x_export(
            tmp_path / "b",
            "bob",
            [tweet("2", "that patient is a bed blocker", datetime(2024, 1, 1))],
        ),
    )
    scorer = Scorer.load(RULEBOOK)
    posts = pending_posts(con, scorer.version, 100)
    store_scored_chunk(con, posts, score_posts(scorer, posts), scorer.version)
    finding = con.execute("SELECT finding_id FROM findings WHERE person_id = 'p1'").fetchone()[0]
    con.close()
    decisions.record_decision(decisions_db_path(path), finding, "confirmed", "alice", ERASED_TEXT)
    publish_serving_copy(path)
    return path


def snapshot(path: Path) -> list[object]:
    con = duckdb.connect(str(path), read_only=True)
    rows = [
        con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
        for t in ("people", "posts", "findings", "archives", "scored_posts")
    ]
    con.close()
    return rows


def test_backup_and_restore_round_trip(tmp_path: Path) -> None:
    path = build(tmp_path)
    before = snapshot(path)
    folder = backup(path, tmp_path / "backups")
    con = db.connect(path)
    con.execute("DELETE FROM findings")
    con.execute("DELETE FROM posts")
    con.close()
    assert snapshot(path) != before
    restore(folder, path)
    assert snapshot(path) == before
    assert snapshot(serving_db_path(path)) == before


def test_restore_refuses_a_tampered_backup(tmp_path: Path) -> None:
    path = build(tmp_path)
    folder = backup(path, tmp_path / "backups")
    with (folder / path.name).open("ab") as file:
        file.write(b"tampered")
    with pytest.raises(ValueError, match="does not match its manifest"):
        restore(folder, path)


def test_erasure_removes_every_trace(tmp_path: Path) -> None:
    path = build(tmp_path)
    erased = erase_person(path, "p1", "dpo")
    assert (erased.posts, erased.findings, erased.archives, erased.reviews) == (1, 1, 1, 1)
    con = duckdb.connect(str(path), read_only=True)
    for table in ("people", "posts", "findings", "archives", "accounts", "team_memberships"):
        assert con.execute(f"SELECT count(*) FROM {table} WHERE person_id = 'p1'").fetchone() == (
            0,
        )
    assert con.execute("SELECT count(*) FROM posts").fetchone() == (1,)  # Bob's stays
    con.close()
    for file in (path, serving_db_path(path), decisions_db_path(path)):
        assert b"Quillfeather" not in file.read_bytes(), file.name
    log = duckdb.connect(str(decisions_db_path(path)), read_only=True)
    action, subject, detail = log.execute(
        "SELECT action, subject, detail FROM audit_log ORDER BY logged_at DESC LIMIT 1"
    ).fetchone()
    log.close()
    assert (action, subject) == ("erase_person", "p1") and '"posts": 1' in detail


def test_retention_purges_only_text_no_open_case_needs(tmp_path: Path) -> None:
    from socialaudit.maintenance import purge_unflagged_text

    path = build(tmp_path)
    con = db.connect(path)
    ingest_export(
        con,
        write_x_export(
            tmp_path / "c",
            "ann",
            [tweet("3", "an unremarkable Zanzibar holiday post", datetime(2024, 2, 1))],
        ),
    )
    con.execute("UPDATE posts SET first_seen_at = first_seen_at - INTERVAL 400 DAY")
    bob_finding = con.execute("SELECT finding_id FROM findings WHERE person_id = 'p2'").fetchone()[
        0
    ]
    con.close()
    assert purge_unflagged_text(path, 365) == 1  # Ann's confirmed and Bob's open case stay
    decisions.record_decision(decisions_db_path(path), bob_finding, "dismissed", "rev", "fine")
    assert purge_unflagged_text(path, 365) == 1  # Bob's case is closed now
    con = duckdb.connect(str(path), read_only=True)
    texts = dict(con.execute("SELECT post_id, text FROM posts").fetchall())
    purged = con.execute("SELECT count(*) FROM posts WHERE text_purged_at IS NOT NULL").fetchone()
    con.close()
    assert texts == {"1": ERASED_TEXT, "2": "", "3": ""} and purged == (2,)
    assert b"Zanzibar" not in path.read_bytes()
    assert purge_unflagged_text(path, 365) == 0
