"""The hostile-input suite: every hostile or broken export is refused with a reason naming it,
the rest of the batch goes on, nothing is written outside the working folder, and nothing
already stored changes. Odd but legitimate content is stored as text, exactly."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from socialaudit import db
from socialaudit.settings import PROJECT_ROOT
from tests import hostile_exports
from tests.x_export import tweet, write_x_export
from transforms.ingest import ingest_export


def stored_state(con: duckdb.DuckDBPyConnection) -> list[object]:
    return [con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in ("posts",)] + [
        con.execute(
            "SELECT sha256, status FROM archives WHERE status = 'ingested' ORDER BY 1"
        ).fetchall()
    ]


@pytest.fixture
def store(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = db.connect(tmp_path / "work" / "org.duckdb")
    ingest_export(
        con,
        write_x_export(
            tmp_path / "good",
            "someone",
            [tweet("100", "an honest post already stored", datetime(2023, 5, 1))],
        ),
    )
    yield con
    con.close()


@pytest.mark.parametrize("name", hostile_exports.REFUSED)
def test_hostile_export_is_refused_and_changes_nothing(store, tmp_path: Path, name: str) -> None:
    before = stored_state(store)
    outside = set(tmp_path.parent.iterdir())
    export = hostile_exports.REFUSED[name](tmp_path)
    result = ingest_export(store, export)
    assert result.status == "quarantined", name
    assert export.name in (result.reason or ""), f"{name}: reason must name the file"
    assert stored_state(store) == before
    assert set(tmp_path.parent.iterdir()) == outside, "something was written outside"
    assert not Path("/tmp/evil.js").exists()
    row = store.execute(
        "SELECT status, reason FROM archives WHERE file_name = ?", [export.name]
    ).fetchone()
    assert row[0] == "quarantined" and row[1] == result.reason


@pytest.mark.parametrize("name", hostile_exports.STORED)
def test_odd_content_is_stored_as_exact_text(store, tmp_path: Path, name: str) -> None:
    export = hostile_exports.STORED[name](tmp_path)
    result = ingest_export(store, export)
    assert result.status == "ingested", result.reason
    texts = [
        r[0]
        for r in store.execute(
            "SELECT text FROM posts WHERE archive_sha256 = ?", [result.sha256]
        ).fetchall()
    ]
    assert texts, name
    if "markup" in export.name:
        assert texts == [
            "<script>alert(1)</script> ![x](http://evil.example/x.png) "
            "[click](javascript:alert(1)) \u202egnp.exe\u202c \x07\x1b[31m "
            '=HYPERLINK("http://evil.example")'
        ]
    if "duplicates" in export.name:
        assert len(texts) == 1 and result.coverage["skipped"] == {"duplicate_id": 1}
    if "bad-time" in export.name:
        assert texts == ["fine"] and result.coverage["skipped"] == {"bad_timestamp": 1}


def test_the_batch_goes_on_after_a_hostile_export(store, tmp_path: Path) -> None:
    results = [ingest_export(store, build(tmp_path)) for build in hostile_exports.REFUSED.values()]
    good = ingest_export(
        store,
        write_x_export(
            tmp_path / "after",
            "someone",
            [tweet("101", "posted after the hostile ones", datetime(2024, 5, 1))],
        ),
    )
    assert all(r.status == "quarantined" for r in results)
    assert good.status == "ingested" and good.changes.added == 1


def test_peak_memory_stays_bounded_on_bombs(tmp_path: Path) -> None:
    """A 3 GB bomb is refused without inflating: the child's peak RSS stays a few hundred MB."""
    bomb = tmp_path / "three-gb-bomb.zip"
    with (
        zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("data/tweets.js", "w", force_zip64=True) as member,
    ):
        chunk = b"\0" * (64 * 1024 * 1024)
        for _ in range(48):  # 3 GiB of zeros, compressed to a few MB
            member.write(chunk)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the (large) pytest parent.
    script = (
        "import re; from pathlib import Path; from socialaudit import db;"
        "from transforms.ingest import ingest_export;"
        f"con = db.connect(Path({str(tmp_path / 'm.duckdb')!r}));"
        f"r = ingest_export(con, Path({str(bomb)!r}));"
        "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1);"
        "print(r.status, hwm)"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ),
    ).stdout.split()
    status, peak_kb = out[0], int(out[1])
    assert status == "quarantined"
    assert peak_kb < 600 * 1024, f"peak RSS {peak_kb // 1024} MB"


def test_suite_size() -> None:
    """The README states how many hostile inputs the suite tries; keep it honest."""
    assert len(hostile_exports.REFUSED) + len(hostile_exports.STORED) == 25
