"""Threads posts and replies, which Meta ships inside the Instagram export.

`threads_and_replies.json` is `{"text_post_app_text_posts": [post, ...]}` where each post has the
Instagram media shape: the text is `media[0].title` (or a top-level `title` on multi-media posts)
and `media[].text_app_post.is_reply` marks a reply. No parent id, post id, url or audience is
exported (`reply_control` says who may reply, not who may read).

One Instagram export can therefore hold two platforms. This parser reads only the Threads files;
the Instagram parser lists them as ignored, and the ingest runs every parser whose `detect`
matches. The Threads files this parser does not read (likes, saved, viewed) are its ignored
files; everything else in the export is Instagram's to account for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from transforms.archive import ExportFiles
from transforms.platforms.instagram import caption_and_time, read_account
from transforms.platforms.meta_text import (
    Outcome,
    content_files,
    counted,
    record_or_skip,
    refuse_html_export,
)
from transforms.records import AccountInfo, Coverage, PostRecord

PLATFORM = "threads"

_POSTS_FILE = "threads_and_replies.json"
_ENTRY_LIST = "text_post_app_text_posts"
_COMPANION_FILES = frozenset({"liked_threads.json", "saved_threads.json", "threads_viewed.json"})
_HTML_MARKER = re.compile(r"threads_and_replies\.html")


class Parser:
    platform = PLATFORM

    def detect(self, files: ExportFiles) -> str | None:
        if next(content_files(files, _is_ours, _entries), None) is None:
            refuse_html_export(files, _HTML_MARKER, "Threads")
            return None
        return "json"

    def account(self, files: ExportFiles) -> AccountInfo:
        return read_account(files, PLATFORM)

    def parse(self, files: ExportFiles, layout: str, coverage: Coverage) -> Iterator[PostRecord]:
        for member, entries in content_files(files, _is_ours, _entries):
            coverage.files_recognised.append(member.name)
            yield from counted((_outcome(entry, coverage) for entry in entries), coverage)
        coverage.files_ignored.extend(
            m.name for m in files.members if m.basename.lower() in _COMPANION_FILES
        )


def _is_ours(basename: str) -> bool:
    return basename == _POSTS_FILE


def _entries(tree: object) -> list[object] | None:
    if isinstance(tree, dict) and isinstance(tree.get(_ENTRY_LIST), list):
        return tree[_ENTRY_LIST]
    return None


def _outcome(entry: object, coverage: Coverage) -> Outcome:
    if not isinstance(entry, dict):
        return "not_an_object"
    text, timestamp = caption_and_time(entry, coverage)
    return record_or_skip(PLATFORM, "reply" if _is_reply(entry) else "post", text, timestamp)


def _is_reply(entry: dict[str, object]) -> bool:
    media = entry.get("media")
    return any(
        isinstance(item, dict)
        and isinstance(item.get("text_app_post"), dict)
        and item["text_app_post"].get("is_reply") is True
        for item in (media if isinstance(media, list) else [])
    )
