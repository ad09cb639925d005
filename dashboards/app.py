"""The compliance dashboard: `streamlit run dashboards/app.py`.

Signed out, the only page is the sign-in form. Signed in, the navigation holds only the pages the
viewer's role may open, and each page checks the role again before showing anything.
"""

from __future__ import annotations

import streamlit as st

from dashboards import access, session

PAGES = {
    access.OVERVIEW: ("pages/overview.py", "Overview", ":material/monitoring:"),
    access.QUEUE: ("pages/findings_queue.py", "Findings queue", ":material/inbox:"),
    access.DATA: ("pages/data.py", "Data", ":material/database:"),
    access.RULEBOOK: ("pages/rulebook.py", "Rulebook", ":material/menu_book:"),
    access.CHECK: ("pages/check_post.py", "Check a post", ":material/fact_check:"),
}

st.set_page_config(page_title="socialaudit", page_icon=":material/policy:", layout="wide")

viewer = session.current_viewer()
if viewer is None:
    pages = [st.Page(session.sign_in, title="Sign in", icon=":material/login:")]
else:
    pages = [
        st.Page(path, title=title, icon=icon, default=page == access.OVERVIEW)
        for page, (path, title, icon) in PAGES.items()
        if viewer.may_open(page)
    ]
    st.sidebar.text(f"Signed in as {viewer.username} ({viewer.role.replace('_', ' ')})")
    st.sidebar.button("Sign out", key="sign_out", on_click=session.sign_out)

st.navigation(pages).run()
