"""Run the examples every rule carries: the rulebook's own tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from transforms.scoring.engine import Scorer


@dataclass
class ExampleOutcome:
    passed: int = 0
    failures: list[str] = field(default_factory=list)


def run_examples(rules_folder: Path | None = None) -> ExampleOutcome:
    scorer = Scorer.load(rules_folder)
    outcome = ExampleOutcome()
    for rule in scorer.rulebook.rules:
        cases = [(t, True) for t in rule.examples_flag] + [(t, False) for t in rule.examples_pass]
        results = scorer.score_many([t for t, _ in cases])
        for (text, expected), findings in zip(cases, results, strict=True):
            flagged = any(f.rule_id == rule.id for f in findings)
            if flagged == expected:
                outcome.passed += 1
            else:
                verdict = "missed" if expected else "wrongly flagged"
                outcome.failures.append(f"{rule.id} {verdict}: {text!r}")
    return outcome
