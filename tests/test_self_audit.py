"""The self-audit: exports of several platforms in, one offline report out, marks kept locally.

The tiny test rulebook (tests/fixtures/rulebook_min) makes findings deterministic: copies of the
platform fixtures get one post's words changed so that its rules match them.
"""

from __future__ import annotations

import csv
import json
import shutil
import socket
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from socialaudit.cli import app
from socialaudit.csv_safe import safe_cell
from socialaudit.reports.page import web_address
from tests.x_export import tweet, write_x_export

FIXTURES = Path(__file__).parent / "fixtures"
RULEBOOK = FIXTURES / "rulebook_min"
CONFIDENTIAL = "pt in bed 4 is 84yo"  # T-CONF: high, delete
DEMEANING = "that patient is a bed blocker"  # T-DIGN: medium, delete
SCRIPT = "<script>alert(1)</script>"
TRACKER = "https://evil.example/track.png"
POST_LINKS = (
    "https://x.com/jessmedic_demo/status/",
    "https://x.com/me/status/",
    "https://mastodon.example/@priya/",
    "https://www.linkedin.com/feed/update/",
)

runner = CliRunner()


class NetworkUsed(BaseException):
    """Raised past every `except Exception`, so a network attempt cannot be swallowed."""


@pytest.fixture(autouse=True)
def tiny_rulebook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALAUDIT_RULES", str(RULEBOOK))


def changed_copy(tmp_path: Path, fixture: str, member: str, old: str, new: str) -> Path:
    """A copy of a fixture export with one post's words replaced."""
    target = tmp_path / fixture.replace("/", "-")
    shutil.copytree(FIXTURES / fixture, target)
    file = target / member
    content = file.read_text(encoding="utf-8")
    assert content.count(old) == 1
    file.write_text(content.replace(old, new), encoding="utf-8")
    return target


def platform_exports(tmp_path: Path) -> list[Path]:
    """X, Mastodon (zipped), LinkedIn and Facebook exports, each with one post to find, an X
    export whose posts try to run a script and load an image, and an export that is no export."""
    twitter = changed_copy(
        tmp_path,
        "twitter/x-2022",
        "data/tweets.js",
        "Station dog has had enough of the rain",
        f"Station dog has had enough of the rain. {CONFIDENTIAL}",
    )
    mastodon_folder = changed_copy(
        tmp_path, "mastodon/current", "outbox.json", "Long week.", f"Long week. {DEMEANING}"
    )
    mastodon = Path(shutil.make_archive(str(tmp_path / "mastodon"), "zip", mastodon_folder))
    linkedin = changed_copy(
        tmp_path,
        "linkedin/basic",
        "Shares.csv",
        "community rehab next week.",
        f"community rehab next week. {CONFIDENTIAL}",
    )
    facebook = changed_copy(
        tmp_path,
        "facebook/layout_2024",
        "your_facebook_activity/groups/your_comments_in_groups.json",
        "Merci ! Je m'inscris",
        f"Merci ! {DEMEANING}. Je m'inscris",
    )
    hostile = write_x_export(
        tmp_path / "x-hostile",
        "me",
        [
            tweet("10", f"{SCRIPT} {CONFIDENTIAL}", datetime(2024, 5, 1)),
            tweet("11", f"![x]({TRACKER}) {DEMEANING}", datetime(2024, 6, 1)),
        ],
    )
    broken = tmp_path / "broken.zip"
    broken.write_text("not a zip")
    return [twitter, mastodon, linkedin, facebook, hostile, broken]


def self_audit(*args: Any) -> Any:
    return runner.invoke(app, ["self-audit", *map(str, args)])


class Page(HTMLParser):
    """Every tag and attribute of a page, and the text of its <style> elements."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self._in_style = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def test_offline_self_audit_of_several_platforms(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # spaCy imports urllib3, which probes IPv6 support on import by opening (not connecting) a
    # local socket: import it first, so that the run itself must open no socket at all.
    import transforms.scoring.engine  # noqa: F401

    exports = platform_exports(tmp_path)
    attempts: list[tuple[Any, ...]] = []

    def refuse(*args: Any, **kwargs: Any) -> None:
        attempts.append(args)
        raise NetworkUsed(args)

    for name in ("socket", "create_connection", "getaddrinfo"):
        monkeypatch.setattr(socket, name, refuse)
    out = tmp_path / "reports" / "mine.html"

    result = self_audit(*exports, "--out", out, "--decisions", tmp_path / "marks.json")

    assert attempts == []
    assert result.exit_code == 1, result.output  # broken.zip was refused; the rest went on
    assert "broken.zip: could not be read (not a zip archive" in result.output
    assert f"Report written to {out.resolve()}" in result.output
    assert "6 findings to look at (3 high, 3 medium)" in result.output
    assert SCRIPT not in result.output and "bed blocker" not in result.output
    assert [p.name for p in out.parent.iterdir()] == ["mine.html"]
    assert not (tmp_path / "marks.json").exists()  # reading marks never writes them
    assert not list(tmp_path.rglob("*.duckdb*"))  # no database, not even a temporary one
    html = out.read_text(encoding="utf-8")

    # The summary: posts per platform and period, findings by severity, what was left out.
    for row in (
        '<td>X (Twitter)</td><td class="number">20</td><td>10 January 2023</td>',
        '<td>Mastodon</td><td class="number">6</td><td>28 February 2024</td>',
        '<td>LinkedIn</td><td class="number">2</td>',
        '<td>Facebook</td><td class="number">9</td>',  # 2 on others' timelines
    ):
        assert row in html
    assert "<strong>6 findings to look at.</strong>" in html
    assert "Reposts and shares of other people&#x27;s posts: 2" in html
    assert "<strong>broken.zip</strong> could not be read" in html
    assert "<code>data/like.js</code>" in html

    # Findings under what to do, with highlights, the standard in force, links, and keys.
    assert '<section id="do-delete"><h2>Delete it <span class="badge">6</span>' in html
    assert html.count("<mark>bed blocker</mark>") == 3
    assert html.count("<mark>84yo</mark>") == 3
    assert "HCPC SCPE 2016 5.1 (in force on the post's date)" in html
    assert "HCPC SCPE 2024 1.1" not in html  # no post here is from after September 2024
    assert "The export gives no web address for this post." in html  # Facebook's
    assert html.count("socialaudit self-audit-mark ") == 6

    # Hostile post text shows as the characters it is made of, and nothing loads.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert f"![x]({TRACKER})" in html
    assert "<script" not in html.lower() and "src=" not in html.lower()
    page = Page(html)
    links = [attrs["href"] or "" for tag, attrs in page.tags if "href" in attrs]
    post_links = [link for link in links if not link.startswith("#")]
    assert len(post_links) == 5
    for tag, attrs in page.tags:
        assert tag not in ("script", "img", "iframe", "object", "embed", "link", "base", "form")
        assert not any(name.startswith("on") or name == "src" for name in attrs)
        if tag == "a" and not (attrs.get("href") or "").startswith("#"):
            assert (attrs["href"] or "").startswith(POST_LINKS), attrs
            assert attrs["rel"] == "noopener noreferrer"
    css = "".join(page.styles)
    assert css and "@import" not in css and "url(" not in css


def test_marks_hide_decided_findings_in_a_newer_export(tmp_path: Path) -> None:
    marks = tmp_path / "marks.json"
    older = write_x_export(
        tmp_path / "x-2024",
        "me",
        [
            tweet("1", CONFIDENTIAL, datetime(2024, 3, 1)),
            tweet("2", DEMEANING, datetime(2024, 4, 1)),
        ],
    )
    first = report_json(tmp_path, older, "--decisions", marks)
    keys = {f["post_id"]: f["key"] for f in first["findings"]}
    assert set(keys) == {"1", "2"}

    marked = runner.invoke(
        app, ["self-audit-mark", keys["1"].upper(), "--as", "keep", "--decisions", str(marks)]
    )
    assert marked.exit_code == 0, marked.output
    assert json.loads(marks.read_text())["marks"][keys["1"]]["mark"] == "keep"
    assert oct(marks.stat().st_mode & 0o777) == "0o600"

    newer = write_x_export(
        tmp_path / "x-2025",
        "me",
        [
            tweet("1", CONFIDENTIAL, datetime(2024, 3, 1)),
            tweet("2", DEMEANING, datetime(2024, 4, 1)),
            tweet("3", "pt in bay 2 is 90yo", datetime(2025, 1, 5)),
        ],
    )
    second = report_json(tmp_path, newer, "--decisions", marks)
    assert [(f["post_id"], f["mark"]) for f in second["findings"]] == [("3", None), ("2", None)]
    assert second["findings"][1]["key"] == keys["2"]  # the same finding keeps its key
    assert second["left_out"]["marked"] == 1

    everything = report_json(tmp_path, newer, "--decisions", marks, "--include-marked")
    assert {(f["post_id"], f["mark"]) for f in everything["findings"]} == {
        ("1", "keep"),
        ("2", None),
        ("3", None),
    }
    html = tmp_path / "newer.html"
    assert self_audit(newer, "--decisions", marks, "--out", html).exit_code == 0
    assert "Findings you have already marked" in html.read_text()

    edited = write_x_export(
        tmp_path / "x-edited", "me", [tweet("1", "patient in bed 4 is 84yo", datetime(2024, 3, 1))]
    )
    again = report_json(tmp_path, edited, "--decisions", marks)
    assert [f["post_id"] for f in again["findings"]] == ["1"]  # other words: a new finding


def report_json(tmp_path: Path, *args: Any) -> dict[str, Any]:
    out = tmp_path / "report.json"
    result = self_audit(*args, "--format", "json", "--out", out)
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def test_filters_by_date_platform_and_severity(tmp_path: Path) -> None:
    exports = platform_exports(tmp_path)[:4]
    unfiltered = report_json(tmp_path, *exports, "--decisions", tmp_path / "marks.json")
    assert len(unfiltered["findings"]) == 4

    filtered = report_json(
        tmp_path,
        *exports,
        "--since",
        "2021-02-01",
        "--platform",
        "mastodon",
        "--platform",
        "facebook",
        "--platform",
        "linkedin",
        "--min-severity",
        "high",
        "--decisions",
        tmp_path / "marks.json",
    )
    assert filtered["left_out"]["before_since"] == 1  # Facebook's New Year post of 2021
    assert filtered["left_out"]["other_platforms"] == 18  # every X post
    assert filtered["left_out"]["below_min_severity"] == 2  # Mastodon's and Facebook's
    assert [(f["platform"], f["severity"]) for f in filtered["findings"]] == [("linkedin", "high")]
    assert [p["platform"] for p in filtered["platforms"]] == ["facebook", "mastodon", "linkedin"]

    for bad in (["--platform", "myspace"], ["--since", "1 May"], ["--min-severity", "dire"]):
        assert self_audit(exports[0], *bad).exit_code == 2


def test_csv_report_neutralises_formulas(tmp_path: Path) -> None:
    export = write_x_export(
        tmp_path / "x",
        "me",
        [
            tweet(
                "1", f'=HYPERLINK("https://evil.example","x") {CONFIDENTIAL}', datetime(2024, 3, 1)
            )
        ],
    )
    out = tmp_path / "report.csv"
    result = self_audit(export, "--format", "csv", "--out", out, "--decisions", tmp_path / "m")
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8-sig", newline="") as file:
        [row] = list(csv.DictReader(file))
    assert row["text"] == f'\'=HYPERLINK("https://evil.example","x") {CONFIDENTIAL}'
    assert row["action"] == "Delete it" and row["severity"] == "high"
    assert row["matched"] == "pt | bed 4 | 84yo"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+44 7700 900000", "'+44 7700 900000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a = b", "a = b"),
        (None, ""),
        (-3, "-3"),
        (0.5, "0.5"),
    ],
)
def test_safe_cell(value: object, cell: str) -> None:
    assert safe_cell(value) == cell


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://x.com/me/status/1", True),
        ("http://mastodon.example/@me/1", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        ("//evil.example/x", False),
        ("https:evil", False),
        ("", False),
        (None, False),
    ],
)
def test_only_web_addresses_become_links(url: str | None, linked: bool) -> None:
    assert (web_address(url) is not None) is linked


def test_unreadable_decisions_file_is_reported(tmp_path: Path) -> None:
    marks = tmp_path / "marks.json"
    marks.write_text("[1, 2]")
    result = self_audit(FIXTURES / "twitter" / "x-2019", "--decisions", marks)
    assert result.exit_code == 2
    assert "not a self-audit decisions file" in result.output
    mark = runner.invoke(app, ["self-audit-mark", "xyz", "--as", "keep", "--decisions", marks])
    assert mark.exit_code == 2 and "not a finding key: xyz" in mark.output


def test_report_renders_with_the_real_rulebook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOCIALAUDIT_RULES")
    export = write_x_export(
        tmp_path / "x",
        "me",
        [
            tweet("1", CONFIDENTIAL, datetime(2024, 3, 1)),
            tweet("2", "lovely", datetime(2024, 3, 2)),
        ],
    )
    out = tmp_path / "report.html"
    result = self_audit(
        export, FIXTURES / "twitter" / "x-2022", "--out", out, "--decisions", tmp_path / "m"
    )
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "<h1>Your social media self-audit</h1>" in html
    assert '<td>X (Twitter)</td><td class="number">20</td>' in html
    assert "HCPC Standards of conduct, performance and ethics (2024)" in html
    assert "<script" not in html.lower()
