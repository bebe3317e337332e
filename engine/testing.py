"""Policy tests: cases in a bundle's ``tests/*.yaml`` run against the bundle, with coverage.

A case gives an account history, an action and instants, and says what the decision
must be there (``schemas/test.schema.json``). :func:`load_cases` reads and checks the
files (every problem positioned, all reported at once); :func:`run_cases` decides each
instant with the same calls ``chronolex why`` and ``timeline`` make and compares only
what the case states. Coverage records, for each rule of each version, whether a case
saw it restrict (*fired*) and saw it evaluated with its condition false or its exemption
holding (*false*) — branch coverage of the policy, as ``opa test --coverage`` gives for
Rego. A rule with neither ``when`` nor ``unless`` has one branch only: it fires whenever
time lets it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from chronolex.time.activity import active_by_time
from chronolex.errors import ChronolexError, Diagnostic, Severity, Span, sort_diagnostics
from chronolex.evaluation.assess import Evaluator, Point, RuleState, assess_rule
from chronolex.events.catalog import catalog_problems
from chronolex.events.files import read_events
from chronolex.events.event import RESERVED_KEYS, AccountHistory, Event
from chronolex.events.encoding import freeze_fields
from chronolex.evaluation.decide import decide, timeline
from chronolex.lang import Context
from chronolex.model import Bundle, Rule
from chronolex.bundle.schemas import schema_diagnostics
from chronolex.instants import format_instant, parse_instant
from chronolex.bundle.yaml_source import DEFAULT_LIMITS, Document, read_yaml

FIRED, FALSE = "fired", "false"


@dataclass(frozen=True, slots=True)
class Check:
    """One instant of a case (``at``, or a table row) and what the decision must be there."""

    label: str
    at: datetime
    known_at: datetime | None
    expect: Mapping[str, Any]
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class TimelineCheck:
    start: datetime
    end: datetime
    known_at: datetime | None
    expect: tuple[Mapping[str, Any], ...]
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """A test case as read from its file."""

    file: str
    name: str
    action: str
    history: AccountHistory
    checks: tuple[Check, ...] = ()
    timeline: TimelineCheck | None = None
    span: Span | None = None

    @property
    def id(self) -> str:
        """``file::name``: what ``-k`` matches and JUnit names."""
        return f"{self.file}::{self.name}"


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


# -- reading ---------------------------------------------------------------------------


def policy_test_files(root: Path) -> list[Path]:
    """The policy test files of the bundle at ``root`` (``tests/*.yaml``), sorted."""
    directory = root / "tests"
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def load_cases(bundle: Bundle, files: Iterable[Path]) -> list[Case]:
    """Every case of ``files``; raises :class:`ChronolexError` with every problem found."""
    problems: list[Diagnostic] = []
    cases: list[Case] = []
    for file in files:
        cases.extend(_load_file(bundle, file, problems))
    if problems:
        raise ChronolexError(list(sort_diagnostics(problems)))
    return cases


def _load_file(bundle: Bundle, file: Path, problems: list[Diagnostic]) -> list[Case]:
    try:
        with file.open("rb") as handle:
            raw = handle.read(DEFAULT_LIMITS.max_bytes + 1)
    except OSError as exc:
        problems.append(Diagnostic("io-error", Severity.ERROR, f"cannot read {file}: {exc.strerror or exc}",
                                   Span(str(file), 1, 1)))
        return []
    try:
        document = read_yaml(str(file), raw)
    except ChronolexError as exc:
        problems.extend(exc.diagnostics)
        return []
    found = list(schema_diagnostics(document, "test")) if document.data is not None else [
        Diagnostic("schema", Severity.ERROR, "the file is empty", Span(str(file), 1, 1))]
    if found:
        problems.extend(found)
        return []
    reader = _Reader(bundle, file, document, problems)
    return [c for i, raw_case in enumerate(document.data["cases"]) if (c := reader.case(i, raw_case)) is not None]


class _Reader:
    """Turns one schema-valid test file into cases, reporting what the schema cannot see
    (unknown actions, impossible instants, unreadable event files)."""

    def __init__(self, bundle: Bundle, file: Path, document: Document, problems: list[Diagnostic]) -> None:
        self.bundle = bundle
        self.file = file
        self.document = document
        self.problems = problems

    def error(self, code: str, message: str, path: tuple[str | int, ...], hint: str | None = None) -> None:
        self.problems.append(Diagnostic(code, Severity.ERROR, message, self.document.source.span(path), hint))

    def instant(self, text: str, path: tuple[str | int, ...]) -> datetime | None:
        try:
            return parse_instant(str(text), self.bundle.timezone)
        except ValueError as exc:
            self.error("invalid-date", str(exc), path)
            return None

    def case(self, index: int, raw: Mapping[str, Any]) -> Case | None:
        path: tuple[str | int, ...] = ("cases", index)
        before = len(self.problems)
        action = raw["action"]
        if action not in self.bundle.actions:
            self.error("unknown-action", f"unknown action {action!r}", path + ("action",),
                       "the bundle's actions are: " + ", ".join(self.bundle.actions))
        account = raw.get("account", "test-account")
        events = self.events(raw, account, path)
        known = self.instant(raw["as_known_at"], path + ("as_known_at",)) if "as_known_at" in raw else None
        checks: list[Check] = []
        if "at" in raw:
            at = self.instant(raw["at"], path + ("at",))
            if at is not None:
                checks.append(Check(f"at {raw['at']}", at, known, raw["expect"], self.document.source.span(path + ("at",))))
        for row_index, row in enumerate(raw.get("table", ())):
            row_path = path + ("table", row_index)
            at = self.instant(row["at"], row_path + ("at",))
            row_known = self.instant(row["as_known_at"], row_path + ("as_known_at",)) if "as_known_at" in row else known
            if at is not None:
                checks.append(Check(f"table row {row_index + 1} (at {row['at']})", at, row_known, row["expect"],
                                    self.document.source.span(row_path)))
        timeline_check = None
        if "timeline" in raw:
            spec = raw["timeline"]
            start = self.instant(spec["from"], path + ("timeline", "from"))
            end = self.instant(spec["to"], path + ("timeline", "to"))
            if start is not None and end is not None:
                if end <= start:
                    self.error("invalid-range", "the timeline's 'to' must be later than its 'from'",
                               path + ("timeline", "to"))
                timeline_check = TimelineCheck(start, end, known, tuple(spec["expect"]),
                                               self.document.source.span(path + ("timeline",)))
        self.check_expectations(checks, path)
        if len(self.problems) > before:
            return None
        history = AccountHistory(account, tuple(e for e in events if e.account == account))
        return Case(self.display(), raw["name"], action, history, tuple(checks), timeline_check,
                    self.document.source.span(path))

    def display(self) -> str:
        return str(self.file)

    def check_expectations(self, checks: Sequence[Check], path: tuple[str | int, ...]) -> None:
        for check in checks:
            for key in ("lifts",):
                for when in (check.expect.get(key) or {}).values():
                    if when is not None:
                        try:
                            parse_instant(str(when), self.bundle.timezone)
                        except ValueError as exc:
                            self.problems.append(Diagnostic("invalid-date", Severity.ERROR, str(exc), check.span))
            change = check.expect.get("next_change")
            if change and change.get("at") is not None:
                try:
                    parse_instant(str(change["at"]), self.bundle.timezone)
                except ValueError as exc:
                    self.problems.append(Diagnostic("invalid-date", Severity.ERROR, str(exc), check.span))

    def events(self, raw: Mapping[str, Any], account: str, path: tuple[str | int, ...]) -> list[Event]:
        if "events_file" in raw:
            target = self.file.parent / raw["events_file"]
            bundle_root = self.file.parent.parent.resolve()
            if not target.resolve().is_relative_to(bundle_root):
                self.error("io-error", f"events_file {raw['events_file']!r} lies outside the bundle; refused",
                           path + ("events_file",), "keep a case's events inside its bundle, e.g. under tests/")
                return []
            if not target.is_file():
                self.error("io-error", f"events_file {raw['events_file']!r}: no such file", path + ("events_file",),
                           f"the path is relative to the test file's directory ({self.file.parent})")
                return []
            try:
                return read_events(target, self.bundle.timezone, catalog=self.bundle.events)
            except ChronolexError as exc:
                self.problems.extend(exc.diagnostics)
                return []
        out = []
        for i, record in enumerate(raw.get("events", ())):
            event_path = path + ("events", i)
            at = self.instant(record["at"], event_path + ("at",))
            recorded = self.instant(record["recorded_at"], event_path + ("recorded_at",)) if "recorded_at" in record else at
            if at is None or recorded is None:
                continue
            fields = {k: Decimal(repr(v)) if isinstance(v, float) else v for k, v in record.items() if k not in RESERVED_KEYS}
            if self.bundle.events is not None:
                misfits = list(catalog_problems(str(record["type"]), fields, self.bundle.events, self.bundle.timezone))
                for misfit in misfits:
                    key_path = event_path + (misfit.key,) if misfit.key in record else event_path
                    self.error(misfit.code, misfit.message, key_path, misfit.help)
                if misfits:
                    continue
            out.append(Event(str(record.get("account", account)), at, record["type"], recorded, freeze_fields(fields),
                             record.get("id"), self.document.source.span(event_path)))
        return out


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
