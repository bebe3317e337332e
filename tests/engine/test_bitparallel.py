"""The region-table compilation of a rule set decides exactly as the Kleene closures do
whenever every fact it reads is known, and steps aside (None) whenever one is not."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.lang import UNKNOWN, Context, check, compile_expr
from engine.lang import parse as parse_condition
from engine.lang import nodes as n
from engine.lang.bitparallel import CHUNK, MAX_TERMS, Unsupported, normal_forms
from engine.lang.fastpath import compile_rules
from tests.strategies import CATALOG

NOW = datetime(2026, 3, 8, tzinfo=timezone.utc)
TABLES = "<chronolex rule tables>"
OPS = ["==", "!=", "<", "<=", ">", ">="]


def lit(value: object) -> n.Literal:
    kind = "bool" if isinstance(value, bool) else "int" if isinstance(value, int) else \
        "decimal" if isinstance(value, Decimal) else "string"
    return n.Literal(value, kind)


def parse(text: str) -> n.Expr:
    typed, _ = check(parse_condition(text), CATALOG)
    return typed


# -- conditions inside the subset, with constants close together so regions collide --------

INTS = st.integers(-3, 12)
DECIMALS = st.sampled_from([Decimal("-1"), Decimal("0"), Decimal("2.5"), Decimal("2.50"), Decimal("3"),
                            Decimal("7.25"), Decimal("10")])
NUMBERS = st.one_of(INTS, DECIMALS)
TEXTS = st.sampled_from(["", "a", "ab", "b", "student"])
STATUSES = st.sampled_from(["active", "frozen", "closed"])

INT_KEYS = st.sampled_from([n.Name("score"), n.Name("days"), n.Binary("+", n.Name("score"), n.Name("days")),
                            n.Binary("*", n.Name("score"), lit(2)), n.Unary("-", n.Name("days"))])
DECIMAL_KEYS = st.sampled_from([n.Name("amount"), n.Binary("-", n.Name("amount"), lit(Decimal("0.5"))),
                                n.Binary("+", n.Name("amount"), n.Name("score"))])


def _compare(key: n.Expr, op: str, constant: object, flip: bool) -> n.Expr:
    return n.Compare(op, lit(constant), key) if flip else n.Compare(op, key, lit(constant))


def atoms() -> st.SearchStrategy[n.Expr]:
    return st.one_of(
        st.builds(_compare, st.one_of(INT_KEYS, DECIMAL_KEYS), st.sampled_from(OPS), NUMBERS, st.booleans()),
        st.builds(lambda k, op, vs: n.Compare(op, k, n.ListExpr(tuple(lit(v) for v in vs))),
                  INT_KEYS, st.sampled_from(["in", "not in"]), st.lists(INTS, min_size=1, max_size=3)),
        st.builds(lambda op, v: n.Compare(op, n.Name("occupation"), lit(v)), st.sampled_from(OPS), TEXTS),
        st.builds(lambda op, vs: n.Compare(op, n.Name("occupation"), n.ListExpr(tuple(lit(v) for v in vs))),
                  st.sampled_from(["in", "not in"]), st.lists(TEXTS, min_size=1, max_size=3)),
        st.builds(lambda op, v: n.Compare(op, n.Name("status"), lit(v)), st.sampled_from(["==", "!="]), STATUSES),
        st.builds(lambda vs: n.Compare("in", n.Name("status"), n.ListExpr(tuple(lit(v) for v in vs))),
                  st.lists(STATUSES, min_size=1, max_size=2)),
        st.sampled_from([n.Name("verified"), n.Name("frozen"), n.Compare("==", n.Name("frozen"), lit(False)),
                         n.Compare("!=", n.Name("verified"), lit(True)), lit(True), lit(False)]),
    )


def conditions() -> st.SearchStrategy[n.Expr]:
    return st.recursive(
        atoms(),
        lambda sub: st.one_of(
            st.builds(lambda op, xs: n.BoolOp(op, tuple(xs)), st.sampled_from(["and", "or"]),
                      st.lists(sub, min_size=2, max_size=3)),
            sub.map(lambda a: n.Unary("not", a)),
        ),
        max_leaves=6,
    )


def _maybe(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    """The value, or (one time in twelve) unknown: most fact sets are then wholly known."""
    return st.tuples(st.integers(0, 11), strategy).map(lambda pair: UNKNOWN if pair[0] == 0 else pair[1])


FACTS = st.fixed_dictionaries({
    "score": _maybe(st.integers(-8, 14)),
    "days": _maybe(st.integers(-4, 14)),
    "amount": _maybe(st.one_of(DECIMALS, DECIMALS.map(lambda d: d + Decimal("0.01")),
                               DECIMALS.map(lambda d: d - Decimal("0.01")), st.decimals(-5, 15, places=2))),
    "verified": _maybe(st.booleans()),
    "frozen": _maybe(st.booleans()),
    "occupation": _maybe(st.one_of(TEXTS, st.sampled_from(["aa", "c", "zz"]))),
    "status": _maybe(STATUSES),
})


def closures(typed: list[tuple[n.Expr, n.Expr | None]], facts: dict[str, object]) -> list[int] | None:
    """What the Kleene closures say: the indexes of the rules that restrict, or None when
    a fact they read is unknown (the tables step aside then, even if Kleene could decide)."""
    read = {name for pair in typed for c in pair if c is not None for name in n.names(c)}
    if any(facts.get(name, UNKNOWN) is UNKNOWN for name in read):
        return None
    ctx = Context(facts, NOW, timezone.utc)
    fired = []
    for index, (when, unless) in enumerate(typed):
        w = compile_expr(when)(ctx)
        u = compile_expr(unless)(ctx) if unless is not None else False
        assert w in (True, False) and u in (True, False)
        if w and not u:
            fired.append(index)
    return fired


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(conditions(), st.one_of(st.none(), conditions())), min_size=1, max_size=8),
       st.lists(FACTS, min_size=1, max_size=6))
def test_tables_agree_with_the_closures(rules: list[tuple[n.Expr, n.Expr | None]],
                                        fact_sets: list[dict[str, object]]) -> None:
    typed = [(check(w, CATALOG)[0], check(u, CATALOG)[0] if u is not None else None) for w, u in rules]
    fast, covered = compile_rules(typed)
    assert fast is not None and covered == list(range(len(typed)))
    try:
        normal_forms(typed)
    except Unsupported:  # only a normal form with too many terms leaves the subset
        assert fast.__code__.co_filename != TABLES
    else:
        assert fast.__code__.co_filename == TABLES
    for facts in fact_sets:
        expected = closures(typed, facts)
        fired = fast(facts)
        if fast.__code__.co_filename == TABLES or expected is not None:
            assert (None if fired is None else list(fired)) == expected, facts


@settings(max_examples=100, deadline=None)
@given(st.lists(conditions(), min_size=1, max_size=5), FACTS)
def test_derived_facts_are_read_through_their_value(whens: list[n.Expr], facts: dict[str, object]) -> None:
    class Derived:
        def __init__(self, value: object) -> None:
            self.value = value

    typed = [(check(w, CATALOG)[0], None) for w in whens]
    plain, _ = compile_rules(typed)
    unwrapped, _ = compile_rules(typed, unwrap=True)
    assert plain is not None and unwrapped is not None
    assert unwrapped({k: Derived(v) for k, v in facts.items()}) == plain(facts)


def listed(fired: object) -> list[object]:
    assert isinstance(fired, (list, tuple)), fired
    return list(fired)


def decide(text: str, **facts: object) -> bool | None:
    fast, _ = compile_rules([(parse(text), None)])
    assert fast is not None and fast.__code__.co_filename == TABLES, text
    fired = fast(facts)
    return None if fired is None else bool(fired)


@pytest.mark.parametrize("text, value, expected", [
    ("score > 5.5", 5, False), ("score > 5.5", 6, True), ("score <= 5.5", 5, True), ("score <= 5.5", 6, False),
    ("score == 5.5", 5, False), ("score == 5.5", 6, False), ("score != 5.5", 5, True),
    ("score >= 5", 5, True), ("score >= 5", 4, False), ("score < 5", 4, True), ("score == 5", 5, True),
    ("score == 5", 6, False), ("score in [1, 3]", 3, True), ("score in [1, 3]", 2, False),
    ("score * 2 >= 7", 4, True), ("score * 2 >= 7", 3, False), ("-score > 2", -3, True),
    ("score > -1000000000000000000000000", -10**24 + 1, True),
])
def test_an_int_key_is_cut_at_the_integers_that_decide(text: str, value: int, expected: bool) -> None:
    assert decide(text, score=value) is expected


@pytest.mark.parametrize("text, value, expected", [
    ("amount <= 2.50", "2.5", True), ("amount <= 2.50", "2.51", False), ("amount < 2.5", "2.50", False),
    ("amount < 2.5", "2.49", True), ("amount > 2.5", "2.500", False), ("amount >= 2.5", "2.5", True),
    ("amount == 2.5", "2.50", True), ("amount != 2.5", "2.5", False), ("amount < 3 and amount > 2.5", "2.75", True),
    ("amount - 0.5 >= 2", "2.49", False), ("amount - 0.5 >= 2", "2.5", True),
])
def test_a_decimal_key_tells_a_cut_point_from_the_values_beside_it(text: str, value: str, expected: bool) -> None:
    assert decide(text, amount=Decimal(value)) is expected


@pytest.mark.parametrize("text, value, expected", [
    ('occupation < "b"', "ab", True), ('occupation < "b"', "b", False), ('occupation >= "b"', "ba", True),
    ('occupation == "student"', "teacher", False), ('occupation != "student"', "teacher", True),
    ('occupation in ["a", "b"]', "c", False), ('occupation not in ["a", "b"]', "c", True),
])
def test_text_is_compared_by_value_and_by_order(text: str, value: str, expected: bool) -> None:
    assert decide(text, occupation=value) is expected


def test_an_unknown_or_undeclared_value_leaves_the_decision_to_the_closures() -> None:
    assert decide('status == "active" or verified', status="active", verified=UNKNOWN) is None
    assert decide('status == "active"', status="archived") is None  # not one of the enum's values
    assert decide("score >= 1 or score < 1", score=UNKNOWN) is None  # always true, but only when known
    assert decide("score >= 1 or score < 1", score=0) is True
    assert decide("score == 5.5", score=UNKNOWN) is None  # never true, but only when known
    assert decide("amount + score > 1", amount=Decimal(3), score=UNKNOWN) is None


def test_rules_are_read_back_in_order_across_chunks() -> None:
    count = 3 * CHUNK
    typed = [(parse(f"score >= {i} or days == {i}"), parse("frozen") if i % 5 == 0 else None) for i in range(count)]
    fast, _ = compile_rules(typed, results=[f"R{i}" for i in range(count)])
    assert fast is not None and fast.__code__.co_filename == TABLES
    for score, days, frozen in [(10, 30, False), (10, 30, True), (-1, 40, False), (47, 3, True), (0, 0, False)]:
        facts = {"score": score, "days": days, "frozen": frozen}
        assert listed(fast(facts)) == [f"R{i}" for i in closures(typed, facts) or []]


def test_a_normal_form_too_large_leaves_the_rules_to_if_statements() -> None:
    wide = ('(score == 1 or days == 1) and (amount > 1 or verified) and (frozen or occupation == "a")'
            ' and (status == "active" or score + days > 3)')  # 2**4 terms
    assert 2 ** 4 > MAX_TERMS
    typed = [(parse(wide), None)]
    with pytest.raises(Unsupported):
        normal_forms(typed)
    fast, covered = compile_rules(typed)
    assert fast is not None and covered == [0] and fast.__code__.co_filename != TABLES
    facts = {"score": 0, "days": 1, "amount": Decimal(0), "verified": True, "frozen": True, "occupation": "",
             "status": "closed"}
    assert listed(fast(facts)) == []
    assert listed(fast({**facts, "status": "active"})) == [0]


@pytest.mark.parametrize("text", [
    "score > amount",  # two facts compared with each other
    "score >= 1E+40",  # an integer cut too large to build
    "years_between(birth_date, now) >= 18",  # a call, and time
])
def test_conditions_outside_the_subset_use_the_if_statements(text: str) -> None:
    fast, _ = compile_rules([(parse(text), None)])
    assert fast is None or fast.__code__.co_filename != TABLES


def test_banks_of_rules_are_read_back_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.lang import bitparallel

    monkeypatch.setattr(bitparallel, "BANK", 4)  # 11 rules: banks of 4, 4 and 3 sharing the key values
    typed = [(parse(f"score + days >= {i} and (frozen or amount < {i})"), None) for i in range(11)]
    fast, _ = compile_rules(typed, results=[f"R{i}" for i in range(11)])
    assert fast is not None and fast.__code__.co_filename == TABLES
    for score, days, frozen, amount in [(3, 2, False, "4.5"), (9, 9, True, "0"), (-5, 0, True, "1"), (4, 1, False, "11")]:
        facts = {"score": score, "days": days, "frozen": frozen, "amount": Decimal(amount)}
        assert listed(fast(facts)) == [f"R{i}" for i in closures(typed, facts) or []]


def test_tables_too_large_leave_the_rules_to_if_statements(monkeypatch: pytest.MonkeyPatch) -> None:
    from engine.lang import bitparallel

    monkeypatch.setattr(bitparallel, "MAX_TABLE_BITS", 100)
    typed = [(parse(f"score >= {i}"), None) for i in range(20)]
    fast, _ = compile_rules(typed)
    assert fast is not None and fast.__code__.co_filename != TABLES
    assert listed(fast({"score": 3})) == [0, 1, 2, 3]
