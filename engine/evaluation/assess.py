"""Evaluation at one instant: which rules of the version in force restrict an action.

Every applicable restriction is collected, not only the first. A rule restricts while
time lets it (``active``, ``window``, ``schedule``), its ``when`` is true and its
``unless`` is not true. Under Kleene logic the outcome may be unknown: the rule is then
*undetermined*, listed with the facts it lacks, unless it says ``on_unknown: block``
(it restricts) or ``on_unknown: allow`` (it does not). A block for certain wins over
undetermined rules, which are still listed.
"""

from __future__ import annotations

import enum

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from chronolex.time.activity import active_by_time
from chronolex.evaluation.facts import FactValue, derive_facts, needed_facts
from chronolex.errors import EvaluationError
from chronolex.events.event import AccountHistory
from chronolex.lang import RUN_TIME_FAULTS, UNKNOWN, CompiledExpr, Context
from chronolex.lang.compile import Closure
from chronolex.model import Bundle, Rule, Version
from chronolex.time.versions import select_version



class Verdict(enum.StrEnum):
    """A decision's outcome: ``allowed``, ``blocked``, ``undetermined`` (nothing blocks for
    certain, but a rule lacks a fact) or ``no_policy`` (no version in force)."""

    ALLOWED = "allowed"
    BLOCKED = "blocked"
    UNDETERMINED = "undetermined"
    NO_POLICY = "no_policy"


ALLOWED, BLOCKED, UNDETERMINED, NO_POLICY = Verdict


class RuleState(enum.StrEnum):
    """How one rule stands: it ``restricts``, or it is ``undetermined`` for want of a fact."""

    RESTRICTS = "restricts"
    UNDETERMINED = "undetermined"


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """A rule that restricts (``state == "restricts"``) or may restrict (``"undetermined"``)."""

    rule: Rule
    state: RuleState
    missing: tuple[str, ...] = ()
    settled_by: str | None = None
    error: str | None = None


class Assessment:
    """The outcome at one instant: the version used and the rules that restrict or may.

    Read-only by convention. A plain slotted class rather than a frozen dataclass: a
    replay builds millions of them, and a frozen dataclass's ``__init__`` costs about a
    microsecond more each."""

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
    except RUN_TIME_FAULTS as exc:
        return _fault(bundle, rule, exc, facts)
    return _settle(bundle, rule, when, unless, facts)


def _fault(bundle: Bundle, rule: Rule, exc: Exception, facts: Mapping[str, FactValue]) -> RuleOutcome:
    """A condition that failed at run time: the rule is undetermined, with the fault."""
    message = str(exc) if isinstance(exc, EvaluationError) else f"{type(exc).__name__}: {exc}"
    return RuleOutcome(rule, RuleState.UNDETERMINED, _missing(bundle, rule, facts), error=message)


def _settle(bundle: Bundle, rule: Rule, when: object, unless: object,
            facts: Mapping[str, FactValue]) -> RuleOutcome | None:
    """The outcome from the values of ``when`` (not false) and ``unless``, under Kleene
    logic and the rule's ``on_unknown``."""
    if unless is True:
        return None
    if when is True and unless is False:
        return RuleOutcome(rule, RuleState.RESTRICTS)
    if when is not UNKNOWN and unless is not UNKNOWN:  # a condition that is not true or false
        return RuleOutcome(rule, RuleState.UNDETERMINED, _missing(bundle, rule, facts),
                           error=f"a condition gave {when!r} / {unless!r}, not true or false")
    if rule.on_unknown == "block":
        return RuleOutcome(rule, RuleState.RESTRICTS, _missing(bundle, rule, facts), settled_by="on_unknown: block")
    if rule.on_unknown == "allow":
        return None
    return RuleOutcome(rule, RuleState.UNDETERMINED, _missing(bundle, rule, facts))


def _run(condition: CompiledExpr, ctx: Context) -> object:
    return (condition.unguarded or condition.evaluate)(ctx)


#: A rule ready to assess: the rule, its ``when`` and ``unless`` closures, whether time
#: bounds it, and its shared "restricts" outcome.
_Compiled = tuple[Rule, Closure | None, Closure | None, bool, RuleOutcome]


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


class Evaluator:
    """Evaluates one bundle; caches which rules and facts each (version, action) needs.

    A plain class: its caches are not part of what it is (a dataclass would compare and
    print them)."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self._rules: dict[tuple[str, str, frozenset[str] | None], tuple[Rule, ...]] = {}
        self._facts: dict[tuple[str, str, frozenset[str] | None], frozenset[str]] = {}
        self._closures: dict[tuple[str, str, frozenset[str] | None], tuple[_Compiled, ...]] = {}
        self._scopes: dict[tuple[tuple[str, ...], str, frozenset[str] | None],
                           tuple[tuple[Rule, ...], frozenset[str]]] = {}

    def __repr__(self) -> str:
        return f"Evaluator({self.bundle.name!r})"

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

    def assess(self, version: Version | None, facts: Mapping[str, FactValue], action: str, at: datetime,
               only: frozenset[str] | None = None) -> Assessment:
        """Which rules of ``version`` (only those in ``only``, if given) restrict ``action``,
        each rule's ``when`` and ``unless`` run as compiled closures under Kleene logic."""
        if version is None:
            return Assessment(None)
        zone = self.bundle.timezone
        ctx = Context({k: v.value for k, v in facts.items()}, at, zone)
        restricting: list[RuleOutcome] = []
        undetermined: list[RuleOutcome] = []
        for rule, when, unless, timed, restricts in self._compiled(version, action, only):
            if timed and not active_by_time(rule, at, zone):
                continue
            try:  # assess_rule, unrolled: closures unwrapped once, the plain block shared
                held = when(ctx) if when is not None else True
                if held is False:
                    continue
                exempt = unless(ctx) if unless is not None else False
            except RUN_TIME_FAULTS as exc:
                outcome: RuleOutcome | None = _fault(self.bundle, rule, exc, facts)
            else:
                if held is True and exempt is False:
                    restricting.append(restricts)
                    continue
                outcome = _settle(self.bundle, rule, held, exempt, facts)
            if outcome is not None:
                (restricting if outcome.state is RuleState.RESTRICTS else undetermined).append(outcome)
        return Assessment(version, tuple(restricting), tuple(undetermined))

    def _compiled(self, version: Version, action: str, only: frozenset[str] | None) -> tuple[_Compiled, ...]:
        """The rules of (version, action) with their closures unwrapped, once."""
        key = (version.id, action, only)
        found = self._closures.get(key)
        if found is None:
            found = tuple(
                (rule,
                 (rule.when.unguarded or rule.when.evaluate) if rule.when is not None else None,
                 (rule.unless.unguarded or rule.unless.evaluate) if rule.unless is not None else None,
                 rule.active is not None or rule.window is not None or rule.schedule is not None,
                 RuleOutcome(rule, RuleState.RESTRICTS))
                for rule in self.rules_for(version, action, only)
            )
            self._closures[key] = found
        return found

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
        unchanged: Mapping[str, FactValue] | None = None,
    ) -> Point:
        """Derive the facts and assess ``action`` at (``at``, ``known_at``); events after
        ``cutoff`` (if given) are not seen, ``given`` fact values replace derived ones, and
        with ``only`` just those rules (and the facts they read) are considered.
        ``unchanged`` holds derived values known to be the same at ``at`` (see
        :func:`~chronolex.evaluation.facts.derive_facts`)."""
        version = self.version_at(at, known_at)
        names = self.facts_for(version, action, only) if version is not None else frozenset()
        facts = derive_facts(self.bundle, history, at, known_at, names, cutoff=cutoff, given=given,
                             unchanged=unchanged)
        return Point(action, at, known_at, version, facts, self.assess(version, facts, action, at, only))

