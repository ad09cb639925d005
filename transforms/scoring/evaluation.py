"""Measure the rulebook against a labelled set: precision, recall and F1 per category and rule.

Labels are per post and per category. A post's predicted categories are those of its findings;
a rule's precision counts its findings whose category the post is labelled with.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from transforms.scoring.engine import Scorer


@dataclass(frozen=True)
class Scores:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Evaluation:
    posts: int
    micro: Scores
    by_category: dict[str, Scores]
    by_rule: dict[str, Scores]  # fn is not defined per rule and is left at 0
    false_positives: list[tuple[str, str, str]] = field(default_factory=list)  # id, category, rule
    false_negatives: list[tuple[str, str]] = field(default_factory=list)  # id, category


def load_labelled(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


def evaluate(scorer: Scorer, items: list[dict[str, object]]) -> Evaluation:
    categories = list(scorer.rulebook.categories)
    counts = {c: Counter() for c in categories}
    rule_counts: dict[str, Counter[str]] = {r.id: Counter() for r in scorer.rulebook.rules}
    evaluation = Evaluation(len(items), Scores(0, 0, 0), {}, {})
    texts = [str(item["text"]) for item in items]
    for item, findings in zip(items, scorer.score_many(texts), strict=True):
        truth = set(item.get("categories") or [])  # type: ignore[arg-type]
        predicted = {f.category for f in findings}
        for category in categories:
            if category in predicted and category in truth:
                counts[category]["tp"] += 1
            elif category in predicted:
                counts[category]["fp"] += 1
            elif category in truth:
                counts[category]["fn"] += 1
                evaluation.false_negatives.append((str(item["id"]), category))
        for finding in findings:
            hit = finding.category in truth
            rule_counts[finding.rule_id]["tp" if hit else "fp"] += 1
            if not hit:
                evaluation.false_positives.append(
                    (str(item["id"]), finding.category, finding.rule_id)
                )
    evaluation.by_category = {c: Scores(n["tp"], n["fp"], n["fn"]) for c, n in counts.items()}
    evaluation.by_rule = {r: Scores(n["tp"], n["fp"], 0) for r, n in rule_counts.items()}
    evaluation.micro = Scores(
        sum(s.tp for s in evaluation.by_category.values()),
        sum(s.fp for s in evaluation.by_category.values()),
        sum(s.fn for s in evaluation.by_category.values()),
    )
    return evaluation
