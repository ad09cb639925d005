"""Facebook, Instagram and Threads parsers against hand-written exports in each real layout.

Every case folder under tests/fixtures/<platform>/ has a `<case>.expected.json` beside it with
the layout, the account, the coverage and every authored post (the same shape as the X cases).
Each case is read as the unpacked folder and as a zip built here, and must give exactly those.
"""

from __future__ import annotations

import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from transforms.archive import ArchiveError, ExportFiles
from transforms.platforms import facebook, instagram, threads
from transforms.platforms.meta_text import derived_post_id, repair_meta_text, repair_tree
from transforms.records import Coverage

FIXTURES = Path(__file__).parent / "fixtures"
PARSERS = {"facebook": facebook.Parser, "instagram": instagram.Parser, "threads": threads.Parser}
CASES = sorted(
    (platform, expected.name.removesuffix(".expected.json"))
    for platform in PARSERS
    for expected in (FIXTURES / platform).glob("*.expected.json")
)


def mojibake(text: str) -> str:
    """What Meta writes for `text`: each UTF-8 byte as its own character."""
    return text.encode("utf-8").decode("latin-1")


def zipped(folder: Path, tmp_path: Path) -> Path:
    archive = tmp_path / f"{folder.name}.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                out.write(file, file.relative_to(folder).as_posix())
    return archive


def read_export(parser, export: Path) -> tuple[str | None, dict, Coverage, list[dict]]:
    with ExportFiles(export) as files:
        layout = parser.detect(files)
        assert layout is not None
        account = parser.account(files)
        coverage = Coverage()
        records = list(parser.parse(files, layout, coverage))
    items = [
        {
            "post_id": r.post_id,
            "kind": r.kind,
            "text": r.text,
            "created_at": r.created_at.isoformat(),
            "visibility": r.visibility,
            "in_reply_to": r.in_reply_to,
            "url": r.url,
            "like_count": r.like_count,
            "repost_count": r.repost_count,
        }
        for r in records
    ]
    assert all(r.platform == parser.platform for r in records)
    account_fields = {
        "handle": account.handle,
        "display_name": account.display_name,
        "account_id": account.account_id,
    }
    return layout, account_fields, coverage, items


@pytest.mark.parametrize("packed", [False, True], ids=["folder", "zip"])
@pytest.mark.parametrize(("platform", "case"), CASES)
def test_case_gives_exactly_the_authored_items(platform, case, packed, tmp_path):
    folder = FIXTURES / platform / case
    expected = json.loads((FIXTURES / platform / f"{case}.expected.json").read_text())
    export = zipped(folder, tmp_path) if packed else folder

    layout, account, coverage, items = read_export(PARSERS[platform](), export)

    assert layout == expected["layout"]
    assert account == expected["account"]
    assert sorted(items, key=lambda i: (i["created_at"], i["post_id"])) == expected["posts"]
    report = coverage.as_dict()
    for key in ("records_read", "skipped", "unknown_keys", "files_recognised", "files_ignored"):
        assert report[key] == expected[key], key
    assert len(items) + sum(coverage.skipped.values()) == coverage.records_read


def test_every_platform_has_cases():
    assert {platform for platform, _ in CASES} == set(PARSERS)


@pytest.mark.parametrize("platform", sorted(PARSERS))
def test_html_export_is_refused_with_advice(platform):
    refused = pytest.raises(ArchiveError, match="HTML export; re-export choosing JSON")
    with ExportFiles(FIXTURES / platform / "html_only") as files, refused:
        PARSERS[platform]().detect(files)


@pytest.mark.parametrize(
    ("platform", "other_platform", "case"),
    [
        ("facebook", "instagram", "layout_2024"),
        ("instagram", "facebook", "layout_2024"),
        ("threads", "facebook", "layout_2024"),
        ("facebook", "instagram", "layout_2019"),  # comments.json at the root, both of them
        ("instagram", "facebook", "layout_2018"),
        ("threads", "instagram", "layout_2019"),
    ],
)
def test_parsers_do_not_claim_each_others_exports(platform, other_platform, case):
    with ExportFiles(FIXTURES / other_platform / case) as files:
        assert PARSERS[platform]().detect(files) is None


def test_instagram_export_with_threads_yields_both_platforms():
    """Each parser reads its own files; the Threads file is Instagram's ignored file."""
    folder = FIXTURES / "threads" / "in_instagram_export"
    _, account, coverage, items = read_export(instagram.Parser(), folder)

    assert [item["text"] for item in items] == ["Night shift fuel 🍜"]
    assert account["handle"] == "aoife.paramedic"
    assert "your_instagram_activity/threads/threads_and_replies.json" in coverage.files_ignored
    with ExportFiles(folder) as files:
        assert threads.Parser().detect(files) == "json"


@pytest.mark.parametrize("platform", sorted(PARSERS))
def test_invalid_json_names_the_file(platform, tmp_path):
    name = {
        "facebook": "your_posts__check_ins__photos_and_videos_1.json",
        "instagram": "posts_1.json",
        "threads": "threads_and_replies.json",
    }[platform]
    (tmp_path / "activity").mkdir()
    (tmp_path / "activity" / name).write_text('[{"timestamp": 1700000000, "data": [')
    with (
        ExportFiles(tmp_path) as files,
        pytest.raises(ArchiveError, match=re.escape(f"activity/{name}")),
    ):
        PARSERS[platform]().detect(files)


def test_same_item_in_two_files_gets_one_id(tmp_path):
    """A group post can also be listed among the posts: the derived id does not depend on where."""
    entry = {"timestamp": 1700000000, "data": [{"post": mojibake("Réunion à 18 h")}]}
    (tmp_path / "your_posts_1.json").write_text(json.dumps([entry]))
    (tmp_path / "group_posts_and_comments.json").write_text(json.dumps({"group_posts_v2": [entry]}))
    with ExportFiles(tmp_path) as files:
        records = list(facebook.Parser().parse(files, "json-2019", Coverage()))
    assert [r.text for r in records] == ["Réunion à 18 h"] * 2
    assert records[0].post_id == records[1].post_id


@pytest.mark.parametrize(
    ("timestamp", "reason"),
    [
        (1700000000000, None),
        (1700000000.0, None),
        ("1700000000", "bad_timestamp"),
        (0, "bad_timestamp"),
    ],
)
def test_meta_times_in_milliseconds_read_as_the_same_instant(timestamp, reason, tmp_path):
    """Seconds are what Meta writes; milliseconds give the same time and id, text does not."""
    entries = [
        {"timestamp": 1700000000, "data": [{"post": "on shift"}]},
        {"timestamp": timestamp, "data": [{"post": "on shift"}]},
    ]
    (tmp_path / "your_posts_1.json").write_text(json.dumps(entries))
    coverage = Coverage()
    with ExportFiles(tmp_path) as files:
        records = list(facebook.Parser().parse(files, "json-2019", coverage))
    expected = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert [r.created_at for r in records] == [expected] * (1 if reason else 2)
    assert len({r.post_id for r in records}) == 1
    assert dict(coverage.skipped) == ({reason: 1} if reason else {})


def test_derived_id_is_stable_and_changes_with_the_text():
    moment = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert derived_post_id(moment, "on shift") == derived_post_id(moment, "on shift")
    assert derived_post_id(moment, "on shift") != derived_post_id(moment, "on shift!")
    assert derived_post_id(moment, "on shift") != derived_post_id(
        moment + timedelta(seconds=1), "on shift"
    )


# -- the encoding repair ------------------------------------------------------------------------


@given(st.text())
def test_repair_undoes_meta_mojibake_for_any_text(text):
    assert repair_meta_text(mojibake(text)) == text


@given(st.text(), st.characters(min_codepoint=0x100), st.text())
def test_repair_leaves_text_with_characters_beyond_latin1_alone(before, wide, after):
    text = before + wide + after
    assert repair_meta_text(text) == text


# Correctly decoded Western European text: every accented letter stands between ASCII letters, so
# its single Latin-1 byte can never be part of a UTF-8 sequence ("café", "naïve", "Ó Briain").
ascii_runs = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1)
accented = st.characters(min_codepoint=0x80, max_codepoint=0xFF)


@given(st.lists(st.tuples(ascii_runs, accented)), ascii_runs)
def test_repair_leaves_correct_latin1_text_alone(pieces, tail):
    text = "".join(run + letter for run, letter in pieces) + tail
    assert repair_meta_text(text) == text


def test_repair_tree_repairs_keys_and_nested_values_only_where_strings():
    tree = {mojibake("Opmerking é"): [{"value": mojibake("Très 😍")}, 3, None, True]}
    assert repair_tree(tree) == {"Opmerking é": [{"value": "Très 😍"}, 3, None, True]}


# -- Facebook: posts on other people's timelines, and theirs on the person's ----------------------

BY_OTHERS = {
    "layout_2018": 2,  # {"wall_posts_sent_to_you": [...]}
    "layout_2019": 1,  # {"wall_posts_sent_to_you": {"activity_log_data": [...]}}
    "layout_2022": 1,  # a *_v2 wrapper
    "layout_2024": 1,  # label_values pairs
}


@pytest.mark.parametrize(("case", "count"), sorted(BY_OTHERS.items()))
def test_posts_by_others_on_the_timeline_are_counted_never_authored(case, count):
    folder = FIXTURES / "facebook" / case
    _, _, coverage, items = read_export(facebook.Parser(), folder)
    (theirs,) = folder.rglob("other_people's_posts_to_your_timeline.json")
    their_words = set(strings(repair_tree(json.loads(theirs.read_text()))))
    assert coverage.skipped["post_by_others"] == count
    assert items and not their_words & {item["text"] for item in items}


def strings(tree: object) -> list[str]:
    if isinstance(tree, str):
        return [tree]
    values = tree.values() if isinstance(tree, dict) else tree if isinstance(tree, list) else []
    return [text for value in values for text in strings(value)]


def test_posts_on_other_timelines_are_read_whatever_the_labels_language(tmp_path):
    """Only the structure decides: the first plain-text value; a link, URL or media is not it."""
    entries = [
        {
            "timestamp": 1709290800,
            "label_values": [
                {"label": mojibake(label), "value": mojibake(value), **extra}
                for label, value, extra in pairs
            ],
        }
        for pairs in (
            [
                ("メッセージ", "お誕生日おめでとう！", {}),
                ("ターゲット", "Ken", {"href": "https://x"}),
            ],
            [("Ziel", "https://www.facebook.com/k", {}), ("Nachricht", "Gute Besserung!", {})],
            [("Cel", "Oddział 4", {"href": "https://www.facebook.com/o4"})],
        )
    ]
    (tmp_path / "posts_on_other_pages_and_profiles.json").write_text(json.dumps(entries))
    _, _, coverage, items = read_export(facebook.Parser(), tmp_path)
    assert sorted(item["text"] for item in items) == ["Gute Besserung!", "お誕生日おめでとう！"]
    assert dict(coverage.skipped) == {"no_text": 1}


# -- Instagram: the account in any language --------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "handle", "name"),
    [
        (["Email", "Username", "Name", "Gender"], "nurse.kim_89", "Kim Lee"),
        (
            ["Correo electrónico", "Nombre de usuario", "Nombre", "Género"],
            "nurse.kim_89",
            "Kim Lee",
        ),
        # A language whose labels are not known: the first handle-shaped value, not the gender.
        (["Ηλεκτρονικό ταχυδρομείο", "Όνομα χρήστη", "Όνομα", "Φύλο"], "nurse.kim_89", None),
    ],
    ids=["english", "spanish", "greek"],
)
def test_instagram_account_is_found_whatever_the_language(labels, handle, name, tmp_path):
    values = ["kim@example.org", "nurse.kim_89", "Kim Lee", "female"]
    fields = {
        mojibake(label): {"href": "", "value": v, "timestamp": 0}
        for label, v in zip(labels, values, strict=True)
    }
    profile = {"profile_user": [{"string_map_data": fields, "title": ""}]}
    (tmp_path / "personal_information.json").write_text(json.dumps(profile))
    (tmp_path / "posts_1.json").write_text("[]")
    with ExportFiles(tmp_path) as files:
        account = instagram.Parser().account(files)
    assert (account.handle, account.display_name) == (handle, name)


def _comment(fields: dict[str, str], at: int = 1714560000) -> dict:
    smd = {mojibake(label): {"value": mojibake(value)} for label, value in fields.items()}
    return {"media_list_data": [{"uri": ""}], "string_map_data": {**smd, "Time": {"timestamp": at}}}


@pytest.mark.parametrize(
    ("entries", "texts", "no_text"),
    [
        # English labels: only the media owner means the comment has no text.
        ([{"Media Owner": "theo_r.pharm"}, {"Comment": "lovely"}], ["lovely"], 1),
        # The owner of a deleted post is missing: the comment alone is still the comment.
        ([{"Comment": "congrats"}], ["congrats"], 0),
        # Dutch labels, known.
        ([{"Media-eigenaar": "daan.vd"}, {"Opmerking": "Mooi 👏"}], ["Mooi 👏"], 1),
        # German labels, never listed: learnt from the entry holding both fields.
        (
            [
                {"Kommentar": "Schön", "Medieninhaber": "lena.k"},
                {"Medieninhaber": "jonas_p"},
                {"Kommentar": "wow"},
            ],
            ["Schön", "wow"],
            1,
        ),
        # Greek, nothing to learn from: a handle-shaped value is the owner, prose is the comment.
        ([{"Κάτοχος": "maria.g"}, {"Σχόλιο": "Τέλειο!"}], ["Τέλειο!"], 1),
    ],
    ids=["english", "owner-missing", "dutch", "german-learnt", "greek-by-shape"],
)
def test_instagram_comment_without_text_never_takes_the_owner_name(
    entries, texts, no_text, tmp_path
):
    """A comment entry whose text field is missing must not be stored with the owner's handle."""
    listed = [_comment(fields, 1714560000 + i) for i, fields in enumerate(entries)]
    (tmp_path / "post_comments_1.json").write_text(json.dumps(listed))
    coverage = Coverage()
    with ExportFiles(tmp_path) as files:
        records = list(instagram.Parser().parse(files, "json", coverage))
    assert [r.text for r in records] == texts
    assert coverage.records_read == len(entries)
    assert dict(coverage.skipped) == ({"no_text": no_text} if no_text else {})


# -- one export, two platforms --------------------------------------------------------------------


def test_instagram_with_threads_reports_each_platform_apart():
    from transforms.ingest import read_export as read_whole

    parsed = read_whole(FIXTURES / "threads" / "in_instagram_export")
    report = parsed.coverage.as_dict()
    threads_file = "your_instagram_activity/threads/threads_and_replies.json"
    by_platform = report["platforms"]

    assert parsed.platform == "instagram+threads"
    assert set(by_platform) == {"instagram", "threads"}
    assert by_platform["threads"]["files_recognised"] == [threads_file]
    assert threads_file not in by_platform["instagram"]["files_ignored"]
    assert threads_file not in report["files_ignored"]
    stored = parsed.posts.group_by("platform").len()
    for platform, section in by_platform.items():
        count = stored.filter(pl.col("platform") == platform)["len"].sum()
        assert section["records_stored"] == count > 0
        assert section["records_read"] == count + sum(section["skipped"].values())
    assert report["records_read"] == sum(s["records_read"] for s in by_platform.values())
    assert report["records_stored"] == parsed.posts.height
