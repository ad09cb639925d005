"""A post's text as HTML with its matched words marked, and nothing else interpreted.

Posts come from strangers: every character of the text is escaped, so a `<script>` tag, a Markdown
image or a link in a post shows as the characters it is made of and never loads anything. Render
the result with `st.html`, which does not interpret Markdown.
"""

from __future__ import annotations

import html
from collections.abc import Iterable


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
        pieces.append(f"{html.escape(before)}<mark>{html.escape(marked)}</mark>")
        cursor = end
    pieces.append(html.escape(text[cursor:]))
    return f'<div style="white-space: pre-wrap">{"".join(pieces)}</div>'
