"""Check a post: score any text against the current rulebook, without storing it anywhere."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from dashboards import access, session, ui
from transforms.scoring.rulebook import RulebookError, load_rulebook

if TYPE_CHECKING:
    from transforms.scoring.engine import Scorer


@st.cache_resource(show_spinner="Loading the rulebook…")
def compiled_scorer(version: str) -> Scorer:
    """Compiled once per rulebook version, which changes with any file in rules/."""
    from transforms.scoring.engine import Scorer  # spaCy is slow to import: only when needed

    return Scorer.load()


session.require(access.CHECK)
st.title("Check a post")
st.caption("The text is scored in memory and never stored or logged.")

text = st.text_area("Post text", key="post_text", max_chars=5000)
if st.button("Check", key="check") and text.strip():
    try:
        findings = compiled_scorer(load_rulebook().version).score(text)
    except (RulebookError, OSError, KeyError) as problem:
        st.warning(f"The rulebook could not be loaded: {problem}")
        st.stop()
    if not findings:
        st.success("No findings: nothing in this text matches a rule.")
    else:
        ui.show_post(text, [span for finding in findings for span in finding.spans])
        for finding in findings:
            st.subheader(f"{finding.rule_id} · {finding.title}")
            st.text(f"{finding.category} · {finding.severity} · {finding.standard}")
            st.text(finding.message)
            if finding.guidance:
                st.caption("Guidance")
                st.text(finding.guidance)
