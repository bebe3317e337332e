"""A decision and its explanation, as data (docs/reference/decision.md).

:class:`Decision` holds what was decided and why: the version used and why it was the
one, every restriction with its evidence and when it lifts, the rules that could not be
decided for want of a fact, and the next change. :meth:`Decision.to_json` renders the
document of ``schemas/decision.schema.json``; it is pure and deterministic (same
decision, same bytes).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from chronolex.evaluation.facts import FactValue
from chronolex.events.event import Event
from chronolex.lang import UNKNOWN
from chronolex.model import Bundle, Rule, Version
from chronolex.instants import Duration, format_instant


@dataclass(frozen=True, slots=True)
class Evidence:
    """A fact the condition read, its value, and the events behind it (most recent last)."""

    fact: str
    value: object
    events: tuple[Event, ...] = ()
    total_events: int = 0

    @property
    def unknown(self) -> bool:
        return self.value is UNKNOWN


@dataclass(frozen=True, slots=True)
class Lift:
    """When a restriction lifts: at an instant (time-bound), under a condition (fact-bound), or both."""

    at: datetime | None
    when: str | None = None
    because: str | None = None
    #: The facts whose change lifts it at ``at`` (read by the deciding part of the rule's
    #: condition there); empty when time bounds or a version lift it.
    facts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule that restricts (or, in ``undetermined``, may restrict) the action."""

    rule: Rule
    evidence: tuple[Evidence, ...] = ()
    lifts: Lift | None = None
    missing: tuple[str, ...] = ()
    settled_by: str | None = None
    error: str | None = None
    #: The part of the rule's ``when`` that decided, when it is less than the whole
    #: condition (the ``or`` branch that held, the comparison that was unknown); the
    #: evidence lists only the facts it and the deciding part of ``unless`` read.
    decided_by: str | None = None

    @property
    def category(self) -> str:
        return self.rule.category


@dataclass(frozen=True, slots=True)
class NextChange:
    """The earliest later instant at which the decision or its reasons change (no new events)."""

    at: datetime | None
    decision: str | None = None
    blocked_by: tuple[str, ...] = ()
    because: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DecisionNote:
    """A note the engine itself writes about a decision, as a code and its values, so a
    reader (the console, in the agent's language) can word it; ``text`` is the note in
    English, as :attr:`Decision.notes` holds it.

    ``walk-stopped`` (``at``: where the search for what changes next stopped, ``steps``:
    how many change points it took) and ``out-of-range`` (``after``: the end of the
    supported years, after which no change was looked for). Instants are aware datetimes,
    to be shown in the bundle's zone.
    """

    code: str
    values: Mapping[str, object]
    text: str


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to (account, action, at, known_at), with everything needed to explain it."""

    bundle: Bundle = field(compare=False, repr=False)
    account: str | None
    action: str
    at: datetime
    known_at: datetime | None
    decision: str
    version: Version | None
    chosen_because: str
    blocked_by: tuple[str, ...] = ()
    reasons: tuple[Reason, ...] = ()
    undetermined: tuple[Reason, ...] = ()
    next_change: NextChange | None = None
    notes: tuple[str, ...] = ()
    #: When the block as a whole lifts if no new event arrives (None unless blocked):
    #: ``at`` the instant, or None when time alone does not end it (``when`` then says
    #: what would). Not the end of any one reason: another may start meanwhile.
    lifts: Lift | None = None
    #: The fact values the decision read (those the rules of its version and action
    #: need), as derived or given: what a decision log records. Not part of the document.
    facts: Mapping[str, FactValue] = field(default_factory=dict, compare=False, repr=False)
    #: The notes of :attr:`notes` the engine itself wrote, as codes and values (each
    #: :attr:`DecisionNote.text` is one of ``notes``). Not part of the document.
    coded_notes: tuple[DecisionNote, ...] = field(default=(), compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """The decision document (``schemas/decision.schema.json``)."""
        zone = self.bundle.timezone
        policy = None
        if self.version is not None:
            policy = {
                "bundle": self.bundle.name,
                "version": self.version.id,
                "effective_from": format_instant(self.version.effective_from, zone),
                "published_at": format_instant(self.version.published_at, zone),
                "chosen_because": self.chosen_because,
            }
        document: dict[str, Any] = {
            "account": self.account,
            "action": self.action,
            "at": format_instant(self.at, zone),
            "known_at": format_instant(self.known_at, zone) if self.known_at else None,
            "decision": self.decision,
            "policy": policy,
            "blocked_by": list(self.blocked_by),
            "reasons": [_reason(r, zone) for r in self.reasons],
            "undetermined": [_reason(r, zone, undetermined=True) for r in self.undetermined],
            "next_change": _next_change(self.next_change, zone),
        }
        if self.lifts is not None:
            document["lifts"] = _lift(self.lifts, zone)
        if self.notes:
            document["notes"] = list(self.notes)
        return document


def json_value(value: object, zone: tzinfo) -> object:
    """A fact value as JSON: numbers stay numbers, instants carry the bundle offset."""
    if value is UNKNOWN:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return format_instant(value, zone)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Duration):
        return value.text
    if isinstance(value, (list, tuple)):
        return [json_value(v, zone) for v in value]
    if isinstance(value, Mapping):
        return {k: json_value(v, zone) for k, v in value.items()}
    return value


def _event(event: Event, zone: tzinfo) -> dict[str, Any]:
    out: dict[str, Any] = {"at": format_instant(event.at, zone), "type": event.type}
    if event.recorded_at != event.at:
        out["recorded_at"] = format_instant(event.recorded_at, zone)
    if event.id is not None:
        out["id"] = event.id
    return out


def _reason(reason: Reason, zone: tzinfo, undetermined: bool = False) -> dict[str, Any]:
    rule = reason.rule
    source = rule.source.as_dict() if rule.source is not None else None
    out: dict[str, Any] = {
        "rule": rule.id,
        "category": rule.category,
        "title": rule.title,
        "source": source,
        "message": rule.message,
        "remedy": rule.remedy,
        "condition": rule.when.text if rule.when else None,
        "unless": rule.unless.text if rule.unless else None,
        **({"decided_by": reason.decided_by} if reason.decided_by is not None else {}),
        "evidence": [
            {
                "fact": e.fact,
                "value": json_value(e.value, zone),
                **({"unknown": True} if e.unknown else {}),
                "from_events": [_event(x, zone) for x in e.events],
                **({"events_total": e.total_events} if e.total_events > len(e.events) else {}),
            }
            for e in reason.evidence
        ],
    }
    if undetermined:
        out["missing_facts"] = list(reason.missing)
    if reason.lifts is not None:
        out["lifts"] = _lift(reason.lifts, zone)
    if reason.settled_by:
        out["settled_by"] = reason.settled_by
    if reason.error:
        out["error"] = reason.error
    return out


def _lift(lift: Lift, zone: tzinfo) -> dict[str, Any]:
    out: dict[str, Any] = {"at": format_instant(lift.at, zone) if lift.at else None, "when": lift.when}
    if lift.because:
        out["because"] = lift.because
    return out


def _next_change(change: NextChange | None, zone: tzinfo) -> dict[str, Any] | None:
    if change is None:
        return None
    if change.at is None:
        return {"at": None}
    out: dict[str, Any] = {"at": format_instant(change.at, zone), "decision": change.decision,
                           "blocked_by": list(change.blocked_by)}
    if change.because:
        out["because"] = list(change.because)
    return out
