"""Policy test files read and checked: the one reader ``chronolex test`` runs cases from
and ``validate`` checks them with, so a file that validates is a file the tests can run.

A case gives an account history, an action and instants, and says what the decision
must be there (``schemas/test.schema.json``). The schema sees the shape; this reader
sees what it cannot: an action the bundle does not have, an instant that is not one, an
``events_file`` that is missing, unreadable or outside the bundle. :func:`case_problems`
returns every such problem, positioned; :func:`load_cases` raises them all at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from chronolex.bundle.schemas import schema_diagnostics
from chronolex.bundle.yaml_source import DEFAULT_LIMITS, Document, read_yaml
from chronolex.errors import ChronolexError, Diagnostic, Severity, Span, sort_diagnostics
from chronolex.events.encoding import freeze_fields
from chronolex.events.event import RESERVED_KEYS, AccountHistory, Event
from chronolex.events.catalog import catalog_problems
from chronolex.events.files import read_events
from chronolex.instants import parse_instant, parse_recorded_instant
from chronolex.model import Bundle

__all__ = ["Case", "Check", "TimelineCheck", "case_problems", "load_cases", "policy_test_files", "read_cases"]


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


def policy_test_files(root: Path) -> list[Path]:
    """The policy test files of the bundle at ``root`` (``tests/*.yaml``), sorted."""
    directory = root / "tests"
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def read_cases(bundle: Bundle, files: Iterable[Path]) -> tuple[list[Case], list[Diagnostic]]:
    """Every readable case of ``files``, and every problem found (sorted); never raises."""
    problems: list[Diagnostic] = []
    cases: list[Case] = []
    for file in files:
        cases.extend(_load_file(bundle, file, problems))
    return cases, list(sort_diagnostics(problems))


def load_cases(bundle: Bundle, files: Iterable[Path]) -> list[Case]:
    """Every case of ``files``; raises :class:`ChronolexError` with every problem found."""
    cases, problems = read_cases(bundle, files)
    if problems:
        raise ChronolexError(problems)
    return cases


def case_problems(bundle: Bundle, root: Path) -> list[Diagnostic]:
    """What ``chronolex test`` would refuse in the policy test files of the bundle at
    ``root`` (``tests/*.yaml``): the findings ``validate`` reports for them."""
    return read_cases(bundle, policy_test_files(root))[1]


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

    def instant(self, text: str, path: tuple[str | int, ...], *, recorded: bool = False) -> datetime | None:
        """``text`` as an instant; ``recorded``: an event's time, read as an events file reads
        it (a wall time in a DST gap is refused), so a case's events are the events of a file."""
        try:
            return (parse_recorded_instant if recorded else parse_instant)(str(text), self.bundle.timezone)
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
            at = self.instant(record["at"], event_path + ("at",), recorded=True)
            recorded = (self.instant(record["recorded_at"], event_path + ("recorded_at",), recorded=True)
                        if "recorded_at" in record else at)
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
