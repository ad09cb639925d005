"""A run's summary as Markdown for the operator, and as JSON for a webhook. No post text."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any


def run_markdown(run: dict[str, Any]) -> str:
    counts = run["counts"]
    lines = [
        f"# socialaudit audit run {run['run_id']}",
        "",
        f"- status: **{run['status']}**",
        f"- started: {run['started_at']}, finished: {run['ended_at']}",
        f"- duration: {run['duration_s']:.1f} s",
        f"- rulebook: {counts.get('rulebook_version')}",
        "",
        "| measure | count |",
        "| --- | ---: |",
    ]
    lines += [f"| {k.replace('_', ' ')} | {v} |" for k, v in counts.items() if isinstance(v, int)]
    lines += [
        "",
        "## Archives",
        "",
        "| archive | person | status | reason |",
        "| --- | --- | --- | --- |",
    ]
    for archive in run["archives"]:
        lines.append(
            f"| {archive['file_name']} | {archive['person_id'] or '-'} | {archive['status']} "
            f"| {archive['reason'] or ''} |"
        )
    for kind in ("added", "retired"):
        rows = run["changes"][kind]
        lines += ["", f"## Findings {kind}", ""]
        if not rows:
            lines.append("None.")
            continue
        lines += ["| rule | team | findings |", "| --- | --- | ---: |"]
        lines += [f"| {r['rule_id']} | {r['team']} | {r['findings']} |" for r in rows]
    severity = run["totals"]["by_severity"]
    lines += ["", "## Active findings by severity", ""]
    lines += [f"- {name}: {count}" for name, count in severity.items()] or ["None."]
    return "\n".join(lines) + "\n"


def write_run_report(run: dict[str, Any], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{run['started_at']:%Y%m%dT%H%M%S}-{run['run_id'][:8]}.md"
    path.write_text(run_markdown(run), encoding="utf-8")
    return path


def post_webhook(url: str, run: dict[str, Any], timeout: float = 10.0) -> int:
    """POST the run's counts and outcome as JSON; returns the HTTP status."""
    body = {
        "run_id": run["run_id"],
        "status": run["status"],
        "counts": run["counts"],
        "findings_by_severity": run["totals"]["by_severity"],
        "quarantined": [
            {"archive": a["file_name"], "reason": a["reason"]}
            for a in run["archives"]
            if a["status"] == "quarantined"
        ],
    }
    request = urllib.request.Request(
        url,
        data=json.dumps(body, default=str).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return int(response.status)
