"""Data: the archives read (ingested and quarantined, with reasons), what each covered, the
validation results, and the last runs with their counts."""

from __future__ import annotations

import json

import polars as pl
import streamlit as st

from dashboards import access, queries, session, ui

viewer = session.require(access.DATA)
st.title("Data")

with ui.connection() as con:
    archives = queries.archives(con, access.scope_for(viewer, con))
    runs = queries.latest_runs(con)
    unplaced = queries.unplaced_findings(con)

ingested = archives.filter(pl.col("status") == "ingested")
refused = archives.filter(pl.col("status") != "ingested")
read, held_back = st.columns(2)
read.metric("Archives ingested", ingested.height)
held_back.metric("Archives quarantined or failed", refused.height)
if unplaced:
    st.warning(
        f"{unplaced} active finding(s) belong to people who were in no team on the post's date, "
        "so no team's figures include them: check the team memberships."
    )

st.subheader("Ingested")
st.dataframe(ingested.drop("reason", "coverage", "validation"), hide_index=True)

st.subheader("Quarantined and failed")
st.dataframe(refused.select("archive", "status", "reason", "ingested_at"), hide_index=True)

st.subheader("Coverage")
with_coverage = archives.filter(pl.col("coverage").is_not_null())
if with_coverage.height:
    chosen = st.selectbox("Archive", with_coverage["archive"].to_list(), key="coverage_archive")
    st.json(json.loads(with_coverage.filter(pl.col("archive") == chosen)["coverage"][0]))

st.subheader("Validation results")
failed = archives.filter(pl.col("validation").is_not_null())
if failed.is_empty():
    st.success("Every archive passed validation.")
for row in failed.iter_rows(named=True):
    st.caption(row["archive"])
    st.json(json.loads(row["validation"]))

st.subheader("Last runs")
st.dataframe(runs, hide_index=True)
