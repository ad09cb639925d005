"""The compliance dashboard: `streamlit run dashboards/app.py`.

Signed out, every page's address shows the sign-in form, so a reload or a link (to one person, say)
comes back to that page once signed in. Signed in, the navigation holds only the pages the viewer's
role may open, and each page checks the role again before showing anything.

The pages live in views/, not pages/: Streamlit runs a file in a folder named pages/ directly,
without this script, when the first request a fresh server gets is for that page's address.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboards import access, session

PAGES = {
    access.OVERVIEW: ("views/overview.py", "Overview", ":material/monitoring:"),
    access.TEAM: ("views/team.py", "Team", ":material/groups:"),
    access.QUEUE: ("views/findings_queue.py", "Findings queue", ":material/inbox:"),
    access.PERSON: ("views/person.py", "Person", ":material/person_search:"),
    access.DATA: ("views/data.py", "Data", ":material/database:"),
    access.RULEBOOK: ("views/rulebook.py", "Rulebook", ":material/menu_book:"),
    access.CHECK: ("views/check_post.py", "Check a post", ":material/fact_check:"),
}

st.set_page_config(page_title="socialaudit", page_icon=":material/policy:", layout="wide")

viewer = session.current_viewer()
if viewer is None:
    pages = [
        st.Page(
            session.sign_in,
            title="Sign in",
            icon=":material/login:",
            url_path=Path(path).stem,
            default=page == access.OVERVIEW,
        )
        for page, (path, _, _) in PAGES.items()
    ]
else:
    pages = [
        st.Page(path, title=title, icon=icon, default=page == access.OVERVIEW)
        for page, (path, title, icon) in PAGES.items()
        if viewer.may_open(page)
    ]
    st.sidebar.text(f"Signed in as {viewer.username} ({viewer.role.replace('_', ' ')})")
    st.sidebar.button("Sign out", key="sign_out", on_click=session.sign_out)

st.navigation(pages, position="sidebar" if viewer else "hidden").run()
