"""Prefect flows: orchestration only. The work itself is in transforms/."""

from socialaudit.settings import configure_prefect

configure_prefect()
