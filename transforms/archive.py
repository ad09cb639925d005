"""Open one export, zipped, tarred or unpacked, as a flat read-only list of member files.

Exports come from strangers, so every read is bounded: member names that escape the export
(absolute paths, '..'), links, devices, encrypted members, oversized members and suspicious
compression ratios are refused with an `ArchiveError` that names the reason, and so is a corrupt
or truncated archive. Nothing is ever extracted to disk.

An export can come in several parts (Meta splits a large download into several zips): given
several paths, or a folder holding nothing but archives, the parts are read as ONE export whose
files are the union of theirs (see transforms/parts.py for how parts are recognised by name).
"""

from __future__ import annotations

import io
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Protocol, TypeVar

MAX_TOTAL_BYTES = 8 * 1024**3  # an export may be large, but not larger than this uncompressed
MAX_MEMBER_BYTES = 2 * 1024**3
MAX_RATIO = 200  # uncompressed / compressed, per member and in total
MAX_NESTING = 2  # an export zipped inside a zip, and no deeper
ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz")
# What a damaged zip, tar or gzip stream raises while it is read.
_CORRUPT = (tarfile.TarError, zipfile.BadZipFile, zlib.error, EOFError, OSError)
T = TypeVar("T")


class ArchiveError(Exception):
    """The export cannot be read safely; the message says why."""


@dataclass(frozen=True)
class Member:
    name: str  # '/'-separated path inside the export
    size: int  # uncompressed bytes

    @property
    def basename(self) -> str:
        return PurePosixPath(self.name).name


def is_archive_name(name: str) -> bool:
    """A file name that says zip or tar (the kinds of container an export arrives in)."""
    return name.lower().endswith(ARCHIVE_SUFFIXES)


class _Source(Protocol):
    """One container of member files: a folder, a zip or a tar."""

    members: dict[str, Member]

    def open(self, name: str) -> IO[bytes]: ...

    def close(self) -> None: ...


class ExportFiles:
    """A read-only view of the files of one export, which may come in several parts."""

    def __init__(self, source: Path | Sequence[Path]) -> None:
        paths = [source] if isinstance(source, Path) else list(source)
        if not paths:
            raise ArchiveError("no export given")
        self.path = paths[0]  # its name labels every message about the export
        self.parts: list[str] = []  # the archives read as one export, when it came in parts
        self.repeated: list[str] = []  # member names found in more than one part (first kept)
        self._sources: list[_Source] = []
        self._members: dict[str, tuple[Member, _Source]] = {}
        try:
            self._open(paths)
        except BaseException:
            self.close()
            raise

    # -- construction ---------------------------------------------------------------------------

    def _open(self, paths: list[Path]) -> None:
        if len(paths) == 1 and paths[0].is_dir():
            archives = part_archives(paths[0])
            if not archives:
                self._add(_Folder(paths[0]))
                return
            paths = archives
        if len(paths) > 1 or paths[0] != self.path:
            self.parts = [path.name for path in paths]
        for path in paths:
            if not path.is_file():
                raise ArchiveError(f"{path.name}: no such file or folder")
            self._add(_open_archive(path, path.name, path.stat().st_size))
        if sum(member.size for member, _ in self._members.values()) > MAX_TOTAL_BYTES:
            raise ArchiveError(f"{self.path.name}: uncompressed size exceeds the limit")

    def _add(self, source: _Source) -> None:
        self._sources.append(source)
        for name, member in source.members.items():
            if name in self._members:
                self.repeated.append(name)
            else:
                self._members[name] = (member, source)

    # -- reading --------------------------------------------------------------------------------

    @property
    def members(self) -> list[Member]:
        return [member for member, _ in self._members.values()]

    def names(self) -> list[str]:
        return list(self._members)

    def with_basename(self, *basenames: str) -> list[Member]:
        wanted = {b.lower() for b in basenames}
        return [m for m in self.members if m.basename.lower() in wanted]

    def open(self, name: str) -> IO[bytes]:
        """A binary stream of one member, capped at its declared size."""
        return self._members[name][1].open(name)

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
        for source in self._sources:
            source.close()

    def __enter__(self) -> ExportFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Member]:
        return iter(self.members)


def part_archives(folder: Path) -> list[Path]:
    """The archives of a folder that holds nothing else (hidden files aside): the parts of one
    export as downloaded; [] for an ordinary unpacked export."""
    archives = []
    for path in folder.rglob("*"):
        if path.is_symlink() or path.is_dir() or _hidden(path, folder):
            continue
        if path.parent != folder or not is_archive_name(path.name):
            return []
        archives.append(path)
    return sorted(archives)


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _open_archive(path: Path | IO[bytes], label: str, size: int, depth: int = 0) -> _Source:
    """A zip or tar by its content; a lone archive inside it is the export, opened in turn."""
    is_zip = zipfile.is_zipfile(path)
    if not isinstance(path, Path):
        path.seek(0)
    if is_zip:
        source: _Source = _Zip(path, label)
    else:
        source = _Tar(path, label, size)
    inner = list(source.members.values())
    if len(inner) == 1 and is_archive_name(inner[0].name) and depth < MAX_NESTING:
        with source.open(inner[0].name) as stream:
            data = stream.read()
        source.close()
        nested = f"{label}: nested {inner[0].name!r}"
        return _open_archive(io.BytesIO(data), nested, len(data), depth + 1)
    return source


class _Folder:
    def __init__(self, root: Path) -> None:
        self._root = root
        self.members: dict[str, Member] = {}
        for file in sorted(root.rglob("*")):
            if file.is_symlink():
                continue  # never follow a link out of the export
            if file.is_file():
                name = file.relative_to(root).as_posix()
                self.members[name] = Member(name, file.stat().st_size)

    def open(self, name: str) -> IO[bytes]:
        return (self._root / name).open("rb")

    def close(self) -> None:
        return None


class _Zip:
    def __init__(self, file: Path | IO[bytes], label: str) -> None:
        self._label = label
        self._infos: dict[str, zipfile.ZipInfo] = {}
        try:
            self._zip = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, OSError) as error:
            raise ArchiveError(f"{label}: not a readable zip archive ({error})") from None
        self.members: dict[str, Member] = {}
        total = 0
        compressed_total = 0
        for info in self._zip.infolist():
            if info.is_dir():
                continue
            name = _safe_member_name(label, info.filename)
            if info.flag_bits & 0x1:
                raise ArchiveError(f"{label}: encrypted member {name!r}; export unencrypted")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise ArchiveError(f"{label}: symbolic link member {name!r} refused")
            if info.file_size > MAX_MEMBER_BYTES:
                raise ArchiveError(f"{label}: member {name!r} is too large")
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                raise ArchiveError(f"{label}: member {name!r} looks like a zip bomb")
            total += info.file_size
            compressed_total += info.compress_size
            self.members[name] = Member(name, info.file_size)
            self._infos[name] = info
        if total > MAX_TOTAL_BYTES:
            raise ArchiveError(f"{label}: uncompressed size exceeds the limit")
        if compressed_total and total / compressed_total > MAX_RATIO:
            raise ArchiveError(f"{label}: compression ratio suggests a zip bomb")

    def open(self, name: str) -> IO[bytes]:
        raw = _guarded(self._label, lambda: self._zip.open(self._infos[name]))
        return _BoundedReader(raw, self.members[name].size, f"{self._label}:{name}")

    def close(self) -> None:
        self._zip.close()


class _Tar:
    """A tar, plain or compressed (gzip, bzip2, xz). Headers are checked one at a time before
    the data behind them is skipped, so a bomb is refused having inflated at most MAX_RATIO
    times the archive's own size."""

    def __init__(self, file: Path | IO[bytes], label: str, size: int) -> None:
        self._label = label
        self._infos: dict[str, tarfile.TarInfo] = {}
        self.members: dict[str, Member] = {}
        try:
            named, stream = (file, None) if isinstance(file, Path) else (None, file)
            self._tar = tarfile.TarFile.open(named, mode="r:*", fileobj=stream)
        except _CORRUPT:
            if label.lower().endswith(ARCHIVE_SUFFIXES[1:]):
                raise ArchiveError(f"{label}: the tar archive is corrupt or truncated") from None
            raise ArchiveError(
                f"{label}: not a zip archive (nor a tar), or it is corrupt or truncated"
            ) from None
        total = 0
        while (info := _guarded(label, self._tar.next)) is not None:
            if info.isdir():
                continue
            name = _safe_member_name(label, info.name)
            if info.issym() or info.islnk():
                raise ArchiveError(f"{label}: link member {name!r} refused")
            if info.issparse() or not info.isfile():
                raise ArchiveError(f"{label}: special member {name!r} (device, fifo) refused")
            if info.size > MAX_MEMBER_BYTES:
                raise ArchiveError(f"{label}: member {name!r} is too large")
            total += info.size
            if total > MAX_TOTAL_BYTES:
                raise ArchiveError(f"{label}: uncompressed size exceeds the limit")
            if total > MAX_RATIO * max(size, 1):
                raise ArchiveError(f"{label}: compression ratio suggests a tar bomb")
            self.members[name] = Member(name, info.size)
            self._infos[name] = info
        # Reading on to the end checks the compressed stream's trailer, and shows a member cut
        # short by truncation (tarfile takes a missing header for the end of the archive).
        end = _guarded(label, lambda: _stream_end(self._tar.fileobj))
        if any(info.offset_data + info.size > end for info in self._infos.values()):
            raise ArchiveError(f"{label}: the archive is corrupt or truncated")

    def open(self, name: str) -> IO[bytes]:
        raw = _guarded(self._label, lambda: self._tar.extractfile(self._infos[name]))
        assert raw is not None  # members are regular files
        return _BoundedReader(raw, self.members[name].size, f"{self._label}:{name}")

    def close(self) -> None:
        self._tar.close()


def _stream_end(stream: IO[bytes]) -> int:
    """Read a stream to its end; the position there (uncompressed bytes for gzip and the like)."""
    while stream.read(1 << 20):
        pass
    return stream.tell()


def _guarded(label: str, read: Callable[[], T]) -> T:
    try:
        return read()
    except ArchiveError:
        raise
    except _CORRUPT as error:
        raise ArchiveError(f"{label}: the archive is corrupt or truncated ({error})") from None


class _BoundedReader(io.RawIOBase):
    """Refuses to yield more bytes than the header declared (a lying header is a bomb), and
    turns a damaged stream into an ArchiveError naming the member."""

    def __init__(self, raw: IO[bytes], limit: int, label: str) -> None:
        self._raw = raw
        self._left = limit
        self._label = label

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        data = self._take(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            chunks = []
            while chunk := self._take(1 << 20):
                chunks.append(chunk)
            return b"".join(chunks)
        return super().read(size) or b""

    def _take(self, size: int) -> bytes:
        data = _guarded(self._label, lambda: self._raw.read(size))
        if len(data) > self._left:
            raise ArchiveError(f"{self._label}: member is larger than its header says")
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._raw.close()
        super().close()


def _safe_member_name(archive_name: str, name: str) -> str:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or (path.parts and ":" in path.parts[0]):
        raise ArchiveError(f"{archive_name}: member name {name!r} escapes the export")
    return path.as_posix()
