"""Evaluation at one instant: which rules of the version in force restrict an action.

Every applicable restriction is collected, not only the first. A rule restricts while
time lets it (``active``, ``window``, ``schedule``), its ``when`` is true and its
``unless`` is not true. Under Kleene logic the outcome may be unknown: the rule is then
*undetermined*, listed with the facts it lacks, unless it says ``on_unknown: block``
(it restricts) or ``on_unknown: allow`` (it does not). A block for certain wins over
undetermined rules, which are still listed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from engine.activity import active_by_time
from engine.derive import FactValue, derive_facts, needed_facts
from engine.errors import EvaluationError
from engine.events import AccountHistory
from engine.lang import RUN_TIME_FAULTS, UNKNOWN, CompiledExpr, Context
from engine.lang.bitparallel import FastRules
from engine.lang.fastpath import compile_rules
from engine.model import Bundle, Rule, Version
from engine.versions import select_version

ALLOWED, BLOCKED, UNDETERMINED, NO_POLICY = "allowed", "blocked", "undetermined", "no_policy"


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """A rule that restricts (``state == "restricts"``) or may restrict (``"undetermined"``)."""

    rule: Rule
    state: str
    missing: tuple[str, ...] = ()
    settled_by: str | None = None
    error: str | None = None


class Assessment:
    """The outcome at one instant: the version used and the rules that restrict or may.

    Read-only by convention. A plain slotted class rather than a frozen dataclass: a
    frozen dataclass's ``__init__`` costs a microsecond, a fifth of a whole decision on
    the fast path."""

    __slots__ = ("version", "restricting", "undetermined")

    def __init__(self, version: Version | None, restricting: tuple[RuleOutcome, ...] = (),
                 undetermined: tuple[RuleOutcome, ...] = ()) -> None:
        self.version = version
        self.restricting = restricting
        self.undetermined = undetermined

    def __repr__(self) -> str:
        return f"Assessment({self.version and self.version.id!r}, {self.restricting!r}, {self.undetermined!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Assessment):
            return NotImplemented
        return (self.version, self.restricting, self.undetermined) == (
            other.version, other.restricting, other.undetermined)

    __hash__ = None  # type: ignore[assignment]

    @property
    def decision(self) -> str:
        if self.version is None:
            return NO_POLICY
        if self.restricting:
            return BLOCKED
        return UNDETERMINED if self.undetermined else ALLOWED

    def blocked_by(self, bundle: Bundle) -> tuple[str, ...]:
        categories = dict.fromkeys(o.rule.category for o in self.restricting)
        return tuple(sorted(categories, key=lambda c: (_precedence(bundle, c), c)))

    @property
    def signature(self) -> tuple[object, ...]:
        """What must stay equal for the decision and its reasons to be "the same" (a new
        version that decides alike is no change)."""
        return (
            self.decision,
            tuple(o.rule.id for o in self.restricting),
            tuple(o.rule.id for o in self.undetermined),
        )


def _precedence(bundle: Bundle, category: str) -> int:
    found = bundle.categories.get(category)
    return found.precedence if found else 1_000_000


def _missing(bundle: Bundle, rule: Rule, facts: Mapping[str, FactValue]) -> tuple[str, ...]:
    names: set[str] = set()
    for condition in (rule.when, rule.unless):
        if condition is not None:
            names |= needed_facts(bundle, condition.facts)
    return tuple(sorted(n for n in names if n not in facts or facts[n].unknown))


def assess_rule(bundle: Bundle, rule: Rule, ctx: Context, facts: Mapping[str, FactValue]) -> RuleOutcome | None:
    """How ``rule`` stands in ``ctx`` (time already checked): restricts, undetermined or None.

    ``when and not unless`` under Kleene logic; the common cases (``when`` false, or an
    exemption that holds) return before the rest is evaluated.
    """
    try:
        when = _run(rule.when, ctx) if rule.when is not None else True
        if when is False:
            return None
        unless = _run(rule.unless, ctx) if rule.unless is not None else False
        if unless is True:
            return None
    except RUN_TIME_FAULTS as exc:
        message = str(exc) if isinstance(exc, EvaluationError) else f"{type(exc).__name__}: {exc}"
        return RuleOutcome(rule, "undetermined", _missing(bundle, rule, facts), error=message)
    if when is True and unless is False:
        return RuleOutcome(rule, "restricts")
    if when is not UNKNOWN and unless is not UNKNOWN:  # a condition that is not true or false
        return RuleOutcome(rule, "undetermined", _missing(bundle, rule, facts),
                           error=f"a condition gave {when!r} / {unless!r}, not true or false")
    if rule.on_unknown == "block":
        return RuleOutcome(rule, "restricts", _missing(bundle, rule, facts), settled_by="on_unknown: block")
    if rule.on_unknown == "allow":
        return None
    return RuleOutcome(rule, "undetermined", _missing(bundle, rule, facts))


def _tree(condition: CompiledExpr | None) -> Any:
    return condition.ast if condition is not None else None


def _run(condition: CompiledExpr, ctx: Context) -> object:
    return (condition.unguarded or condition.evaluate)(ctx)


@dataclass(frozen=True)
class _Plan:
    """The compiled fast path of a (version, action): which rule positions it covers."""

    fast: FastRules | None
    order: tuple[int, ...]  # the timeless rules' positions among all the rules
    covered: frozenset[int]  # positions of the rules the fast path decides
    rest: tuple[int, ...] = ()  # positions of the rules the closures decide
    restricts: tuple[RuleOutcome, ...] = ()  # one shared "restricts" outcome per rule
    position: Mapping[str, int] = field(default_factory=dict)  # rule id → index among the rules


@dataclass(frozen=True)
class Point:
    """Everything known about one (account, action, T, K): facts, version and outcome."""

    action: str
    at: datetime
    known_at: datetime | None
    version: Version | None
    facts: Mapping[str, FactValue]
    assessment: Assessment

    @cached_property
    def fact_values(self) -> dict[str, object]:
        return {k: v.value for k, v in self.facts.items()}


@dataclass
class Evaluator:
    """Evaluates one bundle; caches which rules and facts each (version, action) needs."""

    bundle: Bundle
    _rules: dict[tuple[str, str, frozenset[str] | None], tuple[Rule, ...]] = field(default_factory=dict)
    _plans: dict[tuple[str, str, frozenset[str] | None], _Plan] = field(default_factory=dict)
    _facts: dict[tuple[str, str, frozenset[str] | None], frozenset[str]] = field(default_factory=dict)
    _scopes: dict[tuple[tuple[str, ...], str, frozenset[str] | None], tuple[tuple[Rule, ...], frozenset[str]]] = \
        field(default_factory=dict)

    def rules_for(self, version: Version, action: str, only: frozenset[str] | None = None) -> tuple[Rule, ...]:
        """The rules of ``version`` that restrict ``action`` (only those in ``only``, if given),
        in reporting order."""
        key = (version.id, action, only)
        if key not in self._rules:
            bundle = self.bundle
            rules = [r for r in version.rules if action in r.actions and (only is None or r.id in only)]
            self._rules[key] = tuple(sorted(rules, key=lambda r: (_precedence(bundle, r.category), r.id)))
        return self._rules[key]

    def facts_for(self, version: Version, action: str, only: frozenset[str] | None = None) -> frozenset[str]:
        """Every fact those rules read, with what the expr facts among them need."""
        key = (version.id, action, only)
        if key not in self._facts:
            names: set[str] = set()
            for rule in self.rules_for(version, action, only):
                for condition in (rule.when, rule.unless):
                    if condition is not None:
                        names |= condition.facts
            self._facts[key] = needed_facts(self.bundle, names)
        return self._facts[key]

    def walk_scope(self, versions: Sequence[Version], action: str,
                   only: frozenset[str] | None = None) -> tuple[tuple[Rule, ...], frozenset[str]]:
        """The distinct rules of ``versions`` on ``action`` and every fact they read: what a
        walk over time must watch. The same for every account, so worked out once."""
        key = (tuple(v.id for v in versions), action, only)
        if key not in self._scopes:
            rules = {r for v in versions for r in self.rules_for(v, action, only)}
            facts = frozenset().union(*(self.facts_for(v, action, only) for v in versions))
            self._scopes[key] = (tuple(sorted(rules, key=lambda r: (r.id, r.declared_in))), facts)
        return self._scopes[key]

    def version_at(self, at: datetime, known_at: datetime | None) -> Version | None:
        return select_version(self.bundle.versions, at, known_at)

    def _plan(self, version: Version, action: str, only: frozenset[str] | None) -> _Plan:
        key = (version.id, action, only)
        if key not in self._plans:
            rules = self.rules_for(version, action, only)
            restricts = tuple(RuleOutcome(rule, "restricts") for rule in rules)
            timeless = [i for i, r in enumerate(rules) if r.active is None and r.window is None and r.schedule is None]
            conditions = [(_tree(rules[i].when), _tree(rules[i].unless)) for i in timeless]
            fast, covered = compile_rules(conditions, unwrap=True, results=[restricts[i] for i in timeless])
            decided = frozenset(timeless[j] for j in covered)
            self._plans[key] = _Plan(
                fast, tuple(timeless), decided,
                rest=tuple(i for i in range(len(rules)) if i not in decided),
                restricts=restricts,
                position={rule.id: i for i, rule in enumerate(rules)},
            )
        return self._plans[key]

    def assess(self, version: Version | None, facts: Mapping[str, FactValue], action: str, at: datetime,
               only: frozenset[str] | None = None) -> Assessment:
        """Which rules of ``version`` (only those in ``only``, if given) restrict ``action``.

        The timeless rules run as one compiled function while every fact they read is
        known (see :mod:`engine.lang.fastpath`); the others, and all of them when a fact
        is unknown, run through their closures with Kleene logic."""
        if version is None:
            return Assessment(None)
        plan = self._plans.get((version.id, action, only)) or self._plan(version, action, only)
        fired: Sequence[RuleOutcome] | None = None
        if plan.fast is not None:
            try:
                fired = plan.fast(facts)
            except Exception:  # noqa: BLE001 - any fault: the closures will say what it is
                fired = None
            if fired is not None and not plan.rest:  # it decided every rule, in reporting order
                return Assessment(version, tuple(fired))
        zone = self.bundle.timezone
        rules = self.rules_for(version, action, only)
        outcomes: dict[int, RuleOutcome] = {}
        if fired is not None:
            for restricting in fired:
                outcomes[plan.position[restricting.rule.id]] = restricting
        ctx = Context({k: v.value for k, v in facts.items()}, at, zone)
        for index in plan.rest if fired is not None else range(len(rules)):
            rule = rules[index]
            if (rule.active is not None or rule.window is not None or rule.schedule is not None) and not (
                active_by_time(rule, at, zone)
            ):
                continue
            outcome = assess_rule(self.bundle, rule, ctx, facts)
            if outcome is not None:
                outcomes[index] = outcome
        ordered = [outcomes[i] for i in sorted(outcomes)]
        return Assessment(version, tuple(o for o in ordered if o.state == "restricts"),
                          tuple(o for o in ordered if o.state != "restricts"))

    def point(
        self,
        history: AccountHistory,
        action: str,
        at: datetime,
        known_at: datetime | None = None,
        *,
        cutoff: datetime | None = None,
        given: Mapping[str, FactValue] | None = None,
        only: frozenset[str] | None = None,
    ) -> Point:
        """Derive the facts and assess ``action`` at (``at``, ``known_at``); events after
        ``cutoff`` (if given) are not seen, ``given`` fact values replace derived ones, and
        with ``only`` just those rules (and the facts they read) are considered."""
        version = self.version_at(at, known_at)
        names = self.facts_for(version, action, only) if version is not None else frozenset()
        facts = derive_facts(self.bundle, history, at, known_at, names, cutoff=cutoff, given=given)
        return Point(action, at, known_at, version, facts, self.assess(version, facts, action, at, only))

