"""Format checks for the labelled evaluation set (rules/eval/posts.jsonl and holdout.jsonl).

These tests check the files, not the rules: every line is a well-formed labelled post, the
labels come from the ten categories, each category has enough positives to measure, and about
half the posts are acceptable so that precision means something.
"""

import json
import re
from collections import Counter
from pathlib import Path

import pytest

EVAL_DIR = Path(__file__).resolve().parent.parent / "rules" / "eval"
POSTS = EVAL_DIR / "posts.jsonl"
HOLDOUT = EVAL_DIR / "holdout.jsonl"

CATEGORIES = frozenset(
    {
        "confidentiality",
        "patient_dignity",
        "colleague_respect",
        "discrimination",
        "offensive_language",
        "misinformation",
        "clinical_advice",
        "boundaries",
        "conflict_of_interest",
        "substance_misuse",
    }
)
FIELDS = {"id", "text", "categories", "note"}
MIN_ROWS = {POSTS: 400, HOLDOUT: 100}
ID_PATTERN = {POSTS: re.compile(r"e\d{4}"), HOLDOUT: re.compile(r"h\d{4}")}
MIN_POSITIVES_PER_CATEGORY = {POSTS: 18, HOLDOUT: 5}
NEGATIVE_SHARE = (0.4, 0.6)
MAX_TEXT_CHARS = 600
# The shape of an NHS number; only the never-issued 999 test range may appear.
NHS_NUMBER_SHAPE = re.compile(r"\b\d{3}[ -]?\d{3}[ -]?\d{4}\b")

EVAL_FILES = pytest.mark.parametrize("path", [POSTS, HOLDOUT], ids=lambda p: p.name)


def read_rows(path: Path) -> list[dict]:
    """Parse one JSON object per line, failing on the first line that is not one."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            pytest.fail(f"{path.name}:{number} is not valid JSON ({error})")
        assert isinstance(row, dict), f"{path.name}:{number} is not a JSON object"
        rows.append(row)
    return rows


@EVAL_FILES
def test_every_line_has_the_four_fields_with_the_right_types(path: Path) -> None:
    for row in read_rows(path):
        assert set(row) == FIELDS, row.get("id")
        assert isinstance(row["id"], str)
        assert isinstance(row["text"], str) and row["text"].strip(), row["id"]
        assert isinstance(row["note"], str) and row["note"].strip(), row["id"]
        assert isinstance(row["categories"], list), row["id"]


@EVAL_FILES
def test_file_is_large_enough(path: Path) -> None:
    assert len(read_rows(path)) >= MIN_ROWS[path]


@EVAL_FILES
def test_ids_follow_the_file_prefix(path: Path) -> None:
    bad = [row["id"] for row in read_rows(path) if not ID_PATTERN[path].fullmatch(row["id"])]
    assert not bad, bad


def test_ids_are_unique_across_both_files() -> None:
    counts = Counter(row["id"] for path in (POSTS, HOLDOUT) for row in read_rows(path))
    assert not [post_id for post_id, n in counts.items() if n > 1]


@EVAL_FILES
def test_categories_are_known_and_not_repeated(path: Path) -> None:
    for row in read_rows(path):
        labels = row["categories"]
        assert set(labels) <= CATEGORIES, (row["id"], labels)
        assert len(labels) == len(set(labels)), row["id"]


@EVAL_FILES
def test_each_category_has_enough_positives(path: Path) -> None:
    counts = Counter(label for row in read_rows(path) for label in row["categories"])
    short = {c: counts[c] for c in CATEGORIES if counts[c] < MIN_POSITIVES_PER_CATEGORY[path]}
    assert not short, short


@EVAL_FILES
def test_about_half_the_posts_are_acceptable(path: Path) -> None:
    rows = read_rows(path)
    share = sum(1 for row in rows if not row["categories"]) / len(rows)
    low, high = NEGATIVE_SHARE
    assert low <= share <= high, share


def test_no_text_appears_twice_across_both_files() -> None:
    counts = Counter(
        " ".join(row["text"].split()).casefold()
        for path in (POSTS, HOLDOUT)
        for row in read_rows(path)
    )
    assert not [text for text, n in counts.items() if n > 1]


@EVAL_FILES
def test_posts_are_social_media_length(path: Path) -> None:
    long = [row["id"] for row in read_rows(path) if len(row["text"]) > MAX_TEXT_CHARS]
    assert not long, long


@EVAL_FILES
def test_nhs_numbers_only_come_from_the_test_range(path: Path) -> None:
    for row in read_rows(path):
        for match in NHS_NUMBER_SHAPE.finditer(row["text"]):
            assert re.sub(r"\D", "", match.group()).startswith("999"), row["id"]
