"""Hypothesis strategies shared by the tests: condition ASTs, fact values, instants."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from chronolex.lang import nodes as n
from chronolex.lang import types as t
from chronolex.lang.values import UNKNOWN

ZONES = ("Asia/Shanghai", "America/New_York", "Europe/Berlin", "UTC")

#: The catalog the generated ASTs are typed against.
CATALOG: dict[str, t.Type] = {
    "score": t.INT,
    "days": t.INT,
    "amount": t.DECIMAL,
    "verified": t.BOOL,
    "frozen": t.BOOL,
    "occupation": t.STRING,
    "status": t.enum_of(["active", "frozen", "closed"]),
    "birth_date": t.DATE,
    "seen_at": t.DATETIME,
}

small_ints = st.integers(min_value=0, max_value=10_000)
decimals = st.decimals(min_value=0, max_value=10_000, places=2, allow_nan=False, allow_infinity=False)
safe_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)


def _name(fact: str) -> st.SearchStrategy[n.Expr]:
    return st.just(n.Name(fact))


def num_exprs(depth: int = 3) -> st.SearchStrategy[n.Expr]:
    leaves: st.SearchStrategy[n.Expr] = st.one_of(
        small_ints.map(lambda v: n.Literal(v, "int")),
        decimals.map(lambda v: n.Literal(v, "decimal")),
        _name("score"),
        _name("days"),
        _name("amount"),
    )
    if depth <= 0:
        return leaves
    sub = num_exprs(depth - 1)
    return st.one_of(
        leaves,
        st.builds(lambda op, a, b: n.Binary(op, a, b), st.sampled_from(["+", "-", "*", "/"]), sub, sub),
        sub.map(lambda a: n.Unary("-", a)),
        st.builds(lambda f, a, b: n.Call(f, (a, b)), st.sampled_from(["min", "max", "coalesce"]), sub, sub),
        sub.map(lambda a: n.Call("abs", (a,))),
        st.just(n.Call("years_between", (n.Name("birth_date"), n.Now()))),
        st.just(n.Call("days_between", (n.Name("seen_at"), n.Now()))),
    )


def bool_exprs(depth: int = 3) -> st.SearchStrategy[n.Expr]:
    status_values = st.sampled_from(["active", "frozen", "closed"])
    leaves: st.SearchStrategy[n.Expr] = st.one_of(
        st.booleans().map(lambda v: n.Literal(v, "bool")),
        _name("verified"),
        _name("frozen"),
        st.builds(
            lambda op, v: n.Compare(op, n.Name("status"), n.Literal(v, "string")), st.sampled_from(["==", "!="]),
            status_values,
        ),
        st.builds(
            lambda op, v: n.Compare(op, n.Name("occupation"), n.Literal(v, "string")),
            st.sampled_from(["==", "!="]), safe_text,
        ),
        st.builds(
            lambda op, vs: n.Compare(op, n.Name("status"), n.ListExpr(tuple(n.Literal(v, "string") for v in vs))),
            st.sampled_from(["in", "not in"]), st.lists(status_values, max_size=3),
        ),
        st.sampled_from(["score", "amount", "birth_date", "occupation", "status"]).map(
            lambda f: n.Call("is_unknown", (n.Name(f),))
        ),
        st.just(n.Compare("<", n.Name("birth_date"), n.Binary("-", n.Now(), n.Call("duration", (n.Literal("P18Y", "string"),))))),
        st.just(n.Compare(">=", n.Name("seen_at"), n.Call("date", (n.Literal("2026-02-28", "string"),)))),
    )
    if depth <= 0:
        return leaves
    sub = bool_exprs(depth - 1)
    nums = num_exprs(depth - 1)
    return st.one_of(
        leaves,
        st.builds(lambda op, a, b: n.Compare(op, a, b), st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), nums, nums),
        st.builds(lambda op, xs: n.BoolOp(op, tuple(xs)), st.sampled_from(["and", "or"]), st.lists(sub, min_size=2, max_size=3)),
        sub.map(lambda a: n.Unary("not", a)),
    )


def instants() -> st.SearchStrategy[datetime]:
    return st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(timezone.utc)
    )


def zones() -> st.SearchStrategy[ZoneInfo]:
    return st.sampled_from(ZONES).map(ZoneInfo)


def _maybe(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(st.just(UNKNOWN), strategy)


def fact_values() -> st.SearchStrategy[dict[str, object]]:
    """Values for every fact of :data:`CATALOG`, each possibly unknown."""
    return st.fixed_dictionaries(
        {
            "score": _maybe(st.integers(min_value=-1000, max_value=1000)),
            "days": _maybe(st.integers(min_value=0, max_value=400)),
            "amount": _maybe(st.decimals(min_value=-10_000, max_value=10_000, places=2)),
            "verified": _maybe(st.booleans()),
            "frozen": _maybe(st.booleans()),
            "occupation": _maybe(st.sampled_from(["student", "engineer", ""])),
            "status": _maybe(st.sampled_from(["active", "frozen", "closed"])),
            "birth_date": _maybe(st.dates(min_value=date(1940, 1, 1), max_value=date(2026, 12, 31))),
            "seen_at": _maybe(instants()),
        }
    )


__all__ = ["CATALOG", "bool_exprs", "fact_values", "instants", "num_exprs", "zones", "timedelta", "Decimal"]


#: Kleene's truth tables for ``and`` and ``or``: (a, b, a and b, a or b). Every
#: evaluator of the condition language (closures, interpreter, solver) must follow them.
KLEENE_AND_OR = [
    (True, True, True, True),
    (True, False, False, True),
    (False, False, False, False),
    (True, UNKNOWN, UNKNOWN, True),
    (False, UNKNOWN, False, UNKNOWN),
    (UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN),
    (UNKNOWN, False, False, UNKNOWN),
    (UNKNOWN, True, UNKNOWN, True),
]
