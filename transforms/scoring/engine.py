"""Score text against the rulebook with spaCy, offline.

The pipeline is `spacy.blank("en")` plus one custom component, `socialaudit_matcher`, which runs
a PhraseMatcher (vocabulary), a Matcher (token patterns) and regexes (shapes that cut across
tokens) and stores every hit in `doc.spans["socialaudit"]`, labelled `R|<rule id>` for a rule's
own match or `S|<signal>` for a named signal. Rules are then evaluated over those spans: a match
becomes a finding when its requirements hold and no exception applies.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

from transforms.scoring.rulebook import Pattern, Rule, Rulebook, RulebookError, load_rulebook
from transforms.scoring.validators import VALIDATORS

SPAN_KEY = "socialaudit"
EXCERPT_CONTEXT = 60


@dataclass(frozen=True)
class Finding:
    rule_id: str
    title: str
    category: str
    severity: str
    confidence: float
    spans: tuple[tuple[int, int], ...]  # every highlighted span, as character offsets
    start: int  # the first matched span
    end: int
    matched_text: str  # the rule's own matches joined with ' | ', for fingerprints
    excerpt: str
    message: str
    guidance_action: str
    guidance: str
    standard: str

    def as_json(self) -> dict[str, Any]:
        """The stable `check --jsonl` contract."""
        return {
            "rule_id": self.rule_id,
            "category": self.category,
            "severity": self.severity,
            "confidence": round(self.confidence, 3),
            "start": self.start,
            "end": self.end,
            "spans": [list(s) for s in self.spans],
            "excerpt": self.excerpt,
            "message": self.message,
            "guidance": self.guidance,
            "standard": self.standard,
        }


class ConductMatcher:
    """The custom pipeline component: every rule and signal pattern, matched in one pass."""

    def __init__(self, nlp: Language) -> None:
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.tokens = Matcher(nlp.vocab, validate=True)
        self.regexes: list[tuple[str, re.Pattern[str]]] = []
        self.validators: dict[str, str] = {}  # label -> validator name
        self._make_doc = nlp.make_doc

    def add(self, label: str, pattern: Pattern, where: str) -> None:
        try:
            if pattern.kind == "phrases":
                self.phrases.add(label, [self._make_doc(str(p)) for p in pattern.value])
            elif pattern.kind == "tokens":
                self.tokens.add(label, [pattern.value])
            elif pattern.kind == "regex":
                self.regexes.append((label, re.compile(pattern.value)))
        except (ValueError, re.error) as error:
            raise RulebookError(f"{where}: bad {pattern.kind} pattern ({error})") from None

    def __call__(self, doc: Doc) -> Doc:
        hits: list[Span] = []
        strings = doc.vocab.strings
        for match_id, start, end in self.phrases(doc):
            hits.append(Span(doc, start, end, label=strings[match_id]))
        if len(self.tokens):
            for match_id, start, end in self.tokens(doc):
                hits.append(Span(doc, start, end, label=strings[match_id]))
        for label, regex in self.regexes:
            for found in regex.finditer(doc.text):
                span = doc.char_span(*found.span(), label=label, alignment_mode="expand")
                if span is not None:
                    hits.append(span)
        doc.spans[SPAN_KEY] = [s for s in hits if self._valid(s)]
        return doc

    def _valid(self, span: Span) -> bool:
        name = self.validators.get(span.label_)
        return name is None or VALIDATORS[name](span.text)


@Language.factory("socialaudit_matcher")
def _make_conduct_matcher(nlp: Language, name: str) -> ConductMatcher:
    return ConductMatcher(nlp)


class Scorer:
    """A rulebook compiled into a spaCy pipeline, ready to score any number of texts."""

    def __init__(self, rulebook: Rulebook, profile: str = "hcpc") -> None:
        self.rulebook = rulebook
        self.profile = profile
        self.nlp = spacy.blank("en")
        self.matcher: ConductMatcher = self.nlp.add_pipe("socialaudit_matcher")
        for signal in rulebook.signals.values():
            for pattern in signal.patterns:
                self.matcher.add(f"S|{signal.name}", pattern, f"signal {signal.name}")
            if signal.validator:
                if signal.validator not in VALIDATORS:
                    raise RulebookError(f"signal {signal.name}: unknown validator")
                self.matcher.validators[f"S|{signal.name}"] = signal.validator
        for rule in rulebook.rules:
            for pattern in rule.match:
                if pattern.kind != "signal":
                    self.matcher.add(f"R|{rule.id}", pattern, f"{rule.source}:{rule.id}")
        self._models = _Models()

    @classmethod
    def load(cls, rules_folder: Path | None = None, profile: str = "hcpc") -> Scorer:
        return cls(load_rulebook(rules_folder), profile)

    @property
    def version(self) -> str:
        return self.rulebook.version

    def score(
        self, text: str, when: date | None = None, profile: str | None = None
    ) -> list[Finding]:
        return next(self.score_many([text], [when], [profile]))

    def score_many(
        self,
        texts: Sequence[str],
        dates: Sequence[date | None] | None = None,
        profiles: Sequence[str | None] | None = None,
        batch_size: int = 512,
    ) -> Iterator[list[Finding]]:
        """Findings for each text, in order. Dates pick the standards edition in force."""
        dates = dates or [None] * len(texts)
        profiles = profiles or [None] * len(texts)
        docs = self.nlp.pipe(texts, batch_size=batch_size)
        for batch in _batched(zip(docs, dates, profiles, strict=True), batch_size):
            probabilities = self._model_probabilities([doc for doc, _, _ in batch])
            for (doc, when, profile), probs in zip(batch, probabilities, strict=True):
                yield self._evaluate(doc, when, profile or self.profile, probs)

    # -- evaluation -----------------------------------------------------------------------------

    def _model_probabilities(self, docs: list[Doc]) -> list[dict[str, float]]:
        """Run a shipped classifier only on posts where a rule that needs it has a candidate."""
        needed: dict[str, list[int]] = defaultdict(list)
        for i, doc in enumerate(docs):
            labels = {span.label_ for span in doc.spans[SPAN_KEY]}
            for rule in self.rulebook.rules:
                if any(r.kind == "model" for r in rule.requires) and self._has_match(rule, labels):
                    for requirement in rule.requires:
                        if requirement.model and i not in needed[requirement.model]:
                            needed[requirement.model].append(i)
        result: list[dict[str, float]] = [{} for _ in docs]
        for model, indices in needed.items():
            texts = [docs[i].text for i in indices]
            for i, p in zip(indices, self._models.predict(model, texts), strict=True):
                result[i][model] = p
        return result

    @staticmethod
    def _has_match(rule: Rule, labels: set[str]) -> bool:
        return f"R|{rule.id}" in labels or any(
            p.kind == "signal" and f"S|{p.value}" in labels for p in rule.match
        )

    def _evaluate(
        self, doc: Doc, when: date | None, profile: str, probs: dict[str, float]
    ) -> list[Finding]:
        by_label: dict[str, list[Span]] = defaultdict(list)
        for span in doc.spans[SPAN_KEY]:
            by_label[span.label_].append(span)
        findings = []
        for rule in self.rulebook.rules:
            candidates = list(by_label.get(f"R|{rule.id}", []))
            for pattern in rule.match:
                if pattern.kind == "signal":
                    candidates += by_label.get(f"S|{pattern.value}", [])
            if not candidates:
                continue
            finding = self._judge(rule, doc, _dedupe(candidates), by_label, when, profile, probs)
            if finding:
                findings.append(finding)
        return findings

    def _judge(
        self,
        rule: Rule,
        doc: Doc,
        candidates: list[Span],
        by_label: dict[str, list[Span]],
        when: date | None,
        profile: str,
        probs: dict[str, float],
    ) -> Finding | None:
        kept: list[Span] = []
        support: list[Span] = []
        factor = 1.0
        for match in candidates:
            verdict = _requirements_hold(rule, match, by_label, probs)
            if verdict is None or _suppressed(rule, match, by_label):
                continue
            match_factor, match_support = verdict
            kept.append(match)
            support += match_support
            factor = max(factor, match_factor)
        if not kept:
            return None
        spans = _merge([(s.start_char, s.end_char) for s in kept + support])
        first = kept[0]
        return Finding(
            rule_id=rule.id,
            title=rule.title,
            category=rule.category,
            severity=rule.severity,
            confidence=min(0.99, rule.confidence * factor),
            spans=spans,
            start=first.start_char,
            end=first.end_char,
            matched_text=" | ".join(s.text.lower() for s in kept),
            excerpt=excerpt(doc.text, first.start_char, first.end_char),
            message=rule.message,
            guidance_action=rule.guidance_action,
            guidance=rule.guidance_text,
            standard=self.rulebook.standard_ref(rule, profile, when),
        )


def _requirements_hold(
    rule: Rule, match: Span, by_label: dict[str, list[Span]], probs: dict[str, float]
) -> tuple[float, list[Span]] | None:
    """None when a requirement fails, else (confidence factor, spans that support the match)."""
    factor = 1.0
    support: list[Span] = []
    for requirement in rule.requires:
        if requirement.kind == "any":
            near = [
                s
                for name in requirement.signals
                for s in by_label.get(f"S|{name}", [])
                if _near(s, match, rule.window)
            ]
            if not near:
                return None
            support += near
        elif requirement.kind == "weighted":
            total = 0.0
            for name, weight in requirement.weights.items():
                near = [s for s in by_label.get(f"S|{name}", []) if _near(s, match, rule.window)]
                if near:
                    total += weight
                    support += near
            if total < requirement.at_least:
                return None
            factor *= min(1.15, 0.85 + 0.15 * total / requirement.at_least)
        elif requirement.kind == "model":
            probability = probs.get(requirement.model or "", 0.0)
            if probability < requirement.at_least:
                return None
    return factor, support


def _suppressed(rule: Rule, match: Span, by_label: dict[str, list[Span]]) -> bool:
    for suppressor in rule.unless:
        for span in by_label.get(f"S|{suppressor.signal}", []):
            if span.start == match.start and span.end == match.end:
                continue  # a span never suppresses itself
            if suppressor.before is not None:
                if span.end <= match.start + 1 and match.start - span.end <= suppressor.before:
                    return True
            elif suppressor.after is not None:
                if span.start >= match.end - 1 and span.start - match.end <= suppressor.after:
                    return True
            elif _near(span, match, rule.window):
                return True
    return False


def _near(span: Span, match: Span, window: int | None) -> bool:
    if window is None:
        return True
    gap = max(0, span.start - match.end, match.start - span.end)
    return gap <= window


def _dedupe(spans: list[Span]) -> list[Span]:
    seen: dict[tuple[int, int], Span] = {}
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        seen.setdefault((span.start, span.end), span)
    return list(seen.values())


def _merge(spans: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return tuple((s, e) for s, e in merged)


def excerpt(text: str, start: int, end: int, context: int = EXCERPT_CONTEXT) -> str:
    """The matched words with some context either side, on one line."""
    left = max(0, start - context)
    right = min(len(text), end + context)
    body = " ".join(text[left:right].split())
    return ("…" if left > 0 else "") + body + ("…" if right < len(text) else "")


def _batched(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Models:
    """Classifiers that ship inside their wheels, loaded only when a rule first needs one."""

    def __init__(self) -> None:
        self._loaded: dict[str, Any] = {}

    def predict(self, name: str, texts: list[str]) -> list[float]:
        if name != "profanity":
            raise RulebookError(f"unknown model {name!r}; known: profanity")
        if name not in self._loaded:
            from profanity_check import predict_prob

            self._loaded[name] = predict_prob
        return [float(p) for p in self._loaded[name](texts)]
