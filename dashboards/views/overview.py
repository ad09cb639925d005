"""Overview: headline figures, the trend of findings per 1,000 posts per team, the rules behind
it, and the latest findings."""

from __future__ import annotations

import streamlit as st

from dashboards import access, cache, queries, session, ui

viewer = session.require(access.OVERVIEW)
st.title("Overview")

with ui.connection() as con:
    scope = access.scope_for(viewer, con)
    filters = ui.finding_filters(con, scope, with_status=False)
    grain = st.radio("Trend by", ["month", "week"], key="grain", horizontal=True)
    latest = queries.latest_findings(con, scope, filters)
    version = cache.data_version(con)
totals, rates, drivers = cache.overview(version, scope, filters, grain)

suppressed = f"Figures covering fewer than {scope.min_people} people are not shown."
if totals.is_empty():
    st.info(suppressed)
else:
    row = totals.row(0, named=True)
    posts, findings, rate, still_open = st.columns(4)
    posts.metric("Posts", f"{row['posts']:,}")
    findings.metric("Findings", f"{row['findings']:,}")
    rate.metric("Findings per 1,000 posts", f"{row['rate_per_1000'] or 0:.1f}")
    still_open.metric("Open findings", f"{row['open_findings']:,}")

st.subheader("Findings per 1,000 posts")
if rates.is_empty():
    st.info("Nothing to show for this selection.")
else:
    st.line_chart(rates, x="period", y="rate_per_1000", color="team")
if scope.min_people > 1:
    st.caption(suppressed)

st.subheader("Rules behind each team's findings")
st.dataframe(
    drivers,
    hide_index=True,
    column_config={"share": st.column_config.NumberColumn("share", format="percent")},
)

st.subheader("Latest findings")
ui.table(latest)
