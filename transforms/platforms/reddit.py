"""Reddit data request (reddit.com/settings/data-request): a flat zip of CSVs, of which posts.csv
and comments.csv hold what the person wrote and statistics.csv names the account.

- A post's text is its title, a blank line and its body (link posts have no body). The body
  column is `body`; some exports name it `selftext` (the API's name) or, with only link posts,
  leave it out.
- Ids are Reddit "fullnames" (t3_… posts, t1_… comments), the form the `parent` column uses, so a
  reply to one's own item points at its post_id. A top-level comment answers the post in `link`.
- Dates are 'YYYY-MM-DD HH:MM:SS UTC'. The `ip` column is never read.
- Bodies Reddit replaced with [deleted] / [removed] are counted as "deleted".
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from transforms.archive import ArchiveError, ExportFiles
from transforms.platforms.common import (
    Outcome,
    count_unknown_keys,
    csv_header,
    csv_records,
    parse_timestamp,
    read_csv,
    record_files,
    tally,
)
from transforms.records import AccountInfo, Coverage, PostRecord

POSTS = "posts.csv"
COMMENTS = "comments.csv"
STATISTICS = "statistics.csv"
BODY_COLUMNS = ("body", "selftext")
REQUIRED = {
    POSTS: frozenset({"id", "permalink", "date", "subreddit", "title"}),
    COMMENTS: frozenset({"id", "permalink", "date", "subreddit", "body"}),
}
KNOWN = {
    POSTS: REQUIRED[POSTS] | {"ip", "gildings", "url", *BODY_COLUMNS},
    COMMENTS: REQUIRED[COMMENTS]
    | {"ip", "gildings", "gildings_silver", "gildings_supergold", "link", "parent", "media"},
}
FULLNAME_PREFIX = {POSTS: "t3_", COMMENTS: "t1_"}
REMOVED_BODIES = frozenset({"[deleted]", "[removed]"})
POST_IN_LINK = re.compile(r"/comments/([a-z0-9]+)", re.IGNORECASE)


class Parser:
    platform = "reddit"

    def detect(self, files: ExportFiles) -> str | None:
        return "csv" if self._content_files(files) else None

    def account(self, files: ExportFiles) -> AccountInfo:
        for member in files.with_basename(STATISTICS):
            for record in csv_records(read_csv(files, member.name)):
                if record and record.get("statistic", "").strip().lower() == "account name":
                    return AccountInfo(
                        self.platform, handle=record.get("value", "").strip() or None
                    )
        return AccountInfo(self.platform)

    def parse(self, files: ExportFiles, layout: str, coverage: Coverage) -> Iterator[PostRecord]:
        content = self._content_files(files)
        statistics = [member.name for member in files.with_basename(STATISTICS)]
        record_files(coverage, files, [*content, *statistics])
        for name, table in content.items():
            rows = read_csv(files, name)
            missing = REQUIRED[table] - {column.strip() for column in rows[0]}
            if missing:
                raise ArchiveError(f"{files.path.name}: {name} lacks {', '.join(sorted(missing))}")
            yield from tally(coverage, _outcomes(name, table, rows, coverage))

    @staticmethod
    def _content_files(files: ExportFiles) -> dict[str, str]:
        """posts.csv / comments.csv recognised by their header, mapped to their table name."""
        found: dict[str, str] = {}
        for member in files.with_basename(POSTS, COMMENTS):
            table = member.basename.lower()
            if REQUIRED[table] <= set(csv_header(files, member.name)):
                found[member.name] = table
        return found


def _outcomes(
    name: str, table: str, rows: list[list[str]], coverage: Coverage
) -> Iterator[Outcome]:
    for record in csv_records(rows):
        if record is None:
            yield None, "malformed_row"
        else:
            count_unknown_keys(coverage, name, record, KNOWN[table])
            yield _to_post(record, table)


def _to_post(record: Mapping[str, str], table: str) -> Outcome:
    body = next((record[c].strip() for c in BODY_COLUMNS if record.get(c, "").strip()), "")
    if body in REMOVED_BODIES:
        if table == COMMENTS:
            return None, "deleted"
        body = ""
    title = record.get("title", "").strip()
    text = "\n\n".join(part for part in (title, body) if part)
    created_at = parse_timestamp(record.get("date"))
    raw_id = record.get("id", "").strip()
    if not raw_id:
        return None, "no_id"
    if not text:
        return None, "no_text"
    if created_at is None:
        return None, "bad_timestamp"
    post = PostRecord(
        platform="reddit",
        post_id=_fullname(raw_id, FULLNAME_PREFIX[table]),
        created_at=created_at,
        kind="post" if table == POSTS else "comment",
        text=text,
        url=_absolute(record.get("permalink", "").strip()),
        in_reply_to=_replied_to(record) if table == COMMENTS else None,
    )
    return post, ""


def _fullname(raw_id: str, prefix: str) -> str:
    return raw_id if raw_id.startswith(prefix) else prefix + raw_id


def _replied_to(comment: Mapping[str, str]) -> str | None:
    """The parent comment or post; for a top-level comment, the post named in its link."""
    parent = comment.get("parent", "").strip()
    if parent:
        return parent
    match = POST_IN_LINK.search(comment.get("link", ""))
    return f"t3_{match.group(1)}" if match else None


def _absolute(permalink: str) -> str | None:
    if permalink.startswith("/"):
        return f"https://www.reddit.com{permalink}"
    return permalink or None
