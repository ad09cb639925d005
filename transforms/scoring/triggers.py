"""A cheap first pass that tells which regexes can possibly match a text, so the costly ones run
only on the few posts that hold one of their trigger words.

Most rulebook regexes read `\\b(?:word|word|...)...`: every match starts at a word boundary with
one of a few literal words. Those literal starts ("trigger prefixes", up to ten characters,
spaces, digits and '#' or '@' tags included) are read from the pattern's parse tree. A text is
folded once (lower case, white space runs as one space), and a regex runs only when one of its
prefixes begins at the start of a word (or on the '#' or '@' before one). The test is a
necessary condition, never a sufficient one, so the regex itself still decides, and every
finding is the same as if every regex had run. A regex whose start cannot be read this way (a
large character class, a lookbehind only, a non-ASCII character) simply always runs.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from transforms.scoring import index_cache

try:  # Python 3.11+
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

_MAX_PREFIX = 10  # characters kept per trigger: enough to be selective, few lookups per word
_MAX_ALTERNATIVES = 400  # more starts than this and the regex is not worth a first pass

# Characters that `re.IGNORECASE` matches to an ASCII letter although str.lower() does not map
# them to it (checked against every code point for Python 3.11's `re`).
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_SPACES = re.compile(r"\s+")
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")

_Start = tuple[str, bool]  # (literal start, whether the item was exactly that literal)
_ANYTHING: set[_Start] = {("", False)}


def fold(text: str) -> str:
    """The text as the triggers see it: lower case, IGNORECASE look-alikes made ASCII, every
    run of white space one space (a pattern's white space then reads as one space too)."""
    return _SPACES.sub(" ", text.translate(_FOLD).lower())


def trigger_prefixes(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Folded literal starts, one of which begins every match; None when there are none."""
    if pattern.flags & (re.ASCII | re.LOCALE):
        return None  # their \\b is not the Unicode word boundary the words are split on
    return _prefixes(list(sre_parse.parse(pattern.pattern, pattern.flags)))


def _prefixes(items: list[tuple[Any, Any]]) -> frozenset[str] | None:
    while items and items[0][0] is sre_constants.SUBPATTERN:  # a leading group: its contents
        items = list(items[0][1][-1]) + items[1:]
    if items and items[0][0] is sre_constants.BRANCH:  # a leading alternation: each branch
        found: set[str] = set()
        for branch in items[0][1][1]:
            prefixes = _prefixes(list(branch) + items[1:])
            if prefixes is None:
                return None
            found |= prefixes
        return frozenset(found)
    position, word_start = 0, False
    while position < len(items):  # zero-width assertions before the first character
        op, value = items[position]
        boundary = op is sre_constants.AT and value is sre_constants.AT_BOUNDARY
        if boundary or op is sre_constants.ASSERT_NOT and _not_after_a_word_character(value):
            word_start = True
        elif op not in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            break
        position += 1
    prefixes = frozenset(text for text, _ in _sequence_starts(items[position:]))
    if prefixes and all(_anchored(text, word_start) for text in prefixes):
        return prefixes
    return None


def _not_after_a_word_character(assertion: tuple[int, Any]) -> bool:
    """A lookbehind like (?<!\\w) or (?<![\\w@]): one preceding character, never a word one."""
    direction, body = assertion
    items = list(body)
    if direction != -1 or len(items) != 1 or items[0][0] is not sre_constants.IN:
        return False
    return (sre_constants.CATEGORY, sre_constants.CATEGORY_WORD) in items[0][1]


def _anchored(prefix: str, word_start: bool) -> bool:
    """Whether a match with this prefix can only begin where `candidates` looks: at the start
    of a word, or on a '#' or '@' just before one."""
    if word_start and _is_word_char(prefix[:1]):
        return True
    return len(prefix) > 1 and prefix[0] in "#@" and _is_word_char(prefix[1])


def _sequence_starts(items: Iterable[tuple[object, object]]) -> set[_Start]:
    starts: set[_Start] = {("", True)}
    for op, value in items:
        if not any(open_ for _, open_ in starts):
            break
        following = _item_starts(op, value)
        longer = {
            _joined(text, more, exact) if open_ else (text, False)
            for text, open_ in starts
            for more, exact in (following if open_ else [("", False)])
        }
        if len(longer) > _MAX_ALTERNATIVES:  # too many to index: the starts so far will do
            return {(text, False) for text, _ in starts}
        starts = longer
    return starts


def _joined(text: str, more: str, exact: bool) -> _Start:
    if text.endswith(" ") and more.startswith(" "):
        more = more[1:]  # white space items in a row match one run: one space once folded
    joined = text + more
    if len(joined) >= _MAX_PREFIX:
        return joined[:_MAX_PREFIX], False
    return joined, exact


def _item_starts(op: object, value: object) -> set[_Start]:
    """How one parse-tree item can begin; ("", False) ends the literal start."""
    constants = sre_constants
    if op is constants.LITERAL:
        return {_char(value)}  # type: ignore[arg-type]
    if op is constants.IN:
        entries = list(value)  # type: ignore[call-overload]
        chars = _class_chars(entries)
        return {_char(ord(char)) for char in chars} if chars else set(_ANYTHING)
    if op is constants.SUBPATTERN:
        return _sequence_starts(value[-1])  # type: ignore[index]
    if op is constants.BRANCH:
        return {start for branch in value[1] for start in _sequence_starts(branch)}  # type: ignore[index]
    if op in (constants.MAX_REPEAT, constants.MIN_REPEAT):
        low, high, body = value  # type: ignore[misc]
        starts = _sequence_starts(body)
        if low == 0:  # absent, so what follows may start the match; or present, and it does
            return {("", True)} | {(text, False) for text, _ in starts}
        if starts == {(" ", True)}:
            return starts  # a run of white space, however long: one space once folded
        exact = low == high == 1
        return {(text, exact and done) for text, done in starts}
    if op in (constants.AT, constants.ASSERT, constants.ASSERT_NOT):
        return {("", True)}  # zero width: the start goes on after it
    return set(_ANYTHING)


def _class_chars(entries: list[tuple[Any, Any]]) -> str | None:
    """The characters a small character class stands for as folded text holds them (\\s as
    one space, \\d as the ASCII digits); None for a large or negated class."""
    constants = sre_constants
    chars = ""
    for kind, value in entries:
        if kind is constants.LITERAL:
            chars += chr(value)
        elif kind is constants.RANGE and value[1] - value[0] < 10:
            chars += "".join(map(chr, range(value[0], value[1] + 1)))
        elif kind is constants.CATEGORY and value is constants.CATEGORY_SPACE:
            chars += " "
        elif kind is constants.CATEGORY and value is constants.CATEGORY_DIGIT:
            chars += "0123456789"  # texts with other digits skip the first pass (candidates)
        else:
            return None
    return chars if len(chars) <= 12 else None


def _char(code: int) -> _Start:
    """A literal character as folded text holds it; a cased non-ASCII one ends the start (its
    case variants are too many to list), an uncased one (an emoji, '£', '’') is kept."""
    char = fold(chr(code))
    if char.isspace():
        return " ", True
    if len(char) == 1 and char.isprintable() and (char.isascii() or _uncased(char)):
        return char, True
    return "", False


def _uncased(char: str) -> bool:
    return char.lower() == char == char.upper() and not char.isdigit()


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def has_group_reference(pattern: re.Pattern[str]) -> bool:
    """Whether the pattern refers back to a group (`\\1`, `(?P=name)`, `(?(1)...)`), so its
    alternatives cannot be compiled apart without changing what they match."""
    if not pattern.groups:
        return False
    pending: list[Any] = [sre_parse.parse(pattern.pattern, pattern.flags)]
    while pending:
        for op, value in pending.pop():
            if op in (sre_constants.GROUPREF, sre_constants.GROUPREF_EXISTS):
                return True
            pending += _subsequences(value)
    return False


def _subsequences(value: Any) -> list[Any]:
    """The parse-tree sequences nested in an item's value (a group's, a branch's, a repeat's)."""
    found = []
    for part in value if isinstance(value, (tuple, list)) else ():
        if isinstance(part, sre_parse.SubPattern):
            found.append(part)
        elif isinstance(part, (tuple, list)):
            found += _subsequences(part)
    return found


# -- literals required anywhere ------------------------------------------------------------------


def required_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Folded literals one of which occurs somewhere in every text the pattern matches (the
    most selective such set the parse tree offers); None when there is none."""
    if pattern.flags & (re.ASCII | re.LOCALE):
        return None
    return _most_selective(_factors(list(sre_parse.parse(pattern.pattern, pattern.flags))))


def _factors(items: list[tuple[Any, Any]]) -> list[frozenset[str]]:
    """Sets of literals, each necessary for the sequence to match: the starts of every suffix
    of the sequence (the suffix matches somewhere, so one of its starts occurs), and those of
    the groups and alternations it must go through."""
    constants = sre_constants
    found = []
    for position, (op, value) in enumerate(items):
        if (
            op in _NO_START
            or (op in _REPEATS and value[0] == 0)
            or position
            and (op is constants.LITERAL and items[position - 1][0] is constants.LITERAL)
        ):
            continue  # zero width, optional, or inside a literal run: the next start is as good
        texts = {text for text, _ in _sequence_starts(items[position:])}
        if texts and "" not in texts:
            found.append(frozenset(texts))
        if op is constants.SUBPATTERN:
            found += _factors(list(value[-1]))
        elif op in _REPEATS and value[0] >= 1:
            found += _factors(list(value[2]))
        elif op is constants.BRANCH:
            branches = [_most_selective(_factors(list(branch))) for branch in value[1]]
            if all(branches) and sum(map(len, branches)) <= _MAX_ALTERNATIVES:  # type: ignore[arg-type]
                found.append(frozenset().union(*branches))  # type: ignore[arg-type]
    return found


_NO_START = (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT, sre_constants.ANY)
_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT)


def _most_selective(factors: list[frozenset[str]]) -> frozenset[str] | None:
    return max(factors, key=_selectivity, default=None)


def _selectivity(literals: Iterable[str], anchored: bool = False) -> tuple[float, int]:
    """How rarely a set of literals is expected to occur: its least selective literal decides
    (punctuation and symbols count more than letters, a space less), then fewer literals."""
    weights = [sum(_CHAR_WEIGHT.get(_char_kind(char), 2.0) for char in text) for text in literals]
    return min(weights) + (_ANCHOR_WEIGHT if anchored else 0.0), -len(weights)


def _char_kind(char: str) -> str:
    return "space" if char == " " else "word" if _is_word_char(char) else "other"


_CHAR_WEIGHT = {"space": 0.5, "word": 1.0, "other": 2.0}
_ANCHOR_WEIGHT = 1.0  # a prefix must also begin a word: about one more letter's worth
_SELECTIVE_ENOUGH = 5.0  # prefixes this selective are used without looking for better literals


# -- the index -------------------------------------------------------------------------------


class TriggerIndex:
    """Which of a list of regexes may match a text. Each regex is indexed by its more selective
    trigger: literal starts at the start of a word (`trigger_prefixes`), or literals anywhere
    (`required_literals`); one without either always runs. Every text is folded and scanned
    twice by a compiled regex of all triggers (in C, at every position), which reports the
    longest trigger at each place: the shorter ones found there are its own prefixes. Reading
    the triggers takes about 2 CPU-s for a large rulebook; given a cache folder, they are kept
    there (index_cache.py) for the next process with the same regexes."""

    def __init__(self, patterns: Sequence[re.Pattern[str]], cache: Path | None = None) -> None:
        self._count = len(patterns)
        key = _cache_key(patterns)
        state = (
            _checked(index_cache.read(cache, _CACHE_KIND, key), len(patterns)) if cache else None
        )
        if state is None:
            state = _triggers(patterns)
            if cache:
                index_cache.write(cache, _CACHE_KIND, key, state)
        self._always: list[int] = state["always"]
        # At a word start, or on a '#' or '@' (just before one, since triggers go on with a word
        # character): every place a prefix may begin, and a few more.
        self._at_words = _Scan(state["at_words"], state["at_words_trie"], r"(?:(?<!\w)|(?=[#@]))")
        self._anywhere = _Scan(state["anywhere"], state["anywhere_trie"], "")

    @property
    def always(self) -> int:
        """How many regexes run on every text."""
        return len(self._always)

    def candidates(self, text: str) -> list[int]:
        """Indexes of the regexes that may match, in their original order."""
        if _OTHER_DIGIT.search(text):  # \d matches it, but the triggers only know 0-9
            return list(range(self._count))
        folded = fold(text)
        found = set(self._always)
        self._at_words.add_matches(folded, found)
        self._anywhere.add_matches(folded, found)
        return sorted(found)


def _triggers(patterns: Sequence[re.Pattern[str]]) -> dict[str, Any]:
    """Each regex's triggers (or none: it always runs), and the tries that scan for them."""
    always: list[int] = []
    at_words: dict[str, list[int]] = defaultdict(list)
    anywhere: dict[str, list[int]] = defaultdict(list)
    for index, pattern in enumerate(patterns):
        prefixes = trigger_prefixes(pattern)
        selective = prefixes and _selectivity(prefixes, True)[0] >= _SELECTIVE_ENOUGH
        literals = None if selective else required_literals(pattern)  # costs some time
        if prefixes and (not literals or _selectivity(prefixes, True) >= _selectivity(literals)):
            for prefix in prefixes:
                at_words[prefix].append(index)
        elif literals:
            for literal in literals:
                anywhere[literal].append(index)
        else:
            always.append(index)
    return {
        "always": always,
        "at_words": dict(at_words),
        "at_words_trie": _trie_regex(at_words),
        "anywhere": dict(anywhere),
        "anywhere_trie": _trie_regex(anywhere),
    }


_CACHE_KIND = "first-pass"
_CODE = Path(__file__)  # its text is part of the key: a change here invalidates the cache


def _cache_key(patterns: Sequence[re.Pattern[str]]) -> str:
    described = [sys.version, [(p.pattern, p.flags) for p in patterns]]
    digest = hashlib.sha256(_CODE.read_bytes())
    digest.update(json.dumps(described).encode())
    return digest.hexdigest()


def _checked(state: Any, count: int) -> dict[str, Any] | None:
    """A cached state, when it has the shape `_triggers` gives and every index is in range."""

    def indexes(value: Any) -> bool:
        return isinstance(value, list) and all(type(i) is int and 0 <= i < count for i in value)

    def triggers(value: Any) -> bool:
        return isinstance(value, dict) and all(
            isinstance(k, str) and k and indexes(v) for k, v in value.items()
        )

    if not isinstance(state, dict) or set(state) != {
        "always",
        "at_words",
        "at_words_trie",
        "anywhere",
        "anywhere_trie",
    }:
        return None
    shaped = (
        indexes(state["always"])
        and triggers(state["at_words"])
        and triggers(state["anywhere"])
        and isinstance(state["at_words_trie"], str)
        and isinstance(state["anywhere_trie"], str)
    )
    return state if shaped else None


class _Scan:
    """Triggers compiled into one regex (a trie of alternations, longer first) that finds, at
    each place it may begin, the longest trigger there; each trigger maps to the regexes of
    every trigger it begins with."""

    def __init__(self, triggers: dict[str, list[int]], trie: str, at: str) -> None:
        self._regexes: dict[str, frozenset[int]] = {
            trigger: frozenset(
                index
                for end in range(1, len(trigger) + 1)
                for index in triggers.get(trigger[:end], ())
            )
            for trigger in triggers
        }
        self._scan = re.compile(f"{at}(?=({trie}))") if triggers else None

    def add_matches(self, folded: str, found: set[int]) -> None:
        if self._scan is not None:
            for trigger in set(self._scan.findall(folded)):
                found.update(self._regexes[trigger])


def _trie_regex(words: Iterable[str]) -> str:
    """An alternation of the words as a trie, each optional ending after its longer ways on,
    so a match is the longest word at its place."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[_HERE] = {}

    def emit(node: dict[str, Any]) -> str:
        ways = [re.escape(char) + emit(rest) for char, rest in sorted(node.items()) if char]
        if not ways:
            return ""
        body = ways[0] if len(ways) == 1 else f"(?:{'|'.join(ways)})"
        return f"(?:{body})?" if _HERE in node else body

    return emit(trie)


_HERE = ""  # the trie key marking the end of a word (no character is empty)
