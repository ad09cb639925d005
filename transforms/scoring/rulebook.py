"""Load the rulebook (rules/*.yaml) into plain, validated data.

The rulebook's effective version is the declared version plus a hash of every rule, signal,
standard and shipped model file, so any change to a rule, or a retrained classifier, changes the
version and triggers re-scoring.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from socialaudit.settings import language_model as configured_language_model
from socialaudit.settings import rules_dir

PATTERN_KINDS = ("phrases", "tokens", "regex", "entities", "signal")
SCOPES = ("post", "sentence")  # where a rule's requirements and exceptions are looked for
# Classifiers a rule may require: `profanity`, or `conduct/<category>` (models/conduct/).
MODELS = ("profanity", "conduct")


class RulebookError(Exception):
    """The rulebook is malformed; the message names the file and the rule."""


@dataclass(frozen=True)
class Pattern:
    kind: str  # one of PATTERN_KINDS
    value: Any  # phrases, one token pattern, a regex, entity labels, or a signal name


@dataclass(frozen=True)
class Requirement:
    kind: str  # any | weighted | model
    signals: tuple[str, ...] = ()
    weights: dict[str, float] = field(default_factory=dict)
    model: str | None = None
    at_least: float = 1.0


@dataclass(frozen=True)
class Suppressor:
    signal: str
    before: int | None = None  # only within N tokens before the match
    after: int | None = None  # only within N tokens after the match
    anywhere: bool = False  # anywhere in the post, whatever the rule's window and scope
    same_clause: bool = False  # `before`/`after` only with no clause break in between


@dataclass(frozen=True)
class Signal:
    name: str
    description: str
    patterns: tuple[Pattern, ...]
    validator: str | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    category: str
    severity: str
    confidence: float
    standards: dict[str, tuple[str, ...]]
    message: str
    guidance_action: str
    guidance_text: str
    match: tuple[Pattern, ...]
    requires: tuple[Requirement, ...]
    unless: tuple[Suppressor, ...]
    window: int | None
    scope: str  # one of SCOPES
    examples_flag: tuple[str, ...]
    examples_pass: tuple[str, ...]
    source: str  # the file it came from, for messages
    # Reported only when no other rule of its category found anything in the post: a rule that
    # catches what the others miss would, beside them, only repeat their finding less clearly.
    fallback: bool = False


@dataclass(frozen=True)
class Edition:
    id: str
    label: str
    short_label: str
    in_force_from: date
    in_force_to: date | None
    url: str | None = None


@dataclass(frozen=True)
class Rulebook:
    version: str
    categories: dict[str, str]
    severities: tuple[str, ...]
    actions: dict[str, str]
    signals: dict[str, Signal]
    rules: tuple[Rule, ...]
    profiles: dict[str, tuple[Edition, ...]]
    clauses: dict[str, dict[str, str]]
    # An installed spaCy pipeline whose named entities feed `entities` patterns; None = blank
    # English only. Part of the version, since it changes what the rules find.
    language_model: str | None = None
    folder: Path = Path("rules")  # where it was read from: shipped models live there too

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def edition_for(self, profile: str, when: date | None) -> Edition:
        """The edition of a profile's standards in force on a date (the current one if None)."""
        editions = self.profiles.get(profile) or self.profiles["hcpc"]
        if when is None:
            return editions[-1]
        for edition in editions:
            if edition.in_force_from <= when and (
                edition.in_force_to is None or when < edition.in_force_to
            ):
                return edition
        return editions[0] if when < editions[0].in_force_from else editions[-1]

    def standard_ref(self, rule: Rule, profile: str, when: date | None) -> str:
        """e.g. 'HCPC SCPE 2024 5.1, 5.2' for the edition in force on the post's date."""
        edition = self.edition_for(profile, when)
        numbers = rule.standards.get(edition.id, ())
        return f"{edition.short_label} {', '.join(numbers)}".strip()


def load_rulebook(folder: Path | None = None, language_model: str | None = None) -> Rulebook:
    """The rulebook in `folder` (default: the configured one), to be run with `language_model`
    (default: the configured one, usually none)."""
    folder = folder or rules_dir()
    model = language_model or configured_language_model()
    book = _read_yaml(folder / "rulebook.yaml")
    standards = _read_yaml(folder / "standards.yaml")
    signals = _load_signals(folder)
    rules = _load_rules(folder)
    rulebook = Rulebook(
        version=f"{book['version']}+{_content_hash(folder)}" + (f"+{model}" if model else ""),
        categories=dict(book["categories"]),
        severities=tuple(book["severities"]),
        actions=dict(book["actions"]),
        signals=signals,
        rules=rules,
        profiles=_load_profiles(standards),
        clauses={k: {str(n): t for n, t in v.items()} for k, v in standards["clauses"].items()},
        language_model=model,
        folder=folder,
    )
    _check(rulebook)
    return rulebook


# libyaml's safe loader (in PyYAML's wheels) parses the rulebook ~10x faster than pure Python,
# which is most of a cold `socialaudit check`; the pure-Python one is the fallback.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER) or {}
    except (OSError, yaml.YAMLError) as error:
        raise RulebookError(f"{path.name}: {error}") from None


def _content_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    files = [folder / "rulebook.yaml", folder / "standards.yaml"]
    files += sorted((folder / "signals").glob("*.yaml")) + sorted(
        (folder / "categories").glob("*.yaml")
    )
    files += sorted(p for p in (folder / "models").rglob("*") if p.is_file())  # shipped models
    for file in files:
        digest.update(file.relative_to(folder).as_posix().encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()[:8]


def _patterns(raw: list[dict[str, Any]], where: str) -> tuple[Pattern, ...]:
    patterns = []
    for entry in raw or []:
        kinds = [k for k in PATTERN_KINDS if k in entry]
        if len(kinds) != 1:
            raise RulebookError(f"{where}: each pattern needs exactly one of {PATTERN_KINDS}")
        value = entry[kinds[0]]
        if kinds[0] == "entities" and not (
            isinstance(value, list) and all(isinstance(label, str) for label in value)
        ):
            raise RulebookError(f"{where}: entities must be a list of entity labels (PERSON, ...)")
        patterns.append(Pattern(kinds[0], value))
    return tuple(patterns)


def _load_signals(folder: Path) -> dict[str, Signal]:
    signals: dict[str, Signal] = {}
    for file in sorted((folder / "signals").glob("*.yaml")):
        for name, spec in (_read_yaml(file).get("signals") or {}).items():
            if name in signals:
                raise RulebookError(f"{file.name}: signal {name!r} defined twice")
            signals[name] = Signal(
                name=name,
                description=spec.get("description", ""),
                patterns=_patterns(spec.get("patterns"), f"{file.name}:{name}"),
                validator=spec.get("validator"),
            )
    return signals


def _requirement(raw: dict[str, Any], where: str) -> Requirement:
    if "any" in raw:
        return Requirement("any", signals=tuple(raw["any"]))
    if "weighted" in raw:
        weights = {str(k): float(v) for k, v in raw["weighted"].items()}
        return Requirement("weighted", weights=weights, at_least=float(raw.get("at_least", 1.0)))
    if "model" in raw:
        return Requirement("model", model=raw["model"], at_least=float(raw.get("at_least", 0.5)))
    raise RulebookError(f"{where}: a requirement needs 'any', 'weighted' or 'model'")


def _suppressor(raw: str | dict[str, Any], where: str) -> Suppressor:
    if isinstance(raw, str):
        return Suppressor(raw)
    unknown = set(raw) - {"signal", "before", "after", "anywhere", "same_clause"}
    if unknown:
        raise RulebookError(f"{where}: unknown exception option(s) {sorted(unknown)}")
    return Suppressor(
        raw["signal"],
        before=raw.get("before"),
        after=raw.get("after"),
        anywhere=bool(raw.get("anywhere", False)),
        same_clause=bool(raw.get("same_clause", False)),
    )


def _load_rules(folder: Path) -> tuple[Rule, ...]:
    rules = []
    for file in sorted((folder / "categories").glob("*.yaml")):
        for spec in _read_yaml(file).get("rules") or []:
            where = f"{file.name}:{spec.get('id', '?')}"
            try:
                guidance = spec.get("guidance") or {}
                examples = spec.get("examples") or {}
                rules.append(
                    Rule(
                        id=spec["id"],
                        title=spec["title"],
                        category=spec["category"],
                        severity=spec["severity"],
                        confidence=float(spec.get("confidence", 0.8)),
                        standards={k: tuple(map(str, v)) for k, v in spec["standards"].items()},
                        message=" ".join(spec["message"].split()),
                        guidance_action=guidance.get("action", "be_aware"),
                        guidance_text=" ".join(guidance.get("text", "").split()),
                        match=_patterns(spec["match"], where),
                        requires=tuple(_requirement(r, where) for r in spec.get("requires") or []),
                        unless=tuple(_suppressor(u, where) for u in spec.get("unless") or []),
                        window=spec.get("window"),
                        scope=spec.get("scope", "post"),
                        examples_flag=tuple(examples.get("flag") or []),
                        examples_pass=tuple(examples.get("pass") or []),
                        source=file.name,
                        fallback=bool(spec.get("fallback", False)),
                    )
                )
            except KeyError as missing:
                raise RulebookError(f"{where}: missing key {missing}") from None
    return tuple(rules)


def _load_profiles(standards: dict[str, Any]) -> dict[str, tuple[Edition, ...]]:
    profiles = {}
    for name, spec in standards["profiles"].items():
        editions = [
            Edition(
                id=e["id"],
                label=e["label"],
                short_label=e.get("short_label", e["label"]),
                in_force_from=_as_date(e["in_force_from"]),
                in_force_to=_as_date(e.get("in_force_to")),
                url=e.get("url"),
            )
            for e in spec["editions"]
        ]
        profiles[name] = tuple(sorted(editions, key=lambda e: e.in_force_from))
    return profiles


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _check(book: Rulebook) -> None:
    """Refuse a rulebook that refers to things it does not define."""
    seen: set[str] = set()
    for rule in book.rules:
        where = f"{rule.source}:{rule.id}"
        if rule.id in seen:
            raise RulebookError(f"{where}: duplicate rule id")
        seen.add(rule.id)
        if rule.category not in book.categories:
            raise RulebookError(f"{where}: unknown category {rule.category!r}")
        if rule.severity not in book.severities:
            raise RulebookError(f"{where}: unknown severity {rule.severity!r}")
        if rule.scope not in SCOPES:
            raise RulebookError(f"{where}: unknown scope {rule.scope!r}; known: {SCOPES}")
        if rule.guidance_action not in book.actions:
            raise RulebookError(f"{where}: unknown guidance action {rule.guidance_action!r}")
        named = [p.value for p in rule.match if p.kind == "signal"]
        for requirement in rule.requires:
            named += list(requirement.signals) + list(requirement.weights)
            if requirement.model and not _known_model(requirement.model, book):
                raise RulebookError(
                    f"{where}: unknown model {requirement.model!r}; known: profanity, "
                    "conduct/<category>"
                )
        named += [s.signal for s in rule.unless]
        for name in named:
            if name not in book.signals:
                raise RulebookError(f"{where}: unknown signal {name!r}")


def _known_model(name: str, book: Rulebook) -> bool:
    classifier, _, label = name.partition("/")
    if classifier == "conduct":
        return label in book.categories
    return classifier in MODELS and not label
