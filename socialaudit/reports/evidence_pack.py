"""The evidence pack: one person's findings with where each came from, for a referral.

For every finding (active ones, and retired ones marked as such): the post with the matched
words highlighted, the rule, severity, standard and message, the full review history, the
rulebook version that produced it, and the archive file and SHA-256 the post's stored text came
from. It reads a connection from `dashboards.data_access.read_connection`: the published serving
copy plus a snapshot of the decisions, so it works while a nightly run writes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

import duckdb

from dashboards.highlight import highlighted_html
from dashboards.queries import SEVERITY_ORDER, review_history
from socialaudit.csv_safe import write_csv
from socialaudit.reports.files import write_private
from socialaudit.reports.page import html_page, platform_name, post_link, severity_badge

CSV_COLUMNS = (
    "finding_id",
    "status",
    "active",
    "retired_at",
    "post_date",
    "platform",
    "kind",
    "post_id",
    "post_url",
    "post_still_in_latest_export",
    "severity",
    "rule_id",
    "category",
    "standard",
    "message",
    "guidance",
    "confidence",
    "rulebook_version",
    "first_found_at",
    "archive_file",
    "archive_sha256",
    "archive_ingested_at",
    "excerpt",
    "post_text",
    "decision_history",
)

_FINDINGS = """
WITH statuses AS (
    SELECT finding_id, arg_max(decision, decided_at) AS status
    FROM decisions.reviews GROUP BY finding_id
)
SELECT f.finding_id, coalesce(s.status, 'open') AS status, f.active, f.retired_at,
       f.first_seen_at, f.post_created_at, f.platform, f.post_id, p.kind, p.url, p.present,
       p.text, f.excerpt, CAST(f.spans AS VARCHAR) AS spans, f.rule_id, f.category, f.severity,
       f.confidence, f.standard, f.message, f.guidance, f.rulebook_version,
       a.file_name AS archive_file, a.sha256 AS archive_sha256, a.ingested_at AS archive_ingested_at
FROM findings f
LEFT JOIN posts p ON p.platform = f.platform AND p.post_id = f.post_id
LEFT JOIN archives a ON a.sha256 = p.archive_sha256
LEFT JOIN statuses s ON s.finding_id = f.finding_id
WHERE f.person_id = $person
ORDER BY f.active DESC, coalesce(list_position($order::VARCHAR[], f.severity), 0) DESC,
         f.post_created_at DESC, f.finding_id
"""


@dataclass(frozen=True)
class Person:
    person_id: str
    display_name: str
    role: str | None
    regulator: str | None
    teams: tuple[str, ...]  # current team ids, e.g. 'acute/ward-7'


@dataclass(frozen=True)
class EvidencePack:
    person: Person
    generated_at: datetime
    generated_by: str
    archives: list[dict[str, Any]]  # every archive received for the person, oldest first
    findings: list[dict[str, Any]]  # columns of _FINDINGS, plus 'history' (oldest first)


def load_evidence(
    con: duckdb.DuckDBPyConnection, person_id: str, generated_by: str, now: datetime
) -> EvidencePack | None:
    """Everything the pack shows, or None when the person is not in the database."""
    person = con.execute(
        "SELECT person_id, display_name, role, regulator FROM people WHERE person_id = ?",
        [person_id],
    ).fetchone()
    if person is None:
        return None
    teams = con.execute(
        "SELECT team_id FROM team_memberships "
        "WHERE person_id = ? AND valid_to IS NULL ORDER BY team_id",
        [person_id],
    ).fetchall()
    archives = con.sql(
        "SELECT file_name, sha256, platform, status, reason, posts_stored, ingested_at "
        "FROM archives WHERE person_id = $person ORDER BY ingested_at, file_name",
        params={"person": person_id},
    ).pl()
    findings = con.sql(_FINDINGS, params={"person": person_id, "order": list(SEVERITY_ORDER)}).pl()
    rows = []
    for row in findings.iter_rows(named=True):
        history = review_history(con, row["finding_id"])
        rows.append({**row, "history": list(history.iter_rows(named=True))})
    return EvidencePack(
        person=Person(*person, teams=tuple(name for (name,) in teams)),
        generated_at=now,
        generated_by=generated_by,
        archives=list(archives.iter_rows(named=True)),
        findings=rows,
    )


def write_evidence_pack(pack: EvidencePack, folder: Path) -> tuple[Path, Path]:
    """Write the HTML and the CSV into the folder; returns their paths."""
    stem = "evidence-pack-" + re.sub(r"[^A-Za-z0-9._-]", "_", pack.person.person_id)
    html_path, csv_path = folder / f"{stem}.html", folder / f"{stem}.csv"
    write_private(html_path, evidence_html(pack))
    write_csv(csv_path, CSV_COLUMNS, evidence_rows(pack))
    return html_path, csv_path


# -- CSV ------------------------------------------------------------------------------------------


def evidence_rows(pack: EvidencePack) -> list[dict[str, object]]:
    return [
        {
            **f,
            "retired_at": _iso(f["retired_at"]),
            "post_date": f["post_created_at"].date().isoformat(),
            "post_url": f["url"],
            "post_still_in_latest_export": f["present"],
            "confidence": round(f["confidence"], 3),
            "first_found_at": _iso(f["first_seen_at"]),
            "archive_ingested_at": _iso(f["archive_ingested_at"]),
            "post_text": f["text"],
            "decision_history": " | ".join(_decision_line(d) for d in f["history"]),
        }
        for f in pack.findings
    ]


def _decision_line(decision: dict[str, Any]) -> str:
    note = f": {decision['note']}" if decision["note"] else ""
    return f"{_when(decision['decided_at'])} {decision['reviewer']} {decision['decision']}{note}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(sep=" ", timespec="seconds") if moment else None


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else ""


# -- HTML -----------------------------------------------------------------------------------------


def evidence_html(pack: EvidencePack) -> str:
    person = pack.person
    active = sum(1 for f in pack.findings if f["active"])
    details = " · ".join(
        escape(part)
        for part in (
            person.person_id,
            person.role or "",
            (person.regulator or "").upper(),
            ", ".join(person.teams),
        )
        if part
    )
    body = (
        f"<header><h1>Evidence pack: {escape(person.display_name)}</h1>"
        f'<p class="lede">{details}</p>'
        f'<p class="meta">Made {escape(_when(pack.generated_at))} by '
        f"{escape(pack.generated_by)} from the published audit database. "
        f"{len(pack.findings)} findings: {active} active, {len(pack.findings) - active} "
        "retired. Confidential: it quotes the person's posts.</p></header>"
        + _archives(pack.archives)
        + '<section id="findings"><h2>Findings</h2>'
        + ("".join(_finding(f) for f in pack.findings) or "<p>No findings.</p>")
        + "</section>"
    )
    return html_page(f"Evidence pack: {person.display_name}", body)


def _archives(archives: list[dict[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{escape(a['file_name'])}</td><td><code>{escape(a['sha256'])}</code></td>"
        f"<td>{escape(platform_name(a['platform'] or ''))}</td>"
        f"<td>{escape(a['status'])}{': ' + escape(a['reason']) if a['reason'] else ''}</td>"
        f"<td>{escape(_when(a['ingested_at']))}</td></tr>"
        for a in archives
    )
    return (
        '<section id="archives"><h2>Archives received</h2>'
        "<table><thead><tr><th>File</th><th>SHA-256</th><th>Platform</th><th>Status</th>"
        f"<th>Received</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _finding(f: dict[str, Any]) -> str:
    retired = "" if f["active"] else ' <span class="badge">Retired</span>'
    if f["active"]:
        spans = [(int(start), int(end)) for start, end in json.loads(f["spans"])]
        post = highlighted_html(f["text"] or "", spans)
    else:  # the post's text may have changed since: show the words as they were found
        post = (
            highlighted_html(f["excerpt"], [])
            + f'<p class="note">Retired {escape(_when(f["retired_at"]))}: the current rulebook '
            "or the post's current text no longer produces it. The excerpt is the text as it "
            "was found.</p>"
        )
    gone = (
        ""
        if f["present"]
        else '<p class="note">The person\'s latest export no longer holds this post.</p>'
    )
    return (
        f'<article class="finding sev-{escape(f["severity"])}{"" if f["active"] else " retired"}">'
        f"<h3>{severity_badge(f['severity'])} {escape(f['rule_id'])} · {escape(f['category'])}"
        f' <span class="badge">{escape(f["status"])}</span>{retired}</h3>'
        f'<p class="meta">Posted {escape(_when(f["post_created_at"]))} · '
        f"{escape(platform_name(f['platform']))} · {escape(f['kind'] or '')} · "
        f"finding <code>{escape(f['finding_id'])}</code></p>"
        f'<div class="post">{post}</div>{gone}'
        "<dl>"
        f"<dt>Why it matters</dt><dd>{escape(f['message'])}</dd>"
        f"<dt>Guidance</dt><dd>{escape(f['guidance'] or '')}</dd>"
        f"<dt>Standard</dt><dd>{escape(f['standard'])} (in force on the post's date)</dd>"
        f"<dt>Confidence</dt><dd>{f['confidence']:.2f}</dd>"
        f"<dt>Rulebook</dt><dd><code>{escape(f['rulebook_version'])}</code></dd>"
        f"<dt>First found</dt><dd>{escape(_when(f['first_seen_at']))}</dd>"
        f"<dt>Source archive</dt><dd>{escape(f['archive_file'] or 'unknown')} "
        f"<code>{escape(f['archive_sha256'] or '')}</code>, received "
        f"{escape(_when(f['archive_ingested_at']))}</dd>"
        f"<dt>Post</dt><dd>{post_link(f['url'])}</dd>"
        "</dl>" + _history(f["history"]) + "</article>"
    )


def _history(history: list[dict[str, Any]]) -> str:
    if not history:
        return "<p>No review decision yet: open.</p>"
    rows = "".join(
        f"<tr><td>{escape(_when(d['decided_at']))}</td><td>{escape(d['reviewer'])}</td>"
        f"<td>{escape(d['decision'])}</td><td>{escape(d['note'] or '')}</td></tr>"
        for d in history
    )
    return (
        "<table><thead><tr><th>Decided</th><th>By</th><th>Decision</th><th>Note</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
    )
