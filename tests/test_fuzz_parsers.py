"""Property-based fuzzing of every parser on its own fixtures, structurally mutated.

Each run takes a real-layout fixture, picks one file the parser reads, and replaces one node of
its JSON (or one cell of its CSV, or the whole file) with arbitrary data. Whatever the input, a
parser may yield records or refuse the export with ArchiveError / UnrecognisedExport naming the
file; any other exception is a bug: in production it would stop that export being read.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transforms.archive import ArchiveError, ExportFiles
from transforms.platforms import UnrecognisedExport, detect_all
from transforms.records import Coverage

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(
    p
    for p in FIXTURES.glob("*/*")
    if p.is_dir()
    and p.parent.name not in ("rulebook_min",)
    and (p.parent / f"{p.name}.expected.json").exists()
)
DATA_SUFFIXES = (".js", ".json", ".csv", ".jsonl")
EXAMPLES = int(os.environ.get("SOCIALAUDIT_FUZZ_EXAMPLES", 60))  # per fixture case

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def data_files(case: Path) -> list[Path]:
    return sorted(p for p in case.rglob("*") if p.is_file() and p.suffix in DATA_SUFFIXES)


def replace_node(tree: Any, path: list[int], value: Any) -> Any:
    """Replace the node reached by following `path` (indices into containers) with value."""
    if not path or not isinstance(tree, (list, dict)) or not tree:
        return value
    keys = list(range(len(tree))) if isinstance(tree, list) else list(tree)
    key = keys[path[0] % len(keys)]
    tree[key] = replace_node(tree[key], path[1:], value)
    return tree


def mutate(text: str, suffix: str, path: list[int], value: Any, raw: str, mode: int) -> str:
    if mode == 0:
        return raw  # the whole file replaced by arbitrary text
    if suffix in (".json", ".js"):
        prefix, body = "", text
        if suffix == ".js" and "=" in text:
            head, body = text.split("=", 1)
            prefix = head + "= "
        try:
            tree = json.loads(body.strip().rstrip(";"))
        except ValueError:
            return raw
        return prefix + json.dumps(replace_node(tree, path, value))
    lines = text.splitlines() or [""]
    row = path[0] % len(lines) if path else 0
    cells = lines[row].split(",")
    cells[path[1] % len(cells) if len(path) > 1 else 0] = json.dumps(value)
    lines[row] = ",".join(cells)
    return "\n".join(lines)


def parse_everything(folder: Path) -> int:
    with ExportFiles(folder) as files:
        coverage = Coverage()
        yielded = 0
        for parser, layout in detect_all(files):
            parser.account(files)
            yielded += sum(1 for _ in parser.parse(files, layout, coverage))
        return yielded


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_parsers_survive_mutated_exports(case: Path) -> None:
    files = data_files(case)
    assert files, f"{case} has no data files to fuzz"

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        which=st.integers(0, len(files) - 1),
        path=st.lists(st.integers(0, 50), max_size=6),
        value=json_values,
        raw=st.text(max_size=200),
        mode=st.integers(0, 4),
    )
    def run(which: int, path: list[int], value: Any, raw: str, mode: int) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / case.name
            shutil.copytree(case, copy)
            target = copy / files[which].relative_to(case)
            original = target.read_text(encoding="utf-8-sig", errors="replace")
            target.write_text(mutate(original, target.suffix, path, value, raw, mode))
            try:
                parse_everything(copy)
            except (ArchiveError, UnrecognisedExport) as refusal:
                assert str(refusal), "a refusal must say why"

    run()


def test_fuzz_covers_every_platform() -> None:
    platforms = {case.parent.name for case in CASES}
    assert platforms >= {
        "twitter",
        "facebook",
        "instagram",
        "threads",
        "tiktok",
        "linkedin",
        "mastodon",
        "bluesky",
        "reddit",
        "generic",
    }
    assert not re.search(r"\s", "".join(str(c) for c in CASES))
