"""Several nights of the organisational audit on one inbox: new exports, a re-delivered export,
an edited and a deleted post, review decisions, a changed rulebook, a failed run, a webhook and
decisions recorded while a long run writes. The database is checked after every night."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import duckdb
import pytest

from socialaudit import decisions
from socialaudit.settings import PROJECT_ROOT, SAMPLE_DIR, decisions_db_path, serving_db_path
from tests.x_export import tweet, write_x_export

pytestmark = [pytest.mark.flow, pytest.mark.usefixtures("prefect_server")]

RULEBOOK = Path(__file__).parent / "fixtures" / "rulebook_min"
ROSTER = (
    "person_id,display_name,team,role,regulator,twitter\n"
    "p1,Ann,acute/ed,nurse,nmc,ann\n"
    "p2,Bob,community/physio,physio,hcpc,bob\n"
)
ANN_V1 = [
    tweet("1", "pt in bed 4 is 84yo", datetime(2023, 3, 1)),
    tweet("2", "that patient is a bed blocker", datetime(2024, 2, 1)),
    tweet("3", "lovely shift", datetime(2024, 3, 1)),
]
ANN_V2 = [  # post 3 deleted by Ann, post 2 edited, post 4 new
    tweet("1", "pt in bed 4 is 84yo", datetime(2023, 3, 1)),
    tweet("2", "that patient is a frequent flyer", datetime(2024, 2, 1)),
    tweet("4", "pt in bay 2 is 90yo", datetime(2025, 1, 5)),
]
BOB = [tweet("10", "what a fucking shit day", datetime(2024, 6, 1))]


def query(db_path: Path, sql: str) -> list[tuple[object, ...]]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def active(db_path: Path) -> list[tuple[object, ...]]:
    return query(db_path, "SELECT post_id, rule_id FROM findings WHERE active ORDER BY ALL")


def status_of(db_path: Path, finding_id: str) -> str:
    con = duckdb.connect(str(decisions_db_path(db_path)), read_only=True)
    try:
        return decisions.current_status(con, finding_id)
    finally:
        con.close()


class Hook(BaseHTTPRequestHandler):
    received: list[dict[str, object]] = []

    def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
        length = int(self.headers["Content-Length"])
        Hook.received.append(json.loads(self.rfile.read(length)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_several_nights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows import score as score_flow
    from flows.audit import audit

    rules = tmp_path / "rules"
    shutil.copytree(RULEBOOK, rules)
    monkeypatch.setenv("SOCIALAUDIT_RULES", str(rules))
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    inbox = tmp_path / "inbox"
    db_path = tmp_path / "org.duckdb"
    hook = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    webhook = f"http://127.0.0.1:{hook.server_port}/socialaudit"

    def night() -> dict[str, object]:
        return audit(str(db_path), str(inbox), str(roster), webhook_url=webhook)

    # Night 1: two new exports.
    write_x_export(inbox / "p1" / "twitter-2025-01", "ann", ANN_V1)
    write_x_export(inbox / "p2" / "twitter-2025-01", "bob", BOB)
    first = night()
    assert first["counts"]["archives_ingested"] == 2 and first["counts"]["posts_added"] == 4
    assert active(db_path) == [("1", "T-CONF"), ("10", "T-LANG"), ("2", "T-DIGN")]
    assert Hook.received[-1]["counts"]["findings_added"] == 3
    assert Hook.received[-1]["status"] == "completed"

    # A reviewer dismisses Ann's old finding between nights.
    conf_id = query(db_path, "SELECT finding_id FROM findings WHERE post_id = '1'")[0][0]
    decisions.record_decision(decisions_db_path(db_path), conf_id, "dismissed", "rev", "consented")

    # Night 2: Ann's newer export, Bob's export delivered again.
    write_x_export(inbox / "p1" / "twitter-2025-06", "ann", ANN_V2)
    shutil.copytree(
        next((tmp_path / "processed").glob("*/p2/twitter-2025-01")),
        inbox / "p2" / "twitter-2025-01",
    )
    second = night()
    counts = second["counts"]
    assert (counts["archives_ingested"], counts["archives_unchanged"]) == (1, 1)
    assert (counts["posts_added"], counts["posts_edited"]) == (1, 1)
    assert query(
        db_path, "SELECT post_id, present FROM posts WHERE person_id = 'p1' ORDER BY 1"
    ) == [("1", True), ("2", True), ("3", False), ("4", True)]
    assert active(db_path) == [("1", "T-CONF"), ("10", "T-LANG"), ("2", "T-DIGN"), ("4", "T-CONF")]
    assert status_of(db_path, conf_id) == "dismissed"  # the decision survives re-ingestion
    assert second["changes"]["added"] == [
        {"rule_id": "T-CONF", "team": "acute/ed", "findings": 1},
        {"rule_id": "T-DIGN", "team": "acute/ed", "findings": 1},
    ]
    assert second["changes"]["retired"] == [
        {"rule_id": "T-DIGN", "team": "acute/ed", "findings": 1}
    ]

    # Night 3: the rulebook changes (no more 'frequent flyer'): history is re-scored.
    rule_file = rules / "categories" / "test.yaml"
    rule_file.write_text(
        rule_file.read_text().replace("[bed blocker, frequent flyer]", "[bed blocker]")
    )
    third = night()
    assert third["counts"]["posts_scored"] == 5 and third["counts"]["findings_retired"] == 1
    assert third["changes"]["retired"] == [{"rule_id": "T-DIGN", "team": "acute/ed", "findings": 1}]
    assert active(db_path) == [("1", "T-CONF"), ("10", "T-LANG"), ("4", "T-CONF")]
    assert status_of(db_path, conf_id) == "dismissed"

    # Night 4 fails half-way through scoring; night 5 finishes the job, nothing counted twice.
    write_x_export(
        inbox / "p2" / "twitter-2025-09",
        "bob",
        [*BOB, tweet("11", "pt in bed 9 is 77yo", datetime(2025, 8, 1))],
    )
    real = score_flow.score_posts
    monkeypatch.setattr(
        score_flow, "score_posts", lambda *a: (_ for _ in ()).throw(RuntimeError("power cut"))
    )
    with pytest.raises(RuntimeError, match="power cut"):
        night()
    assert query(db_path, "SELECT status FROM runs ORDER BY started_at DESC LIMIT 1") == [
        ("failed",)
    ]
    monkeypatch.setattr(score_flow, "score_posts", real)
    fifth = night()
    assert fifth["counts"]["posts_scored"] == 1 and fifth["counts"]["findings_added"] == 1
    assert query(db_path, "SELECT count(*) FROM posts") == [(6,)]
    assert active(db_path) == [("1", "T-CONF"), ("10", "T-LANG"), ("11", "T-CONF"), ("4", "T-CONF")]
    statuses = [r[0] for r in query(db_path, "SELECT status FROM runs ORDER BY started_at")]
    assert statuses == ["completed", "completed", "completed", "failed", "completed"]
    hook.shutdown()


def test_decisions_recorded_while_a_long_audit_writes(tmp_path: Path) -> None:
    """The nightly run holds the main database; decisions made meanwhile are never refused."""
    db_path = tmp_path / "org.duckdb"
    env_db = ["--db", str(db_path)]
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE_DIR / "inbox", inbox)
    command = [
        sys.executable,
        "-m",
        "socialaudit.cli",
        "audit",
        "--inbox",
        str(inbox),
        "--roster",
        str(SAMPLE_DIR / "roster.csv"),
        "--keep",
        *env_db,
    ]
    subprocess.run(command, cwd=PROJECT_ROOT, check=True, capture_output=True)
    finding_ids = [r[0] for r in query(serving_db_path(db_path), "SELECT finding_id FROM findings")]
    assert finding_ids
    # A second, long run: everything re-scored under a new rulebook version.
    rules = tmp_path / "rules"
    shutil.copytree(PROJECT_ROOT / "rules", rules)
    (rules / "rulebook.yaml").write_text((rules / "rulebook.yaml").read_text() + "\n# v2\n")
    env = {**__import__("os").environ, "SOCIALAUDIT_RULES": str(rules)}
    run = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    recorded = 0
    while run.poll() is None or recorded < len(finding_ids):
        decisions.record_decision(
            decisions_db_path(db_path),
            finding_ids[recorded % len(finding_ids)],
            "escalated",
            "rev",
            None,
        )
        recorded += 1
    assert run.wait() == 0
    con = duckdb.connect(str(decisions_db_path(db_path)), read_only=True)
    assert con.execute("SELECT count(*) FROM reviews").fetchone()[0] == recorded
    con.close()
