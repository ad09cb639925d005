"""The hostile and broken exports of the robustness suite, built at test time (no binaries in
the repository). Each builder writes one export into a folder and returns its path, and says
whether ingest must refuse it (True) or may store it (False: odd but legitimate content)."""

from __future__ import annotations

import io
import json
import stat
import tarfile
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from tests.x_export import tweet, write_x_export

Builder = Callable[[Path], Path]
WRAP = "window.YTD.tweets.part0 = "


def _zip(path: Path, members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _x_members(
    tweets: list[dict[str, object]] | None = None, raw: bytes | None = None
) -> dict[str, bytes]:
    account = [{"account": {"username": "hostile", "accountId": "1"}}]
    body = raw if raw is not None else (WRAP + json.dumps(tweets or [])).encode()
    return {
        "data/account.js": b"window.YTD.account.part0 = " + json.dumps(account).encode(),
        "data/tweets.js": body,
    }


def zip_bomb(root: Path) -> Path:
    return _zip(root / "bomb.zip", {"data/tweets.js": b"\0" * 300_000_000})


def nested_bomb(root: Path) -> Path:
    inner = _zip(root / "inner.zip", {"data/tweets.js": b"\0" * 100_000_000})
    return _zip(root / "nested-bomb.zip", {"export.zip": inner.read_bytes()}, zipfile.ZIP_STORED)


def lying_header(root: Path) -> Path:
    """A member whose header understates its size: reading must stop at the declared size."""
    path = _zip(root / "liar.zip", _x_members([tweet("1", "x" * 5000, datetime(2024, 1, 1))]))
    raw = bytearray(path.read_bytes())
    info = zipfile.ZipFile(path).getinfo("data/tweets.js")
    real = info.file_size.to_bytes(4, "little")
    small = (100).to_bytes(4, "little")
    raw = raw.replace(real, small)
    path.write_bytes(bytes(raw))
    return path


def traversal(root: Path) -> Path:
    return _zip(root / "traversal.zip", {"../../evil.js": b"x", **_x_members()})


def absolute_name(root: Path) -> Path:
    return _zip(root / "absolute.zip", {"/tmp/evil.js": b"x", **_x_members()})


def symlink_member(root: Path) -> Path:
    path = root / "symlink.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("data/tweets.js")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    return path


def encrypted(root: Path) -> Path:
    path = _zip(root / "encrypted.zip", _x_members())
    raw = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = 0
        while (at := raw.find(signature, at)) >= 0:
            raw[at + offset] |= 0x1
            at += 4
    path.write_bytes(bytes(raw))
    return path


def text_renamed_zip(root: Path) -> Path:
    path = root / "notes.zip"
    path.write_text("Dear diary, this is not a zip file.")
    return path


def empty_zip(root: Path) -> Path:
    return _zip(root / "empty.zip", {})


def empty_folder(root: Path) -> Path:
    path = root / "empty-folder"
    path.mkdir()
    return path


def not_an_export(root: Path) -> Path:
    return _zip(root / "photos.zip", {"IMG_0001.jpg": b"\xff\xd8\xff", "notes.txt": b"hello"})


def truncated_zip(root: Path) -> Path:
    path = _zip(root / "truncated.zip", _x_members([tweet("1", "hello", datetime(2024, 1, 1))]))
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    return path


def truncated_json(root: Path) -> Path:
    body = (WRAP + json.dumps([tweet("1", "hello", datetime(2024, 1, 1))])).encode()
    return _zip(root / "truncated-json.zip", _x_members(raw=body[:-20]))


def wrong_wrapper(root: Path) -> Path:
    body = b"var tweets = " + json.dumps([tweet("1", "hi", datetime(2024, 1, 1))]).encode()
    return _zip(root / "wrong-wrapper.zip", _x_members(raw=body))


def invalid_utf8(root: Path) -> Path:
    return _zip(
        root / "invalid-utf8.zip",
        _x_members(raw=WRAP.encode() + b'[{"tweet": {"full_text": "\xff\xfe"}}]'),
    )


def not_a_list(root: Path) -> Path:
    return _zip(root / "not-a-list.zip", _x_members(raw=(WRAP + '{"tweet": 1}').encode()))


def future_timestamp(root: Path) -> Path:
    return write_x_export(
        root / "future", "hostile", [tweet("1", "from 2099", datetime(2099, 1, 1))]
    )


def bad_timestamp(root: Path) -> Path:
    return write_x_export(
        root / "bad-time",
        "hostile",
        [
            tweet("1", "fine", datetime(2024, 1, 1)),
            {
                "tweet": {
                    **tweet("2", "broken", datetime(2024, 1, 1))["tweet"],
                    "created_at": "yesterday",
                }
            },
        ],
    )


def duplicate_ids(root: Path) -> Path:
    return write_x_export(
        root / "duplicates",
        "hostile",
        [
            tweet("7", "first version", datetime(2024, 1, 1)),
            tweet("7", "second version", datetime(2024, 1, 1)),
        ],
    )


def huge_post(root: Path) -> Path:
    return write_x_export(
        root / "huge-post", "hostile", [tweet("1", "A" * 5_000_000, datetime(2024, 1, 1))]
    )


def markup_and_controls(root: Path) -> Path:
    text = (
        "<script>alert(1)</script> ![x](http://evil.example/x.png) [click](javascript:alert(1)) "
        '\u202egnp.exe\u202c \x07\x1b[31m =HYPERLINK("http://evil.example")'
    )
    return write_x_export(root / "markup", "hostile", [tweet("1", text, datetime(2024, 1, 1))])


def _tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for info, data in members:
            info.size = len(data) if info.isfile() else 0
            archive.addfile(info, io.BytesIO(data) if info.isfile() else None)
    return path


def _mastodon_members() -> list[tuple[tarfile.TarInfo, bytes]]:
    outbox = b'{"type": "OrderedCollection", "orderedItems": []}'
    return [(tarfile.TarInfo("outbox.json"), outbox), (tarfile.TarInfo("actor.json"), b"{}")]


def tar_bomb(root: Path) -> Path:
    return _tar(root / "archive-bomb.tar.gz", [(tarfile.TarInfo("outbox.json"), b"\0" * 10**8)])


def tar_traversal(root: Path) -> Path:
    evil = (tarfile.TarInfo("../../evil.js"), b"x")
    return _tar(root / "archive-traversal.tar.gz", [*_mastodon_members(), evil])


def tar_symlink(root: Path) -> Path:
    link = tarfile.TarInfo("media_attachments/avatar.png")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
    return _tar(root / "archive-symlink.tar.gz", [*_mastodon_members(), (link, b"")])


def truncated_tar(root: Path) -> Path:
    path = _tar(root / "archive-truncated.tar.gz", _mastodon_members())
    path.write_bytes(path.read_bytes()[:-10])
    return path


REFUSED: dict[str, Builder] = {
    "zip bomb": zip_bomb,
    "nested zip bomb": nested_bomb,
    "member larger than its header": lying_header,
    "../ member name": traversal,
    "absolute member name": absolute_name,
    "symlink member": symlink_member,
    "encrypted zip": encrypted,
    "text file renamed .zip": text_renamed_zip,
    "empty zip": empty_zip,
    "empty folder": empty_folder,
    "zip that is not an export": not_an_export,
    "truncated zip": truncated_zip,
    "truncated JSON": truncated_json,
    "wrong wrapper": wrong_wrapper,
    "invalid UTF-8": invalid_utf8,
    "JSON of the wrong shape": not_a_list,
    "timestamp in the future": future_timestamp,
    "tar.gz bomb": tar_bomb,
    "../ member name in a tar": tar_traversal,
    "symlink member in a tar": tar_symlink,
    "truncated tar.gz": truncated_tar,
}
STORED: dict[str, Builder] = {
    "unparseable timestamp (skipped, counted)": bad_timestamp,
    "duplicate ids (one kept, counted)": duplicate_ids,
    "a post of 5 MB": huge_post,
    "HTML, script, Markdown, controls, RTL override, formula": markup_and_controls,
}
