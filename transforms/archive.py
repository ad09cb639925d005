"""Open one export, zipped or unpacked, as a flat read-only list of member files.

Exports come from strangers, so every read is bounded: member names that escape the export
(absolute paths, '..'), symlinks, encrypted members, oversized members and suspicious compression
ratios are refused with an `ArchiveError` that names the reason. Nothing is ever extracted to disk.
"""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

MAX_TOTAL_BYTES = 8 * 1024**3  # an export may be large, but not larger than this uncompressed
MAX_MEMBER_BYTES = 2 * 1024**3
MAX_RATIO = 200  # uncompressed / compressed, per member and in total
MAX_NESTING = 2  # an export zipped inside a zip, and no deeper


class ArchiveError(Exception):
    """The export cannot be read safely; the message says why."""


@dataclass(frozen=True)
class Member:
    name: str  # '/'-separated path inside the export
    size: int  # uncompressed bytes

    @property
    def basename(self) -> str:
        return PurePosixPath(self.name).name


class ExportFiles:
    """A read-only view of the files of one export."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._members: dict[str, Member] = {}
        if path.is_dir():
            self._index_folder(path)
        elif path.is_file():
            self._open_zip(path)
        else:
            raise ArchiveError(f"{path.name}: no such file or folder")

    # -- construction ---------------------------------------------------------------------------

    def _index_folder(self, root: Path) -> None:
        for file in sorted(root.rglob("*")):
            if file.is_symlink():
                continue  # never follow a link out of the export
            if file.is_file():
                name = file.relative_to(root).as_posix()
                self._members[name] = Member(name, file.stat().st_size)

    def _open_zip(self, path: Path, depth: int = 0) -> None:
        try:
            archive = zipfile.ZipFile(path if depth == 0 else path)
        except zipfile.BadZipFile as error:
            raise ArchiveError(f"{self.path.name}: not a zip archive or folder ({error})") from None
        self._zip = archive
        self._index_zip(archive)
        nested = [m for m in self._members.values() if m.name.lower().endswith(".zip")]
        if len(self._members) == len(nested) == 1 and depth < MAX_NESTING:
            self._unwrap_nested(nested[0], depth)

    def _index_zip(self, archive: zipfile.ZipFile) -> None:
        total = 0
        compressed_total = 0
        for info in archive.infolist():
            if info.is_dir():
                continue
            name = _safe_member_name(self.path.name, info.filename)
            if info.flag_bits & 0x1:
                raise ArchiveError(
                    f"{self.path.name}: encrypted member {name!r}; export unencrypted"
                )
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ArchiveError(f"{self.path.name}: symbolic link member {name!r} refused")
            if info.file_size > MAX_MEMBER_BYTES:
                raise ArchiveError(f"{self.path.name}: member {name!r} is too large")
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                raise ArchiveError(f"{self.path.name}: member {name!r} looks like a zip bomb")
            total += info.file_size
            compressed_total += info.compress_size
            self._members[name] = Member(name, info.file_size)
        if total > MAX_TOTAL_BYTES:
            raise ArchiveError(f"{self.path.name}: uncompressed size exceeds the limit")
        if compressed_total and total / compressed_total > MAX_RATIO:
            raise ArchiveError(f"{self.path.name}: compression ratio suggests a zip bomb")

    def _unwrap_nested(self, inner: Member, depth: int) -> None:
        """An export zipped inside a zip: read the inner one, under the same limits."""
        data = self.read_bytes(inner.name)
        outer = self._zip
        self._members = {}
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as error:
            raise ArchiveError(
                f"{self.path.name}: nested {inner.name!r} is not a zip ({error})"
            ) from None
        self._zip = archive
        self._index_zip(archive)
        if outer is not None:
            outer.close()

    # -- reading --------------------------------------------------------------------------------

    @property
    def members(self) -> list[Member]:
        return list(self._members.values())

    def names(self) -> list[str]:
        return list(self._members)

    def with_basename(self, *basenames: str) -> list[Member]:
        wanted = {b.lower() for b in basenames}
        return [m for m in self._members.values() if m.basename.lower() in wanted]

    def open(self, name: str) -> IO[bytes]:
        """A binary stream of one member, capped at its declared size."""
        member = self._members[name]
        if self._zip is not None:
            return _BoundedReader(self._zip.open(name), member.size, f"{self.path.name}:{name}")
        return (self.path / name).open("rb")

    def read_bytes(self, name: str) -> bytes:
        with self.open(name) as stream:
            return stream.read()

    def read_text(self, name: str) -> str:
        """Decode as UTF-8 (a byte-order mark is dropped); invalid bytes raise ArchiveError."""
        try:
            return self.read_bytes(name).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ArchiveError(
                f"{self.path.name}: {name} is not valid UTF-8 ({error.reason})"
            ) from None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> ExportFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Member]:
        return iter(self.members)


class _BoundedReader(io.RawIOBase):
    """Refuses to yield more bytes than the zip header declared (a lying header is a bomb)."""

    def __init__(self, raw: IO[bytes], limit: int, label: str) -> None:
        self._raw = raw
        self._left = limit
        self._label = label

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        if len(data) > self._left:
            raise ArchiveError(f"{self._label}: member is larger than its header says")
        self._left -= len(data)
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while chunk := self._raw.read(1 << 20):
                if len(chunk) > self._left:
                    raise ArchiveError(f"{self._label}: member is larger than its header says")
                self._left -= len(chunk)
                chunks.append(chunk)
            return b"".join(chunks)
        return super().read(size) or b""

    def close(self) -> None:
        self._raw.close()
        super().close()


def _safe_member_name(archive_name: str, name: str) -> str:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise ArchiveError(f"{archive_name}: member name {name!r} escapes the export")
    return path.as_posix()
