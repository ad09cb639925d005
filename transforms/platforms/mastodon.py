"""Mastodon archive (Settings → Import and export → Request your archive): outbox.json holds
every status as ActivityStreams, actor.json the account.

- `Create` of a Note (or a poll, `Question`) is authored; `Announce` is a boost and is skipped.
- Text is HTML: paragraphs and <br> become line breaks, links keep their visible text, entities
  are decoded (from `contentMap` when `content` is absent). A content warning (`summary`) and
  poll options are authored text too and are kept.
- Audience comes from the addressing, as Mastodon writes it: the public collection in `to` is
  public, in `cc` unlisted, the account's followers collection in `to` followers-only, other
  addressees only a direct message (no addressing at all: unknown). Direct messages are skipped
  unless `include_direct=True`.
- `inReplyTo` makes a reply; a quote post (Mastodon 4.5+) that is not a reply is a quote.
- Post ids are the status URIs, because `inReplyTo` uses URIs too.
Archives made before Mastodon 4.1 are .tar.gz (`archive-<date>-<hash>.tar.gz`), later ones .zip;
the export reader opens both (and a folder holding either) with the same safety limits, so this
parser only ever sees the files.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlparse

from transforms.archive import ArchiveError, ExportFiles
from transforms.platforms.common import (
    Outcome,
    count_unknown_keys,
    load_json,
    parse_timestamp,
    record_files,
    tally,
)
from transforms.records import AccountInfo, Coverage, PostRecord

OUTBOX = "outbox.json"
ACTOR = "actor.json"
PUBLIC = frozenset({"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"})
CONTENT_TYPES = frozenset({"Note", "Question"})
QUOTE_KEYS = ("quote", "quoteUri", "_misskey_quote")
KNOWN_ACTIVITY_KEYS = frozenset(
    {"@context", "id", "type", "actor", "published", "to", "cc", "object", "signature"}
)
KNOWN_OBJECT_KEYS = frozenset(
    {
        *("@context", "id", "type", "summary", "inReplyTo", "published", "updated", "url"),
        *("attributedTo", "to", "cc", "sensitive", "atomUri", "inReplyToAtomUri"),
        *("conversation", "context", "content", "contentMap", "attachment", "tag", "replies"),
        *("likes", "shares", "oneOf", "anyOf", "endTime", "closed", "votersCount"),
        *("interactionPolicy", *QUOTE_KEYS),
    }
)


class Parser:
    platform = "mastodon"

    def __init__(self, include_direct: bool = False) -> None:
        self.include_direct = include_direct

    def detect(self, files: ExportFiles) -> str | None:
        if any(_looks_like_outbox(files, member.name) for member in files.with_basename(OUTBOX)):
            return "activitystreams"
        return None

    def account(self, files: ExportFiles) -> AccountInfo:
        actor = _actor(files)
        if not actor:
            return AccountInfo(self.platform)
        actor_id = actor.get("id") if isinstance(actor.get("id"), str) else None
        username = actor.get("preferredUsername")
        host = urlparse(actor_id).hostname if actor_id else None
        handle = f"{username}@{host}" if username and host else username or None
        return AccountInfo(
            self.platform,
            handle=handle,
            display_name=actor.get("name") or None,
            account_id=actor_id,
        )

    def parse(self, files: ExportFiles, layout: str, coverage: Coverage) -> Iterator[PostRecord]:
        outboxes = [member.name for member in files.with_basename(OUTBOX)]
        record_files(coverage, files, [*outboxes, *(m.name for m in files.with_basename(ACTOR))])
        followers = _followers_collection(_actor(files))
        for name in outboxes:
            activities = _ordered_items(files, name)
            yield from tally(coverage, (self._to_post(a, followers, coverage) for a in activities))

    def _to_post(self, activity: object, followers: str | None, coverage: Coverage) -> Outcome:
        """The activity as an authored post, or None and the reason it is not one."""
        if not isinstance(activity, dict):
            return None, "malformed_item"
        count_unknown_keys(coverage, "activity", activity, KNOWN_ACTIVITY_KEYS)
        if activity.get("type") == "Announce":
            return None, "repost"
        note = activity.get("object")
        if activity.get("type") != "Create" or not isinstance(note, dict):
            return None, "unsupported_type"
        count_unknown_keys(coverage, "object", note, KNOWN_OBJECT_KEYS)
        if note.get("type") not in CONTENT_TYPES:
            return None, "unsupported_type"
        actor = activity.get("actor")
        visibility = _visibility(note, followers or (f"{actor}/followers" if actor else None))
        if visibility == "direct" and not self.include_direct:
            return None, "direct_message"
        post_id = note.get("id") or activity.get("id")
        if not isinstance(post_id, str):
            return None, "no_id"
        created_at = parse_timestamp(note.get("published") or activity.get("published"))
        if created_at is None:
            return None, "bad_timestamp"
        text = _note_text(note)
        if not text:
            return None, "no_text"
        in_reply_to = note.get("inReplyTo") if isinstance(note.get("inReplyTo"), str) else None
        is_quote = any(note.get(key) for key in QUOTE_KEYS)
        post = PostRecord(
            platform="mastodon",
            post_id=post_id,
            created_at=created_at,
            kind="reply" if in_reply_to else "quote" if is_quote else "post",
            text=text,
            visibility=visibility,
            url=note["url"] if isinstance(note.get("url"), str) else post_id,
            in_reply_to=in_reply_to,
            like_count=_total(note.get("likes")),
            repost_count=_total(note.get("shares")),
        )
        return post, ""


def _looks_like_outbox(files: ExportFiles, name: str) -> bool:
    """An ActivityStreams collection says so near its start (after a @context of a few KB)."""
    with files.open(name) as stream:
        head = stream.read(64 * 1024).decode("utf-8", errors="replace")
    return '"OrderedCollection"' in head


def _actor(files: ExportFiles) -> Mapping[str, Any]:
    for member in files.with_basename(ACTOR):
        actor = load_json(files, member.name)
        if isinstance(actor, dict):
            return actor
    return {}


def _followers_collection(actor: Mapping[str, Any]) -> str | None:
    followers = actor.get("followers")
    return followers if isinstance(followers, str) else None


def _ordered_items(files: ExportFiles, name: str) -> list[object]:
    outbox = load_json(files, name)
    items = outbox.get("orderedItems") if isinstance(outbox, dict) else None
    if not isinstance(items, list):
        raise ArchiveError(f"{files.path.name}: {name} has no orderedItems list")
    return items


def _addresses(value: object) -> set[str]:
    if isinstance(value, str):
        return {value}
    return {item for item in value if isinstance(item, str)} if isinstance(value, list) else set()


def _visibility(note: Mapping[str, Any], followers: str | None) -> str | None:
    to, cc = _addresses(note.get("to")), _addresses(note.get("cc"))
    if not to and not cc:
        return None
    if to & PUBLIC:
        return "public"
    if cc & PUBLIC:
        return "unlisted"
    if followers and followers in to:
        return "followers"
    return "direct"


def _note_text(note: Mapping[str, Any]) -> str:
    """Content warning, body and poll options, as plain text."""
    options = note.get("oneOf") or note.get("anyOf") or []
    names = [option.get("name") for option in options if isinstance(option, dict)]
    poll = "\n".join(name.strip() for name in names if isinstance(name, str))
    parts = [note.get("summary"), html_to_text(_content(note)), poll]
    return "\n\n".join(part.strip() for part in parts if isinstance(part, str) and part.strip())


def _content(note: Mapping[str, Any]) -> str:
    """The body HTML; an object carrying only the per-language `contentMap` gives its first."""
    content = note.get("content")
    if isinstance(content, str) and content.strip():
        return content
    by_language = note.get("contentMap")
    texts = by_language.values() if isinstance(by_language, dict) else []
    return next((text for text in texts if isinstance(text, str) and text.strip()), "")


def _total(collection: object) -> int | None:
    total = collection.get("totalItems") if isinstance(collection, dict) else None
    return total if isinstance(total, int) else None


def html_to_text(html: str) -> str:
    """Mastodon's status HTML as plain text: blocks and <br> become line breaks."""
    converter = _HtmlToText()
    converter.feed(html)
    converter.close()
    return converter.text()


class _HtmlToText(HTMLParser):
    BLOCKS = frozenset({"p", "div", "blockquote", "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4"})
    HIDDEN = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._chunks: list[str] = []
        self._hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._chunks.append("\n")
        elif tag in self.BLOCKS:
            self._chunks.append("\n\n")
        elif tag in self.HIDDEN:
            self._hidden_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self._chunks.append("\n\n")
        elif tag in self.HIDDEN and self._hidden_depth:
            self._hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden_depth:  # a raw line break in HTML text is only a space
            self._chunks.append(data.replace("\r", " ").replace("\n", " "))

    def text(self) -> str:
        lines = [" ".join(line.split()) for line in "".join(self._chunks).split("\n")]
        paragraphs = "\n".join(lines).split("\n\n")
        return "\n\n".join(p.strip("\n") for p in paragraphs if p.strip())
