"""Instagram's first JSON export (2018 to early 2020), everything at the root of the download.

- `media.json`: `{"photos": [...], "videos": [...], "stories": [...], "profile": [...],
  "direct": [...]}`, each item `{"caption": text, "taken_at": "2019-05-01T10:00:00", "path":
  "photos/201905/x.jpg"}` (ISO time, no zone: UTC). Photos and videos are posts. Stories are
  counted and skipped as `story`, as the later exports' stories.json is not read; profile pictures
  and media sent in direct messages are not posts and are not counted.
- `comments.json`: `{"media_comments": [[time, text, media owner], ...], "live_comments": ...}`,
  the person's own comments; as in later exports the fields are told apart by what they hold.
- `profile.json`: `{"username": ..., "name": ..., ...}`; its keys are identifiers, not labels.

Post ids are derived exactly as for later exports (time and text), so the same post read from
an old and a new export of one account is one post.
"""

from __future__ import annotations

from datetime import datetime

from transforms.platforms.common import count_unknown_keys, parse_timestamp
from transforms.platforms.meta_text import Outcome, record_or_skip
from transforms.records import Coverage

PLATFORM = "instagram"
FILES = frozenset({"media.json", "comments.json", "profile.json"})
_POST_LISTS = ("photos", "videos")
_STORY_LIST = "stories"
_MEDIA_KEYS = frozenset({"caption", "taken_at", "path", "location"})

Tagged = tuple[str, object]  # (the list an item came from, the item)


def entries(tree: object) -> list[object] | None:
    """(list name, item) pairs of a legacy media or comments file, [] for the legacy profile,
    None when the tree has none of these shapes."""
    if not isinstance(tree, dict):
        return None
    if any(isinstance(tree.get(key), list) for key in (*_POST_LISTS, _STORY_LIST)):
        lists = (*_POST_LISTS, _STORY_LIST)
        return [(key, item) for key in lists for item in _list(tree.get(key))]
    comment_lists = [key for key, value in tree.items() if _is_comment_list(key, value)]
    if comment_lists:
        return [(key, item) for key in comment_lists for item in tree[key]]
    return [] if isinstance(tree.get("username"), str) else None


def media_outcome(tagged: object, coverage: Coverage) -> Outcome:
    """A photo or video with its caption; a story is counted, not read."""
    key, item = tagged if isinstance(tagged, tuple) else ("", tagged)
    if key == _STORY_LIST:
        return "story"
    if not isinstance(item, dict):
        return "not_an_object"
    count_unknown_keys(coverage, "media", item, _MEDIA_KEYS)
    caption = item.get("caption")
    return record_or_skip(
        PLATFORM, "post", caption if isinstance(caption, str) else "", _unix(item.get("taken_at"))
    )


def comment_outcome(tagged: object, coverage: Coverage) -> Outcome:
    """`[time, text, media owner]`: the time is the value that reads as one, the text the
    first other string (Meta writes it before the owner)."""
    _, item = tagged if isinstance(tagged, tuple) else ("", tagged)
    if not isinstance(item, list):
        return "not_an_object"
    times = [value for value in item if _unix(value) is not None]
    texts = [value for value in item if isinstance(value, str) and value not in times]
    return record_or_skip(
        PLATFORM, "comment", texts[0] if texts else "", _unix(times[0]) if times else None
    )


def profile_account(tree: object) -> tuple[str | None, str | None]:
    """(username, name) from a legacy profile.json."""
    if not isinstance(tree, dict) or not isinstance(tree.get("username"), str):
        return None, None
    name = tree.get("name")
    return tree["username"] or None, name if isinstance(name, str) and name else None


def _is_comment_list(key: str, value: object) -> bool:
    return (
        key.endswith("_comments")
        and isinstance(value, list)
        and all(isinstance(item, list) for item in value)
    )


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _unix(value: object) -> float | None:
    moment: datetime | None = parse_timestamp(value)
    return moment.timestamp() if moment is not None else None
