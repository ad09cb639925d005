"""The aggregates that read every post, kept between page runs until the data under them changes.

Figures over posts (the Overview's and the Team page's) scan the whole posts table, while a
reviewer changes a filter or a setting many times a minute. They are cached by Streamlit, keyed by
the data's version (the serving copy's path and modification time, and how many decisions there
are and the latest one's time, as the page run's own snapshot saw them, so a republished copy or
a new decision is seen at once), by the viewer's whole scope (one viewer never gets figures
computed for another) and by the page's own choices. Findings lists are not cached: they are
quick, and always as fresh as the page run's snapshot.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import streamlit as st

from dashboards import data_access, queries
from dashboards.access import Scope
from socialaudit.settings import default_db_path, serving_db_path

DataVersion = tuple[str, int, int, datetime | None]
_POLICY = {"ttl": 300, "max_entries": 256, "show_spinner": False}


def data_version(con: duckdb.DuckDBPyConnection) -> DataVersion:
    """The main database, when its serving copy was published, and the decisions in this page
    run's snapshot (the decisions file is append-only, so their number and latest time tell
    one state from another)."""
    main = default_db_path()
    decisions, latest = con.sql(
        "SELECT count(*), max(decided_at) FROM decisions.reviews"
    ).fetchone()
    return str(main), serving_db_path(main).stat().st_mtime_ns, decisions, latest


@st.cache_data(**_POLICY)
def overview(
    version: DataVersion, scope: Scope, filters: queries.Filters, grain: queries.Grain
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The Overview's headline figures, trend and rule drivers."""
    with data_access.read_connection(Path(version[0])) as con:
        return (
            queries.headline(con, scope, filters),
            queries.finding_rates(con, scope, filters, grain),
            queries.rule_drivers(con, scope, filters),
        )


@st.cache_data(**_POLICY)
def team(
    version: DataVersion, scope: Scope, team_id: str, rows: queries.TeamRows
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The Team page's heatmap cells and its people with findings."""
    with data_access.read_connection(Path(version[0])) as con:
        return (
            queries.team_heatmap(con, scope, team_id, rows),
            queries.team_people(con, scope, team_id),
        )
