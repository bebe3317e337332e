"""Typed AST to SMT formulas: the pass next to the Python compiler that the diff runs.

Every value becomes a pair ``(value, known)`` and every condition a pair of formulas
``(true, false)``: Kleene's unknown is "neither", exactly as the evaluator decides
(:mod:`chronolex.lang.values`). Types map to solver sorts: int → Int, decimal → Real
(exact, where the evaluator rounds past 28 digits), bool → Bool, string and enum →
String, date → Int (the day's ordinal), datetime → Int (microseconds since the epoch,
UTC).

What the solver cannot model exactly (calendar functions such as ``years_between``,
durations, division by anything but a non-zero literal, a date compared with an
instant) is not guessed: the nearest enclosing condition becomes an *opaque* atom, a
pair of free truth values named after its text. Both sides of a diff share an atom
when it reads the same text over the same fact definitions, so an unchanged opaque
condition still proves "no change"; a witness that leans on an opaque atom may fail
the check against the real evaluator, and the diff then says "undecided".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any

import z3

from chronolex.lang import nodes as n
from chronolex.lang.functions import FUNCTIONS
from chronolex.lang.render import render
from chronolex.lang.types import Type
from chronolex.instants import parse_instant

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: Instants and dates a witness may take (the engine's own limits: years 1000-9000).
FIRST_DAY, LAST_DAY = date(1000, 1, 1).toordinal(), date(9000, 12, 31).toordinal()


TRUE = z3.BoolVal(True)
FALSE = z3.BoolVal(False)


def conj(*terms: Any) -> Any:
    """``And`` of ``terms``, folding the constants this module uses (TRUE, FALSE) and
    skipping z3's argument coercion: translation builds many small conjunctions, and the
    Python-side checks of ``z3.And`` were most of its cost."""
    items = [t for t in terms if t is not TRUE]
    if any(t is FALSE for t in items):
        return FALSE
    return _build(z3.Z3_mk_and, items, TRUE)


def disj(*terms: Any) -> Any:
    """``Or`` of ``terms``, folding TRUE and FALSE as :func:`conj` does."""
    items = [t for t in terms if t is not FALSE]
    if any(t is TRUE for t in items):
        return TRUE
    return _build(z3.Z3_mk_or, items, FALSE)


def neg(term: Any) -> Any:
    if term is TRUE:
        return FALSE
    if term is FALSE:
        return TRUE
    return z3.BoolRef(z3.Z3_mk_not(term.ctx.ref(), term.as_ast()), term.ctx)


def _build(make: Any, items: list[Any], empty: Any) -> Any:
    if not items:
        return empty
    if len(items) == 1:
        return items[0]
    ctx = items[0].ctx
    array = (z3.Ast * len(items))(*[t.as_ast() for t in items])
    return z3.BoolRef(make(ctx.ref(), len(items), array), ctx)


class Unsupported(Exception):
    """A construct the solver cannot model exactly; its condition becomes opaque."""


@dataclass(frozen=True, slots=True)
class Value:
    """A translated value: the solver term (None only for lists) and when it is known."""

    term: Any
    known: Any
    sort: str  # int, real, bool, string, day, instant
    items: tuple[Value, ...] = ()


@dataclass(frozen=True, slots=True)
class Truth:
    """A translated condition: when it is true, and when it is false (else unknown)."""

    true: Any
    false: Any


def sort_of(kind: Type) -> str:
    """The solver sort a fact of this type takes."""
    return {
        "int": "int", "decimal": "real", "bool": "bool", "string": "string", "enum": "string",
        "date": "day", "datetime": "instant",
    }.get(kind.name, "unsupported")


def make_var(name: str, sort: str) -> Any:
    if sort in ("int", "day", "instant"):
        return z3.Int(name)
    if sort == "real":
        return z3.Real(name)
    if sort == "bool":
        return z3.Bool(name)
    if sort == "string":
        return z3.String(name)
    raise Unsupported(f"no solver sort for {sort}")


def instant_term(instant: datetime) -> int:
    """An instant as whole microseconds since the epoch (exact)."""
    delta = instant - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_instant_term(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def decimal_term(value: Decimal | int) -> Any:
    fraction = Fraction(value)
    return z3.RealVal(f"{fraction.numerator}/{fraction.denominator}")


#: How a name is resolved on one side: a fact's Value, translated on first use.
Resolver = Callable[[str], Value]
#: How an untranslatable condition becomes an opaque atom: its node → Truth.
Opaque = Callable[[n.Expr], Truth]


class Translator:
    """Translates the typed AST of one side; ``resolve`` gives each fact's value and
    ``opaque`` the atom for a condition the solver cannot model."""

    def __init__(self, resolve: Resolver, opaque: Opaque, now: Any, zone: Any) -> None:
        self.resolve = resolve
        self.opaque = opaque
        self.now = now
        self.zone = zone

    # -- conditions --------------------------------------------------------------------
    def truth(self, node: n.Expr) -> Truth:
        """The condition ``node`` as (true, false); opaque where it cannot be modelled."""
        try:
            return self._truth(node)
        except Unsupported:
            return self.opaque(node)

    def _truth(self, node: n.Expr) -> Truth:
        if isinstance(node, n.BoolOp):
            parts = [self.truth(o) for o in node.operands]
            if node.op == "and":
                return Truth(conj(*[p.true for p in parts]), disj(*[p.false for p in parts]))
            return Truth(disj(*[p.true for p in parts]), conj(*[p.false for p in parts]))
        if isinstance(node, n.Unary) and node.op == "not":
            inner = self.truth(node.operand)
            return Truth(inner.false, inner.true)
        value = self.value(node)
        if value.sort != "bool":
            raise Unsupported("not a condition")
        return Truth(conj(value.known, value.term), conj(value.known, neg(value.term)))

    # -- values ------------------------------------------------------------------------
    def value(self, node: n.Expr) -> Value:
        if isinstance(node, n.Literal):
            return _literal(node)
        if isinstance(node, n.Name):
            return self.resolve(node.name)
        if isinstance(node, n.Now):
            return Value(self.now, TRUE, "instant")
        if isinstance(node, n.ListExpr):
            items = tuple(self.value(i) for i in node.items)
            return Value(None, TRUE, "list", items)
        if isinstance(node, n.Unary):
            if node.op == "not":
                truth = self.truth(node.operand)
                return Value(truth.false, disj(truth.true, truth.false), "bool")
            operand = self.value(node.operand)
            if operand.sort not in ("int", "real"):
                raise Unsupported("negating a non-number")
            return Value(-operand.term, operand.known, operand.sort)
        if isinstance(node, (n.BoolOp, n.Compare)):
            truth = self._truth(node) if isinstance(node, n.BoolOp) else self._compare(node)
            return Value(truth.true, disj(truth.true, truth.false), "bool")
        if isinstance(node, n.Binary):
            return self._arithmetic(node)
        if isinstance(node, n.Call):
            return self._call(node)
        raise Unsupported(type(node).__name__)

    def _compare(self, node: n.Compare) -> Truth:
        left = self.value(node.left)
        if node.op in ("in", "not in"):
            right = self.value(node.right)
            if right.sort != "list":
                raise Unsupported("'in' over a non-literal list")
            found = disj(*[conj(i.known, _equal(left, i)) for i in right.items]) if right.items else FALSE
            some_unknown = disj(*[neg(i.known) for i in right.items]) if right.items else FALSE
            truth = Truth(conj(left.known, found), conj(left.known, neg(found), neg(some_unknown)))
            return truth if node.op == "in" else Truth(truth.false, truth.true)
        right = self.value(node.right)
        known = conj(left.known, right.known)
        if node.op in ("==", "!="):
            holds = _equal(left, right)
        else:
            a, b = _numeric_pair(left, right)
            holds = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[node.op]
        if node.op == "!=":
            holds = neg(holds)
        return Truth(conj(known, holds), conj(known, neg(holds)))

    def _arithmetic(self, node: n.Binary) -> Value:
        left, right = self.value(node.left), self.value(node.right)
        a, b = _numeric_pair(left, right)
        sort = "real" if "real" in (left.sort, right.sort) or node.op == "/" else "int"
        known = conj(left.known, right.known)
        if node.op == "+":
            return Value(a + b, known, sort)
        if node.op == "-":
            return Value(a - b, known, sort)
        if node.op == "*":
            return Value(a * b, known, sort)
        if node.op == "/":
            divisor = node.right
            if not (isinstance(divisor, n.Literal) and divisor.kind in ("int", "decimal") and divisor.value != 0):
                raise Unsupported("division by anything but a non-zero literal")
            return Value(to_real(a) / to_real(b), known, "real")
        raise Unsupported(node.op)

    def _call(self, node: n.Call) -> Value:
        function = FUNCTIONS[node.func]
        if function.literal_arg is not None:
            assert isinstance(node.args[0], n.Literal)
            value = function.impl(self.zone, [function.literal_arg(str(node.args[0].value))])
            if node.func == "date" and isinstance(value, date):
                return Value(z3.IntVal(value.toordinal()), TRUE, "day")
            if node.func == "datetime":
                instant = parse_instant(str(node.args[0].value), self.zone)
                return Value(z3.IntVal(instant_term(instant)), TRUE, "instant")
            raise Unsupported(node.func)
        args = [self.value(a) for a in node.args]
        if node.func in ("is_known", "is_unknown"):
            known = args[0].known
            return Value(known if node.func == "is_known" else neg(known), TRUE, "bool")
        if node.func == "coalesce":
            first, second = args
            if first.sort != second.sort:
                a, b = _numeric_pair(first, second)
                return Value(z3.If(first.known, a, b), disj(first.known, second.known), "real")
            return Value(z3.If(first.known, first.term, second.term), disj(first.known, second.known), first.sort)
        if node.func == "abs":
            (x,) = args
            if x.sort not in ("int", "real"):
                raise Unsupported("abs of a non-number")
            return Value(z3.If(x.term >= 0, x.term, -x.term), x.known, x.sort)
        if node.func in ("min", "max"):
            if any(a.sort not in ("int", "real") for a in args):
                raise Unsupported("min/max of non-numbers")
            sort = "real" if any(a.sort == "real" for a in args) else "int"
            terms = [to_real(a.term) if sort == "real" else a.term for a in args]
            result = terms[0]
            for term in terms[1:]:
                result = z3.If(term < result, term, result) if node.func == "min" else z3.If(term > result, term, result)
            return Value(result, conj(*[a.known for a in args]), sort)
        raise Unsupported(f"{node.func}() has no exact solver model")


def to_real(term: Any) -> Any:
    """``term`` as a Real (an Int term converted; a Real one unchanged)."""
    return z3.ToReal(term) if z3.is_int(term) else term


def _literal(node: n.Literal) -> Value:
    true = TRUE
    if node.kind == "bool":
        return Value(z3.BoolVal(bool(node.value)), true, "bool")
    if node.kind == "int":
        assert isinstance(node.value, int)
        return Value(z3.IntVal(node.value), true, "int")
    if node.kind == "decimal":
        assert isinstance(node.value, (Decimal, int))
        return Value(decimal_term(node.value), true, "real")
    if node.kind == "string":
        return Value(z3.StringVal(str(node.value)), true, "string")
    raise Unsupported(f"literal of kind {node.kind}")


def _numeric_pair(a: Value, b: Value) -> tuple[Any, Any]:
    if a.sort in ("int", "real") and b.sort in ("int", "real"):
        if a.sort != b.sort:
            return to_real(a.term), to_real(b.term)
        return a.term, b.term
    if a.sort == b.sort and a.sort in ("day", "instant"):
        return a.term, b.term
    raise Unsupported(f"ordering {a.sort} and {b.sort}")


def _equal(a: Value, b: Value) -> Any:
    if a.sort == b.sort and a.sort in ("bool", "string", "day", "instant", "int", "real"):
        return a.term == b.term
    if {a.sort, b.sort} <= {"int", "real"}:
        x, y = _numeric_pair(a, b)
        return x == y
    raise Unsupported(f"comparing {a.sort} with {b.sort}")


def atom_name(node: n.Expr) -> str:
    """The text an opaque atom is named after (the condition as written, normalised)."""
    return render(node)
