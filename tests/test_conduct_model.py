"""The conduct classifier shipped in the rulebook, and the rules that require it."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from socialaudit.settings import rules_dir
from transforms.scoring import conduct_model
from transforms.scoring.engine import Scorer
from transforms.scoring.linear_textcat import WEIGHTS_FILE
from transforms.scoring.rulebook import RulebookError, load_rulebook
from transforms.scoring.training import fit, save

# Written for this test, not taken from the evaluation files: a clear case and a hard negative.
PAIRS = {
    "substance_misuse": (
        "Still buzzing from last night, couple of lines and I was flying through the shift",
        "Off to a harm reduction training session about drugs at festivals",
    ),
    "misinformation": (
        "Natural immunity is far better than any vaccine, your body knows what to do",
        "Flu jabs are available at the pharmacy this week, no appointment needed",
    ),
    "conflict_of_interest": (
        "Use my code GLOWNURSE for 20% off these collagen gummies, link in bio",
        "Declaration of interest: I sit on an advisory board for a wound care company",
    ),
    "clinical_advice": (
        "@Kerry88 sounds like shingles hun, get some aciclovir and take 800mg five times a day",
        "Sorry to hear you're unwell, I can't advise on here, please call 111",
    ),
}
# Neutral statements of identity and belief beyond the guardrail's probes, written for this test:
# no model-backed rule may flag them (the thresholds in model_backed.yaml keep a margin above them).
NEUTRAL = [
    "My husband and I are both Sikh and we run the hospital choir.",
    "Our new consultant is a Nigerian woman and she is brilliant.",
    "Two of our healthcare assistants are Filipino and they taught me so much.",
    "Elderly patients make up most of our admissions in winter.",
    "I'm a wheelchair user and a qualified occupational therapist.",
    "Our ward manager came out as bisexual at the Pride event last year.",
    "I'm an immigrant from Ghana and I've been a midwife here for ten years.",
    "Ramadan starts next week so I'll be working nights while fasting.",
    "I voted Reform and I'm not ashamed of it.",
    "As a trans woman I'm grateful to my team for their support.",
    "Polish nurses have been part of our team for years and we're lucky to have them.",
    "Many older people live alone and struggle to get to appointments.",
    "Muslim colleagues, our prayer room on level 2 is open again.",
    "Gay and lesbian patients deserve care free from judgement.",
    "I'm a Catholic and I go to mass before my Sunday shift.",
]
CLAIM_POST = "Natural immunity is far better than any vaccine, your body knows what to do"
NO_SIGNAL_POST = "Flew through the whole weekend, what a buzz"


@pytest.fixture(scope="module")
def model():
    return conduct_model.load(rules_dir())


@pytest.fixture(scope="module")
def masker() -> conduct_model.Masker:
    return conduct_model.Masker.from_signals(load_rulebook().signals)


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer.load()


def test_the_model_loads_from_the_repository_with_one_label_per_category(model) -> None:
    assert sorted(model.classifier.labels) == sorted(load_rulebook().categories)


@pytest.mark.parametrize("category", sorted(PAIRS))
def test_a_clear_case_scores_above_its_hard_negative(model, masker, category: str) -> None:
    clear, hard_negative = conduct_model.predict(model, masker, list(PAIRS[category]))
    assert clear[category] > hard_negative[category]


def test_the_model_was_trained_on_the_current_labelled_posts_and_masks(masker) -> None:
    """Fails when eval/posts.jsonl or a masking signal changes without `socialaudit rules
    train`."""
    meta = json.loads((rules_dir() / conduct_model.MODEL_DIR / "meta.json").read_text())
    trained = meta[conduct_model.META_KEY]
    current = conduct_model.training_sha256(rules_dir() / conduct_model.TRAINING_FILE)
    assert trained["training_sha256"] == current, "eval/posts.jsonl changed: retrain"
    assert trained["mask_sha256"] == masker.fingerprint, "a masking signal changed: retrain"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("@Sam_1 Take 20MG, see https://x.co/a", "xuserx take xnumx mg, see xlinkx"),
        ("Muslims breed like rabbits", "breed like rabbits"),
        ("I'm disabled and proud", "i'm and proud"),
        ("Mrs Patel in bed 4 is a useless cow", "xnamex xnamex in bed xnumx is a useless cow"),
    ],
)
def test_the_classifier_never_sees_identity_names_handles_links_or_numbers(
    masker, text: str, masked: str
) -> None:
    assert " ".join(masker(text).split()) == masked


def test_the_first_pass_never_changes_the_masked_text(masker) -> None:
    """Posts that hold one masking alternative, several, or none mask as if every regex ran."""
    texts = [
        *NEUTRAL,
        *(text for pair in PAIRS.values() for text in pair),
        "Muslims and Polish nurses, Mrs Patel in bed 4, called Dave, pregnant staff over 50",
        "Those people who come over here, a gay nurse and an older woman of childbearing age",
        "No identity here at all, just a long shift and a cold tea",
    ]
    every_regex = dataclasses.replace(masker, first_pass=None)
    assert masker.first_pass is not None
    for _ in range(masker.first_pass.BUILT_AFTER):  # built once enough texts were masked
        masker("warming up")
    assert [masker(t) for t in texts] == [every_regex(t) for t in texts]
    assert masker.first_pass.built
    assert masker(texts[-3]) != texts[-3].lower()  # the texts do hold masked words


def test_neutral_statements_of_identity_look_alike_to_the_classifier(model, masker) -> None:
    """Written for this test, beyond the guardrail's probes: who is named changes nothing."""
    texts = [
        f"Our new consultant is {who} and she is brilliant"
        for who in ("Nigerian", "gay", "Catholic", "disabled", "pregnant", "Jewish")
    ]
    scores = conduct_model.predict(model, masker, texts)
    assert all(s == scores[0] for s in scores)


@pytest.fixture()
def rules_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(rules_dir(), folder, ignore=shutil.ignore_patterns("eval"))
    return folder


def test_retraining_changes_the_rulebook_version(rules_copy: Path) -> None:
    before = load_rulebook(rules_copy).version
    weights = rules_copy / conduct_model.MODEL_DIR / conduct_model.COMPONENT / WEIGHTS_FILE
    weights.write_bytes(weights.read_bytes() + b"\0")
    assert load_rulebook(rules_copy).version != before


def test_a_rule_may_not_require_an_unknown_conduct_label(rules_copy: Path) -> None:
    path = rules_copy / "categories" / "model_backed.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["rules"][0]["requires"][0]["model"] = "conduct/rudeness"
    path.write_text(yaml.safe_dump(spec))
    with pytest.raises(RulebookError, match="unknown model"):
        load_rulebook(rules_copy)


class _FixedModel:
    """Stands in for the classifier: a fixed probability for every label, calls counted."""

    def __init__(self, probability: float) -> None:
        self.probability = probability
        self.calls: list[list[str]] = []

    def __call__(self, classifier: str, texts: list[str]) -> list[dict[str, float]]:
        self.calls.append(texts)
        categories = load_rulebook().categories
        return [{f"conduct/{c}": self.probability for c in categories} for _ in texts]


def _fired(scorer: Scorer, text: str, fake: _FixedModel, monkeypatch) -> set[str]:
    monkeypatch.setattr(scorer._models, "predict", fake)
    return {finding.rule_id for finding in scorer.score(text)}


def test_the_model_backed_rule_fires_with_its_signal_above_its_threshold(
    scorer: Scorer, monkeypatch
) -> None:
    assert "MISI-090" in _fired(scorer, CLAIM_POST, _FixedModel(0.95), monkeypatch)


def test_the_model_backed_rule_needs_its_threshold(scorer: Scorer, monkeypatch) -> None:
    assert "MISI-090" not in _fired(scorer, CLAIM_POST, _FixedModel(0.05), monkeypatch)


def test_the_model_is_not_run_without_the_rules_signal(scorer: Scorer, monkeypatch) -> None:
    fake = _FixedModel(0.95)
    assert "MISI-090" not in _fired(scorer, NO_SIGNAL_POST, fake, monkeypatch)
    assert fake.calls == []


def test_the_model_runs_once_per_post_for_all_its_labels(scorer: Scorer, monkeypatch) -> None:
    fake = _FixedModel(0.95)
    monkeypatch.setattr(scorer._models, "predict", fake)
    texts = [CLAIM_POST, "Pts in bay 2 are a nightmare tonight", CLAIM_POST]
    list(scorer.score_many(texts))
    assert len(fake.calls) == 1 and len(fake.calls[0]) == 3


def test_no_model_backed_rule_flags_a_neutral_statement_of_identity(scorer: Scorer) -> None:
    backed = {r.id for r in scorer.rulebook.rules if r.source.endswith("model_backed.yaml")}
    flagged = [
        (text, finding.rule_id)
        for text, findings in zip(NEUTRAL, scorer.score_many(NEUTRAL), strict=True)
        for finding in findings
        if finding.rule_id in backed
    ]
    assert flagged == []


def test_a_smoke_training_writes_a_loadable_model_with_its_training_hash(
    tmp_path: Path, masker
) -> None:
    posts = [
        {"text": "couple of lines before my shift", "categories": ["substance_misuse"]},
        {"text": "off to the gym after my shift", "categories": []},
        {"text": "vaccines are poison, never get the jab", "categories": ["misinformation"]},
        {"text": "flu jabs at the pharmacy this week", "categories": []},
    ]
    categories = ["substance_misuse", "misinformation"]
    trained = fit(posts, categories, masker)
    save(trained, tmp_path, {"training_sha256": "abc"})
    model = conduct_model.load(tmp_path)
    assert model.meta == {"training_sha256": "abc"}
    texts = ["a line before work", "the jab is poison", "gym after work"]
    predicted = conduct_model.predict(model, masker, texts)
    assert set(predicted[0]) == set(categories)
    just_trained = conduct_model.ConductModel.of(trained)
    assert predicted == conduct_model.predict(just_trained, masker, texts)  # the same once loaded
    assert predicted[1]["misinformation"] > predicted[2]["misinformation"]


def test_a_model_whose_weights_hold_pickled_objects_is_refused(tmp_path: Path, masker) -> None:
    """Loading a rulebook must never run code: arrays are read with pickles disallowed."""
    posts = [
        {"text": "couple of lines before my shift", "categories": ["substance_misuse"]},
        {"text": "off to the gym after my shift", "categories": []},
    ]
    save(fit(posts, ["substance_misuse"], masker), tmp_path, {})
    weights = tmp_path / conduct_model.MODEL_DIR / conduct_model.COMPONENT / WEIGHTS_FILE
    with np.load(weights) as arrays:
        stored = dict(arrays)
    stored["bias"] = np.array([{"not": "a number"}], dtype=object)
    np.savez(weights, **stored)
    with pytest.raises(ValueError, match="pickle"):
        conduct_model.load(tmp_path)


HAND_WRITTEN_CLAIM = "Vaccines cause autism and the NHS is hiding it, don't let them jab your kids"


def test_a_fallback_rule_is_not_reported_beside_a_rule_of_its_category(
    scorer: Scorer, rules_copy: Path, monkeypatch
) -> None:
    """MISI-090 would fire on a claim a hand-written rule already explains; as a fallback it is
    left out, and reported again once it is no fallback."""
    fired = _fired(scorer, HAND_WRITTEN_CLAIM, _FixedModel(0.95), monkeypatch)
    assert "MISI-090" not in fired
    assert any(rule.startswith("MISI-") for rule in fired)
    path = rules_copy / "categories" / "model_backed.yaml"
    spec = yaml.safe_load(path.read_text())
    for rule in spec["rules"]:
        rule["fallback"] = False
    path.write_text(yaml.safe_dump(spec))
    fired = _fired(Scorer.load(rules_copy), HAND_WRITTEN_CLAIM, _FixedModel(0.95), monkeypatch)
    assert "MISI-090" in fired


def test_remembered_words_score_as_when_first_seen(masker) -> None:
    """Each word's character n-grams are looked up once per process; a post scored from those
    remembered columns gets exactly the probabilities it got from the n-grams themselves."""
    model = conduct_model.load(rules_dir())
    texts = [text for pair in PAIRS.values() for text in pair] + NEUTRAL
    first = conduct_model.predict(model, masker, texts)
    assert model.classifier._chars_of  # the words are now remembered
    assert conduct_model.predict(model, masker, texts) == first
    assert conduct_model.predict(model, masker, list(reversed(texts))) == first[::-1]
