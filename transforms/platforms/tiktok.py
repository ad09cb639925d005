"""TikTok "Download your data" (JSON option): one file, user_data_tiktok.json (before 2023
user_data.json), holding every section of the account.

TikTok renames sections often (Post/Video, Posts/Videos, Comment at the top or under Activity,
key case), so lists are found by name anywhere in the tree, case-insensitively: a `VideoList`
under a Post/Video section holds the person's own videos (the other VideoLists are watch history),
a `CommentsList` holds their comments. Dates have no zone and are taken as UTC. `WhoCanView` gives
a video's audience; "Only me" has no equivalent here and is left unknown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from transforms.archive import ArchiveError, ExportFiles
from transforms.platforms.common import (
    Outcome,
    count_unknown_keys,
    load_json,
    parse_timestamp,
    record_files,
    stable_id,
    tally,
)
from transforms.records import AccountInfo, Coverage, PostRecord

FILE_NAME = "user_data_tiktok.json"
OLD_FILE_NAME = "user_data.json"  # a generic name: its structure must say TikTok
SECTIONS = frozenset(
    {
        *("profile", "activity", "your activity", "post", "video", "comment"),
        *("direct message", "direct messages", "ads and data", "app settings"),
        *("tiktok live", "tiktok shopping", "likes and favorites"),
    }
)
POST_SECTIONS = frozenset({"post", "posts", "video", "videos"})
VIDEO_LISTS = frozenset({"videolist"})
COMMENT_LISTS = frozenset({"commentslist", "commentlist"})
CAPTION_KEYS = ("desc", "description", "title")
PLACEHOLDERS = frozenset({"", "n/a", "null", "none"})
KNOWN_VIDEO_KEYS = frozenset(
    {
        *("date", "link", "likes", "whocanview", "allowcomments", "allowstitches", "allowduets"),
        *("allowstickers", "allowsharingtostory", "contentdisclosure", "aigeneratedcontent"),
        *("sound", "location", "addyourstext", "coverimage", "app", *CAPTION_KEYS),
    }
)
KNOWN_COMMENT_KEYS = frozenset({"date", "comment", "photo", "url", "app"})
AUDIENCE = {
    "everyone": "public",
    "public": "public",
    "friends": "followers",
    "followers": "followers",
    "mutualfollowers": "followers",
}
VIDEO_ID_IN_LINK = re.compile(r"/video/(\d+)")


class Parser:
    platform = "tiktok"

    def detect(self, files: ExportFiles) -> str | None:
        return "json" if _data_file(files) else None

    def account(self, files: ExportFiles) -> AccountInfo:
        name = _data_file(files)
        profile = _find_dict(load_json(files, name), "profilemap") if name else None
        if not profile:
            return AccountInfo(self.platform)
        return AccountInfo(
            self.platform,
            handle=_text(profile.get("username")) or None,
            display_name=_text(profile.get("displayname") or profile.get("nickname")) or None,
        )

    def parse(self, files: ExportFiles, layout: str, coverage: Coverage) -> Iterator[PostRecord]:
        name = _data_file(files)
        record_files(coverage, files, [name] if name else [])
        if not name:
            return
        data = load_json(files, name)
        lists = _content_lists(data if isinstance(data, dict) else {}, ())
        yield from tally(
            coverage, (_to_post(kind, item, coverage) for kind, items in lists for item in items)
        )


def _data_file(files: ExportFiles) -> str | None:
    """user_data_tiktok.json by its name; user_data.json only if it parses and its top level has
    two or more TikTok sections (a broken or foreign file of that name is not ours to refuse)."""
    named = files.with_basename(FILE_NAME)
    if named:
        return named[0].name
    for member in files.with_basename(OLD_FILE_NAME):
        try:
            data = load_json(files, member.name)
        except ArchiveError:
            continue
        if isinstance(data, dict) and len(SECTIONS & {str(k).lower() for k in data}) >= 2:
            return member.name
    return None


def _content_lists(node: Mapping[str, Any], path: tuple[str, ...]) -> Iterator[tuple[str, list]]:
    """("post", own videos) and ("comment", comments) lists found anywhere below `node`."""
    for key, value in node.items():
        name = str(key).strip().lower()
        if isinstance(value, dict):
            yield from _content_lists(value, (*path, name))
        elif name in VIDEO_LISTS and POST_SECTIONS & set(path):
            yield "post", value if isinstance(value, list) else []
        elif name in COMMENT_LISTS:
            yield "comment", value if isinstance(value, list) else []


def _find_dict(node: object, wanted: str) -> dict[str, Any] | None:
    """The first dict under a key named `wanted` (any case), with its keys lower-cased."""
    if not isinstance(node, dict):
        return None
    for key, value in node.items():
        if str(key).strip().lower() == wanted and isinstance(value, dict):
            return {str(k).lower(): v for k, v in value.items()}
        found = _find_dict(value, wanted)
        if found is not None:
            return found
    return None


def _text(value: object) -> str:
    """A string field with TikTok's placeholders ('N/A', 'null') read as empty."""
    text = value.strip() if isinstance(value, str) else ""
    return "" if text.lower() in PLACEHOLDERS else text


def _to_post(kind: str, item: object, coverage: Coverage) -> Outcome:
    if not isinstance(item, dict):
        return None, "malformed_item"
    fields = {str(key).strip().lower(): value for key, value in item.items()}
    if kind == "comment":
        count_unknown_keys(coverage, "CommentsList", fields, KNOWN_COMMENT_KEYS)
        return _comment(fields)
    count_unknown_keys(coverage, "VideoList", fields, KNOWN_VIDEO_KEYS)
    return _video(fields)


def _video(fields: Mapping[str, Any]) -> Outcome:
    text = next((_text(fields.get(key)) for key in CAPTION_KEYS if _text(fields.get(key))), "")
    created_at = parse_timestamp(fields.get("date"))
    link = _text(fields.get("link"))
    if not text:
        return None, "no_text"
    if created_at is None:
        return None, "bad_timestamp"
    video_id = VIDEO_ID_IN_LINK.search(link)
    likes = _text(fields.get("likes"))
    post = PostRecord(
        platform="tiktok",
        post_id=video_id.group(1)
        if video_id
        else stable_id("video", str(fields.get("date")), text),
        created_at=created_at,
        kind="post",
        text=text,
        visibility=AUDIENCE.get(_text(fields.get("whocanview")).lower().replace(" ", "")),
        url=link or None,
        like_count=int(likes) if likes.isdigit() else None,
    )
    return post, ""


def _comment(fields: Mapping[str, Any]) -> Outcome:
    text = _text(fields.get("comment"))
    created_at = parse_timestamp(fields.get("date"))
    if not text:
        return None, "no_text"
    if created_at is None:
        return None, "bad_timestamp"
    post = PostRecord(
        platform="tiktok",
        post_id=stable_id("comment", str(fields.get("date")), text),
        created_at=created_at,
        kind="comment",
        text=text,
        url=_text(fields.get("url")) or None,
    )
    return post, ""
