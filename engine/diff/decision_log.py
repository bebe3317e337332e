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

The service's own log (:class:`~chronolex.log.store.DecisionLog`, an SQLite file) is read
too: :func:`read_decision_log` tells it by its header, and each record becomes a
:class:`LoggedDecision` that also carries its ``seq``, ``decision_id``, ``received_at``,
``rules`` and the facts the service used. Such a record is compared on its rules as well,
one decided on given facts is decided again on those facts, and the difference names
its causes in terms of knowledge: a version published after the decision that is now in
force at its instant (``retroactive-version``), events that happened before the
decision but were recorded after it (``late-events``), and fact values that are not
what the service used (``changed-facts``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any

from chronolex.evaluation.decision import json_value
from chronolex.evaluation.facts import FactValue
from chronolex.evaluation.given import given_facts
from chronolex.errors import MAX_REPORTED, TOO_MANY, ChronolexError, Diagnostic, Severity, Span
from chronolex.evaluation.assess import (
    ALLOWED,
    BLOCKED,
    NO_POLICY,
    UNDETERMINED,
    Assessment,
    RuleOutcome,
)
from chronolex.events.event import AccountHistory, Event, EventSource
from chronolex.log.record import DecisionRecord
from chronolex.log.store import DecisionLog, is_decision_log_file
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
    "Why",
    "logged_decision",
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
    """One recorded decision; instants in UTC, ``blocked_by`` None when the record has none.

    The fields after ``origin`` come from the service's decision log only (None in a
    JSON Lines log): ``seq`` and ``decision_id`` name the record, ``received_at`` is when
    the service decided, ``rules`` the rules that restricted, ``facts`` the fact values
    it used (JSON values) and ``facts_given`` whether the caller gave them.
    """

    account: str
    action: str
    at: datetime
    decision: str
    version: str | None
    blocked_by: tuple[str, ...] | None = None
    known_at: datetime | None = None
    origin: Span | None = field(default=None, compare=False)
    seq: int | None = None
    decision_id: str | None = None
    received_at: datetime | None = None
    bundle: str | None = None
    rules: tuple[str, ...] | None = None
    facts: Mapping[str, Any] | None = field(default=None, compare=False)
    facts_given: bool = False


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


def logged_decision(record: DecisionRecord) -> LoggedDecision:
    """A record of the service's decision log as a :class:`LoggedDecision` (instants in UTC).

    >>> logged_decision(record).seq, logged_decision(record).rules  # doctest: +SKIP
    (1, ('PLAT-SCORE-FLOOR',))
    """
    entry = record.entry
    utc = timezone.utc
    return LoggedDecision(
        account=entry.account, action=entry.action, at=parse_instant(entry.at, utc), decision=entry.decision,
        version=entry.version, blocked_by=tuple(entry.blocked_by),
        known_at=parse_instant(entry.known_at, utc) if entry.known_at is not None else None,
        seq=record.seq, decision_id=record.decision_id, received_at=parse_instant(entry.received_at, utc),
        bundle=entry.bundle, rules=tuple(entry.rules), facts=entry.facts, facts_given=entry.facts_given,
    )


def read_decision_log(path: str | Path, zone: tzinfo) -> list[LoggedDecision]:
    """Every record of the decision log at ``path``, in file order; raise
    :class:`ChronolexError` naming each bad line if any is bad.

    A file that starts with SQLite's header is read as the service's decision log
    (:class:`~chronolex.log.store.DecisionLog`), in log order; anything else as JSON Lines.

    >>> records = read_decision_log("decisions.jsonl", bundle.timezone)  # doctest: +SKIP
    >>> records[0].decision, records[0].version  # doctest: +SKIP
    ('blocked', '2025.07')
    """
    if is_decision_log_file(path):
        with DecisionLog(path) as log:
            return [logged_decision(record) for record in log.records()]
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
class Why:
    """One sentence of :attr:`LogDifference.because` as a code and its values, so a reader
    can say it in another language (``chronolex log replay --lang``, the console); ``text``
    is the sentence in English, as ``because`` holds it.

    Codes and values (instants are aware datetimes, version ids may be None):
    ``retroactive-version`` (``version``, ``published_at``, ``received_at``, ``at``),
    ``changed-version`` (``at``, ``today``, ``logged``, ``gone``: the logged version is no
    longer in the bundle), ``late-events`` (``received_at``, ``count``, ``events``: the
    first few, each ``event_type``, ``event_at``, ``recorded_at``), ``changed-facts``
    (``facts``: each ``name``, ``logged``, ``now``), ``now-blocked``, ``no-longer-blocked``,
    ``now-undetermined`` (also ``missing``) and ``no-longer-undetermined`` (``rule``,
    ``category`` or None, ``origin``: ``new``, ``removed``, ``changed`` or None, between the
    versions ``recorded`` and ``version``), ``recorded-version-decides`` (``version``,
    ``decision``, ``blocked_by``, ``logged``, ``since``: ``events`` or ``rules``),
    ``version-decides`` (``version``, ``decision``, ``blocked_by``), ``no-version``
    (``side``, ``at``), ``no-action`` (``side``, ``action``), ``version-not-in-side``
    (``version``, ``side``) and ``nothing-restricts`` (``version``, ``action``).
    """

    code: str
    values: Mapping[str, object]
    text: str

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        return {"code": self.code, "values": json_value(self.values, zone)}


@dataclass(frozen=True, slots=True)
class LogDifference:
    """A record whose decision would now differ: what NEW decides, with its reasons and why."""

    record: LoggedDecision
    decision: str
    version: str | None
    blocked_by: tuple[str, ...]
    reasons: tuple[ReplayedReason, ...]
    because: tuple[str, ...]
    #: Why, as codes (records of the service's log only): ``retroactive-version`` (a version
    #: published after the decision is now in force at its instant), ``changed-version``
    #: (another version is in force there for another reason), ``late-events``,
    #: ``changed-facts``, ``changed-rules`` (the same version now decides otherwise: its
    #: rules were edited) and ``new-version`` (a pinned NEW side that is not the version
    #: that decided).
    causes: tuple[str, ...] = ()
    #: ``because`` as codes and values, one a sentence in the same order.
    why: tuple[Why, ...] = ()

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        record = self.record
        logged = {} if record.seq is None else {
            "seq": record.seq, "decision_id": record.decision_id,
            "received_at": format_instant(record.received_at, zone) if record.received_at else None,
        }
        out = {
            "line": record.origin.line if record.origin else None,
            **logged,
            "account": record.account,
            "action": record.action,
            "at": format_instant(record.at, zone),
            "known_at": format_instant(record.known_at, zone) if record.known_at else None,
            "recorded": {
                "decision": record.decision,
                "version": record.version,
                "blocked_by": list(record.blocked_by) if record.blocked_by is not None else None,
                **({"rules": list(record.rules)} if record.rules is not None else {}),
            },
            "now": {
                "decision": self.decision,
                "version": self.version,
                "blocked_by": list(self.blocked_by),
                "reasons": [r.to_json() for r in self.reasons],
            },
            "because": list(self.because),
            "why": [w.to_json(zone) for w in self.why],
        }
        if record.seq is not None:
            out["causes"] = list(self.causes)
        return out


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


def _differs(record: LoggedDecision, decision: str, blocked_by: tuple[str, ...],
             rules: tuple[str, ...] = ()) -> bool:
    if record.decision != decision:
        return True
    if record.rules is not None and set(record.rules) != set(rules):
        return True
    return record.blocked_by is not None and set(record.blocked_by) != set(blocked_by)


def _given(judge: SideJudge, record: LoggedDecision) -> dict[str, FactValue]:
    """The facts a record was decided on, given again (those the bundle still declares)."""
    assert record.facts is not None
    declared = {k: v for k, v in record.facts.items() if k in judge.bundle.facts}
    return given_facts(judge.bundle, declared, record.at)


def replay_log(new: Side, source: EventSource, records: Iterable[LoggedDecision]) -> LogReplay:
    """Decide every record again under ``new``; keep those whose decision would now differ.

    A side pinned to a version decides with it as if in force; a whole bundle with its
    selection at the record's ``at`` as known at the record's ``known_at`` (if any).
    Facts are derived at ``at`` from events recorded by ``known_at``, none after ``at``;
    a record of the service's log decided on given facts is decided on those facts again.
    Such a record also differs when its rules do, and says which knowledge changed.

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
        given = record.facts_given and record.facts is not None
        history = AccountHistory(record.account, ()) if given else histories(record.account)
        if given:
            facts = _given(judge, record)
        else:
            facts = judge.derive(history, at, record.known_at, judge.names(version, (record.action,)))
        now = judge.assess(version, facts, record.action, at)
        blocked_by = now.blocked_by(new.bundle)
        rules = tuple(o.rule.id for o in now.restricting)
        if not _differs(record, now.decision, blocked_by, rules):
            continue
        reasons = tuple(ReplayedReason(o.rule.id, o.rule.category, o.state)
                        for o in (*now.restricting, *now.undetermined))
        causes: tuple[str, ...] = ()
        knowledge: tuple[Why, ...] = ()
        if record.received_at is not None:
            causes, knowledge = _knowledge(judge, record, version, history, given)
        if record.received_at is not None and not causes and new.version is not None \
                and new.version.id != record.version:
            causes = ("new-version",)  # NEW is another version than the one that decided: the diff's own subject
            because = _because(judge, record, version, now, history, facts)
        elif record.received_at is not None and not causes:  # same version, facts and events: the rules changed
            causes = ("changed-rules",)
            because = _because(judge, record, version, now, history, facts, _RULES_CHANGED)
        else:
            because = _because(judge, record, version, now, history, facts)
        why = (*knowledge, *because)
        differing.append(LogDifference(record, now.decision, version.id if version else None, blocked_by,
                                       reasons, tuple(w.text for w in why), causes, why))
    return LogReplay(new, total, tuple(differing))


#: Late events listed by name in a sentence; the rest are counted.
_LATE_SHOWN = 3


def _knowledge(judge: SideJudge, record: LoggedDecision, version: Version | None, history: AccountHistory,
               given: bool) -> tuple[tuple[str, ...], tuple[Why, ...]]:
    """What is known now that the service did not know when it decided: (cause codes, sentences)."""
    zone = judge.bundle.timezone
    received = record.received_at
    assert received is not None
    causes: list[str] = []
    sentences: list[Why] = []
    now_id = version.id if version is not None else None
    if judge.side.version is None and now_id != record.version:  # a pinned side decides by itself
        when = format_instant(record.at, zone)
        if version is not None and version.published_at > received:
            causes.append("retroactive-version")
            sentences.append(Why(
                "retroactive-version", {"version": version.id, "published_at": version.published_at,
                                        "received_at": received, "at": record.at},
                f"retroactive version: {version.id} was published {format_instant(version.published_at, zone)}, "
                f"after this decision was made ({format_instant(received, zone)}), and is in force at {when}"))
        else:
            causes.append("changed-version")
            gone = record.version is not None and judge.bundle.version(record.version) is None
            sentences.append(Why(
                "changed-version", {"at": record.at, "today": now_id, "logged": record.version, "gone": gone},
                f"the version in force at {when} is now {now_id or 'none'}, not {record.version or 'none'}"
                + (f" ({record.version} is no longer in the bundle)" if gone else " (the bundle's versions changed)")))
    if given:
        return tuple(causes), tuple(sentences)
    if record.known_at is None:
        late = [e for e in history.events if e.at <= record.at and e.recorded_at > received]
        if late:
            causes.append("late-events")
            sentences.append(Why("late-events", {
                "received_at": received, "count": len(late),
                "events": tuple({"event_type": e.type, "event_at": e.at, "recorded_at": e.recorded_at}
                                for e in late[:_LATE_SHOWN])}, _late_sentence(late, received, zone)))
    if record.facts:
        names = frozenset(name for name in record.facts if name in judge.bundle.facts)
        now_facts = judge.derive(history, record.at, record.known_at, names)
        changed = [(name, record.facts[name], json_value(now_facts[name].value, zone))
                   for name in sorted(names) if name in now_facts]
        changed = [(name, was, now) for name, was, now in changed if was != now or type(was) is not type(now)]
        if changed:
            causes.append("changed-facts")
            sentences.append(Why("changed-facts", {
                "facts": tuple({"name": name, "logged": was, "now": now} for name, was, now in changed)},
                "changed facts: " + "; ".join(
                    f"{name} was {json.dumps(was, ensure_ascii=False)} when decided, now "
                    f"{json.dumps(now, ensure_ascii=False)}" for name, was, now in changed)))
    return tuple(causes), tuple(sentences)


def _late_sentence(late: list[Event], received: datetime, zone: tzinfo) -> str:
    shown = ", ".join(f"{e.type} of {format_instant(e.at, zone)} recorded {format_instant(e.recorded_at, zone)}"
                      for e in late[:_LATE_SHOWN])
    more = f" and {len(late) - _LATE_SHOWN} more" if len(late) > _LATE_SHOWN else ""
    count = f"{len(late)} events that" if len(late) != 1 else "1 event that"
    verb = "were" if len(late) != 1 else "was"
    return (f"events recorded late: {count} happened before the decision {verb} recorded after it was made "
            f"({format_instant(received, zone)}): {shown}{more}")


# -- saying why ---------------------------------------------------------------------------------


#: Why the recorded version itself now decides otherwise: what changed since.
_EVENTS_CHANGED = "the account's events (or what was known of them) changed since the decision was recorded"
_RULES_CHANGED = "its rules in the bundle files were changed after the decision was made"


def _because(judge: SideJudge, record: LoggedDecision, version: Version | None, now: Assessment,
             history: AccountHistory, facts: dict[str, FactValue],
             itself: str = _EVENTS_CHANGED) -> tuple[Why, ...]:
    """Sentences that say why NEW decides otherwise than the record."""
    bundle = judge.bundle
    if version is None:
        return (Why("no-version", {"side": judge.side.label, "at": record.at},
                    f"no version of {judge.side.label} is in force at {format_instant(record.at, bundle.timezone)}"),)
    if not judge.declares(record.action):
        return (Why("no-action", {"side": judge.side.label, "action": record.action},
                    f"{judge.side.label} declares no action {record.action!r}, so nothing restricts it"),)
    recorded = bundle.version(record.version) if record.version is not None else None
    if recorded is None:
        return _without_recorded(judge, record, version, now)
    names = judge.names(recorded, (record.action,)) - facts.keys()
    if names:
        facts = {**facts, **judge.derive(history, record.at, record.known_at, names)}
    then = judge.assess(recorded, facts, record.action, record.at)
    sentences = _rule_changes(then, now, recorded, version)
    if not sentences and record.rules is not None:  # the same version decides otherwise: name the rules
        sentences = _logged_rule_changes(record.rules, now)
    if _differs(record, then.decision, then.blocked_by(bundle), tuple(o.rule.id for o in then.restricting)):
        sentences.append(Why(
            "recorded-version-decides",
            {"version": recorded.id, "decision": then.decision, "blocked_by": then.blocked_by(bundle),
             "logged": record.decision, "since": "rules" if itself == _RULES_CHANGED else "events"},
            f"{recorded.id} itself now decides {_described(then, judge)}, not {record.decision}: {itself}"))
    if not sentences:
        sentences.append(Why("version-decides", {"version": version.id, "decision": now.decision,
                                                 "blocked_by": now.blocked_by(bundle)},
                             f"{version.id} decides {_described(now, judge)}"))
    return tuple(sentences)


def _without_recorded(judge: SideJudge, record: LoggedDecision, version: Version,
                      now: Assessment) -> tuple[Why, ...]:
    sentences: list[Why] = []
    if record.version is not None:
        sentences.append(Why("version-not-in-side", {"version": record.version, "side": judge.side.label},
                             f"the recorded version {record.version} is not in {judge.side.label}, "
                             "so its rules cannot be compared"))
    sentences.extend(_rule_why("now-blocked", o, None, None) for o in now.restricting)
    sentences.extend(_rule_why("now-undetermined", o, None, None) for o in now.undetermined)
    if not now.restricting and not now.undetermined:
        sentences.append(Why("nothing-restricts", {"version": version.id, "action": record.action},
                             f"nothing in {version.id} restricts {record.action} for this account"))
    return tuple(sentences)


_RULE_SENTENCES = {"now-blocked": "now blocked by {rule} ({category})",
                   "no-longer-blocked": "no longer blocked by {rule} ({category})",
                   "now-undetermined": "now undetermined: {rule} ({category}) cannot be decided{missing}",
                   "no-longer-undetermined": "no longer undetermined: {rule} ({category})"}


def _rule_why(code: str, outcome: RuleOutcome, recorded: Version | None, version: Version | None,
              side: str = "new") -> Why:
    """A rule that restricts (or cannot be decided) under one side and not the other, and
    whether it was added, removed or changed between ``recorded`` and ``version``."""
    rule_id = outcome.rule.id
    origin = _origin(rule_id, recorded, version, side) if recorded is not None and version is not None else None
    missing = tuple(outcome.missing) if code == "now-undetermined" else ()
    text = _RULE_SENTENCES[code].format(rule=rule_id, category=outcome.rule.category,
                                        missing=f", missing {', '.join(missing)}" if missing else "")
    if origin is not None:
        assert recorded is not None and version is not None
        text += {"new": f": {rule_id} is new in {version.id} (not in {recorded.id})",
                 "removed": f": {rule_id} is not in {version.id}",
                 "changed": f": {rule_id} changed from {recorded.id} to {version.id}"}[origin]
    values: dict[str, object] = {"rule": rule_id, "category": outcome.rule.category, "origin": origin,
                                 "recorded": recorded.id if recorded else None,
                                 "version": version.id if version else None}
    if code == "now-undetermined":
        values["missing"] = missing
    return Why(code, values, text)


def _rule_changes(then: Assessment, now: Assessment, recorded: Version, version: Version) -> list[Why]:
    """Rules that restrict (or are undetermined) under one version and not the other, with
    whether each was added, removed or changed between the two."""
    sentences: list[Why] = []
    before = {o.rule.id: o for o in then.restricting}
    after = {o.rule.id: o for o in now.restricting}
    for rule_id, outcome in after.items():
        if rule_id not in before:
            sentences.append(_rule_why("now-blocked", outcome, recorded, version, "new"))
    for rule_id, outcome in before.items():
        if rule_id not in after:
            sentences.append(_rule_why("no-longer-blocked", outcome, recorded, version, "old"))
    undecided_before = {o.rule.id for o in then.undetermined}
    for outcome in now.undetermined:
        if outcome.rule.id not in undecided_before:
            sentences.append(_rule_why("now-undetermined", outcome, recorded, version, "new"))
    undecided_now = {o.rule.id for o in now.undetermined}
    for outcome in then.undetermined:
        if outcome.rule.id not in undecided_now and outcome.rule.id not in after:
            sentences.append(_rule_why("no-longer-undetermined", outcome, recorded, version, "old"))
    return sentences


def _logged_rule_changes(logged: tuple[str, ...], now: Assessment) -> list[Why]:
    """The rules that restrict now and did not when the record was logged, and the other way round."""
    restricting = {o.rule.id: o for o in now.restricting}
    sentences = [_rule_why("now-blocked", o, None, None) for rule_id, o in restricting.items()
                 if rule_id not in logged]
    sentences.extend(Why("no-longer-blocked", {"rule": rule_id, "category": None, "origin": None, "recorded": None,
                                               "version": None}, f"no longer blocked by {rule_id}")
                     for rule_id in logged if rule_id not in restricting)
    return sentences


def _origin(rule_id: str, recorded: Version, version: Version, side: str) -> str | None:
    if recorded.id == version.id:
        return None
    was, now = recorded.rule(rule_id), version.rule(rule_id)
    if was is None and side == "new":
        return "new"
    if now is None and side == "old":
        return "removed"
    if was is not None and now is not None and not rules_alike(was, now):
        return "changed"
    return None


def _described(assessment: Assessment, judge: SideJudge) -> str:
    categories = assessment.blocked_by(judge.bundle)
    return f"{assessment.decision} ({', '.join(categories)})" if categories else assessment.decision
