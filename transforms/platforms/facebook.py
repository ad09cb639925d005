"""Facebook "Download Your Information" in JSON, in every folder layout it has shipped.

Meta has moved the files four times (posts/ → your_activity_across_facebook/ →
your_facebook_activity/ ...), so files are found by basename and shape only:

- own posts: `your_posts_1.json`, `your_posts__check_ins__photos_and_videos_1.json` (numbered
  splits all read), a bare list; before 2019 `your_posts.json` as `{"status_updates": [...]}`;
- own comments: `comments.json` as `{"comments_v2": [...]}`, earlier `{"comments": [...]}`;
- groups: `group_posts_and_comments.json` / `your_posts_in_groups.json` (`group_posts_v2`),
  `your_comments_in_groups.json` (`group_comments_v2`), and before 2021
  `your_posts_and_comments_in_groups.json` (`{"group_posts": {"activity_log_data": [...]}}`);
- the person's posts on other people's timelines and pages: before 2022 inside the posts files
  ("X wrote on Y's timeline"), since then also `posts_on_other_pages_and_profiles.json`, a bare
  list in the usual skeleton or, in recent exports, entries of localized `label_values` pairs
  (`[{"label": "Message", "value": text}, {"label": "Target", ...}]`). The labels are in the
  account's language, so the text is found by structure: the first pair whose value is plain
  text (Meta writes the message first; a target or media pair carries a link, a URL or nested
  values instead);
- other people's posts on the person's timeline (`other_people's_posts_to_your_timeline.json`,
  `{"wall_posts_sent_to_you": [...]}` or `{... {"activity_log_data": [...]}}`) are read only to
  be counted: skipped as `post_by_others`, never stored as the person's words.

Every entry has the same skeleton: `timestamp`, a `data` list holding `{"post": text}` or
`{"comment": {"comment": text, ...}}` among `{"update_timestamp": ...}` and empty `{}` items, and
a `title` sentence in the account's language ("X shared a link."). The kind is read from that
structure, never from the title. The export has no post ids, no urls and no audience.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

from transforms.archive import ExportFiles
from transforms.platforms.common import count_unknown_keys
from transforms.platforms.meta_text import (
    Outcome,
    content_files,
    counted,
    ignored_labels,
    load_meta_json,
    record_or_skip,
    refuse_html_export,
)
from transforms.records import AccountInfo, Coverage, PostRecord

PLATFORM = "facebook"

_POSTS_FILE = re.compile(r"your_posts(__check_ins__photos_and_videos)?(_\d+)?\.json")
_OTHER_FILES = frozenset(
    {
        "comments.json",
        "group_posts_and_comments.json",
        "your_posts_in_groups.json",
        "your_comments_in_groups.json",
        "your_posts_and_comments_in_groups.json",
        "profile_information.json",
    }
)
_ON_OTHERS_FILE = re.compile(r"posts_on_other_pages_and_profiles(_\d+)?\.json")
_BY_OTHERS_FILE = re.compile(r"other_people'?s_posts_to_your_timeline(_\d+)?\.json")
_WRAPPERS = ("group_posts", "wall_posts_sent_to_you", "posts_on_other_pages", "other_people")
_ENTRY_LISTS = ("status_updates", "comments_v2", "comments", "group_posts_v2", "group_comments_v2")
_PROFILE_KEYS = ("profile_v2", "profile")
_HTML_MARKER = re.compile(
    r"(your_posts\w*|profile_information|your_comments_in_groups|group_posts_and_comments"
    r"|posts_on_other_pages_and_profiles)\.html"
)

_ENTRY_KEYS = frozenset(
    {"timestamp", "attachments", "data", "title", "tags", "label_values", "fbid", "media"}
)
_PAIR_KEYS = frozenset(
    {"label", "value", "href", "dict", "vec", "timestamp_value", "ent_field_name"}
)
_DATA_KEYS = frozenset({"post", "comment", "update_timestamp"})
_COMMENT_KEYS = frozenset({"timestamp", "comment", "author", "group"})


class Parser:
    platform = PLATFORM

    def detect(self, files: ExportFiles) -> str | None:
        """A layout label named after the year its posts file name appeared; None if not ours."""
        if next(content_files(files, _is_ours, _entries), None) is None:
            refuse_html_export(files, _HTML_MARKER, "Facebook")
            return None
        names = {member.basename.lower() for member in files.members}
        if any(name.startswith("your_posts__check_ins__photos_and_videos") for name in names):
            return "json-2022"
        if any(re.fullmatch(r"your_posts_\d+\.json", name) for name in names):
            return "json-2019"
        if "your_posts.json" in names:
            return "json-2018"
        return "json"

    def account(self, files: ExportFiles) -> AccountInfo:
        for member in files.with_basename("profile_information.json"):
            tree = load_meta_json(files, member.name)
            profile = _profile(tree)
            if profile is not None:
                return _account(profile)
        return AccountInfo(platform=PLATFORM)

    def parse(self, files: ExportFiles, layout: str, coverage: Coverage) -> Iterator[PostRecord]:
        recognised = set()
        for member, entries in content_files(files, _is_ours, _entries):
            recognised.add(member.name)
            by_others = _BY_OTHERS_FILE.fullmatch(member.basename.lower()) is not None
            outcomes = (
                "post_by_others" if by_others else _outcome(entry, coverage) for entry in entries
            )
            yield from counted(outcomes, coverage)
        coverage.files_recognised.extend(sorted(recognised))
        coverage.files_ignored.extend(ignored_labels(files, recognised))


def _is_ours(basename: str) -> bool:
    return basename in _OTHER_FILES or any(
        pattern.fullmatch(basename) for pattern in (_POSTS_FILE, _ON_OTHERS_FILE, _BY_OTHERS_FILE)
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
    if _profile(tree) is not None:
        return []
    # {"group_posts": {"activity_log_data": [...]}}, {"wall_posts_sent_to_you": [...]} and the
    # like: one wrapper key (its suffix varies by year) around the list, perhaps one level down.
    if len(tree) == 1 and next(iter(tree)).startswith(_WRAPPERS):
        (inner,) = tree.values()
        if isinstance(inner, dict) and isinstance(inner.get("activity_log_data"), list):
            return inner["activity_log_data"]
        if isinstance(inner, list) and all(isinstance(entry, dict) for entry in inner):
            return inner
    return None


def _outcome(entry: object, coverage: Coverage) -> Outcome:
    """One post or comment entry; a comment when its `data` holds a comment object."""
    if not isinstance(entry, dict):
        return "not_an_object"
    count_unknown_keys(coverage, "entry", entry, _ENTRY_KEYS)
    texts: list[str] = []
    kind = "post"
    timestamp = entry.get("timestamp")
    items = entry.get("data")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        count_unknown_keys(coverage, "data", item, _DATA_KEYS)
        if isinstance(item.get("post"), str):
            texts.append(item["post"])
        comment = item.get("comment")
        if isinstance(comment, dict):
            count_unknown_keys(coverage, "comment", comment, _COMMENT_KEYS)
            kind = "comment"
            timestamp = timestamp or comment.get("timestamp")
            if isinstance(comment.get("comment"), str):
                texts.append(comment["comment"])
    pairs = entry.get("label_values")
    if isinstance(pairs, list):
        texts.append(_message_of(pairs, coverage))
    text = "\n\n".join(t for t in texts if t.strip())
    return record_or_skip(PLATFORM, kind, text, timestamp)


def _message_of(pairs: list[object], coverage: Coverage) -> str:
    """The message among localized label/value pairs: the first plain-text value. A target or
    media pair has a link (`href`), a URL value or nested `dict`/`vec` values instead."""
    for pair in pairs:
        if not isinstance(pair, dict):
            continue
        count_unknown_keys(coverage, "label_values", pair, _PAIR_KEYS)
        value = pair.get("value")
        if pair.get("href") or not isinstance(value, str) or not value.strip():
            continue
        if not re.match(r"https?://", value.strip()):
            return value
    return ""


def _profile(tree: object) -> dict[str, object] | None:
    if isinstance(tree, dict):
        for key in _PROFILE_KEYS:
            if isinstance(tree.get(key), dict):
                return tree[key]
    return None


def _account(profile: dict[str, object]) -> AccountInfo:
    """Handle from `username` or the vanity profile url; `profile.php?id=N` gives the id."""
    name = profile.get("name")
    full_name = name.get("full_name") if isinstance(name, dict) else name
    uri = profile.get("profile_uri")
    url = urlparse(uri) if isinstance(uri, str) else None
    handle = profile.get("username")
    if not handle and url is not None and url.path.strip("/") not in ("", "profile.php"):
        handle = url.path.strip("/")
    account_id = parse_qs(url.query).get("id", [None])[0] if url is not None else None
    return AccountInfo(
        platform=PLATFORM,
        handle=handle if isinstance(handle, str) and handle else None,
        display_name=full_name if isinstance(full_name, str) and full_name else None,
        account_id=account_id,
    )
