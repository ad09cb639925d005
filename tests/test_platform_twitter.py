"""The X archive parser against hand-written exports in every layout (tests/fixtures/twitter/,
described in its README) and against the bundled sample organisation (data/sample/)."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import shutil
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from tests.x_export import tweet, write_x_export
from transforms.archive import ArchiveError, ExportFiles
from transforms.platforms.twitter import Parser, parse_created_at, strip_js_wrapper
from transforms.records import Coverage, PostRecord

FIXTURES = Path(__file__).parent / "fixtures" / "twitter"
CASES = sorted(
    path.name.removesuffix(".expected.json") for path in FIXTURES.glob("*.expected.json")
)
SAMPLE = Path(__file__).parent.parent / "data" / "sample"


def zip_folder(folder: Path, destination: Path) -> Path:
    """The export as the platform delivers it: one zip, members named relative to its root."""
    archive = destination / f"{folder.name}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                zipped.write(file, file.relative_to(folder).as_posix())
    return archive


def read_export(path: Path) -> tuple[str | None, dict, Coverage, list[PostRecord]]:
    parser = Parser()
    coverage = Coverage()
    with ExportFiles(path) as files:
        layout = parser.detect(files)
        account = parser.account(files)
        records = list(parser.parse(files, layout, coverage)) if layout else []
    account_fields = {
        "handle": account.handle,
        "display_name": account.display_name,
        "account_id": account.account_id,
    }
    return layout, account_fields, coverage, records


def as_expected(record: PostRecord) -> dict:
    assert record.platform == "twitter"
    assert record.created_at.utcoffset() is not None  # aware, so storage can convert it safely
    return {
        "post_id": record.post_id,
        "kind": record.kind,
        "text": record.text,
        "created_at": record.created_at.isoformat(),
        "visibility": record.visibility,
        "in_reply_to": record.in_reply_to,
        "url": record.url,
        "like_count": record.like_count,
        "repost_count": record.repost_count,
    }


def by_id(posts: list[dict]) -> list[dict]:
    return sorted(posts, key=lambda post: post["post_id"])


@pytest.fixture(scope="module")
def x2022() -> dict[str, PostRecord]:
    _, _, _, records = read_export(FIXTURES / "x-2022")
    return {record.post_id: record for record in records}


# -- every fixture, read as a folder and as a zip -------------------------------------------------


@pytest.mark.parametrize("packed", ["folder", "zip"])
@pytest.mark.parametrize("case", CASES)
def test_export_yields_exactly_the_expected_items(case: str, packed: str, tmp_path: Path) -> None:
    expected = json.loads((FIXTURES / f"{case}.expected.json").read_text(encoding="utf-8"))
    folder = FIXTURES / case
    path = zip_folder(folder, tmp_path) if packed == "zip" else folder

    layout, account, coverage, records = read_export(path)

    assert layout == expected["layout"]
    assert account == expected["account"]
    assert by_id([as_expected(record) for record in records]) == by_id(expected["posts"])
    assert coverage.records_read == expected["records_read"]
    assert dict(coverage.skipped) == expected["skipped"]
    assert dict(coverage.unknown_keys) == expected["unknown_keys"]
    assert sorted(coverage.files_recognised) == expected["files_recognised"]
    assert sorted(coverage.files_ignored) == expected["files_ignored"]
    assert len(records) + sum(coverage.skipped.values()) == coverage.records_read


def test_every_fixture_folder_has_an_expectation() -> None:
    folders = sorted(path.name for path in FIXTURES.iterdir() if path.is_dir())
    assert folders == CASES


# -- individual quirks, named so a failure says which one broke -----------------------------------


def test_html_entities_are_decoded(x2022: dict[str, PostRecord]) -> None:
    assert "done & dusted" in x2022["1612716424164347904"].text
    assert "> 1 hour" in x2022["1612716424164347904"].text


def test_tco_links_are_expanded_and_media_links_dropped(x2022: dict[str, PostRecord]) -> None:
    assert x2022["1621585728762875904"].text.endswith(
        "standards-of-conduct-performance-and-ethics/"
    )
    assert x2022["1637126723990523904"].text == "Station dog has had enough of the rain"
    assert not any("t.co/" in record.text for record in x2022.values())


def test_retweets_earlier_edits_and_deleted_tweets_are_counted_not_stored(
    x2022: dict[str, PostRecord],
) -> None:
    assert "1642497333130235904" not in x2022  # RT @EastmereAmbo
    assert "1708768783365115904" not in x2022  # first version of an edited tweet
    assert "Friday" in x2022["1708770465281019904"].text  # its latest version
    assert "1723162334458875904" not in x2022  # deleted by the person


def test_kinds_replies_self_replies_and_quotes(x2022: dict[str, PostRecord]) -> None:
    assert x2022["1656049695585275904"].kind == "reply"
    self_reply = x2022["1669072845927419904"]
    assert (self_reply.kind, self_reply.in_reply_to) == ("reply", "1669072464245755904")
    assert x2022["1682303333299195904"].kind == "quote"  # twitter.com/<user>/status/<id>
    assert x2022["1787111914468347904"].kind == "quote"  # x.com/<user>/status/<id>
    assert x2022["1696942897099771904"].kind == "post"  # a link to one's own photo
    assert x2022["1756802813108752384"].kind == "post"  # twitter.com/i/web/status of a long post


def test_long_posts_take_the_note_text_matched_by_creation_time(
    x2022: dict[str, PostRecord],
) -> None:
    first, second, short = (
        x2022["1756802813108752384"],
        x2022["1756802814618701824"],
        x2022["1756802816422252544"],
    )
    assert first.created_at == second.created_at == short.created_at  # three in one second
    assert first.text.startswith("Ten years") and first.text.endswith("/careers")
    assert second.text.startswith("And the bits") and second.text.endswith("look after the rota.")
    assert short.text == "Right, phone off. Back on nights tomorrow 🌙"


def test_audience_follows_the_file(x2022: dict[str, PostRecord]) -> None:
    assert x2022["1764240601248763904"].visibility == "public"  # community-tweet.js
    assert x2022["1810030854009851904"].visibility == "followers"  # twitter-circle-tweet.js
    assert x2022["1612716424164347904"].visibility == "public"  # tweets.js


def test_null_full_text_falls_back_to_text_and_deleted_notes_are_counted(tmp_path: Path) -> None:
    when = datetime(2024, 5, 1, 9, 30)
    with_text = tweet("12", "", when, full_text=None)
    with_text["tweet"]["text"] = "Clinic runs late &amp; busy"
    tweets = [tweet("11", "", when), with_text, tweet("13", "", when, full_text=["a", "list"])]
    export = write_x_export(tmp_path / "x", "alexdoe", tweets)
    note = {"noteTweet": {"noteTweetId": "99", "createdAt": "2024-04-01T10:00:00.000Z"}}
    (export / "data" / "deleted-note-tweet.js").write_text(
        "window.YTD.deleted_note_tweet.part0 = " + json.dumps([note])
    )
    _, _, coverage, records = read_export(export)
    assert [(r.post_id, r.text) for r in records] == [("12", "Clinic runs late & busy")]
    assert dict(coverage.skipped) == {"missing_text": 2, "deleted_by_user": 1}
    assert coverage.records_read == 4
    assert "data/deleted-note-tweet.js" in coverage.files_recognised


def test_created_at_is_parsed_without_the_process_locale() -> None:
    parsed = parse_created_at("Sat Aug 12 16:10:37 +0000 2023")
    assert parsed is not None and parsed.isoformat() == "2023-08-12T16:10:37+00:00"
    assert parse_created_at("2014-03-05 07:58:12 +0000").isoformat() == "2014-03-05T07:58:12+00:00"
    assert parse_created_at("sam. août 12 16:10:37 +0000 2023") is None
    assert parse_created_at("Sat Foo 12 16:10:37 +0000 2023") is None
    assert parse_created_at(1691856637) is None


# -- the JavaScript wrapper -----------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@given(
    name=st.from_regex(r"[a-z][a-z0-9_]{0,30}", fullmatch=True),
    part=st.integers(min_value=0, max_value=99),
    value=json_values,
    indent=st.sampled_from([None, 2]),
    equals=st.sampled_from([" = ", "=", " =\n", " = \r\n "]),
    ending=st.sampled_from(["", "\n", ";", ";\n", " ;\r\n"]),
    bom=st.booleans(),
)
def test_strip_js_wrapper_round_trips_any_json(
    name: str, part: int, value: object, indent: int | None, equals: str, ending: str, bom: bool
) -> None:
    payload = json.dumps(value, indent=indent)
    byte_order_mark = "\ufeff" if bom else ""
    wrapped = f"{byte_order_mark}window.YTD.{name}.part{part}{equals}{payload}{ending}"
    assert strip_js_wrapper(wrapped) == payload
    assert json.loads(strip_js_wrapper(wrapped)) == value


def test_strip_js_wrapper_reads_the_manifest_and_classic_wrappers() -> None:
    assert json.loads(strip_js_wrapper('window.__THAR_CONFIG = {"a": 1}')) == {"a": 1}
    assert json.loads(strip_js_wrapper("Grailbird.data.tweets_2014_03 = \n [ ]")) == []
    assert json.loads(strip_js_wrapper('var user_details =  {"id" : "1"}')) == {"id": "1"}


@pytest.mark.parametrize("text", ["", '[{"tweet": {}}]', "// comment\nwindow.YTD.x.part0 = []"])
def test_strip_js_wrapper_refuses_text_without_an_assignment(text: str) -> None:
    with pytest.raises(ValueError):
        strip_js_wrapper(text)


# -- exports that must be refused (the caller quarantines them) -----------------------------------


@pytest.mark.parametrize(
    ("broken_bytes", "reason"),
    [
        (b'window.YTD.tweets.part0 = [ { "tweet" : { "id_str" : "1", ', "not a readable"),
        (b'[ { "tweet" : { } } ]', "not a readable"),
        (b'window.YTD.tweets.part0 = [ { "tweet" : { "full_text" : "caf\xe9" } } ]', "UTF-8"),
        (b'window.YTD.tweets.part0 = { "tweet" : { } }', "list"),
    ],
    ids=["truncated-json", "no-wrapper", "latin-1-bytes", "not-a-list"],
)
def test_broken_tweets_file_raises_archive_error_naming_it(
    broken_bytes: bytes, reason: str, tmp_path: Path
) -> None:
    export = tmp_path / "x-2022"
    shutil.copytree(FIXTURES / "x-2022", export)
    (export / "data" / "tweets.js").write_bytes(broken_bytes)
    parser = Parser()
    with ExportFiles(export) as files, pytest.raises(ArchiveError) as raised:
        list(parser.parse(files, "x-2022", Coverage()))
    assert "data/tweets.js" in str(raised.value)
    assert reason in str(raised.value)


def test_a_part_listed_in_the_manifest_but_missing_refuses_the_export(tmp_path: Path) -> None:
    export = tmp_path / "x-2022"
    shutil.copytree(FIXTURES / "x-2022", export)
    (export / "data" / "tweets-part1.js").unlink()
    with ExportFiles(export) as files, pytest.raises(ArchiveError, match="tweets-part1.js"):
        list(Parser().parse(files, "x-2022", Coverage()))


@pytest.mark.parametrize(
    "files",
    [
        {"outbox.json": '{"orderedItems": []}', "actor.json": "{}"},
        {"src/tweets.js": "export const tweets = [];\n"},
        {"data/like.js": "window.YTD.like.part0 = [ ]"},
    ],
    ids=["mastodon", "javascript-source-named-tweets", "x-without-tweets"],
)
def test_detect_returns_none_for_other_exports(files: dict[str, str], tmp_path: Path) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    with ExportFiles(tmp_path) as export:
        assert Parser().detect(export) is None


# -- the bundled sample organisation --------------------------------------------------------------


def sample_people() -> list[dict[str, str]]:
    with (SAMPLE / "roster.csv").open(encoding="utf-8", newline="") as roster:
        return list(csv.DictReader(roster))


@pytest.mark.parametrize("person", sample_people(), ids=lambda person: person["person_id"])
def test_sample_export_parses_and_matches_the_roster(person: dict[str, str]) -> None:
    exports = sorted((SAMPLE / "inbox" / person["person_id"]).iterdir())
    assert len(exports) == 1
    posts = yaml.safe_load((SAMPLE / "posts.yaml").read_text(encoding="utf-8"))["people"]
    written = posts[person["person_id"]]
    retweets = [post for post in written if post.get("kind") == "repost"]

    layout, account, coverage, records = read_export(exports[0])

    assert layout == "x-2022"
    assert account["handle"] == person["twitter"]
    assert len(records) == len(written) - len(retweets)
    assert dict(coverage.skipped) == ({"repost": len(retweets)} if retweets else {})
    assert not coverage.unknown_keys
    assert all(record.url.startswith(f"https://x.com/{person['twitter']}/") for record in records)
    # Text, time and kind survive the round trip; X adds the reply mention and the t.co links.
    added_by_x = re.compile(r"^@\w+ | https?://\S+$")
    expected = [(p["at"], p.get("kind", "post"), p["text"]) for p in written if p not in retweets]
    parsed = [
        (record.created_at.strftime("%Y-%m-%d %H:%M"), record.kind, added_by_x.sub("", record.text))
        for record in records
    ]
    assert sorted(parsed) == sorted(expected)


def test_sample_exports_are_what_build_sample_produces(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("build_sample", SAMPLE / "build_sample.py")
    build_sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_sample)

    build_sample.build(SAMPLE / "posts.yaml", SAMPLE / "roster.csv", tmp_path)
    built = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    inbox = SAMPLE / "inbox"
    bundled = {p.relative_to(inbox): p.read_bytes() for p in inbox.rglob("*") if p.is_file()}
    assert built.keys() == bundled.keys()
    assert built == bundled
