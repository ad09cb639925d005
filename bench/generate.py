"""Synthetic exports for the benchmarks, of any size, the same bytes for the same seed.

* `write_x_archive`: an X archive zip in the current layout (`data/tweets.js` and
  `tweets-partN.js` behind `window.YTD.tweets.partN =`, account.js, manifest.js, note-tweet.js
  for long posts, deleted-tweets.js), with what real archives hold: retweets, replies, quotes,
  t.co links, photos, HTML entities, edited tweets with their earlier versions.
* `write_facebook_export`: a Facebook "Download Your Information" zip in the 2024 layout
  (`your_facebook_activity/posts/your_posts__check_ins__photos_and_videos_1.json`), every string
  written as Meta does, one `\\u00XX` escape per UTF-8 byte (mojibake).
* `write_organisation`: an inbox of X archives (inbox/<person_id>/x.zip) and its roster CSV.

Post texts mix everyday posts with ones that break the rules (patient details, substance use,
contempt for patients or colleagues, profanity, health misinformation, selling to patients), 20
to 280 characters long. Every person, place and post is invented.

    .venv/bin/python -m bench.generate x --posts 100000 --out bench/data/x-100k.zip
"""

from __future__ import annotations

import argparse
import json
import random
import zipfile
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# -- text -----------------------------------------------------------------------------------------

FIRST_NAMES = ["Sam", "Priya", "Owen", "Ruth", "Kofi", "Megan", "Tariq", "Lena", "Joe", "Ivy"]
SURNAMES = ["Hollins", "Marsh", "Okafor", "Benn", "Castell", "Draper", "Fenwick", "Gill"]
TOWNS = ["Thornby", "Millbridge", "Ashcombe", "Kelham", "Wrenfield", "Oakmere", "Halsey"]
WARDS = ["Ward 7", "Ward 12", "bay 3", "bed 14", "cubicle 2", "side room 4", "Elm Ward"]

EVERYDAY = [
    "Lovely walk along the canal this morning before {day} shift.",
    "Anyone else's kids refusing to eat anything green this week?",
    "Proud to have finished my {course} module today, onto the next one!",
    "Coffee number three and it's not even ten o'clock.",
    "Great turnout at the {town} 10k, well done to everyone who ran for the hospice.",
    "Reading a brilliant paper on falls prevention in older adults, worth a look.",
    "The new rota app is a bit clunky but getting used to it.",
    "Huge thanks to the team for the leaving do last night, I'll miss you all.",
    "Weather in {town} is grim again, umbrella at the ready.",
    "Just booked a week in Cornwall and I can't wait.",
    "Reminder that flu jabs for staff are running in the canteen all week.",
    "Does anyone have a good recipe for a vegetarian lasagne?",
    "Our band played the {town} summer fair, what a laugh.",
    "Cracking match tonight, what a finish.",
    "Hydrate, eat something proper and get some sleep after nights, folks.",
    "New trainers, new me. Let's see how long this running thing lasts.",
    "If you're thinking about a career in healthcare, do it, it's worth every hard day.",
    "Shoutout to the porters who keep this place moving, unsung heroes.",
    "Team quiz night raised £240 for the children's ward, thank you all!",
    "Finished the reflective log for revalidation at last.",
    "Dog has discovered the sofa and there is no going back.",
    "Podcast recommendation: anything about the history of medicine.",
    "Garden is finally looking like a garden again.",
    "Bus was late, train was late, but I made it for handover.",
]

RULE_BREAKING = [
    "Had a {age} year old in {ward} last night from {town}, retired teacher, pulled his "
    "cannula out three times lol",
    "Mrs {surname} in {ward} is driving us all mad today, family won't stop ringing",
    "{age}yo lady in {ward} with a massive leg ulcer, her daughter is a nightmare",
    "Who's up for a few lines of coke after this shift? Need it after today",
    "Still drunk from last night and on shift in an hour, wish me luck",
    "Nicked a couple of diazepam from the drug cupboard, best sleep I've had in weeks",
    "Another frequent flyer bed blocker in {ward}, can't wait to get rid of her",
    "That fat patient in {ward} broke another commode, disgusting",
    "Our new consultant is a useless idiot, how did he ever pass his exams",
    "What a fucking shit day, this place is a joke",
    "Vaccines cause more harm than the diseases, do your own research before your jab",
    "Forget antibiotics, colloidal silver cures infections naturally, trust me I'm a nurse",
    "Patients of mine get 20% off my wellness supplements, DM me for the code",
    "Added one of my patients on Facebook, she's lovely, going for drinks Friday",
    "NHS no 943 476 5919 came in again, same story as always",
    "Guess which famous footballer came into A&E today with a broken ankle, not saying who",
    "Patient in {ward} tonight, aged {age}, third overdose this month",
    "Bloody bank staff are all lazy, sat on their phones all night",
]

ENDINGS = ["", "", " #nhs", " #nightshift", " 😂", " x", " 🙄", " #nurselife", " #paramedic"]


def post_texts(rng: random.Random, breaking_share: float = 0.12) -> Iterator[str]:
    """Endless post texts, 20 to 280 characters, about one in eight breaking a rule."""
    while True:
        target = min(280, max(20, int(rng.lognormvariate(4.6, 0.55))))
        text = ""
        while len(text) < target:
            pool = RULE_BREAKING if rng.random() < breaking_share else EVERYDAY
            text = (text + " " + _fill(rng.choice(pool), rng)).strip()
            if rng.random() < 0.6:
                break
        text += rng.choice(ENDINGS)
        if len(text) > 280:
            text = text[:280].rsplit(" ", 1)[0]
        yield text if len(text) >= 20 else text + " - long day, more tomorrow"


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        age=rng.randint(2, 97),
        ward=rng.choice(WARDS),
        town=rng.choice(TOWNS),
        surname=rng.choice(SURNAMES),
        day=rng.choice(["day", "night", "late", "early"]),
        course=rng.choice(["prescribing", "leadership", "wound care", "safeguarding"]),
    )


# -- X --------------------------------------------------------------------------------------------

TWEETS_PER_PART = 200_000
FIRST_TWEET_ID = 1_100_000_000_000_000_000
START = datetime(2016, 1, 4, 7, 30, tzinfo=UTC)
HISTORY = timedelta(days=9 * 365)  # every export spans 2016 to the end of 2024, whatever its size


def write_x_archive(
    path: Path,
    posts: int,
    seed: int,
    handle: str = "bench_user",
    first_id: int = FIRST_TWEET_ID,
    history: int | None = None,
    per_part: int = TWEETS_PER_PART,
) -> Path:
    """An X archive zip with about `posts` authored tweets (plus the retweets, earlier edit
    versions and deletions X also writes), `history` of them (default all) spread over nine
    years from 2016. A newer export of the same account is the same call with more posts and the
    same history: its first `history` tweets are the earlier export's, the rest are new.
    `per_part` tweets go in each tweets file (X splits a large archive into parts; a larger
    value makes one big tweets.js)."""
    rng = random.Random(seed)
    gap = HISTORY.total_seconds() / max(history or posts, 1)
    texts = post_texts(rng)
    parts = max(1, -(-posts // per_part))
    path.parent.mkdir(parents=True, exist_ok=True)
    notes: list[dict[str, Any]] = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        _write_js(archive, "data/account.js", "window.YTD.account.part0", [_account(handle)])
        _write_js(archive, "data/manifest.js", "window.__THAR_CONFIG", _manifest(handle, parts))
        tweet_id, moment = first_id, START
        for part in range(parts):
            name = "data/tweets.js" if part == 0 else f"data/tweets-part{part}.js"
            count = min(per_part, posts - part * per_part)
            with archive.open(_member(name), "w", force_zip64=True) as member:
                member.write(f"window.YTD.tweets.part{part} = [".encode())
                for index in range(count):
                    moment += timedelta(seconds=int(gap * rng.uniform(0.2, 1.8)))
                    tweet_id += rng.randint(1, 10**9)
                    items = _tweet_versions(rng, tweet_id, moment, next(texts), handle, notes)
                    for number, item in enumerate(items):
                        separator = "" if index == 0 and number == 0 else ","
                        member.write((separator + " " + _x_json(item)).encode())
                member.write(b"\n]")
        _write_js(archive, "data/note-tweet.js", "window.YTD.note_tweet.part0", notes)
        deleted = [_tweet(rng, first_id - n, START, "Deleted long ago", handle) for n in (1, 2, 3)]
        _write_js(archive, "data/deleted-tweets.js", "window.YTD.deleted_tweets.part0", deleted)
    return path


def _tweet_versions(
    rng: random.Random,
    tweet_id: int,
    moment: datetime,
    text: str,
    handle: str,
    notes: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The items X writes for one authored tweet: usually one, a retweet now and then, two
    versions when it was edited, and a note-tweet when it was long."""
    roll = rng.random()
    if roll < 0.05:
        return [_tweet(rng, tweet_id, moment, f"RT @nhs_news_demo: {text}", handle)]
    if roll < 0.07:
        earlier = _tweet(rng, tweet_id - 1, moment, text + " (typo)", handle)
        latest = _tweet(rng, tweet_id, moment, text, handle)
        versions = [str(tweet_id - 1), str(tweet_id)]
        for item in (earlier, latest):
            item["tweet"]["edit_info"]["initial"]["editTweetIds"] = versions
        return [earlier, latest]
    if roll < 0.08:
        long_text = (text + " ") * 3
        notes.append(_note(tweet_id + 7, moment, long_text.strip()))
        return [_tweet(rng, tweet_id, moment, long_text[:275] + "…", handle)]
    return [_tweet(rng, tweet_id, moment, text, handle)]


def _tweet(
    rng: random.Random, tweet_id: int, moment: datetime, text: str, handle: str
) -> dict[str, Any]:
    id_str = str(tweet_id)
    urls: list[dict[str, Any]] = []
    entities: dict[str, Any] = {"hashtags": [], "symbols": [], "user_mentions": [], "urls": urls}
    tweet: dict[str, Any] = {
        "edit_info": {
            "initial": {
                "editTweetIds": [id_str],
                "editableUntil": (moment + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "editsRemaining": "5",
                "isEditEligible": True,
            }
        },
        "retweeted": False,
        "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
        "entities": entities,
        "display_text_range": ["0", str(len(text))],
        "favorite_count": str(rng.choice([0, 0, 1, 2, 5, 12, 40])),
        "id_str": id_str,
        "truncated": False,
        "retweet_count": str(rng.choice([0, 0, 0, 1, 3])),
        "id": id_str,
        "created_at": moment.strftime("%a %b %d %H:%M:%S +0000 %Y"),
        "favorited": False,
        "full_text": text.replace("&", "&amp;"),
        "lang": "en",
    }
    roll = rng.random()
    if roll < 0.2:
        tweet["in_reply_to_status_id_str"] = tweet["in_reply_to_status_id"] = str(tweet_id - 99)
        tweet["in_reply_to_screen_name"] = "colleague_demo"
        tweet["full_text"] = "@colleague_demo " + tweet["full_text"]
        entities["user_mentions"].append({"screen_name": "colleague_demo", "id_str": "42"})
    elif roll < 0.35:
        short = f"https://t.co/{rng.randrange(36**10):010x}"
        quote = roll < 0.23
        expanded = (
            f"https://twitter.com/nhs_news_demo/status/{tweet_id - 5000}"
            if quote
            else "https://example.org/news/staff-wellbeing"
        )
        urls.append({"url": short, "expanded_url": expanded, "display_url": expanded[8:40]})
        tweet["full_text"] += " " + short
    elif roll < 0.4:
        media = f"https://t.co/{rng.randrange(36**10):010x}"
        entities["media"] = [{"url": media, "type": "photo", "id_str": str(tweet_id + 1)}]
        tweet["full_text"] += " " + media
    return {"tweet": tweet}


def _note(note_id: int, moment: datetime, text: str) -> dict[str, Any]:
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    core = {"styletags": [], "urls": [], "text": text, "mentions": [], "hashtags": []}
    return {
        "noteTweet": {"noteTweetId": str(note_id), "updatedAt": stamp, "lifecycle": {"value": "1"},
                      "createdAt": stamp, "core": core}
    }  # fmt: skip


def _account(handle: str) -> dict[str, Any]:
    return {
        "account": {
            "email": f"{handle}@example.org",
            "createdVia": "web",
            "username": handle,
            "accountId": str(zlib.crc32(handle.encode())),
            "createdAt": "2014-02-01T09:00:00.000Z",
            "accountDisplayName": handle.replace("_", " ").title(),
        }
    }


def _manifest(handle: str, parts: int) -> dict[str, Any]:
    files = [
        {"fileName": "data/tweets.js" if n == 0 else f"data/tweets-part{n}.js",
         "globalName": f"YTD.tweets.part{n}", "count": "0"}
        for n in range(parts)
    ]  # fmt: skip
    return {
        "userInfo": {"userName": handle, "displayName": handle},
        "archiveInfo": {"sizeBytes": "0", "generationDate": "2025-06-01T00:00:00.000Z"},
        "dataTypes": {"tweets": {"files": files}},
    }


def _x_json(value: object) -> str:
    """X's own spacing: two-space indent and ' : ' between key and value."""
    return json.dumps(value, indent=2, separators=(",", " : "), ensure_ascii=False)


def _write_js(archive: zipfile.ZipFile, name: str, variable: str, value: object) -> None:
    archive.writestr(_member(name), f"{variable} = {_x_json(value)}")


def _member(name: str) -> zipfile.ZipInfo:
    """A zip entry with a fixed date, so the same seed gives the same bytes."""
    info = zipfile.ZipInfo(name, date_time=(2025, 6, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


# -- Facebook -------------------------------------------------------------------------------------


def write_facebook_export(path: Path, posts: int, seed: int, name: str = "Bench User") -> Path:
    """A Facebook JSON export zip: profile and your_posts, strings in Meta's mojibake."""
    rng = random.Random(seed)
    texts = post_texts(rng)
    gap = HISTORY.total_seconds() / max(posts, 1)
    moment = START
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = "your_facebook_activity/posts"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        profile = {
            "profile_v2": {
                "name": {"full_name": name},
                "username": name.lower().replace(" ", "."),
                "profile_uri": f"https://www.facebook.com/{name.lower().replace(' ', '.')}",
            }
        }
        archive.writestr(
            _member("personal_information/profile_information/profile_information.json"),
            _meta_json(profile),
        )
        posts_file = _member(f"{folder}/your_posts__check_ins__photos_and_videos_1.json")
        with archive.open(posts_file, "w", force_zip64=True) as out:
            out.write(b"[")
            for index in range(posts):
                moment += timedelta(seconds=int(gap * rng.uniform(0.2, 1.8)))
                stamp = int(moment.timestamp())
                entry = {
                    "timestamp": stamp,
                    "attachments": [],
                    "data": [{"post": next(texts)}, {"update_timestamp": stamp}, {}],
                    "title": f"{name} updated their status.",
                }
                out.write(((", " if index else "\n") + _meta_json(entry)).encode())
            out.write(b"\n]")
    return path


def _meta_json(value: object) -> str:
    """JSON as Meta writes it: each string's UTF-8 bytes escaped one by one as \\u00XX."""
    return json.dumps(_mojibake(value), indent=2)


def _mojibake(value: object) -> object:
    if isinstance(value, str):
        return value.encode("utf-8").decode("latin-1")
    if isinstance(value, list):
        return [_mojibake(item) for item in value]
    if isinstance(value, dict):
        return {_mojibake(key): _mojibake(item) for key, item in value.items()}
    return value


# -- an organisation -------------------------------------------------------------------------------


def write_organisation(folder: Path, people: int, posts_per_person: int, seed: int) -> Path:
    """inbox/<person_id>/x.zip for each person, and roster.csv beside the inbox. A person's
    export is `write_x_archive(path, posts, *person_archive(number, seed))`."""
    inbox = folder / "inbox"
    teams = ["acute/emergency", "acute/ward-7", "community/physio", "community/district-nursing"]
    rows = ["person_id,display_name,team,role,regulator,twitter"]
    for number in range(people):
        person, (person_seed, handle, first_id) = f"p{number:03d}", person_archive(number, seed)
        write_x_archive(inbox / person / "x.zip", posts_per_person, person_seed, handle, first_id)
        regulator = ("hcpc", "nmc", "gmc")[number % 3]
        rows.append(f"{person},Person {number},{teams[number % 4]},nurse,{regulator},{handle}")
    (folder / "roster.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return inbox


def person_archive(number: int, seed: int) -> tuple[int, str, int]:
    """The seed, handle and first tweet id of an organisation member's exports."""
    return seed + number, f"staff_{number:03d}_demo", FIRST_TWEET_ID + number * 10**16


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=["x", "facebook", "organisation"])
    parser.add_argument("--posts", type=int, default=10_000, help="posts (per person)")
    parser.add_argument("--people", type=int, default=50, help="organisation only")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    if args.kind == "x":
        write_x_archive(args.out, args.posts, args.seed)
    elif args.kind == "facebook":
        write_facebook_export(args.out, args.posts, args.seed)
    else:
        write_organisation(args.out, args.people, args.posts, args.seed)
    print(args.out)


if __name__ == "__main__":
    main()
