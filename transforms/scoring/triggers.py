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

import re
from collections.abc import Iterable, Sequence
from typing import Any

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
_WORD = re.compile(r"\w+")
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
    """A literal character as folded text holds it; a non-ASCII one ends the start."""
    char = fold(chr(code))
    if char.isspace():
        return " ", True
    if len(char) == 1 and char.isascii() and char.isprintable():
        return char, True
    return "", False


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"


class TriggerIndex:
    """Which of a list of regexes may match a text: those with a trigger prefix at the start of
    one of its words, and those without triggers (always)."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        self._count = len(patterns)
        self._always: list[int] = []
        self._trie: dict[str, Any] = {}  # one level per character; _HERE holds the regexes
        for index, pattern in enumerate(patterns):
            prefixes = trigger_prefixes(pattern)
            if prefixes is None:
                self._always.append(index)
            for prefix in prefixes or ():
                node = self._trie
                for char in prefix:
                    node = node.setdefault(char, {})
                node.setdefault(_HERE, []).append(index)

    @property
    def always(self) -> int:
        """How many regexes run on every text."""
        return len(self._always)

    def candidates(self, text: str) -> list[int]:
        """Indexes of the regexes that may match, in their original order."""
        if _OTHER_DIGIT.search(text):  # \\d matches it, but the triggers only know 0-9
            return list(range(self._count))
        found = set(self._always)
        folded = fold(text)
        for word in _WORD.finditer(folded):
            start = word.start()
            self._walk(folded, start, found)
            if start and folded[start - 1] in "#@":  # a hashtag or a mention
                self._walk(folded, start - 1, found)
        return sorted(found)

    def _walk(self, folded: str, start: int, found: set[int]) -> None:
        """Add the regexes of every trigger prefix that begins at `start`."""
        node = self._trie
        for char in folded[start : start + _MAX_PREFIX]:
            node = node.get(char)
            if node is None:
                return
            if _HERE in node:
                found.update(node[_HERE])


_HERE = ""  # the trie key under which a prefix's regexes are kept (no character is empty)
