"""The negation of a condition written as a person would (``chronolex.lang.negate``).

``lifts.when`` of a fact-bound block is this negation: ``credit_score < 600`` lifts
when ``credit_score >= 600``. What is checked:

- comparisons flip their operator (``<`` / ``>=``, ``==`` / ``!=``, ``in`` / ``not in``),
  ``not x`` loses its ``not``, ``true``/``false`` swap, ``and``/``or`` are pushed inward
  by De Morgan, and anything else is wrapped in ``not``;
- the negated tree renders to text that compiles back to the same tree;
- ``lift_condition``: not-``when`` or ``unless``, as ``chronolex.decide`` reports it;
- a Hypothesis property: for random conditions and random fact values (some unknown),
  the negated condition evaluates to the Kleene negation of the original, with the
  reference interpreter and with the compiled evaluator.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings

import chronolex
from chronolex import UNKNOWN, Context, EvaluationError, compile_condition, interpret
from chronolex.lang import nodes as n
from chronolex.lang import types as t
from chronolex.lang.negate import lift_condition, negate
from chronolex.lang.render import render
from tests.conftest import HUABEI
from tests.replay_strategies import ev, history, local
from tests.strategies import CATALOG, bool_exprs, fact_values, instants

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 8, 2, 30, tzinfo=SH)


def negated(text: str, catalog: dict[str, t.Type] = CATALOG) -> str:
    return render(negate(compile_condition(text, catalog).ast))


def kleene_not(value: object) -> object:
    return UNKNOWN if value is UNKNOWN else not value


@pytest.mark.parametrize(("text", "expected"), [
    ("score < 600", "score >= 600"),
    ("score <= 600", "score > 600"),
    ("score > 600", "score <= 600"),
    ("score >= 600", "score < 600"),
    ("score == 600", "score != 600"),
    ("score != 600", "score == 600"),
    ('status in ["frozen", "closed"]', 'status not in ["frozen", "closed"]'),
    ('status not in ["frozen"]', 'status in ["frozen"]'),
])
def test_a_comparison_flips_its_operator(text: str, expected: str) -> None:
    assert negated(text) == expected


def test_not_is_removed_rather_than_doubled() -> None:
    assert negated("not verified") == "verified"
    assert negated("not (score < 600 and verified)") == "score < 600 and verified"


def test_true_and_false_swap() -> None:
    assert negated("true") == "false"
    assert negated("false") == "true"


def test_and_and_or_are_pushed_inward_by_de_morgan() -> None:
    assert negated("score < 600 and not verified") == "score >= 600 or verified"
    assert negated("score < 600 or verified or frozen") == "score >= 600 and not verified and not frozen"
    assert negated("score < 600 or (verified and amount >= 1000)") == \
        "score >= 600 and (not verified or amount < 1000)"
    assert negated("score < 600 and verified or frozen") == "(score >= 600 or not verified) and not frozen"


def test_anything_else_is_wrapped_in_not() -> None:
    assert negated("verified") == "not verified"
    assert negated("is_unknown(score)") == "not is_unknown(score)"


def test_the_negation_is_still_a_typed_boolean_tree() -> None:
    for text in ("score < 600", "score < 600 and verified", "not verified", "true", "verified"):
        tree = negate(compile_condition(text, CATALOG).ast)
        assert tree.type == t.BOOL, text


def test_the_rendered_negation_compiles_back_to_the_same_tree() -> None:
    for text in ("score < 600 or (verified and amount >= 1000)", 'status in ["frozen"] and not frozen'):
        tree = negate(compile_condition(text, CATALOG).ast)
        assert compile_condition(render(tree), CATALOG).ast == tree


# -- lift_condition --------------------------------------------------------------------------


def test_the_lift_condition_is_not_when_or_unless() -> None:
    when = compile_condition("score < 600", CATALOG).ast
    unless = compile_condition('status == "frozen"', CATALOG).ast
    both = lift_condition(when, unless)
    assert both is not None and render(both) == 'score >= 600 or status == "frozen"'
    only_when = lift_condition(when, None)
    assert only_when is not None and render(only_when) == "score >= 600"
    only_unless = lift_condition(None, unless)
    assert only_unless is not None and render(only_unless) == 'status == "frozen"'
    assert lift_condition(None, None) is None


def test_decide_reports_the_negation_as_the_condition_under_which_a_block_lifts() -> None:
    bundle = chronolex.load_bundle(HUABEI)
    zone = bundle.timezone
    clean = [ev("kyc_verified", "2026-01-05", zone), ev("credit_consent_changed", "2026-01-05", zone, granted=True),
             ev("profile_updated", "2026-01-05", zone, birth_date="1990-01-01", occupation="student"),
             ev("credit_score_updated", "2026-01-06", zone, score=580)]
    decision = chronolex.decide(bundle, history(clean), "open", local("2026-04-01T09:00", zone))
    lifts = {r.rule.id: r.lifts.when if r.lifts else None for r in decision.reasons}
    assert lifts == {
        "REG-STUDENT-LENDING": 'occupation != "student"',
        "PLAT-SCORE-FLOOR": 'credit_score >= 600 or account_tier == "pilot"',
    }


# -- the property: the negation is the Kleene negation -----------------------------------------


@settings(max_examples=150)
@given(bool_exprs(), fact_values(), instants())
def test_the_negation_evaluates_to_the_kleene_negation_of_the_condition(
        tree: n.Expr, facts: dict[str, object], now: datetime) -> None:
    original = compile_condition(render(tree), CATALOG)
    opposite = compile_condition(render(negate(original.ast)), CATALOG)  # the text a person reads compiles
    ctx = Context(facts, now.astimezone(SH), SH)
    try:
        value = interpret(original.ast, ctx)
    except EvaluationError:
        with pytest.raises(EvaluationError):
            opposite.evaluate(ctx)
        return
    expected = kleene_not(value)
    assert interpret(opposite.ast, ctx) is expected
    assert opposite.evaluate(ctx) is expected


@settings(max_examples=100)
@given(bool_exprs(), fact_values())
def test_negating_twice_gives_back_the_meaning_of_the_condition(tree: n.Expr, facts: dict[str, object]) -> None:
    original = compile_condition(render(tree), CATALOG)
    twice = compile_condition(render(negate(negate(original.ast))), CATALOG)
    ctx = Context(facts, NOW, SH)
    try:
        value = interpret(original.ast, ctx)
    except EvaluationError:
        return
    assert interpret(twice.ast, ctx) is value
