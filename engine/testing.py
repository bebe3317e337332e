"""Policy tests: cases in a bundle's ``tests/*.yaml`` run against the bundle, with coverage.

A case gives an account history, an action and instants, and says what the decision
must be there (``schemas/test.schema.json``). :func:`load_cases` reads and checks the
files (every problem positioned, all reported at once) with the reader ``validate``
uses (:mod:`chronolex.checks.cases`); :func:`run_cases` decides each
instant with the same calls ``chronolex why`` and ``timeline`` make and compares only
what the case states. Coverage records, for each rule of each version, whether a case
saw it restrict (*fired*) and saw it evaluated with its condition false or its exemption
holding (*false*) — branch coverage of the policy, as ``opa test --coverage`` gives for
Rego. A rule with neither ``when`` nor ``unless`` has one branch only: it fires whenever
time lets it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from chronolex.checks.cases import Case, Check, TimelineCheck, load_cases, policy_test_files
from chronolex.time.activity import active_by_time
from chronolex.evaluation.assess import Evaluator, Point, RuleState, assess_rule
from chronolex.evaluation.decide import decide, timeline
from chronolex.lang import Context
from chronolex.model import Bundle, Rule
from chronolex.instants import format_instant, parse_instant

__all__ = [
    "Case",
    "CaseResult",
    "Check",
    "Coverage",
    "Mismatch",
    "PolicyRun",
    "TimelineCheck",
    "branch_status",
    "branches",
    "load_cases",
    "policy_test_files",
    "run_cases",
]

FIRED, FALSE = "fired", "false"


@dataclass(frozen=True, slots=True)
class Mismatch:
    """One expectation that did not hold: where, which key, what was expected and found."""

    check: str
    key: str
    expected: str
    actual: str


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: Case
    mismatches: tuple[Mismatch, ...] = ()
    #: For each check, the actual answer in the shape of an expectation (for side-by-side reports).
    actual: tuple[tuple[str, Mapping[str, Any]], ...] = ()

    @property
    def passed(self) -> bool:
        return not self.mismatches


@dataclass
class Coverage:
    """For each version and rule, the branches (fired, false) the cases saw."""

    bundle: Bundle
    seen: dict[tuple[str, str], set[str]] = field(default_factory=dict)

    def record(self, version: str, rule: str, branch: str) -> None:
        self.seen.setdefault((version, rule), set()).add(branch)

    def rows(self) -> list[tuple[str, Rule, frozenset[str], frozenset[str]]]:
        """(version, rule, branches it has, branches seen) for every rule of every version."""
        out = []
        for version in self.bundle.versions:
            for rule in sorted(version.rules, key=lambda r: r.id):
                seen = frozenset(self.seen.get((version.id, rule.id), set()))
                out.append((version.id, rule, branches(rule), seen & branches(rule)))
        return out

    def ratio(self, version: str | None = None) -> Fraction:
        """Branches seen over branches there are, exactly (no rounding: 99.99% is not 100%)."""
        rows = [r for r in self.rows() if version is None or r[0] == version]
        total = sum(len(r[2]) for r in rows)
        return Fraction(sum(len(r[3]) for r in rows), total) if total else Fraction(1)

    def to_json(self) -> dict[str, Any]:
        versions = []
        for version in self.bundle.versions:
            rules = [
                {"rule": rule.id, "branches": sorted(has), "seen": sorted(seen), "status": branch_status(has, seen)}
                for vid, rule, has, seen in self.rows() if vid == version.id
            ]
            versions.append({"version": version.id, "percent": float(self.ratio(version.id) * 100), "rules": rules})
        return {"percent": float(self.ratio() * 100), "versions": versions}


def branches(rule: Rule) -> frozenset[str]:
    return frozenset({FIRED, FALSE}) if rule.when is not None or rule.unless is not None else frozenset({FIRED})


def branch_status(has: frozenset[str], seen: frozenset[str]) -> str:
    """fired / evaluated-and-false / never reached, as a report says it."""
    if seen == has:
        return "covered"
    if FIRED in seen:
        return "fired, never false"
    if FALSE in seen:
        return "evaluated and false, never fired"
    return "never reached"


@dataclass(frozen=True, slots=True)
class PolicyRun:
    results: tuple[CaseResult, ...]
    coverage: Coverage

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)


# -- running ---------------------------------------------------------------------------


def run_cases(bundle: Bundle, cases: Iterable[Case]) -> PolicyRun:
    """Run every case; each expectation stated is compared, nothing else."""
    evaluator = Evaluator(bundle)
    coverage = Coverage(bundle)
    results = []
    for case in cases:
        mismatches: list[Mismatch] = []
        actual: list[tuple[str, Mapping[str, Any]]] = []
        for check in case.checks:
            decision = decide(bundle, case.history, case.action, check.at, check.known_at, evaluator=evaluator)
            answer = _answer(decision, bundle)
            actual.append((check.label, answer))
            mismatches.extend(_compare(check.label, check.expect, answer, decision, bundle))
            point = evaluator.point(case.history, case.action, check.at, check.known_at, cutoff=check.at)
            _cover(coverage, evaluator, point, case.action)
        if case.timeline is not None:
            spec = case.timeline
            intervals = timeline(bundle, case.history, case.action, spec.start, spec.end, spec.known_at,
                                 evaluator=evaluator)
            found = [_interval_answer(i, bundle) for i in intervals]
            actual.append(("timeline", {"intervals": found}))
            mismatches.extend(_compare_timeline(spec, found, bundle))
            for interval in intervals:
                _cover(coverage, evaluator, interval.point, case.action)
        results.append(CaseResult(case, tuple(mismatches), tuple(actual)))
    return PolicyRun(tuple(results), coverage)


def _cover(coverage: Coverage, evaluator: Evaluator, point: Point, action: str) -> None:
    version = point.version
    if version is None:
        return
    bundle = evaluator.bundle
    ctx = Context(point.fact_values, point.at, bundle.timezone)
    for rule in evaluator.rules_for(version, action):
        if not active_by_time(rule, point.at, bundle.timezone):
            continue
        outcome = assess_rule(bundle, rule, ctx, point.facts)
        if outcome is None:
            coverage.record(version.id, rule.id, FALSE)
        elif outcome.state is RuleState.RESTRICTS and outcome.settled_by is None:
            coverage.record(version.id, rule.id, FIRED)


def _answer(decision: Any, bundle: Bundle) -> dict[str, Any]:
    zone = bundle.timezone
    reasons = list(decision.reasons) + list(decision.undetermined)
    lifts = {r.rule.id: (format_instant(r.lifts.at, zone) if r.lifts and r.lifts.at else None) for r in decision.reasons}
    change = decision.next_change
    return {
        "decision": decision.decision,
        "blocked_by": sorted(decision.blocked_by),
        "rules": sorted({r.rule.id for r in reasons}),
        "lifts": lifts,
        "next_change": None if change is None else {
            "at": format_instant(change.at, zone) if change.at else None,
            "decision": change.decision,
            "blocked_by": sorted(change.blocked_by),
        },
        "version": decision.version.id if decision.version is not None else None,
    }


def _same_instant(expected: Any, actual: str | None, bundle: Bundle) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    return parse_instant(str(expected), bundle.timezone) == parse_instant(actual, bundle.timezone)


def _compare(label: str, expect: Mapping[str, Any], answer: Mapping[str, Any], decision: Any,
             bundle: Bundle) -> list[Mismatch]:
    out: list[Mismatch] = []

    def differ(key: str, expected: object, actual: object) -> None:
        out.append(Mismatch(label, key, _text(expected), _text(actual)))

    if "decision" in expect and expect["decision"] != answer["decision"]:
        differ("decision", expect["decision"], answer["decision"])
    if "blocked_by" in expect and set(expect["blocked_by"]) != set(answer["blocked_by"]):
        differ("blocked_by", sorted(expect["blocked_by"]), answer["blocked_by"])
    if "rules" in expect and set(expect["rules"]) != set(answer["rules"]):
        differ("rules", sorted(expect["rules"]), answer["rules"])
    if "rules_include" in expect and not set(expect["rules_include"]) <= set(answer["rules"]):
        differ("rules_include", sorted(expect["rules_include"]), answer["rules"])
    if "version" in expect and expect["version"] != answer["version"]:
        differ("version", expect["version"], answer["version"])
    for rule, when in (expect.get("lifts") or {}).items():
        if rule not in answer["lifts"]:
            differ(f"lifts.{rule}", when, "not among the reasons")
        elif not _same_instant(when, answer["lifts"][rule], bundle):
            differ(f"lifts.{rule}", when, answer["lifts"][rule])
    if "next_change" in expect:
        wanted, found = expect["next_change"], answer["next_change"] or {"at": None}
        if not _same_instant(wanted.get("at"), found.get("at"), bundle):
            differ("next_change.at", wanted.get("at"), found.get("at"))
        if "decision" in wanted and wanted["decision"] != found.get("decision"):
            differ("next_change.decision", wanted["decision"], found.get("decision"))
        if "blocked_by" in wanted and set(wanted["blocked_by"]) != set(found.get("blocked_by") or ()):
            differ("next_change.blocked_by", sorted(wanted["blocked_by"]), found.get("blocked_by"))
    return out


def _interval_answer(interval: Any, bundle: Bundle) -> dict[str, Any]:
    assessment = interval.point.assessment
    zone = bundle.timezone
    return {
        "from": format_instant(interval.start, zone),
        "to": format_instant(interval.end, zone),
        "decision": assessment.decision,
        "blocked_by": sorted(assessment.blocked_by(bundle)),
        "rules": sorted({o.rule.id for o in assessment.restricting + assessment.undetermined}),
    }


def _compare_timeline(spec: TimelineCheck, found: list[dict[str, Any]], bundle: Bundle) -> list[Mismatch]:
    out: list[Mismatch] = []
    if len(found) != len(spec.expect):
        out.append(Mismatch("timeline", "intervals", f"{len(spec.expect)} intervals", f"{len(found)} intervals"))
    for index, (wanted, actual) in enumerate(zip(spec.expect, found)):
        label = f"timeline interval {index + 1}"
        for key in ("from", "to"):
            if not _same_instant(wanted[key], actual[key], bundle):
                out.append(Mismatch(label, key, _text(wanted[key]), _text(actual[key])))
        if wanted["decision"] != actual["decision"]:
            out.append(Mismatch(label, "decision", _text(wanted["decision"]), _text(actual["decision"])))
        for key in ("blocked_by", "rules"):
            if key in wanted and set(wanted[key]) != set(actual[key]):
                out.append(Mismatch(label, key, _text(sorted(wanted[key])), _text(actual[key])))
    return out


def _text(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)
