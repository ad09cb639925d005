"""Team: one team's findings as a heatmap of categories (or rules) by month, and its people with
findings. People are pseudonyms for roles that may not see names; months with posts from fewer
than k people, and the people list of a team that small, are left out below compliance officer.
"""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from dashboards import access, cache, queries, session, ui

ROWS = {"category": "Category", "rule": "Rule"}


def heatmap(cells: pl.DataFrame, rows: str) -> alt.Chart:
    """Months across, categories or rules down, darker for more findings."""
    return (
        alt.Chart(cells)
        .mark_rect()
        .encode(
            x=alt.X("yearmonth(month):O", title="Month"),
            y=alt.Y("label:N", title=ROWS[rows]),
            color=alt.Color("findings:Q", title="Findings", scale=alt.Scale(scheme="orangered")),
            tooltip=[
                alt.Tooltip("yearmonth(month):O", title="Month"),
                alt.Tooltip("label:N", title=ROWS[rows]),
                alt.Tooltip("findings:Q", title="Findings"),
                alt.Tooltip("posts:Q", title="Posts"),
                alt.Tooltip("rate_per_1000:Q", title="Per 1,000 posts", format=".1f"),
            ],
        )
    )


viewer = session.require(access.TEAM)
st.title("Team")

with ui.connection() as con:
    scope = access.scope_for(viewer, con)
    teams = queries.teams(con, scope)
    names = dict(zip(teams["team_id"], teams["name"], strict=True))
    chosen, by = st.columns([2, 1])
    team = chosen.selectbox("Team", list(names), format_func=names.__getitem__, key="team_page")
    rows = by.radio("Rows", list(ROWS), format_func=ROWS.__getitem__, key="team_rows")
    version = cache.data_version(con)
if team is None:
    st.info("You have no teams with members yet.")
    st.stop()
cells, people = cache.team(version, scope, team, rows)

suppressed = f"Months with posts from fewer than {scope.min_people} people are not shown."
st.subheader("Findings by month")
if cells.is_empty():
    st.info("Nothing to show for this team.")
else:
    st.altair_chart(heatmap(cells, rows), width="stretch")
if scope.min_people > 1:
    st.caption(suppressed)

st.subheader("People with findings")
ui.table(people)
