"""Build the bundled sample exports from posts.yaml and roster.csv.

Writes one X archive per person, in the layout X uses today, to
`<out>/<person_id>/twitter-<export date>-<short hash>/data/`. What X would generate (ids, seconds,
t.co links, like counts) is derived from the inputs by hashing, so a rebuild reproduces the
committed folders byte for byte.

    python data/sample/build_sample.py            # rebuilds data/sample/inbox/
    python data/sample/build_sample.py OUT_DIR
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import shutil
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
EXPORT_DATE = date(2025, 11, 3)
TWITTER_EPOCH_MS = 1288834974657  # X ids ("snowflakes") count milliseconds from this instant
MAX_POST_CHARS = 280  # longer posts are "note tweets": truncated in tweets.js, whole elsewhere
NOTE_PREVIEW_CHARS = 250
RETWEET_PREVIEW_CHARS = 140  # the archive keeps only the start of a retweet
SOURCE = '<a href="http://twitter.com/download/android" rel="nofollow">Twitter for Android</a>'


def build(posts_path: Path, roster_path: Path, out_dir: Path) -> list[Path]:
    """Write every person's export under out_dir, replacing earlier builds; returns the exports."""
    posts = yaml.safe_load(posts_path.read_text(encoding="utf-8"))["people"]
    with roster_path.open(encoding="utf-8", newline="") as roster:
        people = list(csv.DictReader(roster))
    exports = []
    for worker, person in enumerate(people, start=1):
        person_dir = out_dir / person["person_id"]
        if person_dir.exists():
            shutil.rmtree(person_dir)
        exports.append(write_export(person, posts[person["person_id"]], worker, person_dir))
    return exports


def write_export(person: dict[str, str], posts: list[dict], worker: int, person_dir: Path) -> Path:
    handle = person["twitter"]
    account_id = account_id_of(handle)
    tweets, notes = [], []
    previous_id = None
    for index, post in enumerate(posts):
        tweet, note = tweet_of(post, index, worker, handle, account_id, previous_id)
        tweets.append({"tweet": tweet})
        if note:
            notes.append({"noteTweet": note})
        previous_id = tweet["id_str"]
    tweets.reverse()  # X lists the newest first

    data_files = {
        "account.js": ytd("account", [{"account": account_of(person, account_id)}]),
        "account-timezone.js": ytd(
            "account_timezone",
            [{"accountTimezone": {"accountId": account_id, "timeZone": "London"}}],
        ),
        "tweets.js": ytd("tweets", tweets),
        "note-tweet.js": ytd("note_tweet", notes),
        "deleted-tweets.js": ytd("deleted_tweets", []),
        "community-tweet.js": ytd("community_tweet", []),
        "direct-messages.js": ytd("direct_messages", []),
        "like.js": ytd("like", []),
    }
    short_hash = hashlib.sha256(data_files["tweets.js"].encode()).hexdigest()[:10]
    data_dir = person_dir / f"twitter-{EXPORT_DATE}-{short_hash}" / "data"
    data_dir.mkdir(parents=True)
    for name, text in data_files.items():
        (data_dir / name).write_bytes(text.encode("utf-8"))
    counts = {"tweets.js": len(tweets), "note-tweet.js": len(notes), "account.js": 1}
    manifest = manifest_of(person, account_id, data_files, counts)
    (data_dir / "manifest.js").write_bytes(manifest.encode("utf-8"))
    return data_dir.parent


def tweet_of(
    post: dict,
    index: int,
    worker: int,
    handle: str,
    account_id: str,
    previous_id: str | None,
) -> tuple[dict, dict | None]:
    """One tweets.js entry for a posts.yaml post, and its note-tweet.js entry when it is long."""
    created = datetime.strptime(post["at"], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    created += timedelta(seconds=digest(handle, str(index)) % 60)
    tweet_id = snowflake(created, worker, index)
    kind = post.get("kind", "post")
    text = post["text"]
    tweet: dict = {}
    links: list[tuple[str, str]] = []  # (t.co link, the address it stands for)
    mentions: list[str] = []
    note = None

    if kind == "repost":
        visible = preview(f"RT @{post['of']}: {text}", RETWEET_PREVIEW_CHARS)
        mentions.append(post["of"])
    elif kind == "reply":
        target = handle if post["reply_to"] == "self" else post["reply_to"]
        visible = f"@{target} {text}"
        mentions.append(target)
        replied_to = previous_id if post["reply_to"] == "self" else None
        replied_to = replied_to or snowflake(created - timedelta(minutes=17), 31, index)
        tweet.update(
            in_reply_to_status_id_str=replied_to,
            in_reply_to_status_id=replied_to,
            in_reply_to_user_id_str=account_id_of(target),
            in_reply_to_user_id=account_id_of(target),
            in_reply_to_screen_name=target,
        )
    elif len(text) > MAX_POST_CHARS:
        visible = preview(text, NOTE_PREVIEW_CHARS)
        links.append((tco(handle, index, "note"), f"https://twitter.com/i/web/status/{tweet_id}"))
        note = note_of(text, created, worker, index)
    else:
        visible = text
    if kind == "quote":
        quoted = snowflake(created - timedelta(hours=2), 30, index)
        quoted_url = f"https://twitter.com/{post['quotes']}/status/{quoted}"
        links.append((tco(handle, index, "quote"), quoted_url))
    if "link" in post:
        links.append((tco(handle, index, "link"), post["link"]))

    full_text = " ".join([html.escape(visible, quote=False), *(short for short, _ in links)])
    tweet.update(
        edit_info={
            "initial": {
                "editTweetIds": [tweet_id],
                "editableUntil": iso(created + timedelta(hours=1)),
                "editsRemaining": "5",
                "isEditEligible": kind != "repost",
            }
        },
        retweeted=False,
        source=SOURCE,
        entities={
            "hashtags": [],
            "symbols": [],
            "user_mentions": [mention_of(name, full_text) for name in mentions],
            "urls": [url_entity(short, long, full_text) for short, long in links],
        },
        display_text_range=["0", str(len(full_text))],
        favorite_count="0" if kind == "repost" else str(digest(handle, str(index), "likes") % 40),
        id_str=tweet_id,
        truncated=False,
        retweet_count="0" if kind == "repost" else str(digest(handle, str(index), "rts") % 6),
        id=tweet_id,
        created_at=created.strftime("%a %b %d %H:%M:%S +0000 %Y"),
        favorited=False,
        full_text=full_text,
        lang="en",
    )
    return tweet, note


def note_of(text: str, created: datetime, worker: int, index: int) -> dict:
    """A note-tweet.js entry: the whole text, unescaped; its id differs from the tweet's."""
    return {
        "noteTweetId": snowflake(created, worker, index + 2048),
        "updatedAt": iso(created),
        "lifecycle": {"value": "1", "name": "Active", "originalName": "Active", "annotations": {}},
        "createdAt": iso(created),
        "core": {
            "styletags": [],
            "urls": [],
            "text": text,
            "mentions": [],
            "cashtags": [],
            "hashtags": [],
        },
    }


def account_of(person: dict[str, str], account_id: str) -> dict:
    return {
        "email": f"{person['twitter']}@example.org",
        "createdVia": "web",
        "username": person["twitter"],
        "accountId": account_id,
        "createdAt": iso(account_created(person["twitter"])),
        "accountDisplayName": person["display_name"],
    }


def manifest_of(
    person: dict[str, str], account_id: str, data_files: dict[str, str], counts: dict[str, int]
) -> str:
    data_types = {}
    for name in data_files:
        stem = name.removesuffix(".js")
        words = stem.split("-")
        data_type = words[0] + "".join(word.title() for word in words[1:])
        data_types[data_type] = {
            "files": [
                {
                    "fileName": f"data/{name}",
                    "globalName": f"YTD.{stem.replace('-', '_')}.part0",
                    "count": str(counts.get(name, 0)),
                }
            ]
        }
    config = {
        "userInfo": {
            "accountId": account_id,
            "userName": person["twitter"],
            "displayName": person["display_name"],
        },
        "archiveInfo": {
            "sizeBytes": str(sum(len(text.encode()) for text in data_files.values())),
            "generationDate": f"{EXPORT_DATE}T06:00:00.000Z",
            "isPartialArchive": False,
            "maxPartSizeBytes": "53687091200",
        },
        "readmeInfo": {"fileName": "data/README.txt", "directory": "data/", "name": "README.txt"},
        "dataTypes": dict(sorted(data_types.items())),
    }
    return f"window.__THAR_CONFIG = {x_json(config)}"


# -- what X would generate, derived from the inputs ----------------------------------------------


def digest(*parts: str) -> int:
    return int(hashlib.sha256("|".join(parts).encode()).hexdigest(), 16)


def snowflake(moment: datetime, worker: int, sequence: int) -> str:
    """An X id: milliseconds since X's epoch, then a worker number and a sequence number."""
    milliseconds = int(moment.timestamp() * 1000) - TWITTER_EPOCH_MS
    return str((milliseconds << 22) | (worker % 32 << 17) | (sequence % 4096))


def account_created(handle: str) -> datetime:
    return datetime(2014, 1, 1, tzinfo=UTC) + timedelta(days=digest(handle) % 2500)


def account_id_of(handle: str) -> str:
    return snowflake(account_created(handle), 0, digest(handle, "account") % 4096)


def tco(handle: str, index: int, purpose: str) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    number = digest(handle, str(index), purpose)
    code = "".join(alphabet[number // 62**position % 62] for position in range(10))
    return f"https://t.co/{code}"


def preview(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def mention_of(screen_name: str, full_text: str) -> dict:
    start = full_text.find(f"@{screen_name}")
    return {
        "name": screen_name,
        "screen_name": screen_name,
        "indices": [str(start), str(start + len(screen_name) + 1)],
        "id_str": account_id_of(screen_name),
        "id": account_id_of(screen_name),
    }


def url_entity(short: str, expanded: str, full_text: str) -> dict:
    start = full_text.find(short)
    display = expanded.split("://", 1)[-1]
    return {
        "url": short,
        "expanded_url": expanded,
        "display_url": display if len(display) <= 26 else display[:25] + "…",
        "indices": [str(start), str(start + len(short))],
    }


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def ytd(name: str, items: list) -> str:
    return f"window.YTD.{name}.part0 = {x_json(items)}"


def x_json(value: object) -> str:
    """JSON laid out as X lays it out: two-space indent, `"key" : value`."""
    return json.dumps(value, indent=2, ensure_ascii=False, separators=(",", " : "))


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "inbox"
    for export in build(HERE / "posts.yaml", HERE / "roster.csv", out):
        print(export)
