"""What the platform actually decided, from the decision log, beside what a replay says today.

A replay answers with the rules and events as known today; the log holds what the
service answered then. When they differ the page says why, in the terms an auditor
asks about: the version in force now is not the one that decided (a retroactive
version, or a bundle reloaded since), events were recorded after the decision, or the
caller gave facts that the events do not support. Each reason is kept as a
:class:`Difference` (a code and its values), not a sentence, so the page words it in the
agent's language (:mod:`chronolex.service.console.differences`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from chronolex.evaluation.assess import Evaluator
from chronolex.evaluation.decide import decide
from chronolex.evaluation.decision import Decision, json_value
from chronolex.evaluation.facts import derive_facts
from chronolex.evaluation.hindsight import knowledge_differences
from chronolex.events.event import AccountHistory
from chronolex.instants import format_instant, parse_instant
from chronolex.log.record import DecisionRecord
from chronolex.log.store import DecisionLog
from chronolex.model import Bundle

#: How far from the asked instant a logged decision is still shown.
NEAR = timedelta(days=1)
#: At most this many logged decisions are compared on one page, the nearest first.
SHOWN = 10


@dataclass(frozen=True, slots=True)
class Outcome:
    """A decision reduced to what the log keeps."""

    decision: str
    blocked_by: tuple[str, ...]
    rules: tuple[str, ...]
    version: str | None


@dataclass(frozen=True, slots=True)
class Difference:
    """One reason a logged decision and today's replay differ, as a code and its values.

    ``version`` (``logged``, ``today``: version ids or None; ``at``), ``fact`` (``name``,
    ``given``, ``derived``: JSON values), ``unexplained`` (no values), and the codes of
    :class:`~chronolex.evaluation.hindsight.KnowledgeNote` with its values.
    """

    code: str
    values: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Comparison:
    """One logged decision beside the replay of the same question today."""

    decision_id: str
    action: str
    at: datetime
    received_at: datetime
    facts_given: bool
    logged: Outcome
    replay: Outcome
    because: tuple[Difference, ...]

    @property
    def same(self) -> bool:
        return self.logged == self.replay


def nearby_records(log: DecisionLog, bundle: Bundle, account: str, at: datetime,
                   actions: Iterable[str]) -> list[DecisionRecord]:
    """The account's logged decisions of ``bundle`` about an instant within :data:`NEAR`
    of ``at``, for ``actions``, the nearest first (at most :data:`SHOWN`)."""
    zone = bundle.timezone
    wanted = set(actions)
    start, end = at - NEAR, at + NEAR
    found = []
    for record in log.records(account=account, start=format_instant(start, zone), end=format_instant(end, zone)):
        entry = record.entry
        if entry.account != account or entry.bundle != bundle.name or entry.action not in wanted:
            continue
        instant = parse_instant(entry.at, zone)
        if start <= instant < end:  # the bounds again: the log compares what it stores
            found.append((abs(instant - at), record.seq, record))
    found.sort(key=lambda item: (item[0], item[1]))
    return [record for _, _, record in found[:SHOWN]]


def outcome(decision: Decision) -> Outcome:
    return Outcome(decision.decision, decision.blocked_by, tuple(r.rule.id for r in decision.reasons),
                   decision.version.id if decision.version else None)


def compare(record: DecisionRecord, bundle: Bundle, history: AccountHistory, evaluator: Evaluator) -> Comparison:
    """The logged decision beside today's replay, and why they differ."""
    entry = record.entry
    zone = bundle.timezone
    at, received = parse_instant(entry.at, zone), parse_instant(entry.received_at, zone)
    known = parse_instant(entry.known_at, zone) if entry.known_at else received
    logged = Outcome(entry.decision, tuple(entry.blocked_by), tuple(entry.rules), entry.version)
    today = decide(bundle, history, entry.action, at, evaluator=evaluator)
    replay = outcome(today)
    because: list[Difference] = []
    if logged != replay:
        because = _differences(entry.facts if entry.facts_given else None, logged, bundle, history, at, known,
                               today, evaluator, entry.action)
    return Comparison(record.decision_id, entry.action, at, received, entry.facts_given, logged, replay,
                      tuple(because))


def _differences(given: Mapping[str, object] | None, logged: Outcome, bundle: Bundle, history: AccountHistory,
                 at: datetime, known: datetime, today: Decision, evaluator: Evaluator,
                 action: str) -> list[Difference]:
    zone = bundle.timezone
    because = []
    today_version = today.version.id if today.version else None
    if logged.version != today_version:
        because.append(Difference("version", {"logged": logged.version, "today": today_version, "at": at}))
    if given is not None:
        derived = derive_facts(bundle, history, at, names=[n for n in given if n in bundle.facts])
        for name in sorted(given):
            if name not in derived:
                continue
            now = json_value(derived[name].value, zone)
            if now != given[name]:
                because.append(Difference("fact", {"name": name, "given": given[name], "derived": now}))
    else:
        then = decide(bundle, history, action, at, known, evaluator=evaluator)
        because.extend(Difference(note.code, note.values) for note in knowledge_differences(then, today, history))
    if not because:
        because.append(Difference("unexplained", {}))
    return because
