"""The rulebook's guardrail: no rule may flag who someone is or what they believe.

The check is behavioural rather than a word list: every rule is run against neutral statements
of identity, belief and political view (rules/guardrail.yaml). A rule that flags any of them
targets a protected characteristic, a religious belief or a political view as such, and is
refused, together with structural checks every rule must pass.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from socialaudit.settings import rules_dir
from transforms.scoring.engine import Scorer


def lint_rulebook(rules_folder: Path | None = None) -> list[str]:
    """Every problem found; an empty list means the rulebook may be adopted."""
    folder = rules_folder or rules_dir()
    scorer = Scorer.load(folder)
    problems = []
    for rule in scorer.rulebook.rules:
        if not rule.examples_flag or not rule.examples_pass:
            problems.append(f"{rule.id}: needs examples that must and must not be flagged")
        if not rule.message or not rule.guidance_text:
            problems.append(f"{rule.id}: needs a message and guidance")
        if not rule.standards:
            problems.append(f"{rule.id}: relates to no standard")
    probes = yaml.safe_load((folder / "guardrail.yaml").read_text(encoding="utf-8"))["probes"]
    for kind, statements in probes.items():
        for statement, findings in zip(statements, scorer.score_many(statements), strict=True):
            for finding in findings:
                problems.append(
                    f"{finding.rule_id}: flags a neutral statement of {kind.replace('_', ' ')} "
                    f"({statement!r}); rules must judge conduct, not identity or belief"
                )
    return problems
