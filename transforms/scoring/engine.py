"""Score text against the rulebook with spaCy, offline.

The pipeline is `spacy.blank("en")` plus one custom component, `socialaudit_matcher`, which runs
a PhraseMatcher (vocabulary) and a Matcher (token patterns) and keeps their hits' token offsets
by label in `doc.user_data["socialaudit"]`: `R|<rule id>` for a rule's own match or `S|<signal>`
for a named signal. Regexes (shapes that cut across tokens) cost far more, so they run on demand
(`Hits`): only for rules whose other conditions can still hold, and only when a cheap first pass
(transforms/scoring/triggers.py) finds one of their trigger literals in the text. Spans are made
(and validated) only for the labels a rule asks for. Rules are then evaluated over those hits: a
match becomes a finding when its requirements hold and no exception applies (for a rule scoped
to the sentence, spaCy's rule-based `Sentencizer` splits the post, only when such a rule has a
match to judge). Findings are the same as if every pattern had run on every text.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.pipeline import Sentencizer
from spacy.tokens import Doc, Span

from socialaudit.settings import cache_dir
from transforms.scoring import conduct_model
from transforms.scoring.rulebook import (
    MODELS,
    Pattern,
    Rule,
    Rulebook,
    RulebookError,
    Signal,
    load_rulebook,
)
from transforms.scoring.triggers import TriggerIndex
from transforms.scoring.validators import VALIDATORS

SPAN_KEY = "socialaudit"
SENTENCIZER = Sentencizer()  # rule-based punctuation splitter: no model, nothing downloaded
EXCERPT_CONTEXT = 60
# Texts in a call from which the first pass pays for its index (built once, in about 3 CPU-s, or
# read from the cache in under one): below, as for `check` on one post, every regex runs instead
# (about 0.3 ms a post).
FIRST_PASS_FROM = 200


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
        self._triggers: TriggerIndex | None = None  # built once every pattern is added
        self.token_labels: frozenset[str] = frozenset()
        self.entity_labels: dict[str, list[str]] = defaultdict(list)  # PERSON -> hit labels

    def add(self, label: str, pattern: Pattern, where: str) -> None:
        try:
            if pattern.kind == "phrases":
                self.phrases.add(label, [self._make_doc(str(p)) for p in pattern.value])
            elif pattern.kind == "tokens":
                self.tokens.add(label, [pattern.value])
                self.token_labels |= {label}
            elif pattern.kind == "regex":
                self.regexes.append((label, re.compile(pattern.value)))
                self._triggers = None
            elif pattern.kind == "entities":  # found only when a statistical pipeline is used
                for entity in pattern.value:
                    self.entity_labels[entity].append(label)
        except (ValueError, re.error) as error:
            raise RulebookError(f"{where}: bad {pattern.kind} pattern ({error})") from None

    def __call__(self, doc: Doc) -> Doc:
        """Phrase and token hits, which are cheap; regex hits are found on demand (`Hits`)."""
        hits: dict[str, list[tuple[int, int]]] = defaultdict(list)
        strings = doc.vocab.strings
        for match_id, start, end in self.phrases(doc):
            hits[strings[match_id]].append((start, end))
        if len(self.tokens):
            for match_id, start, end in self.tokens(doc):
                hits[strings[match_id]].append((start, end))
        for entity in doc.ents if self.entity_labels else ():
            for label in self.entity_labels.get(entity.label_, ()):
                hits[label].append((entity.start, entity.end))
        doc.user_data[SPAN_KEY] = hits
        return doc

    def regex_candidates(self, text: str, first_pass: bool = True) -> dict[str, list[int]]:
        """The regexes that may match the text (the cheap first pass), by label; without the
        first pass (whose index takes about a second to build), every regex."""
        if not first_pass:
            by_label: dict[str, list[int]] = {}
            for index, (label, _) in enumerate(self.regexes):
                by_label.setdefault(label, []).append(index)
            return by_label
        if self._triggers is None:
            self._triggers = TriggerIndex([regex for _, regex in self.regexes], cache_dir())
        by_label = {}
        regexes = self.regexes
        for index in self._triggers.candidates(text):
            by_label.setdefault(regexes[index][0], []).append(index)
        return by_label

    def regex_hits(self, doc: Doc, text: str, indexes: list[int]) -> list[Span]:
        """Valid hits of the given regexes, in their order."""
        hits = []
        for index in indexes:
            label, regex = self.regexes[index]
            for found in regex.finditer(text):
                span = doc.char_span(*found.span(), label=label, alignment_mode="expand")
                if span is not None and self.valid(span):
                    hits.append(span)
        return hits

    @property
    def has_first_pass(self) -> bool:
        return self._triggers is not None

    def valid(self, span: Span) -> bool:
        name = self.validators.get(span.label_)
        return name is None or VALIDATORS[name](span.text)


@Language.factory("socialaudit_matcher")
def _make_conduct_matcher(nlp: Language, name: str) -> ConductMatcher:
    return ConductMatcher(nlp)


class Hits:
    """Every pattern's hits in one doc, by label. Phrase and token hits come from the pipeline;
    a label's regexes run the first time the label is asked for, and only those the first pass
    left as possible. Rules ask only for what they need, so most regexes never run."""

    def __init__(
        self, doc: Doc, text: str, matcher: ConductMatcher, first_pass: bool = True
    ) -> None:
        self.doc = doc
        self.text = text  # the doc's own text, which spaCy rebuilds from the tokens each time
        self._matcher = matcher
        self._offsets: dict[str, list[tuple[int, int]]] = doc.user_data.pop(SPAN_KEY)
        self._spans: dict[str, list[Span]] = {}  # a label's valid hits, once asked for
        self._pending = matcher.regex_candidates(text, first_pass)
        self.possible = frozenset(self._offsets) | frozenset(self._pending) | matcher.token_labels
        self._sentence_of: list[int] | None = None  # token index -> sentence number, on demand

    def get(self, label: str, default: Sequence[Span] = ()) -> list[Span]:
        if label not in self.possible:
            return list(default)
        spans = self._spans.get(label)
        if spans is None:
            doc, valid = self.doc, self._matcher.valid
            made = (
                Span(doc, start, end, label=label) for start, end in self._offsets.get(label, ())
            )
            spans = [span for span in made if valid(span)]
            if pending := self._pending.pop(label, None):
                spans += self._matcher.regex_hits(doc, self.text, pending)
            self._spans[label] = spans
        return spans or list(default)

    def cost(self, label: str) -> int:
        """Regexes still to run to know the label's hits: 0 once it may have some."""
        if label in self._spans or label in self._offsets:
            return 0
        return len(self._pending.get(label, ()))

    def same_sentence(self, a: Span, b: Span) -> bool:
        """Whether two spans share a sentence (a span across a boundary is in both)."""
        if self._sentence_of is None:
            if not self.doc.has_annotation("SENT_START"):
                SENTENCIZER(self.doc)
            numbers, current = [], 0
            for token in self.doc:
                if token.is_sent_start and token.i > 0:
                    current += 1
                numbers.append(current)
            self._sentence_of = numbers
        sentence = self._sentence_of
        return sentence[a.start] <= sentence[b.end - 1] and sentence[b.start] <= sentence[a.end - 1]


# Components of a statistical pipeline that named-entity recognition can depend on.
_ENTITY_COMPONENTS = ("tok2vec", "transformer", "ner")


def _language_pipeline(model: str | None) -> Language:
    """Blank English (a tokenizer, nothing downloaded) by default; when an installed pipeline is
    configured, that pipeline cut down to its entity recogniser, for `entities` patterns."""
    if model is None:
        return spacy.blank("en")
    try:
        nlp = spacy.load(model)
    except OSError:
        raise RulebookError(
            f"the spaCy pipeline {model!r} is not installed; install it or unset "
            "SOCIALAUDIT_SPACY_MODEL to score with blank English"
        ) from None
    if "ner" not in nlp.pipe_names:
        raise RulebookError(f"the spaCy pipeline {model!r} has no entity recogniser (ner)")
    nlp.select_pipes(enable=[name for name in nlp.pipe_names if name in _ENTITY_COMPONENTS])
    return nlp


class Scorer:
    """A rulebook compiled into a spaCy pipeline, ready to score any number of texts."""

    def __init__(self, rulebook: Rulebook, profile: str = "hcpc") -> None:
        self.rulebook = rulebook
        self.profile = profile
        self.nlp = _language_pipeline(rulebook.language_model)
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
        self._models = _Models(rulebook.folder, rulebook.signals, self.nlp.make_doc)
        self._gates = [_gate(rule) for rule in rulebook.rules]
        self._rules_by_label: dict[str, list[int]] = defaultdict(list)
        for index, rule in enumerate(rulebook.rules):
            for label in _match_labels(rule):
                self._rules_by_label[label].append(index)

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
        first_pass = self.matcher.has_first_pass or len(texts) >= FIRST_PASS_FROM
        for batch in _batched(zip(texts, docs, dates, profiles, strict=True), batch_size):
            hits = [Hits(doc, text, self.matcher, first_pass) for text, doc, _, _ in batch]
            may_fire = [list(self._rules_that_may_fire(doc_hits)) for doc_hits in hits]
            probabilities = self._model_probabilities(hits, may_fire)
            for doc_hits, rules, (_, _, when, profile), probs in zip(
                hits, may_fire, batch, probabilities, strict=True
            ):
                yield self._evaluate(doc_hits, rules, when, profile or self.profile, probs)

    # -- evaluation -----------------------------------------------------------------------------

    def _model_probabilities(
        self, hits: list[Hits], may_fire: list[list[Rule]]
    ) -> list[dict[str, float]]:
        """Run a shipped classifier only on posts where a rule that needs it could fire, once a
        post for all the labels asked of it (`conduct/<category>` is one label of `conduct`)."""
        needed: dict[str, set[int]] = defaultdict(set)  # classifier -> posts
        for i, rules in enumerate(may_fire):
            for rule in rules:
                for requirement in rule.requires:
                    if requirement.model:
                        needed[requirement.model.partition("/")[0]].add(i)
        result: list[dict[str, float]] = [{} for _ in hits]
        for classifier, posts in needed.items():
            indices = sorted(posts)
            scores = self._models.predict(classifier, [hits[i].text for i in indices])
            for i, labels in zip(indices, scores, strict=True):
                result[i].update(labels)
        return result

    def _rules_that_may_fire(self, hits: Hits) -> Iterator[Rule]:
        """Rules whose match and requirements (a model's aside) can all be met, in rulebook
        order. Checked first on the labels the doc may hold, which costs nothing, then on real
        hits, cheapest condition first, which runs only the regexes these rules need."""
        possible = hits.possible
        indexes = {i for label in possible for i in self._rules_by_label.get(label, ())}
        for index in sorted(indexes):
            conditions = self._gates[index]
            if not all(condition.may_hold(possible) for condition in conditions):
                continue
            ordered = sorted(conditions, key=lambda condition: condition.cost(hits))
            if all(condition.holds(hits) for condition in ordered):
                yield self.rulebook.rules[index]

    def _evaluate(
        self,
        hits: Hits,
        rules: list[Rule],
        when: date | None,
        profile: str,
        probs: dict[str, float],
    ) -> list[Finding]:
        findings: list[tuple[Rule, Finding]] = []
        for rule in rules:
            candidates = [span for label in _match_labels(rule) for span in hits.get(label)]
            finding = self._judge(rule, hits.doc, _dedupe(candidates), hits, when, profile, probs)
            if finding:
                findings.append((rule, finding))
        found = {rule.category for rule, _ in findings if not rule.fallback}
        return [f for rule, f in findings if not (rule.fallback and rule.category in found)]

    def _judge(
        self,
        rule: Rule,
        doc: Doc,
        candidates: list[Span],
        by_label: Hits,
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
            excerpt=excerpt(by_label.text, first.start_char, first.end_char),
            message=rule.message,
            guidance_action=rule.guidance_action,
            guidance=rule.guidance_text,
            standard=self.rulebook.standard_ref(rule, profile, when),
        )


def _requirements_hold(
    rule: Rule, match: Span, by_label: Hits, probs: dict[str, float]
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
                if _in_reach(s, match, rule, by_label)
            ]
            if not near:
                return None
            support += near
        elif requirement.kind == "weighted":
            total = 0.0
            for name, weight in requirement.weights.items():
                near = [
                    s for s in by_label.get(f"S|{name}", []) if _in_reach(s, match, rule, by_label)
                ]
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


def _match_labels(rule: Rule) -> list[str]:
    """The labels whose hits are the rule's candidate matches."""
    return [f"R|{rule.id}"] + [f"S|{p.value}" for p in rule.match if p.kind == "signal"]


@dataclass(frozen=True)
class _Condition:
    """Labels present anywhere in a doc, with weights summing to at least `at_least` (one label
    present, when unweighted)."""

    labels: tuple[str, ...]
    weights: tuple[float, ...] | None = None
    at_least: float = 1.0

    def holds(self, hits: Hits) -> bool:
        """Decided on the cheapest labels first: those already found, then those with the
        fewest regexes left to run."""
        possible = hits.possible
        present = [i for i, label in enumerate(self.labels) if label in possible]
        order = sorted(present, key=lambda i: hits.cost(self.labels[i]))
        total = 0.0
        for i in order:
            if hits.get(self.labels[i]):
                total += self.weights[i] if self.weights else self.at_least
                if total >= self.at_least:
                    return True
        return False

    def may_hold(self, possible: frozenset[str]) -> bool:
        if self.weights is None:
            return not possible.isdisjoint(self.labels)
        total = sum(
            w for label, w in zip(self.labels, self.weights, strict=True) if label in possible
        )
        return total >= self.at_least

    def cost(self, hits: Hits) -> int:
        costs = [hits.cost(label) for label in self.labels if label in hits.possible]
        return min(costs, default=0) if self.weights is None else sum(costs)


def _gate(rule: Rule) -> tuple[_Condition, ...]:
    """Necessary conditions for the rule to find anything: a match, and every requirement but a
    model's, each met somewhere in the doc (`_requirements_hold` then checks them near it)."""
    conditions = [_Condition(tuple(_match_labels(rule)))]
    for requirement in rule.requires:
        if requirement.kind == "any":
            conditions.append(_Condition(tuple(f"S|{name}" for name in requirement.signals)))
        elif requirement.kind == "weighted":
            names = tuple(requirement.weights)
            conditions.append(
                _Condition(
                    tuple(f"S|{name}" for name in names),
                    tuple(requirement.weights[name] for name in names),
                    requirement.at_least,
                )
            )
    return tuple(conditions)


def _suppressed(rule: Rule, match: Span, by_label: Hits) -> bool:
    """An exception holds near the match. `before` and `after` count only spans wholly outside
    the match, so a negation never suppresses a match that itself starts or ends with one;
    with `same_clause`, not across a clause break either ("Don't care, she can wait")."""
    for suppressor in rule.unless:
        for span in by_label.get(f"S|{suppressor.signal}", []):
            if span.start == match.start and span.end == match.end:
                continue  # a span never suppresses itself
            if suppressor.anywhere:
                return True
            if rule.scope == "sentence" and not by_label.same_sentence(span, match):
                continue
            gap: tuple[int, int] | None = None  # the tokens between, for `same_clause`
            if suppressor.before is not None:
                gap = (span.end, match.start)
                near = 0 <= match.start - span.end <= suppressor.before
            elif suppressor.after is not None:
                gap = (match.end, span.start)
                near = 0 <= span.start - match.end <= suppressor.after
            else:
                near = _near(span, match, rule.window)
            if near and not (suppressor.same_clause and gap and _clause_break(match.doc, *gap)):
                return True
    return False


# Tokens that end a clause: a negation or a frame before one of them belongs to another clause.
# Not "so": far more often an intensifier ("not so bad", "they are so lazy") than a conjunction.
CLAUSE_BREAKS = frozenset({",", ";", ":", ".", "!", "?", "—", "–", "-", "but", "though"})


def _clause_break(doc: Doc, start: int, end: int) -> bool:
    return any(token.lower_ in CLAUSE_BREAKS for token in doc[start:end])


def _in_reach(span: Span, match: Span, rule: Rule, by_label: Hits) -> bool:
    """Within the rule's window of the match and, for a sentence-scoped rule, its sentence."""
    if rule.scope == "sentence" and not by_label.same_sentence(span, match):
        return False
    return _near(span, match, rule.window)


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
    """Classifiers loaded only when a rule first needs one: `profanity` ships inside its wheel,
    `conduct` inside the rulebook folder. Each gives a post's probabilities keyed by the names
    rules use (`profanity`, `conduct/<category>`)."""

    def __init__(
        self, rules_folder: Path, signals: Mapping[str, Signal], make_doc: Callable[[str], Doc]
    ) -> None:
        self._folder = rules_folder
        self._signals = signals  # the conduct classifier's masks are read from them
        self._make_doc = make_doc  # and its posts are tokenized as the scorer's
        self._loaded: dict[str, Any] = {}

    def predict(self, classifier: str, texts: list[str]) -> list[dict[str, float]]:
        if classifier not in MODELS:
            raise RulebookError(f"unknown model {classifier!r}; known: {', '.join(MODELS)}")
        if classifier not in self._loaded:
            self._loaded[classifier] = _load_model(
                classifier, self._folder, self._signals, self._make_doc
            )
        model = self._loaded[classifier]
        if classifier == "profanity":
            return [{"profanity": float(p)} for p in model(texts)]
        conduct, masker = model
        return [
            {f"conduct/{label}": p for label, p in labels.items()}
            for labels in conduct_model.predict(conduct, masker, texts)
        ]


def _load_model(
    classifier: str,
    rules_folder: Path,
    signals: Mapping[str, Signal],
    make_doc: Callable[[str], Doc],
) -> Any:
    if classifier == "profanity":
        from profanity_check import predict_prob

        return predict_prob
    try:
        conduct = conduct_model.load(rules_folder, make_doc)
        return conduct, conduct_model.Masker.from_signals(signals)
    except (FileNotFoundError, OSError) as error:
        raise RulebookError(str(error)) from None
