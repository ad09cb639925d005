"""Instagram "Download your information" in JSON (2021 onwards), found by basename and shape.

- posts: `posts_1.json`, `posts_2.json` ... (in content/ or, since 2025, media/), a bare list of
  `{"media": [...], "title": caption, "creation_timestamp": ...}`; a single-media post has no
  top-level caption or time, they are on `media[0]`;
- reels: `reels.json` as `{"ig_reels_media": [{"media": [...]}]}`, the same post shape;
- own comments: `post_comments_1.json` (a bare list; `post_comments.json` wrapped in
  `comments_media_comments` before 2023) and `reels_comments.json` (`comments_reels_comments`).
  Each is `{"string_map_data": {"Comment": {"value"}, "Media Owner": {"value"}, "Time":
  {"timestamp"}}}` with the keys in the account's language, so fields are told apart by what
  they hold: the time is the field with a timestamp, the comment the first other field with a
  value (Meta writes it before the media owner).

`threads_and_replies.json` travels in the same export but belongs to the Threads parser, so it is
listed here as ignored. No post ids, urls or audience are exported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from transforms.archive import ExportFiles
from transforms.platforms.generic import count_unknown_keys
from transforms.platforms.meta_text import (
    Outcome,
    content_files,
    counted,
    ignored_labels,
    load_meta_json,
    record_or_skip,
    refuse_html_export,
    utc_from_unix,
)
from transforms.records import AccountInfo, Coverage, PostRecord

PLATFORM = "instagram"

_POSTS_FILE = re.compile(r"posts_\d+\.json")
_COMMENTS_FILE = re.compile(r"(post_comments(_\d+)?|reels_comments)\.json")
_PROFILE_FILE = "personal_information.json"
_ENTRY_LISTS = ("ig_reels_media", "comments_media_comments", "comments_reels_comments")
_HTML_MARKER = re.compile(r"(posts_\d+|post_comments(_\d+)?|personal_information)\.html")
# personal_information.json is the one place where labels must be read: nothing else in it tells
# the username from the other short strings. Other languages leave the handle unknown.
_USERNAME_LABEL = "Username"
_NAME_LABEL = "Name"

_POST_KEYS = frozenset({"media", "title", "creation_timestamp"})
_MEDIA_KEYS = frozenset(
    {
        "uri",
        "creation_timestamp",
        "media_metadata",
        "title",
        "cross_post_source",
        "backup_uri",
        "dubbing_info",
        "media_variants",
        "text_app_post",  # on Threads posts, which share this shape
    }
)
_COMMENT_KEYS = frozenset({"media_list_data", "string_map_data", "title"})


class Parser:
    platform = PLATFORM

    def detect(self, files: ExportFiles) -> str | None:
        if next(content_files(files, _is_ours, _entries), None) is None:
            refuse_html_export(files, _HTML_MARKER, "Instagram")
            return None
        return "json"

    def account(self, files: ExportFiles) -> AccountInfo:
        return read_account(files, PLATFORM)

    def parse(self, files: ExportFiles, layout: str, coverage: Coverage) -> Iterator[PostRecord]:
        recognised = set()
        for member, entries in content_files(files, _is_ours, _entries):
            recognised.add(member.name)
            is_comments = _COMMENTS_FILE.fullmatch(member.basename.lower()) is not None
            read = _comment_outcome if is_comments else _post_outcome
            yield from counted((read(entry, coverage) for entry in entries), coverage)
        coverage.files_recognised.extend(sorted(recognised))
        coverage.files_ignored.extend(ignored_labels(files, recognised))


def read_account(files: ExportFiles, platform: str) -> AccountInfo:
    """The account from personal_information.json (Threads uses the Instagram username)."""
    for member in files.with_basename(_PROFILE_FILE):
        fields = _profile_fields(load_meta_json(files, member.name))
        if fields is not None:
            return AccountInfo(
                platform=platform,
                handle=_field_value(fields.get(_USERNAME_LABEL)),
                display_name=_field_value(fields.get(_NAME_LABEL)),
            )
    return AccountInfo(platform=platform)


def caption_and_time(post: dict[str, object], coverage: Coverage) -> tuple[str, object]:
    """The caption and raw creation time of a media post, at post level or on its media."""
    count_unknown_keys(coverage, "post", post, _POST_KEYS)
    listed = post.get("media")
    media = [m for m in listed if isinstance(m, dict)] if isinstance(listed, list) else []
    for item in media:
        count_unknown_keys(coverage, "media", item, _MEDIA_KEYS)
    titles = [post.get("title")] + [item.get("title") for item in media]
    caption = next((t for t in titles if isinstance(t, str) and t.strip()), "")
    timestamp = post.get("creation_timestamp") or (
        media[0].get("creation_timestamp") if media else None
    )
    return caption, timestamp


def _is_ours(basename: str) -> bool:
    return (
        basename in ("reels.json", _PROFILE_FILE)
        or _POSTS_FILE.fullmatch(basename) is not None
        or _COMMENTS_FILE.fullmatch(basename) is not None
    )


def _entries(tree: object) -> list[object] | None:
    """The entries of one of our files, [] for the profile, None when the shape is not ours."""
    if isinstance(tree, list):
        return tree
    if not isinstance(tree, dict):
        return None
    for key in _ENTRY_LISTS:
        if isinstance(tree.get(key), list):
            return tree[key]
    return [] if _profile_fields(tree) is not None else None


def _post_outcome(entry: object, coverage: Coverage) -> Outcome:
    if not isinstance(entry, dict):
        return "not_an_object"
    caption, timestamp = caption_and_time(entry, coverage)
    return record_or_skip(PLATFORM, "post", caption, timestamp)


def _comment_outcome(entry: object, coverage: Coverage) -> Outcome:
    """Fields are picked by what they hold, since their names are localized."""
    if not isinstance(entry, dict):
        return "not_an_object"
    count_unknown_keys(coverage, "comment", entry, _COMMENT_KEYS)
    string_map = entry.get("string_map_data")
    fields = (
        [f for f in string_map.values() if isinstance(f, dict)]
        if isinstance(string_map, dict)
        else []
    )
    time_field = next((f for f in fields if utc_from_unix(f.get("timestamp"))), {})
    text = next(
        (f["value"] for f in fields if f is not time_field and isinstance(f.get("value"), str)), ""
    )
    return record_or_skip(PLATFORM, "comment", text, time_field.get("timestamp"))


def _profile_fields(tree: object) -> dict[str, object] | None:
    if isinstance(tree, dict) and isinstance(tree.get("profile_user"), list):
        for user in tree["profile_user"]:
            if isinstance(user, dict) and isinstance(user.get("string_map_data"), dict):
                return user["string_map_data"]
    return None


def _field_value(field: object) -> str | None:
    value = field.get("value") if isinstance(field, dict) else None
    return value if isinstance(value, str) and value else None
