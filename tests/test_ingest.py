"""Ingesting exports into the store: idempotent, incremental, validated, and owned."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from socialaudit import db
from tests.x_export import tweet, write_x_export
from transforms.ingest import ingest_export
from transforms.roster import RosterError, read_roster
from transforms.store import apply_roster

ROSTER = """person_id,display_name,team,role,regulator,twitter
p1,Alex Doe,acute/emergency,paramedic,hcpc,alexdoe
p2,Sam Roe,community/physio,physiotherapist,hcpc,@SamRoe
"""


@pytest.fixture
def con(rostered_db: Callable[[str], duckdb.DuckDBPyConnection]) -> duckdb.DuckDBPyConnection:
    return rostered_db(ROSTER)


def posts(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT post_id, person_id, kind, text, present FROM posts ORDER BY post_id"
    ).fetchall()


def test_ingest_then_reingest_changes_nothing(con, tmp_path: Path) -> None:
    export = write_x_export(
        tmp_path / "x1",
        "alexdoe",
        [
            tweet("1", "First post &amp; more", datetime(2024, 1, 2, 10)),
            tweet("2", "RT @someone: not mine", datetime(2024, 1, 3, 10)),
        ],
    )
    first = ingest_export(con, export)
    assert first.status == "ingested" and first.person_id == "p1"
    assert first.coverage["records_read"] == 2 and first.coverage["skipped"] == {"repost": 1}
    assert posts(con) == [("1", "p1", "post", "First post & more", True)]
    before = con.execute("SELECT * FROM posts").fetchall()
    second = ingest_export(con, export)
    assert second.status == "duplicate"
    assert con.execute("SELECT * FROM posts").fetchall() == before
    assert con.execute("SELECT count(*) FROM archives").fetchone()[0] == 1


def test_newer_export_adds_new_updates_edited_and_marks_deleted(con, tmp_path: Path) -> None:
    ingest_export(
        con,
        write_x_export(
            tmp_path / "old",
            "alexdoe",
            [
                tweet("1", "keeps", datetime(2024, 1, 1)),
                tweet("2", "will be edited", datetime(2024, 1, 2)),
                tweet("3", "will be deleted", datetime(2024, 1, 3)),
            ],
        ),
    )
    result = ingest_export(
        con,
        write_x_export(
            tmp_path / "new",
            "alexdoe",
            [
                tweet("1", "keeps", datetime(2024, 1, 1)),
                tweet("2", "was edited", datetime(2024, 1, 2)),
                tweet("4", "brand new", datetime(2024, 2, 1)),
            ],
        ),
    )
    assert result.changes is not None
    assert (
        result.changes.added,
        result.changes.edited,
        result.changes.unchanged,
        result.changes.gone,
    ) == (1, 1, 1, 1)
    assert posts(con) == [
        ("1", "p1", "post", "keeps", True),
        ("2", "p1", "post", "was edited", True),
        ("3", "p1", "post", "will be deleted", False),
        ("4", "p1", "post", "brand new", True),
    ]


def test_unknown_handle_is_stored_unassigned(con, tmp_path: Path) -> None:
    result = ingest_export(
        con, write_x_export(tmp_path / "x", "stranger", [tweet("9", "hello", datetime(2024, 1, 1))])
    )
    assert result.status == "ingested" and result.person_id is None


def test_export_of_someone_else_is_quarantined(con, tmp_path: Path) -> None:
    result = ingest_export(
        con,
        write_x_export(tmp_path / "x", "samroe", [tweet("9", "hello", datetime(2024, 1, 1))]),
        person_id="p1",
    )
    assert result.status == "quarantined"
    assert "belongs to p2, not p1" in (result.reason or "")
    assert posts(con) == []
    status, reason = con.execute("SELECT status, reason FROM archives").fetchone()
    assert status == "quarantined" and "belongs to p2" in reason


def test_batch_failing_expectations_is_quarantined_whole(con, tmp_path: Path) -> None:
    result = ingest_export(
        con,
        write_x_export(
            tmp_path / "x",
            "alexdoe",
            [
                tweet("1", "fine", datetime(2024, 1, 1)),
                tweet("2", "from the future", datetime(2099, 1, 1)),
            ],
        ),
    )
    assert result.status == "quarantined"
    assert "expect_column_values_to_be_between(created_at_epoch)" in (result.reason or "")
    assert posts(con) == []
    validation = json.loads(con.execute("SELECT validation FROM archives").fetchone()[0])
    assert validation["failures"][0]["unexpected_count"] == 1


def test_unrecognised_export_is_quarantined_naming_what_was_found(con, tmp_path: Path) -> None:
    folder = tmp_path / "holiday-photos"
    folder.mkdir()
    (folder / "beach.jpg").write_bytes(b"\xff\xd8")
    result = ingest_export(con, folder)
    assert result.status == "quarantined"
    assert "not a recognised export (found: beach.jpg)" in (result.reason or "")


def test_roster_problems_are_all_reported(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER + "p3,Kim,,nurse,nmc,alexdoe\np1,Again,acute/emergency,x,abc,\n")
    with pytest.raises(RosterError) as error:
        read_roster(roster)
    problems = " | ".join(error.value.problems)
    assert "p3 has no team" in problems
    assert "twitter handle alexdoe also belongs to p1" in problems
    assert "person p1 listed twice" in problems and "unknown regulator 'abc'" in problems


def test_moving_team_keeps_history(con, tmp_path: Path) -> None:
    roster = tmp_path / "moved.csv"
    roster.write_text(ROSTER.replace("p1,Alex Doe,acute/emergency", "p1,Alex Doe,acute/ward-7"))
    apply_roster(con, read_roster(roster), date(2025, 6, 1))
    rows = pl.from_records(
        con.execute(
            "SELECT team_id, valid_from, valid_to FROM team_memberships "
            "WHERE person_id = 'p1' ORDER BY valid_from"
        ).fetchall(),
        orient="row",
    )
    assert rows.rows() == [
        ("acute/emergency", date(1900, 1, 1), date(2025, 6, 1)),
        ("acute/ward-7", date(2025, 6, 1), None),
    ]
    teams = {r[0] for r in con.execute("SELECT team_id FROM teams").fetchall()}
    assert {"acute", "acute/emergency", "acute/ward-7", "community", "community/physio"} <= teams


YAML_ROSTER = """
teams:
  - {id: acute, name: Acute care}
  - {id: acute/emergency, name: Emergency department}
  - {id: acute/ward-7, name: Ward 7}
people:
  - person_id: p1
    display_name: Alex Doe
    role: paramedic
    regulator: hcpc
    teams:
      - {team: acute/emergency, from: 2022-01-01, to: 2024-07-01}
      - {team: acute/ward-7, from: 2024-07-01}
    handles: {twitter: [alexdoe], mastodon: ["@alex@nhs.social"]}
"""


def test_yaml_roster_sets_the_whole_dated_history(con, tmp_path: Path) -> None:
    roster = tmp_path / "roster.yaml"
    roster.write_text(YAML_ROSTER)
    apply_roster(con, read_roster(roster), date(2025, 1, 1))
    assert con.execute(
        "SELECT team_id, valid_from, valid_to FROM team_memberships WHERE person_id = 'p1' "
        "ORDER BY valid_from"
    ).fetchall() == [
        ("acute/emergency", date(2022, 1, 1), date(2024, 7, 1)),
        ("acute/ward-7", date(2024, 7, 1), None),
    ]
    assert con.execute("SELECT name FROM teams WHERE team_id = 'acute/ward-7'").fetchone() == (
        "Ward 7",
    )
    assert ("mastodon", "alex@nhs.social", "p1") in con.execute("SELECT * FROM accounts").fetchall()


def test_yaml_roster_problems_are_all_reported(tmp_path: Path) -> None:
    roster = tmp_path / "roster.yaml"
    roster.write_text(
        YAML_ROSTER.replace("team: acute/ward-7, from", "team: acute/ward-9, from")
        + "  - person_id: p2\n    teams: []\n"
        + "  - person_id: p3\n    teams:\n"
        + "      - {team: acute, from: 2024-01-01, to: 2024-06-01}\n"
        + "      - {team: acute/emergency, from: 2024-03-01}\n"
    )
    with pytest.raises(RosterError) as error:
        read_roster(roster)
    problems = " | ".join(error.value.problems)
    assert "p1 is in unknown team 'acute/ward-9'" in problems
    assert "p2 has no team" in problems
    assert "p3's teams overlap" in problems


def test_parser_crash_is_logged_without_its_message(
    con, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from transforms.platforms import twitter

    def broken(*args: object) -> None:
        raise ValueError("Mrs Secretname in bed 4")  # a message quoting post text

    monkeypatch.setattr(twitter.Parser, "parse", broken)
    export = write_x_export(tmp_path / "x", "alexdoe", [tweet("1", "hi", datetime(2024, 1, 1))])
    result = ingest_export(con, export)
    assert result.status == "quarantined" and "could not be parsed (ValueError)" in result.reason
    assert "ValueError" in caplog.text and "Secretname" not in caplog.text


def test_export_of_two_platforms_stores_each_platforms_coverage(con, tmp_path: Path) -> None:
    export = Path(__file__).parent / "fixtures" / "threads" / "in_instagram_export"
    result = ingest_export(con, export)
    stored = json.loads(
        con.execute("SELECT coverage FROM archives WHERE sha256 = ?", [result.sha256]).fetchone()[0]
    )
    per_platform = dict(
        con.execute("SELECT platform, count(*) FROM posts GROUP BY platform").fetchall()
    )
    assert result.status == "ingested" and stored == result.coverage
    assert {p: s["records_stored"] for p, s in stored["platforms"].items()} == per_platform
    assert set(per_platform) == {"instagram", "threads"}
    for section in stored["platforms"].values():
        assert section["records_read"] == section["records_stored"] + sum(
            section["skipped"].values()
        )


THREADS_EXPORT = Path(__file__).parent / "fixtures/threads/in_instagram_export"
INSTAGRAM_ROSTER = "person_id,display_name,team,role,regulator,instagram,threads\n"


@pytest.mark.parametrize(
    ("rows", "person", "owner", "refusal"),
    [
        # A Threads account is the Instagram account: no Threads handle listed is fine.
        (["p1,Aoife,a/b,paramedic,hcpc,aoife.paramedic,"], "p1", "p1", None),
        (["p1,Aoife,a/b,paramedic,hcpc,aoife.paramedic,"], None, "p1", None),
        (["p1,Aoife,a/b,paramedic,hcpc,aoife.paramedic,aoife.paramedic"], "p1", "p1", None),
        # The Threads account listed for the person is another one.
        (
            ["p1,Aoife,a/b,paramedic,hcpc,aoife.paramedic,aoife.elsewhere"],
            "p1",
            None,
            "threads account @aoife.paramedic is not one of p1's registered threads accounts",
        ),
        # The Threads handle is someone else's, though the Instagram one is the person's.
        (
            [
                "p1,Aoife,a/b,paramedic,hcpc,aoife.paramedic,",
                "p2,Other,a/b,paramedic,hcpc,,aoife.paramedic",
            ],
            "p1",
            None,
            "threads account @aoife.paramedic belongs to p2, not p1",
        ),
        # Filed under nobody, the two accounts name two people.
        (
            [
                "p1,Aoife,a/b,paramedic,hcpc,aoife.paramedic,",
                "p2,Other,a/b,paramedic,hcpc,,aoife.paramedic",
            ],
            None,
            None,
            "the export's accounts belong to different people (p1, p2)",
        ),
        # No Threads handle listed: checked against the person's Instagram handles.
        (
            ["p1,Aoife,a/b,paramedic,hcpc,someone.else,"],
            "p1",
            None,
            "account @aoife.paramedic is not one of p1's registered instagram accounts",
        ),
    ],
)
def test_instagram_with_threads_checks_each_platforms_account(
    rows: list[str], person: str | None, owner: str | None, refusal: str | None, tmp_path: Path
) -> None:
    connection = db.connect(tmp_path / "test.duckdb")
    roster = tmp_path / "roster.csv"
    roster.write_text(INSTAGRAM_ROSTER + "\n".join(rows) + "\n")
    apply_roster(connection, read_roster(roster), date(2025, 1, 1))
    result = ingest_export(connection, THREADS_EXPORT, person_id=person)
    stored = connection.execute("SELECT DISTINCT platform FROM posts ORDER BY 1").fetchall()
    connection.close()
    if refusal is None:
        assert (result.status, result.person_id) == ("ingested", owner)
        assert stored == [("instagram",), ("threads",)]
    else:
        assert result.status == "quarantined"
        assert refusal in (result.reason or "")
        assert stored == []
