"""Signing in, and the check every page makes before it shows anything.

Two ways in: the local users file with a password form (the default), or, where an organisation
configures an identity provider in `.streamlit/secrets.toml` (an `[auth]` section), `st.login`,
with the users file mapping e-mail addresses to roles. Either way only the username is kept in the
session; the role and teams are read from the users file on every run, so a changed role or a
removed user takes effect at once.
"""

from __future__ import annotations

import streamlit as st

from dashboards.access import Viewer
from dashboards.auth import UsersFileError, authenticate, load_users, users_path

SIGNED_IN = "signed_in_user"


def identity_provider_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets.toml at all
        return False


def current_viewer() -> Viewer | None:
    """The signed-in user with their current role, or None."""
    if identity_provider_configured():
        username = st.user.get("email") if st.user.is_logged_in else None
    else:
        username = st.session_state.get(SIGNED_IN)
    if not username:
        return None
    try:
        user = load_users(users_path()).get(str(username))
    except UsersFileError:
        return None
    return user.viewer() if user else None


def sign_in() -> None:
    """The sign-in page: a password form, or the identity provider's button."""
    st.title("Sign in")
    if identity_provider_configured():
        if st.user.is_logged_in:
            st.error("You are signed in, but have no dashboard role. Ask a compliance officer.")
            st.button("Sign out", on_click=st.logout)
        else:
            st.button("Sign in with your organisation account", on_click=st.login)
        return
    try:
        users = load_users(users_path())
    except UsersFileError as error:
        st.error(f"{error} Add users with `socialaudit users add` (see docs/dashboard.md).")
        return
    with st.form("sign_in"):
        username = st.text_input("Username", key="username")
        password = st.text_input("Password", type="password", key="password")
        submitted = st.form_submit_button("Sign in", key="sign_in_submit")
    if submitted:
        viewer = authenticate(users, username, password)
        if viewer is None:
            st.error("Unknown username or wrong password.")
        else:
            st.session_state[SIGNED_IN] = viewer.username
            st.rerun()


def sign_out() -> None:
    if identity_provider_configured():
        st.logout()
    st.session_state.pop(SIGNED_IN, None)


def require(page: str) -> Viewer:
    """Every page starts here: the signed-in viewer, if their role may open this page."""
    viewer = current_viewer()
    if viewer is None:
        st.error("Please sign in.")
        st.stop()
    if not viewer.may_open(page):
        st.error("Your role does not give access to this page.")
        st.stop()
    return viewer
