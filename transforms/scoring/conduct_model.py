"""The conduct classifier: a small text classifier, as a spaCy pipeline, trained on the
labelled posts.

It ships inside the rulebook (`models/conduct/`), so it is versioned with the rules and loads
offline. Rules use it as extra evidence (`requires: - model: conduct/<category>`), never alone:
it learned the wording of posts reviewers flagged, which generalises further than hand-written
patterns but explains nothing by itself.

A bag of words learns whatever separates the labels, and in a few thousand posts that includes
who is mentioned: "lesbian" or "older people" turn up mostly in flagged posts. So the classifier
never sees identity: the words of the rulebook's group and identity signals, names, handles,
links and numbers are replaced by placeholders (`Masker`), in training and in scoring alike,
and it must learn what is said about people instead.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc

from transforms.scoring import linear_textcat  # registers the pipeline component
from transforms.scoring.rulebook import Signal
from transforms.scoring.triggers import TriggerIndex, has_group_reference

MODEL_DIR = Path("models") / "conduct"  # inside the rules folder
TRAINING_FILE = Path("eval") / "posts.jsonl"  # inside the rules folder
COMPONENT = linear_textcat.FACTORY
META_KEY = "socialaudit"  # the model meta's section written by `socialaudit rules train`

# The rulebook's signals whose matches the classifier never sees: people's protected
# characteristics and beliefs, and names (only the capitalised words of a match, since a name
# signal also matches its context). Names, handles, links and numbers become placeholders,
# which are fair evidence (a named patient, a link to a shop); identity is deleted outright,
# since even a placeholder for it would be learned as evidence of discrimination.
GROUP_SIGNALS = ("group_reference", "pp_group", "pp_group_more", "identity_term")
NAME_SIGNALS = ("title_surname", "named_person", "pp_full_name")
GROUP, NAME, USER, LINK, NUMBER = "", "xnamex", "xuserx", "xlinkx", "xnumx"

_LINK = re.compile(r"(?i)\b(?:https?://|www\.)\S+")
_HANDLE = re.compile(r"(?<!\w)@\w+")
_NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")
_CAPITALISED = re.compile(r"\b[A-Z][\w'’-]*")


@dataclass(frozen=True)
class Masker:
    """Deletes identity, replaces names, handles, links and numbers by placeholders, then
    lower-cases (the bag of words counts exact token strings)."""

    groups: tuple[re.Pattern[str], ...]
    names: tuple[re.Pattern[str], ...]
    fingerprint: str  # of the signal definitions used, recorded in the model's meta
    # A cheap first pass (as the engine's): most posts hold none of a signal's phrases and
    # regexes, so its regex need not scan them, and most of the rest only one of them.
    first_pass: _FirstPass | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_signals(cls, signals: Mapping[str, Signal]) -> Masker:
        missing = [n for n in (*GROUP_SIGNALS, *NAME_SIGNALS) if n not in signals]
        if missing:
            raise KeyError(f"the conduct classifier's masks need signals {missing}")
        definition = {n: [(p.kind, p.value) for p in signals[n].patterns] for n in signals}
        used = {n: definition[n] for n in (*GROUP_SIGNALS, *NAME_SIGNALS)}
        parts = [_parts(signals[n]) for n in (*GROUP_SIGNALS, *NAME_SIGNALS)]
        whole = tuple(re.compile("|".join(p)) for p in parts)
        return cls(
            groups=whole[: len(GROUP_SIGNALS)],
            names=whole[len(GROUP_SIGNALS) :],
            fingerprint=hashlib.sha256(json.dumps(used, sort_keys=True).encode()).hexdigest(),
            first_pass=_FirstPass(whole, parts),
        )

    def __call__(self, text: str) -> str:
        patterns = self.first_pass.narrowed(text) if self.first_pass else self.groups + self.names
        groups, names = patterns[: len(self.groups)], patterns[len(self.groups) :]
        spans: list[tuple[int, int, str]] = []
        spans += [(*m.span(), LINK) for m in _LINK.finditer(text)]
        spans += [(*m.span(), USER) for m in _HANDLE.finditer(text)]
        for pattern in filter(None, groups):
            spans += [(*m.span(), GROUP) for m in pattern.finditer(text) if m.end() > m.start()]
        for pattern in filter(None, names):
            for match in pattern.finditer(text):
                spans += [
                    (match.start() + w.start(), match.start() + w.end(), NAME)
                    for w in _CAPITALISED.finditer(match.group())
                ]
        spans += [(*m.span(), NUMBER) for m in _NUMBER.finditer(text)]
        out, at = [], 0
        for start, end, placeholder in sorted(spans, key=lambda s: (s[0], -s[1])):
            if start < at:
                continue  # inside a span already replaced
            out += [text[at:start].lower(), f" {placeholder} "]
            at = end
        out.append(text[at:].lower())
        return "".join(out)


class _FirstPass:
    """Which masking regexes can match a text, and with which of their alternatives. A regex
    `A|B|C` matches exactly as `A` does wherever `B` and `C` cannot match at all, so a text is
    scanned with the one alternative that may match, with none when none may, and with the
    whole regex otherwise: the masked text is the same as if every regex had run. The index
    (about 0.15 s to build) is built only once enough texts were masked to pay for it, so
    `check` on one post never builds it."""

    BUILT_AFTER = 500  # texts

    def __init__(self, whole: Sequence[re.Pattern[str]], parts: Sequence[list[str]]) -> None:
        self._whole = tuple(whole)
        self._parts = parts
        self._seen = 0
        self._alone: list[re.Pattern[str]] = []  # every regex's alternatives, in turn
        self._owner: list[int] = []  # the regex each alternative belongs to
        self._index: TriggerIndex | None = None

    @property
    def built(self) -> bool:
        return self._index is not None

    def narrowed(self, text: str) -> Sequence[re.Pattern[str] | None]:
        """For each regex, the one to run over the text; None when it cannot match."""
        if self._index is None:
            self._seen += 1
            if self._seen <= self.BUILT_AFTER:
                return self._whole
            self._build()
        possible: dict[int, list[int]] = {}
        for index in self._index.candidates(text):  # type: ignore[union-attr]
            possible.setdefault(self._owner[index], []).append(index)
        return [
            None
            if number not in possible
            else self._alone[possible[number][0]]
            if len(possible[number]) == 1
            else regex
            for number, regex in enumerate(self._whole)
        ]

    def _build(self) -> None:
        for number, (regex, sources) in enumerate(zip(self._whole, self._parts, strict=True)):
            if len(sources) > 1 and not has_group_reference(regex):
                alone = [re.compile(source) for source in sources]
            else:  # one alternative, or group numbers that would change if split
                alone = [regex]
            self._alone += alone
            self._owner += [number] * len(alone)
        self._index = TriggerIndex(self._alone)


def _parts(signal: Signal) -> list[str]:
    """A signal's phrases (case-insensitive, whole words) and regexes as alternatives of one
    regex; token and entity patterns are left out (none of the masking signals uses them)."""
    parts = []
    for pattern in signal.patterns:
        if pattern.kind == "phrases":
            words = sorted({str(p) for p in pattern.value}, key=len, reverse=True)
            parts.append(r"(?i:(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w))")
        elif pattern.kind == "regex":
            parts.append(f"(?:{_scoped(pattern.value)})")
    return parts


def _scoped(regex: str) -> str:
    """A regex whose global flags ("(?i)" at its start) are scoped to itself, so it can be
    joined with others."""
    found = re.match(r"\(\?([aiLmsux]+)\)", regex)
    return f"(?{found.group(1)}:{regex[found.end() :]})" if found else regex


def training_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class ConductModel:
    """The trained classifier, the tokenizer its posts go through, and what it was trained on."""

    classifier: linear_textcat.LinearTextCat
    make_doc: Callable[[str], Doc]
    meta: dict[str, Any]  # `socialaudit rules train`'s record: posts, hashes, architecture

    @classmethod
    def of(cls, nlp: Language) -> ConductModel:
        """A pipeline just trained (`training.fit`)."""
        return cls(nlp.get_pipe(COMPONENT), nlp.make_doc, nlp.meta.get(META_KEY, {}))


def load(rules_folder: Path, make_doc: Callable[[str], Doc] | None = None) -> ConductModel:
    """The shipped model. Only its component is read, not the whole spaCy pipeline it is saved
    as (0.05 s instead of 0.27, most of a cold `check`'s classifier): posts are tokenized by
    `make_doc`, the scorer's own English tokenizer, which splits as the saved one does."""
    path = rules_folder / MODEL_DIR
    if not (path / "meta.json").is_file():
        raise FileNotFoundError(f"no conduct model in {path}; run `socialaudit rules train`")
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    classifier = linear_textcat.LinearTextCat(COMPONENT).from_disk(path / COMPONENT)
    return ConductModel(classifier, make_doc or spacy.blank("en").make_doc, meta.get(META_KEY, {}))


def predict(model: ConductModel, masker: Masker, texts: Sequence[str]) -> list[dict[str, float]]:
    """Each text's probability for every label."""
    classifier = model.classifier
    rows = (classifier.probabilities(model.make_doc(masker(text))) for text in texts)
    return [dict(zip(classifier.labels, map(float, row), strict=True)) for row in rows]
