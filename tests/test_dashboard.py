"""The dashboard: exact figures from the query functions, access control enforced in the queries,
and every page for every role through Streamlit's AppTest (charts cannot be inspected there, so
their numbers are asserted on the query functions)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from dashboards import auth, cache, data_access, queries, review, ui
from dashboards.access import Viewer, scope_for
from dashboards.highlight import highlighted_html, visible_controls
from dashboards.session import SIGNED_IN
from socialaudit import cli
from socialaudit.decisions import STATUSES
from socialaudit.settings import decisions_db_path, serving_db_path
from tests.dashboard_fixture import (
    BIDI_TEXT,
    FINDINGS,
    NAMES,
    PASSWORDS,
    TEAMS,
    build,
    write_rulebook,
    write_users,
)
from tests.dashboard_fixture import _memberships as fixture_memberships
from tests.dashboard_fixture import _posts as fixture_posts
from transforms import aggregates
from transforms.publish import publish_serving_copy

DASHBOARDS = Path(__file__).resolve().parent.parent / "dashboards"
APP = DASHBOARDS / "app.py"
OFFICER = Viewer("officer", "compliance_officer")
LEAD7 = Viewer("lead7", "team_lead", ("acute/ward-7",))
AUDITOR = Viewer("auditor", "auditor")
ALL = queries.Filters()
PAGES = {
    "views/overview.py": "Overview",
    "views/team.py": "Team",
    "views/findings_queue.py": "Findings queue",
    "views/person.py": "Person",
    "views/data.py": "Data",
    "views/rulebook.py": "Rulebook",
    "views/check_post.py": "Check a post",
}


def _point_at(main: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SOCIALAUDIT_DB", str(main))
    monkeypatch.setenv("SOCIALAUDIT_USERS", str(main.parent / "users.yaml"))
    monkeypatch.setenv("SOCIALAUDIT_RULES", str(main.parent / "rules"))
    monkeypatch.delenv("SOCIALAUDIT_MIN_GROUP_SIZE", raising=False)
    return main


def _build_org(folder: Path) -> Path:
    main = build(folder)
    write_users(folder / "users.yaml")
    write_rulebook(folder / "rules")
    return main


@pytest.fixture(scope="module")
def shared_org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once for the tests that record no decisions."""
    return _build_org(tmp_path_factory.mktemp("org"))


@pytest.fixture
def org(shared_org: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return _point_at(shared_org, monkeypatch)


@pytest.fixture
def fresh_org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy for tests that write decisions or access-log entries."""
    return _point_at(_build_org(tmp_path), monkeypatch)


@pytest.fixture
def con(org: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    with data_access.read_connection(org) as connection:
        yield connection


def _rates(frame) -> dict[tuple[str, date], tuple[int, int, float]]:
    return {
        (r["team"], r["period"]): (r["posts"], r["findings"], r["rate_per_1000"])
        for r in frame.iter_rows(named=True)
    }


# --- query functions -----------------------------------------------------------------------------


def test_monthly_rates_count_findings_for_the_team_of_the_post_date(con) -> None:
    rates = _rates(queries.finding_rates(con, scope_for(OFFICER, con), ALL))
    assert rates == {
        ("Community team", date(2026, 1, 1)): (4, 1, 250.0),
        ("Ward 7", date(2026, 1, 1)): (15, 3, 200.0),
        ("Ward 7", date(2026, 2, 1)): (10, 0, 0.0),  # posts but no findings: a rate of 0
        ("Ward 9", date(2026, 1, 1)): (10, 1, 100.0),
        ("Ward 9", date(2026, 2, 1)): (15, 1, pytest.approx(1000 / 15)),  # p13 after the move
    }


def test_category_and_severity_filters_narrow_the_findings_not_the_posts(con) -> None:
    scope = scope_for(OFFICER, con)
    confidential = _rates(
        queries.finding_rates(con, scope, queries.Filters(categories=("confidentiality",)))
    )
    assert confidential[("Ward 7", date(2026, 1, 1))] == (15, 2, pytest.approx(2000 / 15))
    assert confidential[("Ward 9", date(2026, 1, 1))] == (10, 0, 0.0)
    critical = _rates(queries.finding_rates(con, scope, queries.Filters(severities=("critical",))))
    assert critical[("Ward 7", date(2026, 1, 1))] == (15, 1, pytest.approx(1000 / 15))
    assert critical[("Community team", date(2026, 1, 1))] == (4, 1, 250.0)


def test_weekly_rates_start_on_mondays_and_add_up_to_the_months(con) -> None:
    scope = scope_for(OFFICER, con)
    weekly = queries.finding_rates(con, scope, ALL, grain="week")
    rates = _rates(weekly)
    # p13's five posts (5-9 Jan, two findings) and p01-p05's posts of Saturday 10 Jan (one).
    assert rates[("Ward 7", date(2026, 1, 5))] == (10, 3, 300.0)
    assert rates[("Ward 9", date(2026, 2, 2))] == (5, 1, 200.0)
    assert weekly["posts"].sum() == 54
    with pytest.raises(ValueError):
        queries.finding_rates(con, scope, ALL, grain="day")  # type: ignore[arg-type]


def test_headline_figures_for_a_period(con) -> None:
    scope = scope_for(OFFICER, con)
    totals = queries.headline(con, scope, ALL).row(0, named=True)
    assert totals["posts"] == 54
    assert totals["people"] == 13
    assert totals["findings"] == 6  # F6 is inactive
    assert totals["open_findings"] == 4  # F1 resolved, F4 confirmed
    assert totals["rate_per_1000"] == pytest.approx(6000 / 54)
    february = queries.Filters(start=date(2026, 2, 1), end=date(2026, 2, 28))
    assert queries.headline(con, scope, february).row(0, named=True)["findings"] == 1


def test_rule_drivers_give_each_rules_share_of_a_team(con) -> None:
    drivers = queries.rule_drivers(con, scope_for(OFFICER, con), ALL)
    ward_9 = {
        r["rule_id"]: r["share"] for r in drivers.iter_rows(named=True) if r["team"] == "Ward 9"
    }
    assert ward_9 == {"CONF-001": 0.5, "PROF-001": 0.5}
    top_one = queries.rule_drivers(con, scope_for(OFFICER, con), ALL, top=1)
    assert top_one.group_by("team").len()["len"].max() == 1


def test_status_is_the_latest_review_and_open_without_one(con) -> None:
    queue = queries.findings_queue(con, scope_for(OFFICER, con), ALL)
    statuses = dict(zip(queue["finding_id"], queue["status"], strict=True))
    assert statuses == {
        "F1": "resolved",  # escalated, then resolved
        "F2": "open",
        "F3": "open",
        "F4": "confirmed",
        "F5": "open",
        "F7": "open",
    }
    still_open = queries.findings_queue(
        con, scope_for(OFFICER, con), queries.Filters(statuses=("open",))
    )
    assert still_open["finding_id"].to_list() == ["F7", "F5", "F3", "F2"]  # severest, newest first


def test_latest_findings_table(con) -> None:
    latest = queries.latest_findings(con, scope_for(OFFICER, con), ALL, limit=3)
    assert latest.columns == ["date", "team", "rule", "category", "severity", "excerpt", "status"]
    assert latest.row(0) == (
        date(2026, 2, 2),
        "Ward 9",
        "CONF-001",
        "confidentiality",
        "high",
        "Bed 9 note from p13-feb-1, nothing more",
        "open",
    )


def test_a_team_lead_gets_only_their_teams_whatever_they_ask_for(con) -> None:
    scope = scope_for(LEAD7, con)
    assert scope.team_ids == ("acute/ward-7",)
    assert queries.teams(con, scope)["name"].to_list() == ["Ward 7"]
    other = queries.Filters(teams=("acute/ward-9", "community"))
    assert queries.findings_queue(con, scope, other).is_empty()
    assert queries.finding_rates(con, scope, other).is_empty()
    assert queries.latest_findings(con, scope, other).is_empty()
    assert queries.finding_detail(con, scope, "F4") is None
    assert queries.in_scope(con, scope, ["F3", "F4", "F5"]) == ["F3"]
    assert set(queries.findings_queue(con, scope, ALL)["finding_id"]) == {"F1", "F2", "F3"}


def test_a_lead_of_a_parent_team_sees_the_teams_beneath_it(con) -> None:
    scope = scope_for(Viewer("acute-lead", "team_lead", ("acute",)), con)
    assert set(scope.team_ids) == {"acute", "acute/ward-7", "acute/ward-9"}
    assert "F7" not in set(queries.findings_queue(con, scope, ALL)["finding_id"])


def test_small_groups_are_hidden_below_compliance_officer(con) -> None:
    officer, auditor = scope_for(OFFICER, con), scope_for(AUDITOR, con)
    community = queries.Filters(teams=("community",))
    assert not queries.finding_rates(con, officer, community).is_empty()
    assert queries.finding_rates(con, auditor, community).is_empty()
    assert queries.headline(con, auditor, community).is_empty()
    assert "Community team" not in set(queries.rule_drivers(con, auditor, ALL)["team"])
    assert {team for team, _ in _rates(queries.finding_rates(con, auditor, ALL))} == {
        "Ward 7",
        "Ward 9",
    }


def test_min_group_size_is_a_setting(con, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALAUDIT_MIN_GROUP_SIZE", "6")
    rates = _rates(queries.finding_rates(con, scope_for(AUDITOR, con), ALL))
    assert set(rates) == {("Ward 7", date(2026, 1, 1)), ("Ward 9", date(2026, 2, 1))}


def test_names_only_for_roles_that_may_see_them(con) -> None:
    named = queries.findings_queue(con, scope_for(OFFICER, con), ALL)
    assert dict(zip(named["finding_id"], named["person"], strict=True))["F5"] == "Maya Rossi"
    hidden = queries.findings_queue(con, scope_for(AUDITOR, con), ALL)
    labels = dict(zip(hidden["finding_id"], hidden["person"], strict=True))
    assert not set(labels.values()) & set(NAMES.values())
    assert labels["F1"] == labels["F2"] == labels["F5"]  # p13, stable across findings
    assert labels["F1"] != labels["F3"]
    assert all(label.startswith("Person ") for label in labels.values())
    archives = queries.archives(con, scope_for(AUDITOR, con))
    assert "maya-rossi-mastodon.zip" not in archives["archive"].to_list()


def test_finding_detail_carries_the_post(con) -> None:
    detail = queries.finding_detail(con, scope_for(OFFICER, con), "F3")
    assert detail is not None
    assert detail["text"].startswith("Bed 4 again <script>")
    assert detail["standard"] == "HCPC SCPE 2024 5.1"
    assert ui.parse_spans(detail["spans"]) == [(0, 5)]


def test_data_page_queries(con) -> None:
    archives = queries.archives(con, scope_for(OFFICER, con))
    assert archives.filter(archives["status"] == "quarantined")["reason"].to_list() == [
        "member name escapes the export"
    ]
    assert queries.latest_runs(con)["run_id"].to_list() == ["run-1"]
    assert queries.unplaced_findings(con) == 0


def _cells(frame) -> dict[tuple[date, str], tuple[int, int]]:
    return {
        (r["month"], r["label"]): (r["findings"], r["posts"]) for r in frame.iter_rows(named=True)
    }


def test_team_heatmap_counts_findings_per_month_and_category(con) -> None:
    officer = scope_for(OFFICER, con)
    jan, feb = date(2026, 1, 1), date(2026, 2, 1)
    ward_7 = queries.team_heatmap(con, officer, "acute/ward-7")
    assert _cells(ward_7) == {
        (jan, "confidentiality"): (2, 15),  # F1 (p13 before the move) and F3
        (jan, "professionalism"): (1, 15),  # F2
        (feb, "confidentiality"): (0, 10),  # posts but no findings: an empty cell, not a gap
        (feb, "professionalism"): (0, 10),
    }
    assert ward_7["rate_per_1000"].to_list() == pytest.approx([2000 / 15, 1000 / 15, 0, 0])
    by_rule = _cells(queries.team_heatmap(con, officer, "acute/ward-9", rows="rule"))
    assert by_rule == {
        (jan, "CONF-001"): (0, 10),
        (jan, "PROF-001"): (1, 10),  # F4
        (feb, "CONF-001"): (1, 15),  # F5, p13 after the move; F6 is inactive
        (feb, "PROF-001"): (0, 15),
    }
    with pytest.raises(ValueError):
        queries.team_heatmap(con, officer, "acute/ward-9", rows="person")  # type: ignore[arg-type]


def test_team_heatmap_leaves_out_small_months_and_other_teams(con, monkeypatch) -> None:
    auditor, lead = scope_for(AUDITOR, con), scope_for(LEAD7, con)
    assert _cells(queries.team_heatmap(con, scope_for(OFFICER, con), "community")) == {
        (date(2026, 1, 1), "confidentiality"): (1, 4)
    }
    assert queries.team_heatmap(con, auditor, "community").is_empty()  # two people
    assert queries.team_heatmap(con, lead, "acute/ward-9").is_empty()  # not their team
    assert len(queries.team_heatmap(con, lead, "acute/ward-7")) == 4
    monkeypatch.setenv("SOCIALAUDIT_MIN_GROUP_SIZE", "6")  # Ward 7 has 5 people in February
    months = queries.team_heatmap(con, scope_for(AUDITOR, con), "acute/ward-7")["month"]
    assert set(months) == {date(2026, 1, 1)}
    # Ward 9 had five people in January: its professionalism finding (F4) leaves no empty row.
    ward_9 = queries.team_heatmap(con, scope_for(AUDITOR, con), "acute/ward-9")
    assert _cells(ward_9) == {(date(2026, 2, 1), "confidentiality"): (1, 15)}


def test_team_people_names_or_pseudonyms_and_none_for_small_teams(con) -> None:
    officer, auditor = scope_for(OFFICER, con), scope_for(AUDITOR, con)
    named = queries.team_people(con, officer, "acute/ward-7")
    assert named.rows() == [
        ("Maya Rossi", 2, 1, date(2026, 1, 5)),  # F1 resolved, F2 open
        ("Amara Okafor", 1, 1, date(2026, 1, 10)),
    ]
    hidden = queries.team_people(con, auditor, "acute/ward-7")
    assert hidden["findings"].to_list() == [2, 1]
    assert all(p.startswith("Person ") for p in hidden["person"])
    assert queries.team_people(con, officer, "community")["person"].to_list() == ["Kezia Nwosu"]
    assert queries.team_people(con, auditor, "community").is_empty()
    assert queries.team_people(con, scope_for(LEAD7, con), "acute/ward-9").is_empty()


def test_a_persons_timeline_and_decisions_within_the_viewers_teams(con) -> None:
    officer, lead = scope_for(OFFICER, con), scope_for(LEAD7, con)
    timeline = queries.person_timeline(con, officer, "p13")
    assert timeline.rows() == [
        (date(2026, 1, 1), "confidentiality", 1),  # F1
        (date(2026, 1, 1), "professionalism", 1),  # F2
        (date(2026, 2, 1), "confidentiality", 1),  # F5, in Ward 9
    ]
    # A lead of Ward 7 sees p13's time in Ward 7 only.
    assert queries.person_timeline(con, lead, "p13")["month"].to_list() == [date(2026, 1, 1)] * 2
    decisions = queries.person_decisions(con, officer, "p13")
    assert [
        (r["finding_id"], r["decision"], r["note"]) for r in decisions.iter_rows(named=True)
    ] == [
        ("F1", "resolved", "post deleted"),  # newest first
        ("F1", "escalated", "needs IG"),
    ]
    assert queries.person_decisions(con, officer, "p06")["decision"].to_list() == ["confirmed"]
    assert queries.person_decisions(con, lead, "p06").is_empty()
    assert queries.person_timeline(con, lead, "p06").is_empty()


# --- the serving copy's aggregates ---------------------------------------------------------------


def _oracle(start: date | None, end: date | None, grain: str) -> dict:
    """(team name, period) -> (posts, findings), counted one by one from the fixture's own lists:
    each post and active finding in its author's team of the day, within the dates."""
    names = {team_id: name for team_id, name, _ in TEAMS}
    created = {post_id: at.date() for post_id, _, at in fixture_posts()}

    def teams_of(person: str, day: date) -> list[str]:
        return [
            names[team]
            for who, team, since, until in fixture_memberships()
            if who == person
            and date.fromisoformat(since) <= day < date.fromisoformat(until or "9999-12-31")
        ]

    def period(day: date) -> date:
        return day.replace(day=1) if grain == "month" else day - timedelta(days=day.weekday())

    def within(day: date) -> bool:
        return (start is None or day >= start) and (end is None or day <= end)

    counts: dict[tuple[str, date], list[int]] = {}
    for _, person, at in fixture_posts():
        for team in teams_of(person, at.date()) if within(at.date()) else []:
            counts.setdefault((team, period(at.date())), [0, 0])[0] += 1
    for finding in FINDINGS:
        day = created[finding.post_id]
        for team in teams_of(finding.person_id, day) if finding.active and within(day) else []:
            counts[(team, period(day))][1] += 1
    return {key: tuple(value) for key, value in counts.items()}


CUTS = [
    (date(2026, 1, 7), date(2026, 2, 4)),  # inside a week and a month at both ends
    (date(2026, 1, 9), date(2026, 1, 9)),
    (date(2026, 1, 20), None),
    (None, date(2026, 2, 3)),
    (date(2026, 1, 1), date(2026, 1, 31)),  # one whole month
    (date(2026, 1, 5), date(2026, 2, 1)),  # whole weeks
    (date(2026, 2, 5), date(2026, 1, 5)),  # the wrong way round: nothing
]


@pytest.mark.parametrize(("start", "end"), CUTS)
@pytest.mark.parametrize("grain", ["month", "week"])
def test_dates_that_cut_a_period_still_count_every_post_exactly(con, start, end, grain) -> None:
    scope = scope_for(OFFICER, con)
    dates = queries.Filters(start=start, end=end)
    rates = queries.finding_rates(con, scope, dates, grain)
    expected = _oracle(start, end, grain)
    assert {key: value[:2] for key, value in _rates(rates).items()} == expected
    totals = queries.headline(con, scope, dates)
    if expected:
        row = totals.row(0, named=True)
        assert (row["posts"], row["findings"]) == tuple(
            map(sum, zip(*expected.values(), strict=True))
        )
    else:
        assert totals.is_empty()  # no posts, so no people: below any group size


def test_a_lead_gets_nothing_of_another_team_through_dates_that_cut_periods(con) -> None:
    scope = scope_for(LEAD7, con)
    cut = {"start": date(2026, 1, 7), "end": date(2026, 2, 4)}
    other = queries.Filters(teams=("acute/ward-9", "community"), **cut)
    for grain in ("month", "week"):
        assert queries.finding_rates(con, scope, other, grain).is_empty()
    assert queries.headline(con, scope, other).is_empty()
    assert queries.rule_drivers(con, scope, other).is_empty()
    assert queries.team_people(con, scope, "acute/ward-9").is_empty()
    own = queries.finding_rates(con, scope, queries.Filters(**cut), "week")
    assert set(own["team"]) == {"Ward 7"}


def _figures(main: Path) -> dict[str, object]:
    cut = queries.Filters(start=date(2026, 1, 7), end=date(2026, 2, 4))
    with data_access.read_connection(main) as con:
        figures: dict[str, object] = {}
        for viewer in (OFFICER, LEAD7, AUDITOR):
            scope = scope_for(viewer, con)
            for name, filters in {"all": ALL, "cut": cut}.items():
                key = f"{viewer.username} {name}"
                figures[f"{key} rates"] = queries.finding_rates(con, scope, filters, "week")
                figures[f"{key} headline"] = queries.headline(con, scope, filters)
                figures[f"{key} drivers"] = queries.rule_drivers(con, scope, filters)
                figures[f"{key} queue"] = queries.findings_queue(con, scope, filters)
                figures[f"{key} people"] = queries.people(con, scope, filters)
            for team in ("acute/ward-7", "acute/ward-9"):
                figures[f"{viewer.username} {team}"] = (
                    queries.team_heatmap(con, scope, team, "rule"),
                    queries.team_people(con, scope, team),
                )
        figures["dates"] = queries.post_date_range(con)
    return figures


def test_a_copy_published_before_the_aggregates_reads_the_same(fresh_org: Path) -> None:
    published = _figures(fresh_org)
    shutil.copyfile(fresh_org, serving_db_path(fresh_org))  # as the copy step used to
    with duckdb.connect(str(serving_db_path(fresh_org)), read_only=True) as bare:
        assert not aggregates.present(bare)
    assert repr(_figures(fresh_org)) == repr(published)  # built in memory for each page run


def test_decisions_since_publishing_count_at_once_and_survive_a_republish(fresh_org: Path) -> None:
    dismissed = queries.Filters(statuses=("dismissed",))
    still_open = queries.Filters(statuses=("open",))
    data_access.record_decision("F5", "dismissed", "officer", "not a patient", fresh_org)
    with data_access.read_connection(fresh_org) as con:  # the same published copy
        scope = scope_for(OFFICER, con)
        assert queries.headline(con, scope, ALL)["open_findings"].to_list() == [3]
        assert "F5" not in set(queries.findings_queue(con, scope, still_open)["finding_id"])
        rates = _rates(queries.finding_rates(con, scope, dismissed))
        assert rates[("Ward 9", date(2026, 2, 1))][1] == 1
        assert rates[("Ward 7", date(2026, 1, 1))][1] == 0
        ward_9 = queries.team_people(con, scope, "acute/ward-9")
        assert ward_9.filter(pl.col("person") == NAMES["p13"])["open_findings"].to_list() == [0]

    # A re-score retires F2 and the audit republishes: F5's decision still holds.
    with duckdb.connect(str(fresh_org)) as main:
        main.execute("UPDATE findings SET active = false WHERE finding_id = 'F2'")
    publish_serving_copy(fresh_org)
    with data_access.read_connection(fresh_org) as con:
        scope = scope_for(OFFICER, con)
        assert queries.headline(con, scope, ALL)["open_findings"].to_list() == [2]  # F3, F7
        queue = queries.findings_queue(con, scope, ALL)
        assert dict(zip(queue["finding_id"], queue["status"], strict=True))["F5"] == "dismissed"
        assert "F2" not in set(queue["finding_id"])


def test_someone_in_two_teams_at_once_is_listed_once_and_counted_in_both(fresh_org: Path) -> None:
    with duckdb.connect(str(fresh_org)) as main:  # p01 joins Community while staying in Ward 7
        main.execute("INSERT INTO team_memberships VALUES ('p01', 'community', '2026-01-01', NULL)")
    publish_serving_copy(fresh_org)
    with data_access.read_connection(fresh_org) as con:
        officer, lead = scope_for(OFFICER, con), scope_for(LEAD7, con)
        queue = queries.findings_queue(con, officer, ALL)
        assert queue.filter(pl.col("finding_id") == "F3")["team"].to_list() == ["Community team"]
        lead_queue = queries.findings_queue(con, lead, ALL)
        assert lead_queue.filter(pl.col("finding_id") == "F3")["team"].to_list() == ["Ward 7"]
        rates = _rates(queries.finding_rates(con, officer, ALL))
        assert rates[("Community team", date(2026, 1, 1))][:2] == (6, 2)  # F7 and p01's F3
        assert rates[("Ward 7", date(2026, 1, 1))][:2] == (15, 3)


def test_the_aggregates_hold_no_post_text(org: Path) -> None:
    with duckdb.connect(str(serving_db_path(org)), read_only=True) as con:
        columns = con.sql(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE table_name IN "
            "('team_posts_by_day', 'team_posts_by_week', 'team_posts_by_month', "
            "'placed_findings', 'post_dates') AND data_type = 'VARCHAR'"
        ).fetchall()
        assert {table for table, _ in columns} == {
            "team_posts_by_day",
            "team_posts_by_week",
            "team_posts_by_month",
            "placed_findings",
        }
        for table, column in columns:
            values = {
                row[0] for row in con.sql(f"SELECT DISTINCT {column} FROM {table}").fetchall()
            }
            assert values and not any("Bed" in value for value in values)  # every post says "Bed"


def test_cached_figures_follow_new_decisions_and_never_cross_scopes(fresh_org: Path) -> None:
    with data_access.read_connection(fresh_org) as con:
        officer, auditor = scope_for(OFFICER, con), scope_for(AUDITOR, con)
        before = cache.data_version(con)
    totals, rates, _ = cache.overview(before, officer, ALL, "month")
    assert totals["open_findings"].to_list() == [4]
    assert "Community team" in set(rates["team"])
    _, auditor_rates, _ = cache.overview(before, auditor, ALL, "month")  # same data, other scope
    assert "Community team" not in set(auditor_rates["team"])

    assert review.apply(OFFICER, ["F3"], "Confirm", "") == review.Outcome(1)
    with data_access.read_connection(fresh_org) as con:
        after = cache.data_version(con)
    assert after != before
    assert cache.overview(after, officer, ALL, "month")[0]["open_findings"].to_list() == [3]
    _, people = cache.team(after, officer, "acute/ward-7", "category")
    assert people["open_findings"].to_list() == [1, 0]  # p13's F2; p01's F3 is now confirmed


def test_no_serving_copy_tells_you_to_run_the_demo(tmp_path: Path) -> None:
    with (
        pytest.raises(data_access.NoDatabaseYet, match="socialaudit demo"),
        data_access.read_connection(tmp_path / "socialaudit.duckdb"),
    ):
        pass


def test_without_a_decisions_file_every_finding_is_open(fresh_org: Path) -> None:
    decisions_db_path(fresh_org).unlink()
    with data_access.read_connection(fresh_org) as con:
        queue = queries.findings_queue(con, scope_for(OFFICER, con), ALL)
    assert set(queue["status"]) == {"open"}


# --- highlighting, users, decisions --------------------------------------------------------------


def test_highlight_escapes_everything_and_marks_the_spans() -> None:
    text = "Bed 4 <script>alert(1)</script> ![x](http://t.example/p.png) & more"
    rendered = highlighted_html(text, [(0, 5), (2, 4), (len(text) - 4, len(text) + 10)])
    assert rendered.startswith('<div style="white-space: pre-wrap"><mark>Bed 4</mark>')
    assert "<script>" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    assert "![x](http://t.example/p.png)" in rendered  # shown as characters, never an image
    assert "&amp; <mark>more</mark></div>" in rendered  # an overrun is cut at the end
    assert rendered.count("<mark>") == 2  # a span inside another adds nothing


def test_control_and_bidi_characters_are_shown_as_code_points() -> None:
    rendered = highlighted_html(BIDI_TEXT, [(16, 20)])
    assert "\u202e" not in rendered and "\u202c" not in rendered and "\x07" not in rendered
    assert rendered.count('class="control-character"') == 3
    assert ">⟨U+202E⟩</span>gnitset<span" in rendered  # the reversed word stays as written
    assert 'title="right-to-left override"' in rendered
    assert "</span> <mark>only</mark><span" in rendered  # offsets still count the original text
    assert rendered.endswith(">⟨U+0007⟩</span> done</div>")
    marked_override = highlighted_html("a\u2066b", [(1, 2)])  # the override itself is matched
    assert "<mark><span" in marked_override and "⟨U+2066⟩</span></mark>b" in marked_override


def test_only_tab_and_newline_are_left_as_they_are() -> None:
    assert visible_controls("one\ttwo\nthree") == "one\ttwo\nthree"
    assert visible_controls("a\rb\x00c\x7fd\x85e\u200ff\u2069") == (
        "a⟨U+000D⟩b⟨U+0000⟩c⟨U+007F⟩d⟨U+0085⟩e⟨U+200F⟩f⟨U+2069⟩"
    )
    assert visible_controls("Ünïcödé ✓ 日本") == "Ünïcödé ✓ 日本"


def test_passwords_are_salted_hashes(tmp_path: Path) -> None:
    path = write_users(tmp_path / "users.yaml")
    text = path.read_text()
    assert PASSWORDS["officer"] not in text
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    users = auth.load_users(path)
    assert users["officer"].password_hash != auth.hash_password(PASSWORDS["officer"])
    assert auth.authenticate(users, "lead7", PASSWORDS["lead7"]) == LEAD7
    assert auth.authenticate(users, "lead7", PASSWORDS["officer"]) is None
    assert auth.authenticate(users, "nobody", PASSWORDS["officer"]) is None


def test_adding_a_user_replaces_one_of_the_same_name(tmp_path: Path) -> None:
    path = write_users(tmp_path / "users.yaml")
    auth.add_user(path, "lead7", "team_lead", ["acute/ward-9"], "new-pass")
    users = auth.load_users(path)
    assert len(users) == 3
    assert auth.authenticate(users, "lead7", "new-pass") == Viewer(
        "lead7", "team_lead", ("acute/ward-9",)
    )
    with pytest.raises(ValueError, match="team"):
        auth.add_user(path, "lead9", "team_lead", [], "pass")
    with pytest.raises(ValueError, match="role"):
        auth.add_user(path, "root", "admin", [], "pass")
    oidc_only = tmp_path / "oidc.yaml"
    auth.add_user(oidc_only, "jo@example.org", "auditor", [])
    assert auth.authenticate(auth.load_users(oidc_only), "jo@example.org", "") is None


def test_a_users_file_with_an_unknown_role_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "users.yaml"
    path.write_text("users:\n  - username: x\n    role: superuser\n")
    with pytest.raises(auth.UsersFileError, match="user 1"):
        auth.load_users(path)


def test_the_cookie_secret_is_made_once_and_kept_private(tmp_path: Path) -> None:
    main = tmp_path / "data" / "socialaudit.duckdb"
    secret = auth.cookie_secret(main)
    assert re.fullmatch("[0-9a-f]{64}", secret)
    kept = main.parent / auth.COOKIE_SECRET_FILE
    assert oct(kept.stat().st_mode & 0o777) == "0o600"
    kept.chmod(0o644)
    assert auth.cookie_secret(main) == secret  # the same after a restart
    assert oct(kept.stat().st_mode & 0o777) == "0o600"
    assert auth.cookie_secret(tmp_path / "elsewhere" / "socialaudit.duckdb") != secret


def test_the_dashboard_command_never_runs_without_the_cookie_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr(
        subprocess, "call", lambda command, env, cwd: started.append((command, env)) or 0
    )
    main = tmp_path / "socialaudit.duckdb"
    result = CliRunner().invoke(cli.app, ["dashboard", "--db", str(main), "--port", "8599"])
    assert result.exit_code == 0, result.output
    [(command, env)] = started
    secret = (tmp_path / auth.COOKIE_SECRET_FILE).read_text().strip()
    assert env["STREAMLIT_SERVER_COOKIE_SECRET"] == secret
    assert not any(secret in part for part in command)  # `ps` shows the command line to anyone
    assert env["SOCIALAUDIT_DB"] == str(main)


def _reviews(main: Path) -> list[tuple[str, str, str, str | None]]:
    with duckdb.connect(str(decisions_db_path(main)), read_only=True) as con:
        return con.execute(
            "SELECT finding_id, decision, reviewer, note FROM reviews ORDER BY decided_at"
        ).fetchall()


def test_review_actions_are_checked_on_the_server(fresh_org: Path) -> None:
    before = _reviews(fresh_org)
    assert review.apply(AUDITOR, ["F3"], "Confirm", "").error
    assert review.apply(LEAD7, ["F3", "F5"], "Confirm", "").error  # F5 is in Ward 9 now
    assert review.apply(LEAD7, ["F3"], "Dismiss", "  ").error == "A dismissal needs a reason."
    assert _reviews(fresh_org) == before
    assert review.apply(LEAD7, ["F2", "F3"], "Dismiss", "a joke, no patient") == review.Outcome(2)
    assert _reviews(fresh_org)[-2:] == [
        ("F2", "dismissed", "lead7", "a joke, no patient"),
        ("F3", "dismissed", "lead7", "a joke, no patient"),
    ]


# --- the app, through AppTest --------------------------------------------------------------------


def _signed_in(username: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    at.text_input(key="username").input(username)
    at.text_input(key="password").input(PASSWORDS[username])
    at.button(key="sign_in_submit").click().run()
    assert not at.exception
    return at


def _frame(at: AppTest, column: str):
    """The first table on the page that has this column."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def test_signing_in_with_a_wrong_password_is_refused(org: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert [t.value for t in at.title] == ["Sign in"]
    at.text_input(key="username").input("officer")
    at.text_input(key="password").input("guess")
    at.button(key="sign_in_submit").click().run()
    assert [e.value for e in at.error] == ["Unknown username or wrong password."]
    assert SIGNED_IN not in at.session_state
    with pytest.raises(ValueError):
        at.switch_page("views/overview.py")


@pytest.mark.parametrize(
    ("username", "pages"),
    [
        ("officer", set(PAGES)),
        ("lead7", set(PAGES) - {"views/data.py"}),
        ("auditor", set(PAGES) - {"views/person.py"}),
    ],
)
def test_every_page_runs_for_every_role(org: Path, username: str, pages: set[str]) -> None:
    at = _signed_in(username)
    for page in set(PAGES) - pages:
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(page)  # not in this role's navigation
    for page, title in PAGES.items():
        if page not in pages:
            continue
        at.switch_page(page).run()
        assert not at.exception, (page, at.exception)
        assert [t.value for t in at.title] == [title]
        assert not at.error


OIDC_SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-only",
        "client_id": "dashboard",
        "client_secret": "test-only",
        "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration",
    }
}


@pytest.mark.parametrize(
    ("user", "expected_titles"),
    [
        ({"is_logged_in": False}, ["Sign in"]),
        ({"is_logged_in": True, "email": "stranger@example.org"}, ["Sign in"]),
        ({"is_logged_in": True, "email": "jo@example.org"}, ["Overview"]),
    ],
)
def test_identity_provider_sign_in_maps_emails_to_roles(
    org: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, user: dict, expected_titles: list
) -> None:
    users = tmp_path / "users.yaml"
    auth.add_user(users, "jo@example.org", "auditor", [])  # no password: the provider signs in
    monkeypatch.setenv("SOCIALAUDIT_USERS", str(users))
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.secrets.update(OIDC_SECRETS)
    at.user = user
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == expected_titles
    assert not at.text_input  # no password form when the organisation's provider is used
    if expected_titles == ["Overview"]:
        assert len(_frame(at, "excerpt")) == 6  # an auditor sees every team's findings
    elif user["is_logged_in"]:
        assert "no dashboard role" in at.error[0].value


def test_each_page_checks_the_role_itself(org: Path) -> None:
    data_page = AppTest.from_file(str(DASHBOARDS / "views" / "data.py"), default_timeout=30)
    data_page.session_state[SIGNED_IN] = "lead7"
    data_page.run()
    assert [e.value for e in data_page.error] == ["Your role does not give access to this page."]
    assert not data_page.dataframe and not data_page.metric
    queue = AppTest.from_file(str(DASHBOARDS / "views" / "findings_queue.py"), default_timeout=30)
    queue.run()
    assert [e.value for e in queue.error] == ["Please sign in."]
    assert not queue.dataframe


def test_overview_for_the_compliance_officer(org: Path) -> None:
    at = _signed_in("officer")
    assert [m.value for m in at.metric] == ["54", "6", "111.1", "4"]
    assert at.multiselect(key="team").options == ["Community team", "Ward 7", "Ward 9"]
    assert len(_frame(at, "excerpt")) == 6
    at.multiselect(key="category").set_value(["professionalism"]).run()
    assert [m.value for m in at.metric] == ["54", "2", "37.0", "1"]
    assert set(_frame(at, "excerpt")["category"]) == {"professionalism"}
    at.multiselect(key="team").set_value(["acute/ward-9"]).run()
    assert set(_frame(at, "excerpt")["team"]) == {"Ward 9"}


def test_overview_for_a_team_lead_shows_only_their_team(org: Path) -> None:
    at = _signed_in("lead7")
    assert at.multiselect(key="team").options == ["Ward 7"]
    assert [m.value for m in at.metric] == ["25", "3", "120.0", "2"]
    at.multiselect(key="team").set_value(["acute/ward-9"]).run()  # not an option: forced
    assert not at.exception
    assert set(_frame(at, "excerpt")["team"]) == {"Ward 7"}
    at.session_state["team"] = ["community"]
    at.query_params["team"] = "community"
    at.run()
    assert set(_frame(at, "excerpt")["team"]) == {"Ward 7"}
    assert set(_frame(at, "rule_id")["team"]) == {"Ward 7"}


def test_overview_for_an_auditor_hides_small_teams(org: Path) -> None:
    at = _signed_in("auditor")
    assert "Community team" not in set(_frame(at, "rule_id")["team"])
    at.multiselect(key="team").set_value(["community"]).run()
    assert not at.metric
    assert any("fewer than 5 people" in i.value for i in at.info)


def test_findings_queue_lists_the_open_findings(org: Path) -> None:
    at = _signed_in("officer")
    at.switch_page("views/findings_queue.py").run()
    assert _frame(at, "finding_id")["finding_id"].to_list() == ["F7", "F5", "F3", "F2"]
    at.multiselect(key="status").set_value(["resolved", "confirmed"]).run()
    assert _frame(at, "finding_id")["finding_id"].to_list() == ["F1", "F4"]
    assert "person_id" not in _frame(at, "finding_id").columns


def test_findings_queue_for_a_team_lead_stays_in_their_team(org: Path) -> None:
    at = _signed_in("lead7")
    at.switch_page("views/findings_queue.py").run()
    at.multiselect(key="status").set_value(list(STATUSES)).run()
    assert set(_frame(at, "finding_id")["finding_id"]) == {"F1", "F2", "F3"}
    at.multiselect(key="team").set_value(["acute/ward-9"]).run()
    assert set(_frame(at, "finding_id")["team"]) == {"Ward 7"}

    # A session whose state already asks for another team's finding (AppTest refuses to set a
    # selectbox to a value that is not an option, so the state is forced before the first run).
    forced = AppTest.from_file(str(APP), default_timeout=30)
    forced.session_state[SIGNED_IN] = "lead7"
    forced.session_state["team"] = ["acute/ward-9"]
    forced.session_state["finding"] = "F4"
    forced.switch_page("views/findings_queue.py").run()
    assert not forced.exception
    assert set(_frame(forced, "finding_id")["team"]) == {"Ward 7"}
    assert not forced.html  # F4 is not opened


def test_findings_queue_for_an_auditor_has_no_names_and_no_actions(org: Path) -> None:
    at = _signed_in("auditor")
    at.switch_page("views/findings_queue.py").run()
    people = set(_frame(at, "finding_id")["person"])
    assert people and not people & set(NAMES.values())
    at.selectbox(key="finding").set_value("F5").run()
    assert at.html  # the post is shown
    shown = " ".join(t.value for t in at.text)
    assert "Maya Rossi" not in shown
    keys = {b.key for b in at.button}
    assert not keys & {"record", "bulk_record"}
    assert not at.get("radio") and not at.text_area


def test_post_text_is_shown_escaped_and_links_never_fire(org: Path) -> None:
    at = _signed_in("officer")
    at.switch_page("views/findings_queue.py").run()
    at.selectbox(key="finding").set_value("F3").run()
    [post] = [h.value for h in at.html]
    assert "<mark>Bed 4</mark>" in post
    assert "<script" not in post and "&lt;script&gt;" in post
    assert "<img" not in post and "![pixel](http://tracker.example/p.png)" in post
    assert "**so**" in post  # Markdown is not interpreted either
    assert not at.get("link_button")  # its link is javascript:, so no link at all
    at.selectbox(key="finding").set_value("F5").run()
    assert len(at.get("link_button")) == 1


def test_dismissing_needs_a_reason_and_is_persisted(fresh_org: Path) -> None:
    before = _reviews(fresh_org)
    at = _signed_in("lead7")
    at.switch_page("views/findings_queue.py").run()
    at.selectbox(key="finding").set_value("F3").run()
    at.radio(key="action").set_value("Dismiss")
    at.button(key="record").click().run()
    assert [e.value for e in at.error] == ["A dismissal needs a reason."]
    assert _reviews(fresh_org) == before

    at.radio(key="action").set_value("Dismiss")
    at.text_area(key="note").input("a holiday photo, no patient")
    at.button(key="record").click().run()
    assert [s.value for s in at.success] == ["Recorded 1 decision(s)."]
    assert _reviews(fresh_org)[-1] == ("F3", "dismissed", "lead7", "a holiday photo, no patient")

    later = _signed_in("officer")  # a new session reads it back from the decisions file
    later.switch_page("views/findings_queue.py").run()
    later.multiselect(key="status").set_value(["dismissed"]).run()
    assert _frame(later, "finding_id")["finding_id"].to_list() == ["F3"]


def test_bulk_decisions(fresh_org: Path) -> None:
    at = _signed_in("officer")
    at.switch_page("views/findings_queue.py").run()
    at.multiselect(key="bulk").set_value(["F5", "F7"])
    at.selectbox(key="bulk_action").set_value("Escalate")
    at.button(key="bulk_record").click().run()
    assert [s.value for s in at.success] == ["Recorded 2 decision(s)."]
    assert [r[:3] for r in _reviews(fresh_org)[-2:]] == [
        ("F5", "escalated", "officer"),
        ("F7", "escalated", "officer"),
    ]
    assert _frame(at, "finding_id")["finding_id"].to_list() == ["F3", "F2"]


def test_opening_a_persons_findings_is_logged_once_per_person(fresh_org: Path) -> None:
    at = _signed_in("officer")
    at.switch_page("views/findings_queue.py").run()
    at.selectbox(key="finding").set_value("F5").run()
    at.text_area(key="note").input("typing a note reruns the page").run()
    at.selectbox(key="person").set_value("p01").run()
    with duckdb.connect(str(decisions_db_path(fresh_org)), read_only=True) as con:
        logged = con.execute(
            "SELECT actor, action, subject FROM audit_log WHERE action = 'view_person'"
            " ORDER BY logged_at"
        ).fetchall()
    assert logged == [("officer", "view_person", "p13"), ("officer", "view_person", "p01")]


def test_a_post_cannot_reorder_what_the_reviewer_reads(org: Path) -> None:
    at = _signed_in("officer")
    at.switch_page("views/findings_queue.py").run()
    at.multiselect(key="status").set_value(["confirmed"]).run()
    [excerpt] = _frame(at, "finding_id")["excerpt"].to_list()
    assert excerpt == "Bed 9 ⟨U+202E⟩gnitset⟨U+202C⟩ only⟨U+0007⟩ done"
    at.selectbox(key="finding").set_value("F4").run()
    [post] = [h.value for h in at.html]
    assert "\u202e" not in post and "<mark>only</mark>" in post


def _access_log(main: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(decisions_db_path(main)), read_only=True) as con:
        return con.execute(
            "SELECT actor, subject FROM audit_log WHERE action = 'view_person' ORDER BY logged_at"
        ).fetchall()


def _person_page(username: str, person: str | None = None, **state: object) -> AppTest:
    """The Person page in a new session, signed in, optionally arriving by `?person=`."""
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.session_state[SIGNED_IN] = username
    for key, value in state.items():
        at.session_state[key] = value
    if person:
        at.query_params["person"] = person
    at.run()
    return at.switch_page("views/person.py").run()


def test_person_page_for_the_compliance_officer(fresh_org: Path) -> None:
    at = _person_page("officer")
    assert at.selectbox(key="person_page_person").value is None
    assert not at.metric and _access_log(fresh_org) == []  # nothing shown, nothing logged
    assert at.selectbox(key="person_page_person").options == [
        "Choose a person",
        "Amara Okafor",
        "Femi Adeyemi",
        "Kezia Nwosu",
        "Maya Rossi",  # p07's only finding is inactive, so p07 is not listed
    ]
    at.selectbox(key="person_page_person").set_value("p13").run()
    assert not at.exception
    assert [m.value for m in at.metric] == ["3", "2", "2"]  # F1 F2 F5; F2 F5 open; F1 twice
    assert set(_frame(at, "finding_id")["finding_id"]) == {"F1", "F2", "F5"}
    assert _frame(at, "reviewer")["note"].to_list() == ["post deleted", "needs IG"]
    assert at.query_params["person"] == "p13"  # the address names who is shown
    at.selectbox(key="person_page_person").set_value("p01").run()
    at.selectbox(key="person_page_person").set_value("p13").run()
    assert _access_log(fresh_org) == [("officer", "p13"), ("officer", "p01")]  # once each


def test_person_page_opened_from_a_link_is_logged(fresh_org: Path) -> None:
    at = _person_page("officer", person="p06")
    assert at.selectbox(key="person_page_person").value == "p06"
    assert [m.value for m in at.metric] == ["1", "0", "1"]
    assert _access_log(fresh_org) == [("officer", "p06")]


def test_the_next_viewer_in_the_same_browser_is_logged_too(fresh_org: Path) -> None:
    at = _person_page("officer", person="p13")
    at.button(key="sign_out").click().run()
    assert [t.value for t in at.title] == ["Sign in"]  # on the Person page's address
    at.text_input(key="username").input("lead7")
    at.text_input(key="password").input(PASSWORDS["lead7"])
    at.button(key="sign_in_submit").click().run()
    assert [t.value for t in at.title] == ["Person"]
    assert at.selectbox(key="person_page_person").value == "p13"
    assert _access_log(fresh_org) == [("officer", "p13"), ("lead7", "p13")]


def test_the_queue_links_a_finding_to_its_person(org: Path) -> None:
    at = _signed_in("officer")
    at.switch_page("views/findings_queue.py").run()
    at.selectbox(key="finding").set_value("F5").run()
    [link] = at.get("page_link")
    assert link.proto.query_string == "person=p13" and "Maya Rossi" in link.proto.label
    auditor = _signed_in("auditor")
    auditor.switch_page("views/findings_queue.py").run()
    auditor.selectbox(key="finding").set_value("F5").run()
    assert not auditor.get("page_link")


def test_person_page_for_a_team_lead_stays_in_their_teams(fresh_org: Path) -> None:
    at = _person_page("lead7", person="p13")
    assert [m.value for m in at.metric] == ["2", "1", "2"]  # F5 came after p13 left Ward 7
    assert set(_frame(at, "finding_id")["finding_id"]) == {"F1", "F2"}
    assert at.selectbox(key="person_page_person").options == [
        "Choose a person",
        "Amara Okafor",
        "Maya Rossi",
    ]

    by_address = _person_page("lead7", person="p06")  # Ward 9
    assert [e.value for e in by_address.error] == [
        "That person has no findings in the teams you may see."
    ]
    assert not by_address.metric and not by_address.dataframe

    by_state = _person_page("lead7", person_page_person="p06")
    assert not by_state.exception and not by_state.metric and not by_state.dataframe
    assert _access_log(fresh_org) == [("lead7", "p13")]


def test_person_page_is_never_an_auditors(fresh_org: Path) -> None:
    at = _signed_in("auditor")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("views/person.py")
    direct = AppTest.from_file(str(DASHBOARDS / "views" / "person.py"), default_timeout=30)
    direct.session_state[SIGNED_IN] = "auditor"
    direct.query_params["person"] = "p13"
    direct.run()
    assert [e.value for e in direct.error] == ["Your role does not give access to this page."]
    assert not direct.metric and _access_log(fresh_org) == []


def test_team_page_for_each_role(org: Path) -> None:
    officer = _signed_in("officer")
    officer.switch_page("views/team.py").run()
    assert officer.selectbox(key="team_page").options == ["Community team", "Ward 7", "Ward 9"]
    assert _frame(officer, "open_findings")["person"].to_list() == ["Kezia Nwosu"]
    officer.selectbox(key="team_page").set_value("acute/ward-7").run()
    officer.radio(key="team_rows").set_value("rule").run()
    assert not officer.exception and not officer.info
    assert _frame(officer, "open_findings")["person"].to_list() == ["Maya Rossi", "Amara Okafor"]

    auditor = _signed_in("auditor")
    auditor.switch_page("views/team.py").run()  # the Community team has two people
    assert [i.value for i in auditor.info] == ["Nothing to show for this team."]
    assert "fewer than 5 people" in auditor.caption[0].value
    assert _frame(auditor, "open_findings").empty
    auditor.selectbox(key="team_page").set_value("acute/ward-7").run()
    people = _frame(auditor, "open_findings")["person"].to_list()
    assert len(people) == 2 and not set(people) & set(NAMES.values())


def test_team_page_for_a_team_lead_only_shows_their_team(org: Path) -> None:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.session_state[SIGNED_IN] = "lead7"
    at.session_state["team_page"] = "acute/ward-9"  # forced before the first run
    at.switch_page("views/team.py").run()
    assert not at.exception
    assert at.selectbox(key="team_page").options == ["Ward 7"]
    assert _frame(at, "open_findings")["person"].to_list() == ["Maya Rossi", "Amara Okafor"]


def test_data_page(org: Path) -> None:
    at = _signed_in("officer")
    at.switch_page("views/data.py").run()
    assert [m.value for m in at.metric] == ["1", "1"]
    assert _frame(at, "reason")["reason"].to_list() == ["member name escapes the export"]
    assert _frame(at, "run_id")["run_id"].to_list() == ["run-1"]
    assert at.json  # coverage and validation results
    auditor = _signed_in("auditor")
    auditor.switch_page("views/data.py").run()
    assert "maya-rossi-mastodon.zip" not in set(_frame(auditor, "layout")["archive"])


def test_rulebook_page_lists_the_rules(org: Path) -> None:
    at = _signed_in("auditor")
    at.switch_page("views/rulebook.py").run()
    assert [e.label for e in at.expander] == ["CONF-900 · Bed number in a post · high"]
    texts = [t.value for t in at.text]
    assert "hcpc-2024 5.1: Treat information about service users as confidential" in texts
    assert "Bed 4 again" in texts


def test_rulebook_page_shows_measured_precision_and_recall(fresh_org: Path) -> None:
    evals = fresh_org.parent / "rules" / "eval"
    evals.mkdir()
    rows = [
        {"id": "a", "text": "Bed 4 again, so tired", "categories": ["confidentiality"]},
        {"id": "b", "text": "A quiet shift", "categories": ["confidentiality"]},
        {"id": "c", "text": "Bed 9 is free now", "categories": []},
    ]
    (evals / "posts.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    at = _signed_in("officer")
    at.switch_page("views/rulebook.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    micro = table[table["category"] == "all (micro)"].iloc[0]
    assert (micro["precision"], micro["recall"]) == (0.5, 0.5)
    assert "Precision on the development set: 0.50" in [c.value for c in at.caption]


def test_rulebook_page_explains_a_broken_rulebook(
    org: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCIALAUDIT_RULES", str(tmp_path))
    at = _signed_in("officer")
    at.switch_page("views/rulebook.py").run()
    assert not at.exception
    assert at.warning[0].value.startswith("The rulebook could not be read")


def test_check_a_post(org: Path) -> None:
    at = _signed_in("lead7")
    at.switch_page("views/check_post.py").run()
    at.text_area(key="post_text").input("Bed 12 <img src=x onerror=alert(1)> again")
    at.button(key="check").click().run()
    assert not at.exception
    [post] = [h.value for h in at.html]
    assert "<mark>Bed 12</mark>" in post and "&lt;img src=x" in post and "<img" not in post
    assert [s.value for s in at.subheader] == ["CONF-900 · Bed number in a post"]
    at.text_area(key="post_text").input("Off to bed now")
    at.button(key="check").click().run()
    assert at.success[0].value.startswith("No findings")


def test_no_database_yet(tmp_path: Path, org: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALAUDIT_DB", str(tmp_path / "socialaudit.duckdb"))
    at = _signed_in("officer")
    assert not at.exception
    assert "socialaudit demo" in at.info[0].value
