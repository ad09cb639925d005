"""Read and check the organisation's roster: people, their teams, regulators and handles.

Two formats (docs/roster.md):
- CSV, one row a person: person_id, display_name, team (a path such as 'acute/ward-7'), role,
  regulator (hcpc, nmc or gmc; default hcpc), optional team_since (ISO date), and one column per
  platform (twitter, facebook, ...) holding handles or account ids separated by ';'. Teams are
  implied by the paths; a person whose team changes is moved from team_since (or the import day),
  and their earlier membership is kept.
- YAML, with the team hierarchy declared (`teams:`) and each person's dated memberships in full
  (`teams: [{team, from, to}]`): the roster is then the whole history.

Every problem is reported at once and nothing is imported while any remains.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import yaml

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
    people: pl.DataFrame  # person_id, display_name, role, regulator
    teams: pl.DataFrame  # team_id, name, parent_id
    accounts: pl.DataFrame  # platform, handle, person_id
    memberships: pl.DataFrame  # person_id, team_id, valid_from, valid_to (exclusive)
    full_history: bool  # memberships are the whole history (YAML), not just the current team


@dataclass
class _Person:
    where: str
    person_id: str
    display_name: str
    role: str | None
    regulator: str
    memberships: list[tuple[str, date, date | None]]
    handles: dict[str, list[str]] = field(default_factory=dict)


def normalise_handle(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


def read_roster(path: Path) -> Roster:
    problems: list[str] = []
    if path.suffix.lower() in (".yaml", ".yml"):
        people, declared = _from_yaml(path, problems)
    else:
        people, declared = _from_csv(path, problems), None
    rows = _check(people, declared, problems)
    if problems:
        raise RosterError(problems)
    return rows


def _from_csv(path: Path, problems: list[str]) -> list[_Person]:
    with path.open(newline="", encoding="utf-8-sig") as file:
        rows = list(csv.DictReader(file))
    people = []
    for line, row in enumerate(rows, start=2):
        where = f"line {line}"
        team = (row.get("team") or "").strip().strip("/")
        since = _date((row.get("team_since") or "").strip() or None, where, problems) or EARLIEST
        people.append(
            _Person(
                where=where,
                person_id=(row.get("person_id") or "").strip(),
                display_name=(row.get("display_name") or "").strip(),
                role=(row.get("role") or "").strip() or None,
                regulator=(row.get("regulator") or "hcpc").strip().lower(),
                memberships=[(team, since, None)] if team else [],
                handles={p: (row.get(p) or "").split(";") for p in PLATFORMS},
            )
        )
    return people


def _from_yaml(path: Path, problems: list[str]) -> tuple[list[_Person], dict[str, str]]:
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise RosterError([f"{path.name}: not valid YAML ({error})"]) from None
    declared = {}
    for entry in spec.get("teams") or []:
        team_id = str(entry.get("id", "")).strip().strip("/")
        declared[team_id] = str(entry.get("name") or team_id.rsplit("/", 1)[-1])
    people = []
    for index, entry in enumerate(spec.get("people") or [], start=1):
        where = f"person #{index}"
        memberships = []
        for spell in entry.get("teams") or []:
            memberships.append(
                (
                    str(spell.get("team", "")).strip().strip("/"),
                    _date(spell.get("from"), where, problems) or EARLIEST,
                    _date(spell.get("to"), where, problems),
                )
            )
        handles = {
            str(k): [str(h) for h in (v or [])] for k, v in (entry.get("handles") or {}).items()
        }
        people.append(
            _Person(
                where=where,
                person_id=str(entry.get("person_id", "")).strip(),
                display_name=str(entry.get("display_name") or "").strip(),
                role=entry.get("role"),
                regulator=str(entry.get("regulator") or "hcpc").lower(),
                memberships=memberships,
                handles=handles,
            )
        )
    return people, declared


def _date(value: Any, where: str, problems: list[str]) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{where}: {value!r} is not a date (YYYY-MM-DD)")
        return None


def _check(people: list[_Person], declared: dict[str, str] | None, problems: list[str]) -> Roster:
    seen: set[str] = set()
    owners: dict[tuple[str, str], str] = {}
    accounts, memberships = [], []
    for person in people:
        pid, where = person.person_id, person.where
        if not pid:
            problems.append(f"{where}: no person_id")
            continue
        if pid in seen:
            problems.append(f"{where}: person {pid} listed twice")
        seen.add(pid)
        if not person.memberships:
            problems.append(f"{where}: person {pid} has no team")
        if person.regulator not in REGULATORS:
            problems.append(f"{where}: unknown regulator {person.regulator!r}")
        spells = sorted(person.memberships, key=lambda m: m[1])
        for index, (team, start, end) in enumerate(spells):
            following = spells[index + 1] if index + 1 < len(spells) else None
            if declared is not None and team not in declared:
                problems.append(f"{where}: person {pid} is in unknown team {team!r}")
            if end is not None and end <= start:
                problems.append(f"{where}: person {pid}'s spell in {team} ends before it starts")
            if following is not None and (end is None or end > following[1]):
                problems.append(f"{where}: person {pid}'s teams overlap ({team}, {following[0]})")
            memberships.append(
                {"person_id": pid, "team_id": team, "valid_from": start, "valid_to": end}
            )
        for platform, handles in person.handles.items():
            if platform not in PLATFORMS:
                problems.append(f"{where}: unknown platform {platform!r}")
                continue
            for handle in map(normalise_handle, handles):
                if not handle:
                    continue
                owner = owners.setdefault((platform, handle), pid)
                if owner != pid:
                    problems.append(f"{where}: {platform} handle {handle} also belongs to {owner}")
                accounts.append({"platform": platform, "handle": handle, "person_id": pid})
    team_ids = [m["team_id"] for m in memberships] + list(declared or {})
    return Roster(
        people=pl.DataFrame(
            [
                {
                    "person_id": p.person_id,
                    "display_name": p.display_name or p.person_id,
                    "role": p.role,
                    "regulator": p.regulator,
                }
                for p in people
            ],
            schema={
                "person_id": pl.String,
                "display_name": pl.String,
                "role": pl.String,
                "regulator": pl.String,
            },
        ),
        teams=_teams(team_ids, declared or {}),
        accounts=pl.DataFrame(
            accounts, schema={"platform": pl.String, "handle": pl.String, "person_id": pl.String}
        ).unique(),
        memberships=pl.DataFrame(
            memberships,
            schema={
                "person_id": pl.String,
                "team_id": pl.String,
                "valid_from": pl.Date,
                "valid_to": pl.Date,
            },
        ),
        full_history=declared is not None,
    )


def _teams(team_ids: list[str], names: dict[str, str]) -> pl.DataFrame:
    """Every team path and its ancestors: 'acute/ward-7' gives 'acute' and 'acute/ward-7'."""
    teams: dict[str, dict[str, str | None]] = {}
    for team_id in team_ids:
        parts = team_id.split("/")
        for depth in range(1, len(parts) + 1):
            path = "/".join(parts[:depth])
            parent = "/".join(parts[: depth - 1]) or None
            teams[path] = {
                "team_id": path,
                "name": names.get(path, parts[depth - 1]),
                "parent_id": parent,
            }
    return pl.DataFrame(
        list(teams.values()),
        schema={"team_id": pl.String, "name": pl.String, "parent_id": pl.String},
    )
