"""Exports delivered in several archives (Meta's large downloads): the parts given together, or
in a folder of their own, are read as ONE export; a missing part is reported, never hidden."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from transforms.archive import ExportFiles
from transforms.inbox import find_exports
from transforms.ingest import export_sha256, ingest_export
from transforms.parts import group_exports, missing_parts, part_name
from transforms.platforms import facebook, instagram
from transforms.records import Coverage

FIXTURES = Path(__file__).parent / "fixtures"
FB_STEM = "facebook-amelie.durand.example-2024-05-01-Ab3dE9"
ROSTER = "person_id,display_name,team,role,regulator,facebook\np1,Amélie Durand,a,nurse,nmc,\n"


def split_into_parts(folder: Path, target: Path, names: list[str]) -> list[Path]:
    """The export's files dealt round-robin into len(names) zips, each keeping the full paths,
    as Meta spreads one export's folders over its parts."""
    target.mkdir(parents=True, exist_ok=True)
    files = sorted(file for file in folder.rglob("*") if file.is_file())
    parts = [target / name for name in names]
    for index, part in enumerate(parts):
        with zipfile.ZipFile(part, "w") as archive:
            for file in files[index :: len(parts)]:
                archive.write(file, file.relative_to(folder).as_posix())
    return parts


def parse(parser, source) -> tuple[list[tuple[str, str, str]], Coverage]:
    with ExportFiles(source) as files:
        layout = parser.detect(files)
        coverage = Coverage()
        items = sorted(
            (r.created_at.isoformat(), r.kind, r.text)
            for r in parser.parse(files, layout, coverage)
        )
    return items, coverage


def expected_items(platform: str, case: str) -> list[tuple[str, str, str]]:
    expected = json.loads((FIXTURES / platform / f"{case}.expected.json").read_text())
    return sorted((p["created_at"], p["kind"], p["text"]) for p in expected["posts"])


# -- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "stem", "number", "explicit"),
    [
        (f"{FB_STEM}-part1.zip", FB_STEM.lower(), 1, True),
        (
            "instagram-nurse.sam-2024-05-01-Qw12_part3.ZIP",
            "instagram-nurse.sam-2024-05-01-qw12",
            3,
            True,
        ),
        (f"{FB_STEM}_2.zip", FB_STEM.lower(), 2, False),
        ("archive-2022.part 2.tar.gz", "archive-2022", 2, True),
    ],
)
def test_part_names_are_recognised(name: str, stem: str, number: int, explicit: bool) -> None:
    part = part_name(name)
    assert part is not None and (part.stem, part.number, part.explicit) == (stem, number, explicit)


@pytest.mark.parametrize(
    "name", [f"{FB_STEM}.zip", "twitter-2024-05-01.zip", "counterpart2.zip", "posts_1.json"]
)
def test_other_names_are_not_parts(name: str) -> None:
    assert part_name(name) is None


def test_grouping_keeps_separate_exports_apart(tmp_path: Path) -> None:
    names = [
        f"{FB_STEM}-part2.zip",
        "twitter.zip",
        f"{FB_STEM}-part1.zip",
        "export_2.zip",  # a bare number alone is not a part
        "insta_1.zip",
        "insta_2.zip",
    ]
    for name in names:
        (tmp_path / name).write_bytes(b"")
    groups = group_exports([tmp_path / name for name in names])
    assert [[path.name for path in group] for group in groups] == [
        [f"{FB_STEM}-part1.zip", f"{FB_STEM}-part2.zip"],
        ["twitter.zip"],
        ["export_2.zip"],
        ["insta_1.zip", "insta_2.zip"],
    ]


@pytest.mark.parametrize(
    ("names", "missing"),
    [
        (["x-part1.zip", "x-part2.zip"], []),
        (["x-part1.zip", "x-part3.zip"], [2]),
        (["x-part2.zip"], [1]),
        (["x_2.zip", "x_3.zip"], [1]),
        (["x_2.zip"], []),  # one bare number says nothing
        (["x-part1.zip", "y-part3.zip"], []),  # not one export's numbering
    ],
)
def test_missing_parts(names: list[str], missing: list[int]) -> None:
    assert missing_parts(names) == missing


# -- reading the parts as one export --------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "case", "parser"),
    [
        ("facebook", "layout_2024", facebook.Parser()),
        ("instagram", "layout_2024", instagram.Parser()),
    ],
)
def test_parts_together_give_exactly_the_whole_exports_items(
    platform: str, case: str, parser, tmp_path: Path
) -> None:
    folder = FIXTURES / platform / case
    names = [f"{platform}-amelie-2024-05-01-Ab3dE9_{n}.zip" for n in (1, 2, 3)]
    parts = split_into_parts(folder, tmp_path / "inbox", names)

    whole, whole_coverage = parse(parser, folder)
    given, given_coverage = parse(parser, parts)
    in_folder, _ = parse(parser, tmp_path / "inbox")

    assert whole == given == in_folder == expected_items(platform, case)
    assert given_coverage.as_dict() | {"parts": {}} == whole_coverage.as_dict()
    with ExportFiles(parts) as files:
        assert files.parts == names
    for part in parts:  # each part alone is incomplete: that is why they must be read together
        items, _ = parse(parser, part) if _detects(parser, part) else ([], None)
        assert len(items) < len(whole)


def _detects(parser, source: Path) -> bool:
    with ExportFiles(source) as files:
        return parser.detect(files) is not None


def test_parts_hash_alike_given_one_by_one_or_in_a_folder(tmp_path: Path) -> None:
    names = [f"{FB_STEM}-part1.zip", f"{FB_STEM}-part2.zip"]
    parts = split_into_parts(FIXTURES / "facebook" / "layout_2024", tmp_path / "parts", names)
    assert export_sha256(parts) == export_sha256(list(reversed(parts)))
    assert export_sha256(parts) == export_sha256(tmp_path / "parts")
    assert export_sha256(parts) != export_sha256(parts[0])


# -- ingest ---------------------------------------------------------------------------------------


@pytest.fixture
def con(rostered_db: Callable[[str], duckdb.DuckDBPyConnection]) -> duckdb.DuckDBPyConnection:
    return rostered_db(ROSTER)


def test_parts_are_ingested_as_one_export_and_reingest_changes_nothing(con, tmp_path) -> None:
    names = [f"{FB_STEM}-part{n}.zip" for n in (1, 2, 3)]
    parts = split_into_parts(FIXTURES / "facebook" / "layout_2024", tmp_path / "p", names)

    result = ingest_export(con, parts, "p1")

    assert result.status == "ingested", result.reason
    assert result.file_name == f"{FB_STEM}-part1.zip (+2 more parts)"
    assert result.coverage["parts"] == {"read": names, "missing": [], "repeated_files": []}
    stored = sorted(con.execute("SELECT text FROM posts").fetchall())
    assert sorted(text for _, _, text in expected_items("facebook", "layout_2024")) == sorted(
        text for (text,) in stored
    )
    assert con.execute("SELECT count(*) FROM archives").fetchone()[0] == 1
    assert ingest_export(con, tmp_path / "p", "p1").status == "duplicate"  # same parts, a folder


def test_a_missing_part_is_reported_and_marks_nothing_deleted(con, tmp_path) -> None:
    names = [f"{FB_STEM}-part{n}.zip" for n in (1, 2, 3)]
    parts = split_into_parts(FIXTURES / "facebook" / "layout_2024", tmp_path / "p", names)
    complete = ingest_export(con, parts, "p1")

    partial = ingest_export(con, [parts[0], parts[2]], "p1")

    assert partial.status == "ingested"
    assert partial.coverage["parts"]["missing"] == [2]
    assert partial.changes.gone == 0  # the posts of part 2 were not deleted by the person
    present = con.execute("SELECT count(*) FROM posts WHERE present").fetchone()[0]
    assert present == complete.coverage["records_stored"]


def test_inbox_groups_loose_parts_and_folders_of_parts(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    fb = FIXTURES / "facebook" / "layout_2024"
    loose = split_into_parts(fb, inbox / "p1", [f"{FB_STEM}_1.zip", f"{FB_STEM}_2.zip"])
    (inbox / "p1" / "twitter.zip").write_bytes(b"")
    split_into_parts(fb, inbox / "p2" / "facebook", ["a-part1.zip", "a-part2.zip"])

    found = {(e.person_id, tuple(p.name for p in e.paths)) for e in find_exports(inbox)}

    assert found == {
        ("p1", tuple(path.name for path in loose)),
        ("p1", ("twitter.zip",)),
        ("p2", ("facebook",)),  # a folder holding only the parts: ExportFiles reads them all
    }
