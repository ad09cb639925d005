"""Rulebook: every rule with the standards it cites, its message, guidance and examples, read
straight from rules/ so the page always shows the rulebook the next run will use."""

from __future__ import annotations

import streamlit as st

from dashboards import access, session
from transforms.scoring.rulebook import RulebookError, load_rulebook

session.require(access.RULEBOOK)
st.title("Rulebook")

try:
    book = load_rulebook()
except (RulebookError, OSError, KeyError) as problem:
    st.warning(f"The rulebook could not be read: {problem}")
    st.stop()

st.caption(f"Version {book.version} · {len(book.rules)} rules")
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
