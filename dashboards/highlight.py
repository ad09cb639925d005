"""A post's text as HTML with its matched words marked, and nothing else interpreted.

Posts come from strangers: every character of the text is escaped, so a `<script>` tag, a Markdown
image or a link in a post shows as the characters it is made of and never loads anything. Render
the result with `st.html`, which does not interpret Markdown.

Invisible characters are spelled out too. A bidirectional override (U+202E) or isolate (U+2066)
makes the browser draw the text after it in another order than it was written, so a reviewer
could read something other than what was posted; other control characters can hide text. Each
shows as its code point, `⟨U+202E⟩`, and keeps its place, so the highlight's offsets, which count
the original characters, still fall on the right words.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

# C0 and C1 controls but tab and newline; DEL; the bidi marks, embeddings, overrides, isolates.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL_STYLE = "border: 1px solid currentColor; border-radius: 3px; font-size: 0.8em"


def _code_point(character: str) -> str:
    return f"⟨U+{ord(character):04X}⟩"


def visible_controls(text: str) -> str:
    """Plain text with each control or bidi formatting character replaced by `⟨U+XXXX⟩`, for
    places that show text without HTML, such as a table cell."""
    return _INVISIBLE.sub(lambda found: _code_point(found.group()), text)


def _escaped(text: str) -> str:
    """HTML-escaped text with each invisible character as a labelled, styled code point."""
    return _INVISIBLE.sub(
        lambda found: (
            f'<span class="control-character" style="{_CONTROL_STYLE}" '
            f'title="{unicodedata.name(found.group(), "control character").lower()}">'
            f"{_code_point(found.group())}</span>"
        ),
        html.escape(text),
    )


def highlighted_html(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """The escaped text with each (start, end) character span in <mark>; spans that fall
    outside the text or overlap an earlier one are clipped."""
    pieces: list[str] = []
    cursor = 0
    for start, end in sorted(spans):
        start, end = max(start, cursor), min(end, len(text))
        if start >= end:
            continue
        before, marked = text[cursor:start], text[start:end]
        pieces.append(f"{_escaped(before)}<mark>{_escaped(marked)}</mark>")
        cursor = end
    pieces.append(_escaped(text[cursor:]))
    return f'<div style="white-space: pre-wrap">{"".join(pieces)}</div>'
