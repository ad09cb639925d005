"""Person: one person's findings month by month, each finding, and every decision on them.

Compliance officers may open anyone with findings; team leads only people with findings in their
teams, and see only the findings from the person's time there; auditors never reach this page.
The person comes from the picker or from the address (`?person=<person id>`, as the queue links
here), and either way must be among the people this viewer's scope returns. Showing a person is
written to the access log, once per person per session.
"""

from __future__ import annotations

import altair as alt
import streamlit as st

from dashboards import access, queries, session, ui

PICKED = "person_page_person"
NOT_YOURS = "That person has no findings in the teams you may see."


def keep_address_in_step() -> None:
    """Picker callback: the address names the person shown, so it can be shared or reloaded."""
    picked = st.session_state.get(PICKED)
    if picked is None:
        st.query_params.pop("person", None)
    else:
        st.query_params["person"] = picked


viewer = session.require(access.PERSON)
st.title("Person")

with ui.connection() as con:
    scope = access.scope_for(viewer, con)
    people = queries.people(con, scope, queries.Filters())
    labels = dict(zip(people["person_id"], people["person"], strict=True))
    requested = st.query_params.get("person")
    if requested is not None and requested not in labels:
        st.error(NOT_YOURS)
        st.stop()
    if requested is not None and st.session_state.get(PICKED) != requested:
        st.session_state[PICKED] = requested
    person = st.selectbox(
        "Person",
        [None, *labels],
        format_func=lambda p: "Choose a person" if p is None else labels[p],
        key=PICKED,
        on_change=keep_address_in_step,
    )
    if person is None:
        st.stop()
    if person not in labels:  # a value forced into the session by any other route
        st.error(NOT_YOURS)
        st.stop()
    timeline = queries.person_timeline(con, scope, person)
    findings = queries.findings_queue(con, scope, queries.Filters(), person_id=person)
    decisions = queries.person_decisions(con, scope, person)

ui.log_person_viewed(viewer, person)
total, still_open, decided = st.columns(3)
total.metric("Findings", findings.height)
still_open.metric("Open", int((findings["status"] == "open").sum()))
decided.metric("Decisions", decisions.height)

st.subheader("Findings by month")
st.altair_chart(
    alt.Chart(timeline)
    .mark_bar()
    .encode(
        x=alt.X("yearmonth(month):T", title="Month"),
        y=alt.Y("sum(findings):Q", title="Findings", axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("category:N", title="Category"),
        tooltip=["yearmonth(month):T", "category:N", "findings:Q"],
    ),
    width="stretch",
)

st.subheader("Findings")
ui.table(findings.drop("person_id", "person"))

st.subheader("Decisions")
if decisions.is_empty():
    st.info("No decisions on this person's findings yet.")
else:
    ui.table(decisions)
