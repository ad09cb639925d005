"""LinkedIn "Get a copy of your data": posts from Shares.csv, comments from Comments.csv and the
account name from Profile.csv.

LinkedIn writes broken CSV, so these files are read defensively:
- quotes are escaped by doubling ("") in some files and by backslash (\\") in others; both
  dialects are tried and the one whose rows fit the header wins;
- a multi-line post may have every line wrapped in its own quotes ('first"\\n""\\n"second');
  this is undone only in a file where every line break of every text carries them, so quotes
  the author typed survive in files that do not wrap;
- dates are 'YYYY-MM-DD HH:MM:SS' in UTC, sometimes with a ' UTC' suffix.
Comments have no id or address of their own: their Link is the post they answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from urllib.parse import unquote

from transforms.archive import ExportFiles
from transforms.platforms.common import (
    Outcome,
    count_unknown_keys,
    csv_header,
    csv_records,
    parse_timestamp,
    record_files,
    split_csv,
    stable_id,
    tally,
)
from transforms.records import AccountInfo, Coverage, PostRecord

SHARES = "Shares.csv"
COMMENTS = "Comments.csv"
PROFILE = "Profile.csv"
SHARE_COLUMNS = frozenset(
    {"Date", "ShareLink", "ShareCommentary", "SharedUrl", "MediaUrl", "Visibility"}
)
COMMENT_COLUMNS = frozenset({"Date", "Link", "Message"})
VISIBILITY = {
    "PUBLIC": "public",
    "LOGGED_IN": "public",
    "CONNECTIONS": "followers",
    "MEMBER_NETWORK": "followers",
}
URN = re.compile(r"urn:li:[A-Za-z]+:[A-Za-z0-9_-]+")


class Parser:
    platform = "linkedin"

    def detect(self, files: ExportFiles) -> str | None:
        return "csv" if self._content_files(files) else None

    def account(self, files: ExportFiles) -> AccountInfo:
        for member in files.with_basename(PROFILE):
            for record in csv_records(_read_linkedin_csv(files, member.name)):
                if record is not None:
                    names = (
                        record.get("First Name", "").strip(),
                        record.get("Last Name", "").strip(),
                    )
                    return AccountInfo(
                        self.platform, display_name=" ".join(filter(None, names)) or None
                    )
        return AccountInfo(self.platform)

    def parse(self, files: ExportFiles, layout: str, coverage: Coverage) -> Iterator[PostRecord]:
        content = self._content_files(files)
        profile = [member.name for member in files.with_basename(PROFILE)]
        record_files(coverage, files, [*content, *profile])
        for name, is_share in content.items():
            yield from tally(coverage, _outcomes(files, name, is_share, coverage))

    @staticmethod
    def _content_files(files: ExportFiles) -> dict[str, bool]:
        """Shares.csv / Comments.csv recognised by their header, mapped to 'is it Shares'."""
        found: dict[str, bool] = {}
        for member in files.with_basename(SHARES, COMMENTS):
            header = set(csv_header(files, member.name))
            if header >= {"ShareLink", "ShareCommentary"}:
                found[member.name] = True
            elif header >= COMMENT_COLUMNS:
                found[member.name] = False
        return found


def _outcomes(
    files: ExportFiles, name: str, is_share: bool, coverage: Coverage
) -> Iterator[Outcome]:
    known, text_column, to_post = (
        (SHARE_COLUMNS, "ShareCommentary", _share)
        if is_share
        else (COMMENT_COLUMNS, "Message", _comment)
    )
    records = list(csv_records(_read_linkedin_csv(files, name)))
    wrapped = _lines_are_wrapped(record.get(text_column, "") for record in records if record)
    for record in records:
        if record is None:
            yield None, "malformed_row"
        else:
            count_unknown_keys(coverage, name, record, known)
            yield to_post(record, _clean_text(record.get(text_column, ""), wrapped))


def _read_linkedin_csv(files: ExportFiles, name: str) -> list[list[str]]:
    """Rows in whichever quoting dialect fits the header; backslash first if the file has \\"."""
    text = files.read_text(name)
    where = f"{files.path.name}: {name}"
    backslash = split_csv(text, where, escapechar="\\")
    doubled = split_csv(text, where)
    candidates = [backslash, doubled] if '\\"' in text else [doubled, backslash]
    return min(candidates, key=_misfit_rows)


def _misfit_rows(rows: list[list[str]]) -> int:
    return sum(1 for row in rows[1:] if len(row) != len(rows[0]))


def _lines_are_wrapped(texts: Iterable[str]) -> bool:
    """Whether the file wraps each line of a multi-line text in quotes ('a"\\n"b'): decided for
    the whole file, since one text alone cannot tell wrapping from quotes the author typed."""
    multi_line = [text.replace("\r\n", "\n") for text in texts if "\n" in text]
    return bool(multi_line) and all(t.count('"\n"') == t.count("\n") for t in multi_line)


def _clean_text(value: str, wrapped: bool) -> str:
    text = value.replace("\r\n", "\n")
    return (text.replace('"\n"', "\n") if wrapped else text).strip()


def _urn(link: str) -> str | None:
    """The post's URN ('urn:li:share:…'), found in a plain or percent-encoded feed link."""
    match = URN.search(unquote(link))
    return match.group(0) if match else None


def _share(record: Mapping[str, str], text: str) -> Outcome:
    created_at = parse_timestamp(record.get("Date"))
    link = record.get("ShareLink", "").strip()
    if not text:
        return None, "repost" if record.get("SharedUrl", "").strip() else "no_text"
    if created_at is None:
        return None, "bad_timestamp"
    post = PostRecord(
        platform="linkedin",
        post_id=_urn(link) or stable_id("share", record.get("Date", ""), text),
        created_at=created_at,
        kind="post",
        text=text,
        visibility=VISIBILITY.get(record.get("Visibility", "").strip().upper()),
        url=link or None,
    )
    return post, ""


def _comment(record: Mapping[str, str], text: str) -> Outcome:
    created_at = parse_timestamp(record.get("Date"))
    link = record.get("Link", "").strip()
    if not text:
        return None, "no_text"
    if created_at is None:
        return None, "bad_timestamp"
    post = PostRecord(
        platform="linkedin",
        post_id=stable_id("comment", record.get("Date", ""), link, text),
        created_at=created_at,
        kind="comment",
        text=text,
        url=link or None,
        in_reply_to=_urn(link) or link or None,
    )
    return post, ""
