"""Findings queue: filter the findings, open one to read its post, and record decisions on one
finding or many. Opening a person's findings is written to the access log."""

from __future__ import annotations

import streamlit as st

from dashboards import access, queries, review, session, ui

OUTCOME = "queue_outcome"  # the last decision's result, shown once after the rerun


def decide(ids_key: str, action_key: str, note_key: str) -> None:
    """Button callback: reads the widgets' current values, so a note typed just before the
    click is included; the viewer and their scope are checked again in `review.apply`."""
    current = session.current_viewer()
    chosen = st.session_state.get(ids_key) or []
    finding_ids = [chosen] if isinstance(chosen, str) else list(chosen)
    if current is None or not finding_ids:
        return
    outcome = review.apply(
        current, finding_ids, st.session_state[action_key], st.session_state.get(note_key) or ""
    )
    st.session_state[OUTCOME] = outcome
    if outcome.error is None:
        st.session_state[note_key] = ""


viewer = session.require(access.QUEUE)
st.title("Findings queue")

outcome = st.session_state.pop(OUTCOME, None)
if outcome and outcome.error:
    st.error(outcome.error)
elif outcome:
    st.success(f"Recorded {outcome.recorded} decision(s).")

with ui.connection() as con:
    scope = access.scope_for(viewer, con)
    filters = ui.finding_filters(con, scope, with_status=True)
    people = queries.people(con, scope, filters)
    person_labels = dict(zip(people["person_id"], people["person"], strict=True))
    person = st.selectbox(
        "Person",
        [None, *person_labels],
        format_func=lambda p: "Everyone" if p is None else person_labels[p],
        key="person",
    )
    queue = queries.findings_queue(con, scope, filters, person_id=person)
    labels = {
        row["finding_id"]: f"{row['date']} · {row['rule']} · {row['person']} · {row['status']}"
        for row in queue.iter_rows(named=True)
    }
    opened = st.selectbox(
        "Open a finding",
        [None, *labels],
        format_func=lambda f: "Choose a finding" if f is None else labels[f],
        key="finding",
    )
    detail = queries.finding_detail(con, scope, opened) if opened else None
    history = queries.review_history(con, opened) if detail else None

ui.table(queue.drop("person_id"))

if viewer.policy.can_act and labels:
    with st.expander("Decide on several findings"):
        st.multiselect("Findings", list(labels), format_func=labels.__getitem__, key="bulk")
        st.selectbox("Decision", list(review.ACTIONS), key="bulk_action")
        st.text_area("Note (a dismissal needs a reason)", key="bulk_note")
        st.button(
            "Record for all chosen",
            key="bulk_record",
            on_click=decide,
            args=("bulk", "bulk_action", "bulk_note"),
        )

if person:
    ui.log_person_viewed(viewer, person)

if detail:
    ui.log_person_viewed(viewer, detail["person_id"])
    st.subheader(f"{detail['rule_id']} · {detail['category']} · {detail['severity']}")
    st.text(
        f"{detail['date']} · {detail['team']} · {detail['person']} · {detail['platform']}"
        f" · status: {detail['status']}"
    )
    ui.show_post(detail["text"], ui.parse_spans(detail["spans"]))
    ui.show_platform_link(detail["url"])
    if viewer.may_open(access.PERSON):
        st.page_link(
            "views/person.py",
            label=f"Everything on {detail['person']}",
            icon=":material/person_search:",
            query_params={"person": detail["person_id"]},
        )
    st.caption("Standard")
    st.text(detail["standard"])
    st.caption("Why it matters")
    st.text(detail["message"])
    if detail["guidance"]:
        st.caption("Guidance")
        st.text(detail["guidance"])
    if history is not None and history.height:
        st.caption("Decisions so far")
        st.dataframe(history, hide_index=True)
    if viewer.policy.can_act:
        st.radio("Decision", list(review.ACTIONS), key="action", horizontal=True)
        st.text_area("Note (a dismissal needs a reason)", key="note")
        st.button(
            "Record decision",
            key="record",
            on_click=decide,
            args=("finding", "action", "note"),
        )
