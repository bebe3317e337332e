"""Impact of a policy change on accounts: replay every account at one instant under OLD and NEW.

``chronolex diff OLD NEW --accounts`` answers the reviewer's last question, "who is
affected?". Every account of an event source is decided at ``at`` under both sides
(with everything known, seeing no event after ``at``), and each pair of decisions is
classified as one :data:`FLIP_KINDS` or as no change. The result counts flips per
action and, per rule, the accounts that the rule newly restricts or no longer
restricts, with a few example accounts each, and lists every affected account: the
people a platform must notify before the change takes effect.

How a side decides (see :class:`SideJudge`): a side pinned to a version decides with
that version as if it were in force; a whole bundle decides with the version its own
selection puts in force at ``at``.

Actions: by default the union of both bundles' actions (NEW's in its order, then
those only OLD declares). An action a bundle does not declare is restricted by none
of its rules, so that side decides it as the evaluator would: ``allowed`` (or
``no_policy`` when no version is in force). The union is chosen over the
intersection because an action added or dropped is itself a change a reviewer must
see; :attr:`ActionImpact.in_old` and :attr:`ActionImpact.in_new` say which side
declares it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from chronolex.evaluation.facts import FactValue, derive_facts
from chronolex.errors import ChronolexError
from chronolex.evaluation.assess import BLOCKED, Assessment, Evaluator
from chronolex.events.event import AccountHistory, EventSource
from chronolex.model import Bundle, Rule, Version
from chronolex.diff.sides import Side
from chronolex.instants import format_instant

__all__ = [
    "CATEGORIES_CHANGED",
    "FLIP_KINDS",
    "NEWLY_BLOCKED",
    "OTHER",
    "UNBLOCKED",
    "ActionImpact",
    "Impact",
    "RuleImpact",
    "SideJudge",
    "Tally",
    "Transition",
    "classify_flip",
    "impact",
    "impact_actions",
    "judges",
    "rules_alike",
]

#: ``categories-changed`` is not the semantic diff's ``category-changed`` (the leading
#: category of a block differs): an account flips when the *set* of categories that
#: block it differs, so a block that gains a maintenance window is a flip here.
NEWLY_BLOCKED, UNBLOCKED, CATEGORIES_CHANGED, OTHER = "newly-blocked", "unblocked", "categories-changed", "other"
#: Every kind of flip, in reporting order.
FLIP_KINDS = (NEWLY_BLOCKED, UNBLOCKED, CATEGORIES_CHANGED, OTHER)


def classify_flip(old: Assessment, new: Assessment, old_bundle: Bundle, new_bundle: Bundle) -> str | None:
    """The kind of flip from ``old`` to ``new``, or None when the decision is the same.

    Blocked on both sides with other categories is ``categories-changed`` (the categories
    are compared as sets: the same categories in another precedence order are the same
    block); any other change of decision (``allowed`` to ``undetermined``, ``no_policy``
    to ``allowed``) is ``other``.
    """
    was, now = old.decision == BLOCKED, new.decision == BLOCKED
    if now and not was:
        return NEWLY_BLOCKED
    if was and not now:
        return UNBLOCKED
    if was and now:
        if set(old.blocked_by(old_bundle)) != set(new.blocked_by(new_bundle)):
            return CATEGORIES_CHANGED
        return None
    return OTHER if old.decision != new.decision else None


def rules_alike(first: Rule, second: Rule) -> bool:
    """Whether two rules restrict alike: the fields that decide, not titles, texts or spans.

    Conditions are compared by their typed AST, so a condition reformatted is the same."""
    return _meaning(first) == _meaning(second)


def _meaning(rule: Rule) -> tuple[object, ...]:
    return (
        rule.category,
        frozenset(rule.actions),
        rule.when.ast if rule.when is not None else None,
        rule.unless.ast if rule.unless is not None else None,
        rule.on_unknown,
        rule.active,
        rule.window,
        rule.schedule,
    )


class SideJudge:
    """Decides on one side of a diff, reusing one :class:`Evaluator` (and its caches).

    ``version(at, known_at)`` is the version that decides; ``names(version, actions)``
    the facts those actions' rules read; ``assess`` decides one action from derived
    facts, treating an action the bundle does not declare as restricted by nothing.
    """

    def __init__(self, side: Side, evaluator: Evaluator | None = None) -> None:
        self.side = side
        self.bundle = side.bundle
        self.evaluator = evaluator if evaluator is not None else Evaluator(side.bundle)
        self._declared = frozenset(side.bundle.actions)

    def declares(self, action: str) -> bool:
        return action in self._declared

    def version(self, at: datetime, known_at: datetime | None = None) -> Version | None:
        if self.side.version is not None:
            return self.side.version
        return self.evaluator.version_at(at, known_at)

    def names(self, version: Version | None, actions: Iterable[str]) -> frozenset[str]:
        if version is None:
            return frozenset()
        found: set[str] = set()
        for action in actions:
            if self.declares(action):
                found |= self.evaluator.facts_for(version, action)
        return frozenset(found)

    def derive(self, history: AccountHistory, at: datetime, known_at: datetime | None,
               names: frozenset[str]) -> dict[str, FactValue]:
        """The facts ``names`` at (``at``, ``known_at``), seeing no event after ``at``."""
        return derive_facts(self.bundle, history, at, known_at, names, cutoff=at)

    def assess(self, version: Version | None, facts: Mapping[str, FactValue], action: str,
               at: datetime) -> Assessment:
        if version is None or not self.declares(action):
            return Assessment(version)
        return self.evaluator.assess(version, facts, action, at)


def judges(old: Side, new: Side) -> tuple[SideJudge, SideJudge]:
    """A judge for each side; sides on the same Bundle object share one evaluator."""
    first = SideJudge(old)
    second = SideJudge(new, first.evaluator if new.bundle is old.bundle else None)
    return first, second


@dataclass(frozen=True, slots=True)
class Tally:
    """How many accounts, and the first few of them in sorted order."""

    count: int = 0
    examples: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "examples": list(self.examples)}


@dataclass(frozen=True, slots=True)
class RuleImpact:
    """Accounts that one rule newly restricts (restricts under NEW, not under OLD) and no longer restricts."""

    rule: str
    category: str
    newly_restricts: Tally
    no_longer_restricts: Tally

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "category": self.category,
            "newly_restricts": self.newly_restricts.to_json(),
            "no_longer_restricts": self.no_longer_restricts.to_json(),
        }


@dataclass(frozen=True, slots=True, order=True)
class Transition:
    """A pair (decision, categories) under OLD and under NEW, as flipped accounts had it."""

    old_decision: str
    old_blocked_by: tuple[str, ...]
    new_decision: str
    new_blocked_by: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ActionImpact:
    """The flips of one action: counts and examples per kind, transitions, and rules."""

    action: str
    in_old: bool
    in_new: bool
    flips: Mapping[str, Tally]
    transitions: tuple[tuple[Transition, int], ...] = ()
    rules: tuple[RuleImpact, ...] = ()

    @property
    def flipped(self) -> int:
        return sum(t.count for t in self.flips.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "declared_in_old": self.in_old,
            "declared_in_new": self.in_new,
            "flipped": self.flipped,
            "flips": {kind: self.flips[kind].to_json() for kind in FLIP_KINDS},
            "transitions": [
                {"from": t.old_decision, "from_blocked_by": list(t.old_blocked_by),
                 "to": t.new_decision, "to_blocked_by": list(t.new_blocked_by), "count": count}
                for t, count in self.transitions
            ],
            "rules": [r.to_json() for r in self.rules],
        }


@dataclass(frozen=True, slots=True)
class Impact:
    """Every account replayed at ``at`` under OLD and NEW: flips per action and rule, and who is affected."""

    old: Side
    new: Side
    at: datetime
    old_version: Version | None
    new_version: Version | None
    accounts: int
    actions: tuple[ActionImpact, ...]
    affected: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return bool(self.affected)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types; instants in NEW's bundle timezone."""
        zone = self.new.bundle.timezone
        return {
            "at": format_instant(self.at, zone),
            "old": _side_json(self.old, self.old_version),
            "new": _side_json(self.new, self.new_version),
            "accounts": self.accounts,
            "affected_count": len(self.affected),
            "actions": [a.to_json() for a in self.actions],
            "affected": list(self.affected),
        }


def _side_json(side: Side, version: Version | None) -> dict[str, Any]:
    return {
        "label": side.label,
        "bundle": side.bundle.name,
        "pinned": side.is_version,
        "version": version.id if version is not None else None,
    }


class _ActionCounter:
    """Running counts of one action while accounts are replayed in sorted order."""

    def __init__(self, action: str, examples: int) -> None:
        self.action = action
        self.keep = examples
        self.flips: Counter[str] = Counter()
        self.flip_examples: dict[str, list[str]] = {kind: [] for kind in FLIP_KINDS}
        self.transitions: Counter[Transition] = Counter()
        self.gained: Counter[str] = Counter()
        self.lost: Counter[str] = Counter()
        self.gained_examples: dict[str, list[str]] = {}
        self.lost_examples: dict[str, list[str]] = {}
        self.categories: dict[str, str] = {}

    def add(self, account: str, old: Assessment, new: Assessment, old_bundle: Bundle, new_bundle: Bundle) -> bool:
        """Count one account; True when it flipped."""
        old_rules = {o.rule.id: o.rule for o in old.restricting}
        new_rules = {o.rule.id: o.rule for o in new.restricting}
        if old_rules.keys() != new_rules.keys():
            for rule_id, rule in new_rules.items():
                if rule_id not in old_rules:
                    self._count(self.gained, self.gained_examples, rule_id, account)
                    self.categories[rule_id] = rule.category
            for rule_id, rule in old_rules.items():
                if rule_id not in new_rules:
                    self._count(self.lost, self.lost_examples, rule_id, account)
                    self.categories.setdefault(rule_id, rule.category)
        kind = classify_flip(old, new, old_bundle, new_bundle)
        if kind is None:
            return False
        self.flips[kind] += 1
        if len(self.flip_examples[kind]) < self.keep:
            self.flip_examples[kind].append(account)
        self.transitions[Transition(old.decision, old.blocked_by(old_bundle),
                                    new.decision, new.blocked_by(new_bundle))] += 1
        return True

    def _count(self, counter: Counter[str], examples: dict[str, list[str]], rule_id: str, account: str) -> None:
        counter[rule_id] += 1
        kept = examples.setdefault(rule_id, [])
        if len(kept) < self.keep:
            kept.append(account)

    def result(self, in_old: bool, in_new: bool) -> ActionImpact:
        rules = tuple(
            RuleImpact(
                rule_id, self.categories[rule_id],
                Tally(self.gained[rule_id], tuple(self.gained_examples.get(rule_id, ()))),
                Tally(self.lost[rule_id], tuple(self.lost_examples.get(rule_id, ()))),
            )
            for rule_id in sorted(set(self.gained) | set(self.lost))
        )
        flips = MappingProxyType({k: Tally(self.flips[k], tuple(self.flip_examples[k])) for k in FLIP_KINDS})
        return ActionImpact(self.action, in_old, in_new, flips, tuple(sorted(self.transitions.items())), rules)


def impact_actions(old: Side, new: Side, actions: Sequence[str] | None = None) -> tuple[str, ...]:
    """The actions to compare: those asked for (each declared by at least one side), or the
    union of both bundles' actions, NEW's in its order, then those only OLD declares."""
    union = tuple(dict.fromkeys((*new.bundle.actions, *old.bundle.actions)))
    if actions is None:
        return union
    unknown = [a for a in actions if a not in union]
    if unknown:
        raise ChronolexError.single(
            "unknown-action",
            f"unknown action {unknown[0]!r}: neither {old.label} nor {new.label} declares it",
            help=f"actions: {', '.join(union)}",
        )
    return tuple(dict.fromkeys(actions))


def impact(
    old: Side,
    new: Side,
    source: EventSource,
    at: datetime,
    *,
    actions: Sequence[str] | None = None,
    examples: int = 3,
) -> Impact:
    """Replay every account of ``source`` at ``at`` under ``old`` and ``new`` and report the flips.

    Knowledge is everything known; no event after ``at`` is seen. Accounts are replayed
    in sorted order, so examples are the first affected accounts in that order.

    >>> result = impact(Side("a@2025.07", bundle, v2507), Side("a@2026.03", bundle, v2603),
    ...                 source, at)  # doctest: +SKIP
    >>> result.actions[0].flips["newly-blocked"].count  # doctest: +SKIP
    2
    """
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    if examples < 0:
        raise ValueError("examples must be 0 or more")
    at = at.astimezone(UTC)
    chosen = impact_actions(old, new, actions)
    old_judge, new_judge = judges(old, new)
    old_version, new_version = old_judge.version(at), new_judge.version(at)
    old_names, new_names = old_judge.names(old_version, chosen), new_judge.names(new_version, chosen)
    shared = old.bundle is new.bundle
    if shared:
        old_names = new_names = old_names | new_names
    # The same version of the same bundle on both sides decides alike: assess it once.
    twins = shared and old_version is new_version
    counters = [_ActionCounter(action, examples) for action in chosen]
    affected: list[str] = []
    total = 0
    for account in sorted(source.accounts()):
        total += 1
        history = source.history(account)
        old_facts = old_judge.derive(history, at, None, old_names)
        new_facts = old_facts if shared else new_judge.derive(history, at, None, new_names)
        flipped = False
        for counter in counters:
            action = counter.action
            before = old_judge.assess(old_version, old_facts, action, at)
            after = before if twins else new_judge.assess(new_version, new_facts, action, at)
            flipped = counter.add(account, before, after, old.bundle, new.bundle) or flipped
        if flipped:
            affected.append(account)
    return Impact(
        old, new, at, old_version, new_version, total,
        tuple(c.result(old_judge.declares(c.action), new_judge.declares(c.action)) for c in counters),
        tuple(affected),
    )
