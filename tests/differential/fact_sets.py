"""Random fact sets for a bundle's catalog, drawn where the rules' answers change.

A uniform draw would almost never hit ``credit_score == 600`` or a borrowed amount a
hair under 5,000, which is where an off-by-one or a rounding slip shows. So for every
fact the generator collects the literals the conditions compare it with and draws most
values at, just below or just above one of them (down to 1e-20 for decimals); the rest
are drawn from a wide range. Facts that can really be unknown (no default, not a
``count`` or ``exists``, or an ``expr`` over such a fact) are left unknown (``None``)
now and then. Expr facts such as ``age`` are given directly, as ``evaluate --facts``
allows, so the comparison needs no calendar arithmetic; their inputs (``birth_date``)
are drawn on their own and, once the expr fact is given, read by no rule.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from chronolex.lang import nodes as n
from chronolex.lang.types import Type
from chronolex.model import Bundle

#: Steps away from a threshold that decimals are drawn at (each way).
DECIMAL_STEPS = (Decimal(0), Decimal(1), Decimal("0.01"), Decimal("0.0001"), Decimal("1E-20"))

#: Strings no condition mentions, so that string equality is seen false as well.
OTHER_STRINGS = ("", "engineer", "teacher", "retired", "学生")


@dataclass(frozen=True, slots=True)
class FactSpace:
    """What the generator draws from: each fact's type, the literals conditions compare it
    with, and which facts may be unknown."""

    types: Mapping[str, Type]
    literals: Mapping[str, tuple[object, ...]]
    may_be_unknown: frozenset[str]


def fact_space(bundle: Bundle) -> FactSpace:
    """The space of ``bundle``'s catalog, with the literals of every rule condition."""
    found: dict[str, set[object]] = {name: set() for name in bundle.facts}
    for version in bundle.versions:
        for rule in version.rules:
            for condition in (rule.when, rule.unless):
                if condition is not None:
                    _collect_literals(condition.ast, found)
    return FactSpace(
        types={name: fact.type for name, fact in sorted(bundle.facts.items())},
        literals={name: tuple(sorted(values, key=repr)) for name, values in sorted(found.items())},
        may_be_unknown=frozenset(name for name in bundle.facts if _may_be_unknown(bundle, name)),
    )


def _collect_literals(node: n.Expr, found: dict[str, set[object]]) -> None:
    if isinstance(node, n.Compare):
        pairs = ((node.left, node.right), (node.right, node.left))
        for side, other in pairs:
            if isinstance(side, n.Name) and side.name in found:
                if isinstance(other, n.Literal):
                    found[side.name].add(other.value)
                elif isinstance(other, n.ListExpr):
                    found[side.name].update(i.value for i in other.items if isinstance(i, n.Literal))
    for child in n.children(node):
        _collect_literals(child, found)


def _may_be_unknown(bundle: Bundle, name: str) -> bool:
    """Whether an account's history can leave ``name`` without a value."""
    fact = bundle.facts[name]
    if fact.expr is not None:
        return any(_may_be_unknown(bundle, d) for d in sorted(fact.expr.facts) if d in bundle.facts)
    derivation = fact.derive
    if derivation is None or derivation.aggregation in ("count", "exists"):
        return False
    return not derivation.has_default


def draw_facts(space: FactSpace, rng: random.Random, unknown_rate: float) -> dict[str, object]:
    """One fact set: every fact of the catalog, ``None`` for an unknown one."""
    facts: dict[str, object] = {}
    for name, declared in space.types.items():
        if name in space.may_be_unknown and rng.random() < unknown_rate:
            facts[name] = None
        else:
            facts[name] = _draw(declared, space.literals[name], rng)
    return facts


def _draw(declared: Type, literals: tuple[object, ...], rng: random.Random) -> object:
    kind = declared.name
    near = literals and rng.random() < 0.7
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "enum":
        return rng.choice(declared.values)
    if kind == "string":
        texts = [str(t) for t in literals]
        return rng.choice(texts + [v for t in texts for v in (t.upper(), t.capitalize(), t + " ")]
                          + list(OTHER_STRINGS))
    if kind == "int":
        if near:
            return int(Decimal(str(rng.choice(literals)))) + rng.randint(-2, 2)
        return rng.randint(-5, 1000) if rng.random() < 0.9 else rng.randint(-10**12, 10**12)
    if kind == "decimal":
        if near:
            threshold = Decimal(str(rng.choice(literals)))
            moved = threshold + rng.choice((-1, 1)) * rng.choice(DECIMAL_STEPS)
            return moved.quantize(Decimal("0.01")) if moved == threshold and rng.random() < 0.5 else moved
        if rng.random() < 0.9:
            return Decimal(rng.randint(-10_000, 3_000_000)) / 100
        return Decimal(rng.randint(-10**15, 10**15)).scaleb(-rng.randint(0, 6))
    if kind == "date":
        return date(1940, 1, 1) + timedelta(days=rng.randint(0, 31_000))
    if kind == "datetime":
        return datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randint(0, 10**9))
    raise NotImplementedError(f"no generator for facts of type {declared}")
