"""Figures that describe the store: used by run summaries, the demo and the dashboard."""

from __future__ import annotations

from typing import Any

import duckdb

from transforms.aggregates import MEMBER_ON


def findings_with_team(source: str = "findings", where: str = "f.active") -> str:
    """SQL for findings (of any table or view shaped like them) with the team the person was in
    when they posted: a finding counts for that team, whatever moves came later."""
    return f"""
    SELECT f.*, m.team_id
    FROM {source} f
    LEFT JOIN team_memberships m
      ON m.person_id = f.person_id AND {MEMBER_ON.format(at="f.post_created_at")}
    WHERE {where}
"""


FINDINGS_WITH_TEAM = findings_with_team()


def store_summary(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """People, posts and active findings by category, severity and team."""

    def scalar(sql: str) -> int:
        return int(con.execute(sql).fetchone()[0])

    def grouped(column: str) -> dict[str, int]:
        rows = con.execute(
            f"SELECT coalesce({column}, 'unassigned'), count(*) FROM ({FINDINGS_WITH_TEAM}) "
            f"GROUP BY ALL ORDER BY 1"
        ).fetchall()
        return {str(k): int(v) for k, v in rows}

    return {
        "people": scalar("SELECT count(*) FROM people"),
        "teams": scalar(
            "SELECT count(*) FROM teams WHERE team_id IN (SELECT team_id FROM team_memberships)"
        ),
        "archives": scalar("SELECT count(*) FROM archives WHERE status = 'ingested'"),
        "quarantined": scalar("SELECT count(*) FROM archives WHERE status = 'quarantined'"),
        "posts": scalar("SELECT count(*) FROM posts"),
        "findings": scalar("SELECT count(*) FROM findings WHERE active"),
        "by_category": grouped("category"),
        "by_severity": grouped("severity"),
        "by_team": grouped("team_id"),
    }


def changes_since(con: duckdb.DuckDBPyConnection, since: Any) -> dict[str, list[dict[str, Any]]]:
    """Findings added and retired since a moment, per rule and per team (of the post's date)."""

    def grouped(condition: str) -> list[dict[str, Any]]:
        rows = con.execute(
            f"""SELECT rule_id, coalesce(team_id, 'unassigned') AS team, count(*) AS findings
                FROM ({findings_with_team(where="true")})
                WHERE {condition} GROUP BY ALL ORDER BY rule_id, team""",
            [since],
        ).fetchall()
        return [{"rule_id": r, "team": t, "findings": n} for r, t, n in rows]

    return {
        "added": grouped("first_seen_at >= ?"),
        "retired": grouped("retired_at >= ?"),
    }
