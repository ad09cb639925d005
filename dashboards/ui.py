"""Pieces more than one page uses: the page's connection, the finding filters, a post's text,
the access log of people viewed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlparse

import duckdb
import polars as pl
import streamlit as st

from dashboards import data_access, queries
from dashboards.access import Scope, Viewer
from dashboards.highlight import highlighted_html
from socialaudit.decisions import STATUSES

PEOPLE_VIEWED = "people_viewed"  # session state: (viewer, person id) already in the access log


@contextmanager
def connection() -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for one page run; a clear message instead when there is no data."""
    try:
        with data_access.read_connection() as con:
            yield con
    except data_access.NoDatabaseYet as missing:
        st.info(str(missing))
        st.stop()


def finding_filters(
    con: duckdb.DuckDBPyConnection, scope: Scope, *, with_status: bool
) -> queries.Filters:
    """Team, category, severity, (status,) and post-date filters. The team options are only the
    viewer's teams, but the queries narrow to the scope again whatever the widget returns."""
    teams = queries.teams(con, scope)
    names = dict(zip(teams["team_id"], teams["name"], strict=True))
    columns = st.columns(5 if with_status else 4)
    chosen_teams = columns[0].multiselect(
        "Team", list(names), format_func=names.__getitem__, key="team", placeholder="All teams"
    )
    chosen_categories = columns[1].multiselect(
        "Category", queries.categories(con), key="category", placeholder="All categories"
    )
    chosen_severities = columns[2].multiselect(
        "Severity", queries.severities(con), key="severity", placeholder="All severities"
    )
    chosen_statuses = (
        columns[4].multiselect("Status", STATUSES, default=["open"], key="status")
        if with_status
        else []
    )
    bounds = queries.post_date_range(con)
    dates = columns[3].date_input("Post dates", value=bounds or (), key="dates")
    start, end = (*dates, None, None)[:2]  # a range picker gives 0, 1 or 2 dates
    return queries.Filters(
        teams=tuple(chosen_teams),
        categories=tuple(chosen_categories),
        severities=tuple(chosen_severities),
        statuses=tuple(chosen_statuses),
        start=start,
        end=end,
    )


def table(frame: pl.DataFrame) -> None:
    """A table without its index, dates shown as dates rather than as midnight timestamps."""
    dates = {
        name: st.column_config.DateColumn(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.Date
    }
    st.dataframe(frame, hide_index=True, column_config=dates)


def show_post(text: str, spans: list[tuple[int, int]]) -> None:
    """A post as plain text, matched words highlighted; never Markdown, never live HTML."""
    st.html(highlighted_html(text, spans))


def parse_spans(raw: str | None) -> list[tuple[int, int]]:
    return [(int(start), int(end)) for start, end in json.loads(raw or "[]")]


def show_platform_link(url: str | None) -> None:
    """A button to the post on its platform: only for web addresses, and only on click."""
    if url and urlparse(url).scheme in ("http", "https"):
        st.link_button("Open on the platform", url)
    elif url:
        st.caption("The post's link is not a web address, so it is not shown.")


def log_person_viewed(viewer: Viewer, person_id: str) -> None:
    """Write `view_person` to the access log the first time this session shows this viewer
    anything of this person's, on whichever page; reruns and returning to them add nothing."""
    viewed: set[tuple[str, str]] = st.session_state.setdefault(PEOPLE_VIEWED, set())
    if (viewer.username, person_id) not in viewed:
        data_access.log_access(viewer.username, "view_person", person_id)
        viewed.add((viewer.username, person_id))
