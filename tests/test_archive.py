"""Opening exports safely: every hostile shape is refused with its reason, nothing extracted."""

from __future__ import annotations

import io
import random
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from transforms.archive import ArchiveError, ExportFiles


def make_zip(path: Path, members: dict[str, bytes], **kwargs: object) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_folder_and_zip_list_the_same_members(tmp_path: Path) -> None:
    folder = tmp_path / "export"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "tweets.js").write_text("window.YTD.tweets.part0 = []")
    zipped = make_zip(tmp_path / "export.zip", {"data/tweets.js": b"window.YTD.tweets.part0 = []"})
    with ExportFiles(folder) as a, ExportFiles(zipped) as b:
        assert a.names() == b.names() == ["data/tweets.js"]
        assert a.read_text("data/tweets.js") == b.read_text("data/tweets.js")
        assert [m.basename for m in a.with_basename("TWEETS.JS")] == ["tweets.js"]


@pytest.mark.parametrize("name", ["../evil.js", "/etc/passwd", "data/../../evil.js", "C:/x.js"])
def test_member_escaping_the_export_is_refused(tmp_path: Path, name: str) -> None:
    zipped = make_zip(tmp_path / "evil.zip", {name: b"x"})
    with pytest.raises(ArchiveError, match="escapes the export"):
        ExportFiles(zipped)


def test_symlink_member_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("data/tweets.js")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(ArchiveError, match="symbolic link"):
        ExportFiles(path)


def test_encrypted_member_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "enc.zip", {"data/tweets.js": b"x"})
    raw = bytearray(path.read_bytes())
    # Set the 'encrypted' flag bit in the local and central headers.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.find(signature)
        raw[at + offset] |= 0x1
    path.write_bytes(bytes(raw))
    with pytest.raises(ArchiveError, match="encrypted"):
        ExportFiles(path)


def test_zip_bomb_ratio_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "bomb.zip", {"data/tweets.js": b"0" * 20_000_000})
    with pytest.raises(ArchiveError, match="zip bomb"):
        ExportFiles(path)


def test_text_file_renamed_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.zip"
    path.write_text("this is not a zip")
    with pytest.raises(ArchiveError, match="not a zip archive"):
        ExportFiles(path)


def test_nested_zip_is_opened_within_limits(tmp_path: Path) -> None:
    inner = make_zip(tmp_path / "inner.zip", {"data/tweets.js": b"window.YTD.tweets.part0 = []"})
    outer = make_zip(tmp_path / "outer.zip", {"twitter-2024.zip": inner.read_bytes()})
    with ExportFiles(outer) as files:
        assert files.names() == ["data/tweets.js"]


def test_invalid_utf8_is_reported_with_file_name(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "bad.zip", {"data/tweets.js": b"\xff\xfe\xfa"})
    with ExportFiles(path) as files, pytest.raises(ArchiveError, match="bad.zip: data/tweets.js"):
        files.read_text("data/tweets.js")


def test_folder_symlinks_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "link.js").symlink_to(outside)
    with ExportFiles(folder) as files:
        assert files.names() == []


# -- tar archives (Mastodon before 4.1) ---------------------------------------------------------


NOISE = random.Random(0).randbytes(50_000)  # incompressible: no bomb alarm on truncation tests


def make_tar(path: Path, members: list[tarfile.TarInfo], data: bytes = b"{}") -> Path:
    mode = "w:gz" if path.name.endswith(("gz", "tgz")) else "w"
    with tarfile.open(path, mode) as archive:
        for info in members:
            if info.isfile():
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
            else:
                archive.addfile(info)
    return path


def tar_member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


@pytest.mark.parametrize("suffix", ["tar.gz", "tgz", "tar"])
def test_tar_lists_the_same_members_as_a_folder(tmp_path: Path, suffix: str) -> None:
    members = [tar_member("./"), tar_member("./outbox.json"), tar_member("media/a.jpg")]
    members[0].type = tarfile.DIRTYPE
    with ExportFiles(make_tar(tmp_path / f"archive.{suffix}", members, b'{"x": 1}')) as files:
        assert files.names() == ["outbox.json", "media/a.jpg"]
        assert files.read_text("outbox.json") == '{"x": 1}'


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        (tar_member("../evil.js"), "escapes the export"),
        (tar_member("/etc/passwd"), "escapes the export"),
        (tar_member("outbox.json", tarfile.SYMTYPE, "/etc/passwd"), "link member"),
        (tar_member("outbox.json", tarfile.LNKTYPE, "/etc/passwd"), "link member"),
        (tar_member("dev/sda", tarfile.BLKTYPE), "special member"),
        (tar_member("dev/tty", tarfile.CHRTYPE), "special member"),
        (tar_member("pipe", tarfile.FIFOTYPE), "special member"),
    ],
    ids=["dotdot", "absolute", "symlink", "hardlink", "block-device", "char-device", "fifo"],
)
def test_hostile_tar_member_is_refused(tmp_path: Path, member: tarfile.TarInfo, reason) -> None:
    path = make_tar(tmp_path / "archive.tar.gz", [tar_member("actor.json"), member])
    with pytest.raises(ArchiveError, match=f"archive.tar.gz: .*{reason}"):
        ExportFiles(path)


def test_tar_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    path = make_tar(tmp_path / "bomb.tar.gz", [tar_member("outbox.json")], b"\0" * 20_000_000)
    with pytest.raises(ArchiveError, match="bomb.tar.gz: compression ratio suggests a tar bomb"):
        ExportFiles(path)


def test_oversized_tar_member_is_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr("transforms.archive.MAX_MEMBER_BYTES", 1000)
    path = make_tar(tmp_path / "big.tar", [tar_member("outbox.json")], b"x" * 1001)
    with pytest.raises(ArchiveError, match="big.tar: member 'outbox.json' is too large"):
        ExportFiles(path)


@pytest.mark.parametrize("cut", [0.5, 0.99], ids=["half", "trailer"])
def test_truncated_tar_gz_is_refused_naming_it(tmp_path: Path, cut: float) -> None:
    path = make_tar(tmp_path / "archive.tar.gz", [tar_member("outbox.json")], NOISE)
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * cut)])
    with pytest.raises(ArchiveError, match="archive.tar.gz: .*corrupt or truncated"):
        ExportFiles(path)


def test_truncated_plain_tar_is_refused(tmp_path: Path) -> None:
    path = make_tar(tmp_path / "archive.tar", [tar_member("outbox.json")], b"z" * 20_000)
    path.write_bytes(path.read_bytes()[:5_000])
    with pytest.raises(ArchiveError, match="archive.tar: .*corrupt or truncated"):
        ExportFiles(path)


def test_corrupt_gzip_is_refused_naming_it(tmp_path: Path) -> None:
    path = make_tar(tmp_path / "archive.tgz", [tar_member("outbox.json")], NOISE)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ArchiveError, match="archive.tgz: .*corrupt or truncated"):
        ExportFiles(path)
