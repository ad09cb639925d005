"""Validate each normalised batch with its Great Expectations suite before it is committed.

Suites are JSON files in expectations/, one per normalised table. GX cannot read polars or DuckDB
directly, so the batch is handed over as pandas: only the columns the suite checks (a copy of the
rest would cost memory and time for nothing). Each batch is first validated for a verdict alone,
which is half the work of a full report; a batch that fails is validated again for the details.
GX is imported lazily: it costs seconds.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import polars as pl

from socialaudit.settings import expectations_dir

# A post may be timestamped slightly ahead of our clock (clock skew), never further.
FUTURE_TOLERANCE = timedelta(days=1)


@dataclass
class ValidationReport:
    suite: str
    success: bool
    failures: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"suite": self.suite, "success": self.success, "failures": self.failures}


def validate_posts(batch: pl.DataFrame) -> ValidationReport:
    latest = datetime.now(UTC) + FUTURE_TOLERANCE
    frame = batch.with_columns(
        pl.col("created_at").dt.epoch("s").alias("created_at_epoch"),
    )
    return _run_suite("posts", frame, {"latest_epoch": int(latest.timestamp())})


def _run_suite(name: str, frame: pl.DataFrame, parameters: dict[str, Any]) -> ValidationReport:
    _, definition, columns = _validation_definition(name)
    batch = {"dataframe": frame.select(columns).to_pandas()}
    verdict = definition.run(
        batch_parameters=batch, expectation_parameters=parameters, result_format="BOOLEAN_ONLY"
    )
    if verdict.success:
        return ValidationReport(name, True)
    result = definition.run(batch_parameters=batch, expectation_parameters=parameters)
    failures = []
    for item in result.results:
        if item.success:
            continue
        config = item.expectation_config
        failure: dict[str, Any] = {
            "expectation": config.type,
            "column": config.kwargs.get("column"),
            "unexpected_count": (item.result or {}).get("unexpected_count"),
        }
        if item.exception_info and item.exception_info.get("raised_exception"):
            failure["error"] = item.exception_info.get("exception_message")
        failures.append(failure)
    return ValidationReport(name, bool(result.success) and not failures, failures)


@cache
def _validation_definition(name: str) -> tuple[Any, Any, list[str]]:
    """One ephemeral GX context per process, holding the suite read from expectations/, and
    the columns the suite checks."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # nothing leaves the machine
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    spec = json.loads((expectations_dir() / f"{name}.json").read_text(encoding="utf-8"))
    spec.pop("meta", None)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # none in logs
    suite = context.suites.add(gx.ExpectationSuite(**spec))
    batch = (
        context.data_sources.add_pandas(f"{name}_source")
        .add_dataframe_asset(f"{name}_batch")
        .add_batch_definition_whole_dataframe(f"{name}_whole")
    )
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{name}_validation", data=batch, suite=suite)
    )
    columns = sorted(
        {e["kwargs"]["column"] for e in spec["expectations"] if "column" in e["kwargs"]}
    )
    return context, definition, columns
