"""The typed AST of a condition, translated to one SQL expression over per-account values.

The translation starts where the per-account engine ends: every sub-expression that
reads no fact (``now``, literals, ``date(...)``, ``now - duration("P30D")``) is computed
once in Python, by the same compiled closures ``chronolex why`` runs, and enters SQL as a
constant. What is left compares and combines per-account values, so SQL needs only its
own arithmetic, comparisons and three-valued logic, plus a few calendar formulas
(whole years and months between two dates, the 29 February rule included).

A construct whose SQL could differ from Python is refused with :class:`Untranslatable`,
naming where it is and what it is; a test enumerates the language's functions and checks
that each has a translation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from sqlglot import exp

from chronolex.instants import Duration
from chronolex.lang import RUN_TIME_FAULTS, UNKNOWN, Context
from chronolex.lang import nodes as n
from chronolex.lang.compile import compile_expr
from chronolex.lang.render import render
from chronolex.lang.types import Type
from chronolex.lang.values import as_instant
from chronolex.batch.errors import Untranslatable
from chronolex.batch.sql_values import floor_div, literal, null

#: Microseconds in 24 hours: an elapsed day.
DAY_MICROS = 86_400 * 1_000_000


@dataclass(frozen=True, slots=True)
class Const:
    """A value known before the query runs (UNKNOWN included)."""

    value: object


@dataclass(frozen=True, slots=True)
class Value:
    """A per-account value: its SQL and its type (NULL in SQL is unknown)."""

    sql: exp.Expr
    type: Type


Term = Const | Value
#: How a name (a fact, or a field of the event in a ``where``) reads: its SQL and type,
#: or a constant (a name that is never known reads as unknown).
Names = Callable[[str], "Const | Value"]


@dataclass(frozen=True, slots=True)
class Scope:
    """What a translation may read: names, the instant ``now`` and the bundle's zone.
    ``where`` names the place (a rule's condition, a fact) for error messages."""

    names: Names
    now: datetime
    zone: tzinfo
    where: str

    def refuse(self, node: n.Expr, why: str) -> Untranslatable:
        return Untranslatable(f"{self.where}: '{render(node)}' {why}")


def translate(node: n.Expr, scope: Scope) -> exp.Expr:
    """The SQL of ``node`` (a condition or a value) in ``scope``."""
    return sql_of(term(node, scope), node, scope)


def sql_of(value: Term, node: n.Expr, scope: Scope) -> exp.Expr:
    if isinstance(value, Value):
        return value.sql
    if value.value is UNKNOWN:
        return null()
    if isinstance(value.value, (Duration, tuple, list)):
        raise scope.refuse(node, "is a duration or a list, which has no value of its own in SQL")
    return literal(value.value, scope.where)


def term(node: n.Expr, scope: Scope) -> Term:
    """``node`` as a constant (no fact read) or as a per-account SQL value."""
    if not n.names(node):
        try:
            return Const(compile_expr(node)(Context({}, scope.now, scope.zone)))
        except RUN_TIME_FAULTS as exc:
            raise scope.refuse(node, f"fails when it is computed ({exc})") from None
    if isinstance(node, n.Name):
        return scope.names(node.name)
    if isinstance(node, n.Unary):
        operand = translate(node.operand, scope)
        if node.op == "not":
            return Value(exp.Not(this=exp.paren(operand)), _type(node))
        return Value(exp.Neg(this=exp.paren(operand)), _type(node))
    if isinstance(node, n.BoolOp):
        parts = [exp.paren(translate(o, scope)) for o in node.operands]
        joined = exp.and_(*parts) if node.op == "and" else exp.or_(*parts)
        return Value(exp.paren(joined), _type(node))
    if isinstance(node, n.Compare):
        return Value(_compare(node, scope), _type(node))
    if isinstance(node, n.Binary):
        return Value(_arithmetic(node, scope), _type(node))
    if isinstance(node, n.Call):
        return Value(_call(node, scope), _type(node))
    raise scope.refuse(node, "has no translation to SQL")


def _type(node: n.Expr) -> Type:
    assert node.type is not None, "translation runs on checked trees"
    return node.type


_COMPARE = {"==": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}
_FLIPPED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _kind(value: Term) -> str | None:
    """``date`` or ``datetime`` for a temporal value, else None (alignment needs it)."""
    if isinstance(value, Const):
        if isinstance(value.value, datetime):
            return "datetime"
        if isinstance(value.value, date):
            return "date"
        return None
    return value.type.name if value.type.is_temporal else None


def _compare(node: n.Compare, scope: Scope) -> exp.Expr:
    left = term(node.left, scope)
    if node.op in ("in", "not in"):
        found = _membership(node, left, scope)
        return exp.Not(this=exp.paren(found)) if node.op == "not in" else found
    right = term(node.right, scope)
    kinds = {_kind(left), _kind(right)}
    if kinds == {"date", "datetime"}:
        return _mixed_temporal(node, left, right, scope)
    if node.left.type is not None and node.right.type is not None and "list" in (node.left.type.name,
                                                                                   node.right.type.name):
        raise scope.refuse(node, "compares lists, which SQL does not do as the language does")
    return exp.paren(_COMPARE[node.op](this=exp.paren(sql_of(left, node.left, scope)),
                                       expression=exp.paren(sql_of(right, node.right, scope))))


def _membership(node: n.Compare, left: Term, scope: Scope) -> exp.Expr:
    """``left in [items]``: SQL's IN is Kleene's (true if found; else unknown if an item
    or the value is unknown; else false)."""
    if isinstance(node.right, n.ListExpr):
        items = [(term(i, scope), i) for i in node.right.items]
    else:
        right = term(node.right, scope)
        if not isinstance(right, Const) or not isinstance(right.value, (tuple, list)):
            raise scope.refuse(node, "tests membership in something other than a list")
        items = [(Const(v), node.right) for v in right.value]
    kinds = {_kind(left)} | {_kind(t) for t, _ in items}
    if "date" in kinds and "datetime" in kinds:
        raise scope.refuse(node, "mixes dates and date-times in one membership test")
    value = sql_of(left, node.left, scope)
    if not items:
        return exp.Case(ifs=[exp.If(this=exp.Is(this=exp.paren(value), expression=exp.Null()), true=null())],
                        default=exp.Boolean(this=False))
    return exp.paren(exp.In(this=exp.paren(value), expressions=[sql_of(t, i, scope) for t, i in items]))


def _mixed_temporal(node: n.Compare, left: Term, right: Term, scope: Scope) -> exp.Expr:
    """A date compared with a date-time: Python reads the date as the start of its day in
    the bundle zone. Against a constant that is done in Python; a per-account date against
    a constant instant becomes a comparison of dates with a threshold worked out here."""
    op = node.op
    if isinstance(left, Const) and _kind(left) == "date":
        left = Const(as_instant(left.value, scope.zone))
    if isinstance(right, Const) and _kind(right) == "date":
        right = Const(as_instant(right.value, scope.zone))
    if _kind(left) == _kind(right):  # a constant date became an instant
        return exp.paren(_COMPARE[op](this=exp.paren(sql_of(left, node.left, scope)),
                                      expression=exp.paren(sql_of(right, node.right, scope))))
    if isinstance(left, Const) and isinstance(right, Value):
        left, right, op = right, left, _FLIPPED[op]
    if not (isinstance(left, Value) and isinstance(right, Const) and isinstance(right.value, datetime)):
        raise scope.refuse(node, "compares a per-account date with a per-account date-time, which needs "
                                 "the bundle's time zone inside SQL")
    return _date_against_instant(left.sql, op, right.value, scope.zone)


def _start_of_day(day: date, zone: tzinfo) -> datetime:
    start = as_instant(day, zone)
    assert isinstance(start, datetime)
    return start


def _date_against_instant(column: exp.Expr, op: str, instant: datetime, zone: tzinfo) -> exp.Expr:
    """``start_of_day(column) op instant`` as a comparison of dates. The start of a day
    grows with the day, so the dates whose start lies before ``instant`` are those before
    one threshold day."""
    local = instant.astimezone(zone).date()
    first_not_before = local if _start_of_day(local, zone) >= instant else local + timedelta(days=1)
    equal = _start_of_day(first_not_before, zone) == instant
    first_after = first_not_before + timedelta(days=1) if equal else first_not_before

    def day(value: date) -> exp.Expr:
        return literal(value, "")

    value = exp.paren(column.copy())
    if op == "<":
        return exp.paren(exp.LT(this=value, expression=day(first_not_before)))
    if op == ">=":
        return exp.paren(exp.GTE(this=value, expression=day(first_not_before)))
    if op == "<=":
        return exp.paren(exp.LT(this=value, expression=day(first_after)))
    if op == ">":
        return exp.paren(exp.GTE(this=value, expression=day(first_after)))
    matches: exp.Expr = exp.EQ(this=value, expression=day(first_not_before)) if equal else exp.Case(
        ifs=[exp.If(this=exp.Is(this=value.copy(), expression=exp.Null()), true=null())],
        default=exp.Boolean(this=False))
    return exp.paren(matches) if op == "==" else exp.paren(exp.Not(this=exp.paren(matches)))


def _arithmetic(node: n.Binary, scope: Scope) -> exp.Expr:
    left, right = term(node.left, scope), term(node.right, scope)
    for side in (left, right):
        if isinstance(side, Const) and isinstance(side.value, Duration):
            raise scope.refuse(node, "shifts a per-account date by a duration; compare the date with "
                                     "'now - duration(...)' instead, which is computed once")
        if isinstance(side, Value) and not side.type.is_numeric and not side.type.is_open:
            raise scope.refuse(node, f"does arithmetic on a {side.type}")
    if node.op == "/":
        raise scope.refuse(node, "divides per-account values: Python rounds a quotient to 28 significant "
                                 "digits, which no SQL engine reproduces exactly")
    operator = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}[node.op]
    return exp.paren(operator(this=exp.paren(sql_of(left, node.left, scope)),
                              expression=exp.paren(sql_of(right, node.right, scope))))


def _call(node: n.Call, scope: Scope) -> exp.Expr:
    args = [term(a, scope) for a in node.args]
    sqls = [exp.paren(sql_of(t, a, scope)) if not _calendar_function(node.func) else None
            for t, a in zip(args, node.args)]
    name = node.func
    if name == "is_known":
        return exp.paren(exp.Not(this=exp.Is(this=sqls[0], expression=exp.Null())))
    if name == "is_unknown":
        return exp.paren(exp.Is(this=sqls[0], expression=exp.Null()))
    if name == "coalesce":
        return exp.Coalesce(this=sqls[0], expressions=[sqls[1]])
    if name == "abs":
        return exp.Abs(this=sqls[0])
    if name in ("min", "max"):
        present = [s for s in sqls if s is not None]
        any_unknown = exp.or_(*[exp.Is(this=s.copy(), expression=exp.Null()) for s in present])
        pick = exp.Anonymous(this="LEAST" if name == "min" else "GREATEST", expressions=present)
        return exp.Case(ifs=[exp.If(this=exp.paren(any_unknown), true=null())], default=pick)
    if name in ("years_between", "months_between", "days_between"):
        return _calendar(node, args, scope)
    raise scope.refuse(node, f"calls {name}(), which has no translation to SQL")


def _calendar_function(name: str) -> bool:
    return name in ("years_between", "months_between", "days_between")


#: Functions of the language and how they reach SQL (a test checks every function is here).
TRANSLATED_FUNCTIONS = frozenset({
    "is_known", "is_unknown", "coalesce", "abs", "min", "max", "years_between", "months_between",
    "days_between",
    "date", "datetime", "duration",  # literal arguments only: always computed in Python
})


def _calendar(node: n.Call, args: list[Term], scope: Scope) -> exp.Expr:
    """``years_between``, ``months_between``, ``days_between`` (see chronolex.lang.functions).

    Two instants: days are whole elapsed 24-hour days. Otherwise both sides are local
    calendar dates (an instant read in the bundle zone, which needs it to be a constant)."""
    a, b = args
    kinds = (_kind(a), _kind(b))
    if node.func == "days_between" and kinds == ("datetime", "datetime"):
        difference = exp.Sub(this=exp.paren(sql_of(b, node.args[1], scope)),
                             expression=exp.paren(sql_of(a, node.args[0], scope)))
        return floor_div(difference, DAY_MICROS)
    if node.func != "days_between" and kinds == ("datetime", "datetime"):
        raise scope.refuse(node, "counts calendar units between two date-times that vary per account, which "
                                 "needs wall-clock time in the bundle zone inside SQL")
    dates = []
    for value, arg in ((a, node.args[0]), (b, node.args[1])):
        if isinstance(value, Const) and isinstance(value.value, datetime):
            value = Const(value.value.astimezone(scope.zone).date())
        elif isinstance(value, Value) and value.type.name == "datetime":
            raise scope.refuse(node, "reads the local date of a date-time that varies per account, which "
                                     "needs the bundle's time zone inside SQL")
        dates.append(exp.paren(sql_of(value, arg, scope)))
    x, y = dates
    if node.func == "days_between":
        return exp.DateDiff(this=y, expression=x, unit=exp.var("DAY"))
    return _whole_units(x, y, node.func == "years_between")


def _whole_units(x: exp.Expr, y: exp.Expr, years: bool) -> exp.Expr:
    """The greatest n with ``y - n units >= x`` (or, when y < x, the least n with
    ``y - n units <= x``): calendar arithmetic clamping the day to the month's end.

    ``y - k0 units``, for ``k0`` the difference of the year (and month) numbers, falls in
    x's year (month); comparing it with x says whether the answer is k0 or one nearer zero."""
    def part(kind: type[exp.Func], value: exp.Expr) -> exp.Expr:
        made: exp.Expr = kind(this=value.copy())
        return made

    def number(v: int) -> exp.Expr:
        return exp.Literal.number(v)

    def days_in_month(year: exp.Expr, month: exp.Expr) -> exp.Expr:
        return exp.Day(this=exp.LastDay(this=exp.DateFromParts(year=year, month=month, day=number(1))))

    shifted: exp.Expr
    origin: exp.Expr
    year_gap = exp.Sub(this=part(exp.Year, y), expression=part(exp.Year, x))
    if years:
        k0: exp.Expr = exp.paren(year_gap)
        day = exp.Anonymous(this="LEAST", expressions=[
            part(exp.Day, y), days_in_month(part(exp.Year, x), part(exp.Month, y))])
        shifted = exp.Add(this=exp.Mul(this=part(exp.Month, y), expression=number(100)), expression=day)
        origin = exp.Add(this=exp.Mul(this=part(exp.Month, x), expression=number(100)), expression=part(exp.Day, x))
    else:
        k0 = exp.paren(exp.Add(this=exp.Mul(this=exp.paren(year_gap), expression=number(12)),
                               expression=exp.Sub(this=part(exp.Month, y), expression=part(exp.Month, x))))
        shifted = exp.Anonymous(this="LEAST", expressions=[
            part(exp.Day, y), days_in_month(part(exp.Year, x), part(exp.Month, x))])
        origin = part(exp.Day, x)
    forward = exp.Sub(this=k0.copy(), expression=exp.Case(
        ifs=[exp.If(this=exp.LT(this=shifted.copy(), expression=origin.copy()), true=number(1))], default=number(0)))
    backward = exp.Add(this=k0.copy(), expression=exp.Case(
        ifs=[exp.If(this=exp.GT(this=shifted.copy(), expression=origin.copy()), true=number(1))], default=number(0)))
    return exp.Case(ifs=[exp.If(this=exp.GTE(this=y.copy(), expression=x.copy()), true=exp.paren(forward))],
                    default=exp.paren(backward))
