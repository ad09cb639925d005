"""The conduct classifier: a small spaCy text classifier trained on the labelled posts.

It ships inside the rulebook (`models/conduct/`), so it is versioned with the rules and loads
offline. Rules use it as extra evidence (`requires: - model: conduct/<category>`), never alone:
it learned the wording of posts reviewers flagged, which generalises further than hand-written
patterns but explains nothing by itself.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import spacy
from spacy.language import Language

MODEL_DIR = Path("models") / "conduct"  # inside the rules folder
TRAINING_FILE = Path("eval") / "posts.jsonl"  # inside the rules folder
COMPONENT = "textcat_multilabel"
META_KEY = "socialaudit"  # the model meta's section written by `socialaudit rules train`

_HANDLE = re.compile(r"@\w+")
_DIGITS = re.compile(r"\d")


def model_text(text: str) -> str:
    """What the classifier reads: lower case (the bag of words counts exact token strings),
    handles and digits folded, so neither a name nor a number is learned as evidence."""
    return _DIGITS.sub("0", _HANDLE.sub("@user", text.lower()))


def training_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load(rules_folder: Path) -> Language:
    path = rules_folder / MODEL_DIR
    if not (path / "meta.json").is_file():
        raise FileNotFoundError(f"no conduct model in {path}; run `socialaudit rules train`")
    return spacy.load(path)


def predict(nlp: Language, texts: list[str], batch_size: int = 256) -> list[dict[str, float]]:
    """Each text's probability for every label."""
    docs = nlp.pipe((model_text(t) for t in texts), batch_size=batch_size)
    return [{label: float(p) for label, p in doc.cats.items()} for doc in docs]
