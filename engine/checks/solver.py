"""Findings only a solver can make: the validate checks that read conditions for meaning.

- ``dead-rule`` (warning): a rule whose ``when`` can never hold, whatever the facts;
- ``exemption-always-holds`` (warning): an ``unless`` that holds whenever ``when`` does,
  so the rule never restricts;
- ``redundant-rule`` (warning): a rule that restricts (or is undetermined) only where
  another rule of the same category, actions and time restricts too — it adds reasons
  to explanations but never changes a decision;
- ``same-meaning`` (info): a version that decides exactly as the version before it.

The conditions are translated once per bundle (:mod:`chronolex.diff.semantic`); a query the
solver cannot settle within its budget yields no finding, never a wrong one.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from decimal import Decimal
from fractions import Fraction
from typing import Any

import z3

from chronolex.evaluation.facts import FactValue
from chronolex.evaluation.given import given_facts
from chronolex.errors import ChronolexError, Diagnostic, EvaluationError, Severity
from chronolex.evaluation.assess import RuleState, assess_rule
from chronolex.lang import Context
from chronolex.lang.smt import disj, neg
from chronolex.model import Bundle, Rule
from chronolex.diff.semantic import compared_constants, same_meaning
from chronolex.diff.semantic.encode import SideFormulas, Variables
from chronolex.diff.sides import Side

_TIMEOUT_MS = 1000
#: Above this many rules in one (category, actions, time) group, redundancy is not checked
#: pairwise (the number of solver queries grows with the square).
_MAX_GROUP = 60


def solver_findings(bundle: Bundle) -> Iterator[Diagnostic]:
    """Every solver-backed warning and info of ``bundle``, each reported once per rule."""
    variables = Variables()
    formulas = SideFormulas(Side(bundle.name, bundle), variables)
    solver = z3.Solver()
    solver.set("timeout", _TIMEOUT_MS)

    added = 0

    def impossible(*goal: Any) -> bool:
        nonlocal added
        solver.add(*variables.domain[added:])  # facts met since the last query
        added = len(variables.domain)
        solver.push()
        solver.add(*goal)
        verdict = solver.check()
        solver.pop()
        return bool(verdict == z3.unsat)

    samples = _Samples(bundle)
    seen: set[tuple[str | None, str]] = set()
    for version in bundle.versions:
        for rule in version.rules:
            key = (rule.declared_in, rule.id)
            if key in seen:
                continue
            seen.add(key)
            if samples.applies_somewhere(rule):
                continue  # a sample where it restricts: neither dead nor always exempt
            yield from _rule_findings(rule, formulas, impossible)
    yield from _redundant_rules(bundle, formulas, impossible, samples)
    for previous, version in zip(bundle.versions, bundle.versions[1:]):
        pair = Side(previous.id, bundle, previous), Side(version.id, bundle, version)
        if same_meaning(*pair, shared=(variables, formulas)) is True:
            yield Diagnostic(
                "same-meaning", Severity.INFO,
                f"version {version.id!r} decides exactly as {previous.id!r}: no fact values and no instant "
                "give a different decision or leading category",
                version.span,
                "fine for a change of wording or citations; otherwise check the rules changed as intended",
            )


def _rule_findings(rule: Rule, formulas: SideFormulas, impossible: Any) -> Iterator[Diagnostic]:
    if rule.when is None:
        return
    when = formulas.translator.truth(rule.when.ast)
    if impossible(when.true):
        yield Diagnostic(
            "dead-rule", Severity.WARNING,
            f"rule {rule.id!r} can never apply: its condition `{rule.when.text}` cannot hold for any fact values",
            rule.span, "correct the condition, or delete the rule",
        )
        return
    if rule.unless is not None:
        unless = formulas.translator.truth(rule.unless.ast)
        if impossible(when.true, neg(unless.true)):
            yield Diagnostic(
                "exemption-always-holds", Severity.WARNING,
                f"rule {rule.id!r} never restricts: its exemption `{rule.unless.text}` holds whenever "
                f"`{rule.when.text}` does",
                rule.span, "narrow the exemption, or delete the rule",
            )


def _time_key(rule: Rule) -> tuple[object, ...]:
    return (rule.category, frozenset(rule.actions), rule.active, rule.window, rule.schedule)


def _redundant_rules(bundle: Bundle, formulas: SideFormulas, impossible: Any,
                     samples: _Samples) -> Iterator[Diagnostic]:
    reported: set[tuple[str | None, str]] = set()
    for version in bundle.versions:
        groups: dict[tuple[object, ...], list[Rule]] = {}
        for rule in version.rules:
            groups.setdefault(_time_key(rule), []).append(rule)
        for members in groups.values():
            if len(members) < 2 or len(members) > _MAX_GROUP:
                continue
            ordered = sorted(members, key=lambda r: r.id)
            for covered in ordered:
                if (covered.declared_in, covered.id) in reported:
                    continue
                cover = _covering_rule(covered, ordered, formulas, impossible, samples)
                if cover is None:
                    continue
                reported.add((covered.declared_in, covered.id))
                yield Diagnostic(
                    "redundant-rule", Severity.WARNING,
                    f"rule {covered.id!r} is redundant in version {version.id!r}: rule {cover.id!r} (same category, "
                    "actions and time) restricts wherever it does, so it never changes a decision",
                    covered.span, f"merge it into {cover.id!r}, or delete it",
                )


def _covering_rule(covered: Rule, rules: list[Rule], formulas: SideFormulas, impossible: Any,
                   samples: _Samples) -> Rule | None:
    """Another rule that restricts wherever ``covered`` restricts or is undetermined
    (of two equivalent rules, only the later id is called redundant)."""
    fires, pending = formulas.rule(covered)
    reads = formulas.reads[covered]
    for other in rules:
        if other is covered or not samples.may_cover(other, covered):
            continue
        other_fires, other_pending = formulas.rule(other)
        if not formulas.reads[other] <= reads:
            continue  # it reads a fact this rule leaves free: it cannot cover every case
        if not impossible(fires, neg(other_fires)) or not impossible(pending, neg(disj(other_fires,
                                                                                          other_pending))):
            continue
        mutual = impossible(other_fires, neg(fires)) and impossible(other_pending, neg(disj(fires, pending)))
        if mutual and covered.id < other.id:
            continue  # equivalent: report the later id only
        return other
    return None


class _Samples:
    """Fact values decided by the real evaluator, to settle most questions without the
    solver: a sample where a rule restricts proves it is not dead, and a sample where one
    rule restricts and another does not proves the other does not cover it. Only what no
    sample settles goes to the solver, so the findings are the same, only sooner."""

    COUNT = 64

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        at = bundle.versions[0].effective_from if bundle.versions else datetime(2000, 1, 1, tzinfo=timezone.utc)
        self.contexts: list[tuple[Context, Mapping[str, FactValue]]] = []
        choices = _choices(bundle)
        for index in range(self.COUNT):
            rng = random.Random(index)
            raw = {name: rng.choice(options) for name, options in sorted(choices.items())}
            try:
                facts = given_facts(bundle, raw, at)
            except ChronolexError:  # a value that is not one of the fact's type (EvaluationError too)
                continue
            self.contexts.append((Context({k: v.value for k, v in facts.items()}, at, bundle.timezone), facts))
        self._masks: dict[Rule, tuple[int, int]] = {}

    def masks(self, rule: Rule) -> tuple[int, int]:
        """Bit i set: the rule restricts (first) or is undetermined (second) on sample i."""
        if rule not in self._masks:
            fires = pending = 0
            for i, (ctx, facts) in enumerate(self.contexts):
                outcome = assess_rule(self.bundle, rule, ctx, facts)
                if outcome is not None and outcome.error is None:
                    if outcome.state is RuleState.RESTRICTS:
                        fires |= 1 << i
                    else:
                        pending |= 1 << i
            self._masks[rule] = (fires, pending)
        return self._masks[rule]

    def applies_somewhere(self, rule: Rule) -> bool:
        """A sample where ``when`` is true and ``unless`` false: the rule is not dead, and
        its exemption does not always hold."""
        fires, _ = self.masks(rule)
        if not fires:
            return False
        for ctx, _ in self.contexts:
            try:
                if (rule.when is None or rule.when.evaluate(ctx) is True) and (
                    rule.unless is None or rule.unless.evaluate(ctx) is False
                ):
                    return True
            except EvaluationError:
                continue
        return False

    def may_cover(self, cover: Rule, covered: Rule) -> bool:
        """False when a sample shows ``covered`` restricting (or undetermined) where
        ``cover`` is not."""
        fires, pending = self.masks(covered)
        other_fires, other_pending = self.masks(cover)
        return not (fires & ~other_fires) and not (pending & ~(other_fires | other_pending))


def _choices(bundle: Bundle) -> dict[str, list[object]]:
    """For each fact that is read from events, the values a sample may take: the numbers
    conditions compare it with (and their neighbours), the enum's values, unknown."""
    constants = compared_constants([Side(bundle.name, bundle)])
    found: dict[str, list[object]] = {}
    for name, fact in bundle.facts.items():
        if fact.expr is not None:
            continue
        kind = fact.type.name
        options: list[object]
        if kind == "bool":
            options = [True, False]
        elif kind == "enum":
            options = list(fact.type.values)
        elif kind in ("int", "decimal"):
            near = sorted({c + d for c in constants.get(name, ()) for d in (-1, 0, 1)} | {Fraction(0)})
            if fact.derive is not None and fact.derive.aggregation in ("count", "days_since"):
                near = [c for c in near if c >= 0]  # what the solver's domain allows too
            options = [int(c) if kind == "int" else str(Decimal(c.numerator) / Decimal(c.denominator))
                       for c in near if kind == "decimal" or c.denominator == 1]
        else:
            continue  # strings, dates: left to their default or unknown
        if not (fact.derive is not None and fact.derive.always_known):
            options.append(None)  # unknown, only where the solver allows it too
        found[name] = options
    return found
