"""Train the conduct classifier (`socialaudit rules train`) on the labelled development posts.

A bag of words (spaCy's TextCatBOW, unigrams) with one independent label per category: it trains
in seconds, needs no word vectors (nothing is downloaded) and stays small. Chosen by 5-fold
cross-validation on the development posts (mean average precision per category): unigrams 0.64,
unigrams and bigrams 0.59, the CNN ensemble 0.56 at five times the cost; on 1,619 posts with
identity masked (conduct_model.Masker), unigrams 0.727 (30 epochs; 15 epochs 0.724), unigrams and
bigrams 0.690. The seed and the order of training are fixed, so the same posts always give the
same model.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.training import Example
from spacy.util import fix_random_seed, minibatch

from transforms.scoring.conduct_model import (
    COMPONENT,
    META_KEY,
    MODEL_DIR,
    TRAINING_FILE,
    Masker,
    training_sha256,
)

SEED = 0
EPOCHS = 30
DROPOUT = 0.2
BATCH_SIZE = 16
# Hashed n-gram slots per label: 2**15 keeps the model near a megabyte per ten labels with few
# collisions among the twenty-odd thousand distinct n-grams of a few thousand posts.
BOW_LENGTH = 2**15


def architecture(ngram_size: int = 1) -> dict[str, Any]:
    return {
        "@architectures": "spacy.TextCatBOW.v3",
        "exclusive_classes": False,
        "ngram_size": ngram_size,
        "no_output_layer": False,
        "length": BOW_LENGTH,
    }


def fit(
    items: Sequence[dict[str, Any]],
    categories: Sequence[str],
    masker: Masker,
    seed: int = SEED,
    epochs: int = EPOCHS,
    model: dict[str, Any] | None = None,
) -> Language:
    """A pipeline trained on labelled posts ({text, categories}), one label per category, each
    post masked as it will be when scored."""
    fix_random_seed(seed)
    nlp = spacy.blank("en")
    textcat = nlp.add_pipe(COMPONENT, config={"model": model or architecture()})
    for category in categories:
        textcat.add_label(category)
    examples = [
        Example.from_dict(
            nlp.make_doc(masker(str(item["text"]))),
            {"cats": {c: float(c in (item.get("categories") or ())) for c in categories}},
        )
        for item in items
    ]
    optimizer = nlp.initialize(lambda: examples)
    order = random.Random(seed)
    for _ in range(epochs):
        order.shuffle(examples)
        for batch in minibatch(examples, size=BATCH_SIZE):
            nlp.update(batch, sgd=optimizer, drop=DROPOUT)
    return nlp


def save(nlp: Language, rules_folder: Path, training: dict[str, Any]) -> Path:
    """Write the pipeline into the rulebook, its meta recording what it was trained on."""
    nlp.meta["name"] = "socialaudit_conduct"
    nlp.meta["version"] = "1.0.0"
    nlp.meta[META_KEY] = training
    out = rules_folder / MODEL_DIR
    out.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out)
    return out


def train(
    rules_folder: Path, categories: Sequence[str], masker: Masker
) -> tuple[Path, dict[str, Any]]:
    """Train on the rulebook's labelled posts and save the model beside the rules."""
    import json

    path = rules_folder / TRAINING_FILE
    with path.open(encoding="utf-8") as file:
        items = [json.loads(line) for line in file if line.strip()]
    nlp = fit(items, categories, masker)
    training = {
        "training_file": TRAINING_FILE.as_posix(),
        "training_sha256": training_sha256(path),
        "mask_sha256": masker.fingerprint,
        "posts": len(items),
        "seed": SEED,
        "epochs": EPOCHS,
        "architecture": "spacy.TextCatBOW.v3, unigrams",
    }
    return save(nlp, rules_folder, training), training
