"""The conduct classifier: a small spaCy text classifier trained on the labelled posts.

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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language

from transforms.scoring.rulebook import Signal

MODEL_DIR = Path("models") / "conduct"  # inside the rules folder
TRAINING_FILE = Path("eval") / "posts.jsonl"  # inside the rules folder
COMPONENT = "textcat_multilabel"
META_KEY = "socialaudit"  # the model meta's section written by `socialaudit rules train`

# The rulebook's signals whose matches the classifier never sees: people's protected
# characteristics and beliefs, and names (only the capitalised words of a match, since a name
# signal also matches its context). Names, handles, links and numbers become placeholders,
# which are fair evidence (a named patient, a link to a shop); identity is deleted outright,
# since even a placeholder for it would be learned as evidence of discrimination.
GROUP_SIGNALS = ("group_reference", "pp_group", "identity_term")
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

    @classmethod
    def from_signals(cls, signals: Mapping[str, Signal]) -> Masker:
        missing = [n for n in (*GROUP_SIGNALS, *NAME_SIGNALS) if n not in signals]
        if missing:
            raise KeyError(f"the conduct classifier's masks need signals {missing}")
        definition = {n: [(p.kind, p.value) for p in signals[n].patterns] for n in signals}
        used = {n: definition[n] for n in (*GROUP_SIGNALS, *NAME_SIGNALS)}
        return cls(
            groups=tuple(_compiled(signals[n]) for n in GROUP_SIGNALS),
            names=tuple(_compiled(signals[n]) for n in NAME_SIGNALS),
            fingerprint=hashlib.sha256(json.dumps(used, sort_keys=True).encode()).hexdigest(),
        )

    def __call__(self, text: str) -> str:
        spans: list[tuple[int, int, str]] = []
        spans += [(*m.span(), LINK) for m in _LINK.finditer(text)]
        spans += [(*m.span(), USER) for m in _HANDLE.finditer(text)]
        for pattern in self.groups:
            spans += [(*m.span(), GROUP) for m in pattern.finditer(text) if m.end() > m.start()]
        for pattern in self.names:
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


def _compiled(signal: Signal) -> re.Pattern[str]:
    """One regex for a signal's phrases (case-insensitive, whole words) and regexes; token and
    entity patterns are left out (none of the masking signals uses them)."""
    parts = []
    for pattern in signal.patterns:
        if pattern.kind == "phrases":
            words = sorted({str(p) for p in pattern.value}, key=len, reverse=True)
            parts.append(r"(?i:(?<!\w)(?:" + "|".join(map(re.escape, words)) + r")(?!\w))")
        elif pattern.kind == "regex":
            parts.append(f"(?:{_scoped(pattern.value)})")
    return re.compile("|".join(parts))


def _scoped(regex: str) -> str:
    """A regex whose global flags ("(?i)" at its start) are scoped to itself, so it can be
    joined with others."""
    found = re.match(r"\(\?([aiLmsux]+)\)", regex)
    return f"(?{found.group(1)}:{regex[found.end() :]})" if found else regex


def training_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load(rules_folder: Path) -> Language:
    path = rules_folder / MODEL_DIR
    if not (path / "meta.json").is_file():
        raise FileNotFoundError(f"no conduct model in {path}; run `socialaudit rules train`")
    return spacy.load(path)


def predict(
    nlp: Language, masker: Masker, texts: Sequence[str], batch_size: int = 256
) -> list[dict[str, float]]:
    """Each text's probability for every label."""
    docs = nlp.pipe((masker(t) for t in texts), batch_size=batch_size)
    return [{label: float(p) for label, p in doc.cats.items()} for doc in docs]
