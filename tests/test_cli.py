"""The command line: documented commands and the stable `check` contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from socialaudit.cli import app
from transforms.platforms import all_parsers

RULEBOOK = Path(__file__).parent / "fixtures" / "rulebook_min"
runner = CliRunner()


def test_ingest_help_documents_every_platform() -> None:
    text = runner.invoke(app, ["ingest", "--help"]).output.lower()
    names = {"twitter": "x/twitter"}
    for parser in all_parsers():
        assert names.get(parser.platform, parser.platform) in text, parser.platform


@pytest.mark.parametrize(
    "command",
    [
        ["demo"],
        ["audit"],
        ["serve"],
        ["score"],
        ["check"],
        ["self-audit"],
        ["report"],
        ["review", "list"],
        ["rules", "eval"],
        ["rules", "diff"],
        ["backup"],
        ["purge"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_check_explains_and_exits_non_zero_on_high(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALAUDIT_RULES", str(RULEBOOK))
    high = runner.invoke(app, ["check", "pt in bed 4 is 84yo"])
    assert high.exit_code == 1
    assert "[HIGH] Identifiable patient (T-CONF, confidentiality)" in high.output
    assert "why: Patients can be identified." in high.output
    clean = runner.invoke(app, ["check", "a lovely day"])
    assert clean.exit_code == 0 and "No findings" in clean.output


def test_check_jsonl_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCIALAUDIT_RULES", str(RULEBOOK))
    lines = [{"id": "a", "text": "that patient is a bed blocker"}, {"id": 7, "text": "fine"}]
    result = runner.invoke(
        app, ["check", "--jsonl"], input="\n".join(json.dumps(line) for line in lines) + "\n"
    )
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["id"] for o in out] == ["a", 7]
    [finding] = out[0]["findings"]
    assert {
        "rule_id",
        "category",
        "severity",
        "start",
        "end",
        "excerpt",
        "message",
        "standard",
    } <= set(finding)
    assert (finding["rule_id"], finding["start"], finding["end"]) == ("T-DIGN", 18, 29)
    assert out[1]["findings"] == []
