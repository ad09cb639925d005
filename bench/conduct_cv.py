"""Cross-validate the conduct classifier: what do the model-backed rules add to the rules?

    python -m bench.conduct_cv [--folds 5] [--choose precision|f1] [--fresh POSTS.jsonl]

For each fold of rules/eval/posts.jsonl (stratified by each post's first category), the
classifier is trained on the other folds, and the held-out fold is scored by the real engine
twice: (a) the rulebook without rules/categories/model_backed.yaml, (b) with it, its thresholds
chosen inside the training folds only (from an inner cross-validation, since a model's scores on
its own training posts say nothing). A category whose model-backed rule does not pay in the
training folds is left out of (b) for that fold. The rules were tuned on every post, so (a) is
optimistic; (b) - (a) is the estimate of what the classifier adds. Finally, the thresholds the
shipped rulebook should use are chosen the same way on every post.

Because the rules were tuned on every development post, they leave the classifier almost nothing
to add there. `--fresh` measures what cross-validation cannot: labelled posts that neither the
rules nor the classifier have seen (those of the file whose ids are not in posts.jsonl, such as
a batch added since), scored once by (a) and (b), with the model trained and its thresholds
chosen on posts.jsonl alone.

`--newest N` chooses the shipped thresholds the way new wording will meet them: the newest N
labelled posts (added after the last rounds of rule tuning) are scored by the rules, the model
is trained on the other posts, and for each category the threshold with the best F1 (rules plus
model-backed rule; ties to the higher) among those at which the model-backed rule's own findings
(where no other rule of its category fired), and those of every higher threshold, are at least
MIN_PRECISION right: the labelled posts are half problems, real histories far fewer, so a rule
that is often wrong on its own would bury a reviewer in false alarms.

Evaluation tooling: it prints post ids, never post text, and never reads eval/holdout.jsonl.
"""

from __future__ import annotations

import argparse
import random
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from socialaudit.settings import rules_dir
from transforms.scoring import training
from transforms.scoring.conduct_model import TRAINING_FILE, ConductModel, Masker, predict
from transforms.scoring.engine import Scorer
from transforms.scoring.evaluation import Scores, load_labelled

MODEL_BACKED = Path("categories") / "model_backed.yaml"
THRESHOLDS = [round(0.05 * i, 2) for i in range(1, 20)]
OFF = None  # the category's model-backed rule is left out
MIN_PRECISION = 0.8  # --choose precision: the model-backed rule's own precision in training


def folds(items: Sequence[dict[str, Any]], k: int, seed: int = 0) -> list[int]:
    """Each post's fold, stratified by its first category (or none)."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        groups[(item["categories"] or ["none"])[0]].append(i)
    assigned = [0] * len(items)
    rng = random.Random(seed)
    for name in sorted(groups):
        members = groups[name]
        rng.shuffle(members)
        for j, i in enumerate(members):
            assigned[i] = j % k
    return assigned


def _rules_copy(
    source: Path, work: Path, thresholds: dict[str, float | None] | None, model: Any = None
) -> Path:
    """The rulebook in a scratch folder: model-backed rules with the given thresholds (those set
    to OFF removed), or, when thresholds is None, with no model requirement at all (each then
    fires wherever its signal does: the gate)."""
    folder = work / "rules"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("eval", "models"))
    spec = yaml.safe_load((source / MODEL_BACKED).read_text(encoding="utf-8"))
    kept = []
    for rule in spec["rules"]:
        if thresholds is None:
            rule["requires"] = [r for r in rule.get("requires") or [] if "model" not in r]
        elif thresholds.get(rule["category"]) is OFF:
            continue
        else:
            for requirement in rule["requires"]:
                if "model" in requirement:
                    requirement["at_least"] = thresholds[rule["category"]]
        kept.append(rule)
    (folder / MODEL_BACKED).write_text(yaml.safe_dump({"rules": kept}), encoding="utf-8")
    if model is not None:
        training.save(model, folder, {"training_file": "cross-validation fold"})
    return folder


def _shipped_thresholds(source: Path) -> dict[str, float | None]:
    spec = yaml.safe_load((source / MODEL_BACKED).read_text(encoding="utf-8"))
    return {
        rule["category"]: requirement["at_least"]
        for rule in spec["rules"]
        for requirement in rule["requires"]
        if "model" in requirement
    }


def _at_least_shipped(
    chosen: dict[str, float | None], shipped: dict[str, float | None]
) -> dict[str, float | None]:
    """The chosen thresholds, none below the shipped one; categories not shipped left out."""
    return {
        c: OFF if t is OFF or shipped.get(c) is None else max(t, shipped[c])  # type: ignore[type-var]
        for c, t in chosen.items()
    }


def _model_backed_ids(source: Path) -> set[str]:
    spec = yaml.safe_load((source / MODEL_BACKED).read_text(encoding="utf-8"))
    return {rule["id"] for rule in spec["rules"]}


def gates(source: Path, items: Sequence[dict[str, Any]], work: Path) -> tuple[list, list]:
    """Per post: the categories the rules alone find, and those whose model-backed rule's
    signal matches with no exception (so it fires exactly when the model's score is enough)."""
    backed = _model_backed_ids(source)
    scorer = Scorer.load(_rules_copy(source, work, None))
    by_rules, gated = [], []
    for findings in scorer.score_many([str(item["text"]) for item in items]):
        by_rules.append({f.category for f in findings if f.rule_id not in backed})
        gated.append({f.category for f in findings if f.rule_id in backed})
    return by_rules, gated


def oof_probabilities(
    items: Sequence[dict[str, Any]], categories: Sequence[str], masker: Masker, k: int
) -> list[dict[str, float]]:
    """Each post's probabilities from a model that never saw it."""
    assigned = folds(items, k, seed=1)
    probs: list[dict[str, float]] = [{} for _ in items]
    for fold in range(k):
        train = [item for item, f in zip(items, assigned, strict=True) if f != fold]
        held = [i for i, f in enumerate(assigned) if f == fold]
        model = training.fit(train, categories, masker)
        texts = [str(items[i]["text"]) for i in held]
        for i, p in zip(held, predict(ConductModel.of(model), masker, texts), strict=True):
            probs[i] = p
    return probs


def choose(
    category: str,
    truth: Sequence[set[str]],
    by_rules: Sequence[set[str]],
    gated: Sequence[set[str]],
    probs: Sequence[dict[str, float]],
    how: str,
) -> float | None:
    """The threshold at which the model-backed rule best complements the rules, or OFF.

    f1: the highest category F1 of rules plus model-backed rule, if above the rules' alone.
    precision: the lowest threshold at which the model-backed rule's own findings are at least
    MIN_PRECISION right (and at least two of them)."""
    base = _scores(category, truth, by_rules).f1
    best, best_value = OFF, base
    for threshold in sorted(THRESHOLDS, reverse=True):
        fired = _fired(category, threshold, gated, probs)
        if how == "precision":
            right = sum(f and category in t for f, t in zip(fired, truth, strict=True))
            if sum(fired) >= 2 and right / sum(fired) >= MIN_PRECISION:
                best = threshold
            continue
        value = _scores(category, truth, _combined(category, by_rules, fired)).f1
        if value > best_value + 1e-9:
            best, best_value = threshold, value
    return best


def _fired(
    category: str,
    threshold: float,
    gated: Sequence[set[str]],
    probs: Sequence[dict[str, float]],
) -> list[bool]:
    """Per post: whether the category's model-backed rule fires at the threshold."""
    return [category in g and p[category] >= threshold for g, p in zip(gated, probs, strict=True)]


def _combined(category: str, by_rules: Sequence[set[str]], fired: Sequence[bool]) -> list[set[str]]:
    """Per post: the rules' categories, plus the category where its model-backed rule fired."""
    return [r | {category} if f else r for r, f in zip(by_rules, fired, strict=True)]


def _scores(category: str, truth: Sequence[set[str]], predicted: Sequence[set[str]]) -> Scores:
    tp = sum(category in p and category in t for p, t in zip(predicted, truth, strict=True))
    fp = sum(category in p and category not in t for p, t in zip(predicted, truth, strict=True))
    fn = sum(category not in p and category in t for p, t in zip(predicted, truth, strict=True))
    return Scores(tp, fp, fn)


def thresholds_for(
    items: Sequence[dict[str, Any]],
    categories: Sequence[str],
    by_rules: Sequence[set[str]],
    gated: Sequence[set[str]],
    masker: Masker,
    k: int,
    how: str,
) -> dict[str, float | None]:
    truth = [set(item["categories"]) for item in items]
    probs = oof_probabilities(items, categories, masker, k)
    return {c: choose(c, truth, by_rules, gated, probs, how) for c in categories}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--choose", choices=("precision", "f1"), default="precision")
    parser.add_argument("--fresh", type=Path, help="labelled posts to score once, unseen")
    parser.add_argument(
        "--as-shipped",
        action="store_true",
        help="with --fresh: keep model_backed.yaml's own thresholds instead of choosing them; "
        "without: never go below them (they include the guardrail's raises)",
    )
    parser.add_argument("--newest", type=int, help="choose thresholds on the newest N posts")
    args = parser.parse_args()
    source = rules_dir()
    items = load_labelled(source / TRAINING_FILE)
    book = Scorer.load(source).rulebook
    categories = list(book.categories)
    masker = Masker.from_signals(book.signals)
    if args.newest:
        newest(source, items, categories, masker, args.newest)
        return
    if args.fresh:
        how = "shipped" if args.as_shipped else args.choose
        fresh(source, items, categories, masker, args.fresh, args.folds, how)
        return
    truth = [set(item["categories"]) for item in items]  # type: ignore[arg-type]
    assigned = folds(items, args.folds)
    counts = {name: defaultdict(lambda: [0, 0, 0]) for name in ("rules", "with model")}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        by_rules, gated = gates(source, items, work)
        for fold in range(args.folds):
            train = [i for i, f in enumerate(assigned) if f != fold]
            held = [i for i, f in enumerate(assigned) if f == fold]
            chosen = thresholds_for(
                [items[i] for i in train],
                categories,
                [by_rules[i] for i in train],
                [gated[i] for i in train],
                masker,
                args.folds,
                args.choose,
            )
            if args.as_shipped:
                chosen = _at_least_shipped(chosen, _shipped_thresholds(source))
            model = training.fit([items[i] for i in train], categories, masker)
            scorer = Scorer.load(_rules_copy(source, work, chosen, model))
            texts = [str(items[i]["text"]) for i in held]
            for i, findings in zip(held, scorer.score_many(texts), strict=True):
                predicted = {f.category for f in findings}
                _count(counts["with model"], truth[i], predicted, categories)
                _count(counts["rules"], truth[i], by_rules[i], categories)
            shown = {c: t for c, t in chosen.items() if t is not OFF}
            print(f"fold {fold}: thresholds {shown}", flush=True)
        _report(counts, categories)
        final = thresholds_for(items, categories, by_rules, gated, masker, args.folds, args.choose)
    print("\nthresholds for the shipped rulebook (every post, inner CV):")
    for category, threshold in final.items():
        print(f"  {category:<22} {'off' if threshold is OFF else threshold}")


def fresh(
    source: Path,
    items: Sequence[dict[str, Any]],
    categories: Sequence[str],
    masker: Masker,
    path: Path,
    k: int,
    how: str,
) -> None:
    known = {item["id"] for item in items}
    unseen = [item for item in load_labelled(path) if item["id"] not in known]
    counts = {name: defaultdict(lambda: [0, 0, 0]) for name in ("rules", "with model")}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        by_rules, gated = gates(source, items, work)
        if how == "shipped":
            chosen = _shipped_thresholds(source)
        else:
            chosen = thresholds_for(items, categories, by_rules, gated, masker, k, how)
        print(f"thresholds: {chosen}")
        fresh_rules, _ = gates(source, unseen, work)
        model = training.fit(items, categories, masker)
        scorer = Scorer.load(_rules_copy(source, work, chosen, model))
        texts = [str(item["text"]) for item in unseen]
        for item, rules, findings in zip(
            unseen, fresh_rules, scorer.score_many(texts), strict=True
        ):
            truth = set(item["categories"])
            _count(counts["with model"], truth, {f.category for f in findings}, categories)
            _count(counts["rules"], truth, rules, categories)
    print(f"{len(unseen)} unseen posts ({path.name})")
    _report(counts, categories)


def newest(
    source: Path,
    items: Sequence[dict[str, Any]],
    categories: Sequence[str],
    masker: Masker,
    n: int,
) -> None:
    older, newer = items[:-n], items[-n:]
    with tempfile.TemporaryDirectory() as scratch:
        by_rules, gated = gates(source, newer, Path(scratch))
    model = training.fit(older, categories, masker)
    probs = predict(ConductModel.of(model), masker, [str(item["text"]) for item in newer])
    truth = [set(item["categories"]) for item in newer]
    print(f"model trained on {len(older)} posts; thresholds chosen on the newest {len(newer)}")
    print(
        "\n| category | rules P | R | F1 | threshold | its own precision | + model P | R | F1 |\n|"
        + "---|" * 9
    )
    for category in categories:
        alone = _scores(category, truth, by_rules)
        curve, own = {}, {}
        for threshold in THRESHOLDS:
            fired = _fired(category, threshold, gated, probs)
            curve[threshold] = _scores(category, truth, _combined(category, by_rules, fired))
            alone_fired = [
                category in t
                for f, r, t in zip(fired, by_rules, truth, strict=True)
                if f and category not in r
            ]  # the fallback's own findings: where no other rule of its category fired
            own[threshold] = sum(alone_fired) / len(alone_fired) if alone_fired else 1.0
        if not any(category in g for g in gated):
            print(f"| {category} | {_row(alone)} | no model-backed rule | | | | |")
            continue
        right = [
            t for t in THRESHOLDS if all(own[u] >= MIN_PRECISION for u in THRESHOLDS if u >= t)
        ]
        best = max(curve[t].f1 for t in right)
        chosen = max(t for t in right if curve[t].f1 >= best - 1e-9)
        print(
            f"| {category} | {_row(alone)} | {chosen} | {own[chosen]:.2f} | {_row(curve[chosen])} |"
        )


def _row(scores: Scores) -> str:
    return f"{scores.precision:.3f} | {scores.recall:.3f} | {scores.f1:.3f}"


def _count(
    table: dict[str, list[int]], truth: set[str], predicted: set[str], categories: Sequence[str]
) -> None:
    for category in categories:
        row = table[category]
        if category in predicted:
            row[0 if category in truth else 1] += 1
        elif category in truth:
            row[2] += 1


def _report(counts: dict[str, dict[str, list[int]]], categories: Sequence[str]) -> None:
    print(f"\n| category | rules P | R | F1 | + model P | R | F1 | ΔF1 |\n|{'---|' * 8}")
    for category in [*categories, "micro"]:
        cells = []
        for name in ("rules", "with model"):
            table = counts[name]
            rows = [table[c] for c in categories] if category == "micro" else [table[category]]
            s = Scores(*(sum(r[j] for r in rows) for j in range(3)))
            cells.append(s)
        a, b = cells
        print(
            f"| {category} | {a.precision:.3f} | {a.recall:.3f} | {a.f1:.3f} | "
            f"{b.precision:.3f} | {b.recall:.3f} | {b.f1:.3f} | {b.f1 - a.f1:+.3f} |"
        )


if __name__ == "__main__":
    main()
