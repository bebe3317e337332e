"""Each side's decision for an action as solver formulas over fact variables both sides share."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

import z3

from chronolex.lang import nodes as n
from chronolex.lang.render import render
from chronolex.lang.smt import (
    FALSE,
    TRUE,
    conj,
    disj,
    neg,
    FIRST_DAY,
    LAST_DAY,
    Translator,
    Truth,
    Unsupported,
    Value,
    instant_term,
    make_var,
    sort_of,
)
from chronolex.model import Bundle, Rule, Schedule
from chronolex.diff.sides import Side


#: The instants the solver's time variable ranges over (the supported years, a day in).
FIRST_INSTANT = datetime(1000, 1, 2, tzinfo=timezone.utc)
LAST_INSTANT = datetime(9000, 12, 30, tzinfo=timezone.utc)


# -- shared variables ----------------------------------------------------------------------


class Variables:
    """The solver variables both sides share: facts, opaque atoms, schedules and ``now``."""

    def __init__(self) -> None:
        self.now = z3.Int("now")
        self.facts: dict[tuple[str, str], Value] = {}
        self.owners: dict[tuple[str, str], str] = {}  # variable → the fact name a witness gives
        self.atoms: dict[str, Truth] = {}
        self.atom_texts: dict[str, str] = {}
        self.schedules: dict[tuple[object, ...], Any] = {}
        self.domain: list[Any] = [self.now >= instant_term(FIRST_INSTANT), self.now < instant_term(LAST_INSTANT)]

    def fact(self, key: tuple[str, str], name: str, sort: str, always_known: bool, minimum: int | None,
             values: tuple[str, ...]) -> Value:
        if key not in self.facts:
            index = len(self.facts)
            term = make_var(f"{name}#{index}", sort)
            known = TRUE if always_known else z3.Bool(f"{name}#{index}.known")
            if sort == "day":
                self.domain += [term >= FIRST_DAY, term <= LAST_DAY]
            if sort == "instant":
                self.domain += [term >= instant_term(FIRST_INSTANT), term < instant_term(LAST_INSTANT)]
            if minimum is not None:
                self.domain.append(term >= minimum)
            if values:
                self.domain.append(disj(*[term == z3.StringVal(v) for v in values]))
            self.facts[key] = Value(term, known, sort)
            self.owners[key] = name
        return self.facts[key]

    def atom(self, key: str, text: str) -> Truth:
        if key not in self.atoms:
            index = len(self.atoms)
            true, false = z3.Bool(f"atom#{index}.true"), z3.Bool(f"atom#{index}.false")
            self.domain.append(neg(conj(true, false)))
            self.atoms[key] = Truth(true, false)
            self.atom_texts[key] = text
        return self.atoms[key]

    def schedule(self, key: tuple[object, ...]) -> Any:
        if key not in self.schedules:
            self.schedules[key] = z3.Bool(f"schedule#{len(self.schedules)}")
        return self.schedules[key]


def _fact_key(bundle: Bundle, name: str) -> str:
    """What a fact means on one side, as far as a shared variable goes: its type, and for
    an ``expr`` fact its expression."""
    fact = bundle.facts[name]
    definition = render(fact.expr.ast) if fact.expr is not None else ""
    return f"{fact.type}|{definition}"


class SideFormulas:
    """One side's facts and rules as formulas, built on the shared variables."""

    def __init__(self, side: Side, variables: Variables) -> None:
        self.side = side
        self.bundle = side.bundle
        self.variables = variables
        self.translator = Translator(self._resolve, self._opaque, variables.now, side.bundle.timezone)
        self._values: dict[str, Value] = {}
        self._rules: dict[Rule, tuple[Any, Any]] = {}
        self._meanings: dict[tuple[object, ...], tuple[Any, Any]] = {}
        self._resolving: set[str] = set()
        self._deps: dict[str, frozenset[tuple[str, str]]] = {}
        #: The fact variables each rule's formulas read (facts behind inlined expr facts included).
        self.reads: dict[Rule, frozenset[tuple[str, str]]] = {}

    def _resolve(self, name: str) -> Value:
        if name in self._values:
            return self._values[name]
        fact = self.bundle.facts.get(name)
        if fact is None:
            raise Unsupported(f"unknown fact {name}")
        sort = sort_of(fact.type)
        value: Value | None = None
        if fact.expr is not None and name not in self._resolving:
            self._resolving.add(name)
            try:
                value = self.translator.value(fact.expr.ast)
                if value.sort != sort and {value.sort, sort} != {"int", "real"}:
                    value = None
                else:
                    self._deps[name] = self.deps(n.names(fact.expr.ast))
            except Unsupported:
                value = None
            finally:
                self._resolving.discard(name)
        if value is None:
            if sort == "unsupported":
                raise Unsupported(f"fact {name} of type {fact.type}")
            derive = fact.derive
            always = derive is not None and derive.always_known
            minimum = 0 if derive is not None and derive.aggregation in ("count", "days_since") else None
            key = (name, _fact_key(self.bundle, name))
            value = self.variables.fact(key, name, sort, always, minimum,
                                        fact.type.values if fact.type.name == "enum" else ())
            self._deps[name] = frozenset({key})
        self._values[name] = value
        return value

    def deps(self, names: Iterable[str]) -> frozenset[tuple[str, str]]:
        """The fact variables behind ``names`` (each already resolved)."""
        found: set[tuple[str, str]] = set()
        for name in names:
            found |= self._deps.get(name, frozenset())
        return frozenset(found)

    def _opaque(self, node: n.Expr) -> Truth:
        text = render(node)
        definitions = ",".join(f"{name}={_fact_key(self.bundle, name)}" for name in sorted(n.names(node))
                               if name in self.bundle.facts)
        return self.variables.atom(f"{text}|{definitions}", text)

    def rule(self, rule: Rule) -> tuple[Any, Any]:
        """(restricts, undetermined) of ``rule``, its time aside."""
        cached = self._rules.get(rule)
        if cached is not None:
            return cached
        meaning = (rule.when.ast if rule.when else None, rule.unless.ast if rule.unless else None, rule.on_unknown)
        same = self._meanings.get(meaning)
        if same is not None:  # the same conditions in another version: the same terms
            self._rules[rule] = same
            self.reads[rule] = self.deps(
                name for c in (rule.when, rule.unless) if c is not None for name in n.names(c.ast))
            return same
        true, false = TRUE, FALSE
        when = self.translator.truth(rule.when.ast) if rule.when is not None else Truth(true, false)
        unless = self.translator.truth(rule.unless.ast) if rule.unless is not None else Truth(false, true)
        settled = conj(when.true, unless.false)
        pending = conj(neg(when.false), neg(unless.true), neg(settled))
        restricts = disj(settled, pending) if rule.on_unknown == "block" else settled
        undetermined = pending if rule.on_unknown == "undetermined" else false
        result = (z3.simplify(restricts), z3.simplify(undetermined))
        self._rules[rule] = result
        self._meanings[meaning] = result
        self.reads[rule] = self.deps(
            name for c in (rule.when, rule.unless) if c is not None for name in n.names(c.ast))
        return result


def schedule_key(schedule: Schedule, bundle: Bundle) -> tuple[object, ...]:
    return (schedule.rrule, schedule.duration.text, schedule.start, str(bundle.timezone))
