"""The Prefect flows, run for real on a temporary Prefect server."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from socialaudit.settings import serving_db_path
from tests.x_export import tweet, write_x_export

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_server")]

RULEBOOK = Path(__file__).parent / "fixtures" / "rulebook_min"
ROSTER = (
    "person_id,display_name,team,role,regulator,twitter\np1,Alex,acute/ed,paramedic,hcpc,alex\n"
)


def make_inbox(root: Path) -> Path:
    inbox = root / "inbox"
    write_x_export(
        inbox / "p1" / "twitter-2024",
        "alex",
        [
            tweet("1", "pt in bed 4 is 84yo", datetime(2023, 3, 1)),
            tweet("2", "lovely shift", datetime(2024, 3, 1)),
        ],
    )
    (inbox / "p1" / "broken.zip").write_text("not a zip")
    return inbox


def test_audit_flow_ingests_scores_files_away_and_is_idempotent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.audit import audit

    monkeypatch.setenv("SOCIALAUDIT_RULES", str(RULEBOOK))
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    db_path = tmp_path / "audit.duckdb"
    inbox = make_inbox(tmp_path)

    first = audit(str(db_path), str(inbox), str(roster))
    assert first["status"] == "completed"
    assert first["counts"]["archives_ingested"] == 1
    assert first["counts"]["archives_quarantined"] == 1
    assert first["counts"]["posts_added"] == 2
    assert first["counts"]["findings_added"] == 1
    assert first["totals"]["by_team"] == {"acute/ed": 1}
    assert first["changes"]["added"] == [{"rule_id": "T-CONF", "team": "acute/ed", "findings": 1}]
    # Handled exports leave the inbox: processed/ and quarantine/ (with its reason) beside it.
    assert list((inbox / "p1").iterdir()) == []
    [processed] = (tmp_path / "processed").glob("*/p1/twitter-2024")
    [reason] = (tmp_path / "quarantine").glob("*/p1/broken.zip.reason.txt")
    assert "not a zip archive" in reason.read_text()
    report = Path(first["report"]).read_text()
    assert "| broken.zip | p1 | quarantined |" in report and "| T-CONF | acute/ed | 1 |" in report

    # The same export delivered again changes nothing.
    shutil.copytree(processed, inbox / "p1" / "twitter-2024")
    second = audit(str(db_path), str(inbox), str(roster))
    assert second["counts"]["archives_unchanged"] == 1
    assert second["counts"]["posts_added"] == second["counts"]["posts_scored"] == 0
    assert second["totals"] == first["totals"]
    assert second["changes"] == {"added": [], "retired": []}

    served = duckdb.connect(str(serving_db_path(db_path)), read_only=True)
    assert served.execute("SELECT count(*) FROM findings").fetchone()[0] == 1
    runs = served.execute("SELECT status FROM runs ORDER BY started_at").fetchall()
    assert runs == [("completed",), ("completed",)]
    served.close()


def test_ingest_and_score_flows_from_the_command_line_functions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.ingest import ingest
    from flows.score import score

    monkeypatch.setenv("SOCIALAUDIT_RULES", str(RULEBOOK))
    export = write_x_export(
        tmp_path / "x", "alex", [tweet("1", "pt in bed 4 is 84yo", datetime(2024, 1, 1))]
    )
    zipped = Path(shutil.make_archive(str(tmp_path / "x-zip"), "zip", export))
    db_path = str(tmp_path / "db.duckdb")
    [result] = ingest(db_path, [str(zipped)])
    assert result["status"] == "ingested" and result["coverage"]["records_stored"] == 1
    assert score(db_path)["added"] == 1
    assert score(db_path)["posts"] == 0
