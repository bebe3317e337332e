"""Hindsight: what an answer "as known at K" misses of what is known today.

An auditor replaying a decision wants both answers — what the system could decide with
what it knew at K, and what it should have decided with everything known now — and the
reasons they differ: a version published after K (a retroactive regulation), or events
not known at K (recorded late, or not yet happened when K is before T).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import cast
from zoneinfo import ZoneInfo

from chronolex.evaluation.assess import Evaluator
from chronolex.evaluation.decide import decide
from chronolex.evaluation.decision import Decision
from chronolex.events.event import AccountHistory
from chronolex.instants import format_instant
from chronolex.model import Bundle

#: Every hindsight note starts with this, so a reader tells it from the decision's own notes.
PREFIX = "as known today: "


@dataclass(frozen=True, slots=True)
class KnowledgeNote:
    """One thing the answer as known then misses, as a code and its values, so a reader
    (the console, in the agent's language) can word it; :func:`knowledge_notes` words it
    in English.

    ``code`` is one of ``later-version`` (``version``, ``published_at``),
    ``decision-changed`` (``decision``, ``blocked_by``), ``happened-after`` (``event_type``,
    ``event_at``) and ``recorded-late`` (``event_type``, ``event_at``, ``recorded_at``).
    Instants are aware datetimes, to be shown in the bundle's zone.
    """

    code: str
    values: Mapping[str, object]


def knowledge_differences(then: Decision, today: Decision, history: AccountHistory) -> tuple[KnowledgeNote, ...]:
    """What the answer as known then (``then``) misses of what is known today (``today``),
    for the account whose history is ``history``: one :class:`KnowledgeNote` a reason.

    >>> knowledge_differences.__name__
    'knowledge_differences'
    """
    notes: list[KnowledgeNote] = []
    if then.version != today.version and today.version is not None:
        notes.append(KnowledgeNote("later-version", {"version": today.version.id,
                                                     "published_at": today.version.published_at}))
    if then.decision != today.decision or then.blocked_by != today.blocked_by:
        notes.append(KnowledgeNote("decision-changed", {"decision": today.decision,
                                                        "blocked_by": tuple(today.blocked_by)}))
    known_at = then.known_at
    if known_at is not None:
        for event in history.events:
            if event.at > then.at or event.recorded_at <= known_at:
                continue
            if event.at > known_at:  # it had not happened yet at the knowledge instant
                notes.append(KnowledgeNote("happened-after", {"event_type": event.type, "event_at": event.at}))
            else:
                notes.append(KnowledgeNote("recorded-late", {"event_type": event.type, "event_at": event.at,
                                                             "recorded_at": event.recorded_at}))
    return tuple(notes)


def knowledge_notes(then: Decision, today: Decision, history: AccountHistory) -> tuple[str, ...]:
    """What the answer as known then (``then``) misses of what is known today (``today``),
    for the account whose history is ``history``: one English sentence a reason
    (:func:`knowledge_differences` worded).

    >>> knowledge_notes.__name__
    'knowledge_notes'
    """
    zone = then.bundle.timezone
    return tuple(_english(note, zone) for note in knowledge_differences(then, today, history))


def _english(note: KnowledgeNote, zone: ZoneInfo) -> str:
    values = note.values

    def when(name: str) -> str:
        instant = values[name]
        assert isinstance(instant, datetime)
        return format_instant(instant, zone)

    if note.code == "later-version":
        return (f"today's answer uses version {values['version']}, published {when('published_at')}, "
                "after the knowledge instant")
    if note.code == "decision-changed":
        blocked = cast("tuple[str, ...]", values["blocked_by"])
        return (f"with everything known today the decision is {values['decision']}"
                + (f" ({', '.join(blocked)})" if blocked else ""))
    if note.code == "happened-after":
        return (f"{values['event_type']} of {when('event_at')} happened after the knowledge instant, "
                "so it is not counted")
    assert note.code == "recorded-late", note.code
    return (f"{values['event_type']} of {when('event_at')} was recorded only {when('recorded_at')}, "
            "so it is not counted")


def decide_in_hindsight(bundle: Bundle, history: AccountHistory, action: str, at: datetime,
                        known_at: datetime | None, *, evaluator: Evaluator | None = None) -> Decision:
    """:func:`~chronolex.evaluation.decide.decide` at (``at``, ``known_at``); with a
    knowledge instant, its notes also say what today's knowledge changes
    (:func:`knowledge_notes`, each prefixed with :data:`PREFIX`)."""
    evaluator = evaluator or Evaluator(bundle)
    then = decide(bundle, history, action, at, known_at, evaluator=evaluator)
    if known_at is None:
        return then
    today = decide(bundle, history, action, at, None, evaluator=evaluator)
    extra = tuple(PREFIX + note for note in knowledge_notes(then, today, history))
    return replace(then, notes=then.notes + extra) if extra else then
