"""Build small X archives in the real layout for ingest tests (parser details have their own
fixtures under tests/fixtures/twitter/)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path


def tweet(tweet_id: str, text: str, when: datetime, **extra: object) -> dict[str, object]:
    body: dict[str, object] = {
        "id_str": tweet_id,
        "id": tweet_id,
        "full_text": text,
        "created_at": when.strftime("%a %b %d %H:%M:%S +0000 %Y"),
        "favorite_count": "0",
        "retweet_count": "0",
        "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
        "display_text_range": ["0", str(len(text))],
        "retweeted": False,
        "favorited": False,
        "truncated": False,
        "lang": "en",
        "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
        "edit_info": {
            "initial": {
                "editTweetIds": [tweet_id],
                "editableUntil": "2023-01-01T00:00:00.000Z",
                "editsRemaining": "5",
                "isEditEligible": True,
            }
        },
    }
    body.update(extra)
    return {"tweet": body}


def write_x_export(folder: Path, handle: str, tweets: list[dict[str, object]]) -> Path:
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    account = [
        {
            "account": {
                "email": "x@example.org",
                "createdVia": "web",
                "username": handle,
                "accountId": "1000",
                "createdAt": "2015-01-01T00:00:00.000Z",
                "accountDisplayName": handle.title(),
            }
        }
    ]
    (data / "account.js").write_text("window.YTD.account.part0 = " + json.dumps(account, indent=2))
    (data / "tweets.js").write_text("window.YTD.tweets.part0 = " + json.dumps(tweets, indent=2))
    return folder
