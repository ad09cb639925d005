"""How fast the dashboard's pages answer on a million posts.

    .venv/bin/python bench/dashboard.py [--posts 1000000] [--repeats 15] [--folder DIR]

Builds a synthetic organisation straight in DuckDB SQL (45 teams, 4,000 people of whom one in ten
changes team halfway, posts spread over two years, findings on about 3% of posts, a decision on
one finding in five), publishes its serving copy, then times every query function each page runs,
for a compliance officer and for a team lead, through the dashboard's own read-only connections.
Prints JSON: the median and 95th percentile of each function and of each page's whole run (the
connection, the decisions snapshot and every query), in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from dashboards import cache, data_access, queries
from dashboards.access import Scope, Viewer, scope_for
from socialaudit import db, decisions
from socialaudit.settings import decisions_db_path
from transforms.publish import publish_serving_copy

PEOPLE = 4000
DIRECTORATES, TEAMS_EACH = 5, 8
CATEGORIES = ("confidentiality", "professionalism", "boundaries", "misinformation")
SEVERITIES = ("low", "medium", "high", "critical")
RULES = 24  # rule R07 is in category 7 % 4 and severity 7 % 4

VIEWERS = {
    "compliance_officer": Viewer("officer", "compliance_officer"),
    "team_lead": Viewer("lead", "team_lead", ("dir-1/team-1",)),
}


def build(folder: Path, posts: int) -> Path:
    """The main database, its serving copy (published as the audit publishes it, with the
    dashboard's aggregates) and a decisions file; returns the main path."""
    main = folder / "socialaudit.duckdb"
    con = db.connect(main)
    params = {
        "posts": posts,
        "people": PEOPLE,
        "directorates": DIRECTORATES,
        "teams_each": TEAMS_EACH,
        "categories": list(CATEGORIES),
        "severities": list(SEVERITIES),
        "rules": RULES,
    }
    for statement in _BUILD_SQL:
        con.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
    con.close()
    _write_reviews(publish_serving_copy(main), decisions_db_path(main))
    return main


_TEAM = "'dir-' || ({n} // $teams_each) || '/team-' || ({n} % $teams_each)"

_BUILD_SQL = [
    """
    INSERT INTO teams
    SELECT 'dir-' || d, 'Directorate ' || d, NULL FROM range($directorates) r(d)
    UNION ALL
    SELECT 'dir-' || d || '/team-' || t, 'Team ' || d || '.' || t, 'dir-' || d
    FROM range($directorates) r(d), range($teams_each) s(t)
    """,
    """
    INSERT INTO people
    SELECT 'p' || i, 'Person number ' || i, 'nurse', 'nmc' FROM range($people) r(i)
    """,
    # Everyone joins a team in 2020; one in ten moves to the next team on 1 July 2025.
    f"""
    INSERT INTO team_memberships
    SELECT 'p' || i, {_TEAM.format(n="(i % ($directorates * $teams_each))")}, DATE '2020-01-01',
           CASE WHEN i % 10 = 0 THEN DATE '2025-07-01' END
    FROM range($people) r(i)
    UNION ALL
    SELECT 'p' || i, {_TEAM.format(n="((i + 1) % ($directorates * $teams_each))")},
           DATE '2025-07-01', NULL
    FROM range($people) r(i) WHERE i % 10 = 0
    """,
    """
    INSERT INTO posts (platform, post_id, person_id, created_at, kind, text, text_sha256,
                       visibility, url, archive_sha256, first_seen_at, present)
    SELECT 'mastodon', 'post-' || i, 'p' || (hash(i, 'person') % $people),
           TIMESTAMP '2024-01-01' + to_seconds(CAST(hash(i, 'when') % (730 * 86400) AS BIGINT)),
           'post', 'Synthetic post number ' || i, md5('Synthetic post number ' || i), 'public',
           'https://social.example/post-' || i, repeat('a', 64), TIMESTAMP '2026-01-01', true
    FROM range($posts) r(i)
    """,
    """
    INSERT INTO findings (finding_id, platform, post_id, person_id, rule_id, rulebook_version,
                          category, severity, confidence, start_char, end_char, spans, excerpt,
                          message, standard, post_created_at, active, first_seen_at)
    SELECT 'F' || md5(p.post_id), p.platform, p.post_id, p.person_id,
           'R' || lpad(CAST(rule AS VARCHAR), 2, '0'),
           'bench.1', $categories[1 + rule % 4], $severities[1 + rule % 4], 0.9, 0, 9,
           '[[0, 9]]', left(p.text, 40), 'Why it matters', 'HCPC SCPE 2024 5.1', p.created_at,
           hash(p.post_id, 'active') % 20 <> 0, p.created_at
    FROM (SELECT *, CAST(hash(post_id, 'rule') % $rules AS INTEGER) AS rule FROM posts) p
    WHERE hash(p.post_id, 'finding') % 100 < 3
    """,
]


def _write_reviews(serving: Path, decisions_file: Path) -> None:
    """A decision on one finding in five, as the review queue would have written them."""
    con = duckdb.connect(str(decisions_file))
    con.execute(decisions.SCHEMA)
    con.execute(f"ATTACH '{serving}' AS serving (READ_ONLY)")
    con.execute(
        """
        INSERT INTO reviews
        SELECT finding_id,
               ['confirmed', 'dismissed', 'escalated'][1 + CAST(hash(finding_id) % 3 AS INTEGER)],
               'officer', 'bench', post_created_at + INTERVAL 30 DAY
        FROM serving.findings WHERE hash(finding_id, 'reviewed') % 5 = 0
        """
    )
    con.close()


@dataclass(frozen=True)
class Subjects:
    """The team, finding and person the Team, Findings queue and Person pages open."""

    team: str
    finding: str
    person: str

    @classmethod
    def first_for(cls, con: duckdb.DuckDBPyConnection, scope: Scope) -> Subjects:
        first = queries.findings_queue(con, scope, queries.Filters(statuses=("open",)), limit=1)
        return cls(scope.team_ids[-1], first["finding_id"][0], first["person_id"][0])


def page_queries(
    con: duckdb.DuckDBPyConnection, scope: Scope, subjects: Subjects
) -> dict[str, dict[str, Callable[[], Any]]]:
    """What each page asks for on one run, with the filters a reviewer starts from."""
    everything, still_open = queries.Filters(), queries.Filters(statuses=("open",))
    team, finding, person = subjects.team, subjects.finding, subjects.person
    filter_options = {
        "teams": lambda: queries.teams(con, scope),
        "categories": lambda: queries.categories(con),
        "severities": lambda: queries.severities(con),
        "post_date_range": lambda: queries.post_date_range(con),
    }
    return {
        "overview": filter_options
        | {
            "headline": lambda: queries.headline(con, scope, everything),
            "finding_rates_month": lambda: queries.finding_rates(con, scope, everything),
            "rule_drivers": lambda: queries.rule_drivers(con, scope, everything),
            "latest_findings": lambda: queries.latest_findings(con, scope, everything),
        },
        # The Overview again with the same filters: its aggregates come from the cache.
        "overview_rerun": filter_options
        | {
            "latest_findings": lambda: queries.latest_findings(con, scope, everything),
            "cached_aggregates": lambda: cache.overview(
                cache.data_version(con), scope, everything, "month"
            ),
        },
        "overview_week_one_category": {
            "finding_rates_week": lambda: queries.finding_rates(
                con,
                scope,
                queries.Filters(categories=("confidentiality",), start=date(2025, 1, 1)),
                grain="week",
            ),
        },
        "findings_queue": filter_options
        | {
            "people": lambda: queries.people(con, scope, still_open),
            "findings_queue": lambda: queries.findings_queue(con, scope, still_open),
            "finding_detail": lambda: queries.finding_detail(con, scope, finding),
            "review_history": lambda: queries.review_history(con, finding),
        },
        "person": {
            "people": lambda: queries.people(con, scope, everything),
            "person_timeline": lambda: queries.person_timeline(con, scope, person),
            "person_findings": lambda: queries.findings_queue(
                con, scope, everything, person_id=person
            ),
            "person_decisions": lambda: queries.person_decisions(con, scope, person),
        },
        "team": {
            "teams": lambda: queries.teams(con, scope),
            "team_heatmap": lambda: queries.team_heatmap(con, scope, team),
            "team_people": lambda: queries.team_people(con, scope, team),
        },
        "team_rerun": {
            "teams": lambda: queries.teams(con, scope),
            "cached_aggregates": lambda: cache.team(
                cache.data_version(con), scope, team, "category"
            ),
        },
        "data": {
            "archives": lambda: queries.archives(con, scope),
            "latest_runs": lambda: queries.latest_runs(con),
            "unplaced_findings": lambda: queries.unplaced_findings(con),
        },
    }


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": round(statistics.median(ordered), 1), "p95_ms": round(p95, 1)}


def timed(call: Callable[[], Any]) -> float:
    started = time.perf_counter()
    call()
    return 1000 * (time.perf_counter() - started)


def measure(main: Path, viewer: Viewer, repeats: int) -> dict[str, Any]:
    """Each function alone on one connection, then each page's whole run on a new one."""
    with data_access.read_connection(main) as con:
        scope = scope_for(viewer, con)
        subjects = Subjects.first_for(con, scope)
        pages = page_queries(con, scope, subjects)
        functions = {
            page: {
                name: summary([timed(call) for _ in range(repeats)]) for name, call in calls.items()
            }
            for page, calls in pages.items()
        }

    def whole_page(page: str) -> None:
        with data_access.read_connection(main) as con:
            for call in page_queries(con, scope_for(viewer, con), subjects)[page].values():
                call()

    return {
        "functions": functions,
        "pages": {
            page: summary([timed(lambda page=page: whole_page(page)) for _ in range(repeats)])
            for page in pages
        },
    }


def run(folder: Path, posts: int, repeats: int) -> dict[str, Any]:
    started = time.perf_counter()
    main_db = build(folder, posts)
    built_s = time.perf_counter() - started
    os.environ["SOCIALAUDIT_DB"] = str(main_db)  # where the cached aggregates read
    with data_access.read_connection(main_db) as con:
        counts = {
            table: con.sql(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("posts", "findings", "people", "teams", "decisions.reviews")
        }
    return {
        "database": {**counts, "build_s": round(built_s, 1), "folder": str(folder)},
        "duckdb": duckdb.__version__,
        "repeats": repeats,
        "roles": {role: measure(main_db, viewer, repeats) for role, viewer in VIEWERS.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--folder", type=Path, help="where to build and keep the database")
    args = parser.parse_args()
    if args.folder:
        print(json.dumps(run(args.folder, args.posts, args.repeats), indent=2))
        return
    with tempfile.TemporaryDirectory(prefix="socialaudit-bench-") as folder:
        print(json.dumps(run(Path(folder), args.posts, args.repeats), indent=2))


if __name__ == "__main__":
    main()
