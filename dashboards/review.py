"""Recording review decisions from the queue, one finding or many.

The viewer's role and scope are checked again here, on the server, just before writing: a
finding id that reached the request by any route still has to be one the viewer may act on.
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboards import data_access, queries
from dashboards.access import Viewer, scope_for

ACTIONS = {  # what the reviewer clicks -> the status it records
    "Confirm": "confirmed",
    "Dismiss": "dismissed",
    "Escalate": "escalated",
    "Resolve": "resolved",
}


@dataclass(frozen=True)
class Outcome:
    recorded: int
    error: str | None = None


def apply(viewer: Viewer, finding_ids: list[str], action: str, note: str) -> Outcome:
    """Record one decision per finding; nothing at all when the action is refused."""
    if not viewer.policy.can_act:
        return Outcome(0, "Your role can view findings but not record decisions.")
    if action not in ACTIONS:
        return Outcome(0, f"Unknown action {action!r}.")
    with data_access.read_connection() as con:
        allowed = queries.in_scope(con, scope_for(viewer, con), finding_ids)
    if len(allowed) != len(set(finding_ids)):
        return Outcome(0, "Some of these findings are outside your teams; nothing was recorded.")
    recorded = 0
    for finding_id in allowed:
        try:
            data_access.record_decision(
                finding_id, ACTIONS[action], viewer.username, note.strip() or None
            )
        except ValueError as refused:  # e.g. a dismissal without a reason
            return Outcome(recorded, f"{str(refused).capitalize()}.")
        recorded += 1
    return Outcome(recorded)
