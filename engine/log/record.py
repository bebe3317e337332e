"""One logged decision: what was asked, when, under which version, and what was decided."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class NewDecision:
    """A decision about to be logged, as the service made it.

    Instants are ISO 8601 with an offset (``format_instant``): ``at`` is the instant the
    decision is about (the request's ``at``, or the server's clock when none was given),
    ``received_at`` the server's clock when the request arrived, ``known_at`` the
    knowledge cut used (None: everything recorded). ``facts`` are the fact values the
    decision used, as JSON values (unknown facts as null); ``facts_given`` is True when the
    caller gave them and False when they were derived from the event store.
    """

    at: str
    received_at: str
    known_at: str | None
    account: str
    action: str
    bundle: str
    version: str | None
    facts: Mapping[str, Any]
    facts_given: bool
    decision: str
    blocked_by: tuple[str, ...]
    rules: tuple[str, ...]


@dataclass(frozen=True)
class DecisionRecord:
    """A logged decision: a :class:`NewDecision` with its place in the chain.

    ``seq`` counts from 1; ``prev_hash`` is the ``hash`` of record ``seq - 1`` (64 zeros
    for the first); ``hash`` is SHA-256 over the canonical JSON of every other field, so
    the chain breaks where anything changes. ``decision_id`` is derived from the hash,
    so the same log always names its records the same way.
    """

    decision_id: str
    seq: int
    entry: NewDecision
    prev_hash: str
    hash: str

    def document(self) -> dict[str, Any]:
        """The record as JSON (what ``log show`` and ``log export`` write)."""
        raise NotImplementedError
