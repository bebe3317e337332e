"""chronolex and GoRules ZEN decide the non-temporal rules of the shipped bundle alike.

The rules without ``active``, ``window`` or ``schedule`` of every version of
``policies/huabei`` are translated from their typed ASTs into ZEN expressions, with
Kleene's unknown modelled explicitly (see ``zen_rules``), and both engines decide the
same seeded random fact sets: 25,000 on every run, 100,000 at night
(``CHRONOLEX_TESTS=thorough``, tests/examples.py). Any disagreement fails the test and prints the
case. ZEN's ``null`` is not Kleene's unknown, so the translation models unknown itself
and the Kleene table below checks that model against docs/conditions.md and the reference
interpreter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

import chronolex
from chronolex.evaluation.facts import needed_facts
from chronolex.lang import UNKNOWN, Context, compile_condition, interpret
from chronolex.lang import types as t
from tests.conftest import HUABEI
from tests.differential.fact_sets import fact_space
from tests.differential.harness import compare
from tests.examples import examples
from tests.differential.zen_rules import (
    UNDETERMINED,
    Untranslatable,
    is_timeless,
    outcome_expression,
    translate_bundle,
    truth,
    zen_context,
)

import zen  # in the dev extra: a missing engine fails the run, it never passes as a skip

CASES = examples(25_000, 100_000)
SEED = 20260701
AT_TEXT = "2026-07-01T12:00"


@pytest.fixture(scope="module")
def huabei() -> chronolex.Bundle:
    return chronolex.load_bundle(HUABEI)


@pytest.fixture(scope="module")
def at(huabei: chronolex.Bundle) -> datetime:
    return chronolex.parse_instant(AT_TEXT, huabei.timezone)


def test_every_timeless_rule_of_the_shipped_bundle_is_translated_and_compiles_in_zen(huabei: chronolex.Bundle) -> None:
    translation = translate_bundle(huabei)
    for version in huabei.versions:
        for action in huabei.actions:
            expected = sorted(r.id for r in version.rules if action in r.actions and is_timeless(r))
            got = [rule_id for rule_id, _ in translation.get((version.id, action), ())]
            assert got == expected, (version.id, action)
    timed = {r.id for v in huabei.versions for r in v.rules if not is_timeless(r)}
    assert timed, "the shipped bundle has rules bound to time; none of them may be translated"
    for rules in translation.values():
        assert not timed & {rule_id for rule_id, _ in rules}
        for rule_id, text in rules:
            assert zen.validate_expression(text) is None, (rule_id, text)


CATALOG = {"a": t.BOOL, "b": t.BOOL, "score": t.INT, "amount": t.DECIMAL, "status": t.enum_of(["active", "frozen"])}


@pytest.mark.parametrize(("condition", "facts", "expected"), [
    # docs/conditions.md: false and unknown is false, true or unknown is true, not unknown is unknown
    ("a and b", {"a": False, "b": None}, False),
    ("a and b", {"a": True, "b": None}, UNKNOWN),
    ("a or b", {"a": True, "b": None}, True),
    ("a or b", {"a": False, "b": None}, UNKNOWN),
    ("not a", {"a": None}, UNKNOWN),
    ("not a", {"a": False}, True),
    # a comparison with an unknown operand is unknown, and so is its negation
    ("score < 600", {"score": None}, UNKNOWN),
    ("not (score < 600)", {"score": None}, UNKNOWN),
    ("score < 600 or a", {"score": None, "a": True}, True),
    ("score < 600 and a", {"score": None, "a": False}, False),
    ("score + 1 >= 600", {"score": 599}, True),
    ("-score > -600", {"score": 600}, False),
    ("status in [\"frozen\"]", {"status": None}, UNKNOWN),
    ("status not in [\"frozen\"]", {"status": "active"}, True),
    ("status not in [\"frozen\"]", {"status": None}, UNKNOWN),
    # is_unknown is never unknown itself; coalesce settles an unknown
    ("is_unknown(score)", {"score": None}, True),
    ("is_known(score)", {"score": None}, False),
    ("is_unknown(score < 600)", {"score": 1}, False),
    ("coalesce(score, 0) < 600", {"score": None}, True),
    # decimals are exact on both sides: a float would round this up to 5000
    ("amount >= 5000", {"amount": Decimal("4999.99999999999999999999")}, False),
    ("amount == 5000", {"amount": Decimal("5000.00")}, True),
])
def test_the_zen_translation_follows_kleene_logic(condition: str, facts: dict[str, object], expected: object) -> None:
    tree = compile_condition(condition, CATALOG).ast
    both = truth(tree)
    context = zen_context(facts)
    holds, fails = zen.evaluate_expression(both.holds, context), zen.evaluate_expression(both.fails, context)
    assert not (holds and fails)
    assert (True if holds else False if fails else UNKNOWN) == expected
    known = {k: v for k, v in facts.items() if v is not None}  # a fact left out is unknown
    assert interpret(tree, Context(known, datetime(2026, 7, 1, tzinfo=UTC), UTC)) == expected


def test_chronolex_and_zen_agree_on_seeded_random_fact_sets(huabei: chronolex.Bundle, at: datetime) -> None:
    result = compare(huabei, at, CASES, SEED)
    assert result.cases == CASES
    assert not result.disagreements, result.report()
    # A run that never reached a rule's boundary would agree for nothing: every rule must
    # have been seen restricting and clear, and undetermined where it can be.
    space = fact_space(huabei)
    for version in huabei.versions:
        for rule in version.rules:
            for action in rule.actions if is_timeless(rule) else ():
                seen = result.seen[(version.id, action, rule.id)]
                assert {"restricts", "clear"} <= seen, (version.id, action, rule.id, seen)
                reads_unknown = any(
                    c is not None and needed_facts(huabei, c.facts) & space.may_be_unknown
                    for c in (rule.when, rule.unless))
                if rule.on_unknown == "undetermined" and reads_unknown:
                    assert UNDETERMINED in seen, (version.id, action, rule.id, seen)


@pytest.mark.parametrize(("pair", "rule_id", "old", "new", "fact", "boundary"), [
    # an off-by-one in the score floor shows only at exactly 600
    (("2026.03", "open"), "PLAT-SCORE-FLOOR", "credit_score < 600", "credit_score <= 600", "credit_score",
     lambda v: v == 600),
    # a threshold moved by a cent shows only in (4999.99, 5000)
    (("2026.03", "open"), "PLAT-RECENT-BORROWING", "borrowed_30d >= 5000", "borrowed_30d > 4999.99",
     "borrowed_30d", lambda v: Decimal("4999.99") < v < 5000),
], ids=["score-floor-off-by-one", "borrowing-threshold-a-cent-low"])
def test_a_slightly_wrong_rule_is_caught_and_the_case_printed(huabei: chronolex.Bundle, at: datetime, pair: tuple[str, str],
                                                              rule_id: str, old: str, new: str, fact: str,
                                                              boundary: Callable[[Any], bool]) -> None:
    translation = dict(translate_bundle(huabei))
    rules = translation[pair]
    assert any(rule_id == r and old in text for r, text in rules)
    translation[pair] = tuple((r, text.replace(old, new) if r == rule_id else text) for r, text in rules)
    result = compare(huabei, at, 6_000, SEED, translation=translation)
    assert result.disagreements
    for found in result.disagreements:
        assert (found.case.version, found.case.action) == pair
        assert boundary(found.case.facts[fact])
        assert rule_id in found.chronolex.restricting + found.zen.restricting
    report = result.report()
    first = result.disagreements[0]
    assert f"version {pair[0]}, action {pair[1]}" in report
    assert f"{fact}={first.case.facts[fact]!r}" in report
    assert "chronolex: " in report and "zen: " in report


def test_a_condition_the_translation_cannot_model_is_refused_naming_the_rule(huabei: chronolex.Bundle) -> None:
    rule = next(r for v in huabei.versions for r in v.rules if r.id == "REG-MINORS")
    dated = replace(rule, when=compile_condition("days_between(birth_date, now) < 6570", huabei.catalog))
    with pytest.raises(Untranslatable, match="REG-MINORS"):
        outcome_expression(dated)
