"""The scoring engine's first pass: a regex it skips can never match the text."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.generate import post_texts
from transforms.scoring.engine import Scorer
from transforms.scoring.triggers import (
    TriggerIndex,
    has_group_reference,
    required_literals,
    trigger_prefixes,
)


@pytest.mark.parametrize(
    ("pattern", "prefixes"),
    [
        (r"(?i)\b(?:idiots?|moron)\b", {"idiot", "idiots", "moron"}),
        (r"(?i)\b(?:the\s+)?(?:worst|most)\s+patient", {"the ", "worst pati", "most patie"}),
        (r"(?i)(?<!\w)#(?:nhs|icu)\b", {"#nhs", "#icu"}),
        (r"\b(?:Ward|WARD)\s+\d", {"ward 0", "ward 1", "ward 2", "ward 3", "ward 4", "ward 5",
                                  "ward 6", "ward 7", "ward 8", "ward 9"}),
        (r"(?i)\bswipe up\b|\blink in bio\b", {"swipe up", "link in bi"}),
    ],
)  # fmt: skip
def test_literal_starts_are_read_from_the_pattern(pattern: str, prefixes: set[str]) -> None:
    assert trigger_prefixes(re.compile(pattern)) == prefixes


@pytest.mark.parametrize(
    "pattern",
    [r"\d{3} \d{3}", r"(?i)stupid", r"\b[A-Z][a-z]+ Road", r"(?a)\bword", r"\b(?:x|\w+)y"],
)
def test_patterns_without_a_literal_word_start_always_run(pattern: str) -> None:
    assert trigger_prefixes(re.compile(pattern)) is None


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        (r"(?<![\w@])@[A-Za-z0-9_]{2,}", {"@"}),
        (r"\b[A-Z][a-z]+\s+(?:Road|Street)\b", {" road", " street"}),
        (r"(?:™|®)", {"™", "®"}),
        (r"\b\w+ (?:is|was) (?:a )?muppet", {"muppet"}),
        (r"(?i)\b[a-z]{3,}(?:pril|olol)\b", {"pril", "olol"}),
        (r"\d+|[a-z]+", None),
        (r"(?a)@\w+", None),
    ],
)  # fmt: skip
def test_literals_required_anywhere_are_read_from_the_pattern(
    pattern: str, literals: set[str] | None
) -> None:
    assert required_literals(re.compile(pattern)) == literals


@pytest.mark.parametrize(
    ("pattern", "refers"),
    [(r"(a)\1", True), (r"(?P<x>a)b|c(?P=x)", True), (r"(a)?(?(1)b|c)", True),
     (r"(?:(a)|b)(?=\1)", True), (r"(a)|b", False), (r"x(?:y|(z))+", False), (r"abc", False)],
)  # fmt: skip
def test_references_to_groups_are_found_at_any_depth(pattern: str, refers: bool) -> None:
    assert has_group_reference(re.compile(pattern)) is refers


def test_a_trigger_inside_another_is_found() -> None:
    """The scan reports the longest trigger at each place; shorter ones there and triggers
    that begin inside it are found too."""
    regexes = [re.compile(p) for p in (r"\bthe\b", r"\bthere\b", r"here", r"[a-z]+@[a-z]+")]
    index = TriggerIndex(regexes)
    assert index.always == 0
    assert index.candidates("over there") == [0, 1, 2]
    assert index.candidates("x@y") == [3]
    assert index.candidates("nothing") == []


@pytest.fixture(scope="module")
def rulebook_index() -> tuple[list[re.Pattern[str]], TriggerIndex]:
    regexes = [regex for _, regex in Scorer.load().matcher.regexes]
    return regexes, TriggerIndex(regexes)


def assert_no_match_is_skipped(index: TriggerIndex, regexes: list[re.Pattern[str]], text: str):
    candidates = set(index.candidates(text))
    for number, regex in enumerate(regexes):
        if number not in candidates:
            assert regex.search(text) is None, (regex.pattern, text)


def test_every_rulebook_regex_that_matches_a_post_is_a_candidate(rulebook_index) -> None:
    regexes, index = rulebook_index
    texts = post_texts(random.Random(4), breaking_share=0.5)
    for _ in range(1500):
        assert_no_match_is_skipped(index, regexes, next(texts))


words = st.sampled_from(
    ["Patient", "bed 4", "84yo", "#NHS", "@sam_x", "İdiot", "ſtupid", "KELVIN", "٣", "3",
     "vaccines", "the  shot", "coke", "\n", "A&E", "Mrs Khan", "off", "20%", "£5", "™"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(words | st.text(max_size=6), max_size=12))
def test_no_regex_is_skipped_on_arbitrary_text(rulebook_index, pieces: list[str]) -> None:
    regexes, index = rulebook_index
    assert_no_match_is_skipped(index, regexes, " ".join(pieces))


def test_the_cached_index_finds_what_a_fresh_one_finds(tmp_path, rulebook_index) -> None:
    regexes, fresh = rulebook_index
    texts = post_texts(random.Random(5), breaking_share=0.5)
    sample = [next(texts) for _ in range(300)]
    TriggerIndex(regexes, tmp_path)  # writes the cache
    (entry,) = tmp_path.glob("first-pass-*.json")
    cached = TriggerIndex(regexes, tmp_path)
    assert [cached.candidates(t) for t in sample] == [fresh.candidates(t) for t in sample]
    assert cached.always == fresh.always
    assert entry.stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    "spoil",
    [
        lambda entry: entry.write_text('{"always": [0]'),  # cut short
        lambda entry: entry.write_text('{"always": [99999], "at_words": {}}'),  # not its shape
        lambda entry: entry.chmod(0o666),  # writable by others: not trusted
    ],
)
def test_a_spoilt_cache_is_rebuilt_not_believed(tmp_path, spoil) -> None:
    regexes = [re.compile(p) for p in (r"\bthe\b", r"\bthere\b", r"here", r"[a-z]+@[a-z]+")]
    TriggerIndex(regexes, tmp_path)
    (entry,) = tmp_path.glob("first-pass-*.json")
    entry.write_text(entry.read_text().replace('"here":[2]', '"here":[3]'))
    assert TriggerIndex(regexes, tmp_path).candidates("over there") == [0, 1, 3]  # believed
    spoil(entry)
    assert TriggerIndex(regexes, tmp_path).candidates("over there") == [0, 1, 2]
