"""The scoring engine, on a tiny rulebook that exercises every feature of the rule schema."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from transforms.scoring.engine import Scorer, excerpt
from transforms.scoring.examples import run_examples
from transforms.scoring.rulebook import RulebookError, load_rulebook

RULEBOOK = Path(__file__).parent / "fixtures" / "rulebook_min"


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return Scorer.load(RULEBOOK)


def rule_ids(scorer: Scorer, text: str) -> list[str]:
    return [f.rule_id for f in scorer.score(text)]


_RULE_HEAD = """
  - id: {id}
    title: Test rule
    category: patient_dignity
    severity: medium
    confidence: 0.7
    standards: {{hcpc-2016: ["1.1"], hcpc-2024: ["1.1"]}}
    message: Demeaning.
    guidance: {{action: delete, text: Delete it.}}
"""
NEGATED_MATCH_RULE = (
    _RULE_HEAD.format(id="T-MOAN")
    + """    match:
      - phrases: [never happy, happy or not]
    requires:
      - any: [patient_context]
    window: 8
    unless:
      - {signal: negation, before: 2}
      - {signal: negation, after: 2}
"""
)
SENTENCE_RULE = (
    _RULE_HEAD.format(id="T-SENT")
    + """    match:
      - phrases: [waste of space]
    scope: sentence
    requires:
      - any: [patient_context]
    unless: [negation]
"""
)


def _with_rule(tmp_path: Path, rule: str) -> Scorer:
    """The fixture rulebook plus one rule, in a scratch copy."""
    copy = tmp_path / "rules"
    shutil.copytree(RULEBOOK, copy)
    rules = copy / "categories" / "test.yaml"
    rules.write_text(rules.read_text() + rule)
    return Scorer.load(copy)


def test_weighted_requirements_combine_identifiers(scorer: Scorer) -> None:
    assert rule_ids(scorer, "pt in bed 4 is 84yo") == ["T-CONF"]
    assert rule_ids(scorer, "pt in bed 4 is fine") == []  # 0.6 < 1.0: not identifying enough


def test_finding_highlights_match_and_supporting_details(scorer: Scorer) -> None:
    text = "pt in bed 4 is 84yo"
    [finding] = scorer.score(text)
    assert [text[s:e] for s, e in finding.spans] == ["pt", "bed 4", "84yo"]
    assert (finding.start, finding.end) == (0, 2)
    assert finding.confidence > 0.8  # 1.1 of the threshold raises the base confidence


def test_validator_rejects_number_failing_modulus_11(scorer: Scorer) -> None:
    assert rule_ids(scorer, "pt NHS 943 476 5919") == ["T-CONF"]
    assert rule_ids(scorer, "pt NHS 943 476 5918") == []


def test_exception_anywhere_in_post_suppresses(scorer: Scorer) -> None:
    assert rule_ids(scorer, "pt in bed 4, 84yo, shared with consent") == []


def test_exception_before_match_only_within_its_distance(scorer: Scorer) -> None:
    assert rule_ids(scorer, "that patient is not a bed blocker") == []
    assert rule_ids(scorer, "not sure why, but that patient is a bed blocker") == ["T-DIGN"]


def test_negation_inside_the_match_does_not_suppress_it(tmp_path: Path) -> None:
    scorer = _with_rule(tmp_path, NEGATED_MATCH_RULE)
    assert rule_ids(scorer, "that patient is never happy") == ["T-MOAN"]  # its own first word
    assert rule_ids(scorer, "that patient, happy or not") == ["T-MOAN"]  # its own last word
    assert rule_ids(scorer, "that patient, happy or not, never") == []  # a word after it


def test_sentence_scope_counts_requirements_only_in_the_match_sentence(tmp_path: Path) -> None:
    scorer = _with_rule(tmp_path, SENTENCE_RULE)
    assert rule_ids(scorer, "the pt is a waste of space") == ["T-SENT"]
    assert rule_ids(scorer, "Saw the pt early. The printer is a waste of space") == []


def test_sentence_scope_counts_exceptions_only_in_the_match_sentence(tmp_path: Path) -> None:
    scorer = _with_rule(tmp_path, SENTENCE_RULE)
    assert rule_ids(scorer, "the pt is not a waste of space") == []
    assert rule_ids(scorer, "I never moan. But the pt is a waste of space") == ["T-SENT"]


def test_post_scope_counts_the_whole_post(tmp_path: Path) -> None:
    scorer = _with_rule(tmp_path, SENTENCE_RULE.replace("    scope: sentence\n", ""))
    assert rule_ids(scorer, "Saw the pt early. The printer is a waste of space") == ["T-SENT"]
    assert rule_ids(scorer, "I never moan. But the pt is a waste of space") == []


CLAUSE_RULE = (
    _RULE_HEAD.format(id="T-WAIT")
    + """    match:
      - phrases: [she can wait]
    requires:
      - any: [patient_context]
    unless:
      - {signal: negation, before: 3, same_clause: true}
"""
)


def test_same_clause_negation_does_not_reach_across_a_clause_break(tmp_path: Path) -> None:
    scorer = _with_rule(tmp_path, CLAUSE_RULE)
    assert rule_ids(scorer, "pt in bay 2 buzzing again, not she can wait") == []
    assert rule_ids(scorer, "pt in bay 2 buzzing again. Not fair, she can wait") == ["T-WAIT"]
    # "so" is read as an intensifier, not a clause break
    assert rule_ids(scorer, "pt in bay 2 buzzing again, not so sure she can wait") == []
    plain = _with_rule(tmp_path / "plain", CLAUSE_RULE.replace(", same_clause: true", ""))
    assert rule_ids(plain, "pt in bay 2 buzzing again. Not fair, she can wait") == []


def test_an_exception_marked_anywhere_ignores_the_sentence_scope(tmp_path: Path) -> None:
    anywhere = SENTENCE_RULE.replace(
        "unless: [negation]", "unless: [{signal: negation, anywhere: true}]"
    )
    scorer = _with_rule(tmp_path, anywhere)
    assert rule_ids(scorer, "I never moan. But the pt is a waste of space") == []
    assert rule_ids(scorer, "the pt is a waste of space") == ["T-SENT"]


def test_unknown_exception_option_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RulebookError, match="T-WAIT: unknown exception option"):
        _with_rule(tmp_path, CLAUSE_RULE.replace("same_clause", "same_clouse"))


def test_unknown_scope_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RulebookError, match="unknown scope 'paragraph'"):
        _with_rule(tmp_path, SENTENCE_RULE.replace("scope: sentence", "scope: paragraph"))


def test_window_limits_requirements(scorer: Scorer) -> None:
    far = "patient " + "word " * 20 + "bed blocker"
    assert rule_ids(scorer, far) == []


def test_model_requirement_uses_shipped_classifier(scorer: Scorer) -> None:
    assert rule_ids(scorer, "what a fucking shit day") == ["T-LANG"]


def test_standard_follows_edition_in_force_on_post_date(scorer: Scorer) -> None:
    [old] = scorer.score("pt in bed 4 is 84yo", date(2020, 5, 1))
    [new] = scorer.score("pt in bed 4 is 84yo", date(2025, 5, 1))
    [nmc] = scorer.score("pt in bed 4 is 84yo", date(2025, 5, 1), "nmc")
    assert old.standard == "HCPC SCPE 2016 5.1"
    assert new.standard == "HCPC SCPE 2024 5.1"
    assert nmc.standard == "NMC Code 2018 5.1"


def test_score_many_keeps_order(scorer: Scorer) -> None:
    texts = ["nothing here", "that patient is a bed blocker", "pt in bed 4 is 84yo"] * 300
    results = list(scorer.score_many(texts))
    assert [[f.rule_id for f in r] for r in results[:3]] == [[], ["T-DIGN"], ["T-CONF"]]
    assert len(results) == 900


def test_examples_of_fixture_rulebook_pass() -> None:
    outcome = run_examples(RULEBOOK)
    assert outcome.failures == []
    assert outcome.passed == 7


def test_version_changes_when_a_rule_changes(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(RULEBOOK, copy)
    before = load_rulebook(copy).version
    rules = copy / "categories" / "test.yaml"
    rules.write_text(rules.read_text().replace("confidence: 0.8", "confidence: 0.75"))
    after = load_rulebook(copy).version
    assert before != after and before.startswith("test.1+") and after.startswith("test.1+")


def test_unknown_signal_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(RULEBOOK, copy)
    rules = copy / "categories" / "test.yaml"
    rules.write_text(rules.read_text().replace("any: [patient_context]", "any: [nonexistent]"))
    with pytest.raises(RulebookError, match="unknown signal 'nonexistent'"):
        load_rulebook(copy)


def test_bad_token_pattern_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(RULEBOOK, copy)
    rules = copy / "categories" / "test.yaml"
    rules.write_text(rules.read_text().replace("LOWER: {IN: [fucking", "LOWERR: {IN: [fucking"))
    with pytest.raises(RulebookError, match="bad tokens pattern"):
        Scorer.load(copy)


def test_excerpt_marks_cut_text() -> None:
    text = "a" * 100 + " target " + "b" * 100
    cut = excerpt(text, 101, 107, context=10)
    assert cut.startswith("…") and cut.endswith("…") and "target" in cut
