"""Instagram "Download your information" in JSON, found by basename and shape.

Before 2020 everything sat at the root (media.json, comments.json, profile.json): see
instagram_legacy.py. From 2021:

- posts: `posts_1.json`, `posts_2.json` ... (in content/ or, since 2025, media/), a bare list of
  `{"media": [...], "title": caption, "creation_timestamp": ...}`; a single-media post has no
  top-level caption or time, they are on `media[0]`;
- reels: `reels.json` as `{"ig_reels_media": [{"media": [...]}]}`, the same post shape;
- stories: `stories.json` as `{"ig_stories": [...]}`, read only to be counted (skipped as
  `story`, as in the 2019 layout): a story's text is drawn on the picture, not exported;
- own comments: `post_comments_1.json` (a bare list; `post_comments.json` wrapped in
  `comments_media_comments` before 2023) and `reels_comments.json` (`comments_reels_comments`).
  Each is `{"string_map_data": {"Comment": {"value"}, "Media Owner": {"value"}, "Time":
  {"timestamp"}}}` with the keys in the account's language, so fields are told apart by what
  they hold and where: the time is the field with a timestamp; of two text fields the comment is
  the first (Meta writes it before the media owner), which also teaches the file's two labels.
  An entry with one text field (the owner of a deleted post is missing, or the comment text is)
  is the comment when its label is a comment label and the owner when it is an owner label; with
  a label never seen, a value shaped like a handle is taken as the owner, so a comment without
  text is counted as `no_text` instead of being stored as the owner's name.

The account is in `personal_information.json` as `string_map_data` whose labels are in the
account's language: the username is found under any of its known labels, or else as the first
value shaped like a handle (Meta writes it before gender, bio and the like, and email addresses
and phone numbers never look like one).

`threads_and_replies.json` travels in the same export but belongs to the Threads parser, so it is
listed here as ignored. No post ids, urls or audience are exported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from transforms.archive import ExportFiles
from transforms.platforms import instagram_legacy as legacy
from transforms.platforms.common import count_unknown_keys
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
_ENTRY_LISTS = (
    "ig_reels_media",
    "comments_media_comments",
    "comments_reels_comments",
    "ig_stories",
)
_HTML_MARKER = re.compile(r"(posts_\d+|post_comments(_\d+)?|personal_information)\.html")
# The username and name labels in the languages Instagram exports in most; compared lower-case.
_USERNAME_LABELS = frozenset(
    {
        *("username", "nombre de usuario", "nom d'utilisateur", "nom d’utilisateur"),
        *("benutzername", "gebruikersnaam", "nome utente", "nome de usuário"),
        *("nazwa użytkownika", "kullanıcı adı", "användarnamn", "brugernavn", "brukernavn"),
        *("käyttäjätunnus", "nom d'usuari", "uživatelské jméno", "felhasználónév"),
        *("nume de utilizator", "имя пользователя", "ユーザーネーム", "사용자 이름", "用户名"),
        *("tên người dùng", "nama pengguna"),
    }
)
_NAME_LABELS = frozenset(
    {
        *("name", "nombre", "nom", "naam", "nome", "imię i nazwisko", "ad", "namn", "navn"),
        *("nimi", "jméno", "név", "nume", "имя", "名前", "이름", "姓名", "tên", "nama"),
    }
)
_HANDLE = re.compile(r"(?=.*[a-z])[a-z0-9._]{1,30}")
# Comment-file labels in the languages seen in real exports (compared lower-case); any other
# language's labels are learnt from the file itself.
_COMMENT_LABELS = frozenset({"comment", "opmerking"})
_OWNER_LABELS = frozenset({"media owner", "media-eigenaar"})

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
        found = [member.basename.lower() for member, _ in content_files(files, _is_ours, _entries)]
        if not found:
            refuse_html_export(files, _HTML_MARKER, "Instagram")
            return None
        return "json-2019" if legacy.FILES & set(found) else "json"

    def account(self, files: ExportFiles) -> AccountInfo:
        return read_account(files, PLATFORM)

    def parse(self, files: ExportFiles, layout: str, coverage: Coverage) -> Iterator[PostRecord]:
        recognised = set()
        for member, entries in content_files(files, _is_ours, _entries):
            recognised.add(member.name)
            read = _READERS.get(member.basename.lower(), _post_outcome)
            if _COMMENTS_FILE.fullmatch(member.basename.lower()):
                read = _CommentReader(entries)
            yield from counted((read(entry, coverage) for entry in entries), coverage)
        coverage.files_recognised.extend(sorted(recognised))
        coverage.files_ignored.extend(ignored_labels(files, recognised))


def read_account(files: ExportFiles, platform: str) -> AccountInfo:
    """The account from personal_information.json, or the legacy profile.json (Threads uses the
    Instagram username)."""
    for member in files.with_basename(_PROFILE_FILE):
        fields = _profile_fields(load_meta_json(files, member.name))
        if fields is not None:
            return AccountInfo(platform, _username(fields), _labelled(fields, _NAME_LABELS))
    for member in files.with_basename("profile.json"):
        handle, name = legacy.profile_account(load_meta_json(files, member.name))
        if handle is not None:
            return AccountInfo(platform, handle, name)
    return AccountInfo(platform=platform)


def _username(fields: dict[str, object]) -> str | None:
    """Under a known label, else the first value shaped like a handle."""
    labelled = _labelled(fields, _USERNAME_LABELS)
    if labelled is not None:
        return labelled
    values = (_field_value(field) for field in fields.values())
    return next((v for v in values if v is not None and _HANDLE.fullmatch(v)), None)


def _labelled(fields: dict[str, object], labels: frozenset[str]) -> str | None:
    return next(
        (_field_value(f) for label, f in fields.items() if label.strip().lower() in labels), None
    )


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
        basename in ("reels.json", "stories.json", _PROFILE_FILE)
        or basename in legacy.FILES
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
    if _profile_fields(tree) is not None:
        return []
    return legacy.entries(tree)


def _post_outcome(entry: object, coverage: Coverage) -> Outcome:
    if not isinstance(entry, dict):
        return "not_an_object"
    caption, timestamp = caption_and_time(entry, coverage)
    return record_or_skip(PLATFORM, "post", caption, timestamp)


class _CommentReader:
    """Reads one comments file, whose field labels are in the account's language."""

    def __init__(self, entries: list[object]) -> None:
        self.comment_labels = set(_COMMENT_LABELS)
        self.owner_labels = set(_OWNER_LABELS)
        for entry in entries:
            texts = _text_fields(entry)
            if len(texts) >= 2:  # Meta's order: the comment, then the media owner
                self.comment_labels.add(texts[0][0])
                self.owner_labels.update(label for label, _ in texts[1:])

    def __call__(self, entry: object, coverage: Coverage) -> Outcome:
        if not isinstance(entry, dict):
            return "not_an_object"
        count_unknown_keys(coverage, "comment", entry, _COMMENT_KEYS)
        return record_or_skip(PLATFORM, "comment", self._text(entry), _timestamp(entry))

    def _text(self, entry: dict[str, object]) -> str:
        texts = _text_fields(entry)
        labelled = next((v for label, v in texts if label in self.comment_labels), None)
        if labelled is not None or len(texts) != 1:
            return labelled if labelled is not None else texts[0][1] if texts else ""
        label, value = texts[0]
        if label in self.owner_labels or _HANDLE.fullmatch(value):
            return ""  # only the media owner: the comment itself has no text
        return value


def _string_map(entry: object) -> dict[str, object]:
    smd = entry.get("string_map_data") if isinstance(entry, dict) else None
    return smd if isinstance(smd, dict) else {}


def _timestamp(entry: dict[str, object]) -> object:
    fields = (f for f in _string_map(entry).values() if isinstance(f, dict))
    return next((f["timestamp"] for f in fields if utc_from_unix(f.get("timestamp"))), None)


def _text_fields(entry: object) -> list[tuple[str, str]]:
    """(lower-case label, value) of each field holding text and no time, in the export's order."""
    return [
        (label.strip().lower(), field["value"])
        for label, field in _string_map(entry).items()
        if isinstance(field, dict)
        and isinstance(field.get("value"), str)
        and not utc_from_unix(field.get("timestamp"))
    ]


def _profile_fields(tree: object) -> dict[str, object] | None:
    if isinstance(tree, dict) and isinstance(tree.get("profile_user"), list):
        for user in tree["profile_user"]:
            if isinstance(user, dict) and isinstance(user.get("string_map_data"), dict):
                return user["string_map_data"]
    return None


def _field_value(field: object) -> str | None:
    value = field.get("value") if isinstance(field, dict) else None
    return value if isinstance(value, str) and value else None


def _story_outcome(entry: object, coverage: Coverage) -> Outcome:
    return "story"


_READERS = {
    "media.json": legacy.media_outcome,
    "comments.json": legacy.comment_outcome,
    "stories.json": _story_outcome,
}
