"""Readable regions around a witness: for each fact, the interval of values that gives the same finding."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any, Union

import z3

from chronolex.lang.smt import (
    conj,
    neg,
    FIRST_DAY,
    LAST_DAY,
    Value,
    decimal_term,
    from_instant_term,
    instant_term,
)
from chronolex.instants import format_instant
from chronolex.diff.semantic.encode import FIRST_INSTANT, LAST_INSTANT, Variables
from chronolex.diff.semantic.result import Witness


# -- readable regions --------------------------------------------------------------------------


def readable_region(solver: z3.Solver, variables: Variables, keys: Sequence[tuple[str, str]], witness: Witness,
            limit: int, constants: Mapping[str, Sequence[Fraction]]) -> tuple[str, ...]:
    """The region of fact values where the difference holds, one fact at a time: each of
    ``keys`` whose possible values there are narrower than its type allows."""
    parts: list[str] = []
    for key in keys:
        if len(parts) >= limit:
            break
        value, name = variables.facts[key], variables.owners[key]
        text = _project(solver, name, value, witness, constants)
        if text:
            parts.append(text)
    return tuple(parts)


def _project(solver: z3.Solver, name: str, value: Value, witness: Witness,
             constants: Mapping[str, Sequence[Fraction]]) -> str | None:
    def can(extra: Any) -> bool:
        solver.push()
        solver.add(extra)
        verdict = solver.check()
        solver.pop()
        return bool(verdict == z3.sat)

    if not can(value.known):
        return f"{name} unknown"
    may_be_unknown = not z3.is_true(value.known) and can(neg(value.known))
    suffix = " (or unknown)" if may_be_unknown else ""
    if value.sort == "bool":
        can_true, can_false = can(conj(value.known, value.term)), can(conj(value.known, neg(value.term)))
        if can_true != can_false:
            return f"{name} is {'true' if can_true else 'false'}{suffix}"
        return None
    if value.sort == "string":
        seen = witness.facts.get(name)
        if isinstance(seen, str) and not can(conj(value.known, value.term != z3.StringVal(seen))):
            return f'{name} == "{seen}"{suffix}'
        return None
    whole = value.sort != "real"
    steps = (-1, 0, 1) if whole else (0,)
    points = sorted({c + d for c in constants.get(name, ()) for d in steps} | {Fraction(0)})
    low = _edge(can, value, points, lower=True)
    high = _edge(can, value, points, lower=False)
    if low == "unclear" or high == "unclear" or (low is None and high is None):
        return None
    return f"{name} in {_interval(low, high, value.sort)}{suffix}"


_FAR = 10**15


Edge = Union[Fraction, tuple[str, Fraction], str, None]


def _edge(can: Any, value: Value, points: list[Fraction], *, lower: bool) -> Edge:
    """The least (``lower``) or greatest value the fact takes in the region: found by
    bisection over the constants it is compared with (±1 for whole numbers), each step
    one incremental check. None when unbounded; ``("open", q)`` for a decimal that
    approaches the next constant q without reaching it (``x < 10000``); "unclear" when the
    edge is not at such a constant."""
    term, known = value.term, value.known
    edge_of_domain = _domain_edge(value.sort, lower)
    if edge_of_domain is None:
        if can(conj(known, term < -_FAR if lower else term > _FAR)):
            return None
    elif can(conj(known, term == edge_of_domain)):
        return None  # reaches the edge of its type: no narrower than the type says
    candidates = points if lower else points[::-1]

    def number(p: Fraction) -> Any:
        return int(p) if value.sort != "real" else decimal_term(Decimal(p.numerator) / Decimal(p.denominator))

    def reached(p: Fraction) -> bool:
        return bool(can(conj(known, term <= number(p) if lower else term >= number(p))))
    lo, hi = 0, len(candidates)
    while lo < hi:  # first candidate whose half-line meets the region (monotone)
        mid = (lo + hi) // 2
        if reached(candidates[mid]):
            hi = mid
        else:
            lo = mid + 1
    if lo == len(candidates):
        return "unclear"
    found = candidates[lo]
    if value.sort == "real":
        beyond = term < number(found) if lower else term > number(found)
        if can(conj(known, beyond)):  # the edge lies past ``found``, short of the next constant
            return _approached(can, value, candidates[lo - 1] if lo > 0 else None, found, number)
        return found
    beyond = term <= int(found) - 1 if lower else term >= int(found) + 1
    if can(conj(known, beyond)):
        return "unclear"
    return found


def _approached(can: Any, value: Value, limit: Fraction | None, found: Fraction, number: Any) -> Edge:
    """``("open", limit)`` when the decimal fills the gap from ``found`` up to (not
    including) ``limit``: values just short of it, and halfway, are in the region."""
    if limit is None:
        return "unclear"
    gap = limit - found
    probes = [found + gap / 2, limit - gap / 1000]
    if all(can(conj(value.known, value.term == number(p))) for p in probes):
        return ("open", limit)
    return "unclear"


def _domain_edge(sort: str, lower: bool) -> int | None:
    if sort == "day":
        return FIRST_DAY if lower else LAST_DAY
    if sort == "instant":
        return instant_term(FIRST_INSTANT) if lower else instant_term(LAST_INSTANT) - 1
    return None


def _interval(low: Edge, high: Edge, sort: str) -> str:
    def show(number: Fraction) -> str:
        if sort == "day":
            return date.fromordinal(int(number)).isoformat()
        if sort == "instant":
            return format_instant(from_instant_term(int(number)), timezone.utc)
        if number.denominator == 1:
            return str(number.numerator)
        return str(Decimal(number.numerator) / Decimal(number.denominator))

    if isinstance(low, tuple):
        left = f"({show(low[1])}"
    else:
        left = f"[{show(low)}" if isinstance(low, Fraction) else "(-inf"
    if isinstance(high, tuple):
        right = f"{show(high[1])})"
    elif sort == "real":
        right = f"{show(high)}]" if isinstance(high, Fraction) else "inf)"
    else:  # whole numbers: the upper bound said half-open, as intervals are everywhere else
        right = f"{show(high + 1)})" if isinstance(high, Fraction) else "inf)"
    return f"{left}, {right}"


def spans_text(spans: Iterable[tuple[datetime, datetime | None]], zone: Any) -> list[str]:
    """Spans as ``start – end`` in the bundle timezone (for renderers)."""
    return [f"{format_instant(s, zone)} – {format_instant(e, zone) if e else 'open end'}" for s, e in spans]
