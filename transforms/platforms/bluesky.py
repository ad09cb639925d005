"""Bluesky repository export (Settings → Account → Export my data): repo.car, the account's whole
AT Protocol repository as a CAR file of DAG-CBOR blocks, read with the `atproto` library.

The root block is the signed commit {did, data, …}; `data` is the root of a Merkle Search Tree
whose leaves are the records, keyed '<collection>/<record key>'. Posts (app.bsky.feed.post) are
authored: a `reply` makes a reply, an embedded record a quote. Reposts and likes are records of
their own and are counted, not stored; so is every other record (follows, blocks, lists…).
Everything on Bluesky is public. Post ids are record keys; `in_reply_to` is the parent's at:// URI.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from atproto_core.car import CAR
from atproto_core.cid import CID

from transforms.archive import ArchiveError, ExportFiles
from transforms.platforms.common import (
    Outcome,
    count_unknown_keys,
    parse_timestamp,
    record_files,
    tally,
)
from transforms.records import AccountInfo, Coverage, PostRecord

POST = "app.bsky.feed.post"
SKIPPED_COLLECTIONS = {"app.bsky.feed.repost": "repost", "app.bsky.feed.like": "like"}
PROFILE_KEY = "app.bsky.actor.profile/self"
QUOTE_EMBEDS = frozenset({"app.bsky.embed.record", "app.bsky.embed.recordWithMedia"})
KNOWN_POST_KEYS = frozenset(
    {"$type", "text", "createdAt", "langs", "facets", "reply", "embed", "labels", "tags"}
)


@dataclass(frozen=True)
class Repository:
    did: str
    records: dict[str, Any]  # '<collection>/<rkey>' → decoded record, None if its block is absent


class Parser:
    platform = "bluesky"

    def detect(self, files: ExportFiles) -> str | None:
        return "car" if _car_files(files) else None

    def account(self, files: ExportFiles) -> AccountInfo:
        names = _car_files(files)
        if not names:
            return AccountInfo(self.platform)
        repo = read_repository(files, names[0])
        profile = repo.records.get(PROFILE_KEY)
        display_name = profile.get("displayName") if isinstance(profile, dict) else None
        return AccountInfo(self.platform, display_name=display_name or None, account_id=repo.did)

    def parse(self, files: ExportFiles, layout: str, coverage: Coverage) -> Iterator[PostRecord]:
        names = _car_files(files)
        record_files(coverage, files, names)
        for name in names:
            repo = read_repository(files, name)
            records = sorted(repo.records.items())
            yield from tally(coverage, (_outcome(repo.did, *item, coverage) for item in records))


def _car_files(files: ExportFiles) -> list[str]:
    """Members named *.car that start with a CAR header (a CBOR map of 'roots' and 'version')."""
    found = []
    for member in files.members:
        if member.basename.lower().endswith(".car"):
            with files.open(member.name) as stream:
                head = stream.read(128)
            if b"roots" in head and b"version" in head:
                found.append(member.name)
    return found


def read_repository(files: ExportFiles, name: str) -> Repository:
    where = f"{files.path.name}: {name}"
    try:
        car = CAR.from_bytes(files.read_bytes(name))
    except ValueError as error:
        raise ArchiveError(f"{where} is not a readable CAR file ({error})") from None
    commit = car.blocks.get(car.root)
    if not isinstance(commit, dict) or not isinstance(commit.get("did"), str):
        raise ArchiveError(f"{where}: the root block is not a repository commit")
    records = {key: car.blocks.get(cid) for key, cid in _tree_entries(car.blocks, commit, where)}
    return Repository(did=commit["did"], records=records)


def _tree_entries(
    blocks: Mapping[CID, Any], commit: Mapping[str, Any], where: str
) -> Iterator[tuple[str, CID]]:
    """Every (key, record CID) in the Merkle Search Tree. Within a node, keys are
    prefix-compressed: an entry keeps the first `p` bytes of the previous key and appends `k`."""
    pending, seen = [commit.get("data")], set()
    try:
        while pending:
            node_cid = _cid(pending.pop())
            node = blocks.get(node_cid)
            if node_cid in seen or not isinstance(node, dict):
                raise ArchiveError(f"{where}: the repository tree is broken or cyclic")
            seen.add(node_cid)
            if node.get("l"):
                pending.append(node["l"])
            key = b""
            for entry in node.get("e") or []:
                key = key[: entry["p"]] + entry["k"]
                yield key.decode("utf-8"), _cid(entry["v"])
                if entry.get("t"):
                    pending.append(entry["t"])
    except (KeyError, TypeError, ValueError) as error:
        raise ArchiveError(f"{where}: malformed repository tree ({error!r})") from None


def _cid(link: object) -> CID:
    """A link inside a decoded block is the CID's raw bytes; the root comes as a CID already."""
    if isinstance(link, CID):
        return link
    if isinstance(link, bytes):
        return CID.decode(link)
    raise TypeError(f"not a CID link: {type(link).__name__}")


def _outcome(did: str, key: str, record: Any, coverage: Coverage) -> Outcome:
    """A post for an app.bsky.feed.post record; any other record is a counted skip."""
    collection, _, rkey = key.partition("/")
    if collection != POST:
        return None, SKIPPED_COLLECTIONS.get(collection, "other_record")
    if not isinstance(record, dict):
        return None, "missing_block"
    count_unknown_keys(coverage, POST, record, KNOWN_POST_KEYS)
    text = record.get("text").strip() if isinstance(record.get("text"), str) else ""
    created_at = parse_timestamp(record.get("createdAt"))
    if not text:
        return None, "no_text"
    if created_at is None:
        return None, "bad_timestamp"
    parent = _get(record, "reply", "parent", "uri")
    parent_uri = parent if isinstance(parent, str) else None
    embed_type = _get(record, "embed", "$type")
    post = PostRecord(
        platform="bluesky",
        post_id=rkey,
        created_at=created_at,
        kind="reply" if parent_uri else "quote" if embed_type in QUOTE_EMBEDS else "post",
        text=text,
        visibility="public",
        url=f"https://bsky.app/profile/{did}/post/{rkey}",
        in_reply_to=parent_uri,
    )
    return post, ""


def _get(record: Mapping[str, Any], *path: str) -> Any:
    value: Any = record
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value
