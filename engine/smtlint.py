"""Findings only a solver can make: the validate checks that read conditions for meaning.

- ``dead-rule`` (warning): a rule whose ``when`` can never hold, whatever the facts;
- ``exemption-always-holds`` (warning): an ``unless`` that holds whenever ``when`` does,
  so the rule never restricts;
- ``redundant-rule`` (warning): a rule that restricts (or is undetermined) only where
  another rule of the same category, actions and time restricts too — it adds reasons
  to explanations but never changes a decision;
- ``same-meaning`` (info): a version that decides exactly as the version before it.

The conditions are translated once per bundle (:mod:`engine.semantic`); a query the
solver cannot settle within its budget yields no finding, never a wrong one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import z3

from engine.errors import Diagnostic, Severity
from engine.lang.smt import disj, neg
from engine.model import Bundle, Rule
from engine.semantic import SideFormulas, Variables, same_meaning
from engine.sides import Side

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

    seen: set[tuple[str | None, str]] = set()
    for version in bundle.versions:
        for rule in version.rules:
            key = (rule.declared_in, rule.id)
            if key in seen:
                continue
            seen.add(key)
            yield from _rule_findings(rule, formulas, impossible)
    yield from _redundant_rules(bundle, formulas, impossible)
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


def _redundant_rules(bundle: Bundle, formulas: SideFormulas, impossible: Any) -> Iterator[Diagnostic]:
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
                cover = _covering_rule(covered, ordered, formulas, impossible)
                if cover is None:
                    continue
                reported.add((covered.declared_in, covered.id))
                yield Diagnostic(
                    "redundant-rule", Severity.WARNING,
                    f"rule {covered.id!r} is redundant in version {version.id!r}: rule {cover.id!r} (same category, "
                    "actions and time) restricts wherever it does, so it never changes a decision",
                    covered.span, f"merge it into {cover.id!r}, or delete it",
                )


def _covering_rule(covered: Rule, rules: list[Rule], formulas: SideFormulas, impossible: Any) -> Rule | None:
    """Another rule that restricts wherever ``covered`` restricts or is undetermined
    (of two equivalent rules, only the later id is called redundant)."""
    fires, pending = formulas.rule(covered)
    reads = formulas.reads[covered]
    for other in rules:
        if other is covered:
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
