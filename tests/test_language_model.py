"""The optional statistical pipeline: blank English by default, a model's entities when set.

No English model can be downloaded here, so the test trains a tiny entity recogniser (a real
statistical `ner` component) on a few sentences, saves it, and scores with it by path, exactly as
an installed `en_core_web_sm` would be used.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.training import Example

from transforms.scoring.engine import SPAN_KEY, Scorer
from transforms.scoring.rulebook import RulebookError, load_rulebook

NAMED = [
    ("Saw Margaret Okafor on the ward today", "Margaret Okafor"),
    ("Handover from Tomasz Nowak was great", "Tomasz Nowak"),
    ("Priya Raman rang about the rota", "Priya Raman"),
    ("Coffee with Declan Byrne after nights", "Declan Byrne"),
]
PLAIN = ["The ward was quiet today", "Handover was great", "Coffee after nights"]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    nlp = spacy.blank("en")
    nlp.add_pipe("ner").add_label("PERSON")
    examples = []
    for text, name in NAMED:
        start = text.index(name)
        entities = [(start, start + len(name), "PERSON")]
        examples.append(Example.from_dict(nlp.make_doc(text), {"entities": entities}))
    examples += [Example.from_dict(nlp.make_doc(text), {"entities": []}) for text in PLAIN]
    optimizer = nlp.initialize(lambda: examples)
    for _ in range(40):
        nlp.update(examples, sgd=optimizer, drop=0.0)
    path = tmp_path_factory.mktemp("model") / "tiny_person_ner"
    nlp.to_disk(path)
    return path


def _signal_hits(scorer: Scorer, text: str, signal: str) -> list[str]:
    doc = scorer.nlp(text)
    return [doc[start:end].text for start, end in doc.user_data[SPAN_KEY].get(f"S|{signal}", [])]


def test_default_pipeline_is_blank_english_and_finds_no_entities() -> None:
    scorer = Scorer(load_rulebook(language_model=None))
    assert scorer.rulebook.language_model is None
    assert scorer.nlp.pipe_names == ["socialaudit_matcher"]
    assert _signal_hits(scorer, NAMED[0][0], "person_entity") == []


def test_a_configured_model_adds_its_entities_as_signal_hits(tiny_model: Path) -> None:
    scorer = Scorer(load_rulebook(language_model=str(tiny_model)))
    assert scorer.nlp.pipe_names == ["ner", "socialaudit_matcher"]
    assert _signal_hits(scorer, NAMED[0][0], "person_entity") == ["Margaret Okafor"]
    assert _signal_hits(scorer, PLAIN[0], "person_entity") == []


def test_the_model_is_part_of_the_version_so_changing_it_rescores(tiny_model: Path) -> None:
    blank = load_rulebook(language_model=None)
    with_model = load_rulebook(language_model=str(tiny_model))
    assert with_model.version != blank.version
    assert with_model.version.startswith(blank.version)


def test_the_setting_chooses_the_model(tiny_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALAUDIT_SPACY_MODEL", str(tiny_model))
    assert Scorer.load().rulebook.language_model == str(tiny_model)


def test_a_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RulebookError, match="not installed"):
        Scorer(load_rulebook(language_model=str(tmp_path / "no_such_model")))


def test_findings_on_plain_posts_are_the_same_with_or_without_a_model(tiny_model: Path) -> None:
    """Entities only add evidence: posts without names score identically on both paths."""
    texts = [
        "Paracetamol: adults can take up to 4g in 24 hours.",
        "Absolutely shattered after four nights, this rota is killing me",
        "Vaccines cause autism, do your own research",
    ]
    blank = Scorer(load_rulebook(language_model=None))
    model = Scorer(load_rulebook(language_model=str(tiny_model)))
    assert any(blank.score(text) for text in texts)
    for text in texts:
        assert [f.rule_id for f in blank.score(text)] == [f.rule_id for f in model.score(text)]


def test_the_command_line_reports_a_missing_model_in_one_line(tmp_path: Path) -> None:
    env = os.environ | {"SOCIALAUDIT_SPACY_MODEL": str(tmp_path / "no_such_model")}
    result = subprocess.run(
        [sys.executable, "-m", "socialaudit.cli", "check", "hello"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2
    assert "rulebook error:" in result.stderr and "not installed" in result.stderr
    assert "Traceback" not in result.stderr
