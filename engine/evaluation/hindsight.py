"""Hindsight: what an answer "as known at K" misses of what is known today.

An auditor replaying a decision wants both answers — what the system could decide with
what it knew at K, and what it should have decided with everything known now — and the
reasons they differ: a version published after K (a retroactive regulation), or events
not known at K (recorded late, or not yet happened when K is before T).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chronolex.evaluation.assess import Evaluator
from chronolex.evaluation.decide import decide
from chronolex.evaluation.decision import Decision
from chronolex.events.event import AccountHistory
from chronolex.instants import format_instant
from chronolex.model import Bundle

#: Every hindsight note starts with this, so a reader tells it from the decision's own notes.
PREFIX = "as known today: "


def knowledge_notes(then: Decision, today: Decision, history: AccountHistory) -> tuple[str, ...]:
    """What the answer as known then (``then``) misses of what is known today (``today``),
    for the account whose history is ``history``: one sentence a reason.

    >>> knowledge_notes.__name__
    'knowledge_notes'
    """
    notes: list[str] = []
    zone = then.bundle.timezone
    if then.version != today.version and today.version is not None:
        notes.append(f"today's answer uses version {today.version.id}, published "
                     f"{format_instant(today.version.published_at, zone)}, after the knowledge instant")
    if then.decision != today.decision or then.blocked_by != today.blocked_by:
        notes.append(f"with everything known today the decision is {today.decision}"
                     + (f" ({', '.join(today.blocked_by)})" if today.blocked_by else ""))
    known_at = then.known_at
    if known_at is not None:
        for event in history.events:
            if event.at > then.at or event.recorded_at <= known_at:
                continue
            when = format_instant(event.at, zone)
            if event.at > known_at:  # it had not happened yet at the knowledge instant
                notes.append(f"{event.type} of {when} happened after the knowledge instant, so it is not counted")
            else:
                notes.append(f"{event.type} of {when} was recorded only "
                             f"{format_instant(event.recorded_at, zone)}, so it is not counted")
    return tuple(notes)


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
