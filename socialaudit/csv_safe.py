"""CSV files that are safe to open in a spreadsheet.

Post text comes from strangers, and a spreadsheet runs a cell that starts with '=', '+', '-' or
'@' as a formula (tab and carriage return can smuggle one in too). Every CSV the product writes
goes through `write_csv`, which prefixes such a cell with an apostrophe so it shows as text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from socialaudit.reports.files import open_private

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The value as CSV text that no spreadsheet evaluates; None is an empty cell. Numbers stay
    numbers: a negative number is not a formula."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, object]]) -> None:
    """One header row, then one row per mapping (missing keys are empty cells). UTF-8 with a
    byte-order mark so spreadsheets read accents and emoji correctly; owner-only file."""
    with open_private(path, encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([safe_cell(column) for column in columns])
        for row in rows:
            writer.writerow([safe_cell(row.get(column)) for column in columns])
