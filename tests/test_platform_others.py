"""LinkedIn, Mastodon, Reddit, TikTok, Bluesky and generic-input parsers against hand-written
fixtures in each platform's real layout.

Each case is tests/fixtures/<platform>/<case>/ with <case>.expected.json beside it, and is read
both as a folder and as a zip built here. Bluesky's repo.car is binary, so its fixture is the
hand-written content (repo.car.json) and the CAR file is built at test time.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import libipld
import pytest

from transforms.archive import ArchiveError, ExportFiles
from transforms.platforms import bluesky, generic, linkedin, mastodon, reddit, tiktok
from transforms.platforms.common import parse_timestamp
from transforms.platforms.mastodon import html_to_text
from transforms.records import Coverage, PostRecord

FIXTURES = Path(__file__).parent / "fixtures"
PARSERS = {
    "linkedin": linkedin.Parser,
    "mastodon": mastodon.Parser,
    "reddit": reddit.Parser,
    "tiktok": tiktok.Parser,
    "bluesky": bluesky.Parser,
    "generic": generic.Parser,
}
CASES = sorted(
    (platform, expected.name.removesuffix(".expected.json"))
    for platform in PARSERS
    for expected in (FIXTURES / platform).glob("*.expected.json")
)
ITEM_FIELDS = ("post_id", "kind", "text", "created_at", "visibility", "url", "in_reply_to")
COUNT_FIELDS = ("like_count", "repost_count")


# -- building exports -----------------------------------------------------------------------------


def varint(number: int) -> bytes:
    out = bytearray()
    while True:
        low, number = number & 0x7F, number >> 7
        out.append(low | 0x80 if number else low)
        if not number:
            return bytes(out)


def dag_cbor_block(value: Any) -> tuple[bytes, bytes]:
    """(CIDv1 dag-cbor sha-256, encoded block). libipld encodes CID-shaped bytes as links."""
    data = libipld.encode_dag_cbor(value)
    return bytes([1, 0x71, 0x12, 0x20]) + hashlib.sha256(data).digest(), data


def with_links(value: Any) -> Any:
    """The JSON form of a record with {"$link": cid} turned into CID bytes."""
    if isinstance(value, dict):
        if set(value) == {"$link"}:
            return libipld.decode_multibase(value["$link"])[1]
        return {key: with_links(item) for key, item in value.items()}
    if isinstance(value, list):
        return [with_links(item) for item in value]
    return value


def repository_blocks(spec: dict[str, Any]) -> tuple[bytes, dict[bytes, bytes]]:
    """(commit CID, blocks) of a repository holding spec["records"]."""
    blocks: dict[bytes, bytes] = {}

    def put(value: Any) -> bytes:
        cid, data = dag_cbor_block(value)
        blocks[cid] = data
        return cid

    def tree(leaves: list[tuple[bytes, bytes]]) -> bytes:
        """Three keys to a subtree, every fourth key in the parent: `l`, `t` and prefix
        compression all get exercised."""
        if len(leaves) <= 3:
            return put(node(None, [(key, cid, None) for key, cid in leaves]))
        rest = leaves[3:]
        entries = [
            (*rest[i], tree(rest[i + 1 : i + 4]) if rest[i + 1 : i + 4] else None)
            for i in range(0, len(rest), 4)
        ]
        return put(node(tree(leaves[:3]), entries))

    def node(left: bytes | None, entries: list[tuple[bytes, bytes, bytes | None]]) -> dict:
        compressed, previous = [], b""
        for key, cid, subtree in entries:
            shared = len(os.path.commonprefix([previous, key]))
            compressed.append({"p": shared, "k": key[shared:], "v": cid, "t": subtree})
            previous = key
        return {"l": left, "e": compressed}

    leaves = []
    for key in sorted(spec["records"]):
        cid, data = dag_cbor_block(with_links(spec["records"][key]))
        if key not in spec.get("omit_blocks", []):
            blocks[cid] = data
        leaves.append((key.encode(), cid))
    root = tree(leaves)
    commit = put(
        {
            "did": spec["did"],
            "version": 3,
            "data": root,
            "rev": spec["rev"],
            "prev": None,
            "sig": bytes(64),
        }
    )
    return commit, blocks


def car_bytes(root: bytes, blocks: dict[bytes, bytes]) -> bytes:
    header = libipld.encode_dag_cbor({"version": 1, "roots": [root]})
    sections = [varint(len(cid) + len(data)) + cid + data for cid, data in blocks.items()]
    return varint(len(header)) + header + b"".join(sections)


def materialise(case_dir: Path, target: Path) -> Path:
    """Copy a fixture case; a hand-written `X.car.json` becomes the binary `X.car`."""
    for source in sorted(case_dir.rglob("*")):
        if not source.is_file():
            continue
        destination = target / source.relative_to(case_dir)
        destination.parent.mkdir(parents=True, exist_ok=True)
        if source.name.endswith(".car.json"):
            spec = json.loads(source.read_text(encoding="utf-8"))
            car = car_bytes(*repository_blocks(spec))
            destination.with_name(source.name.removesuffix(".json")).write_bytes(car)
        else:
            shutil.copyfile(source, destination)
    return target


def zipped(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                bundle.write(file, file.relative_to(folder).as_posix())
    return archive


def tarred(folder: Path, archive: Path) -> Path:
    """As GNU tar writes it (`tar -czf archive -C folder .`): './' names, directory entries."""
    with tarfile.open(archive, "w:gz" if archive.name.endswith(("gz", "tgz")) else "w") as bundle:
        bundle.add(folder, arcname=".")
    return archive


def open_case(platform: str, case: str, container: str, tmp_path: Path) -> ExportFiles:
    folder = materialise(FIXTURES / platform / case, tmp_path / case)
    if container == "zip":
        return ExportFiles(zipped(folder, tmp_path / f"{case}.zip"))
    if container == "tar.gz":
        return ExportFiles(tarred(folder, tmp_path / f"{case}.tar.gz"))
    return ExportFiles(folder)


def parse_all(parser: Any, files: ExportFiles) -> tuple[list[PostRecord], Coverage]:
    coverage = Coverage()
    layout = parser.detect(files)
    assert layout, "the parser did not recognise its own export"
    return list(parser.parse(files, layout, coverage)), coverage


def as_expected(item: PostRecord) -> dict[str, Any]:
    fields = {name: getattr(item, name) for name in (*ITEM_FIELDS, *COUNT_FIELDS)}
    return {**fields, "created_at": item.created_at.isoformat()}


def expected_items(expected: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**dict.fromkeys(COUNT_FIELDS), **item} for item in expected["items"]]


# -- every fixture case ---------------------------------------------------------------------------


@pytest.mark.parametrize("container", ["folder", "zip", "tar.gz"])
@pytest.mark.parametrize(("platform", "case"), CASES)
def test_case_yields_exactly_the_expected_items(
    platform: str, case: str, container: str, tmp_path: Path
) -> None:
    expected = json.loads((FIXTURES / platform / f"{case}.expected.json").read_text("utf-8"))
    parser = PARSERS[platform]()
    with open_case(platform, case, container, tmp_path) as files:
        assert parser.detect(files) == expected["layout"]
        account = parser.account(files)
        items, coverage = parse_all(parser, files)
        all_files = sorted(files.names())

    by_id = sorted((as_expected(item) for item in items), key=lambda item: item["post_id"])
    assert by_id == sorted(expected_items(expected), key=lambda item: item["post_id"])
    assert {item.platform for item in items} == {platform}
    assert all(item.created_at.tzinfo == UTC for item in items)
    assert account.platform == platform
    assert {name: getattr(account, name) for name in expected["account"]} == expected["account"]
    assert sorted(coverage.files_recognised) == expected["files_recognised"]
    assert sorted(coverage.files_ignored) == sorted(
        set(all_files) - set(expected["files_recognised"])
    )
    assert coverage.records_read == expected["records_read"]
    assert dict(coverage.skipped) == expected["skipped"]
    assert len(items) + sum(coverage.skipped.values()) == coverage.records_read
    assert dict(coverage.unknown_keys) == expected.get("unknown_keys", {})


@pytest.mark.parametrize(("platform", "case"), CASES)
def test_no_other_parser_claims_the_export(platform: str, case: str, tmp_path: Path) -> None:
    with open_case(platform, case, "folder", tmp_path) as files:
        claims = {name: make().detect(files) for name, make in PARSERS.items() if name != platform}
    assert claims == dict.fromkeys(claims)


# -- LinkedIn -------------------------------------------------------------------------------------


def test_linkedin_keeps_quotes_the_author_typed_around_line_breaks(tmp_path: Path) -> None:
    typed = 'She said "yes"\n"Brilliant" was my answer'
    (tmp_path / "Shares.csv").write_text(  # this file wraps every line in quotes
        "Date,ShareLink,ShareCommentary,SharedUrl,MediaUrl,Visibility\n"
        '2024-01-01 10:00:00,,"She said ""yes""""\n""""Brilliant"" was my answer",,,PUBLIC\n',
        encoding="utf-8",
    )
    (tmp_path / "Comments.csv").write_text(  # this one does not: one text has a bare break
        "Date,Link,Message\n"
        "2024-01-02 10:00:00,urn:li:activity:1,"
        '"She said \\"yes\\"\n\\"Brilliant\\" was my answer"\n'
        '2024-01-03 10:00:00,urn:li:activity:2,"Great summary.\nThe slides too."\n',
        encoding="utf-8",
    )
    items, _ = parse_all(linkedin.Parser(), ExportFiles(tmp_path))
    assert sorted(item.text for item in items) == sorted(
        [typed, typed, "Great summary.\nThe slides too."]
    )


@pytest.mark.parametrize(
    ("message", "text"),
    [
        ('"a \\"b\\", c"', 'a "b", c'),  # the doubled-quote dialect would split at the comma
        ('"wrote \\"great\\" today"', 'wrote "great" today'),  # both fit: the \\" must decide
    ],
)
def test_linkedin_comments_with_backslash_escapes(message: str, text: str, tmp_path: Path) -> None:
    (tmp_path / "Comments.csv").write_text(
        f"Date,Link,Message\n2024-01-01 10:00:00,urn:li:activity:1,{message}\n", encoding="utf-8"
    )
    items, coverage = parse_all(linkedin.Parser(), ExportFiles(tmp_path))
    assert [item.text for item in items] == [text]
    assert coverage.records_read == 1


def test_linkedin_oversized_field_is_refused_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "Shares.csv").write_text(
        "Date,ShareLink,ShareCommentary,SharedUrl,MediaUrl,Visibility\n"
        f'2024-01-01 10:00:00,,"{"x" * 200_000}",,,PUBLIC\n',
        encoding="utf-8",
    )
    with pytest.raises(ArchiveError, match="Shares.csv is not valid CSV"):
        parse_all(linkedin.Parser(), ExportFiles(tmp_path))


# -- Mastodon -------------------------------------------------------------------------------------


def test_mastodon_direct_messages_are_kept_on_request(tmp_path: Path) -> None:
    with open_case("mastodon", "current", "folder", tmp_path) as files:
        items, coverage = parse_all(mastodon.Parser(include_direct=True), files)
    direct = [item for item in items if item.visibility == "direct"]
    assert [item.text for item in direct] == ["@sam Can you cover my Friday clinic?"]
    assert "direct_message" not in coverage.skipped
    assert len(items) + sum(coverage.skipped.values()) == coverage.records_read


MASTODON_TAR = "archive-20221105093000-0123456789abcdef"


def mastodon_tar_export(shape: str, tmp_path: Path) -> Path:
    """The pre-4.1 archive as a person may hand it over."""
    folder = materialise(FIXTURES / "mastodon" / "unpacked-tar", tmp_path / "unpacked")
    if shape in ("tar.gz", "tgz", "tar"):
        return tarred(folder, tmp_path / f"{MASTODON_TAR}.{shape}")
    (tmp_path / "inbox").mkdir()
    packed = tarred(folder, tmp_path / "inbox" / f"{MASTODON_TAR}.tar.gz")
    if shape == "folder holding the tar.gz":
        return packed.parent
    return zipped(packed.parent, tmp_path / "mastodon.zip")  # "zip holding the tar.gz"


@pytest.mark.parametrize(
    "shape", ["tar.gz", "tgz", "tar", "folder holding the tar.gz", "zip holding the tar.gz"]
)
def test_mastodon_tar_archive_is_read_directly(shape: str, tmp_path: Path) -> None:
    expected = json.loads((FIXTURES / "mastodon" / "unpacked-tar.expected.json").read_text())
    parser = mastodon.Parser()
    with ExportFiles(mastodon_tar_export(shape, tmp_path)) as files:
        items, coverage = parse_all(parser, files)
        assert sorted(files.names()) == ["actor.json", "likes.json", "outbox.json"]
    by_id = sorted((as_expected(item) for item in items), key=lambda item: item["post_id"])
    assert by_id == sorted(expected_items(expected), key=lambda item: item["post_id"])
    assert dict(coverage.skipped) == expected["skipped"]


def test_truncated_mastodon_tar_is_refused_naming_it(tmp_path: Path) -> None:
    archive = mastodon_tar_export("tar.gz", tmp_path)
    archive.write_bytes(archive.read_bytes()[:-12])  # the gzip trailer and a little more
    with pytest.raises(ArchiveError, match=f"{MASTODON_TAR}.tar.gz: .*corrupt or truncated"):
        ExportFiles(archive)


def test_mastodon_invalid_outbox_is_refused_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "outbox.json").write_text(
        '{"type": "OrderedCollection", "orderedItems": [', "utf-8"
    )
    with pytest.raises(ArchiveError, match="outbox.json is not valid JSON"):
        parse_all(mastodon.Parser(), ExportFiles(tmp_path))


def test_mastodon_reads_content_map_when_content_is_absent(tmp_path: Path) -> None:
    note = {
        "id": "https://h.example/users/me/statuses/1",
        "type": "Note",
        "published": "2024-12-05T10:39:15Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "summary": "CW: shift",
        "content": None,
        "contentMap": {
            "en": '<p>Long night<br>but <a href="https://h.example/tags/nhs">#<span>nhs</span></a></p>'
        },
    }
    activity = {"type": "Create", "actor": "https://h.example/users/me", "object": note}
    outbox = {"type": "OrderedCollection", "orderedItems": [activity]}
    (tmp_path / "outbox.json").write_text(json.dumps(outbox), encoding="utf-8")
    items, _ = parse_all(mastodon.Parser(), ExportFiles(tmp_path))
    assert [(item.text, item.visibility) for item in items] == [
        ("CW: shift\n\nLong night\nbut #nhs", "public")
    ]


def test_html_to_text_keeps_visible_text_and_line_structure() -> None:
    html = (
        '<p>Hi <a href="https://x.example/@a" class="u-url mention">@<span>a</span></a> &amp;'
        " b&#39;s\nteam</p><p>one<br>two</p><script>alert(1)</script>"
    )
    assert html_to_text(html) == "Hi @a & b's team\n\none\ntwo"


# -- Reddit, TikTok, generic ----------------------------------------------------------------------


def test_reddit_non_utf8_csv_is_refused_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "comments.csv").write_bytes(
        b"id,permalink,date,subreddit,body\nabc,/r/x/comments/1/t/abc/,2024-01-01 10:00:00 UTC,"
        b"x,caf\xe9\n"
    )
    with pytest.raises(ArchiveError, match="comments.csv is not valid UTF-8"):
        parse_all(reddit.Parser(), ExportFiles(tmp_path))


@pytest.mark.parametrize(
    ("header", "row", "text"),
    [
        (
            "id,permalink,date,ip,subreddit,gildings,title,url,selftext",
            'x1,/r/NHS/comments/x1/t/,2024-01-05 07:01:00 UTC,,NHS,0,Rota,,"Line one\nline two"',
            "Rota\n\nLine one\nline two",
        ),
        (  # a request that returned only link posts: no body column at all
            "id,permalink,date,subreddit,title,url",
            "x1,/r/NHS/comments/x1/t/,2024-01-05 07:01:00 UTC,NHS,Rota,https://example.org/r",
            "Rota",
        ),
    ],
)
def test_reddit_posts_with_body_column_variants(
    header: str, row: str, text: str, tmp_path: Path
) -> None:
    (tmp_path / "posts.csv").write_text(f"\ufeff{header}\n{row}\n", encoding="utf-8")
    items, coverage = parse_all(reddit.Parser(), ExportFiles(tmp_path))
    assert [(item.post_id, item.kind, item.text, item.url) for item in items] == [
        ("t3_x1", "post", text, "https://www.reddit.com/r/NHS/comments/x1/t/")
    ]
    assert coverage.records_read == 1 and not coverage.unknown_keys


def test_tiktok_invalid_json_is_refused_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "user_data_tiktok.json").write_text('{"Profile": {', encoding="utf-8")
    with pytest.raises(ArchiveError, match="user_data_tiktok.json is not valid JSON"):
        parse_all(tiktok.Parser(), ExportFiles(tmp_path))


@pytest.mark.parametrize("content", ['{"Profile": {', '{"settings": {"theme": "dark"}}'])
def test_tiktok_leaves_a_foreign_user_data_json_alone(content: str, tmp_path: Path) -> None:
    (tmp_path / "user_data.json").write_text(content, encoding="utf-8")
    assert tiktok.Parser().detect(ExportFiles(tmp_path)) is None


def test_generic_jsonl_bad_line_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "socialaudit-posts.jsonl").write_text(
        '{"id": "1", "created_at": "2024-01-01T00:00:00Z", "text": "fine"}\n{"id": 2,\n', "utf-8"
    )
    with pytest.raises(ArchiveError, match="socialaudit-posts.jsonl line 2 is not valid JSON"):
        parse_all(generic.Parser(), ExportFiles(tmp_path))


def test_generic_csv_without_required_column_is_refused(tmp_path: Path) -> None:
    (tmp_path / "socialaudit-posts.csv").write_text("id,created_at\n1,2024-01-01\n", "utf-8")
    with pytest.raises(ArchiveError, match=r"socialaudit-posts.csv lacks column\(s\) text"):
        parse_all(generic.Parser(), ExportFiles(tmp_path))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-05-01 10:00:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),
        ("2023-01-15 12:34:56 UTC", datetime(2023, 1, 15, 12, 34, 56, tzinfo=UTC)),
        ("2024-12-05T10:39:15Z", datetime(2024, 12, 5, 10, 39, 15, tzinfo=UTC)),
        ("2024-03-04T15:45:00+01:00", datetime(2024, 3, 4, 14, 45, tzinfo=UTC)),
        ("2026-07-02T19:27:46.989Z", datetime(2026, 7, 2, 19, 27, 46, 989000, tzinfo=UTC)),
        ("2024-03-01T09:00:00.123456789Z", datetime(2024, 3, 1, 9, 0, 0, 123456, tzinfo=UTC)),
        ("20240301", datetime(2024, 3, 1, tzinfo=UTC)),
        ("Wed Oct 10 20:19:24 +0000 2018", datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)),
        (1709283600, datetime(2024, 3, 1, 9, tzinfo=UTC)),  # unix seconds
        ("1709283600", datetime(2024, 3, 1, 9, tzinfo=UTC)),
        (1709283600123, datetime(2024, 3, 1, 9, 0, 0, 123000, tzinfo=UTC)),  # milliseconds
        ("1709283600123", datetime(2024, 3, 1, 9, 0, 0, 123000, tzinfo=UTC)),
        ("1709283600.5", datetime(2024, 3, 1, 9, 0, 0, 500000, tzinfo=UTC)),
        ("2024-02-30 10:00:00", None),
        ("13/02/2024", None),
        ("2024", None),  # a year, not 33 minutes past 1970
        (5, None),
        (True, None),
        (float("nan"), None),
        ("9" * 30, None),
        (None, None),
    ],
)
def test_parse_timestamp(raw: object, expected: datetime | None) -> None:
    assert parse_timestamp(raw) == expected


# -- Bluesky --------------------------------------------------------------------------------------


def repo_spec() -> dict[str, Any]:
    return json.loads((FIXTURES / "bluesky/repo-export/repo.car.json").read_text("utf-8"))


def test_bluesky_truncated_car_is_refused_naming_the_file(tmp_path: Path) -> None:
    car = car_bytes(*repository_blocks(repo_spec()))
    (tmp_path / "repo.car").write_bytes(car[: len(car) // 2])
    with pytest.raises(ArchiveError, match="repo.car"):
        parse_all(bluesky.Parser(), ExportFiles(tmp_path))


def test_bluesky_missing_tree_node_is_refused(tmp_path: Path) -> None:
    commit, blocks = repository_blocks(repo_spec())
    del blocks[libipld.decode_dag_cbor(blocks[commit])["data"]]
    (tmp_path / "repo.car").write_bytes(car_bytes(commit, blocks))
    with pytest.raises(ArchiveError, match="repository tree is broken"):
        parse_all(bluesky.Parser(), ExportFiles(tmp_path))


def test_bluesky_ignores_car_named_files_that_are_not_car(tmp_path: Path) -> None:
    (tmp_path / "notes.car").write_text("a car maintenance log", encoding="utf-8")
    assert bluesky.Parser().detect(ExportFiles(tmp_path)) is None
