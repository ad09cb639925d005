"""A small organisation for the dashboard tests, written straight into a main database and
published to the serving path, with hand-countable posts and findings.

Teams: Ward 7 and Ward 9 (under Acute services) and the Community team.
- Ward 7: p01-p05 all along, and p13 until 1 Feb 2026, when p13 moves to Ward 9.
- Ward 9: p06-p10. Community: p11 and p12 only (fewer than five people).
Posts: p01-p12 post on 10 and 20 January; p01-p10 also on 10 and 20 February; p13 posts on
5-9 January and 2-6 February. So Ward 7 has 15 posts (6 people) in January and 10 in February,
Ward 9 10 in January and 15 (6 people) in February, Community 4 in January.
Active findings: Ward 7 January 3 (F1, F2 on one p13 post, F3), Ward 9 January 1 (F4),
Ward 9 February 1 (F5, p13 after the move), Community January 1 (F7). F6 is inactive.
Reviews: F1 escalated then resolved, F4 confirmed.
F3's post is hostile HTML and Markdown; F4's hides characters behind a bidi override.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dashboards import auth
from socialaudit import db
from socialaudit.decisions import record_decision
from socialaudit.settings import decisions_db_path
from transforms.publish import publish_serving_copy

HOSTILE_TEXT = (
    "Bed 4 again <script>alert('x')</script> ![pixel](http://tracker.example/p.png) **so** tired"
)
# A right-to-left override makes a browser draw "gnitset" as "testing"; a bell character hides.
BIDI_TEXT = "Bed 9 \u202egnitset\u202c only\x07 done"
PASSWORDS = {"officer": "officer-pass", "lead7": "lead7-pass", "auditor": "auditor-pass"}

TEAMS = [
    ("acute", "Acute services", None),
    ("acute/ward-7", "Ward 7", "acute"),
    ("acute/ward-9", "Ward 9", "acute"),
    ("community", "Community team", None),
]
NAMES = {
    "p01": "Amara Okafor",
    "p02": "Ben Hughes",
    "p03": "Chloe Patel",
    "p04": "Dev Sharma",
    "p05": "Erin Walsh",
    "p06": "Femi Adeyemi",
    "p07": "Grace Lin",
    "p08": "Harry Doyle",
    "p09": "Isla Brennan",
    "p10": "Jonah Price",
    "p11": "Kezia Nwosu",
    "p12": "Liam Forde",
    "p13": "Maya Rossi",
}


@dataclass(frozen=True)
class FixtureFinding:
    finding_id: str
    post_id: str
    person_id: str
    rule_id: str
    category: str
    severity: str
    active: bool = True
    span: tuple[int, int] = (0, 5)


FINDINGS = [
    FixtureFinding("F1", "p13-jan-1", "p13", "CONF-002", "confidentiality", "critical"),
    FixtureFinding("F2", "p13-jan-1", "p13", "PROF-001", "professionalism", "low"),
    FixtureFinding("F3", "p01-jan-1", "p01", "CONF-001", "confidentiality", "high"),
    FixtureFinding("F4", "p06-jan-1", "p06", "PROF-001", "professionalism", "low", span=(16, 20)),
    FixtureFinding("F5", "p13-feb-1", "p13", "CONF-001", "confidentiality", "high"),
    FixtureFinding("F6", "p07-feb-1", "p07", "CONF-001", "confidentiality", "high", False),
    FixtureFinding("F7", "p11-jan-1", "p11", "CONF-002", "confidentiality", "critical"),
]


def _memberships() -> list[tuple[str, str, str, str | None]]:
    rows = [(f"p{n:02}", "acute/ward-7", "2025-01-01", None) for n in range(1, 6)]
    rows += [(f"p{n:02}", "acute/ward-9", "2025-01-01", None) for n in range(6, 11)]
    rows += [("p11", "community", "2025-01-01", None), ("p12", "community", "2025-01-01", None)]
    rows += [("p13", "acute/ward-7", "2025-01-01", "2026-02-01")]
    rows += [("p13", "acute/ward-9", "2026-02-01", None)]
    return rows


def _posts() -> list[tuple[str, str, datetime]]:
    """(post_id, person_id, created_at)."""
    posts = []
    for n in range(1, 13):
        person = f"p{n:02}"
        posts += [
            (f"{person}-jan-1", person, datetime(2026, 1, 10, 9)),
            (f"{person}-jan-2", person, datetime(2026, 1, 20, 9)),
        ]
        if n <= 10:
            posts += [
                (f"{person}-feb-1", person, datetime(2026, 2, 10, 9)),
                (f"{person}-feb-2", person, datetime(2026, 2, 20, 9)),
            ]
    for day in range(5):
        posts.append((f"p13-jan-{day + 1}", "p13", datetime(2026, 1, 5 + day, 12)))
        posts.append((f"p13-feb-{day + 1}", "p13", datetime(2026, 2, 2 + day, 12)))
    return posts


def _text(post_id: str) -> str:
    if post_id == "p01-jan-1":
        return HOSTILE_TEXT
    if post_id == "p06-jan-1":
        return BIDI_TEXT
    return f"Bed 9 note from {post_id}, nothing more"


def build(folder: Path) -> Path:
    """Create the main database, its serving copy and a decisions file; return the main path."""
    main = folder / "socialaudit.duckdb"
    con = db.connect(main)
    con.executemany("INSERT INTO teams VALUES (?, ?, ?)", TEAMS)
    con.executemany("INSERT INTO people VALUES (?, ?, 'paramedic', 'hcpc')", list(NAMES.items()))
    con.executemany("INSERT INTO team_memberships VALUES (?, ?, ?, ?)", _memberships())
    archive = "a" * 64
    created = {}
    for post_id, person, at in _posts():
        text = _text(post_id)
        created[post_id] = at
        url = (
            "javascript:alert(1)" if post_id == "p01-jan-1" else f"https://social.example/{post_id}"
        )
        con.execute(
            "INSERT INTO posts (platform, post_id, person_id, created_at, kind, text, text_sha256,"
            " visibility, url, archive_sha256, first_seen_at, present)"
            " VALUES ('mastodon', ?, ?, ?, 'post', ?, ?, 'public', ?, ?, ?, true)",
            [
                post_id,
                person,
                at,
                text,
                hashlib.sha256(text.encode()).hexdigest(),
                url,
                archive,
                at,
            ],
        )
    for f in FINDINGS:
        text = _text(f.post_id)
        con.execute(
            "INSERT INTO findings (finding_id, platform, post_id, person_id, rule_id,"
            " rulebook_version, category, severity, confidence, start_char, end_char, spans,"
            " excerpt, message, standard, post_created_at, active, first_seen_at)"
            " VALUES (?, 'mastodon', ?, ?, ?, 'test+1', ?, ?, 0.9, ?, ?, ?, ?, ?,"
            " 'HCPC SCPE 2024 5.1', ?, ?, ?)",
            [
                f.finding_id,
                f.post_id,
                f.person_id,
                f.rule_id,
                f.category,
                f.severity,
                f.span[0],
                f.span[1],
                json.dumps([list(f.span)]),
                text,
                f"{f.rule_id} message",
                created[f.post_id],
                f.active,
                created[f.post_id],
            ],
        )
    con.execute(
        "INSERT INTO archives (sha256, file_name, platform, layout, person_id, account_handle,"
        " status, records_read, posts_stored, coverage, ingested_at)"
        " VALUES (?, 'maya-rossi-mastodon.zip', 'mastodon', 'outbox', 'p13', 'maya', 'ingested',"
        " 10, 10, ?, '2026-03-01 02:00:00')",
        [archive, json.dumps({"files_recognised": ["outbox.json"], "files_ignored": []})],
    )
    con.execute(
        "INSERT INTO archives (sha256, file_name, status, reason, validation, ingested_at)"
        " VALUES (?, 'broken-export.zip', 'quarantined', 'member name escapes the export', ?,"
        " '2026-03-01 02:01:00')",
        ["b" * 64, json.dumps({"failed": ["expect_column_values_to_not_be_null"]})],
    )
    con.execute(
        "INSERT INTO runs (run_id, flow, started_at, ended_at, status, counts)"
        " VALUES ('run-1', 'audit', '2026-03-01 02:00:00', '2026-03-01 02:05:00', 'completed', ?)",
        [json.dumps({"archives": 2, "posts": 54, "findings": 7})],
    )
    con.close()
    publish_serving_copy(main)

    decisions = decisions_db_path(main)
    record_decision(decisions, "F1", "escalated", "officer", "needs IG")
    record_decision(decisions, "F1", "resolved", "officer", "post deleted")
    record_decision(decisions, "F4", "confirmed", "officer")
    return main


def write_users(path: Path) -> Path:
    auth.add_user(path, "officer", "compliance_officer", [], PASSWORDS["officer"])
    auth.add_user(path, "lead7", "team_lead", ["acute/ward-7"], PASSWORDS["lead7"])
    auth.add_user(path, "auditor", "auditor", [], PASSWORDS["auditor"])
    return path


RULEBOOK_FILES = {
    "rulebook.yaml": """
version: "test.1"
categories:
  confidentiality: Details that could let someone recognise a patient.
severities: [low, medium, high, critical]
actions:
  delete: Delete the post
""",
    "standards.yaml": """
profiles:
  hcpc:
    editions:
      - id: hcpc-2024
        label: HCPC Standards of conduct, performance and ethics (2024)
        short_label: HCPC SCPE 2024
        in_force_from: 2024-09-01
        in_force_to: null
clauses:
  hcpc-2024:
    "5.1": Treat information about service users as confidential
""",
    "categories/confidentiality.yaml": """
rules:
  - id: CONF-900
    title: Bed number in a post
    category: confidentiality
    severity: high
    confidence: 0.8
    standards:
      hcpc-2024: ["5.1"]
    message: A bed number can identify a patient.
    guidance:
      action: delete
      text: Delete the post.
    match:
      - tokens: [{LOWER: bed}, {LIKE_NUM: true}]
    examples:
      flag: ["Bed 4 again"]
      pass: ["Off to bed now"]
""",
}


def write_rulebook(folder: Path) -> Path:
    """A one-rule rulebook, for the Rulebook and Check a post pages."""
    for name, content in RULEBOOK_FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content.lstrip(), encoding="utf-8")
    (folder / "signals").mkdir(exist_ok=True)
    return folder
