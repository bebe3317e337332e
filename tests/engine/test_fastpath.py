"""The compiled fast path decides exactly as the Kleene closures do, and steps aside
whenever a fact it reads is unknown."""

from __future__ import annotations

from datetime import datetime, timezone

import builtins
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.lang import UNKNOWN, Context, check, compile_expr
from engine.lang import nodes as n
from engine.lang.fastpath import compile_rules
from tests.strategies import CATALOG, bool_exprs, fact_values

NOW = datetime(2026, 3, 8, tzinfo=timezone.utc)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(bool_exprs(), st.one_of(st.none(), bool_exprs())), min_size=1, max_size=6), fact_values(),
       st.booleans())
def test_fast_path_agrees_with_the_closures(rules: list[tuple[n.Expr, n.Expr | None]], facts: dict[str, object],
                                            tables: bool) -> None:
    typed = [(check(w, CATALOG)[0], check(u, CATALOG)[0] if u is not None else None) for w, u in rules]
    fast, covered = compile_rules(typed, tables=tables)
    if fast is None:
        assert covered == []
        return
    try:
        fired = fast(facts)
    except (ArithmeticError, TypeError, ValueError):
        return  # the evaluator then falls back to the closures, which report the fault
    ctx = Context(facts, NOW, timezone.utc)
    expected = []
    any_unknown = False
    for index in covered:
        when, unless = typed[index]
        w = compile_expr(when)(ctx)
        u = compile_expr(unless)(ctx) if unless is not None else False
        if w is UNKNOWN or u is UNKNOWN:
            any_unknown = True
        elif w is True and u is False:
            expected.append(index)
    if fired is None:
        assert any(facts.get(name, UNKNOWN) is UNKNOWN for w, u in typed for c in (w, u) if c is not None
                   for name in n.names(c))
    else:
        assert not any_unknown
        assert list(fired) == expected


@pytest.mark.parametrize("tables", [True, False])
def test_the_fast_path_runs_without_builtins_or_eval(tables: bool) -> None:
    when, _ = check(n.Compare("<", n.Name("score"), n.Literal(600, "int")), CATALOG)
    fast, covered = compile_rules([(when, None)], tables=tables)
    assert fast is not None and covered == [0]
    assert fast.__globals__["__builtins__"] == {}
    assert list(fast({"score": 500}) or "?") == [0] and fast({"score": 700}) in ([], ())
    assert fast({}) is None and fast({"score": UNKNOWN}) is None
    assert builtins.eval is eval  # untouched


_HUABEI_FACTS = st.fixed_dictionaries({
    "credit_score": st.one_of(st.none(), st.integers(300, 900)),
    "kyc_verified": st.one_of(st.none(), st.booleans()),
    "credit_report_consent": st.one_of(st.none(), st.booleans()),
    "occupation": st.one_of(st.none(), st.sampled_from(["student", "engineer"])),
    "birth_date": st.one_of(st.none(), st.sampled_from(["2010-05-01", "1990-01-01"])),
    "account_status": st.one_of(st.none(), st.sampled_from(["active", "frozen", "closed"])),
    "login_failures_24h": st.integers(0, 8),
    "borrowed_30d": st.decimals(0, 20000, places=2),
    "account_tier": st.sampled_from(["standard", "pilot"]),
    "overdue_days_max_12m": st.integers(0, 90),
})


@settings(max_examples=150, deadline=None)
@given(_HUABEI_FACTS, st.sampled_from(["open", "borrow", "raise_limit"]),
       st.sampled_from(["2024-06-16T03:00", "2025-03-01T10:00", "2026-03-08T02:30", "2026-11-11T12:00"]))
def test_the_evaluator_decides_alike_with_and_without_the_fast_path(raw: dict[str, object], action: str,
                                                                    when: str) -> None:
    import engine
    from engine.evaluate import Evaluator, _Plan
    from tests.conftest import HUABEI

    bundle = engine.load_bundle(HUABEI)
    at = engine.parse_instant(when, bundle.timezone)
    facts = engine.given_facts(bundle, {k: (str(v) if k == "borrowed_30d" else v) for k, v in raw.items()}, at)
    version = engine.select_version(bundle.versions, at)
    fast = Evaluator(bundle)
    slow = Evaluator(bundle)
    assert version is not None
    slow._plans[(version.id, action, None)] = _Plan(None, (), frozenset())
    a, b = fast.assess(version, facts, action, at), slow.assess(version, facts, action, at)
    assert [(o.rule.id, o.state, o.missing) for o in a.restricting + a.undetermined] == [
        (o.rule.id, o.state, o.missing) for o in b.restricting + b.undetermined]
