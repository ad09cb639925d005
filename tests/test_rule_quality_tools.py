"""The rulebook's tooling: the guardrail linter and the evaluation command."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from transforms.scoring.engine import Scorer
from transforms.scoring.evaluation import evaluate, load_labelled
from transforms.scoring.lint import lint_rulebook

RULEBOOK = Path(__file__).parent / "fixtures" / "rulebook_min"

BELIEF_RULE = """
  - id: T-BAD
    title: Mentions a religion
    category: patient_dignity
    severity: low
    standards: {hcpc-2024: ["1.1"]}
    message: Screens belief.
    guidance: {action: be_aware, text: None.}
    match:
      - phrases: [muslim, christian, church]
    examples:
      flag: ["I am a Muslim"]
      pass: ["hello"]
"""


def test_fixture_rulebook_passes_lint() -> None:
    assert lint_rulebook(RULEBOOK) == []


def test_rule_targeting_religious_belief_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(RULEBOOK, copy)
    rules = copy / "categories" / "test.yaml"
    rules.write_text(rules.read_text() + BELIEF_RULE)
    problems = lint_rulebook(copy)
    assert problems and all(
        p.startswith("T-BAD: flags a neutral statement of religious belief") for p in problems
    )


def test_evaluation_counts_per_category_and_rule(tmp_path: Path) -> None:
    labelled = tmp_path / "eval.jsonl"
    rows = [
        {"id": "a", "text": "pt in bed 4 is 84yo", "categories": ["confidentiality"]},
        {"id": "b", "text": "that patient is a bed blocker", "categories": []},
        {"id": "c", "text": "pt in bed 5 aged 90", "categories": ["confidentiality"]},
        {"id": "d", "text": "a lovely shift", "categories": []},
    ]
    labelled.write_text("\n".join(json.dumps(r) for r in rows))
    result = evaluate(Scorer.load(RULEBOOK), load_labelled(labelled))
    conf = result.by_category["confidentiality"]
    assert (conf.tp, conf.fp, conf.fn) == (1, 0, 1)
    assert result.by_rule["T-DIGN"].fp == 1
    assert result.false_positives == [("b", "patient_dignity", "T-DIGN")]
    assert result.false_negatives == [("c", "confidentiality")]
    assert (result.micro.precision, result.micro.recall) == (0.5, 0.5)


def test_rule_without_examples_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(RULEBOOK, copy)
    rules = copy / "categories" / "test.yaml"
    rules.write_text(rules.read_text().replace('      pass: ["what a lovely day on the ward"]', ""))
    assert lint_rulebook(copy) == ["T-LANG: needs examples that must and must not be flagged"]
