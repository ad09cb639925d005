"""Read and check the organisation's roster: people, their teams, regulators and handles.

CSV columns: person_id, display_name, team (a path such as 'acute/ward-7'), role, regulator
(hcpc, nmc or gmc; default hcpc), optional team_since (ISO date the person joined the team), and
one column per platform (twitter, facebook, instagram, ...) holding handles separated by ';'.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from transforms.records import PLATFORMS

REGULATORS = ("hcpc", "nmc", "gmc")
EARLIEST = date(1900, 1, 1)


class RosterError(Exception):
    """The roster has problems; every one is listed, and nothing is imported."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Roster:
    people: pl.DataFrame  # person_id, display_name, role, regulator, team_id, team_since
    teams: pl.DataFrame  # team_id, name, parent_id
    accounts: pl.DataFrame  # platform, handle, person_id


def normalise_handle(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


def read_roster(path: Path) -> Roster:
    with path.open(newline="", encoding="utf-8-sig") as file:
        rows = list(csv.DictReader(file))
    problems: list[str] = []
    people, accounts = [], []
    seen_people: set[str] = set()
    seen_handles: dict[tuple[str, str], str] = {}
    for line, row in enumerate(rows, start=2):
        person = (row.get("person_id") or "").strip()
        team = (row.get("team") or "").strip().strip("/")
        regulator = (row.get("regulator") or "hcpc").strip().lower()
        if not person:
            problems.append(f"line {line}: no person_id")
            continue
        if person in seen_people:
            problems.append(f"line {line}: person {person} listed twice")
        seen_people.add(person)
        if not team:
            problems.append(f"line {line}: person {person} has no team")
        if regulator not in REGULATORS:
            problems.append(f"line {line}: unknown regulator {regulator!r}")
        since = (row.get("team_since") or "").strip()
        try:
            team_since = date.fromisoformat(since) if since else EARLIEST
        except ValueError:
            problems.append(f"line {line}: team_since {since!r} is not a date")
            team_since = EARLIEST
        people.append(
            {
                "person_id": person,
                "display_name": (row.get("display_name") or person).strip(),
                "role": (row.get("role") or "").strip() or None,
                "regulator": regulator,
                "team_id": team,
                "team_since": team_since,
            }
        )
        for platform in PLATFORMS:
            for handle in (row.get(platform) or "").split(";"):
                handle = normalise_handle(handle)
                if not handle:
                    continue
                owner = seen_handles.get((platform, handle))
                if owner and owner != person:
                    problems.append(
                        f"line {line}: {platform} handle {handle} also belongs to {owner}"
                    )
                seen_handles[(platform, handle)] = person
                accounts.append({"platform": platform, "handle": handle, "person_id": person})
    if problems:
        raise RosterError(problems)
    return Roster(
        people=pl.DataFrame(people),
        teams=_teams(p["team_id"] for p in people),
        accounts=pl.DataFrame(
            accounts, schema={"platform": pl.String, "handle": pl.String, "person_id": pl.String}
        ).unique(),
    )


def _teams(team_ids: object) -> pl.DataFrame:
    """Every team path and its ancestors: 'acute/ward-7' gives 'acute' and 'acute/ward-7'."""
    teams: dict[str, dict[str, str | None]] = {}
    for team_id in team_ids:  # type: ignore[attr-defined]
        parts = str(team_id).split("/")
        for depth in range(1, len(parts) + 1):
            path = "/".join(parts[:depth])
            parent = "/".join(parts[: depth - 1]) or None
            teams[path] = {"team_id": path, "name": parts[depth - 1], "parent_id": parent}
    return pl.DataFrame(
        list(teams.values()),
        schema={"team_id": pl.String, "name": pl.String, "parent_id": pl.String},
    )
