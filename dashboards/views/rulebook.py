"""Rulebook: every rule with the standards it cites, its message, guidance and examples, read
straight from rules/ so the page always shows the rulebook the next run will use."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import streamlit as st

from dashboards import access, session
from socialaudit.settings import rules_dir
from transforms.scoring.rulebook import RulebookError, load_rulebook

LABELLED_SETS = {"development set": "posts.jsonl", "held-out set": "holdout.jsonl"}


@st.cache_data(show_spinner="Measuring the rulebook on its labelled sets…")
def measured_quality(
    version: str, folder: str, labelled_sets: tuple[tuple[str, int], ...]
) -> dict[str, tuple[pl.DataFrame, dict[str, float]]]:
    """Precision and recall per category on each labelled set, and each rule's precision;
    computed once per rulebook version and state of the labelled sets."""
    from transforms.scoring.engine import Scorer
    from transforms.scoring.evaluation import evaluate, load_labelled

    scorer = Scorer.load(Path(folder))
    results = {}
    for name, file in LABELLED_SETS.items():
        path = Path(folder) / "eval" / file
        if not path.exists():
            continue
        result = evaluate(scorer, load_labelled(path))
        rows = [("all (micro)", result.micro), *result.by_category.items()]
        table = pl.DataFrame(
            [
                {
                    "category": c,
                    "precision": round(q.precision, 3),
                    "recall": round(q.recall, 3),
                    "F1": round(q.f1, 3),
                    "labelled": q.tp + q.fn,
                }
                for c, q in rows
            ]
        )
        rule_precision = {r: q.precision for r, q in result.by_rule.items() if q.tp + q.fp}
        results[name] = (table, rule_precision)
    return results


session.require(access.RULEBOOK)
st.title("Rulebook")

try:
    book = load_rulebook()
except (RulebookError, OSError, KeyError) as problem:
    st.warning(f"The rulebook could not be read: {problem}")
    st.stop()

st.caption(f"Version {book.version} · {len(book.rules)} rules")
labelled = tuple(
    (str(f), f.stat().st_mtime_ns) for f in sorted((rules_dir() / "eval").glob("*.jsonl"))
)
quality = measured_quality(book.version, str(rules_dir()), labelled)
for name, (table, _) in quality.items():
    st.caption(f"Measured on the {name} (rules/eval/)")
    st.dataframe(table, hide_index=True)
category = st.selectbox(
    "Category", [None, *book.categories], format_func=lambda c: c or "All", key="rule_category"
)
if category:
    st.text(book.categories[category])

for rule in book.rules:
    if category and rule.category != category:
        continue
    with st.expander(f"{rule.id} · {rule.title} · {rule.severity}"):
        st.text(rule.message)
        for name, (_, rule_precision) in quality.items():
            if rule.id in rule_precision:
                st.caption(f"Precision on the {name}: {rule_precision[rule.id]:.2f}")
        st.caption("Standards cited, by edition")
        for edition, clauses in rule.standards.items():
            texts = book.clauses.get(edition, {})
            for clause in clauses:
                st.text(f"{edition} {clause}: {texts.get(clause, '(clause text not recorded)')}")
        st.caption(f"Guidance: {book.actions.get(rule.guidance_action, rule.guidance_action)}")
        st.text(rule.guidance_text)
        if rule.examples_flag:
            st.caption("Flagged, for example")
            for example in rule.examples_flag:
                st.text(example)
        if rule.examples_pass:
            st.caption("Not flagged, for example")
            for example in rule.examples_pass:
                st.text(example)
