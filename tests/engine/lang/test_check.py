"""The type checker: names against the catalog, operand types, enum values, all problems at once."""

from __future__ import annotations

import pytest

from chronolex.lang import ConditionError, compile_condition
from chronolex.lang import types as t
from tests.strategies import CATALOG


def problems(text: str, **kwargs: object) -> list[tuple[str, str, str | None]]:
    with pytest.raises(ConditionError) as info:
        compile_condition(text, CATALOG, **kwargs)  # type: ignore[arg-type]
    return [(p.code, text[p.start : p.end], p.help) for p in info.value.problems]


def test_well_typed_conditions_compile() -> None:
    for text in [
        "score < 600",
        "amount >= 5000 and score > 1",
        'status in ["frozen", "closed"]',
        'occupation == "student" or not verified',
        "years_between(birth_date, now) < 18",
        'birth_date > now - duration("P18Y")',
        'seen_at < datetime("2026-03-08T02:30")',
        "is_unknown(score) or coalesce(score, 0) < 600",
        "score / 2 > amount",
    ]:
        assert compile_condition(text, CATALOG).type == t.BOOL


def test_unknown_fact_with_did_you_mean() -> None:
    assert problems("scor < 600") == [("unknown-fact", "scor", "did you mean `score`?")]


def test_type_mismatch_names_both_types() -> None:
    [(code, fragment, _)] = problems('score < "600"')
    assert code == "type-mismatch" and fragment == '"600"'


def test_enum_value_outside_enum_points_at_the_literal() -> None:
    assert problems('status == "frozn"') == [("enum-value", '"frozn"', "did you mean 'frozen'?")]
    assert problems('status in ["active", "clsoed"]')[0][:2] == ("enum-value", '"clsoed"')


def test_strings_are_not_ordered_and_bools_not_numbers() -> None:
    assert problems('occupation < "m"')[0][0] == "type-mismatch"
    assert problems("verified + 1 > 0")[0][0] == "type-mismatch"
    assert problems("not score")[0][0] == "type-mismatch"
    assert problems("score and verified")[0][0] == "type-mismatch"


def test_a_condition_must_be_true_or_false() -> None:
    assert problems("score + 1")[0][0] == "type-mismatch"


def test_date_shifted_by_hours_is_an_error() -> None:
    assert problems('birth_date + duration("PT2H") < now')[0][0] == "type-mismatch"


def test_all_problems_are_reported_once_each() -> None:
    found = problems('scor < 600 and stauts == "x" and frozen')
    assert [p[0] for p in found] == ["unknown-fact", "unknown-fact"]


def test_expr_facts_are_checked_against_their_declared_type() -> None:
    assert compile_condition("years_between(birth_date, now)", CATALOG, expect=t.INT).type == t.INT
    with pytest.raises(ConditionError):
        compile_condition("score > 3", CATALOG, expect=t.INT)


def test_where_conditions_accept_any_field_name() -> None:
    compiled = compile_condition("amount >= 1000 and channel == 'app'", {}, fields_are_any=True)
    assert compiled.facts == frozenset({"amount", "channel"})


def test_compiled_expr_records_what_it_reads() -> None:
    compiled = compile_condition("years_between(birth_date, now) < 18 or frozen", CATALOG)
    assert compiled.facts == frozenset({"birth_date", "frozen"})
    assert compiled.uses_now
