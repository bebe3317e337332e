"""The JSON documents ``why`` and ``timeline`` answer with, for every caller alike.

The command line prints them (``--format json``) and the decision service returns them,
so both are built here, once: the same question gets the same document whichever way
it is asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from chronolex.evaluation.decide import TimelineInterval
from chronolex.events.event import AccountHistory, SkippedRecords
from chronolex.instants import format_instant
from chronolex.model import Bundle


def timeline_document(bundle: Bundle, account: str, start: datetime, end: datetime, known_at: datetime | None,
                      timelines: Mapping[str, Sequence[TimelineInterval]], *,
                      incomplete: Mapping[str, datetime] | None = None,
                      notes: Sequence[str] = ()) -> dict[str, Any]:
    """The timeline of ``account`` over ``[start, end)`` by action; ``incomplete`` says,
    by action, where a walk stopped short of ``end`` (the part after it was not
    examined), ``notes`` what the answer must say about its input."""
    zone = bundle.timezone
    document: dict[str, Any] = {
        "account": account, "from": format_instant(start, zone), "to": format_instant(end, zone),
        "known_at": format_instant(known_at, zone) if known_at else None,
        "timelines": {name: [i.to_json(bundle) for i in intervals] for name, intervals in timelines.items()},
    }
    if incomplete:
        document["incomplete"] = {name: format_instant(at, zone) for name, at in incomplete.items()}
    if notes:
        document["notes"] = list(notes)
    return document


def with_input(document: dict[str, Any], history: AccountHistory,
               skipped: SkippedRecords | None = None) -> dict[str, Any]:
    """``document``, recording under ``input`` that the account had no events (it was
    decided on the defaults of an empty history because the caller asked for it) and how
    many bad event records were skipped; changed in place and returned."""
    if not history.events:
        document.setdefault("input", {})["account_known"] = False
    if skipped is not None:
        document.setdefault("input", {})["skipped"] = skipped.count
    return document
