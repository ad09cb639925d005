"""Everything the dashboard shows, as plain functions over a read-only connection.

Each function takes the viewer's `Scope` (teams they may see, whether names show, the smallest
group an aggregate may cover) and the page's `Filters`, aggregates in SQL and returns a polars
frame. A finding or post counts for the team its author was in on the post's date; only active
findings count; a finding's status is its latest review, 'open' when there is none. Excerpts of
post text come with their control and bidi characters spelled out (see `highlight`).

Posts and findings are read already placed in their teams, from the tables the publish step adds
to the serving copy (`aggregates`); statuses come from the page run's snapshot of the reviews.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import duckdb
import polars as pl

from dashboards.access import Scope
from dashboards.highlight import visible_controls
from transforms.aggregates import MEMBER_ON

SEVERITY_ORDER = ("low", "medium", "high", "critical")
Grain = Literal["month", "week"]


@dataclass(frozen=True)
class Filters:
    """What the viewer asked for; empty means no restriction (within their scope)."""

    teams: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    start: date | None = None  # post dates, both ends included
    end: date | None = None


# A stable pseudonym for roles that may not see names, keyed so it cannot be recomputed from ids.
_PERSON_LABEL = (
    "CASE WHEN $names THEN {name} ELSE 'Person ' || upper(left(sha256($key || {id}), 6)) END"
)
# The label of the person in `{alias}.person_id`, with `people pe` joined.
_PERSON = _PERSON_LABEL.format(name="pe.display_name", id="{alias}.person_id")
# A finding's status, with `decisions.statuses s` joined: its latest review, open without one.
_STATUS = "coalesce(s.status, 'open')"


def _team_posts(grain: Grain) -> str:
    """Posts per team, person and period within scope and dates, from the serving copy's
    aggregates: whole periods from their own table, the days of a period the dates cut (head
    and tail) from the day table."""
    return f"""
team_posts AS (
    SELECT team_id, person_id, period, posts FROM team_posts_by_{grain}
    WHERE list_contains($teams::VARCHAR[], team_id)
      AND ($whole_from::DATE IS NULL OR period >= $whole_from::DATE)
      AND ($whole_until::DATE IS NULL OR period < $whole_until::DATE)
    UNION ALL
    SELECT team_id, person_id, CAST(date_trunc('{grain}', day) AS DATE) AS period, posts
    FROM team_posts_by_day
    WHERE list_contains($teams::VARCHAR[], team_id)
      AND (day BETWEEN $head_from::DATE AND $head_to::DATE
           OR day BETWEEN $tail_from::DATE AND $tail_to::DATE)
)"""


# Posts and active findings placed in the team of their date, within scope and filters. Statuses
# and names are joined only where a query needs them: on 300,000 findings each join costs more
# than the aggregate itself.
def _placed_sql(grain: Grain, by_status: bool) -> str:
    status_join, status_filter = "", ""
    if by_status:
        status_join = "LEFT JOIN decisions.statuses s ON s.finding_id = f.finding_id"
        status_filter = f"AND list_contains($statuses::VARCHAR[], {_STATUS})"
    return f"""
WITH {_team_posts(grain)},
team_findings AS (
    SELECT f.*, t.name AS team
    FROM placed_findings f
    JOIN teams t ON t.team_id = f.team_id
    {status_join}
    WHERE list_contains($teams::VARCHAR[], f.team_id)
      AND ($start::DATE IS NULL OR CAST(f.post_created_at AS DATE) >= $start::DATE)
      AND ($end::DATE IS NULL OR CAST(f.post_created_at AS DATE) <= $end::DATE)
      AND (len($categories::VARCHAR[]) = 0 OR list_contains($categories::VARCHAR[], f.category))
      AND (len($severities::VARCHAR[]) = 0 OR list_contains($severities::VARCHAR[], f.severity))
      {status_filter}
)
"""


def _period_start(day: date, grain: Grain) -> date:
    """As DuckDB's date_trunc: the first of the month, or the Monday of the week."""
    return day.replace(day=1) if grain == "month" else day - timedelta(days=day.weekday())


def _next_period(start: date, grain: Grain) -> date:
    if grain == "week":
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def _date_params(filters: Filters, grain: Grain) -> dict[str, date | None]:
    """The whole periods within the filter's dates ([whole_from, whole_until), open-ended where
    a date is not given), and the days before (head) and after (tail) them."""
    start, end = filters.start, filters.end
    whole_from = start
    if start is not None and _period_start(start, grain) != start:
        whole_from = _next_period(_period_start(start, grain), grain)
    whole_until = None
    if end is not None:
        last = _period_start(end, grain)
        after = _next_period(last, grain)
        whole_until = after if after - timedelta(days=1) == end else last
    head: tuple[date | None, date | None] = (None, None)
    tail: tuple[date | None, date | None] = (None, None)
    if whole_from is not None and whole_until is not None and whole_from >= whole_until:
        head, whole_until = (start, end), whole_from  # no whole period: the days, no periods
    else:
        if start is not None and whole_from is not None and start < whole_from:
            head = (start, whole_from - timedelta(days=1))
        if end is not None and whole_until is not None and whole_until <= end:
            tail = (whole_until, end)
    return {
        "whole_from": whole_from,
        "whole_until": whole_until,
        "head_from": head[0],
        "head_to": head[1],
        "tail_from": tail[0],
        "tail_to": tail[1],
    }


def _placed(
    con: duckdb.DuckDBPyConnection,
    select: str,
    scope: Scope,
    filters: Filters,
    grain: Grain = "month",
    **extra: Any,
) -> pl.DataFrame:
    """Run `select` after the placed posts and findings. The teams are narrowed to the scope
    here, server-side; DuckDB refuses parameters a statement does not use, so only the used ones
    are passed."""
    sql = _placed_sql(grain, by_status=bool(filters.statuses)) + select
    params = {
        "teams": scope.restrict(filters.teams),
        "categories": list(filters.categories),
        "severities": list(filters.severities),
        "statuses": list(filters.statuses),
        "start": filters.start,
        "end": filters.end,
        "names": scope.sees_names,
        "key": scope.pseudonym_key,
        **_date_params(filters, grain),
        **extra,
    }
    used = {name: value for name, value in params.items() if re.search(rf"\${name}\b", sql)}
    return con.sql(sql, params=used).pl()


def _visible_excerpts(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(pl.col("excerpt").map_elements(visible_controls, pl.String))


# Filter options


def teams(con: duckdb.DuckDBPyConnection, scope: Scope) -> pl.DataFrame:
    """The teams the viewer may pick: those in scope that have ever had members."""
    return con.sql(
        """
        SELECT team_id, name FROM teams
        WHERE list_contains($teams::VARCHAR[], team_id)
          AND team_id IN (SELECT team_id FROM team_memberships)
        ORDER BY name, team_id
        """,
        params={"teams": list(scope.team_ids)},
    ).pl()


def categories(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.sql("SELECT DISTINCT category FROM findings WHERE active ORDER BY 1").fetchall()
    return [row[0] for row in rows]


def severities(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Severities present, mildest first."""
    rows = con.sql(
        "SELECT DISTINCT severity FROM findings WHERE active "
        "ORDER BY coalesce(list_position($order::VARCHAR[], severity), 99), severity",
        params={"order": list(SEVERITY_ORDER)},
    ).fetchall()
    return [row[0] for row in rows]


def post_date_range(con: duckdb.DuckDBPyConnection) -> tuple[date, date] | None:
    """The first and last post dates, for a date filter's defaults; None before any post."""
    first, last = con.sql("SELECT first, last FROM post_dates").fetchall()[0]
    return None if first is None else (first, last)


# Aggregates: each leaves out groups of fewer than scope.min_people people.


def finding_rates(
    con: duckdb.DuckDBPyConnection, scope: Scope, filters: Filters, grain: Grain = "month"
) -> pl.DataFrame:
    """Findings per 1,000 posts per team and period. Posts are counted per team and period too,
    so a period with posts but no findings shows a rate of 0."""
    if grain not in ("month", "week"):
        raise ValueError(f"grain must be 'month' or 'week', not {grain!r}")
    return _placed(
        con,
        f"""
        , post_counts AS (
            SELECT team_id, period, CAST(sum(posts) AS BIGINT) AS posts,
                   count(DISTINCT person_id) AS people
            FROM team_posts GROUP BY ALL
        ),
        finding_counts AS (
            SELECT team_id, CAST(date_trunc('{grain}', post_created_at) AS DATE) AS period,
                   count(*) AS findings
            FROM team_findings GROUP BY ALL
        )
        SELECT t.name AS team, pc.team_id, pc.period, pc.posts,
               coalesce(fc.findings, 0) AS findings, pc.people,
               1000.0 * coalesce(fc.findings, 0) / pc.posts AS rate_per_1000
        FROM post_counts pc
        JOIN teams t ON t.team_id = pc.team_id
        LEFT JOIN finding_counts fc ON fc.team_id = pc.team_id AND fc.period = pc.period
        WHERE pc.people >= $min_people
        ORDER BY team, pc.period
        """,
        scope,
        filters,
        grain,
        min_people=scope.min_people,
    )


def headline(con: duckdb.DuckDBPyConnection, scope: Scope, filters: Filters) -> pl.DataFrame:
    """One row of totals for the filtered period, or no row when it covers too few people."""
    return _placed(
        con,
        f"""
        , post_totals AS (
            SELECT CAST(coalesce(sum(posts), 0) AS BIGINT) AS posts,
                   count(DISTINCT person_id) AS people
            FROM team_posts
        ),
        finding_totals AS (
            SELECT count(*) AS findings, count(*) FILTER ({_STATUS} = 'open') AS open_findings
            FROM team_findings f LEFT JOIN decisions.statuses s ON s.finding_id = f.finding_id
        )
        SELECT posts, people, findings, open_findings,
               CASE WHEN posts > 0 THEN 1000.0 * findings / posts END AS rate_per_1000
        FROM post_totals, finding_totals
        WHERE people >= $min_people
        """,
        scope,
        filters,
        min_people=scope.min_people,
    )


def rule_drivers(
    con: duckdb.DuckDBPyConnection, scope: Scope, filters: Filters, top: int = 3
) -> pl.DataFrame:
    """The rules behind most of each team's findings in the period, with their share."""
    return _placed(
        con,
        """
        , team_people AS (
            SELECT team_id, count(DISTINCT person_id) AS people FROM team_posts GROUP BY ALL
        ),
        by_rule AS (
            SELECT team_id, team, rule_id, category, count(*) AS findings
            FROM team_findings GROUP BY ALL
        )
        SELECT r.team, r.rule_id, r.category, r.findings,
               r.findings / sum(r.findings) OVER (PARTITION BY r.team_id) AS share
        FROM by_rule r
        JOIN team_people tp ON tp.team_id = r.team_id
        WHERE tp.people >= $min_people
        QUALIFY row_number() OVER (PARTITION BY r.team_id ORDER BY r.findings DESC, r.rule_id)
                <= $top
        ORDER BY r.team, r.findings DESC, r.rule_id
        """,
        scope,
        filters,
        min_people=scope.min_people,
        top=top,
    )


# Individual findings


def latest_findings(
    con: duckdb.DuckDBPyConnection, scope: Scope, filters: Filters, limit: int = 20
) -> pl.DataFrame:
    """The most recent findings, newest first, as the overview lists them."""
    frame = _placed(
        con,
        f"""
        , latest AS (
            SELECT * FROM team_findings ORDER BY post_created_at DESC, finding_id, team LIMIT $limit
        )
        SELECT CAST(l.post_created_at AS DATE) AS date, l.team, l.rule_id AS rule, l.category,
               l.severity, f.excerpt, {_STATUS} AS status
        FROM latest l
        JOIN findings f ON f.rowid = l.finding_row
        LEFT JOIN decisions.statuses s ON s.finding_id = l.finding_id
        ORDER BY l.post_created_at DESC, l.finding_id, l.team
        """,
        scope,
        filters,
        limit=limit,
    )
    return _visible_excerpts(frame)


def findings_queue(
    con: duckdb.DuckDBPyConnection,
    scope: Scope,
    filters: Filters,
    person_id: str | None = None,
    limit: int = 500,
) -> pl.DataFrame:
    """The review queue: the findings matching the filters (optionally one person's), most
    severe and newest first. person_id is kept for the access log, never displayed."""
    frame = _placed(
        con,
        f"""
        , queue AS (
            SELECT *, coalesce(list_position($order::VARCHAR[], severity), 0) AS severity_rank
            FROM team_findings
            WHERE ($person::VARCHAR IS NULL OR person_id = $person::VARCHAR)
              -- someone in two teams at once has the finding in both: list it once
              AND NOT list_has_any(earlier_teams, $teams::VARCHAR[])
            ORDER BY severity_rank DESC, post_created_at DESC, finding_id
            LIMIT $limit
        )
        SELECT q.finding_id, CAST(q.post_created_at AS DATE) AS date, q.team,
               {_PERSON.format(alias="q")} AS person, q.person_id, q.rule_id AS rule, q.category,
               q.severity, {_STATUS} AS status, f.excerpt
        FROM queue q
        JOIN findings f ON f.rowid = q.finding_row
        LEFT JOIN people pe ON pe.person_id = q.person_id
        LEFT JOIN decisions.statuses s ON s.finding_id = q.finding_id
        ORDER BY q.severity_rank DESC, q.post_created_at DESC, q.finding_id
        """,
        scope,
        filters,
        person=person_id,
        order=list(SEVERITY_ORDER),
        limit=limit,
    )
    return _visible_excerpts(frame)


def people(con: duckdb.DuckDBPyConnection, scope: Scope, filters: Filters) -> pl.DataFrame:
    """The people with findings matching the filters, for picking one person's findings."""
    return _placed(
        con,
        f"""
        , counts AS (SELECT person_id, count(*) AS findings FROM team_findings GROUP BY ALL)
        SELECT c.person_id, {_PERSON.format(alias="c")} AS person, c.findings
        FROM counts c LEFT JOIN people pe ON pe.person_id = c.person_id
        ORDER BY person, c.person_id
        """,
        scope,
        filters,
    )


def finding_detail(
    con: duckdb.DuckDBPyConnection, scope: Scope, finding_id: str
) -> dict[str, Any] | None:
    """One finding with its post's text, or None when it is not in the viewer's scope."""
    frame = _placed(
        con,
        f"""
        SELECT f.finding_id, CAST(f.post_created_at AS DATE) AS date, f.team,
               {_PERSON.format(alias="f")} AS person, f.person_id, d.platform, f.rule_id,
               f.category, f.severity, d.confidence, d.standard, d.message, d.guidance,
               {_STATUS} AS status, CAST(d.spans AS VARCHAR) AS spans, p.text, p.url
        FROM team_findings f
        JOIN findings d ON d.rowid = f.finding_row
        JOIN posts p ON p.rowid = f.post_row
        LEFT JOIN people pe ON pe.person_id = f.person_id
        LEFT JOIN decisions.statuses s ON s.finding_id = f.finding_id
        WHERE f.finding_id = $finding_id
        LIMIT 1
        """,
        scope,
        Filters(),
        finding_id=finding_id,
    )
    return frame.row(0, named=True) if frame.height else None


def in_scope(con: duckdb.DuckDBPyConnection, scope: Scope, finding_ids: list[str]) -> list[str]:
    """The given findings the viewer may act on: checked again just before any decision."""
    frame = _placed(
        con,
        """
        SELECT DISTINCT finding_id FROM team_findings
        WHERE list_contains($ids::VARCHAR[], finding_id)
        ORDER BY finding_id
        """,
        scope,
        Filters(),
        ids=finding_ids,
    )
    return frame["finding_id"].to_list()


def review_history(con: duckdb.DuckDBPyConnection, finding_id: str) -> pl.DataFrame:
    """Every decision on one finding, oldest first (callers check scope with `finding_detail`)."""
    return con.sql(
        "SELECT decided_at, reviewer, decision, note FROM decisions.reviews "
        "WHERE finding_id = $id ORDER BY decided_at",
        params={"id": finding_id},
    ).pl()


# One person, for the Person page (callers check the person is among `people` first)


def person_timeline(con: duckdb.DuckDBPyConnection, scope: Scope, person_id: str) -> pl.DataFrame:
    """One person's findings per month and category, in the viewer's teams only: a team lead
    sees the months the person spent in their teams, not the months elsewhere."""
    return _placed(
        con,
        """
        SELECT CAST(date_trunc('month', post_created_at) AS DATE) AS month, category,
               count(DISTINCT finding_id) AS findings
        FROM team_findings
        WHERE person_id = $person
        GROUP BY ALL
        ORDER BY month, category
        """,
        scope,
        Filters(),
        person=person_id,
    )


def person_decisions(con: duckdb.DuckDBPyConnection, scope: Scope, person_id: str) -> pl.DataFrame:
    """Every decision on one person's findings in the viewer's teams, newest first."""
    return _placed(
        con,
        """
        , person_findings AS (
            SELECT DISTINCT finding_id, rule_id, CAST(post_created_at AS DATE) AS post_date
            FROM team_findings WHERE person_id = $person
        )
        SELECT r.decided_at, r.finding_id, f.post_date, f.rule_id AS rule, r.decision,
               r.reviewer, r.note
        FROM decisions.reviews r
        JOIN person_findings f ON f.finding_id = r.finding_id
        ORDER BY r.decided_at DESC, r.finding_id
        """,
        scope,
        Filters(),
        person=person_id,
    )


# One team, for the Team page

TeamRows = Literal["category", "rule"]


def team_heatmap(
    con: duckdb.DuckDBPyConnection, scope: Scope, team_id: str, rows: TeamRows = "category"
) -> pl.DataFrame:
    """Findings per month and category (or rule) for one team, with every month that has posts
    and every category (or rule) with findings in those months, so an empty cell reads 0. Months
    with posts from fewer than scope.min_people people are left out."""
    if rows not in ("category", "rule"):
        raise ValueError(f"rows must be 'category' or 'rule', not {rows!r}")
    return _placed(
        con,
        """
        , months AS (
            SELECT period AS month, CAST(sum(posts) AS BIGINT) AS posts
            FROM team_posts GROUP BY ALL
            HAVING count(DISTINCT person_id) >= $min_people
        ),
        counts AS (
            SELECT CAST(date_trunc('month', post_created_at) AS DATE) AS month,
                   CASE WHEN $by_rule THEN rule_id ELSE category END AS label,
                   count(*) AS findings
            FROM team_findings GROUP BY ALL
        ),
        -- only from the months shown: a row must not tell of a finding in a month left out
        labels AS (SELECT DISTINCT label FROM counts WHERE month IN (SELECT month FROM months))
        SELECT m.month, l.label, coalesce(c.findings, 0) AS findings, m.posts,
               1000.0 * coalesce(c.findings, 0) / m.posts AS rate_per_1000
        FROM months m
        CROSS JOIN labels l
        LEFT JOIN counts c ON c.month = m.month AND c.label = l.label
        ORDER BY m.month, l.label
        """,
        scope,
        Filters(teams=(team_id,)),
        by_rule=rows == "rule",
        min_people=scope.min_people,
    )


def team_people(con: duckdb.DuckDBPyConnection, scope: Scope, team_id: str) -> pl.DataFrame:
    """The team's people with findings, most findings first; nobody at all when the team's posts
    come from fewer than scope.min_people people, as a list of so few would single them out."""
    return _placed(
        con,
        f"""
        , team_size AS (SELECT count(DISTINCT person_id) AS people FROM team_posts),
        counts AS (
            SELECT f.person_id, count(*) AS findings,
                   count(*) FILTER ({_STATUS} = 'open') AS open_findings,
                   CAST(max(f.post_created_at) AS DATE) AS latest
            FROM team_findings f LEFT JOIN decisions.statuses s ON s.finding_id = f.finding_id
            WHERE (SELECT people FROM team_size) >= $min_people
            GROUP BY f.person_id
        )
        SELECT {_PERSON.format(alias="c")} AS person, c.findings, c.open_findings, c.latest
        FROM counts c LEFT JOIN people pe ON pe.person_id = c.person_id
        ORDER BY c.findings DESC, person
        """,
        scope,
        Filters(teams=(team_id,)),
        min_people=scope.min_people,
    )


# The data page


def archives(con: duckdb.DuckDBPyConnection, scope: Scope) -> pl.DataFrame:
    """Every archive read, newest first. File names often carry a person's name, so roles that
    may not see names get the archive's hash instead."""
    return con.sql(
        f"""
        SELECT CASE WHEN $names THEN a.file_name ELSE left(a.sha256, 12) END AS archive,
               a.platform, a.layout,
               {_PERSON_LABEL.format(name="pe.display_name", id="a.person_id")} AS person,
               a.status, a.reason, a.records_read, a.posts_stored, a.ingested_at,
               CAST(a.coverage AS VARCHAR) AS coverage, CAST(a.validation AS VARCHAR) AS validation
        FROM archives a
        LEFT JOIN people pe ON pe.person_id = a.person_id
        ORDER BY a.ingested_at DESC, a.sha256
        """,
        params={"names": scope.sees_names, "key": scope.pseudonym_key},
    ).pl()


def latest_runs(con: duckdb.DuckDBPyConnection, limit: int = 20) -> pl.DataFrame:
    return con.sql(
        "SELECT run_id, flow, started_at, ended_at, status, CAST(counts AS VARCHAR) AS counts "
        "FROM runs ORDER BY started_at DESC LIMIT $limit",
        params={"limit": limit},
    ).pl()


def unplaced_findings(con: duckdb.DuckDBPyConnection) -> int:
    """Active findings whose author was in no team on the post's date: they count nowhere,
    so the membership data needs fixing."""
    return con.sql(
        f"""
        SELECT count(*) FROM findings f
        WHERE f.active AND NOT EXISTS (
            SELECT 1 FROM team_memberships m
            WHERE m.person_id = f.person_id AND {MEMBER_ON.format(at="f.post_created_at")}
        )
        """
    ).fetchall()[0][0]
