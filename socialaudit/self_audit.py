"""Self-audit: one person's own exports, read and scored in memory, nothing sent anywhere.

A registrant runs this on their laptop. The exports are parsed into polars frames and scored
with the rulebook; no database and no Prefect run is involved, and the only file this module
writes is the person's small decisions file (finding keys and marks, never post text), so the
next self-audit of a newer export shows only what is new or undecided.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from socialaudit.reports.files import write_private
from transforms.ingest import Rejected, read_export
from transforms.parts import export_label, group_exports

if TYPE_CHECKING:
    from transforms.scoring.engine import Scorer

MARKS = ("reviewed", "deleted", "keep")
# Guidance actions, most urgent first; an action the rulebook adds later comes after these.
URGENCY = ("delete", "edit", "make_private", "speak_to_supervisor", "be_aware")
KEY_LENGTH = 12
HEX = frozenset("0123456789abcdef")
DECISIONS_FORMAT = "socialaudit-self-audit-decisions/1"


@dataclass(frozen=True)
class Filters:
    """What the person chose to leave out; empty means everything."""

    since: date | None = None
    platforms: tuple[str, ...] = ()
    min_severity: str | None = None


@dataclass(frozen=True)
class ExportRead:
    file_name: str
    sha256: str
    platform: str
    posts: int
    files_ignored: tuple[str, ...]


@dataclass(frozen=True)
class ExportRefused:
    file_name: str
    reason: str


@dataclass(frozen=True)
class PlatformPeriod:
    platform: str
    posts: int
    first: date
    last: date


@dataclass(frozen=True)
class SelfFinding:
    key: str  # stable across newer exports: platform, post, rule and matched words
    action: str  # the rule's guidance action, e.g. delete
    created_at: datetime
    platform: str
    post_id: str
    kind: str
    url: str | None
    text: str
    spans: tuple[tuple[int, int], ...]
    rule_id: str
    title: str
    category: str
    severity: str
    confidence: float
    message: str
    guidance: str
    standard: str  # the edition in force on the post's date
    mark: str | None  # the person's own mark, when the report includes decided findings

    @property
    def matched(self) -> str:
        return " | ".join(self.text[start:end] for start, end in self.spans)

    def as_record(self) -> dict[str, Any]:
        """A flat record for the JSON and CSV reports."""
        return {
            "key": self.key,
            "action": self.action,
            "date": self.created_at.date().isoformat(),
            "posted_at": self.created_at.isoformat(),
            "platform": self.platform,
            "kind": self.kind,
            "post_id": self.post_id,
            "url": self.url,
            "severity": self.severity,
            "rule_id": self.rule_id,
            "title": self.title,
            "category": self.category,
            "confidence": round(self.confidence, 3),
            "standard": self.standard,
            "message": self.message,
            "guidance": self.guidance,
            "matched": self.matched,
            "spans": [list(span) for span in self.spans],
            "text": self.text,
            "mark": self.mark,
        }


@dataclass
class SelfAudit:
    generated_at: datetime
    profile: str
    standards: str  # the profile's current edition, e.g. 'HCPC Standards of conduct ... (2024)'
    rulebook_version: str
    filters: Filters
    actions: dict[str, str]  # guidance action -> plain label, most urgent first
    severities: tuple[str, ...]  # mildest first
    exports: list[ExportRead] = field(default_factory=list)
    refused: list[ExportRefused] = field(default_factory=list)
    platforms: list[PlatformPeriod] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # records not read, by parser reason
    left_out: dict[str, int] = field(default_factory=dict)  # by the filters and marks
    findings: list[SelfFinding] = field(default_factory=list)  # most urgent first

    def by_severity(self) -> dict[str, int]:
        """Findings shown per severity, most severe first."""
        counts = Counter(f.severity for f in self.findings)
        return {s: counts[s] for s in reversed(self.severities) if counts[s]}


def run_self_audit(
    paths: Sequence[Path],
    filters: Filters,
    profile: str = "hcpc",
    marks: dict[str, str] | None = None,
    include_marked: bool = False,
) -> SelfAudit:
    """Read every export (a refused one is recorded with its reason and the rest go on), score
    the posts the filters keep, and return the findings not yet marked, most urgent first."""
    from transforms.scoring.engine import Scorer  # spaCy: only once there is work to do

    scorer = Scorer.load(profile=profile)
    book = scorer.rulebook
    if filters.min_severity and filters.min_severity not in book.severities:
        raise ValueError(f"unknown severity {filters.min_severity!r}")
    audit = SelfAudit(
        generated_at=datetime.now(UTC),
        profile=profile,
        standards=book.edition_for(profile, None).label,
        rulebook_version=book.version,
        filters=filters,
        actions=_actions_by_urgency(book.actions),
        severities=book.severities,
    )
    posts, repeated = _read_exports(paths, audit)
    posts, left_out = _apply_filters(posts, filters)
    audit.left_out = {"repeated": repeated, **left_out}
    audit.platforms = _periods(posts)
    findings = _score(scorer, posts, marks or {})
    findings, below = _at_least(findings, filters.min_severity, book.severities)
    unmarked = [f for f in findings if not f.mark]
    audit.left_out |= {
        "below_min_severity": below,
        "marked": 0 if include_marked else len(findings) - len(unmarked),
    }
    if not include_marked:
        findings = unmarked
    order = list(audit.actions)
    newest_first = sorted(findings, key=lambda f: f.created_at, reverse=True)
    audit.findings = sorted(  # stable: newest first within an action and severity
        newest_first,
        key=lambda f: (order.index(f.action), -book.severities.index(f.severity)),
    )
    return audit


def _actions_by_urgency(actions: dict[str, str]) -> dict[str, str]:
    known = [a for a in URGENCY if a in actions]
    return {a: actions[a] for a in known + [a for a in actions if a not in URGENCY]}


def _read_exports(paths: Sequence[Path], audit: SelfAudit) -> tuple[pl.DataFrame, int]:
    """All posts of the readable exports; a post found in several exports is read once (its
    version from the export listed last). Returns the posts and how many repeats were dropped."""
    frames = []
    skipped: Counter[str] = Counter()
    for parts in group_exports(paths):  # the parts of one export are read as that export
        name = export_label(parts)
        try:
            parsed = read_export(parts)
        except Rejected as rejected:
            reason = str(rejected).removeprefix(f"{name}: ")
            audit.refused.append(ExportRefused(name, reason))
            continue
        except OSError as error:
            audit.refused.append(ExportRefused(name, error.strerror or type(error).__name__))
            continue
        skipped.update(parsed.coverage.skipped)
        audit.exports.append(
            ExportRead(
                file_name=parsed.file_name,
                sha256=parsed.sha256,
                platform=parsed.platform,
                posts=parsed.posts.height,
                files_ignored=tuple(sorted(parsed.coverage.files_ignored)),
            )
        )
        frames.append(parsed.posts)
    audit.skipped = dict(sorted(skipped.items()))
    if not frames:
        return pl.DataFrame(), 0
    posts = pl.concat(frames)
    unique = posts.unique(subset=["platform", "post_id"], keep="last", maintain_order=True)
    return unique, posts.height - unique.height


def _apply_filters(posts: pl.DataFrame, filters: Filters) -> tuple[pl.DataFrame, dict[str, int]]:
    left_out = {"before_since": 0, "other_platforms": 0}
    if posts.is_empty():
        return posts, left_out
    if filters.since:
        kept = posts.filter(pl.col("created_at").dt.date() >= filters.since)
        left_out["before_since"] = posts.height - kept.height
        posts = kept
    if filters.platforms:
        kept = posts.filter(pl.col("platform").is_in(list(filters.platforms)))
        left_out["other_platforms"] = posts.height - kept.height
        posts = kept
    return posts, left_out


def _periods(posts: pl.DataFrame) -> list[PlatformPeriod]:
    if posts.is_empty():
        return []
    summary = (
        posts.group_by("platform")
        .agg(
            pl.len().alias("posts"),
            pl.col("created_at").min().dt.date().alias("first"),
            pl.col("created_at").max().dt.date().alias("last"),
        )
        .sort("posts", "platform", descending=[True, False])
    )
    return [PlatformPeriod(**row) for row in summary.iter_rows(named=True)]


def _score(scorer: Scorer, posts: pl.DataFrame, marks: dict[str, str]) -> list[SelfFinding]:
    if posts.is_empty():
        return []
    rows = list(posts.iter_rows(named=True))
    results = scorer.score_many(
        [row["text"] for row in rows], [row["created_at"].date() for row in rows]
    )
    findings = []
    for row, post_findings in zip(rows, results, strict=True):
        for f in post_findings:
            key = finding_key(row["platform"], row["post_id"], f.rule_id, f.matched_text)
            findings.append(
                SelfFinding(
                    key=key,
                    action=f.guidance_action,
                    created_at=row["created_at"],
                    platform=row["platform"],
                    post_id=row["post_id"],
                    kind=row["kind"],
                    url=row["url"],
                    text=row["text"],
                    spans=f.spans,
                    rule_id=f.rule_id,
                    title=f.title,
                    category=f.category,
                    severity=f.severity,
                    confidence=f.confidence,
                    message=f.message,
                    guidance=f.guidance,
                    standard=f.standard,
                    mark=marks.get(key),
                )
            )
    return findings


def _at_least(
    findings: list[SelfFinding], min_severity: str | None, severities: tuple[str, ...]
) -> tuple[list[SelfFinding], int]:
    if not min_severity:
        return findings, 0
    floor = severities.index(min_severity)
    kept = [f for f in findings if severities.index(f.severity) >= floor]
    return kept, len(findings) - len(kept)


# -- the person's own decisions -----------------------------------------------------------------


def finding_key(platform: str, post_id: str, rule_id: str, matched_text: str) -> str:
    """A short key that a newer export of the same account gives again: the platform's post id
    does not change, and neither do the words the rule matched unless the person edits them."""
    key = "\x1f".join((platform, post_id, rule_id, matched_text))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:KEY_LENGTH]


def default_decisions_path() -> Path:
    """One file per user account, whatever folder the report is written to, so marks made
    after one report apply to the next wherever it goes."""
    return Path.home() / ".socialaudit" / "self-audit-decisions.json"


class DecisionsError(Exception):
    """The decisions file cannot be read or a mark is not valid; the message says why."""


def load_marks(path: Path) -> dict[str, str]:
    """Finding key -> mark; empty when the file does not exist yet."""
    return {key: entry["mark"] for key, entry in _read_entries(path).items()}


def mark_findings(path: Path, keys: Iterable[str], mark: str) -> int:
    """Record the person's mark on each finding key (the latest mark wins); returns how many.
    The file is replaced atomically and readable by its owner only."""
    if mark not in MARKS:
        raise DecisionsError(f"unknown mark {mark!r}; expected one of {', '.join(MARKS)}")
    keys = [key.strip().lower() for key in keys]
    malformed = [k for k in keys if len(k) != KEY_LENGTH or any(c not in HEX for c in k)]
    if malformed:
        raise DecisionsError(
            f"not a finding key: {', '.join(malformed)} (keys are the {KEY_LENGTH}-character "
            "codes shown in the report)"
        )
    entries = _read_entries(path)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    entries |= {key: {"mark": mark, "marked_at": now} for key in keys}
    staging = path.with_name(path.name + ".writing")
    write_private(staging, json.dumps({"format": DECISIONS_FORMAT, "marks": entries}, indent=2))
    os.replace(staging, path)
    return len(keys)


def _read_entries(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
        if content.get("format") != DECISIONS_FORMAT:
            raise ValueError(f"format is not {DECISIONS_FORMAT}")
        return {
            str(key): {"mark": str(entry["mark"]), "marked_at": str(entry["marked_at"])}
            for key, entry in content["marks"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise DecisionsError(f"{path}: not a self-audit decisions file ({error})") from None
