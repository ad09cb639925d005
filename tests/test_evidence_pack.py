"""The evidence pack: one person's findings with decisions and provenance, as HTML and CSV."""

from __future__ import annotations

import csv
import re
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from dashboards.data_access import record_decision
from socialaudit import db
from socialaudit.cli import app
from socialaudit.settings import decisions_db_path
from tests.x_export import tweet, write_x_export
from transforms import store
from transforms.ingest import export_sha256, ingest_export
from transforms.publish import publish_serving_copy
from transforms.roster import read_roster
from transforms.score import pending_posts, score_posts
from transforms.scoring.engine import Scorer

RULEBOOK = Path(__file__).parent / "fixtures" / "rulebook_min"
ROSTER = (
    "person_id,display_name,team,role,regulator,twitter\n"
    "p1,Alex Smith,acute/ed,paramedic,hcpc,alex\n"
    "p2,Bo Lee,acute/ed,paramedic,hcpc,bo\n"
)
HOSTILE = '=HYPERLINK("https://evil.example") <img src=x onerror=alert(1)> pt in bed 4 is 84yo'

runner = CliRunner()


def score_everything(con: duckdb.DuckDBPyConnection, scorer: Scorer) -> None:
    posts = pending_posts(con, scorer.version, 1000)
    store.store_scored_chunk(con, posts, score_posts(scorer, posts), scorer.version)


@pytest.fixture
def audited(tmp_path: Path) -> dict[str, object]:
    """A published database: Alex's X export scored, then re-scored by a rulebook that no
    longer knows 'bed blocker', so one finding is active and one retired."""
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    db_path = tmp_path / "audit.duckdb"
    con = db.connect(db_path)
    store.apply_roster(con, read_roster(roster), date(2020, 1, 1))
    export = write_x_export(
        tmp_path / "alex-x-2024",
        "alex",
        [
            tweet("1", HOSTILE, datetime(2023, 3, 1)),
            tweet("2", "that patient is a bed blocker", datetime(2024, 10, 1)),
            tweet("3", "lovely shift today", datetime(2024, 10, 2)),
        ],
    )
    assert ingest_export(con, export, "p1").status == "ingested"
    first = Scorer.load(RULEBOOK)
    score_everything(con, first)
    changed = tmp_path / "rules"
    shutil.copytree(RULEBOOK, changed)
    rules = changed / "categories" / "test.yaml"
    rules.write_text(rules.read_text().replace("[bed blocker, frequent flyer]", "[frequent flyer]"))
    second = Scorer.load(changed)
    score_everything(con, second)
    ids = dict(con.execute("SELECT post_id, finding_id FROM findings").fetchall())
    con.close()
    publish_serving_copy(db_path)
    return {
        "db": db_path,
        "sha256": export_sha256(export),
        "ids": ids,
        "versions": (first.version, second.version),
    }


def test_evidence_pack_shows_findings_decisions_and_provenance(
    audited: dict[str, object], tmp_path: Path
) -> None:
    db_path, ids = audited["db"], audited["ids"]
    record_decision(ids["1"], "confirmed", "alice", "identifiable patient", db_path)
    record_decision(ids["1"], "escalated", "bob", None, db_path)
    out = tmp_path / "packs"

    result = runner.invoke(
        app,
        ["report", "--person", "p1", "--out", str(out), "--db", str(db_path)],
        env={"USER": "carol"},
    )

    assert result.exit_code == 0, result.output
    html_path, csv_path = out / "evidence-pack-p1.html", out / "evidence-pack-p1.csv"
    assert f"2 findings for p1: {html_path} and {csv_path}" in result.output
    assert "84yo" not in result.output  # never post text on the terminal
    for path in (html_path, csv_path):
        assert oct(path.stat().st_mode & 0o777) == "0o600"

    html = html_path.read_text(encoding="utf-8")
    first_version, second_version = audited["versions"]
    assert "<h1>Evidence pack: Alex Smith</h1>" in html
    assert "p1 · paramedic · HCPC · acute/ed" in html
    assert html.count(audited["sha256"]) == 3  # the archives table and both findings
    assert "alex-x-2024" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert "<mark>pt</mark>" in html and "<mark>84yo</mark>" in html
    assert "<td>alice</td><td>confirmed</td><td>identifiable patient</td>" in html
    assert "<td>bob</td><td>escalated</td>" in html
    assert '<span class="badge">escalated</span>' in html
    assert '<span class="badge">Retired</span>' in html
    assert "that patient is a bed blocker" in html  # the retired finding's excerpt
    assert f"<code>{second_version}</code>" in html and f"<code>{first_version}</code>" in html
    assert "<script" not in html.lower()
    assert re.findall(r'href="([^"]*)"', html) == [
        "https://x.com/alex/status/1",
        "https://x.com/alex/status/2",
    ]

    with csv_path.open(encoding="utf-8-sig", newline="") as file:
        rows = {row["post_id"]: row for row in csv.DictReader(file)}
    assert set(rows) == {"1", "2"}
    active, retired = rows["1"], rows["2"]
    assert active["post_text"] == "'" + HOSTILE  # a formula shows as text in a spreadsheet
    assert active["archive_file"] == "alex-x-2024"
    assert active["archive_sha256"] == audited["sha256"]
    assert (active["status"], active["active"]) == ("escalated", "True")
    assert active["rule_id"] == "T-CONF"
    assert active["rulebook_version"] == second_version
    assert active["standard"] == "HCPC SCPE 2016 5.1"
    assert "alice confirmed: identifiable patient | " in active["decision_history"]
    assert active["decision_history"].endswith("bob escalated")
    assert (retired["status"], retired["active"]) == ("open", "False")
    assert retired["rule_id"] == "T-DIGN"
    assert retired["rulebook_version"] == first_version and retired["retired_at"]
    assert retired["decision_history"] == ""

    log = duckdb.connect(str(decisions_db_path(db_path)), read_only=True)
    entries = log.execute(
        "SELECT actor, subject FROM audit_log WHERE action = 'evidence_pack'"
    ).fetchall()
    log.close()
    assert entries == [("carol", "p1")]


def test_unknown_person_writes_and_logs_nothing(audited: dict[str, object], tmp_path: Path) -> None:
    out = tmp_path / "packs"
    result = runner.invoke(
        app, ["report", "--person", "nobody", "--out", str(out), "--db", str(audited["db"])]
    )
    assert result.exit_code == 1
    assert "no person nobody" in result.output
    assert not out.exists()
    assert not decisions_db_path(audited["db"]).exists()
