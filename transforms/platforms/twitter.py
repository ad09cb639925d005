"""X (Twitter) archives, from "Settings → Download an archive of your data".

Layouts, recognised by file name and first bytes wherever the export puts them (a `data/`
folder, the root, or inside a wrapping folder):

* `x-2022`: `tweets.js` (+ `tweets-partN.js`), `window.YTD.tweets.partN = [{"tweet": {...}}]`
* `x-2020`: `tweet.js` (+ `tweet-partN.js`), items wrapped as `{"tweet": {...}}`
* `x-2019`: `tweet.js` holding bare tweet objects
* `x-classic`: the 2012-2018 archive, `data/js/tweets/YYYY_MM.js` holding
  `Grailbird.data.tweets_YYYY_MM = [...]`

An archive states little explicitly, so several facts are inferred from how X writes it:
retweets only by their "RT @" text, quotes only by a link to a post, audience only by the file a
tweet is in, and the full text of a long post only by matching note-tweet.js on creation time
(the note's id is not the tweet's).

Items read but not stored are counted in the coverage by reason: repost, earlier_edit_version,
deleted_by_user, bad_timestamp, missing_id, missing_text, media_only, malformed_item, duplicate_id.
"""

from __future__ import annotations

import codecs
import html
import json
import re
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import PurePosixPath
from typing import IO

from transforms.archive import ArchiveError, ExportFiles, Member
from transforms.records import AccountInfo, Coverage, PostRecord

PLATFORM = "twitter"
LAYOUTS = ("x-2022", "x-2020", "x-2019", "x-classic")

# Authored files beside the main tweets file, with the audience each one implies.
_SIDE_FILES = {"community-tweet": "public", "twitter-circle-tweet": "followers"}
# Manifest data types whose every listed file must be in the export.
_CONTENT_TYPES = ("tweets", "tweet", "noteTweet", "communityTweet", "twitterCircleTweet")

# Every tweet key this parser knows; anything else is counted so format drift gets noticed.
_KNOWN_KEYS = frozenset(
    {
        "contributors", "coordinates", "created_at", "display_text_range", "edit_info",
        "entities", "extended_entities", "favorite_count", "favorited", "full_text", "geo", "id",
        "id_str", "in_reply_to_screen_name", "in_reply_to_status_id", "in_reply_to_status_id_str",
        "in_reply_to_user_id", "in_reply_to_user_id_str", "lang", "place", "possibly_sensitive",
        "retweet_count", "retweeted", "source", "truncated", "withheld_in_countries",
        "community_id", "community_id_str", "scopes",  # community-tweet.js
        "retweeted_status", "text", "user",  # the classic archive
    }
)  # fmt: skip

_JS_ASSIGNMENT = re.compile(r"\s*(?:var\s+)?[\w$]+(?:\.[\w$]+)*\s*=\s*")
_YTD_FILE_NAME = re.compile(r"(?P<stem>[a-z-]+?)(?:-part(?P<part>\d+))?\.js")
_YTD_HEAD = re.compile(r"\s*window\.YTD\.\w+\.part\d+\s*=\s*\[\s*(?:\{\s*\"(?P<first_key>\w*)\")?")
_CLASSIC_MONTH_PATH = re.compile(r"(?:^|/)tweets/\d{4}_\d{2}\.js$", re.IGNORECASE)
_CLASSIC_HEAD = re.compile(r"\s*Grailbird\.data\.tweets_\d{4}_\d{2}\s*=")
_PEEK_BYTES = 4096
_READ_BYTES = 1 << 20
_MAX_ITEM_CHARS = 64 << 20
_WHITESPACE = re.compile(r"[ \t\n\r]*")

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBERS = {name: number for number, name in enumerate(_MONTHS, 1)}
_CREATED_AT = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?P<month>[A-Z][a-z]{2}) (?P<day>\d{2}) "
    r"(?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2}) "
    r"(?P<sign>[+-])(?P<hh>\d{2})(?P<mm>[0-5]\d) (?P<year>\d{4})"
)
_STATUS_LINK = re.compile(
    r"https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(?P<user>\w+)/status/\d+"
    r"(?P<media>/(?:photo|video)/\d+)?",
    re.IGNORECASE,
)
_LEADING_MENTIONS = re.compile(r"\A(?:@\w+\s+)+")
_MIN_SHARED_PREFIX = 20  # characters a note must share with its tweet to be taken as its text


class Parser:
    platform = PLATFORM

    def detect(self, files: ExportFiles) -> str | None:
        tweets = _ytd_files(files, "tweets")
        if tweets and _head(files, tweets[0], _YTD_HEAD):
            return "x-2022"
        tweet = _ytd_files(files, "tweet")
        if tweet and (head := _head(files, tweet[0], _YTD_HEAD)):
            return "x-2019" if head["first_key"] not in (None, "tweet") else "x-2020"
        months = _classic_months(files)
        if months and _head(files, months[0], _CLASSIC_HEAD):
            return "x-classic"
        return None

    def account(self, files: ExportFiles) -> AccountInfo:
        for member in files.with_basename("account.js"):
            items = _read_list(files, member.name)
            entry = _dict(items[0]).get("account", items[0]) if items else {}
            return _account_info(entry, "username", "accountDisplayName", "accountId")
        for member in files.with_basename("user_details.js"):  # the classic archive
            details = _read_js(files, member.name)
            return _account_info(details, "screen_name", "full_name", "id")
        return AccountInfo(PLATFORM)

    def parse(self, files: ExportFiles, layout: str, coverage: Coverage) -> Iterator[PostRecord]:
        if layout not in LAYOUTS:
            raise ValueError(f"unknown X layout {layout!r}")
        sources = _authored_sources(files, layout)
        long_posts, note_files = _read_long_posts(files)
        read = [member.name for member in files.with_basename("account.js", "user_details.js")]
        read += _check_manifest(files) + note_files + _count_deleted(files, coverage)
        read += [member.name for member, _ in sources]
        coverage.files_recognised.extend(sorted(read))
        coverage.files_ignored.extend(_ignored_labels(files, set(read)))

        converter = _TweetConverter(self.account(files).handle, long_posts, coverage)
        stored = _SeenIds()  # a tweet in two files, or a file copied twice, is stored once
        for member, visibility in sources:
            for item in _read_items(files, member.name):
                coverage.records_read += 1
                try:
                    record = converter.convert(item, visibility)
                    if not stored.add(record.post_id):
                        raise _Skip("duplicate_id")
                except _Skip as skipped:
                    coverage.skip(skipped.reason)
                    continue
                yield record


class _SeenIds:
    """The tweet ids seen so far, 8 bytes each where a set of ints costs about 60: numeric ids
    live in an open-addressing hash table of 64-bit slots (0 marks a free one), doubled when half
    full; any other id (a leading zero, too large) in a plain set, so "012" and "12" stay two."""

    def __init__(self) -> None:
        self._slots = array("q", bytes(8 * 1024))
        self._used = 0
        self._others: set[str] = set()

    def add(self, post_id: str) -> bool:
        """Remember the id; False when it was already there."""
        canonical = post_id.isascii() and post_id.isdigit() and not post_id.startswith("0")
        key = int(post_id) if canonical and len(post_id) <= 19 else 0
        if not 0 < key < 1 << 63:
            if post_id in self._others:
                return False
            self._others.add(post_id)
            return True
        if not self._insert(self._slots, key):
            return False
        self._used += 1
        if self._used * 2 > len(self._slots):
            grown = array("q", bytes(16 * len(self._slots)))
            for key in self._slots:
                if key:
                    self._insert(grown, key)
            self._slots = grown
        return True

    @staticmethod
    def _insert(slots: array[int], key: int) -> bool:
        mask = len(slots) - 1
        at = (key * _SPREAD >> 32) & mask  # ids share their low bits: spread them over the slots
        while found := slots[at]:
            if found == key:
                return False
            at = (at + 1) & mask
        slots[at] = key
        return True


_SPREAD = 0x9E3779B97F4A7C15  # 2^64 divided by the golden ratio: multiplicative hashing


# -- reading the archive's JavaScript files ------------------------------------------------------


def strip_js_wrapper(text: str) -> str:
    """The JSON inside an archive data file: drops the leading assignment (`window.YTD.x.part0 =`,
    `window.__THAR_CONFIG =`, `Grailbird.data.tweets_2017_05 =`) and a trailing ';'."""
    text = text.lstrip("\ufeff")
    assignment = _JS_ASSIGNMENT.match(text)
    if assignment is None:
        raise ValueError("the file does not start with a 'name = ' assignment")
    body = text[assignment.end() :].rstrip()
    return body[:-1].rstrip() if body.endswith(";") else body


def _read_js(files: ExportFiles, name: str) -> object:
    """A small data file (account, manifest) whole; tweets are streamed by `_read_items`."""
    text = files.read_text(name)
    try:
        return json.loads(strip_js_wrapper(text))
    except ValueError as error:  # json.JSONDecodeError is a ValueError
        raise _unreadable(files, name, error) from None


def _read_items(files: ExportFiles, name: str) -> Iterator[object]:
    """The items of a data file's JSON array, decoded one at a time from the member's stream, so
    memory stays flat however many tweets the file holds."""
    with files.open(name) as stream:
        items = _ArrayItems(stream)
        try:
            if not items.open_array():
                _read_list(files, name)  # not an array: says whether it is a value or garbage
            yield from items
        except UnicodeDecodeError as error:
            raise ArchiveError(
                f"{files.path.name}: {name} is not valid UTF-8 ({error.reason})"
            ) from None
        except ValueError as error:
            raise _unreadable(files, name, error) from None


def _read_list(files: ExportFiles, name: str) -> list[object]:
    value = _read_js(files, name)
    if not isinstance(value, list):
        raise ArchiveError(f"{files.path.name}: {name} should hold a list of items")
    return value


def _unreadable(files: ExportFiles, name: str, error: Exception) -> ArchiveError:
    return ArchiveError(f"{files.path.name}: {name} is not a readable X data file ({error})")


class _ArrayItems:
    """Decodes `name = [item, item, ...];` item by item over a sliding text buffer.

    Each item is parsed by the standard library's C decoder (`raw_decode`); an item cut by the
    end of the buffer is parsed again once more bytes are read. Raises ValueError on malformed
    JSON and UnicodeDecodeError on bytes that are not UTF-8."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._decode = codecs.getincrementaldecoder("utf-8-sig")().decode  # drops a BOM
        self._raw_decode = json.JSONDecoder().raw_decode
        self._text = ""
        self._at = 0
        self._ended = False

    def open_array(self) -> bool:
        """Skip the assignment; True when an array follows it."""
        while not self._ended and len(self._text) < _PEEK_BYTES:
            self._read_more()
        assignment = _JS_ASSIGNMENT.match(self._text)
        if assignment is None:
            raise ValueError("the file does not start with a 'name = ' assignment")
        self._at = assignment.end()
        return self._next_char() == "["

    def __iter__(self) -> Iterator[object]:
        self._at += 1  # past '['
        if self._next_char() != "]":
            while True:
                yield self._item()
                separator = self._next_char()
                if separator == "]":
                    break
                if separator != ",":
                    raise ValueError("expected ',' or ']' after an item")
                self._at += 1
                self._next_char()
        self._at += 1  # past ']'
        rest = self._text[self._at :] + self._decode(self._stream.read(), final=True)
        if rest.strip() not in ("", ";"):
            raise ValueError("unexpected text after the closing ']'")

    def _item(self) -> object:
        while True:
            try:
                item, end = self._raw_decode(self._text, self._at)
            except json.JSONDecodeError:
                if self._ended:
                    raise
                self._read_more()
                continue
            if end < len(self._text) or self._ended:  # a number may go on in the next bytes
                self._at = end
                return item
            self._read_more()

    def _next_char(self) -> str:
        """The next character that is not white space, left unread ('' at the end)."""
        while True:
            self._at = _WHITESPACE.match(self._text, self._at).end()
            if self._at < len(self._text) or self._ended:
                return self._text[self._at : self._at + 1]
            self._read_more()

    def _read_more(self) -> None:
        """Drop what was parsed and read on; an item that outgrows the buffer doubles the read,
        and one larger than any real tweet is refused rather than held in memory."""
        pending = len(self._text) - self._at
        if pending > _MAX_ITEM_CHARS:
            raise ValueError(f"an item longer than {_MAX_ITEM_CHARS} characters")
        chunk = self._stream.read(max(_READ_BYTES, pending))
        self._text = self._text[self._at :] + self._decode(chunk, final=not chunk)
        self._at = 0
        self._ended = not chunk


def _head(files: ExportFiles, member: Member, pattern: re.Pattern[str]) -> re.Match[str] | None:
    """Match the first bytes only, so detection never parses a large file."""
    with files.open(member.name) as stream:
        head = stream.read(_PEEK_BYTES).decode("utf-8", errors="replace")
    return pattern.match(head.lstrip("\ufeff"))


def _ytd_files(files: ExportFiles, stem: str) -> list[Member]:
    """`<stem>.js` and `<stem>-partN.js`, in part order."""
    parts = []
    for member in files.members:
        match = _YTD_FILE_NAME.fullmatch(member.basename.lower())
        if match and match["stem"] == stem:
            parts.append((int(match["part"] or 0), member))
    return [member for _, member in sorted(parts, key=lambda part: (part[0], part[1].name))]


def _classic_months(files: ExportFiles) -> list[Member]:
    months = [member for member in files.members if _CLASSIC_MONTH_PATH.search(member.name)]
    return sorted(months, key=lambda member: member.name)


def _authored_sources(files: ExportFiles, layout: str) -> list[tuple[Member, str]]:
    """The files holding the person's own tweets, each with the audience it implies."""
    if layout == "x-classic":
        return [(member, "public") for member in _classic_months(files)]
    main = "tweets" if layout == "x-2022" else "tweet"
    sources = [(member, "public") for member in _ytd_files(files, main)]
    for stem, visibility in _SIDE_FILES.items():
        sources += [(member, visibility) for member in _ytd_files(files, stem)]
    return sources


def _check_manifest(files: ExportFiles) -> list[str]:
    """A part the manifest lists but the export lacks means a partial download: auditing part of
    a history would understate it, so the export is refused. Returns the manifest read, if any."""
    manifests = files.with_basename("manifest.js")
    if not manifests:
        return []
    present = {member.basename.lower() for member in files.members}
    data_types = _dict(_dict(_read_js(files, manifests[0].name)).get("dataTypes"))
    for data_type in _CONTENT_TYPES:
        for entry in _list(_dict(data_types.get(data_type)).get("files")):
            listed = _text(_dict(entry).get("fileName"))
            if listed and PurePosixPath(listed).name.lower() not in present:
                raise ArchiveError(f"{files.path.name}: the manifest lists missing {listed}")
    return [manifests[0].name]


def _read_long_posts(files: ExportFiles) -> tuple[_LongPosts, list[str]]:
    long_posts = _LongPosts()
    members = _ytd_files(files, "note-tweet")
    for member in members:
        long_posts.add_all(_read_items(files, member.name))
    return long_posts, [member.name for member in members]


def _count_deleted(files: ExportFiles, coverage: Coverage) -> list[str]:
    """Tweets and long posts the person deleted before exporting are read and counted, never
    stored."""
    members = _ytd_files(files, "deleted-tweets") + _ytd_files(files, "deleted-note-tweet")
    for member in members:
        if deleted := sum(1 for _ in _read_items(files, member.name)):
            coverage.records_read += deleted
            coverage.skip("deleted_by_user", deleted)
    return [member.name for member in members]


def _ignored_labels(files: ExportFiles, read: set[str]) -> list[str]:
    """Members not read; a media folder counts once, as 'folder/', however many files it holds."""
    labels = set()
    for member in files.members:
        if member.name in read:
            continue
        folder = PurePosixPath(member.name).parent
        labels.add(f"{folder}/" if "media" in folder.name.lower() else member.name)
    return sorted(labels)


def _account_info(entry: object, handle_key: str, name_key: str, id_key: str) -> AccountInfo:
    fields = _dict(entry)
    handle = (_text(fields.get(handle_key)) or "").lstrip("@").lower() or None
    return AccountInfo(
        platform=PLATFORM,
        handle=handle,
        display_name=_text(fields.get(name_key)),
        account_id=_text(fields.get(id_key)),
    )


# -- one tweet -----------------------------------------------------------------------------------


class _Skip(Exception):
    """A record read but not yielded; the reason is counted in the coverage."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _TweetConverter:
    """One archive item to one PostRecord, or a `_Skip` saying why not."""

    def __init__(self, handle: str | None, long_posts: _LongPosts, coverage: Coverage) -> None:
        self.handle = handle
        self.long_posts = long_posts
        self.coverage = coverage

    def convert(self, item: object, visibility: str) -> PostRecord:
        tweet = _dict(item).get("tweet", item)
        if not isinstance(tweet, dict):
            raise _Skip("malformed_item")
        if not _KNOWN_KEYS.issuperset(tweet):  # a set is made only for a tweet that needs it
            self.coverage.unknown_keys.update(tweet.keys() - _KNOWN_KEYS)
        post_id = _text(tweet.get("id_str")) or _text(tweet.get("id"))
        if not post_id:
            raise _Skip("missing_id")
        raw_text = tweet.get("full_text") or tweet.get("text")  # null or absent in some items
        if not isinstance(raw_text, str) or not raw_text.strip():
            raise _Skip("missing_text")
        if raw_text.startswith("RT @") or "retweeted_status" in tweet:
            raise _Skip("repost")
        if _is_earlier_edit(tweet, post_id):
            raise _Skip("earlier_edit_version")
        created_at = parse_created_at(tweet.get("created_at"))
        if created_at is None:
            raise _Skip("bad_timestamp")

        urls = [entry for entry in _list(_dict(tweet.get("entities")).get("urls")) if entry]
        text = _visible_text(raw_text, urls, _media_links(tweet))
        text = self.long_posts.full_text(created_at, text) or text
        if not text:
            raise _Skip("media_only")
        in_reply_to = _text(tweet.get("in_reply_to_status_id_str")) or _text(
            tweet.get("in_reply_to_status_id")
        )
        kind = "reply" if in_reply_to else "quote" if self._links_to_a_post(urls) else "post"
        return PostRecord(
            platform=PLATFORM,
            post_id=post_id,
            created_at=created_at,
            kind=kind,
            text=text,
            visibility=visibility,
            url=f"https://x.com/{self.handle or 'i/web'}/status/{post_id}",
            in_reply_to=in_reply_to,
            like_count=_count(tweet.get("favorite_count")),
            repost_count=_count(tweet.get("retweet_count")),
        )

    def _links_to_a_post(self, urls: list[object]) -> bool:
        """A quote is a link to a post; a link to one's own photo or video is the attachment."""
        for entry in urls:
            link = _STATUS_LINK.match(_text(_dict(entry).get("expanded_url")) or "")
            if link is None:
                continue
            own = self.handle is None or link["user"].lower() == self.handle
            if not (link["media"] and own):
                return True
        return False


def parse_created_at(value: object) -> datetime | None:
    """X's "%a %b %d %H:%M:%S %z %Y" (or the classic "%Y-%m-%d %H:%M:%S %z") as aware UTC.

    Day and month names are matched here against English ones, because strptime's %a and %b
    follow the process locale and would fail on a server set to another language."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    modern = _CREATED_AT.fullmatch(text)
    try:
        if modern and modern["month"] in _MONTH_NUMBERS:
            return _modern_created_at(modern)
        parsed = datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")
    except (ValueError, OverflowError):  # an impossible date, or one beyond year 1 or 9999
        return None
    return parsed.astimezone(UTC)


def _modern_created_at(found: re.Match[str]) -> datetime:
    """Built from the matched fields (strptime would cost a third of the parse); raises
    ValueError on an impossible date or time, as strptime does."""
    month, day, hour, minute, second, sign, hh, mm, year = found.groups()
    moment = datetime(
        int(year),
        _MONTH_NUMBERS[month],
        int(day),
        int(hour),
        int(minute),
        int(second),
        tzinfo=UTC,
    )
    if hh == "00" and mm == "00":  # X writes every time in UTC: nothing to shift
        return moment
    offset = timedelta(hours=int(hh), minutes=int(mm))
    if offset >= timedelta(days=1):
        raise ValueError("offset out of range")
    return moment - offset if sign == "+" else moment + offset


def _visible_text(raw_text: str, urls: list[object], media_links: set[str]) -> str:
    """The text as readers saw it: entities decoded, t.co links expanded, and the links X adds for
    attached media dropped (the attachment is not text)."""
    text = html.unescape(raw_text)
    for link in media_links:
        text = text.replace(link, "")
    return _expand_links(text, urls, "url", "expanded_url").strip()


def _expand_links(text: str, entries: list[object], short_key: str, long_key: str) -> str:
    """Each t.co link replaced by the address it stands for."""
    for entry in entries:
        short, expanded = _text(_dict(entry).get(short_key)), _text(_dict(entry).get(long_key))
        if short and expanded:
            text = text.replace(short, expanded)
    return text


def _media_links(tweet: dict[str, object]) -> set[str]:
    links = set()
    for container in (tweet.get("entities"), tweet.get("extended_entities")):
        if type(container) is dict and (media := container.get("media")):  # most tweets: none
            for entry in _list(media):
                if link := _text(_dict(entry).get("url")):
                    links.add(link)
    return links


def _is_earlier_edit(tweet: dict[str, object], post_id: str) -> bool:
    """Every version of an edited tweet is in the archive; the last id listed is the current one."""
    edit_info = _dict(tweet.get("edit_info"))
    control = _dict(edit_info.get("initial")) or _dict(
        _dict(edit_info.get("edit")).get("editControlInitial")
    )
    listed = _list(control.get("editTweetIds"))
    if len(listed) < 2:
        return False  # never edited: its one id is its own
    versions = [_text(version) for version in listed]
    return post_id in versions and post_id != versions[-1]


class _LongPosts:
    """Full texts of long posts from note-tweet.js, keyed by creation instant.

    tweets.js holds only the first 280 characters of a long post. A note is taken as a tweet's
    text only when it begins like the tweet, so another tweet posted in the same second keeps its
    own text, and of several notes from that second the one sharing the longest start wins."""

    def __init__(self) -> None:
        self._by_instant: dict[datetime, list[str]] = defaultdict(list)

    def add_all(self, items: Iterable[object]) -> None:
        for item in items:
            note = _dict(_dict(item).get("noteTweet"))
            core = _dict(note.get("core"))
            text, created_at = core.get("text"), _parse_iso(note.get("createdAt"))
            if isinstance(text, str) and text.strip() and created_at:
                # Unlike tweets.js, note text is not HTML-escaped (a real note holds a bare '>>').
                text = _expand_links(text, _list(core.get("urls")), "shortUrl", "expandedUrl")
                self._by_instant[created_at].append(text.strip())

    def full_text(self, created_at: datetime, tweet_text: str) -> str | None:
        notes = self._by_instant.get(created_at)
        if not notes:
            return None
        start = _opening(tweet_text)
        best = max(notes, key=lambda note: _shared_prefix(_opening(note), start))
        needed = min(len(start), _MIN_SHARED_PREFIX)
        return best if _shared_prefix(_opening(best), start) >= needed else None


def _opening(text: str) -> str:
    """The text to compare a note with: reply mentions dropped, whitespace collapsed."""
    return " ".join(_LEADING_MENTIONS.sub("", text).split())


def _shared_prefix(first: str, second: str) -> int:
    length = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        length += 1
    return length


def _parse_iso(value: object) -> datetime | None:
    """Note times are ISO 8601 in UTC ("2023-10-13T14:58:50.000Z")."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.replace(tzinfo=parsed.tzinfo or UTC).astimezone(UTC)


# -- tolerant access to optional values (keys come and go between archive versions) -------------


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _text(value: object) -> str | None:
    """A non-empty string from a string or an integer id; None for anything else."""
    if type(value) is str:  # nearly always: tested first, it is called six times a tweet
        return value.strip() or None
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return str(value)


def _count(value: object) -> int | None:
    text = _text(value)
    return int(text) if text and text.isascii() and text.isdigit() else None
