"""Decision logs: decisions a platform recorded, read back and decided again under a new policy.

A decision log is JSON Lines, one recorded decision a line::

    {"account": "acct-1001", "action": "open", "at": "2026-03-16T10:00:00+08:00",
     "decision": "blocked", "version": "2026.03"}

with optionally ``"blocked_by": [categories]`` and ``"known_at"`` (what the platform
knew when it decided). The lines ``chronolex replay`` writes (decision documents, whose
version is ``policy.version``) are records too, so one run's output can be replayed
under a new policy. ``version`` may be null (a ``no_policy`` decision has none);
other keys are ignored, so a log can carry what the platform needs. Instants without
an offset are wall time in the bundle timezone, as everywhere else. Blank lines are
skipped. Every bad line is reported (code ``bad-decision-log``, file, line, column 1)
with what is wrong and how to fix it, in one :class:`~chronolex.errors.ChronolexError`.

:func:`replay_log` decides every record again under NEW and keeps those whose decision
(or ``blocked_by``, when the record has it) would now differ, each with the sentences
that say why. To say why, the record is also decided under the version it names, when
NEW's bundle has a version of that id: the rules that restrict under one and not the
other, and whether each was added, removed or changed, are the difference.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

from chronolex.evaluation.facts import FactValue
from chronolex.errors import MAX_REPORTED, TOO_MANY, ChronolexError, Diagnostic, Severity, Span
from chronolex.evaluation.assess import (
    ALLOWED,
    BLOCKED,
    NO_POLICY,
    UNDETERMINED,
    Assessment,
    RuleOutcome,
)
from chronolex.events.event import AccountHistory, EventSource
from chronolex.diff.impact import SideJudge, rules_alike
from chronolex.model import Version
from chronolex.diff.sides import Side
from chronolex.instants import format_instant, parse_instant

__all__ = [
    "DECISIONS",
    "LogDifference",
    "LogReplay",
    "LoggedDecision",
    "ReplayedReason",
    "read_decision_log",
    "replay_log",
]

#: The decision values a record may hold.
DECISIONS = (ALLOWED, BLOCKED, UNDETERMINED, NO_POLICY)
CODE = "bad-decision-log"
_REQUIRED = ("account", "action", "at", "decision", "version")
_EXAMPLE = ('{"account": "acct-1001", "action": "open", "at": "2026-03-16T10:00:00+08:00", '
            '"decision": "blocked", "version": "2026.03"}')


@dataclass(frozen=True, slots=True)
class LoggedDecision:
    """One recorded decision; instants in UTC, ``blocked_by`` None when the record has none."""

    account: str
    action: str
    at: datetime
    decision: str
    version: str | None
    blocked_by: tuple[str, ...] | None = None
    known_at: datetime | None = None
    origin: Span | None = field(default=None, compare=False)


# -- reading -------------------------------------------------------------------------------


class _BadRecord(ValueError):
    """What is wrong with one record, and how to fix it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.hint = hint


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for key, value in pairs:
        if key in record:
            raise _BadRecord(f"key {key!r} appears twice in one record", "keep one of them")
        record[key] = value
    return record


def _text(record: Mapping[str, Any], key: str) -> str:
    value = record[key]
    if not isinstance(value, str) or not value.strip():
        raise _BadRecord(f"{key!r} must be a non-empty string, not {json.dumps(value)}",
                         f"write the {key} as a JSON string")
    return value


def _instant(record: Mapping[str, Any], key: str, zone: tzinfo) -> datetime:
    value = record[key]
    if not isinstance(value, str):
        raise _BadRecord(f"{key!r} must be an ISO 8601 string, not {json.dumps(value)}",
                         'write e.g. "2026-03-16T10:00:00+08:00" (no offset: the bundle timezone)')
    try:
        return parse_instant(value, zone)
    except ValueError as exc:
        raise _BadRecord(f"{key!r}: {exc}",
                         'write e.g. "2026-03-16T10:00:00+08:00" (no offset: the bundle timezone)') from None


def _from_decision_document(record: dict[str, Any]) -> dict[str, Any]:
    """A line of ``chronolex replay`` (a decision document) in the shape of a log record:
    its version is ``policy.version`` (``policy`` null: no version). Other records are
    returned as they are."""
    if "version" in record or "policy" not in record:
        return record
    policy = record["policy"]
    if policy is not None and not (isinstance(policy, dict) and "version" in policy):
        raise _BadRecord("'policy' must be null or an object with a 'version'",
                         "write the decision document as chronolex replay writes it, or give 'version'")
    return {**record, "version": policy["version"] if policy is not None else None}


def _record(record: object, zone: tzinfo, origin: Span) -> LoggedDecision:
    if not isinstance(record, dict):
        raise _BadRecord(f"a record must be a JSON object, not {type(record).__name__}",
                         f"write one object a line, e.g. {_EXAMPLE}")
    record = _from_decision_document(record)
    missing = [k for k in _REQUIRED if k not in record]
    if missing:
        raise _BadRecord(f"missing field{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}",
                         f"every record needs {', '.join(_REQUIRED)}, e.g. {_EXAMPLE}")
    decision = record["decision"]
    if decision not in DECISIONS:
        raise _BadRecord(f"unknown decision {json.dumps(decision)}", f"use one of {', '.join(DECISIONS)}")
    version = record["version"]
    if version is not None and (not isinstance(version, str) or not version):
        raise _BadRecord(f"'version' must be a version id string or null, not {json.dumps(version)}",
                         'write it as a string, e.g. "2026.03"')
    blocked_by = record.get("blocked_by")
    if blocked_by is not None:
        if not isinstance(blocked_by, list) or not all(isinstance(c, str) for c in blocked_by):
            raise _BadRecord("'blocked_by' must be a list of category names",
                             'e.g. "blocked_by": ["platform"]')
        if blocked_by and decision != BLOCKED:
            raise _BadRecord(f"'blocked_by' lists categories but the decision is {decision}",
                             "only a blocked decision has blocking categories; fix one or the other")
    known_at = _instant(record, "known_at", zone) if record.get("known_at") is not None else None
    return LoggedDecision(
        account=_text(record, "account"),
        action=_text(record, "action"),
        at=_instant(record, "at", zone),
        decision=decision,
        version=version,
        blocked_by=tuple(blocked_by) if blocked_by is not None else None,
        known_at=known_at,
        origin=origin,
    )


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ChronolexError.single("io-error", f"cannot read {path}: {exc.strerror or exc}",
                                    Span(str(path), 1, 1), "check the path of the decision log") from None
    with handle:
        yield from enumerate(handle, start=1)


def read_decision_log(path: str | Path, zone: tzinfo) -> list[LoggedDecision]:
    """Every record of the decision log at ``path``, in file order; raise
    :class:`ChronolexError` naming each bad line if any is bad.

    >>> records = read_decision_log("decisions.jsonl", bundle.timezone)  # doctest: +SKIP
    >>> records[0].decision, records[0].version  # doctest: +SKIP
    ('blocked', '2025.07')
    """
    file = str(path)
    records: list[LoggedDecision] = []
    problems: list[Diagnostic] = []
    dropped = 0
    for number, raw in _lines(Path(path)):
        span = Span(file, number, 1)
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\r\n")
            if not text.strip():
                continue
            records.append(_record(json.loads(text, object_pairs_hook=_no_repeats), zone, span))
        except UnicodeDecodeError:
            problem = ("the line is not UTF-8", "save the decision log as UTF-8")
        except _BadRecord as exc:
            problem = (str(exc), exc.hint)
        except json.JSONDecodeError as exc:
            problem = (f"not JSON: {exc.msg} (column {exc.colno})", f"write one JSON object a line, e.g. {_EXAMPLE}")
        except (ValueError, RecursionError) as exc:
            problem = (f"not a readable JSON record: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                       "write one JSON object a line")
        else:
            continue
        if len(problems) < MAX_REPORTED:
            problems.append(Diagnostic(CODE, Severity.ERROR, problem[0], span, problem[1]))
        else:
            dropped += 1
    if problems:
        if dropped:
            problems.append(Diagnostic(TOO_MANY, Severity.ERROR,
                                       f"{dropped} more bad lines not listed (only the first {MAX_REPORTED} are)",
                                       problems[-1].span, "fix these and read the log again to see the rest"))
        raise ChronolexError(problems, omitted=dropped)
    return records


# -- replaying -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReplayedReason:
    """A rule of NEW that restricts (``state == "restricts"``) or may restrict (``"undetermined"``)."""

    rule: str
    category: str
    state: str

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "category": self.category, "state": self.state}


@dataclass(frozen=True, slots=True)
class LogDifference:
    """A record whose decision would now differ: what NEW decides, with its reasons and why."""

    record: LoggedDecision
    decision: str
    version: str | None
    blocked_by: tuple[str, ...]
    reasons: tuple[ReplayedReason, ...]
    because: tuple[str, ...]

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        record = self.record
        return {
            "line": record.origin.line if record.origin else None,
            "account": record.account,
            "action": record.action,
            "at": format_instant(record.at, zone),
            "known_at": format_instant(record.known_at, zone) if record.known_at else None,
            "recorded": {
                "decision": record.decision,
                "version": record.version,
                "blocked_by": list(record.blocked_by) if record.blocked_by is not None else None,
            },
            "now": {
                "decision": self.decision,
                "version": self.version,
                "blocked_by": list(self.blocked_by),
                "reasons": [r.to_json() for r in self.reasons],
            },
            "because": list(self.because),
        }


@dataclass(frozen=True, slots=True)
class LogReplay:
    """Every record decided again under NEW: how many, and those that would now differ (in log order)."""

    new: Side
    records: int
    differing: tuple[LogDifference, ...]

    def to_json(self) -> dict[str, Any]:
        """Plain JSON types; instants in NEW's bundle timezone."""
        zone = self.new.bundle.timezone
        return {
            "new": {"label": self.new.label, "bundle": self.new.bundle.name, "pinned": self.new.is_version,
                    "version": self.new.version.id if self.new.version is not None else None},
            "records": self.records,
            "differing_count": len(self.differing),
            "differing": [d.to_json(zone) for d in self.differing],
        }


class _Histories:
    """Histories by account, the most recent few kept (a log is usually grouped by account or time)."""

    def __init__(self, source: EventSource, keep: int = 1024) -> None:
        self.source = source
        self.keep = keep
        self.found: dict[str, AccountHistory] = {}

    def __call__(self, account: str) -> AccountHistory:
        history = self.found.get(account)
        if history is None:
            if len(self.found) >= self.keep:
                del self.found[next(iter(self.found))]
            history = self.found[account] = self.source.history(account)
        return history


def _differs(record: LoggedDecision, decision: str, blocked_by: tuple[str, ...]) -> bool:
    if record.decision != decision:
        return True
    return record.blocked_by is not None and set(record.blocked_by) != set(blocked_by)


def replay_log(new: Side, source: EventSource, records: Iterable[LoggedDecision]) -> LogReplay:
    """Decide every record again under ``new``; keep those whose decision would now differ.

    A side pinned to a version decides with it as if in force; a whole bundle with its
    selection at the record's ``at`` as known at the record's ``known_at`` (if any).
    Facts are derived at ``at`` from events recorded by ``known_at``, none after ``at``.

    >>> replay = replay_log(Side("huabei@2026.03", bundle, v2603), source, records)  # doctest: +SKIP
    >>> replay.differing[0].because  # doctest: +SKIP
    ('now blocked by PLAT-RECENT-BORROWING (platform): PLAT-RECENT-BORROWING changed from 2025.07 to 2026.03',)
    """
    judge = SideJudge(new)
    histories = _Histories(source)
    total = 0
    differing: list[LogDifference] = []
    for record in records:
        total += 1
        at = record.at
        version = judge.version(at, record.known_at)
        history = histories(record.account)
        facts = judge.derive(history, at, record.known_at, judge.names(version, (record.action,)))
        now = judge.assess(version, facts, record.action, at)
        blocked_by = now.blocked_by(new.bundle)
        if not _differs(record, now.decision, blocked_by):
            continue
        reasons = tuple(ReplayedReason(o.rule.id, o.rule.category, o.state)
                        for o in (*now.restricting, *now.undetermined))
        because = _because(judge, record, version, now, history, facts)
        differing.append(LogDifference(record, now.decision, version.id if version else None, blocked_by,
                                       reasons, because))
    return LogReplay(new, total, tuple(differing))


# -- saying why ---------------------------------------------------------------------------------


def _because(judge: SideJudge, record: LoggedDecision, version: Version | None, now: Assessment,
             history: AccountHistory, facts: dict[str, FactValue]) -> tuple[str, ...]:
    """Sentences that say why NEW decides otherwise than the record."""
    bundle = judge.bundle
    if version is None:
        return (f"no version of {judge.side.label} is in force at {format_instant(record.at, bundle.timezone)}",)
    if not judge.declares(record.action):
        return (f"{judge.side.label} declares no action {record.action!r}, so nothing restricts it",)
    recorded = bundle.version(record.version) if record.version is not None else None
    if recorded is None:
        return _without_recorded(judge, record, version, now)
    names = judge.names(recorded, (record.action,)) - facts.keys()
    if names:
        facts = {**facts, **judge.derive(history, record.at, record.known_at, names)}
    then = judge.assess(recorded, facts, record.action, record.at)
    sentences = _rule_changes(then, now, recorded, version)
    if _differs(record, then.decision, then.blocked_by(bundle)):
        sentences.append(
            f"{recorded.id} itself now decides {_described(then, judge)}, not {record.decision}: "
            f"the account's events (or what was known of them) changed since the decision was recorded"
        )
    if not sentences:
        sentences.append(f"{version.id} decides {_described(now, judge)}")
    return tuple(sentences)


def _without_recorded(judge: SideJudge, record: LoggedDecision, version: Version,
                      now: Assessment) -> tuple[str, ...]:
    sentences: list[str] = []
    if record.version is not None:
        sentences.append(f"the recorded version {record.version} is not in {judge.side.label}, "
                         "so its rules cannot be compared")
    sentences.extend(f"now blocked by {o.rule.id} ({o.rule.category})" for o in now.restricting)
    sentences.extend(f"now undetermined: {_undetermined(o)}" for o in now.undetermined)
    if not now.restricting and not now.undetermined:
        sentences.append(f"nothing in {version.id} restricts {record.action} for this account")
    return tuple(sentences)


def _rule_changes(then: Assessment, now: Assessment, recorded: Version, version: Version) -> list[str]:
    """Rules that restrict (or are undetermined) under one version and not the other, with
    whether each was added, removed or changed between the two."""
    sentences: list[str] = []
    before = {o.rule.id: o for o in then.restricting}
    after = {o.rule.id: o for o in now.restricting}
    for rule_id, outcome in after.items():
        if rule_id not in before:
            sentences.append(f"now blocked by {rule_id} ({outcome.rule.category})"
                             + _origin(rule_id, recorded, version, "new"))
    for rule_id, outcome in before.items():
        if rule_id not in after:
            sentences.append(f"no longer blocked by {rule_id} ({outcome.rule.category})"
                             + _origin(rule_id, recorded, version, "old"))
    undecided_before = {o.rule.id for o in then.undetermined}
    for outcome in now.undetermined:
        if outcome.rule.id not in undecided_before:
            sentences.append(f"now undetermined: {_undetermined(outcome)}"
                             + _origin(outcome.rule.id, recorded, version, "new"))
    undecided_now = {o.rule.id for o in now.undetermined}
    for outcome in then.undetermined:
        if outcome.rule.id not in undecided_now and outcome.rule.id not in after:
            sentences.append(f"no longer undetermined: {outcome.rule.id} ({outcome.rule.category})"
                             + _origin(outcome.rule.id, recorded, version, "old"))
    return sentences


def _origin(rule_id: str, recorded: Version, version: Version, side: str) -> str:
    if recorded.id == version.id:
        return ""
    was, now = recorded.rule(rule_id), version.rule(rule_id)
    if was is None and side == "new":
        return f": {rule_id} is new in {version.id} (not in {recorded.id})"
    if now is None and side == "old":
        return f": {rule_id} is not in {version.id}"
    if was is not None and now is not None and not rules_alike(was, now):
        return f": {rule_id} changed from {recorded.id} to {version.id}"
    return ""


def _undetermined(outcome: RuleOutcome) -> str:
    missing = f", missing {', '.join(outcome.missing)}" if outcome.missing else ""
    return f"{outcome.rule.id} ({outcome.rule.category}) cannot be decided{missing}"


def _described(assessment: Assessment, judge: SideJudge) -> str:
    categories = assessment.blocked_by(judge.bundle)
    return f"{assessment.decision} ({', '.join(categories)})" if categories else assessment.decision
