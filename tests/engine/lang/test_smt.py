"""Typed AST to solver formulas (engine/lang/smt.py): the translation decides exactly as
the reference interpreter does, and what it cannot model becomes opaque, never a guess.

Each condition is translated over fact variables, the variables are pinned to concrete
values (or to "unknown") with solver equalities, and the (true, false) pair the
translation gives must be exactly (value is True, value is False) of the interpreter.
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone, tzinfo
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import z3
from hypothesis import given, settings

from chronolex.errors import EvaluationError
from chronolex.lang import UNKNOWN, Context, check, compile_condition, interpret
from chronolex.lang import nodes as n
from chronolex.lang.render import render
from chronolex.lang.smt import (
    Translator,
    Truth,
    Value,
    decimal_term,
    from_instant_term,
    instant_term,
    make_var,
    sort_of,
)
from tests.strategies import (
    CATALOG,
    KLEENE_AND_OR,
    bool_exprs,
    fact_values,
    instants,
    zones,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 8, 2, 30, tzinfo=SHANGHAI)


@dataclass
class Translation:
    """A condition translated with every fact pinned: its truth pair, the pins, and the
    sub-conditions the translator handed to ``opaque``."""

    truth: Truth
    pins: list[Any]
    opaque: list[str] = field(default_factory=list)


def _literal_term(value: object, sort: str) -> Any:
    if sort == "day":
        assert isinstance(value, date)
        return z3.IntVal(value.toordinal())
    if sort == "instant":
        assert isinstance(value, datetime)
        return z3.IntVal(instant_term(value))
    if sort == "real":
        assert isinstance(value, (Decimal, int))
        return decimal_term(value)
    if sort == "int":
        assert isinstance(value, int)
        return z3.IntVal(value)
    if sort == "bool":
        return z3.BoolVal(bool(value))
    return z3.StringVal(str(value))


def translate(tree: n.Expr, facts: Mapping[str, object], now: datetime = NOW, zone: tzinfo = SHANGHAI) -> Translation:
    """Translate ``tree``; every fact of the catalog is a variable pinned to ``facts``
    (absent or UNKNOWN: its ``known`` flag pinned false)."""
    values: dict[str, Value] = {}
    pins: list[Any] = []
    for name, kind in sorted(CATALOG.items()):
        sort = sort_of(kind)
        term, known = make_var(name, sort), z3.Bool(f"{name}.known")
        values[name] = Value(term, known, sort)
        value = facts.get(name, UNKNOWN)
        pins += [z3.Not(known)] if value is UNKNOWN else [known, term == _literal_term(value, sort)]
    translation = Translation(Truth(z3.BoolVal(False), z3.BoolVal(False)), pins)

    def opaque(node: n.Expr) -> Truth:
        translation.opaque.append(render(node))
        index = len(translation.opaque)
        return Truth(z3.Bool(f"opaque{index}.true"), z3.Bool(f"opaque{index}.false"))

    translator = Translator(values.__getitem__, opaque, z3.IntVal(instant_term(now)), zone)
    translation.truth = translator.truth(tree)
    return translation


def solver_verdict(translation: Translation) -> object:
    """True, False or UNKNOWN as the pinned formulas decide it (both true and false
    being possible at once is a broken translation)."""
    solver = z3.Solver()
    solver.add(*translation.pins)
    can_be_true = solver.check(translation.truth.true) == z3.sat
    can_be_false = solver.check(translation.truth.false) == z3.sat
    assert not (can_be_true and can_be_false), "a condition cannot be true and false for one set of values"
    return True if can_be_true else False if can_be_false else UNKNOWN


def typed(text: str) -> n.Expr:
    return compile_condition(text, CATALOG).ast


def solve(text: str, now: datetime = NOW, zone: tzinfo = SHANGHAI, **facts: object) -> object:
    """The solver's verdict on ``text`` (which must translate without opaque parts)."""
    translation = translate(typed(text), facts, now, zone)
    assert translation.opaque == [], f"{text} was not modelled: {translation.opaque}"
    verdict = solver_verdict(translation)
    assert verdict is interpret(typed(text), Context(facts, now, zone)), f"{text} disagrees with the interpreter"
    return verdict


def opaque_parts(text: str) -> list[str]:
    return translate(typed(text), {}).opaque


# --- the property ------------------------------------------------------------------------


def test_translation_agrees_with_the_reference_interpreter() -> None:
    """Over random typed conditions, fact values, instants and zones, the pinned formulas
    decide as the interpreter does. Conditions with an opaque part are skipped, and so
    are values where the interpreter itself faults or rounds (it computes decimals to 28
    digits; the solver is exact); most generated cases must still be checked."""
    counts = {"checked": 0, "opaque": 0, "faulted": 0}

    @settings(max_examples=300, deadline=None)
    @given(bool_exprs(), fact_values(), instants(), zones())
    def agrees(tree: n.Expr, facts: dict[str, object], now: datetime, zone: ZoneInfo) -> None:
        checked_tree, problems = check(tree, CATALOG)
        assert problems == ()
        local_now = now.astimezone(zone)
        try:
            with decimal.localcontext() as exact:
                exact.traps[decimal.Inexact] = True
                expected = interpret(checked_tree, Context(facts, local_now, zone))
        except (EvaluationError, decimal.Inexact):
            counts["faulted"] += 1
            return
        translation = translate(checked_tree, facts, local_now, zone)
        if translation.opaque:
            counts["opaque"] += 1
            return
        counts["checked"] += 1
        assert solver_verdict(translation) is expected, render(checked_tree)

    agrees()
    total = sum(counts.values())
    assert counts["checked"] >= total // 2, counts


@settings(max_examples=100, deadline=None)
@given(bool_exprs())
def test_a_modelled_condition_is_never_true_and_false_at_once(tree: n.Expr) -> None:
    checked_tree, _ = check(tree, CATALOG)
    translation = translate(checked_tree, {})
    if translation.opaque:
        return  # opaque atoms are kept apart by the semantic diff's own constraints
    assert z3.Solver().check(z3.And(translation.truth.true, translation.truth.false)) == z3.unsat


# --- Kleene logic ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "and_", "or_"),
    KLEENE_AND_OR,
)
def test_and_or_follow_kleene_truth_tables(a: object, b: object, and_: object, or_: object) -> None:
    assert solve("verified and frozen", verified=a, frozen=b) is and_
    assert solve("verified or frozen", verified=a, frozen=b) is or_


@pytest.mark.parametrize(("value", "expected"), [(True, False), (False, True), (UNKNOWN, UNKNOWN)])
def test_not_swaps_true_and_false_and_keeps_unknown(value: object, expected: object) -> None:
    assert solve("not verified", verified=value) is expected
    assert solve("not (score < 600)", score=500 if value is True else 700 if value is False else UNKNOWN) is expected


def test_a_comparison_with_an_unknown_operand_is_unknown() -> None:
    assert solve("score < 600") is UNKNOWN
    assert solve("score < 600 and frozen", frozen=False) is False
    assert solve("score < 600 or frozen", frozen=True) is True
    assert solve('occupation != "student"') is UNKNOWN


def test_a_sub_condition_decides_alone_where_kleene_logic_lets_it() -> None:
    # "verified and <anything>" is false when verified is false, however the rest stands
    translation = translate(typed("verified and score < 600 and frozen"), {"verified": False})
    solver = z3.Solver()
    solver.add(*translation.pins)
    assert solver.check(z3.Not(translation.truth.false)) == z3.unsat


# --- in / not in -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "inside"),
    [("active", False), ("frozen", True), ("closed", True), (UNKNOWN, UNKNOWN)],
)
def test_in_and_not_in_a_literal_list(status: object, inside: object) -> None:
    assert solve('status in ["frozen", "closed"]', status=status) is inside
    outside = UNKNOWN if inside is UNKNOWN else not inside
    assert solve('status not in ["frozen", "closed"]', status=status) is outside


def test_in_an_empty_list_is_false_once_the_value_is_known() -> None:
    assert solve("status in []", status="active") is False
    assert solve("status not in []", status="active") is True
    assert solve("status in []") is UNKNOWN


def test_in_a_list_with_an_unknown_item_is_unknown_unless_found() -> None:
    assert solve("score in [days, 3]", score=3) is True
    assert solve("score in [days, 3]", score=4) is UNKNOWN
    assert solve("score in [days, 3]", score=4, days=4) is True
    assert solve("score in [days, 3]", score=4, days=5) is False


def test_in_compares_int_and_decimal_by_value() -> None:
    assert solve("score in [1.5, 3.0]", score=3) is True
    assert solve("amount in [1, 2]", amount=Decimal("2.00")) is True
    assert solve("amount in [1, 2]", amount=Decimal("2.01")) is False


# --- functions -----------------------------------------------------------------------------


@pytest.mark.parametrize("function", ["is_known", "is_unknown"])
def test_is_known_and_is_unknown_are_never_unknown(function: str) -> None:
    known_is_true = function == "is_known"
    assert solve(f"{function}(score)", score=1) is known_is_true
    assert solve(f"{function}(score)") is not known_is_true
    assert solve(f"{function}(score + days)", score=1) is not known_is_true  # unknown days: the sum is unknown


def test_coalesce_takes_the_default_only_when_the_value_is_unknown() -> None:
    assert solve("coalesce(score, 700) >= 600") is True
    assert solve("coalesce(score, 700) >= 600", score=500) is False
    assert solve("coalesce(score, days) > 3") is UNKNOWN
    assert solve("coalesce(score, days) > 3", days=4) is True


def test_coalesce_of_an_int_and_a_decimal_compares_as_a_number() -> None:
    assert solve("coalesce(score, amount) > 1.25", amount=Decimal("1.5")) is True
    assert solve("coalesce(score, amount) > 1.25", score=1, amount=Decimal("1.5")) is False
    assert solve('coalesce(status, "closed") == "closed"') is True


def test_abs_of_ints_and_decimals() -> None:
    assert solve("abs(score) == 5", score=-5) is True
    assert solve("abs(score) == 5", score=5) is True
    assert solve("abs(score) == 5", score=-4) is False
    assert solve("abs(amount) > 1.25", amount=Decimal("-1.5")) is True
    assert solve("abs(score) >= 0") is UNKNOWN


def test_min_and_max_over_ints_and_decimals() -> None:
    assert solve("min(score, days) < 10", score=3, days=40) is True
    assert solve("min(score, days) < 10", score=30, days=40) is False
    assert solve("max(score, days, 7) == 7", score=3, days=-1) is True
    assert solve("max(score, amount) == 2.5", score=2, amount=Decimal("2.5")) is True
    assert solve("min(score, amount) == 2", score=2, amount=Decimal("2.5")) is True
    # min/max do not settle unknowns: one unknown argument makes the result unknown
    assert solve("min(score, days) < 10", score=3) is UNKNOWN


# --- numbers -------------------------------------------------------------------------------


def test_ints_and_decimals_mix_exactly() -> None:
    assert solve("score == 3.0", score=3) is True
    assert solve("score + amount == 3.5", score=3, amount=Decimal("0.5")) is True
    assert solve("amount * 3 == 0.3", amount=Decimal("0.1")) is True
    assert solve("score - amount < 0", score=1, amount=Decimal("1.01")) is True
    assert solve("-score > 0", score=-1) is True


def test_division_by_a_literal_is_modelled_exactly() -> None:
    assert solve("score / 4 == 0.75", score=3) is True
    assert solve("score / 2 == 1", score=3) is False  # no integer division
    assert solve("score / 3 > 0.33", score=1) is True
    assert solve("amount / 0.5 >= 3", amount=Decimal("1.5")) is True
    assert solve("score / 4 == 0.75") is UNKNOWN


@pytest.mark.parametrize("text", ["score / days > 1", "score / 0 > 1", "score / 0.0 > 1", "score / (2 - 2) > 1"])
def test_division_by_anything_but_a_non_zero_literal_is_opaque(text: str) -> None:
    assert opaque_parts(text) == [text]


# --- dates and instants -------------------------------------------------------------------


def test_date_literals_compare_by_day() -> None:
    assert solve('birth_date < date("2000-01-01")', birth_date=date(1999, 12, 31)) is True
    assert solve('birth_date < date("2000-01-01")', birth_date=date(2000, 1, 1)) is False
    assert solve('birth_date == date("2000-02-29")', birth_date=date(2000, 2, 29)) is True
    assert solve('birth_date < date("2000-01-01")') is UNKNOWN


def test_datetime_literals_are_wall_time_in_the_bundle_zone() -> None:
    text = 'seen_at >= datetime("2026-03-08T02:00")'  # 02:00 in Shanghai is 18:00 UTC the day before
    assert solve(text, seen_at=datetime(2026, 3, 7, 18, 0, tzinfo=timezone.utc)) is True
    assert solve(text, seen_at=datetime(2026, 3, 7, 17, 59, 59, 999_999, tzinfo=timezone.utc)) is False
    assert solve('seen_at < datetime("2026-03-08T02:00:00+00:00")',
                 seen_at=datetime(2026, 3, 8, 1, 59, tzinfo=timezone.utc)) is True


def test_datetime_literals_after_a_dst_change_take_the_summer_offset() -> None:
    # Berlin moves to CEST (+02:00) at 02:00 on 2026-03-29, so 03:30 local is 01:30 UTC
    text = 'seen_at < datetime("2026-03-29T03:30")'
    assert solve(text, zone=BERLIN, seen_at=datetime(2026, 3, 29, 1, 29, 59, tzinfo=timezone.utc)) is True
    assert solve(text, zone=BERLIN, seen_at=datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)) is False


def test_now_is_the_evaluation_instant() -> None:
    assert solve("seen_at <= now", seen_at=NOW) is True
    assert solve("seen_at < now", seen_at=NOW) is False
    assert solve("seen_at > now", now=datetime(2026, 1, 1, tzinfo=timezone.utc),
                 seen_at=datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=timezone.utc)) is True


def test_instants_round_trip_through_their_solver_terms() -> None:
    for instant in (NOW, datetime(1000, 1, 2, tzinfo=timezone.utc), datetime(2026, 3, 29, 1, 30, 0, 7, tzinfo=BERLIN)):
        assert from_instant_term(instant_term(instant)) == instant


# --- what stays opaque -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "years_between(birth_date, now) < 18",
        "months_between(birth_date, now) >= 6",
        "days_between(seen_at, now) > 3",
        'birth_date < now - duration("P18Y")',
        'seen_at >= now - duration("PT24H")',
        'now >= date("2026-03-08")',  # a date against an instant: local midnight depends on the zone
    ],
)
def test_calendar_functions_and_durations_are_opaque(text: str) -> None:
    assert opaque_parts(text) == [text]


def test_only_the_nearest_enclosing_condition_becomes_opaque() -> None:
    text = "verified and years_between(birth_date, now) < 18"
    assert opaque_parts(text) == ["years_between(birth_date, now) < 18"]
    # the modelled part still decides alone where Kleene logic lets it
    translation = translate(typed(text), {"verified": False})
    solver = z3.Solver()
    solver.add(*translation.pins)
    assert solver.check(z3.Not(translation.truth.false)) == z3.unsat
    translation = translate(typed(text), {"verified": True})
    solver = z3.Solver()
    solver.add(*translation.pins)
    assert solver.check(translation.truth.true) == z3.sat
    assert solver.check(translation.truth.false) == z3.sat  # both open: it depends on the atom

