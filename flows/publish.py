"""Publish the dashboard's serving copy after a flow has committed its work."""

from __future__ import annotations

from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from transforms.publish import publish_serving_copy


@task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def publish(db_path: str) -> None:
    publish_serving_copy(Path(db_path))
