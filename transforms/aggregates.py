"""The small tables the dashboard reads instead of every post, built into each serving copy.

At ten million posts, placing every post in its author's team of the day takes the dashboard
seconds on each first load. The publish step does it once instead: posts per team, person and
day, week or month (no text, only counts), the first and last post dates, and every active
finding placed in its team (ids, dates, rule, category, severity: the excerpt stays in
`findings`, the text in `posts`). Review statuses are not in them: decisions are made after
publishing, so the dashboard joins each page run's snapshot of them, and a decision shows at once.

Periods are the ones `date_trunc` gives (months, weeks from Monday); a date filter that cuts a
period reads that period's days from the day table, so every figure stays exact.
"""

from __future__ import annotations

import duckdb

# The membership in force on a date: valid_from <= date < valid_to (open-ended while current).
MEMBER_ON = (
    "m.valid_from <= CAST({at} AS DATE) "
    "AND CAST({at} AS DATE) < coalesce(m.valid_to, DATE '9999-12-31')"
)

GRAINS = ("week", "month")
MARKER = "team_posts_by_month"  # the last table built: when it is there, they all are

_DAY = f"""
{{create}} team_posts_by_day AS
WITH daily AS (
    SELECT person_id, CAST(created_at AS DATE) AS day, count(*) AS posts
    FROM posts GROUP BY ALL
)
SELECT m.team_id, d.person_id, d.day, d.posts
FROM daily d
JOIN team_memberships m ON m.person_id = d.person_id AND {MEMBER_ON.format(at="d.day")}
ORDER BY d.day, m.team_id, d.person_id
"""

_PERIOD = """
{create} team_posts_by_{grain} AS
SELECT team_id, person_id, CAST(date_trunc('{grain}', day) AS DATE) AS period,
       CAST(sum(posts) AS BIGINT) AS posts
FROM team_posts_by_day
GROUP BY ALL
ORDER BY period, team_id, person_id
"""

_DATES = """
{create} post_dates AS
SELECT CAST(min(created_at) AS DATE) AS first, CAST(max(created_at) AS DATE) AS last FROM posts
"""

# Someone in two teams at once has each finding in both, as they have each post. A list shows such
# a finding once, under the first of its teams (by name) that the viewer sees: `earlier_teams`
# names the teams before this one. The rows of the finding and of its post in this (read-only)
# copy let the dashboard fetch an excerpt or a post without searching for it.
_FINDINGS = f"""
{{create}} placed_findings AS
WITH placed AS (
    SELECT f.finding_id, m.team_id, f.person_id, f.post_created_at, f.rule_id, f.category,
           f.severity, f.rowid AS finding_row, p.rowid AS post_row, t.name AS team
    FROM findings f
    JOIN team_memberships m
      ON m.person_id = f.person_id AND {MEMBER_ON.format(at="f.post_created_at")}
    LEFT JOIN teams t ON t.team_id = m.team_id
    LEFT JOIN posts p ON p.platform = f.platform AND p.post_id = f.post_id
    WHERE f.active
)
SELECT * EXCLUDE (team),
       coalesce(list(team_id) OVER (
           PARTITION BY finding_id ORDER BY team, team_id
           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
       ), []) AS earlier_teams
FROM placed
ORDER BY post_created_at DESC, finding_id, team_id
"""


def build(con: duckdb.DuckDBPyConnection, temporary: bool = False) -> None:
    """Create the tables from the connection's posts, findings and memberships, beside them or
    as temporary tables of this connection only."""
    create = "CREATE TEMPORARY TABLE" if temporary else "CREATE TABLE"
    periods = [_PERIOD.format(create="{create}", grain=grain) for grain in GRAINS]
    for statement in [_DATES, _DAY, _FINDINGS, *periods]:
        con.execute(statement.format(create=create))


def present(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's database has them (a copy published before they existed does
    not)."""
    try:
        con.execute(f"SELECT 1 FROM {MARKER} LIMIT 0")
    except duckdb.CatalogException:
        return False
    return True
