"""The self-audit report, written for the registrant: HTML by default, JSON or CSV on request.

The HTML reads top to bottom: what was looked at and what was found, then each finding under
what to do about it, most urgent first, with the post, the matched words, the rule in plain
words, the standard in force on the post's date and a link to the post so it can be acted on.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from html import escape
from pathlib import Path
from typing import Any

from dashboards.highlight import highlighted_html
from socialaudit.csv_safe import write_csv
from socialaudit.reports.files import write_private
from socialaudit.reports.page import (
    counted,
    html_page,
    long_date,
    platform_name,
    post_link,
    severity_badge,
)
from socialaudit.self_audit import SelfAudit, SelfFinding

FORMATS = ("html", "json", "csv")
CSV_COLUMNS = (
    "key",
    "action",
    "date",
    "platform",
    "kind",
    "severity",
    "title",
    "rule_id",
    "category",
    "standard",
    "message",
    "guidance",
    "matched",
    "text",
    "url",
    "post_id",
    "mark",
)

# What the parsers skipped, in plain words; anything else is a record that could not be read.
SKIPPED_IN_PLAIN_WORDS = {
    "repost": "reposts and shares of other people's posts",
    "like": "likes",
    "direct_message": "direct messages",
    "deleted_by_user": "posts you had already deleted",
    "deleted": "posts shown as deleted or removed",
    "earlier_edit_version": "earlier versions of posts you later edited (the latest was read)",
    "no_text": "photos, videos and links without any words",
    "missing_text": "photos, videos and links without any words",
    "media_only": "photos, videos and links without any words",
    "duplicate_id": "repeated copies of the same post within an export",
    "unsupported_type": "other kinds of activity (not posts)",
    "other_record": "other kinds of activity (not posts)",
}
UNREADABLE = "records the tool could not read"


def default_path(fmt: str) -> Path:
    return Path(f"socialaudit-report.{fmt}")


def write_report(audit: SelfAudit, path: Path, fmt: str = "html") -> None:
    if fmt == "html":
        write_private(path, report_html(audit))
    elif fmt == "json":
        write_private(
            path, json.dumps(report_json(audit), indent=2, ensure_ascii=False, default=str) + "\n"
        )
    elif fmt == "csv":
        rows = [{**f.as_record(), "action": audit.actions[f.action]} for f in audit.findings]
        write_csv(path, CSV_COLUMNS, rows)
    else:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def summary_line(audit: SelfAudit) -> str:
    """One line for the terminal: counts only, never post text."""
    posts = sum(p.posts for p in audit.platforms)
    severities = ", ".join(f"{n} {s}" for s, n in audit.by_severity().items()) or "none"
    line = (
        f"{counted(posts, 'post')} from {counted(len(audit.exports), 'export')} read; "
        f"{counted(len(audit.findings), 'finding')} to look at ({severities})"
    )
    if audit.left_out.get("marked"):
        line += f"; {audit.left_out['marked']} already marked, not shown"
    return line


# -- JSON -----------------------------------------------------------------------------------------


def report_json(audit: SelfAudit) -> dict[str, Any]:
    """Everything the HTML shows, as data (dates become ISO strings when dumped)."""
    return {
        "generated_at": audit.generated_at.isoformat(timespec="seconds"),
        "profile": audit.profile,
        "standards": audit.standards,
        "rulebook_version": audit.rulebook_version,
        "filters": asdict(audit.filters),
        "exports": [asdict(e) for e in audit.exports],
        "refused": [asdict(r) for r in audit.refused],
        "platforms": [asdict(p) for p in audit.platforms],
        "skipped": audit.skipped,
        "left_out": audit.left_out,
        "findings_by_severity": audit.by_severity(),
        "findings_by_action": dict(Counter(f.action for f in audit.findings)),
        "findings": [f.as_record() for f in audit.findings],
    }


# -- HTML -----------------------------------------------------------------------------------------


def report_html(audit: SelfAudit) -> str:
    groups = {action: [f for f in audit.findings if f.action == action] for action in audit.actions}
    body = [
        _header(audit),
        _summary(audit, groups),
        _looked_at(audit),
        *(_group(audit, action, found) for action, found in groups.items() if found),
        _about(),
    ]
    return html_page("Your social media self-audit", "\n".join(body))


def _header(audit: SelfAudit) -> str:
    return (
        "<header><h1>Your social media self-audit</h1>"
        f'<p class="lede">Made on {escape(long_date(audit.generated_at))} on this computer, '
        f"against the {escape(audit.standards)} and earlier editions where a post is older "
        f"(rulebook {escape(audit.rulebook_version)}). Nothing in this report was sent "
        "anywhere: keep it private, as it quotes your posts.</p></header>"
    )


def _summary(audit: SelfAudit, groups: dict[str, list[SelfFinding]]) -> str:
    total = len(audit.findings)
    if total:
        headline = f"{counted(total, 'finding')} to look at."
    elif audit.left_out.get("marked"):
        headline = "Nothing new to act on: every finding is one you have already marked."
    else:
        headline = "Nothing to act on: no post matched a rule."
    counts = "".join(
        f"<li>{severity_badge(severity)} {count}</li>"
        for severity, count in audit.by_severity().items()
    )
    todo = "".join(
        f'<li><a href="#do-{escape(action)}">{escape(audit.actions[action])}</a>: {len(found)}</li>'
        for action, found in groups.items()
        if found
    )
    return (
        '<section id="summary"><h2>Summary</h2>'
        f"<p><strong>{escape(headline)}</strong></p>"
        + (f'<ul class="counts">{counts}</ul>' if counts else "")
        + (f"<p>What to do, most urgent first:</p><ul>{todo}</ul>" if todo else "")
        + _platform_table(audit)
        + "</section>"
    )


def _platform_table(audit: SelfAudit) -> str:
    if not audit.platforms:
        return "<p>No posts were read.</p>"
    rows = "".join(
        f"<tr><td>{escape(platform_name(p.platform))}</td>"
        f'<td class="number">{p.posts}</td>'
        f"<td>{escape(long_date(p.first))}</td><td>{escape(long_date(p.last))}</td></tr>"
        for p in audit.platforms
    )
    return (
        '<table><thead><tr><th>Platform</th><th class="number">Posts read</th>'
        f"<th>From</th><th>To</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _looked_at(audit: SelfAudit) -> str:
    exports = "".join(
        f"<li>{escape(e.file_name)}: {escape(platform_name(e.platform))}, {e.posts} posts</li>"
        for e in audit.exports
    )
    refused = "".join(
        f"<li><strong>{escape(r.file_name)}</strong> could not be read: {escape(r.reason)}</li>"
        for r in audit.refused
    )
    return (
        '<section id="coverage"><h2>What this audit looked at</h2>'
        "<p>The words you wrote yourself: posts, replies, comments and quotes. It does not look "
        "at photos or videos, and a rule only flags words that often cause problems: you "
        "decide what to do.</p>"
        + (f"<p>Exports read:</p><ul>{exports}</ul>" if exports else "")
        + (f"<p>Exports that could not be read:</p><ul>{refused}</ul>" if refused else "")
        + "<h3>What it did not look at</h3>"
        + _not_looked_at(audit)
        + "</section>"
    )


def _not_looked_at(audit: SelfAudit) -> str:
    """Each thing left out, with how many: as 'label: count' so no count needs a plural."""
    items = [(escape(what.capitalize()), count) for what, count in _skipped(audit).items()]
    filters, left_out = audit.filters, audit.left_out
    if left_out.get("repeated"):
        items.append(("Posts found in more than one export (read once)", left_out["repeated"]))
    if left_out.get("before_since") and filters.since:
        since = escape(long_date(filters.since))
        items.append((f"Posts from before {since} (your start date)", left_out["before_since"]))
    if left_out.get("other_platforms"):
        chosen = escape(", ".join(platform_name(p) for p in filters.platforms))
        items.append((f"Posts on platforms other than {chosen}", left_out["other_platforms"]))
    if left_out.get("below_min_severity") and filters.min_severity:
        floor = escape(filters.min_severity)
        items.append((f"Findings less severe than {floor}", left_out["below_min_severity"]))
    if left_out.get("marked"):
        items.append(
            (
                "Findings you have already marked (<code>--include-marked</code> shows them)",
                left_out["marked"],
            )
        )
    listed = "".join(f"<li>{label}: {count}</li>" for label, count in items)
    return f"<ul>{listed or '<li>Nothing.</li>'}</ul>" + _ignored_files(audit)


def _skipped(audit: SelfAudit) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for reason, count in audit.skipped.items():
        counts[SKIPPED_IN_PLAIN_WORDS.get(reason, UNREADABLE)] += count
    return dict(counts.most_common())


def _ignored_files(audit: SelfAudit) -> str:
    parts = []
    for export in audit.exports:
        if export.files_ignored:
            names = "".join(
                f"<li><code>{escape(name)}</code></li>" for name in export.files_ignored
            )
            parts.append(
                f"<details><summary>{counted(len(export.files_ignored), 'file')} in "
                f"{escape(export.file_name)} hold no posts of yours (likes, messages, settings, "
                f"media) and were not read</summary><ul>{names}</ul></details>"
            )
    return "".join(parts)


def _group(audit: SelfAudit, action: str, findings: list[SelfFinding]) -> str:
    label = audit.actions[action]
    return (
        f'<section id="do-{escape(action)}"><h2>{escape(label)} '
        f'<span class="badge">{len(findings)}</span></h2>'
        + "".join(_finding(f) for f in findings)
        + "</section>"
    )


def _finding(f: SelfFinding) -> str:
    marked = f' <span class="badge">Marked: {escape(f.mark)}</span>' if f.mark else ""
    kind = "" if f.kind == "post" else f" · {escape(f.kind)}"
    return (
        f'<article class="finding sev-{escape(f.severity)}">'
        f"<h3>{severity_badge(f.severity)} {escape(f.title)}{marked}</h3>"
        f'<p class="meta">{escape(long_date(f.created_at))} · '
        f"{escape(platform_name(f.platform))}{kind}</p>"
        f'<div class="post">{highlighted_html(f.text, f.spans)}</div>'
        "<dl>"
        f"<dt>Why it matters</dt><dd>{escape(f.message)}</dd>"
        f"<dt>What to do</dt><dd>{escape(f.guidance)}</dd>"
        f"<dt>Standard</dt><dd>{escape(f.standard)} (in force on the post's date)</dd>"
        f"<dt>Post</dt><dd>{post_link(f.url)}</dd>"
        f"<dt>Done?</dt><dd><code>socialaudit self-audit-mark {escape(f.key)} --as "
        f"{'deleted' if f.action == 'delete' else 'reviewed'}</code> hides it next time "
        "(or <code>--as keep</code> to keep it as it is).</dd>"
        "</dl></article>"
    )


def _about() -> str:
    return (
        '<section id="about"><h2>About this report</h2>'
        "<p>Each finding names the rule that matched and the words it matched, highlighted. A "
        "rule can be wrong about your post: read it as a reader would who does not know you. "
        "When you have dealt with a finding, mark it with the command shown under it; the next "
        "self-audit of a newer export then shows only what is new or not yet marked. Your marks "
        "stay in a small file on this computer.</p></section>"
    )
