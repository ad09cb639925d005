"""Who may see what: roles, the pages they reach, and the scope every query is filtered by.

The scope is computed on the server from the signed-in user, never from a widget, and every query
function takes it: a team lead who edits a widget or a URL still only gets their own teams back.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import duckdb

OVERVIEW, TEAM, QUEUE, PERSON = "overview", "team", "queue", "person"
DATA, RULEBOOK, CHECK = "data", "rulebook", "check"
DEFAULT_MIN_GROUP_SIZE = 5


@dataclass(frozen=True)
class RolePolicy:
    all_teams: bool  # sees every team, not only the ones listed for the user
    sees_names: bool  # people's names; otherwise a stable pseudonym
    can_act: bool  # may record review decisions
    sees_small_groups: bool  # exempt from small-number suppression of aggregates
    pages: frozenset[str]


ROLES: dict[str, RolePolicy] = {
    "compliance_officer": RolePolicy(
        all_teams=True,
        sees_names=True,
        can_act=True,
        sees_small_groups=True,
        pages=frozenset({OVERVIEW, TEAM, QUEUE, PERSON, DATA, RULEBOOK, CHECK}),
    ),
    # A team lead works their own teams' queue and speaks to the people in it, so sees names,
    # and may open the Person page for people in their teams (their time in those teams only).
    "team_lead": RolePolicy(
        all_teams=False,
        sees_names=True,
        can_act=True,
        sees_small_groups=False,
        pages=frozenset({OVERVIEW, TEAM, QUEUE, PERSON, RULEBOOK, CHECK}),
    ),
    # An auditor checks the process, not people: no names and never one person's history.
    "auditor": RolePolicy(
        all_teams=True,
        sees_names=False,
        can_act=False,
        sees_small_groups=False,
        pages=frozenset({OVERVIEW, TEAM, QUEUE, DATA, RULEBOOK, CHECK}),
    ),
}


@dataclass(frozen=True)
class Viewer:
    """The signed-in user, as the users file (or the identity provider) describes them."""

    username: str
    role: str
    teams: tuple[str, ...] = ()

    @property
    def policy(self) -> RolePolicy:
        return ROLES[self.role]

    def may_open(self, page: str) -> bool:
        return page in self.policy.pages


@dataclass(frozen=True)
class Scope:
    """What one viewer's queries may return."""

    team_ids: tuple[str, ...]  # every team the viewer may see, sub-teams included
    sees_names: bool
    min_people: int  # aggregates over fewer people than this are left out
    pseudonym_key: str

    def restrict(self, requested: tuple[str, ...]) -> list[str]:
        """The requested teams the viewer may see; all of them when none are requested."""
        if not requested:
            return list(self.team_ids)
        return [team for team in requested if team in self.team_ids]


def min_group_size() -> int:
    """k for small-number suppression: SOCIALAUDIT_MIN_GROUP_SIZE, default 5."""
    return int(os.environ.get("SOCIALAUDIT_MIN_GROUP_SIZE", DEFAULT_MIN_GROUP_SIZE))


def pseudonym_key() -> str:
    """Mixed into pseudonyms so they cannot be recomputed from person ids alone; set
    SOCIALAUDIT_PSEUDONYM_KEY to a secret of your own in production."""
    return os.environ.get("SOCIALAUDIT_PSEUDONYM_KEY", "socialaudit")


def scope_for(viewer: Viewer, con: duckdb.DuckDBPyConnection) -> Scope:
    """A viewer's scope: all teams, or the teams listed for them and every team beneath those."""
    policy = viewer.policy
    if policy.all_teams:
        rows = con.sql("SELECT team_id FROM teams ORDER BY team_id").fetchall()
    else:
        rows = con.sql(
            """
            WITH RECURSIVE visible(team_id) AS (
                SELECT team_id FROM teams WHERE list_contains($roots::VARCHAR[], team_id)
                UNION
                SELECT t.team_id FROM teams t JOIN visible v ON t.parent_id = v.team_id
            )
            SELECT team_id FROM visible ORDER BY team_id
            """,
            params={"roots": list(viewer.teams)},
        ).fetchall()
    return Scope(
        team_ids=tuple(row[0] for row in rows),
        sees_names=policy.sees_names,
        min_people=1 if policy.sees_small_groups else min_group_size(),
        pseudonym_key=pseudonym_key(),
    )
