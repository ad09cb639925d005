"""Preview a rulebook change on the stored history before adopting it.

The candidate rulebook scores every stored post without writing anything; its findings are
compared with the active ones by fingerprint, so the preview says exactly which findings would
appear and which would disappear, per rule and per team.
"""

from __future__ import annotations

import duckdb
import polars as pl

from transforms.score import FINDINGS_SCHEMA, score_posts, stored_posts
from transforms.scoring.engine import Scorer
from transforms.summary import FINDINGS_WITH_TEAM, findings_with_team

PAGE = 5000


def preview_rulebook(con: duckdb.DuckDBPyConnection, candidate: Scorer) -> pl.DataFrame:
    """Rows of (change, rule_id, team, findings): change is 'appear' or 'disappear'."""
    pages = []
    offset = 0
    while not (posts := stored_posts(con, offset, PAGE)).is_empty():
        pages.append(
            score_posts(candidate, posts).select(
                "finding_id", "rule_id", "person_id", "post_created_at"
            )
        )
        offset += PAGE
    schema = {
        k: FINDINGS_SCHEMA[k] for k in ("finding_id", "rule_id", "person_id", "post_created_at")
    }
    candidate_findings = pl.concat(pages) if pages else pl.DataFrame(schema=schema)
    con.register("candidate_findings", candidate_findings)
    try:
        return con.sql(f"""
            WITH current AS ({FINDINGS_WITH_TEAM}),
            candidate AS ({findings_with_team("candidate_findings", where="true")})
            SELECT 'appear' AS change, rule_id, coalesce(team_id, 'unassigned') AS team,
                   count(*) AS findings
            FROM candidate WHERE finding_id NOT IN (SELECT finding_id FROM current)
            GROUP BY ALL
            UNION ALL
            SELECT 'disappear', rule_id, coalesce(team_id, 'unassigned'), count(*)
            FROM current WHERE finding_id NOT IN (SELECT finding_id FROM candidate)
            GROUP BY ALL
            ORDER BY change, rule_id, team""").pl()
    finally:
        con.unregister("candidate_findings")
